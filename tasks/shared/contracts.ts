/**
 * The data contracts of the responder. Field names are the public contract of the CLI
 * (`classify --snapshot`, `simulate --json`) and of the backups: keep them.
 */
import { z } from 'zod';

/** A value IAM accepts as "one or many": `"s3:GetObject"` or `["s3:GetObject", "s3:ListBucket"]`. */
const OneOrMany = z.union([z.string(), z.array(z.string())]);

/** Condition values may be strings, booleans or numbers, alone or in a list. */
const ConditionValue = z.union([
  z.string(),
  z.boolean(),
  z.number(),
  z.array(z.union([z.string(), z.boolean(), z.number()])),
]);

export const PrincipalSchema = z.union([z.literal('*'), z.record(z.string(), OneOrMany)]);
export type Principal = z.infer<typeof PrincipalSchema>;

export const PolicyStatementSchema = z.looseObject({
  Sid: z.string().optional(),
  Effect: z.enum(['Allow', 'Deny']),
  Principal: PrincipalSchema.optional(),
  NotPrincipal: PrincipalSchema.optional(),
  Action: OneOrMany.optional(),
  NotAction: OneOrMany.optional(),
  Resource: OneOrMany.optional(),
  NotResource: OneOrMany.optional(),
  Condition: z.record(z.string(), z.record(z.string(), ConditionValue)).optional(),
});
export type PolicyStatement = z.infer<typeof PolicyStatementSchema>;

/** A bucket policy. `Statement` may be a single object in the stored text; it is normalised to a list. */
export const PolicyDocumentSchema = z.looseObject({
  Version: z.string().optional(),
  Id: z.string().optional(),
  Statement: z.preprocess(
    (s) => (Array.isArray(s) || s === undefined ? s : [s]),
    z.array(PolicyStatementSchema),
  ),
});
export type PolicyDocument = z.infer<typeof PolicyDocumentSchema>;

/**
 * A policy as the snapshot carries it: the parsed document, or the JSON text exactly as
 * GetBucketPolicy returned it (kept as text in backups, parsed here for the classifier).
 */
const PolicyFieldSchema = z
  .union([z.string(), z.looseObject({})], { error: 'expected a policy document or its JSON text' })
  .transform((value, ctx): PolicyDocument => {
    let document: unknown = value;
    if (typeof value === 'string') {
      try {
        document = JSON.parse(value);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `the policy text is not JSON (${(error as Error).message})`,
        });
        return z.NEVER;
      }
    }
    const result = PolicyDocumentSchema.safeParse(document);
    if (!result.success) {
      for (const issue of result.error.issues)
        ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    }
    return result.data;
  });

export const GranteeSchema = z.looseObject({
  Type: z.enum(['CanonicalUser', 'AmazonCustomerByEmail', 'Group']),
  ID: z.string().optional(),
  URI: z.string().optional(),
  DisplayName: z.string().optional(),
  EmailAddress: z.string().optional(),
});
export type Grantee = z.infer<typeof GranteeSchema>;

export const PermissionSchema = z.enum(['FULL_CONTROL', 'READ', 'READ_ACP', 'WRITE', 'WRITE_ACP']);
export type Permission = z.infer<typeof PermissionSchema>;

export const GrantSchema = z.looseObject({ Grantee: GranteeSchema, Permission: PermissionSchema });
export type Grant = z.infer<typeof GrantSchema>;

/** GetBucketAcl / GetObjectAcl output. */
export const AclSchema = z.looseObject({
  Owner: z.looseObject({ ID: z.string().optional(), DisplayName: z.string().optional() }).optional(),
  Grants: z.array(GrantSchema).default([]),
});
export type Acl = z.infer<typeof AclSchema>;

/** The four Block Public Access flags; a flag left out is off, as in the S3 API. */
export const PublicAccessBlockSchema = z.object({
  BlockPublicAcls: z.boolean().default(false),
  IgnorePublicAcls: z.boolean().default(false),
  BlockPublicPolicy: z.boolean().default(false),
  RestrictPublicBuckets: z.boolean().default(false),
});
export type PublicAccessBlock = z.infer<typeof PublicAccessBlockSchema>;
export const BPA_FLAGS = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
] as const;
export type BpaFlag = (typeof BPA_FLAGS)[number];

export const ObjectOwnershipSchema = z.enum(['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter']);
export type ObjectOwnership = z.infer<typeof ObjectOwnershipSchema>;
export const OwnershipControlsSchema = z.object({
  Rules: z.array(z.object({ ObjectOwnership: ObjectOwnershipSchema })).min(1),
});

