/**
 * The world file: the sandbox account's whole state, as DESIGN.md section 4 names it. Its field
 * names are part of the CLI contract (`simulate --world`, `simulate --json`'s `world`); fields
 * added here are optional, so a world written by hand from the design's example still loads.
 */
import { z } from 'zod';
import {
  AclSchema,
  OwnershipControlsSchema,
  PolicyDocumentSchema,
  type PublicAccessBlock,
  PublicAccessBlockSchema,
} from '../../tasks/shared/contracts.js';
import { InvalidInputError } from '../../tasks/shared/errors.js';
import { sha256Hex } from '../../tasks/shared/hash.js';
import { AsffFindingSchema } from './asff.js';
import { MacieWorldSchema } from './macie-world.js';

/**
 * The services a fault can be injected into: each is one SDK client, except `chat`, the chat
 * webhooks (Slack, Teams), which the sandbox answers the same way.
 */
export const SANDBOX_SERVICES = [
  's3',
  's3control',
  'securityhub',
  'ses',
  'sfn',
  'sts',
  'macie2',
  'chat',
] as const;
/** One of {@link SANDBOX_SERVICES}. */
export type SandboxService = (typeof SANDBOX_SERVICES)[number];

/**
 * Where a fault may be injected: the sandbox's services, and `dynamodb`, the incident store
 * (dynalite locally), whose calls the local environment intercepts the same way.
 */
export const FAULT_SERVICES = [...SANDBOX_SERVICES, 'dynamodb'] as const;
export type FaultService = (typeof FAULT_SERVICES)[number];

const ServiceStateSchema = z.enum(['enabled', 'disabled']);

/**
 * A bucket policy as stored: the document exactly as given (a single `Statement` object stays
 * one), checked against the classifier's schema so a broken world fails at load, not mid-run.
 */
const StoredPolicySchema = z.looseObject({}).superRefine((policy, ctx) => {
  const result = PolicyDocumentSchema.safeParse(policy);
  if (result.success) return;
  for (const issue of result.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: issue.path });
});

/** One object. `size` stands for a large object whose content does not matter. */
export const WorldObjectSchema = z.strictObject({
  body: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  contentType: z.string().optional(),
  /** GetObjectAcl shape; null is the default private ACL (owner FULL_CONTROL). */
  acl: AclSchema.nullable().default(null),
  /** ISO time of the last write, shown as LastModified. */
  lastModified: z.string().optional(),
});
/** One object after defaults. */
export type WorldObject = z.infer<typeof WorldObjectSchema>;

const BucketFieldsSchema = z.strictObject({
  /** The parsed policy document, or null; a world file may give the JSON text instead. */
  policy: z
    .union([z.string(), StoredPolicySchema], { error: 'expected a policy document or its JSON text' })
    .nullable()
    .default(null),
  /**
   * The policy text exactly as PutBucketPolicy received it, so a backup restores byte for
   * byte. Used only while it still parses to `policy` (see `policyTextOf`).
   */
  policyText: z.string().optional(),
  /**
   * What AWS says about the bucket's policy (GetBucketPolicyStatus's `{ IsPublic }`), where the
   * sandbox's own evaluator would answer otherwise: to play a case where AWS and the responder
   * read a policy differently. Absent or null: the evaluator decides. The override answers
   * GetBucketPolicyStatus and BlockPublicPolicy's refusal of PutBucketPolicy alike, and stays
   * when the policy is put or deleted (AWS's word on this bucket, until the world changes it);
   * with no policy, GetBucketPolicyStatus still answers NoSuchBucketPolicy.
   */
  policyStatus: z.strictObject({ IsPublic: z.boolean() }).nullable().optional(),
  /** GetBucketAcl shape; null is the default private ACL (owner FULL_CONTROL). */
  acl: AclSchema.nullable().default(null),
  publicAccessBlock: PublicAccessBlockSchema.nullable().default(null),
  ownershipControls: OwnershipControlsSchema.nullable().default(null),
  website: z.record(z.string(), z.unknown()).nullable().default(null),
  tags: z.record(z.string(), z.string()).default({}),
  objects: z.record(z.string(), WorldObjectSchema).default({}),
  /** The bucket's Region; the world's when left out. */
  region: z.string().min(1).optional(),
  /** The owner's canonical user ID; derived from the account ID when left out. */
  owner: z.string().min(1).optional(),
  /** ISO creation time, shown by ListBuckets. */
  createdAt: z.string().optional(),
});

