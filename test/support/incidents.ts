/**
 * Builders for incidents in tests: a realistic open incident on a bucket made public by a
 * policy, changed one part at a time. Every builder's result is parsed with the contract's
 * schema, so a fixture that drifts from the contract fails loudly.
 */
import { exposureFingerprint } from '../../tasks/classify-exposure/classify.js';
import {
  type ExposureVerdict,
  ExposureVerdictSchema,
  type Incident,
  type IncidentEvent,
  IncidentSchema,
  type Vector,
} from '../../tasks/shared/contracts.js';
import { ALL_USERS, OWNER_ACCOUNT } from './snapshots.js';

export const ACCOUNT = OWNER_ACCOUNT;
export const REGION = 'us-east-1';
export const INCIDENT_BUCKET = 'acme-reports';
export const INCIDENT_ID = 'inc-01J9Z3K8Q4M2X7V5T6R8N0P1AB';
export const PREVIOUS_INCIDENT_ID = 'inc-01J8Y1B2C3D4E5F6G7H8J9K0LM';
export const EXECUTION_ID = `arn:aws:states:${REGION}:${ACCOUNT}:execution:s3-exposure-response:evt-6f1c2d3e-9a8b-4c7d-8e6f-5a4b3c2d1e0f`;
export const DANA = `arn:aws:iam::${ACCOUNT}:user/dana.ops`;
export const TERRAFORM = `arn:aws:sts::${ACCOUNT}:assumed-role/platform-deployer/terraform-apply-5821`;
export const DANA_IP = '203.0.113.7';
export const TERRAFORM_IP = '198.51.100.24';

/** The statement hash the classifier gives the fixture's public statement (any stable text will do). */
const STATEMENT_HASH = 'bf426eb9ae4c73e5';

const publicReadGrant = { Grantee: { Type: 'Group' as const, URI: ALL_USERS }, Permission: 'READ' as const };

/** A verdict, parsed, with the fingerprint recomputed from its vectors unless given. */
export function makeVerdict(
  overrides: Partial<ExposureVerdict> = {},
  accountId: string = ACCOUNT,
): ExposureVerdict {
  const bucket = overrides.bucket ?? INCIDENT_BUCKET;
  const vectors: Vector[] = overrides.vectors ?? [
    { source: 'bucketPolicy', access: 'read', principal: '*', statementHash: STATEMENT_HASH, key: null },
  ];
  return ExposureVerdictSchema.parse({
    bucket,
    policyPublic: true,
    aclPublic: false,
    effectivelyPublic: vectors.length > 0,
    publicRead: vectors.some((v) => v.access === 'read'),
    publicWrite: vectors.some((v) => v.access === 'write'),
    crossAccount: false,
    vectors,
    latent: [],
    reasons: [
      {
        source: 'bucketPolicy',
        statement: 0,
        sid: 'PublicRead',
        why: 'statement 0 ("PublicRead") allows public access: Principal "*" is everyone, anonymous callers included',
      },
    ],
    mitigations: [{ kind: 'removePolicyStatement', statement: 0, sid: 'PublicRead' }],
    unknown: [],
    severity: 'HIGH',
    fingerprint: exposureFingerprint(accountId, bucket, vectors),
    ...overrides,
  });
}

/**
 * A verdict for objects made public by their own ACLs (AllUsers READ on each key), as the
 * classifier gives it: one vector, one reason and one mitigation per key.
 */
export function objectAclVerdict(keys: readonly string[], bucket: string = INCIDENT_BUCKET): ExposureVerdict {
  const vectors: Vector[] = keys.map((key) => ({
    source: 'objectAcl',
    access: 'read',
    principal: 'AllUsers',
    statementHash: null,
    key,
  }));
  return makeVerdict({
    bucket,
    policyPublic: false,
    aclPublic: true,
    vectors,
    reasons: keys.map((key) => ({
      source: 'objectAcl' as const,
      key,
      grant: publicReadGrant,
      why: `the ACL of object "${key}" grants READ to AllUsers: anyone can read object "${key}"`,
    })),
    mitigations: keys.map((key) => ({ kind: 'removeObjectAclGrant' as const, key, grant: publicReadGrant })),
  });
}

/** `count` object keys in the shape of a real export: `exports/2025/03/customers-0001.csv`. */
export function objectKeys(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `exports/2025/03/customers-${String(i + 1).padStart(4, '0')}.csv`,
  );
}

/** The two events of the fixture: Dana's console edit, then a Terraform apply touching two objects. */
export function incidentEvents(): IncidentEvent[] {
  return [
    {
      eventID: '5b7f1c2e-8d3a-4f6b-9c1d-2e3f4a5b6c7d',
      eventName: 'PutBucketPolicy',
      actor: DANA,
      sourceIp: DANA_IP,
      time: '2025-03-04T10:15:02Z',
      keys: [],
    },
    {
      eventID: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
      eventName: 'PutObjectAcl',
      actor: TERRAFORM,
      sourceIp: TERRAFORM_IP,
      time: '2025-03-04T10:15:09Z',
      keys: ['reports/q3.csv', 'reports/q4.csv'],
    },
  ];
}

/** What a test may change: any field, and any subset of the timings. */
export type IncidentOverrides = Omit<Partial<Incident>, 'timings'> & {
  timings?: Partial<Incident['timings']>;
};

/**
 * An open incident in approve mode on `acme-reports`, public through policy statement 0, found
 * by this execution and not yet notified. Overrides replace fields; `timings` are merged.
 */
export function makeIncident(overrides: IncidentOverrides = {}): Incident {
  const { timings, ...rest } = overrides;
  const bucket = rest.bucket ?? INCIDENT_BUCKET;
  return IncidentSchema.parse({
    incidentId: INCIDENT_ID,
    bucket,
    accountId: ACCOUNT,
    region: REGION,
    status: 'OPEN',
    closedReason: null,
    response: 'PENDING',
    events: incidentEvents(),
    verdict: makeVerdict({ bucket }),
    mode: 'approve',
    modeReason: 'the default mode is approve',
    macie: null,
    decision: null,
    remediation: null,
    findingId: null,
    previousIncidentId: null,
    executionId: EXECUTION_ID,
    history: [{ at: '2025-03-04T10:15:06.412Z', what: 'opened: public read through policy statement 0' }],
    ...rest,
    timings: {
      eventTime: '2025-03-04T10:15:02Z',
      detectedAt: '2025-03-04T10:15:06.412Z',
      notifiedAt: null,
      containedAt: null,
      ...timings,
    },
  });
}

/** The same incident, closed for `reason` at `containedAt`. */
export function closedIncident(
  reason: NonNullable<Incident['closedReason']>,
  overrides: IncidentOverrides = {},
): Incident {
  return makeIncident({
    status: 'CLOSED',
    closedReason: reason,
    response: reason === 'REMEDIATED' ? 'REMEDIATED' : 'NOTIFIED',
    ...overrides,
    timings: { containedAt: '2025-03-04T11:20:32Z', ...overrides.timings },
  });
}
