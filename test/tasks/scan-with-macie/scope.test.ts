import { describe, expect, it } from 'vitest';
import { classifyExposure } from '../../../tasks/classify-exposure/classify.js';
import {
  clientTokenOf,
  estimateScan,
  MAX_KEY_PREFIXES,
  planScan,
  type ScanJob,
  type ScopeInput,
} from '../../../tasks/scan-with-macie/scope.js';
import {
  type BucketAccessSnapshotInput,
  BucketAccessSnapshotSchema,
  type MacieConfig,
  MacieConfigSchema,
  type ResponderConfigInput,
  ResponderConfigSchema,
} from '../../../tasks/shared/contracts.js';
import {
  ALL_USERS,
  acl,
  BUCKET,
  bpa,
  groupGrant,
  OWNER_ACCOUNT,
  ownership,
  PUBLIC_READ,
  policy,
  privateSnapshot,
} from '../../support/snapshots.js';

const INCIDENT = 'inc-0001';

/** The verdict the real classifier gives, and the policy it read. */
function inputFor(
  overrides: Partial<BucketAccessSnapshotInput>,
  config: Partial<MacieConfig> = {},
  objectCount?: number,
): ScopeInput {
  const snapshot = BucketAccessSnapshotSchema.parse(privateSnapshot(overrides));
  return {
    incidentId: INCIDENT,
    accountId: OWNER_ACCOUNT,
    verdict: classifyExposure(snapshot),
    policy: snapshot.bucketPolicy ?? null,
    config: MacieConfigSchema.parse(config),
    ...(objectCount !== undefined ? { objectCount } : {}),
  };
}

function scan(input: ScopeInput): ScanJob {
  const plan = planScan(input);
  if (plan.kind !== 'scan') throw new Error(`expected a scan, got a skip: ${plan.reason}`);
  return plan;
}

function objectAcls(keys: readonly string[], permission: 'READ' | 'READ_ACP' | 'FULL_CONTROL' = 'READ') {
  return {
    objectKeys: [...keys],
    objectAcls: Object.fromEntries(keys.map((k) => [k, acl(groupGrant(ALL_USERS, permission))])),
  };
}

const KEY_TERM = (values: string[]) => ({
  simpleScopeTerm: { key: 'OBJECT_KEY', comparator: 'STARTS_WITH', values },
});
const SIZE_TERM = (bytes: number) => ({
  simpleScopeTerm: { key: 'OBJECT_SIZE', comparator: 'LT', values: [String(bytes)] },
});

describe('scope of an object-level exposure', () => {
  it('scans exactly the affected keys, each as a STARTS_WITH value, without sampling or size cap', () => {
    const job = scan(inputFor(objectAcls(['exports/customers.csv'])));
    expect(job.scope).toMatchObject({
      kind: 'objects',
      prefixes: ['exports/customers.csv'],
      samplingPercentage: 100,
      maxObjectSizeBytes: null,
      widened: false,
    });
    expect(job.scope.why).toContain('may also scan keys starting with "exports/customers.csv"');
    expect(job.request).toEqual({
      clientToken: clientTokenOf(INCIDENT, job.scope),
      jobType: 'ONE_TIME',
      name: `s3-exposure ${BUCKET} ${INCIDENT} ${clientTokenOf(INCIDENT, job.scope).slice(-8)}`,
      description: `Sensitive data in what incident ${INCIDENT} exposed`,
      s3JobDefinition: {
        bucketDefinitions: [{ accountId: OWNER_ACCOUNT, buckets: [BUCKET] }],
        scoping: { includes: { and: [KEY_TERM(['exports/customers.csv'])] } },
      },
      samplingPercentage: 100,
      managedDataIdentifierSelector: 'RECOMMENDED',
      tags: { 's3-exposure:incident': INCIDENT },
    });
  });

  it('lists several keys in one term, ORed, and drops a key another value already covers', () => {
    const job = scan(inputFor(objectAcls(['b/2.csv', 'a/1.csv', 'a/1.csv.bak'])));
    expect(job.scope.prefixes).toEqual(['a/1.csv', 'b/2.csv']);
  });

  it('widens keys beyond the limit to their folders, and says so', () => {
    const keys = Array.from({ length: MAX_KEY_PREFIXES + 1 }, (_, i) => `exports/2024/file-${i}.csv`);
    const job = scan(inputFor(objectAcls(keys)));
    expect(job.scope).toMatchObject({ kind: 'prefixes', prefixes: ['exports/2024/'], widened: true });
    expect(job.scope.why).toContain(
      `${MAX_KEY_PREFIXES + 1} affected keys and prefixes, widened to their folders`,
    );
  });

  it('scans the whole bucket when widened keys share no folder', () => {
    const keys = Array.from({ length: MAX_KEY_PREFIXES + 1 }, (_, i) => `file-${i}.csv`);
    expect(scan(inputFor(objectAcls(keys))).scope.kind).toBe('bucket');
  });

  it('skips an object ACL that only makes the ACL itself public (READ_ACP)', () => {
    expect(planScan(inputFor(objectAcls(['a.csv'], 'READ_ACP')))).toMatchObject({
      kind: 'skip',
      skipReason: 'noContentExposed',
    });
  });

  it('scans an object whose ACL grants FULL_CONTROL', () => {
    expect(scan(inputFor(objectAcls(['a.csv'], 'FULL_CONTROL'))).scope.prefixes).toEqual(['a.csv']);
  });
});

