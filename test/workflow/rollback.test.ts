/**
 * Rollback scenarios: a real remediation (the ASL, the handlers, the sandbox), then the owner
 * changes the bucket, or not, then a rollback. Each asserts what was refused or written, what
 * the bucket holds afterwards, and what the incident records.
 */
import {
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../local/defaults.js';
import { ChangedSinceFixError, rollbackIncident } from '../../local/rollback/rollback.js';
import { readBackup } from '../../tasks/remediate-exposure/backup.js';
import type { ResponderConfig } from '../../tasks/shared/contracts.js';
import { openState, run, sampleEvent, tempStateDir } from './support.js';

const BUCKET = 'acme-public-assets';
const ACCOUNT = '111122223333';
const WRITES = /^(Put|Delete)/;

const DEPLOY = {
  Sid: 'DeployRole',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/deploy` },
  Action: 's3:PutObject',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};
const PUBLIC_READ = {
  Sid: 'PublicRead',
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};
const TLS_ONLY = {
  Sid: 'TlsOnly',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};
/** What the owner adds after the fix: a role of the account may read. */
const ANALYTICS = {
  Sid: 'Analytics',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/analytics` },
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};

const publicPolicyEvent = () =>
  sampleEvent('put-bucket-policy-public', (e) => {
    e.detail.requestParameters.bucketPolicy = {
      Version: '2012-10-17',
      Statement: [DEPLOY, PUBLIC_READ, TLS_ONLY],
    };
  });

function preferBlockPublicAccess(): ResponderConfig {
  const config = defaultConfig();
  return { ...config, remediation: { ...config.remediation, preferBlockPublicAccess: true } };
}

/** A remediated incident in a state folder of its own, and the policy text its backup holds. */
async function remediated(config: ResponderConfig = defaultConfig()) {
  const stateDir = await tempStateDir();
  const simulation = await run([publicPolicyEvent()], { stateDir, mode: 'auto', config });
  const [execution] = simulation.result.executions;
  // The outcome, not the path: the path is remediation.test.ts's to pin.
  expect(execution?.incident).toMatchObject({ status: 'CLOSED', closedReason: 'REMEDIATED' });
  const incidentId = execution?.incident?.incidentId ?? '';
  const backup = await readBackup(
    simulation.environment.sandbox.clients().s3,
    execution?.incident?.remediation?.backup.location ?? '',
    ACCOUNT,
  );
  return { stateDir, incidentId, backedUpPolicy: backup.snapshot.bucketPolicy };
}

/** The owner changes the bucket after the fix, through S3 as any caller would. */
async function ownerChanges(stateDir: string, change: (s3: S3Client) => Promise<unknown>): Promise<void> {
  const environment = await openState(stateDir);
  await change(environment.sandbox.clients().s3);
  await environment.close();
}

const putPolicy = (statements: unknown[]) => (s3: S3Client) =>
  s3.send(
    new PutBucketPolicyCommand({
      Bucket: BUCKET,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    }),
  );

const putFlags = (flags: Record<string, boolean>) => (s3: S3Client) =>
  s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: BUCKET,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: false,
        IgnorePublicAcls: false,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
        ...flags,
      },
    }),
  );

/**
 * Rolls back and returns the outcome (or the error), the S3 writes the rollback sent, the policy
 * text and the bucket's Block Public Access afterwards, and the incident as stored.
 */
async function rollback(stateDir: string, incidentId: string, force = false) {
  const environment = await openState(stateDir);
  const sandbox = environment.sandbox;
  const callsBefore = sandbox.calls.length;
  const outcome = await rollbackIncident(environment.deps, {
    incidentId,
    by: 'dana',
    exceptionDays: 7,
    force,
  })
    .then((result) => ({ result, error: null }))
    .catch((error: unknown) => ({ result: null, error }));
  const writes = sandbox.calls
    .slice(callsBefore)
    .filter((c) => c.service === 's3' && WRITES.test(c.operation) && c.operation !== 'PutObject')
    .map((c) => c.operation);
  const policy = await sandbox
    .clients()
    .s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))
    .then((answer) => answer.Policy ?? null)
    .catch(() => null);
  const flags = sandbox.world.buckets[BUCKET]?.publicAccessBlock ?? null;
  const incident = await environment.store.getIncident(incidentId);
  await environment.close();
  return { ...outcome, writes, policy, flags, incident };
}

function sids(policyText: string | null): unknown[] {
  if (policyText === null) return [];
  return (JSON.parse(policyText) as { Statement: Array<{ Sid?: string }> }).Statement.map((s) => s.Sid);
}