/** The parts of a snapshot an adapter reads; named in `unreadable` and `unknown`. */
export const SnapshotPartSchema = z.enum([
  'bucketPolicy',
  'policyStatus',
  'bucketAcl',
  'objectAcls',
  'bucketPublicAccessBlock',
  'accountPublicAccessBlock',
  'ownershipControls',
  'website',
  'tags',
]);
export type SnapshotPart = z.infer<typeof SnapshotPartSchema>;

export const UnreadablePartSchema = z.object({
  part: SnapshotPartSchema,
  key: z.string().optional(),
  error: z.string().min(1),
});
export type UnreadablePart = z.infer<typeof UnreadablePartSchema>;

/**
 * The raw configuration of one bucket, in the shapes the AWS SDK v3 returns. A missing field
 * means "not read"; null means "read, and there is none".
 */
export const BucketAccessSnapshotSchema = z.object({
  accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account ID'),
  bucket: z.string().min(3).max(255),
  objectKeys: z.array(z.string()).default([]),
  bucketPolicy: PolicyFieldSchema.nullable().optional(),
  bucketAcl: AclSchema.nullable().optional(),
  objectAcls: z.record(z.string(), AclSchema).optional(),
  bucketPublicAccessBlock: PublicAccessBlockSchema.nullable().optional(),
  accountPublicAccessBlock: PublicAccessBlockSchema.nullable().optional(),
  ownershipControls: OwnershipControlsSchema.nullable().optional(),
  policyStatus: z.object({ IsPublic: z.boolean() }).nullable().optional(),
  website: z.record(z.string(), z.unknown()).nullable().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  unreadable: z.array(UnreadablePartSchema).default([]),
});
/** A snapshot after validation: the policy is parsed. */
export type BucketAccessSnapshot = z.infer<typeof BucketAccessSnapshotSchema>;
/** A snapshot as adapters produce and backups store it: the policy may still be the exact text. */
export type BucketAccessSnapshotInput = z.input<typeof BucketAccessSnapshotSchema>;

export const VectorSourceSchema = z.enum(['bucketPolicy', 'bucketAcl', 'objectAcl']);
export const AccessLevelSchema = z.enum(['read', 'write']);
export type AccessLevel = z.infer<typeof AccessLevelSchema>;

/** One way in: a policy statement, or an ACL grant, and the level of access it gives. */
export const VectorSchema = z.object({
  source: VectorSourceSchema,
  access: AccessLevelSchema,
  principal: z.string(),
  statementHash: z.string().nullable(),
  key: z.string().nullable(),
});
export type Vector = z.infer<typeof VectorSchema>;

export const ReasonSchema = z.union([
  z.object({
    source: z.literal('bucketPolicy'),
    statement: z.number().int().nullable(),
    sid: z.string().nullable(),
    why: z.string(),
  }),
  z.object({
    source: z.enum(['bucketAcl', 'objectAcl']),
    key: z.string().nullable(),
    grant: GrantSchema,
    why: z.string(),
  }),
  z.object({ source: z.enum(['publicAccessBlock', 'ownership']), flag: z.string(), why: z.string() }),
]);
export type Reason = z.infer<typeof ReasonSchema>;

export const MitigationSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('removePolicyStatement'),
    statement: z.number().int(),
    sid: z.string().nullable(),
  }),
  z.object({ kind: z.literal('removeBucketAclGrant'), grant: GrantSchema }),
  z.object({ kind: z.literal('removeObjectAclGrant'), key: z.string(), grant: GrantSchema }),
  z.object({
    kind: z.literal('setBucketPublicAccessBlock'),
    flags: z.partialRecord(z.enum(BPA_FLAGS), z.literal(true)),
  }),
]);
export type Mitigation = z.infer<typeof MitigationSchema>;

export const UnknownSchema = z.object({
  part: z.string(),
  key: z.string().optional(),
  why: z.string(),
});
export type Unknown = z.infer<typeof UnknownSchema>;