/**
 * One bucket: its configuration in the SDK's shapes, and its objects. A policy given as the
 * JSON text GetBucketPolicy returns is parsed, and the text kept exactly.
 */
export const WorldBucketSchema = BucketFieldsSchema.transform((bucket, ctx) => {
  if (typeof bucket.policy !== 'string') return { ...bucket, policy: bucket.policy };
  const text = bucket.policy;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      path: ['policy'],
      message: `the policy text is not JSON (${String(error)})`,
    });
    return z.NEVER;
  }
  const document = StoredPolicySchema.safeParse(parsed);
  if (!document.success) {
    for (const issue of document.error.issues) {
      ctx.addIssue({ code: 'custom', path: ['policy', ...issue.path], message: issue.message });
    }
    return z.NEVER;
  }
  return { ...bucket, policy: document.data, policyText: text };
});
/** One bucket after defaults. */
export type WorldBucket = z.infer<typeof WorldBucketSchema>;

/**
 * An injected fault: the next `times` calls of `operation` (the SDK command name without
 * "Command") on `service`, optionally only for `bucket`, fail with `error` after `latencyMs`.
 * A fault without `error` only adds latency. A `stale` fault answers a read (Get…, List…,
 * Head…) from the world as it was before the last event was replayed, as S3's eventually
 * consistent bucket configuration can.
 */
/** Operations that only read: the ones a stale fault can answer from an earlier world. */
export function isRead(operation: string): boolean {
  return /^(Get|List|Head|Describe)/.test(operation);
}

export const FaultSchema = z
  .strictObject({
    service: z.enum(FAULT_SERVICES),
    operation: z.string().min(1),
    error: z.string().min(1).optional(),
    message: z.string().optional(),
    times: z.number().int().positive().default(1),
    bucket: z.string().min(1).optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    stale: z.boolean().optional(),
  })
  .refine((fault) => fault.error !== undefined || fault.latencyMs !== undefined || fault.stale === true, {
    message: 'a fault needs an error, a latencyMs or stale',
    path: ['error'],
  })
  .refine((fault) => fault.stale !== true || (fault.error === undefined && isRead(fault.operation)), {
    message:
      'a stale fault is a read (Get…, List…, Head…) answered from before the last change, without an error',
    path: ['stale'],
  });
/** A fault after defaults. */
export type Fault = z.infer<typeof FaultSchema>;
/** A fault as a world file or `injectFault` gives it. */
export type FaultInput = z.input<typeof FaultSchema>;

/** A multipart upload started with an ACL; the object appears, with that ACL, on completion. */
export const PendingUploadSchema = z.strictObject({
  bucket: z.string().min(1),
  key: z.string().min(1),
  uploadId: z.string().nullable(),
  acl: AclSchema.nullable(),
});
/** A multipart upload waiting for CompleteMultipartUpload. */
export type PendingUpload = z.infer<typeof PendingUploadSchema>;

/** S3's rule for bucket names, as the world file checks it. */
const BUCKET_NAME_LENGTH = 'a bucket name has 3 to 63 characters';

