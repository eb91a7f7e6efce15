/**
 * The responder's configuration: one JSON document (`--config FILE` locally; the stack's props
 * in AWS, passed to the first task). It travels in the workflow's state, so the ASL never
 * needs it substituted in.
 */
import { z } from 'zod';
import { SeveritySchema } from './contracts.js';
import { parseOrThrow } from './validation.js';

export const ResponseModeSchema = z.enum(['auto', 'approve', 'notify']);
export type ResponseMode = z.infer<typeof ResponseModeSchema>;

const Email = z.email();

export const ResponderConfigSchema = z.strictObject({
  /** Who gets the alert for each exposure: at least one address, or alerts would go nowhere. */
  recipients: z.strictObject({ email: z.array(Email).min(1, 'at least one recipient') }),
  /** Who hears about failures of the responder itself. */
  operators: z.strictObject({ email: z.array(Email).default([]) }).default({ email: [] }),
  /** The sender address (an SES identity in AWS). */
  sender: Email.default('s3-exposure-responder@example.com'),
  /** Response mode: per bucket first, then per severity, then the default. */
  modes: z
    .strictObject({
      default: ResponseModeSchema.default('approve'),
      bySeverity: z.partialRecord(SeveritySchema, ResponseModeSchema).default({}),
      byBucket: z.record(z.string(), ResponseModeSchema).default({}),
    })
    .default({ default: 'approve', bySeverity: {}, byBucket: {} }),
  /** Our own roles: changes they make are the responder's, and never start a response. */
  ownRoleArns: z.array(z.string().startsWith('arn:')).default([]),
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
  timings: z
    .strictObject({
      /** How long a bucket's lease lasts without renewal; longer than the longest legitimate run. */
      leaseSeconds: z.number().int().min(60).default(900),
      approvalTtlSeconds: z.number().int().min(60).default(86_400),
    })
    .default({ leaseSeconds: 900, approvalTtlSeconds: 86_400 }),
  limits: z
    .strictObject({
      /** Objects whose ACLs are read when a bucket-level change may uncover object ACLs. */
      objectScanLimit: z.number().int().min(0).max(10_000).default(1_000),
      /** Buckets an account-level Block Public Access change may fan out to. */
      fanOutBucketLimit: z.number().int().min(1).max(1_000).default(200),
      objectAclConcurrency: z.number().int().min(1).max(64).default(8),
    })
    .default({ objectScanLimit: 1_000, fanOutBucketLimit: 200, objectAclConcurrency: 8 }),
  /** Where links in messages point: the Step Functions console in AWS, the local console here. */
  consoleBaseUrl: z.url().default('https://console.aws.amazon.com'),
});
export type ResponderConfig = z.infer<typeof ResponderConfigSchema>;
export type ResponderConfigInput = z.input<typeof ResponderConfigSchema>;

/** Parses a configuration document, or throws InvalidInputError naming the field. */
export function parseConfig(value: unknown): ResponderConfig {
  return parseOrThrow(ResponderConfigSchema, value, 'configuration');
}

/** The response mode for a bucket and severity, and why it was chosen. */
export function chooseMode(
  config: ResponderConfig,
  bucket: string,
  severity: z.infer<typeof SeveritySchema>,
): { mode: ResponseMode; reason: string } {
  const byBucket = config.modes.byBucket[bucket];
  if (byBucket) return { mode: byBucket, reason: `bucket ${bucket} is configured for ${byBucket}` };
  const bySeverity = config.modes.bySeverity[severity];
  if (bySeverity) return { mode: bySeverity, reason: `severity ${severity} is configured for ${bySeverity}` };
  return { mode: config.modes.default, reason: `the default mode is ${config.modes.default}` };
}