/** ASFF severity labels, highest first. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

/** The classifier's answer for one bucket. */
export const ExposureVerdictSchema = z.object({
  bucket: z.string(),
  policyPublic: z.boolean(),
  aclPublic: z.boolean(),
  effectivelyPublic: z.boolean(),
  publicRead: z.boolean(),
  publicWrite: z.boolean(),
  crossAccount: z.boolean(),
  vectors: z.array(VectorSchema),
  latent: z.array(VectorSchema),
  reasons: z.array(ReasonSchema),
  mitigations: z.array(MitigationSchema),
  unknown: z.array(UnknownSchema),
  severity: SeveritySchema,
  fingerprint: z.string(),
});
export type ExposureVerdict = z.infer<typeof ExposureVerdictSchema>;

// ---- The workflow ------------------------------------------------------------------------

/** One CloudTrail event as an incident records it: a trigger and a witness. */
export const IncidentEventSchema = z.object({
  eventID: z.string(),
  eventName: z.string(),
  actor: z.string().nullable(),
  sourceIp: z.string().nullable(),
  time: z.string(),
  keys: z.array(z.string()),
});
export type IncidentEvent = z.infer<typeof IncidentEventSchema>;

export const IncidentStatusSchema = z.enum(['OPEN', 'CLOSED']);
export const ClosedReasonSchema = z.enum(['REMEDIATED', 'NOT_PUBLIC', 'BUCKET_DELETED']);
export type ClosedReason = z.infer<typeof ClosedReasonSchema>;
export const IncidentResponseSchema = z.enum([
  'PENDING',
  'NOTIFIED',
  'EXCEPTED',
  'APPROVED',
  'REJECTED',
  'EXPIRED',
  'REMEDIATED',
  'FAILED',
]);
export type IncidentResponse = z.infer<typeof IncidentResponseSchema>;

/** A reading of the bucket, before or after a change. */
const ReadingSchema = z.object({ summary: z.string(), vectors: z.array(VectorSchema) });

/** What a remediation planned, backed up and changed, and whether a fresh read confirmed it. */
export const RemediationRecordSchema = z.object({
  /** The plan in plain words, one line per change. */
  plan: z.array(z.string()),
  backup: z.object({ location: z.string() }),
  before: ReadingSchema,
  after: ReadingSchema.nullable(),
  /** The ways in the plan set out to close. */
  addressed: z.array(VectorSchema),
  verified: z.boolean(),
  rollback: z
    .object({
      by: z.string(),
      at: z.string(),
      restored: z.array(z.string()),
      refused: z.array(
        z.object({ part: z.string(), key: z.string().optional(), error: z.string(), why: z.string() }),
      ),
      identical: z.boolean(),
      exceptionId: z.string().nullable(),
    })
    .nullable()
    .default(null),
});
export type RemediationRecord = z.infer<typeof RemediationRecordSchema>;

/** One exposure episode of one bucket, from the first public reading to the end of the exposure. */
export const IncidentSchema = z.object({
  incidentId: z.string(),
  bucket: z.string(),
  accountId: z.string(),
  region: z.string(),
  status: IncidentStatusSchema,
  closedReason: ClosedReasonSchema.nullable(),
  response: IncidentResponseSchema,
  events: z.array(IncidentEventSchema),
  verdict: ExposureVerdictSchema,
  mode: z.enum(['auto', 'approve', 'notify']),
  modeReason: z.string(),
  macie: z.record(z.string(), z.unknown()).nullable(),
  decision: z.record(z.string(), z.unknown()).nullable(),
  remediation: RemediationRecordSchema.nullable(),
  findingId: z.string().nullable(),
  timings: z.object({
    eventTime: z.string(),
    detectedAt: z.string(),
    notifiedAt: z.string().nullable(),
    containedAt: z.string().nullable(),
  }),
  /** The incident this one follows on the same bucket (a new episode names the previous one). */
  previousIncidentId: z.string().nullable(),
  /** The execution that opened it, and the one that holds the bucket now. */
  executionId: z.string(),
  /** What a fix would change and what it could break, shown wherever a person decides. */
  proposal: z
    .object({ changes: z.array(z.string()), blastRadius: z.array(z.string()) })
    .nullable()
    .default(null),
  /** Why the responder stopped remediating this bucket's exposure (it kept coming back), or null. */
  escalation: z.string().nullable().default(null),
  /** What happened, in order, in plain words: the audit trail (Security Hub keeps findings ~90 days). */
  history: z.array(z.object({ at: z.string(), what: z.string() })),
  /**
   * The store's version of this record: 0 until it is first stored. A write names the version it
   * read, and loses (ConcurrentUpdateError) if another write came first.
   */
  version: z.number().int().min(0).default(0),
});
export type Incident = z.infer<typeof IncidentSchema>;