/** The world file (DESIGN.md section 4), plus the optional fields the sandbox adds. */
export const WorldSchema = z.strictObject({
  accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account ID'),
  region: z.string().min(1).default('us-east-1'),
  accountPublicAccessBlock: PublicAccessBlockSchema.nullable().default(null),
  services: z
    .strictObject({
      macie: ServiceStateSchema.default('enabled'),
      securityHub: ServiceStateSchema.default('enabled'),
    })
    .prefault({}),
  buckets: z
    .record(z.string().min(3, BUCKET_NAME_LENGTH).max(63, BUCKET_NAME_LENGTH), WorldBucketSchema)
    .default({}),
  /** Exception registry entries; their shape belongs to the exceptions module. */
  exceptions: z.array(z.looseObject({})).default([]),
  faults: z.array(FaultSchema).default([]),
  /** Security Hub findings (ASFF), keyed by Id and ProductArn. */
  securityHubFindings: z.array(AsffFindingSchema).default([]),
  multipartUploads: z.array(PendingUploadSchema).default([]),
  /** The sandbox Macie's settings, custom identifiers, jobs and findings (see macie-world.ts). */
  macie: MacieWorldSchema.optional(),
});
/** The world after validation and defaults: the sandbox's live state. */
export type World = z.infer<typeof WorldSchema>;
/** A world as a file gives it: optional fields may be left out. */
export type WorldInput = z.input<typeof WorldSchema>;

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(world)' : path.map(String).join('.');
}

/** Each issue as "field: problem"; a bad record key says what is wrong with the key. */
function describeWorldIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const message =
      issue.code === 'invalid_key' ? issue.issues.map((inner) => inner.message).join('; ') : issue.message;
    return `${formatPath(issue.path)}: ${message}`;
  });
}

/**
 * Validates a world, naming every bad field (`buckets.logs.acl.Grants.0.Permission: …`).
 *
 * @throws InvalidInputError when the world does not match {@link WorldSchema}.
 */
export function parseWorld(input: unknown, source = 'world'): World {
  const result = WorldSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = describeWorldIssues(result.error);
  throw new InvalidInputError(`${source} is not a valid world: ${issues.join('; ')}`, issues, {
    cause: result.error,
  });
}

/**
 * What a world file could not hold of `world`, one "field: problem" each; empty when it is
 * valid. A world that is saved with such a problem makes its state folder unloadable.
 */
export function worldIssues(world: unknown): string[] {
  const result = WorldSchema.safeParse(world);
  return result.success ? [] : describeWorldIssues(result.error);
}

/** A bucket with nothing configured, as the world file's defaults describe it. */
export function emptyBucket(): WorldBucket {
  return {
    policy: null,
    acl: null,
    publicAccessBlock: null,
    ownershipControls: null,
    website: null,
    tags: {},
    objects: {},
  };
}

/**
 * The canonical user IDs AWS documentation pairs with its example account IDs. The events/
 * samples use this pair, so a world on that account agrees with the samples' ACL owners.
 */
const DOCUMENTED_CANONICAL_IDS: Readonly<Record<string, string>> = {
  '111122223333': '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
};

/** The account's canonical user ID: documented for example accounts, else a stable hash. */
export function defaultCanonicalId(accountId: string): string {
  return DOCUMENTED_CANONICAL_IDS[accountId] ?? sha256Hex(`sandbox-canonical-user:${accountId}`);
}

/** The canonical ID that owns the bucket. */
export function bucketOwnerId(world: World, bucket: WorldBucket): string {
  return bucket.owner ?? defaultCanonicalId(world.accountId);
}

/** The bucket's Region. */
export function bucketRegion(world: World, bucket: WorldBucket): string {
  return bucket.region ?? world.region;
}

/** Bucket and account Block Public Access ORed, as S3 applies them. */
export function effectivePublicAccessBlock(world: World, bucket: WorldBucket): PublicAccessBlock {
  const b = bucket.publicAccessBlock;
  const a = world.accountPublicAccessBlock;
  return {
    BlockPublicAcls: (b?.BlockPublicAcls ?? false) || (a?.BlockPublicAcls ?? false),
    IgnorePublicAcls: (b?.IgnorePublicAcls ?? false) || (a?.IgnorePublicAcls ?? false),
    BlockPublicPolicy: (b?.BlockPublicPolicy ?? false) || (a?.BlockPublicPolicy ?? false),
    RestrictPublicBuckets: (b?.RestrictPublicBuckets ?? false) || (a?.RestrictPublicBuckets ?? false),
  };
}

/** Object Ownership, with no controls meaning ObjectWriter (ACLs enabled), as before April 2023. */
export function objectOwnership(bucket: WorldBucket): string {
  return bucket.ownershipControls?.Rules[0]?.ObjectOwnership ?? 'ObjectWriter';
}
