/**
 * Remediation scenarios: the real ASL, handlers and sandbox, in auto mode unless said otherwise.
 * Each asserts the path and what changed (or did not) on the bucket, the backup and the finding.
 */

import {
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { outsideAnyFunction } from '../../local/call-ledger.js';
import { rollbackIncident } from '../../local/rollback/rollback.js';
import type { StateHandler } from '../../local/runner.js';
import { readBackup } from '../../tasks/remediate-exposure/backup.js';
import { remediateExposure } from '../../tasks/remediate-exposure/handler.js';
import { verifyRemediation } from '../../tasks/verify-remediation/handler.js';
import {
  exceptAndCloseOpenIncident,
  openState,
  PATHS,
  run,
  sampleEvent,
  tempStateDir,
  world,
} from './support.js';

const BUCKET = 'acme-public-assets';
const EVIDENCE = 's3-exposure-evidence-111122223333-us-east-1';
const OWNER_ID = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';
const ALL_USERS_READ = {
  Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' },
  Permission: 'READ',
} as const;

const MIXED_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'DeployRole',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:role/deploy' },
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    },
    {
      Sid: 'PublicRead',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    },
    {
      Sid: 'TlsOnly',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ],
};

const publicPolicyEvent = () =>
  sampleEvent('put-bucket-policy-public', (e) => {
    e.detail.requestParameters.bucketPolicy = MIXED_POLICY;
  });

/** The bucket's policy statements now; a test fails plainly if there is no policy. */
function policyOf(account: { world: { buckets: Record<string, { policy: unknown } | undefined> } }) {
  const policy = account.world.buckets[BUCKET]?.policy as
    | { Statement: Array<{ Sid?: string }> }
    | null
    | undefined;
  if (!policy) throw new Error(`${BUCKET} has no policy`);
  return policy;
}

/** Wraps a task so a test can change the account at that moment, as another caller would. */
function changeBefore(
  handler: StateHandler,
  change: (deps: Parameters<StateHandler>[1]) => void | Promise<void>,
): StateHandler {
  return async (input, deps) => {
    // Someone else's change: the call ledger must not count it as the function's.
    await outsideAnyFunction(() => change(deps));
    return handler(input, deps);
  };
}