describe('rollback: nothing changed since the fix', () => {
  it('puts the policy back byte for byte, writes nothing else, and excepts the restored way in', async () => {
    const { stateDir, incidentId, backedUpPolicy } = await remediated();

    const after = await rollback(stateDir, incidentId);

    expect(after.error).toBeNull();
    expect(after.writes).toEqual(['PutBucketPolicy']);
    expect(after.policy).toBe(backedUpPolicy);
    expect(after.result?.kept).toEqual([]);
    expect(after.result?.exception?.vectors).toEqual([
      expect.objectContaining({ source: 'bucketPolicy', principal: '*', access: 'read' }),
    ]);
    expect(after.incident?.remediation?.rollback).toMatchObject({
      by: 'dana',
      identical: true,
      restored: ['bucketPolicy'],
    });

    const next = await run([publicPolicyEvent()], { stateDir, mode: 'auto' });
    // The exception holds: the next event is suppressed, and the statement stays.
    expect(next.result.executions[0]?.path).toContain('SuppressFinding');
    expect(next.result.executions[0]?.path).not.toContain('RemediateExposure');
    expect(next.result.executions[0]?.incident?.response).toBe('EXCEPTED');
  });

  it('puts Block Public Access back as backed up, turning off only the flags the fix turned on', async () => {
    const { stateDir, incidentId } = await remediated(preferBlockPublicAccess());

    const after = await rollback(stateDir, incidentId);

    expect(after.error).toBeNull();
    expect(after.writes).toEqual(['PutPublicAccessBlock']);
    expect(after.flags).toEqual({
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
    expect(after.incident?.remediation?.rollback).toMatchObject({ identical: true });
  });
});

describe('rollback: the owner added a policy statement after the fix', () => {
  it('is refused without --force, names the statement, and changes nothing', async () => {
    const { stateDir, incidentId } = await remediated();
    await ownerChanges(stateDir, putPolicy([DEPLOY, TLS_ONLY, ANALYTICS]));

    const after = await rollback(stateDir, incidentId);

    expect(after.error).toBeInstanceOf(ChangedSinceFixError);
    expect(after.error).toMatchObject({
      changes: ['statement 2 ("Analytics") was added to the bucket policy'],
    });
    expect(String(after.error)).toMatch(/--force/);
    expect(after.writes).toEqual([]);
    expect(sids(after.policy)).toEqual(['DeployRole', 'TlsOnly', 'Analytics']);
    expect(after.incident?.remediation?.rollback).toBeNull();
  });

  it("with --force puts our statement back in its place and keeps the owner's", async () => {
    const { stateDir, incidentId } = await remediated();
    await ownerChanges(stateDir, putPolicy([DEPLOY, TLS_ONLY, ANALYTICS]));

    const after = await rollback(stateDir, incidentId, true);

    expect(after.error).toBeNull();
    expect(after.writes).toEqual(['PutBucketPolicy']);
    expect(sids(after.policy)).toEqual(['DeployRole', 'PublicRead', 'TlsOnly', 'Analytics']);
    expect(JSON.parse(after.policy ?? '{}').Statement[1]).toEqual(PUBLIC_READ);
    expect(after.result?.kept).toEqual(['statement 2 ("Analytics") was added to the bucket policy']);
    expect(after.result?.exception).not.toBeNull();
    expect(after.incident?.remediation?.rollback).toMatchObject({ identical: false, refused: [] });
    expect(after.incident?.history.at(-2)?.what).toMatch(/Kept the changes made since the fix \(forced\)/);
  });
});

describe('rollback: the owner turned Block Public Access on after the fix', () => {
  it('is refused without --force, naming the flag', async () => {
    const { stateDir, incidentId } = await remediated();
    await ownerChanges(stateDir, putFlags({ RestrictPublicBuckets: true }));

    const after = await rollback(stateDir, incidentId);

    expect(after.error).toMatchObject({
      name: 'ChangedSinceFixError',
      changes: ['bucket Block Public Access RestrictPublicBuckets was turned on since the fix'],
    });
    expect(after.writes).toEqual([]);
  });

  it("with --force puts our statement back and keeps the owner's flag on", async () => {
    const { stateDir, incidentId, backedUpPolicy } = await remediated();
    await ownerChanges(stateDir, putFlags({ RestrictPublicBuckets: true }));

    const after = await rollback(stateDir, incidentId, true);

    expect(after.writes).toEqual(['PutBucketPolicy']);
    expect(after.policy).toBe(backedUpPolicy);
    expect(after.flags).toMatchObject({ RestrictPublicBuckets: true });
    // The owner's flag masks the statement: no way in is open again, so none is excepted.
    expect(after.result?.exception).toBeNull();
  });

  it("with --force, the owner's BlockPublicPolicy refuses our statement: reported, and the flag stays", async () => {
    const { stateDir, incidentId } = await remediated();
    await ownerChanges(stateDir, putFlags({ BlockPublicPolicy: true }));

    const after = await rollback(stateDir, incidentId, true);

    expect(after.writes).toEqual(['PutBucketPolicy']);
    expect(after.result?.restore.refused).toEqual([
      expect.objectContaining({ part: 'bucketPolicy', error: 'AccessDenied' }),
    ]);
    expect(sids(after.policy)).toEqual(['DeployRole', 'TlsOnly']);
    expect(after.flags).toMatchObject({ BlockPublicPolicy: true });
  });

  it('after a fix by Block Public Access, --force turns off only the flags the fix turned on', async () => {
    const { stateDir, incidentId } = await remediated(preferBlockPublicAccess());
    await ownerChanges(
      stateDir,
      putFlags({ BlockPublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true }),
    );

    const refused = await rollback(stateDir, incidentId);
    expect(refused.error).toMatchObject({
      changes: ['bucket Block Public Access BlockPublicAcls was turned on since the fix'],
    });

    const after = await rollback(stateDir, incidentId, true);
    expect(after.writes).toEqual(['PutPublicAccessBlock']);
    expect(after.flags).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
  });
});
