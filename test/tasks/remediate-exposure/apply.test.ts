import {
  DeleteBucketOwnershipControlsCommand,
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { classifyExposure } from '../../../tasks/classify-exposure/classify.js';
import { applyPlan, restoreSnapshot } from '../../../tasks/remediate-exposure/apply.js';
import { RemediationApplyError } from '../../../tasks/remediate-exposure/errors.js';
import { planRemediation, type RemediationPlan } from '../../../tasks/remediate-exposure/plan.js';
import {
  type BucketAccessSnapshotInput,
  BucketAccessSnapshotSchema,
} from '../../../tasks/shared/contracts.js';
import { BucketNotFoundError } from '../../../tasks/shared/errors.js';
import {
  ALL_USERS,
  acl,
  BUCKET,
  bpa,
  canonicalGrant,
  groupGrant,
  LOG_DELIVERY,
  OWNER_ACCOUNT,
  OWNER_CANONICAL,
  ownership,
  PUBLIC_READ,
  policy,
  privateSnapshot,
} from '../../support/snapshots.js';

const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const s3Mock = mockClient(S3Client);
const TARGET = { bucket: BUCKET, accountId: OWNER_ACCOUNT };
const OWNED = { Bucket: BUCKET, ExpectedBucketOwner: OWNER_ACCOUNT };
const FOREIGN = 'foreign0canonical0id';

function s3Error(name: string, httpStatusCode?: number): S3ServiceException {
  const $fault = httpStatusCode !== undefined && httpStatusCode >= 500 ? 'server' : 'client';
  const $metadata = httpStatusCode === undefined ? {} : { httpStatusCode };
  return new S3ServiceException({ name, $fault, $metadata, message: `${name} (test)` });
}

/** What was sent, in order: the command's name and its input. */
function sent(): Array<{ command: string; input: Record<string, unknown> }> {
  return s3Mock.calls().map((call) => {
    const command: unknown = call.args[0];
    const name = typeof command === 'object' && command !== null ? command.constructor.name : 'unknown';
    const input =
      typeof command === 'object' && command !== null && 'input' in command
        ? (command.input as Record<string, unknown>)
        : {};
    return { command: name, input };
  });
}

/**
 * A bucket with every kind of change: a public statement next to a partner's, a public bucket ACL,
 * one of our objects with a public grant and one of another account's (Block Public Access).
 */
const POLICY_TEXT = JSON.stringify(
  policy(PUBLIC_READ, {
    Sid: 'Partner',
    Principal: { AWS: 'arn:aws:iam::444455556666:root' },
    Action: 's3:GetObject',
  }),
);
function fullPlan(): RemediationPlan {
  const snapshot = BucketAccessSnapshotSchema.parse(
    privateSnapshot({
      bucketPolicy: POLICY_TEXT,
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ'), groupGrant(LOG_DELIVERY, 'WRITE')),
      objectKeys: ['ours.csv', 'theirs.csv'],
      objectAcls: {
        'ours.csv': acl(groupGrant(ALL_USERS, 'READ')),
        'theirs.csv': {
          Owner: { ID: FOREIGN },
          Grants: [canonicalGrant(FOREIGN, 'FULL_CONTROL'), groupGrant(ALL_USERS, 'READ')],
        },
      },
    }),
  );
  return planRemediation({
    snapshot,
    policyText: POLICY_TEXT,
    verdict: classifyExposure(snapshot),
    settings: { preferBlockPublicAccess: false, maxObjectKeys: 100 },
  });
}

beforeEach(() => {
  s3Mock.reset();
  s3Mock.resolves({});
});

describe('applyPlan', () => {
  it('sends every change with ExpectedBucketOwner, Block Public Access first, object ACLs last', async () => {
    const plan = fullPlan();
    // Whatever order the actions come in, they are applied in the safe one.
    const applied = await applyPlan(s3, { actions: [...plan.actions].reverse() }, TARGET);
    expect(sent()).toEqual([
      {
        command: 'PutPublicAccessBlockCommand',
        input: {
          ...OWNED,
          PublicAccessBlockConfiguration: bpa({ IgnorePublicAcls: true, BlockPublicAcls: true }),
        },
      },
      {
        command: 'PutBucketPolicyCommand',
        input: {
          ...OWNED,
          Policy: JSON.stringify(
            policy({
              Sid: 'Partner',
              Principal: { AWS: 'arn:aws:iam::444455556666:root' },
              Action: 's3:GetObject',
            }),
          ),
        },
      },
      {
        command: 'PutBucketAclCommand',
        input: {
          ...OWNED,
          AccessControlPolicy: {
            Owner: { ID: OWNER_CANONICAL },
            Grants: acl(groupGrant(LOG_DELIVERY, 'WRITE')).Grants,
          },
        },
      },
      {
        command: 'PutObjectAclCommand',
        input: {
          ...OWNED,
          Key: 'ours.csv',
          AccessControlPolicy: { Owner: { ID: OWNER_CANONICAL }, Grants: acl().Grants },
        },
      },
    ]);
    expect(applied.map((a) => [a.action.kind, a.outcome])).toEqual([
      ['putBucketPublicAccessBlock', 'applied'],
      ['putBucketPolicy', 'applied'],
      ['putBucketAcl', 'applied'],
      ['putObjectAcl', 'applied'],
    ]);
  });

  it('deletes a policy left with no statement', async () => {
    await applyPlan(s3, { actions: [{ kind: 'deleteBucketPolicy', removedStatements: [] }] }, TARGET);
    expect(sent()).toEqual([{ command: 'DeleteBucketPolicyCommand', input: OWNED }]);
  });

  it('sends only the ACL members S3 defines', async () => {
    const grant = {
      Grantee: { Type: 'Group' as const, URI: LOG_DELIVERY, extra: 'x' },
      Permission: 'READ' as const,
    };
    await applyPlan(
      s3,
      {
        actions: [
          {
            kind: 'putBucketAcl',
            acl: { Owner: { ID: OWNER_CANONICAL, note: 1 }, Grants: [grant] },
            removedGrants: [],
          },
        ],
      },
      TARGET,
    );
    expect(sent()[0]?.input.AccessControlPolicy).toStrictEqual({
      Owner: { ID: OWNER_CANONICAL },
      Grants: [{ Grantee: { Type: 'Group', URI: LOG_DELIVERY }, Permission: 'READ' }],
    });
  });

  it('skips an object deleted meanwhile (NoSuchKey) and goes on', async () => {
    const plan = fullPlan();
    s3Mock.on(PutObjectAclCommand).rejects(s3Error('NoSuchKey', 404));
    const applied = await applyPlan(s3, plan, TARGET);
    expect(applied.at(-1)).toMatchObject({
      outcome: 'skipped',
      error: 'NoSuchKey: object "ours.csv" no longer exists, so it has no ACL left to change',
    });
    expect(applied.filter((a) => a.outcome === 'applied')).toHaveLength(3);
  });

  it('throws RemediationApplyError on AccessDenied, naming the action and what was applied before', async () => {
    const plan = fullPlan();
    const denied = s3Error('AccessDenied', 403);
    s3Mock.on(PutBucketAclCommand).rejects(denied);
    const error = await applyPlan(s3, plan, TARGET).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemediationApplyError);
    if (!(error instanceof RemediationApplyError)) return;
    expect(error.name).toBe('RemediationApplyError');
    expect(error.code).toBe('AccessDenied');
    expect(error.cause).toBe(denied);
    expect(error.action.kind).toBe('putBucketAcl');
    expect(error.applied.map((a) => a.action.kind)).toEqual([
      'putBucketPublicAccessBlock',
      'putBucketPolicy',
    ]);
    expect(error.message).toBe(
      'S3 refused to remove the bucket ACL grant AllUsers READ; keep the owner and the other 2 grants: AccessDenied (AccessDenied (test)); 2 change(s) had been applied before',
    );
    // Nothing after the refusal is tried.
    expect(s3Mock.commandCalls(PutObjectAclCommand)).toHaveLength(0);
  });

  it.each(['AccessControlListNotSupported', 'MalformedPolicy', 'InvalidArgument'])(
    'wraps the refusal %s in RemediationApplyError',
    async (name) => {
      s3Mock.on(PutBucketPolicyCommand).rejects(s3Error(name, 400));
      const error = await applyPlan(s3, fullPlan(), TARGET).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemediationApplyError);
      expect(error).toMatchObject({ code: name, applied: [expect.objectContaining({ outcome: 'applied' })] });
    },
  );

  it('counts an unnamed 403 as AccessDenied', async () => {
    const unnamed = new S3ServiceException({
      name: '',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: '',
    });
    Object.defineProperty(unnamed, 'name', { value: undefined });
    s3Mock.on(PutPublicAccessBlockCommand).rejects(unnamed);
    await expect(applyPlan(s3, fullPlan(), TARGET)).rejects.toMatchObject({
      code: 'AccessDenied',
      applied: [],
    });
  });

  it('throws BucketNotFoundError when the bucket is gone', async () => {
    s3Mock.on(PutPublicAccessBlockCommand).rejects(s3Error('NoSuchBucket', 404));
    await expect(applyPlan(s3, fullPlan(), TARGET)).rejects.toBeInstanceOf(BucketNotFoundError);
  });

  it.each([
    ['throttling', s3Error('SlowDown', 503)],
    ['a 5xx', s3Error('InternalError', 500)],
    ['429 throttling', s3Error('TooManyRequestsException', 429)],
  ])('rethrows %s unchanged for the workflow to retry', async (_name, transient) => {
    s3Mock.on(PutBucketPolicyCommand).rejects(transient);
    await expect(applyPlan(s3, fullPlan(), TARGET)).rejects.toBe(transient);
  });
});