describe('scope of a policy exposure', () => {
  it('scans only the prefix a statement public on bucket/public/* names, under the size cap', () => {
    const statement = { ...PUBLIC_READ, Resource: `arn:aws:s3:::${BUCKET}/public/*` };
    const job = scan(inputFor({ bucketPolicy: policy(statement) }));
    expect(job.scope).toMatchObject({
      kind: 'prefixes',
      prefixes: ['public/'],
      samplingPercentage: 100,
      maxObjectSizeBytes: 10 * 1024 * 1024,
    });
    expect(job.request.s3JobDefinition?.scoping).toEqual({
      includes: { and: [KEY_TERM(['public/']), SIZE_TERM(10 * 1024 * 1024)] },
    });
  });

  it('takes a Resource with a wildcard inside the key at its literal start', () => {
    const statement = { ...PUBLIC_READ, Resource: `arn:aws:s3:::${BUCKET}/reports/2024-*.csv` };
    expect(scan(inputFor({ bucketPolicy: policy(statement) })).scope.prefixes).toEqual(['reports/2024-']);
  });

  it('scans one object a statement names exactly', () => {
    const statement = { ...PUBLIC_READ, Resource: `arn:aws:s3:::${BUCKET}/press/kit.zip` };
    const job = scan(inputFor({ bucketPolicy: policy(statement) }));
    expect(job.scope).toMatchObject({ kind: 'objects', prefixes: ['press/kit.zip'] });
  });

  it('scans the whole bucket, sampled and capped, for bucket/*', () => {
    const job = scan(
      inputFor({ bucketPolicy: policy(PUBLIC_READ) }, { samplingPercentage: 5, maxObjectSizeBytes: 1000 }),
    );
    expect(job.scope).toMatchObject({
      kind: 'bucket',
      prefixes: [],
      samplingPercentage: 5,
      maxObjectSizeBytes: 1000,
    });
    expect(job.request.samplingPercentage).toBe(5);
    expect(job.request.s3JobDefinition?.scoping).toEqual({ includes: { and: [SIZE_TERM(1000)] } });
    expect(job.scope.why).toContain('5% of its objects under 1000 bytes');
  });

  it('skips a statement that lets the public only list the keys', () => {
    const statement = {
      Sid: 'List',
      Principal: '*' as const,
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${BUCKET}`,
    };
    expect(planScan(inputFor({ bucketPolicy: policy(statement) }))).toMatchObject({
      kind: 'skip',
      skipReason: 'noContentExposed',
    });
  });

  it('scans the whole bucket when the statement is no longer in the policy read now', () => {
    const input = inputFor({
      bucketPolicy: policy({ ...PUBLIC_READ, Resource: `arn:aws:s3:::${BUCKET}/public/*` }),
    });
    expect(scan({ ...input, policy: null }).scope.kind).toBe('bucket');
  });

  it('joins a public prefix and a public object in one job', () => {
    const statement = { ...PUBLIC_READ, Resource: `arn:aws:s3:::${BUCKET}/public/*` };
    const job = scan(
      inputFor({ bucketPolicy: policy(statement), ...objectAcls(['private/x.csv', 'public/y.csv']) }),
    );
    expect(job.scope).toMatchObject({ kind: 'prefixes', prefixes: ['private/x.csv', 'public/'] });
  });
});

describe('when no scan runs', () => {
  it('skips a write-only exposure', () => {
    const statement = {
      Sid: 'Drop',
      Principal: '*' as const,
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    };
    expect(planScan(inputFor({ bucketPolicy: policy(statement) }))).toMatchObject({
      kind: 'skip',
      skipReason: 'writeOnly',
    });
  });

  it('skips a latent-only exposure (BPA masks a public ACL)', () => {
    const input = inputFor({
      bucketPublicAccessBlock: bpa({ IgnorePublicAcls: true }),
      ...objectAcls(['a.csv']),
    });
    expect(input.verdict.latent).not.toEqual([]);
    expect(planScan(input)).toMatchObject({ kind: 'skip', skipReason: 'latentOnly' });
    expect(planScan({ ...input, config: MacieConfigSchema.parse({ when: 'always' }) })).toMatchObject({
      skipReason: 'latentOnly',
    });
  });

  it('skips a latent ACL that BucketOwnerEnforced disables', () => {
    const input = inputFor({ ownershipControls: ownership('BucketOwnerEnforced'), ...objectAcls(['a.csv']) });
    expect(planScan(input)).toMatchObject({ kind: 'skip', skipReason: 'latentOnly' });
  });

  it('skips an empty bucket', () => {
    expect(planScan(inputFor({ bucketPolicy: policy(PUBLIC_READ) }, {}, 0))).toMatchObject({
      kind: 'skip',
      skipReason: 'emptyBucket',
    });
  });

  it('skips when the configuration says never', () => {
    expect(planScan(inputFor({ bucketPolicy: policy(PUBLIC_READ) }, { when: 'never' }))).toMatchObject({
      skipReason: 'configNever',
    });
  });

  it('skips below the configured severity, and scans at or above it', () => {
    const read = inputFor({ bucketPolicy: policy(PUBLIC_READ) }, { when: { atLeast: 'CRITICAL' } });
    expect(read.verdict.severity).toBe('HIGH');
    expect(planScan(read)).toMatchObject({ skipReason: 'belowSeverity' });
    expect(planScan({ ...read, config: MacieConfigSchema.parse({ when: { atLeast: 'HIGH' } }) }).kind).toBe(
      'scan',
    );
  });

  it('scans a cross-account exposure only when told to, and then the whole bucket', () => {
    const shared = {
      Sid: 'Partner',
      Principal: { AWS: 'arn:aws:iam::444455556666:root' },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    };
    const input = inputFor({ bucketPolicy: policy(shared) });
    expect(input.verdict.crossAccount).toBe(true);
    expect(planScan(input)).toMatchObject({ skipReason: 'notPublic' });
    expect(
      scan({ ...input, config: MacieConfigSchema.parse({ when: { atLeast: 'MEDIUM' } }) }).scope.kind,
    ).toBe('bucket');
  });
});

describe('the client token', () => {
  it('is the same for the same incident and scope, so a retried task gets the job it started', () => {
    const a = scan(inputFor(objectAcls(['a.csv'])));
    const b = scan(inputFor(objectAcls(['a.csv'])));
    expect(b.request.clientToken).toBe(a.request.clientToken);
    expect(a.request.clientToken).toMatch(/^s3-exposure-[0-9a-f]{40}$/);
  });

  it('changes with a wider scope and with another incident', () => {
    const a = scan(inputFor(objectAcls(['a.csv'])));
    const wider = scan(inputFor(objectAcls(['a.csv', 'b.csv'])));
    expect(wider.request.clientToken).not.toBe(a.request.clientToken);
    expect(clientTokenOf('inc-0002', a.scope)).not.toBe(a.request.clientToken);
  });
});

describe('identifiers from the configuration', () => {
  it('sends the custom data identifiers and allow lists, and the selector', () => {
    const job = scan(
      inputFor(objectAcls(['a.csv']), {
        managedDataIdentifierSelector: 'NONE',
        customDataIdentifierIds: ['cdi-1'],
        allowListIds: ['al-1'],
      }),
    );
    expect(job.request).toMatchObject({
      managedDataIdentifierSelector: 'NONE',
      customDataIdentifierIds: ['cdi-1'],
      allowListIds: ['al-1'],
    });
  });

  it('refuses a configuration without managed identifiers and without custom ones', () => {
    expect(MacieConfigSchema.safeParse({ managedDataIdentifierSelector: 'NONE' }).success).toBe(false);
  });

  it('gives every existing configuration the default Macie section', () => {
    const input: ResponderConfigInput = { recipients: { email: ['soc@example.com'] } };
    expect(ResponderConfigSchema.parse(input).macie).toEqual({
      when: 'public',
      samplingPercentage: 10,
      maxObjectSizeBytes: 10 * 1024 * 1024,
      managedDataIdentifierSelector: 'RECOMMENDED',
      customDataIdentifierIds: [],
      allowListIds: [],
      pollSeconds: 60,
      deadlineSeconds: 7200,
      containOnSensitiveData: false,
    });
  });
});

describe('the estimate of what a scope scans', () => {
  const objects = [
    { key: 'exports/customers.csv', size: 100 },
    { key: 'exports/customers.csv.bak', size: 50 },
    { key: 'public/a.html', size: 10 },
    { key: 'public/big.tar', size: 5_000 },
  ];

  it('counts the objects whose keys start with a value, and their bytes', () => {
    const job = scan(inputFor(objectAcls(['exports/customers.csv'])));
    expect(estimateScan(job.scope, objects)).toEqual({ objects: 2, bytes: 150 });
  });

  it('leaves out objects at or over the size cap, and takes the sampled share of a bucket', () => {
    const job = scan(
      inputFor({ bucketPolicy: policy(PUBLIC_READ) }, { samplingPercentage: 50, maxObjectSizeBytes: 5_000 }),
    );
    expect(estimateScan(job.scope, objects)).toEqual({ objects: 2, bytes: 80 });
  });
});