describe('remediation', () => {
  it('auto: removes exactly the public statement, backs up first, verifies, and resolves the finding', async () => {
    const simulation = await run([publicPolicyEvent()], { mode: 'auto' });
    const [execution] = simulation.result.executions;
    expect(execution?.path).toEqual(PATHS.remediated);
    expect(execution?.incident).toMatchObject({
      status: 'CLOSED',
      closedReason: 'REMEDIATED',
      response: 'REMEDIATED',
    });
    expect(policyOf(simulation.result).Statement.map((s) => s.Sid)).toEqual(['DeployRole', 'TlsOnly']);

    const remediation = execution?.incident?.remediation;
    expect(remediation).toMatchObject({
      verified: true,
      before: { summary: expect.stringMatching(/public read/) },
    });
    expect(remediation?.after?.summary).toBe('not public');
    expect(remediation?.backup.location).toMatch(new RegExp(`^s3://${EVIDENCE}/backups/${BUCKET}/`));
    const backup = await readBackup(
      simulation.environment.sandbox.clients().s3,
      remediation?.backup.location ?? '',
      '111122223333',
    );
    expect(JSON.parse(String(backup.snapshot.bucketPolicy)).Statement).toHaveLength(3);

    expect(execution?.finding).toMatchObject({ Workflow: { Status: 'RESOLVED' }, RecordState: 'ARCHIVED' });
    expect(execution?.finding?.Note?.Text).toMatch(
      /Before: public read.*After: not public.*Exposed .* to .*\(/,
    );
    const writes = simulation.environment.sandbox.calls
      .filter((c) => /^(Put|Delete)/.test(c.operation))
      .map((c) => c.operation);
    expect(writes.indexOf('PutObject')).toBeLessThan(writes.indexOf('PutBucketPolicy'));
  });

  it('notify: reports and changes nothing', async () => {
    const { result } = await run([publicPolicyEvent()], { mode: 'notify' });
    expect(result.executions[0]?.path).toEqual(PATHS.reported);
    expect(policyOf(result).Statement).toHaveLength(3);
  });

  it('notify: the alert shows what a fix would change and what it could break', async () => {
    const { result } = await run([publicPolicyEvent()], {
      mode: 'notify',
      world: world((w) => {
        const bucket = w.buckets[BUCKET];
        if (bucket) bucket.website = { IndexDocument: { Suffix: 'index.html' } };
      }),
    });
    const text = result.outbox[0]?.text ?? '';
    expect(text).toMatch(
      /What a fix would change:\n.*remove policy statement 1 \("PublicRead"\); keep the other 2/,
    );
    expect(text).toMatch(/Blast radius:\n(.*\n)*.*website/i);
    expect(text).toMatch(/owner tags: owner=web-team/);
  });

  it('approve, and nobody decides in time: nothing changes (test/workflow/approval.test.ts has the rest)', async () => {
    const { result } = await run([publicPolicyEvent()], { mode: 'approve', decision: 'expire' });
    expect(result.executions[0]?.path).toContain('ApprovalExpired');
    expect(result.executions[0]?.path).not.toContain('RemediateExposure');
    expect(result.executions[0]?.incident?.response).toBe('EXPIRED');
  });

  it('an exposure covered by an exception: the finding is SUPPRESSED naming it, nothing changes', async () => {
    const stateDir = await tempStateDir();
    const first = await run([publicPolicyEvent()], { stateDir, mode: 'notify' });
    const vectors = first.result.executions[0]?.incident?.verdict.vectors ?? [];
    const environment = await openState(stateDir);
    // The exception, and the open incident answered: a new episode shows the exception at work.
    await exceptAndCloseOpenIncident(environment.store, {
      id: 'exc-website',
      bucket: BUCKET,
      vectors,
      owner: 'web-team',
      reason: 'public website assets',
    });
    await environment.close();

    const { result } = await run([publicPolicyEvent()], { stateDir, mode: 'auto' });
    const [execution] = result.executions;
    expect(execution?.path).toEqual(PATHS.suppressed);
    expect(execution?.incident).toMatchObject({ status: 'OPEN', response: 'EXCEPTED' });
    expect(execution?.finding).toMatchObject({ Workflow: { Status: 'SUPPRESSED' } });
    expect(execution?.finding?.Note?.Text).toMatch(/exc-website \(owner web-team: public website assets/);
    expect(policyOf(result).Statement).toHaveLength(3);
  });

  it('an expired exception does not cover the exposure', async () => {
    const simulation = await run([publicPolicyEvent()], {
      mode: 'auto',
      world: world((w) => {
        w.exceptions.push({
          id: 'exc-old',
          bucket: BUCKET,
          vectors: [
            { source: 'bucketPolicy', access: 'read', principal: '*', statementHash: 'x', key: null },
          ],
          owner: 'web-team',
          reason: 'was a website',
          expiry: '2020-01-01T00:00:00.000Z',
        });
      }),
    });
    expect(simulation.result.executions[0]?.path).toEqual(PATHS.remediated);
  });

  it('an exposure wider than the exception (public write where it covers read) is not covered', async () => {
    const stateDir = await tempStateDir();
    const first = await run([publicPolicyEvent()], { stateDir, mode: 'notify' });
    const environment = await openState(stateDir);
    await environment.store.putException({
      id: 'exc-read-only',
      bucket: BUCKET,
      vectors: first.result.executions[0]?.incident?.verdict.vectors ?? [],
      owner: 'web-team',
      reason: 'public read of assets',
      expiry: '2099-01-01T00:00:00.000Z',
      source: 'registry',
    });
    await environment.close();
    const widen = sampleEvent('put-bucket-acl-canned', (e) => {
      e.detail.requestParameters.bucketName = BUCKET;
      e.detail.requestParameters['x-amz-acl'] = ['public-read-write'];
    });
    const { result } = await run([widen], { stateDir, mode: 'notify' });
    expect(result.executions[0]?.path).toEqual(PATHS.reported);
    expect(result.executions[0]?.incident?.verdict.severity).toBe('CRITICAL');
    expect(result.executions[0]?.incident?.response).toBe('NOTIFIED');
  });

  it('a malformed exception entry is reported and never honoured', async () => {
    const { result } = await run([publicPolicyEvent()], {
      mode: 'notify',
      world: world((w) => {
        w.exceptions.push({ id: 'exc-broken', bucket: BUCKET, owner: 'web-team' });
      }),
    });
    const incident = result.executions[0]?.incident;
    expect(result.executions[0]?.path).toEqual(PATHS.reported);
    expect(incident?.history.map((h) => h.what)).toContainEqual(
      expect.stringMatching(/exception entry exc-broken is malformed and not honoured/),
    );
  });

  it('no longer public just before acting: closes without change', async () => {
    const simulation = await run([publicPolicyEvent()], {
      mode: 'auto',
      handlers: {
        RemediateExposure: changeBefore(remediateExposure, async (deps) => {
          await deps.clients.s3.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
        }),
      },
    });
    const [execution] = simulation.result.executions;
    expect(execution?.path).toEqual([
      ...PATHS.remediated.slice(0, PATHS.remediated.indexOf('VerifyRemediation')),
      'CloseIncident',
      'ReleaseLease',
      'DidMoreEventsJoin?',
      'WasEveryoneTold?',
      'ResponseComplete',
    ]);
    expect(execution?.incident).toMatchObject({
      status: 'CLOSED',
      closedReason: 'NOT_PUBLIC',
      remediation: null,
    });
  });

  it('a new way in before acting: fixes only what was decided, then decides again on the new one', async () => {
    let added = false;
    const simulation = await run([publicPolicyEvent()], {
      mode: 'auto',
      handlers: {
        RemediateExposure: changeBefore(remediateExposure, async (deps) => {
          if (added) return;
          added = true;
          await deps.clients.s3.send(
            new PutBucketAclCommand({
              Bucket: BUCKET,
              AccessControlPolicy: {
                Owner: { ID: OWNER_ID },
                Grants: [
                  { Grantee: { Type: 'CanonicalUser', ID: OWNER_ID }, Permission: 'FULL_CONTROL' },
                  ALL_USERS_READ,
                ],
              },
            }),
          );
        }),
      },
    });
    const [execution] = simulation.result.executions;
    const path = execution?.path ?? [];
    expect(path.filter((s) => s === 'RemediateExposure')).toHaveLength(2);
    expect(path.filter((s) => s === 'NotifyRecipients')).toHaveLength(2);
    expect(path.slice(-5)).toEqual([
      'CloseIncident',
      'ReleaseLease',
      'DidMoreEventsJoin?',
      'WasEveryoneTold?',
      'ResponseComplete',
    ]);
    const first = execution?.incident?.history.find((h) => h.what.startsWith('remediation applied'));
    expect(first?.what).toMatch(/applied: putBucketPolicy/);
    expect(execution?.incident?.history.map((h) => h.what)).toContainEqual(
      expect.stringMatching(/exposure changed/),
    );
    expect(simulation.result.world.buckets[BUCKET]?.acl?.Grants).not.toContainEqual(ALL_USERS_READ);
    expect(execution?.incident?.closedReason).toBe('REMEDIATED');
  });

  it('a change that does not end the exposure is a named failure that escalates', async () => {
    const simulation = await run([publicPolicyEvent()], {
      mode: 'auto',
      handlers: {
        // Something (an infrastructure-as-code run, say) puts the public policy straight back.
        VerifyRemediation: changeBefore(verifyRemediation, async (deps) => {
          await deps.clients.s3.send(
            new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(MIXED_POLICY) }),
          );
        }),
      },
    });
    const [execution] = simulation.result.executions;
    expect(execution?.status).toBe('FAILED');
    expect(execution?.path.filter((s) => s === 'VerifyRemediation')).toHaveLength(5);
    expect(execution?.path.slice(-4)).toEqual([
      'IsTheExposureGone?',
      'RemediationNotVerified',
      'ReportFailure',
      'ExecutionFailed',
    ]);
    // The failure notice goes to the SOC and the operators in one message.
    expect(simulation.result.outbox.map((m) => m.to)).toContainEqual(
      expect.stringContaining('cloud-ops@example.com'),
    );
    expect(execution?.incident?.response).toBe('FAILED');
  });

  it('a stale read after the change, then success: waits and reads again', async () => {
    let reads = 0;
    const simulation = await run([publicPolicyEvent()], {
      mode: 'auto',
      handlers: {
        VerifyRemediation: changeBefore(verifyRemediation, async (deps) => {
          reads += 1;
          // The first read still sees the old configuration (S3 reads are eventually consistent).
          if (reads === 1)
            await deps.clients.s3.send(
              new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(MIXED_POLICY) }),
            );
          if (reads === 2) await deps.clients.s3.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
        }),
      },
    });
    const [execution] = simulation.result.executions;
    expect(execution?.path).toEqual([
      ...PATHS.remediated.slice(0, PATHS.remediated.indexOf('VerifyRemediation')),
      'VerifyRemediation',
      'IsTheExposureGone?',
      'WaitForConsistency',
      'VerifyRemediation',
      'IsTheExposureGone?',
      'CloseIncident',
      'ReleaseLease',
      'DidMoreEventsJoin?',
      'WasEveryoneTold?',
      'ResponseComplete',
    ]);
    expect(execution?.incident?.closedReason).toBe('REMEDIATED');
  });

  it('the backup cannot be written: nothing is changed, and the failure is reported', async () => {
    const simulation = await run([publicPolicyEvent()], {
      mode: 'auto',
      world: world((w) => {
        w.faults.push({ service: 's3', operation: 'PutObject', error: 'AccessDenied', times: 100 });
      }),
    });
    const [execution] = simulation.result.executions;
    expect(execution?.status).toBe('FAILED');
    expect(execution?.path.slice(-3)).toEqual(['RemediateExposure', 'ReportFailure', 'ExecutionFailed']);
    expect(policyOf(simulation.result).Statement).toHaveLength(3);
    expect(
      simulation.records[0]?.steps.find((s) => s.name === 'RemediateExposure' && s.error)?.error?.Error,
    ).toBe('BackupFailedError');
  });

  it('rollback round trip: restores the policy byte for byte and excepts it, so the next event is suppressed', async () => {
    const stateDir = await tempStateDir();
    const first = await run([publicPolicyEvent()], { stateDir, mode: 'auto' });
    const incidentId = first.result.executions[0]?.incident?.incidentId ?? '';
    const policyText = (
      await readBackup(
        first.environment.sandbox.clients().s3,
        first.result.executions[0]?.incident?.remediation?.backup.location ?? '',
        '111122223333',
      )
    ).snapshot.bucketPolicy;

    const environment = await openState(stateDir);
    const clients = environment.sandbox.clients();
    const result = await rollbackIncident(environment.deps, { incidentId, by: 'dana', exceptionDays: 7 });
    await environment.close();
    expect(result.restore.refused).toEqual([]);
    expect(result.comparison).toMatchObject({ sameMeaning: true, policyBytesEqual: true });
    expect(result.exception).toMatchObject({
      id: `rollback-${incidentId}`,
      owner: 'dana',
      source: 'rollback',
    });
    expect(Date.parse(result.exception?.expiry ?? '') - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(result.incident.remediation?.rollback).toMatchObject({ by: 'dana', identical: true });
    const getPolicy = await clients.s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET }));
    expect(getPolicy.Policy).toBe(policyText);

    const next = await run([publicPolicyEvent()], { stateDir, mode: 'auto' });
    expect(next.result.executions[0]?.path).toEqual(PATHS.suppressed);
    expect(policyOf(next.result).Statement).toHaveLength(3);
  });

  it('a rollback S3 refuses (account BlockPublicPolicy now on) is reported with the reason', async () => {
    const stateDir = await tempStateDir();
    const first = await run([publicPolicyEvent()], { stateDir, mode: 'auto' });
    const incidentId = first.result.executions[0]?.incident?.incidentId ?? '';
    const environment = await openState(stateDir);
    environment.sandbox.world.accountPublicAccessBlock = {
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: false,
    };
    const result = await rollbackIncident(environment.deps, { incidentId, by: 'dana', exceptionDays: 7 });
    expect(result.restore.refused).toEqual([
      expect.objectContaining({
        part: 'bucketPolicy',
        error: 'AccessDenied',
        why: expect.stringMatching(/BlockPublicPolicy/),
      }),
    ]);
    expect(result.comparison.sameMeaning).toBe(false);
    // Nothing public came back, so there is nothing to except.
    expect(result.exception).toBeNull();
    expect(result.incident.remediation?.rollback).toMatchObject({
      identical: false,
      refused: [expect.objectContaining({ part: 'bucketPolicy' })],
    });
    expect(result.incident.history.at(-2)?.what).toMatch(/S3 refused: bucketPolicy/);
  });

  it('an exposure that keeps coming back escalates to notify after 3 remediations in 24 hours', async () => {
    const stateDir = await tempStateDir();
    for (let i = 0; i < 3; i += 1) {
      const round = await run([publicPolicyEvent()], { stateDir, mode: 'auto' });
      expect(round.result.executions[0]?.path).toEqual(PATHS.remediated);
    }
    const fourth = await run([publicPolicyEvent()], { stateDir, mode: 'auto' });
    const [execution] = fourth.result.executions;
    expect(execution?.path).toEqual(PATHS.reported);
    expect(execution?.incident).toMatchObject({
      mode: 'notify',
      escalation: expect.stringMatching(/came back after 3 remediations within 24 h/),
    });
    const alert = fourth.result.outbox.at(-1);
    expect(alert?.to).toMatch(/cloud-ops@example.com/);
    expect(policyOf(fourth.result).Statement).toHaveLength(3);
  });
});