// ---- Rollback ------------------------------------------------------------------------------------

/** A policy text with its own spacing: it must go back byte for byte. */
const STORED_POLICY =
  '{\n  "Version": "2012-10-17",\n  "Statement": [ {"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data/*"} ]\n}';

function backup(overrides: Partial<BucketAccessSnapshotInput> = {}): BucketAccessSnapshotInput {
  return privateSnapshot({
    bucketPolicy: STORED_POLICY,
    bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
    objectKeys: ['a.csv'],
    objectAcls: { 'a.csv': acl(groupGrant(ALL_USERS, 'READ')) },
    ownershipControls: ownership('ObjectWriter'),
    bucketPublicAccessBlock: bpa({ BlockPublicPolicy: true, RestrictPublicBuckets: false }),
    ...overrides,
  });
}

describe('restoreSnapshot', () => {
  it('puts back ownership, then BPA without its refusing flags, ACLs, the exact policy text, and BPA last', async () => {
    const result = await restoreSnapshot(s3, backup(), TARGET);
    expect(sent()).toEqual([
      {
        command: 'PutBucketOwnershipControlsCommand',
        input: { ...OWNED, OwnershipControls: ownership('ObjectWriter') },
      },
      {
        command: 'PutPublicAccessBlockCommand',
        input: { ...OWNED, PublicAccessBlockConfiguration: bpa({}) },
      },
      {
        command: 'PutBucketAclCommand',
        input: { ...OWNED, AccessControlPolicy: acl(groupGrant(ALL_USERS, 'READ')) },
      },
      {
        command: 'PutObjectAclCommand',
        input: { ...OWNED, Key: 'a.csv', AccessControlPolicy: acl(groupGrant(ALL_USERS, 'READ')) },
      },
      { command: 'PutBucketPolicyCommand', input: { ...OWNED, Policy: STORED_POLICY } },
      {
        command: 'PutPublicAccessBlockCommand',
        input: { ...OWNED, PublicAccessBlockConfiguration: bpa({ BlockPublicPolicy: true }) },
      },
    ]);
    expect(result).toEqual({
      restored: [
        'ownershipControls',
        'bucketAcl',
        'objectAcls/a.csv',
        'bucketPolicy',
        'bucketPublicAccessBlock',
      ],
      refused: [],
      leftAlone: [],
    });
  });

  it('puts a backup BPA with no refusing flag first, in one call', async () => {
    await restoreSnapshot(s3, backup({ bucketPublicAccessBlock: bpa({ IgnorePublicAcls: true }) }), TARGET);
    const puts = s3Mock.commandCalls(PutPublicAccessBlockCommand).map((c) => c.args[0].input);
    expect(puts).toEqual([{ ...OWNED, PublicAccessBlockConfiguration: bpa({ IgnorePublicAcls: true }) }]);
    expect(sent()[1]?.command).toBe('PutPublicAccessBlockCommand');
  });

  it('deletes the parts the backup holds as null', async () => {
    const result = await restoreSnapshot(
      s3,
      backup({ bucketPolicy: null, ownershipControls: null, bucketPublicAccessBlock: null }),
      TARGET,
    );
    expect(sent().map((s) => s.command)).toEqual([
      'DeleteBucketOwnershipControlsCommand',
      'DeletePublicAccessBlockCommand',
      'PutBucketAclCommand',
      'PutObjectAclCommand',
      'DeleteBucketPolicyCommand',
    ]);
    for (const command of [
      DeleteBucketOwnershipControlsCommand,
      DeletePublicAccessBlockCommand,
      DeleteBucketPolicyCommand,
    ]) {
      expect(s3Mock.commandCalls(command)[0]?.args[0].input).toEqual(OWNED);
    }
    expect(result.restored).toContain('bucketPolicy');
  });

  it('reports refusals without throwing, and puts back the rest', async () => {
    s3Mock.on(PutBucketPolicyCommand).rejects(s3Error('AccessDenied', 403));
    s3Mock.on(PutObjectAclCommand).rejects(s3Error('AccessControlListNotSupported', 400));
    s3Mock.on(PutBucketOwnershipControlsCommand).rejects(s3Error('InvalidBucketAclWithObjectOwnership', 400));
    const result = await restoreSnapshot(
      s3,
      backup({ ownershipControls: ownership('BucketOwnerEnforced') }),
      TARGET,
    );
    expect(result.refused).toEqual([
      {
        part: 'ownershipControls',
        error: 'InvalidBucketAclWithObjectOwnership',
        why: 'BucketOwnerEnforced cannot hold an ACL that grants access to another account or group',
      },
      {
        part: 'objectAcls',
        key: 'a.csv',
        error: 'AccessControlListNotSupported',
        why: 'Object Ownership is BucketOwnerEnforced: ACLs are disabled, so S3 refuses to set one',
      },
      {
        part: 'bucketPolicy',
        error: 'AccessDenied',
        why: "account Block Public Access BlockPublicPolicy refuses a public policy (or the responder's role may not put it)",
      },
    ]);
    expect(result.restored).toEqual(['bucketAcl', 'bucketPublicAccessBlock']);
  });

  it('leaves alone the parts the backup did not read, and says so', async () => {
    const result = await restoreSnapshot(
      s3,
      {
        accountId: OWNER_ACCOUNT,
        bucket: BUCKET,
        bucketPolicy: STORED_POLICY,
        objectKeys: ['gone.csv'],
        objectAcls: {},
      },
      TARGET,
    );
    expect(sent()).toEqual([
      { command: 'PutBucketPolicyCommand', input: { ...OWNED, Policy: STORED_POLICY } },
    ]);
    expect(result.leftAlone.map((l) => (l.key ? `${l.part}/${l.key}` : l.part))).toEqual([
      'ownershipControls',
      'bucketPublicAccessBlock',
      'bucketAcl',
      'objectAcls/gone.csv',
    ]);
    expect(result.leftAlone[0]?.why).toBe('not read in the backup: left as it is now');
  });

  it('puts back a policy stored as a document as its JSON', async () => {
    const document = policy(PUBLIC_READ);
    await restoreSnapshot(s3, { accountId: OWNER_ACCOUNT, bucket: BUCKET, bucketPolicy: document }, TARGET);
    expect(s3Mock.commandCalls(PutBucketPolicyCommand)[0]?.args[0].input.Policy).toBe(
      JSON.stringify(document),
    );
  });

  it('throws BucketNotFoundError when the bucket is gone, and rethrows throttling unchanged', async () => {
    s3Mock.on(PutBucketOwnershipControlsCommand).rejects(s3Error('NoSuchBucket', 404));
    await expect(restoreSnapshot(s3, backup(), TARGET)).rejects.toBeInstanceOf(BucketNotFoundError);
    const slowDown = s3Error('SlowDown', 503);
    s3Mock.on(PutBucketOwnershipControlsCommand).rejects(slowDown);
    await expect(restoreSnapshot(s3, backup(), TARGET)).rejects.toBe(slowDown);
  });
});
