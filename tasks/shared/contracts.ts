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

/**
 * Why something is unknown: `unread` a part AWS did not let us read (an error code), `gone` an
 * object that no longer exists (not a gap), `undecided` read but not decidable here (an unknown
 * owner, access point delegation), `disagreement` AWS's `policyStatus` and our reading differ
 * (everything was read; AWS's word decides), `unseen` an event's change toward public that the
 * read does not show yet (S3's configuration is eventually consistent). Decisions read this,
 * never the wording of `why`.
 */
export const UnknownKindSchema = z.enum(['unread', 'gone', 'undecided', 'disagreement', 'unseen']);
export type UnknownKind = z.infer<typeof UnknownKindSchema>;

export const UnknownSchema = z.object({
  part: z.string(),
  key: z.string().optional(),
  why: z.string(),
  kind: UnknownKindSchema.default('unread'),
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

/**
 * What the request itself asked for. A witness only: the classifier re-reads the configuration.
 * `bpa`, `objectOwnership` and `policyText` are present only when the request carried them.
 */
export const RequestedSchema = z.object({
  publicAcl: z.boolean(),
  bpa: PublicAccessBlockSchema.optional(),
  objectOwnership: z.string().optional(),
  policyText: z.string().optional(),
  /** Whether the requested policy lets the public in on its own (see unseen-changes.ts). */
  publicPolicy: z.boolean().optional(),
});
/** What the request itself asked for. */
export type Requested = z.infer<typeof RequestedSchema>;

/** One CloudTrail event as an incident records it: a trigger and a witness. */
export const IncidentEventSchema = z.object({
  eventID: z.string(),
  eventName: z.string(),
  actor: z.string().nullable(),
  sourceIp: z.string().nullable(),
  time: z.string(),
  keys: z.array(z.string()),
  /** What the call asked for (without the policy text): what a read after it should show. */
  requested: RequestedSchema.optional(),
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

// ---- Macie's answer on an incident ------------------------------------------------------

/** Macie's job statuses (DescribeClassificationJob's jobStatus). */
export const MacieJobStatusSchema = z.enum([
  'RUNNING',
  'PAUSED',
  'USER_PAUSED',
  'IDLE',
  'CANCELLED',
  'COMPLETE',
]);
export type MacieJobStatus = z.infer<typeof MacieJobStatusSchema>;

/** Macie's severity levels, lowest first. */
export const MacieSeveritySchema = z.enum(['Low', 'Medium', 'High']);
export type MacieSeverity = z.infer<typeof MacieSeveritySchema>;

/**
 * Why no scan ran: the configuration said never (`configNever`), the exposure is not public
 * (`notPublic`) or below the configured severity (`belowSeverity`), only latent (`latentOnly`),
 * write-only (`writeOnly`), public only as a listing or an ACL (`noContentExposed`), or the
 * bucket holds nothing (`emptyBucket`).
 */
export const MacieSkipReasonSchema = z.enum([
  'configNever',
  'notPublic',
  'belowSeverity',
  'latentOnly',
  'writeOnly',
  'noContentExposed',
  'emptyBucket',
  'bucketGone',
]);
export type MacieSkipReason = z.infer<typeof MacieSkipReasonSchema>;

/** The named Macie failures: recorded on the incident and the finding; the workflow goes on. */
export const MacieErrorNameSchema = z.enum([
  'MacieNotEnabledError',
  'MacieAccessDeniedError',
  'MacieQuotaExceededError',
  'MacieThrottledError',
  'MacieJobFailedError',
]);
export type MacieErrorName = z.infer<typeof MacieErrorNameSchema>;

/**
 * What a scan covers: the affected keys (`objects`) or public prefixes (`prefixes`), each an
 * OBJECT_KEY STARTS_WITH value, or the whole bucket (`bucket`, sampled). A value may also match
 * keys that merely begin with it: `prefixes` says which values those are.
 */
export const MacieScopeSchema = z.object({
  kind: z.enum(['objects', 'prefixes', 'bucket']),
  prefixes: z.array(z.string()),
  samplingPercentage: z.number().int().min(1).max(100),
  maxObjectSizeBytes: z.number().int().nullable(),
  /** The affected keys were too many for one job and were widened to shared prefixes. */
  widened: z.boolean(),
  /** The scope in plain words, including what else it may scan and what it costs. */
  why: z.string(),
});
export type MacieScope = z.infer<typeof MacieScopeSchema>;

/**
 * `incident.macie`: what the scan found, as Macie names it (categories and detection types with
 * counts), the objects affected and Macie's highest severity; never the sensitive values.
 * `outcome`: found, nothingFound, skipped (`skipReason`), incomplete (deadline passed or the job
 * stopped: `status` says how), failed (`error`).
 */
export const MacieSummarySchema = z.object({
  outcome: z.enum(['pending', 'found', 'nothingFound', 'skipped', 'incomplete', 'failed']),
  /** Why, in plain words: the skip, the failure, or how the job ended. */
  reason: z.string().nullable(),
  skipReason: MacieSkipReasonSchema.nullable(),
  error: MacieErrorNameSchema.nullable(),
  jobId: z.string().nullable(),
  status: MacieJobStatusSchema.nullable(),
  scope: MacieScopeSchema.nullable(),
  objectsScanned: z.number().int().min(0).nullable(),
  bytesScanned: z.number().int().min(0).nullable(),
  /** `macie`: Macie's own figure; `estimate`: the sizes of the objects in scope (Macie gives no job total). */
  bytesSource: z.enum(['macie', 'estimate']).nullable(),
  /** Occurrences per sensitive data category (FINANCIAL_INFORMATION, CREDENTIALS, …). */
  categories: z.record(z.string(), z.number().int().min(0)),
  /** Occurrences per detection type (CREDIT_CARD_NUMBER, AWS_CREDENTIALS, …; custom identifiers by name). */
  detections: z.record(z.string(), z.number().int().min(0)),
  /** Findings per Macie finding type (SensitiveData:S3Object/Financial, …). */
  findingTypes: z.record(z.string(), z.number().int().min(0)),
  highestSeverity: MacieSeveritySchema.nullable(),
  /** The objects with sensitive data (the first MAX_AFFECTED_KEYS; `affectedObjects` counts them all). */
  affectedKeys: z.array(z.string()),
  affectedObjects: z.number().int().min(0),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type MacieSummary = z.infer<typeof MacieSummarySchema>;

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
  macie: MacieSummarySchema.nullable(),
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

// ---- Approval -------------------------------------------------------------------------------
// A request for a person's decision on one plan. The record never holds the task token: that
// lives in an item of its own, read only to answer the workflow and deleted once decided.

export const ApprovalStatusSchema = z.enum(['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'SUPERSEDED']);
export type ApprovalStatus = z.infer<typeof ApprovalStatusSchema>;

/** A decision on an approval, by a person through the page or by the system (a Macie result). */
export const ApprovalDecisionSchema = z.object({
  decision: z.enum(['APPROVED', 'REJECTED']),
  /** The approver's address (the signed link's recipient), or "system". */
  approver: z.string().min(1),
  by: z.enum(['person', 'system']),
  at: z.iso.datetime(),
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
  reason: z.string().max(1_000).nullable(),
  /** REJECTED as intended until this time: an exception for exactly these vectors is registered. */
  intendedUntil: z.iso.datetime().nullable(),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

/** The 128-bit random id of an approval, as 32 lowercase hex digits. */
export const ApprovalIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'an approval id: 32 hex digits');

export const ApprovalRecordSchema = z.object({
  approvalId: ApprovalIdSchema,
  incidentId: z.string().min(1),
  executionId: z.string().min(1),
  bucket: z.string().min(1),
  accountId: z.string().min(1),
  region: z.string().min(1),
  /** What is public and why, in plain words (the verdict's summary and reasons). */
  summary: z.string(),
  reasons: z.array(z.string()),
  severity: SeveritySchema,
  /** The exact mitigations asked about, bound by `planHash`: an approval approves this plan only. */
  plan: z.object({
    hash: z.string().min(1),
    /** The ways in the plan closes: a fix after approval touches these and nothing new. */
    vectors: z.array(VectorSchema),
    mitigations: z.array(MitigationSchema),
    changes: z.array(z.string()),
    blastRadius: z.array(z.string()),
  }),
  /** Where the backup of the bucket's configuration goes before anything changes. */
  backupLocation: z.string().nullable(),
  approvers: z.array(z.string().min(1)).min(1),
  /**
   * Buckets marked high-risk: the page asks the approver to type the bucket name and a one-time
   * code sent in a message of its own. Only the codes' hashes are kept, per approver (lowercase).
   */
  highRisk: z.boolean(),
  codeHashes: z.record(z.string(), z.string()).default({}),
  /** One-time code tries so far: past MAX_CODE_FAILURES the request can no longer be decided. */
  codeFailures: z.number().int().min(0).default(0),
  /** Approvers the request was sent to (lowercase): a retried RequestApproval sends only the rest. */
  sentTo: z.array(z.string()).default([]),
  /** Approvers whose request bounced (lowercase): they cannot decide; none left ends the wait. */
  bounced: z.array(z.string()).default([]),
  requestedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  status: ApprovalStatusSchema,
  decision: ApprovalDecisionSchema.nullable(),
  /** The approval that replaced this one (a wider exposure during the wait), or null. */
  supersededBy: z.string().nullable(),
  /** Macie's status for the incident, as the page shows it (null until the scan issue). */
  macie: z.string().nullable(),
  version: z.number().int().min(0).default(0),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecordSchema>;

// ---- Configuration ---------------------------------------------------------------------
// One JSON document (`--config FILE` locally; the stack's props in AWS, read by the first task).
// It travels in the workflow's state, so the ASL never needs it substituted in.

export const ResponseModeSchema = z.enum(['auto', 'approve', 'notify']);
export type ResponseMode = z.infer<typeof ResponseModeSchema>;

const Email = z.email();

export const ChatKindSchema = z.enum(['slack', 'teams']);
export type ChatKind = z.infer<typeof ChatKindSchema>;

/** A chat channel: its name (the key of its webhook URL in the secret) and its kind. */
export const ChatChannelSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a channel name is 1 to 64 of a-z 0-9 -'),
  kind: ChatKindSchema,
});
export type ChatChannel = z.infer<typeof ChatChannelSchema>;

// ---- Macie ---------------------------------------------------------------------------------
// The sensitive data scan of what an exposure made public (DESIGN.md section 2, the scan branch).

/**
 * When the scan runs: `public` (the default) whenever the exposure is effectively public read or
 * write; `always` for every incident; `never`; or `{ atLeast }` at or above a verdict severity.
 * Whatever it says, a latent-only, write-only or listing-only exposure, or an empty bucket, is
 * skipped with its reason: nothing readable to scan.
 */
export const MacieWhenSchema = z.union([
  z.enum(['always', 'never', 'public']),
  z.strictObject({ atLeast: SeveritySchema }),
]);
export type MacieWhen = z.infer<typeof MacieWhenSchema>;

export const MacieConfigSchema = z
  .strictObject({
    when: MacieWhenSchema.default('public'),
    /**
     * The share of objects a whole-bucket scan analyses (Macie's samplingPercentage), so its cost
     * is bounded; the affected keys and a public prefix are always scanned whole.
     */
    samplingPercentage: z.number().int().min(1).max(100).default(10),
    /** Objects this large or larger are left out of prefix and bucket scans (an OBJECT_SIZE LT term). */
    maxObjectSizeBytes: z
      .number()
      .int()
      .min(1)
      .default(10 * 1024 * 1024),
    /** Macie's managed data identifiers: its recommended set by default. */
    managedDataIdentifierSelector: z.enum(['RECOMMENDED', 'ALL', 'NONE']).default('RECOMMENDED'),
    customDataIdentifierIds: z.array(z.string().min(1)).default([]),
    allowListIds: z.array(z.string().min(1)).default([]),
    /** How long the workflow waits between two looks at the job (the Wait state's SecondsPath). */
    pollSeconds: z.number().int().min(1).max(3_600).default(60),
    /** After this long the scan counts as incomplete: recorded, and the job cancelled. */
    deadlineSeconds: z.number().int().min(60).max(604_800, 'at most 7 days').default(7_200),
    /** Sensitive data found decides a pending approval as the system: contain at once. */
    containOnSensitiveData: z.boolean().default(false),
  })
  .refine((m) => m.managedDataIdentifierSelector !== 'NONE' || m.customDataIdentifierIds.length > 0, {
    message: 'a scan without managed data identifiers needs customDataIdentifierIds',
    path: ['customDataIdentifierIds'],
  });
export type MacieConfig = z.infer<typeof MacieConfigSchema>;

export const ResponderConfigSchema = z.strictObject({
  /** Who gets the alert for each exposure: at least one address, or alerts would go nowhere. */
  recipients: z.strictObject({ email: z.array(Email).min(1, 'at least one recipient') }),
  /** Who hears about failures of the responder itself. */
  operators: z.strictObject({ email: z.array(Email).default([]) }).default({ email: [] }),
  /** The sender address (an SES identity in AWS). */
  sender: Email.default('s3-exposure-responder@example.com'),
  /**
   * Response mode: per bucket first, then per severity, then the default (notify; approve asks
   * the approvers through signed links, auto fixes at once).
   */
  modes: z
    .strictObject({
      default: ResponseModeSchema.default('notify'),
      bySeverity: z.partialRecord(SeveritySchema, ResponseModeSchema).default({}),
      byBucket: z.record(z.string(), ResponseModeSchema).default({}),
    })
    .default({ default: 'notify', bySeverity: {}, byBucket: {} }),
  /** Our own roles: changes they make are the responder's, and never start a response. */
  ownRoleArns: z.array(z.string().startsWith('arn:')).default([]),
  /**
   * The accounts this deployment answers for; empty means the responder's own account. An event
   * from any other account is refused and recorded, never turned into an incident.
   */
  accounts: z.array(z.string().regex(/^\d{12}$/, 'a 12-digit account ID')).default([]),
  exceptions: z
    .strictObject({
      /** Honour exceptions declared by bucket tag (off: whoever can make a bucket public can usually tag it). */
      byTag: z.boolean().default(false),
      tagKey: z.string().default('s3-exposure-exception'),
      /** How long the exception a rollback registers lasts, so the responder does not undo it again. */
      rollbackDays: z.number().int().min(1).max(365).default(7),
    })
    .default({ byTag: false, tagKey: 's3-exposure-exception', rollbackDays: 7 }),
  remediation: z
    .strictObject({
      /** Fix with bucket Block Public Access instead of removing statements and grants. */
      preferBlockPublicAccess: z.boolean().default(false),
      /** Object ACLs fixed one by one at most; beyond that, bucket Block Public Access. */
      maxObjectKeys: z.number().int().min(0).max(1_000).default(100),
      /** Re-reads after a change (S3 configuration reads are eventually consistent). */
      verifyAttempts: z.number().int().min(1).max(20).default(5),
      verifyDelaySeconds: z.number().int().min(0).max(300).default(2),
      /** Where backups go: an S3 bucket of the account (versioned, encrypted, private). */
      evidenceBucket: z.string().min(3).optional(),
    })
    .default({
      preferBlockPublicAccess: false,
      maxObjectKeys: 100,
      verifyAttempts: 5,
      verifyDelaySeconds: 2,
    }),
  /** An exposure that keeps coming back escalates to notify instead of flapping. */
  recurrence: z
    .strictObject({ count: z.number().int().min(1).default(3), periodHours: z.number().min(1).default(24) })
    .default({ count: 3, periodHours: 24 }),
  /** Who decides in mode approve, apart from who is alerted: per bucket, then per severity, then the default. */
  approval: z
    .strictObject({
      approvers: z
        .strictObject({
          default: z.array(Email).default([]),
          bySeverity: z.partialRecord(SeveritySchema, z.array(Email)).default({}),
          byBucket: z.record(z.string(), z.array(Email)).default({}),
        })
        .default({ default: [], bySeverity: {}, byBucket: {} }),
      /** Buckets whose approval page asks the approver to type the bucket name. */
      highRiskBuckets: z.array(z.string()).default([]),
      /** At most one supersession of a pending approval per this many seconds. */
      recheckSeconds: z.number().int().min(10).max(3_600).default(60),
    })
    .default({
      approvers: { default: [], bySeverity: {}, byBucket: {} },
      highRiskBuckets: [],
      recheckSeconds: 60,
    }),
  /**
   * Chat channels that get the approval's status (requested, decided, expired, superseded) and
   * the closing notice, with a link to the page. Each channel's webhook URL is a secret: in AWS
   * it comes from the Secrets Manager secret the stack names, keyed by the channel's name.
   */
  chat: z.strictObject({ channels: z.array(ChatChannelSchema).default([]) }).default({ channels: [] }),
  timings: z
    .strictObject({
      /** How long a bucket's lease lasts without renewal; longer than the longest legitimate run. */
      leaseSeconds: z.number().int().min(60).default(900),
      /** How long an approval waits for a decision: Step Functions' TimeoutSeconds on RequestApproval. */
      approvalTtlSeconds: z.number().int().min(60).max(604_800, 'at most 7 days').default(86_400),
    })
    .default({ leaseSeconds: 900, approvalTtlSeconds: 86_400 }),
  limits: z
    .strictObject({
      /** Objects whose ACLs are read when a bucket-level change may uncover object ACLs. */
      objectScanLimit: z.number().int().min(0).max(10_000).default(1_000),
      /** Buckets an account-level Block Public Access change may fan out to. */
      fanOutBucketLimit: z.number().int().min(1).max(1_000).default(200),
      objectAclConcurrency: z.number().int().min(1).max(64).default(8),
      /**
       * Classifications one execution makes before it hands the bucket to a fresh execution:
       * a script that keeps emitting events must not drive one execution toward Step Functions'
       * limit of 25,000 history events.
       */
      maxRounds: z.number().int().min(2).max(200).default(20),
    })
    .default({ objectScanLimit: 1_000, fanOutBucketLimit: 200, objectAclConcurrency: 8, maxRounds: 20 }),
  /** The Macie scan of what became public (see MacieConfigSchema). */
  macie: MacieConfigSchema.prefault({}),
  /** Where links in messages point: the Step Functions console in AWS, the local console here. */
  consoleBaseUrl: z.url().default('https://console.aws.amazon.com'),
});
export type ResponderConfig = z.infer<typeof ResponderConfigSchema>;
export type ResponderConfigInput = z.input<typeof ResponderConfigSchema>;

// ---- The trigger: what NormalizeEvent makes of a CloudTrail event -------------------------

/** Who made the call. `sessionIssuerArn` is the role behind an assumed-role session. */
export const ActorSchema = z.object({
  type: z.string(),
  arn: z.string().nullable(),
  principalId: z.string().nullable(),
  accountId: z.string().nullable(),
  sessionIssuerArn: z.string().nullable(),
});
/** Who made the call. */
export type Actor = z.infer<typeof ActorSchema>;

/** The trigger NormalizeEvent hands on. `bucket` is null only for account-level BPA events. */
export const TriggerSchema = z.object({
  eventID: z.string().min(1),
  eventName: z.string().min(1),
  eventTime: z.iso.datetime(),
  accountId: z.string().min(1),
  region: z.string().min(1),
  bucket: z.string().min(1).nullable(),
  keys: z.array(z.string()),
  actor: ActorSchema,
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
  scope: z.enum(['bucket', 'object', 'account']),
  requested: RequestedSchema,
});
/** The trigger NormalizeEvent hands on. */
export type Trigger = z.infer<typeof TriggerSchema>;

// ---- The workflow state --------------------------------------------------------------------
// What travels between the states. It stays small (ids, counts and summaries): keys, ACLs and
// verdicts live in the incident store, because Step Functions limits each state's input and
// output to 256 KB. Every key a task or the ASL writes is named here, and nothing else is accepted.

export const IntakeSchema = z.object({
  /**
   * exposure: respond; account: fan out to buckets; scan: the Macie scan of an incident (an
   * execution NotifyRecipients starts); ignore: a failed call, our own change, or irrelevant.
   */
  kind: z.enum(['exposure', 'account', 'scan', 'ignore']),
  reason: z.string(),
});

export const RegistrationSchema = z.object({
  /** owner: this execution holds the bucket; joined: another does, and has this event now; duplicate: seen before. */
  role: z.enum(['owner', 'joined', 'duplicate']),
  holder: z.string().nullable(),
  /**
   * Joined while the holder waits on an approval, and the exposure now goes beyond its plan: the
   * approval to supersede, and not before when (one supersession per recheck window).
   */
  supersede: z.object({ approvalId: z.string(), notBefore: z.iso.datetime() }).optional(),
});

export const AssessmentSchema = z.object({
  /**
   * public: a new or wider exposure to report; partial: could not fully assess; notPublic: nothing
   * to answer (and an open incident, if any, closes); alreadyReported: the open incident's exposure.
   */
  outcome: z.enum(['public', 'partial', 'notPublic', 'alreadyReported', 'excepted']),
  incidentId: z.string().nullable(),
  severity: SeveritySchema,
  fingerprint: z.string(),
  summary: z.string(),
  vectorCount: z.number().int(),
  keyCount: z.number().int(),
  /** The incident's response mode, for the workflow's choice. */
  mode: z.enum(['auto', 'approve', 'notify']),
  /** The exception that covers the exposure, when the outcome is excepted. */
  exceptionId: z.string().nullable(),
});

export const FindingStepSchema = z.object({
  findingId: z.string().nullable(),
  written: z.boolean(),
  /** Why it was not written (for example Security Hub not enabled), or null. */
  problem: z.string().nullable(),
});

export const RemediationStepSchema = z.object({
  /** applied: changes made, to verify; notPublic: nothing to do any more; newVectorsOnly: a new decision is needed. */
  outcome: z.enum(['applied', 'notPublic', 'newVectorsOnly']),
  backupLocation: z.string().nullable(),
  actions: z.number().int(),
  vectorsLeft: z.number().int(),
});

export const VerificationSchema = z.object({
  /** The ways in that were fixed are gone from a fresh read. */
  verified: z.boolean(),
  /** The bucket is still public some other way (a new decision follows). */
  stillPublic: z.boolean(),
  attempts: z.number().int(),
});

export const ErrorInfoSchema = z.object({ Error: z.string(), Cause: z.unknown().optional() });

/**
 * What an approver decided, as the approval page sends it back to the waiting RequestApproval
 * task (SendTaskSuccess). The plan hash binds the decision to the plan the approver saw.
 */
export const ApprovalOutcomeSchema = z.object({
  approvalId: z.string(),
  decision: z.enum(['APPROVED', 'REJECTED']),
  approver: z.string(),
  by: z.enum(['person', 'system']),
  at: z.string(),
  planHash: z.string(),
});
export type ApprovalOutcome = z.infer<typeof ApprovalOutcomeSchema>;

/** What starts a Macie scan execution: the incident to scan (NotifyRecipients sends it). */
export const MacieScanRequestSchema = z.strictObject({
  macieScan: z.strictObject({
    incidentId: z.string().min(1),
    accountId: z.string().regex(/^\d{12}$/),
    bucket: z.string().min(3),
    region: z.string().min(1),
  }),
});
export type MacieScanRequest = z.infer<typeof MacieScanRequestSchema>['macieScan'];

/**
 * A scan execution's progress: the job, when it started, and what comes next (IsTheScanDone?
 * routes on `next`; WaitForScan waits `pollSeconds`). Counts and ids only: findings live on the
 * incident.
 */
export const ScanStateSchema = z.object({
  incidentId: z.string().min(1),
  accountId: z.string(),
  bucket: z.string(),
  region: z.string(),
  next: z.enum(['start', 'wait', 'collect', 'done']),
  jobId: z.string().nullable(),
  startedAt: z.iso.datetime().nullable(),
  scope: MacieScopeSchema.nullable(),
  pollSeconds: z.number().int().min(1),
  /** How the job ended when it did not complete (the deadline, a cancellation, a pause). */
  incomplete: z.string().nullable(),
  /** A named Macie failure met on the way (a quota pause), recorded with the summary. */
  error: z.string().nullable(),
  /** The status Macie last reported. */
  status: MacieJobStatusSchema.nullable(),
  /** How many times the job was looked at. */
  checks: z.number().int().min(0),
  /** Macie's lastRunErrorStatus was ERROR: it could not read some objects. */
  runErrors: z.boolean().default(false),
});
export type ScanState = z.infer<typeof ScanStateSchema>;

export const WorkflowStateSchema = z.strictObject({
  executionId: z.string().min(1),
  config: ResponderConfigSchema,
  intake: IntakeSchema,
  trigger: TriggerSchema.nullable(),
  registration: RegistrationSchema.optional(),
  /**
   * How many times this execution has classified the bucket. Every state after a classification
   * carries it, so the same state in a later round has a different input (retries are recognised
   * by their input, see TaskRuns) and the loops can be bounded.
   */
  round: z.number().int().min(0).optional(),
  /**
   * Set by the state machine once ClassifyExposure's retries for a change the reads did not show
   * yet are used up: the next classification reports it as unseen rather than waiting again.
   */
  changeNotVisible: z.boolean().optional(),
  assessment: AssessmentSchema.optional(),
  finding: FindingStepSchema.optional(),
  close: z.object({ reason: ClosedReasonSchema }).optional(),
  lease: z.object({ outcome: z.enum(['released', 'moreEvents', 'notHeld']) }).optional(),
  /** The decision of the approval this round asked for (mode approve). */
  approval: ApprovalOutcomeSchema.optional(),
  remediation: RemediationStepSchema.optional(),
  verification: VerificationSchema.optional(),
  /** The CloudTrail event of an account-level change, kept for the fan-out (NormalizeEvent). */
  accountEvent: z.record(z.string(), z.unknown()).optional(),
  /** Written by the ASL: ClassifyExposure's Catch of BucketNotFoundError. */
  bucketGone: ErrorInfoSchema.optional(),
  /** Written by the ASL: WriteFinding's Catch (Security Hub failed or not enabled); the alert says so. */
  findingError: ErrorInfoSchema.optional(),
  /** Written by the ASL: NotifyRecipients' Catch. The response goes on; the execution ends in ReportFailure. */
  notifyError: ErrorInfoSchema.optional(),
  /** Written by the ASL: MarkFindingNotified's Catch. The response goes on; the execution ends in ReportFailure. */
  markError: ErrorInfoSchema.optional(),
  /** Written by the ASL: the Catch of every Task, for ReportFailure. */
  error: ErrorInfoSchema.optional(),
  /** Written by the ASL: ReportFailure's own Catch, when nobody could be told. */
  reportError: ErrorInfoSchema.optional(),
  /** Set when this execution reached `limits.maxRounds` and handed the bucket to a fresh execution. */
  handedOver: z.object({ to: z.string(), rounds: z.number().int() }).optional(),
  /** What FanOutAccountChange did: buckets checked, executions started (the first 50 named). */
  fanOut: z
    .object({
      bucketsChecked: z.number().int(),
      truncated: z.boolean(),
      limit: z.number().int(),
      started: z.number().int(),
      buckets: z.array(z.string()),
    })
    .optional(),
  /** What ReportFailure managed to do, in words. */
  failureReport: z.array(z.string()).optional(),
  /** A Macie scan execution's progress (intake kind `scan`). */
  scan: ScanStateSchema.optional(),
});
export type WorkflowState = z.infer<typeof WorkflowStateSchema>;
export type Assessment = z.infer<typeof AssessmentSchema>;
