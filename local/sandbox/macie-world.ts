/**
 * The sandbox Macie's part of the world file: settings that decide how jobs end, the custom
 * data identifiers and allow lists a job may name, and the jobs and findings made so far. The
 * whole part is optional, so a world file without it still loads; it appears once a job runs.
 */
import { z } from 'zod';
import { type MacieJobStatus, MacieJobStatusSchema } from '../../tasks/shared/contracts.js';

/** Macie's job statuses (JobStatus), as DescribeClassificationJob reports them: Macie's own list. */
export const MACIE_JOB_STATUSES = MacieJobStatusSchema.options;
export type { MacieJobStatus };

/** Macie's managedDataIdentifierSelector values. */
export const MANAGED_DATA_IDENTIFIER_SELECTORS = [
  'ALL',
  'EXCLUDE',
  'INCLUDE',
  'NONE',
  'RECOMMENDED',
] as const;
export type ManagedDataIdentifierSelector = (typeof MANAGED_DATA_IDENTIFIER_SELECTORS)[number];

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'g');
    return true;
  } catch {
    return false;
  }
}

const RegexSchema = z.string().min(1).refine(compiles, { message: 'not a valid regular expression' });

/**
 * A custom data identifier (CreateCustomDataIdentifier's settings, JavaScript regex syntax):
 * text matching `regex`, preceded within `maximumMatchDistance` characters by one of the
 * `keywords` when there are any, and containing none of the `ignoreWords`. Its findings are
 * Medium, Macie's default without severity settings.
 */
export const CustomDataIdentifierSchema = z.strictObject({
  name: z.string().min(1),
  regex: RegexSchema,
  keywords: z.array(z.string().min(1)).default([]),
  maximumMatchDistance: z.number().int().min(1).max(300).default(50),
  ignoreWords: z.array(z.string().min(1)).default([]),
});
/** A custom data identifier after defaults. */
export type CustomDataIdentifier = z.infer<typeof CustomDataIdentifierSchema>;

/** An allow list: text Macie does not report, given as a regex or as exact entries. */
export const AllowListSchema = z
  .strictObject({
    name: z.string().min(1),
    regex: RegexSchema.optional(),
    entries: z.array(z.string().min(1)).optional(),
  })
  .refine((list) => (list.regex === undefined) !== (list.entries === undefined), {
    message: 'an allow list has either a regex or entries',
  });
/** An allow list. */
export type AllowList = z.infer<typeof AllowListSchema>;

/** What a job selected and read: the evidence that tests compare with the exposure. */
export const MacieScanSchema = z.strictObject({
  bucket: z.string(),
  /** Objects that matched the job's scope, before sampling. */
  eligibleObjects: z.number().int().nonnegative(),
  /** The keys the job analyses, in key order (after sampling). */
  keys: z.array(z.string()),
  /** The storage size of those objects, in bytes. */
  bytes: z.number().int().nonnegative(),
});
/** What a job selected and read. */
export type MacieScan = z.infer<typeof MacieScanSchema>;

/** A job as the sandbox keeps it: its request's settings, its schedule and what it scanned. */
export const MacieJobSchema = z.strictObject({
  jobId: z.string(),
  jobArn: z.string(),
  name: z.string(),
  description: z.string().optional(),
  clientToken: z.string(),
  createdAt: z.string(),
  jobStatus: z.enum(MACIE_JOB_STATUSES),
  /** When the job leaves RUNNING on its own, or null: never. */
  runsUntil: z.string().nullable(),
  /** The status it then takes (the world's `jobOutcome` when it was created). */
  endStatus: z.enum(MACIE_JOB_STATUSES),
  /** Whether the run ends with lastRunErrorStatus ERROR (the world's `lastRunError` then). */
  lastRunError: z.boolean(),
  /** When a person paused it (USER_PAUSED), for userPausedDetails. */
  userPausedAt: z.string().optional(),
  /** The request's settings, as sent (JSON). */
  s3JobDefinition: z.looseObject({}),
  samplingPercentage: z.number().int(),
  managedDataIdentifierSelector: z.enum(MANAGED_DATA_IDENTIFIER_SELECTORS),
  managedDataIdentifierIds: z.array(z.string()),
  customDataIdentifierIds: z.array(z.string()),
  allowListIds: z.array(z.string()),
  scan: MacieScanSchema,
});
/** A job as the sandbox keeps it. */
export type MacieJob = z.infer<typeof MacieJobSchema>;

/** A finding, in the shape GetFindings returns (dates as ISO text here). */
export const MacieFindingSchema = z.looseObject({
  id: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  classificationDetails: z.looseObject({ jobId: z.string() }),
  resourcesAffected: z.looseObject({ s3Bucket: z.looseObject({ name: z.string() }) }),
});
/** A finding as the sandbox keeps it. */
export type MacieFinding = z.infer<typeof MacieFindingSchema>;

/** The sandbox Macie's state in the world file (the top-level `macie` field). */
export const MacieWorldSchema = z.strictObject({
  /** How long, by the sandbox clock, a job stays RUNNING before it ends. */
  scanSeconds: z.number().int().nonnegative().default(0),
  /**
   * The status a job takes once `scanSeconds` have passed: COMPLETE (with findings), or another
   * status to play that case (PAUSED: the monthly quota ran out; CANCELLED; USER_PAUSED; IDLE;
   * RUNNING: it never ends). Read when a job is created.
   */
  jobOutcome: z.enum(MACIE_JOB_STATUSES).default('COMPLETE'),
  /** Jobs end with lastRunErrorStatus ERROR (some objects or buckets could not be read). */
  lastRunError: z.boolean().default(false),
  /** Custom data identifiers by id, for a job's customDataIdentifierIds. */
  customDataIdentifiers: z.record(z.string(), CustomDataIdentifierSchema).default({}),
  /** Allow lists by id, for a job's allowListIds. */
  allowLists: z.record(z.string(), AllowListSchema).default({}),
  jobs: z.array(MacieJobSchema).default([]),
  findings: z.array(MacieFindingSchema).default([]),
});
/** The sandbox Macie's state after defaults. */
export type MacieWorld = z.infer<typeof MacieWorldSchema>;

/** Macie's state with every default: what a world without a `macie` field means. */
export function emptyMacieWorld(): MacieWorld {
  return MacieWorldSchema.parse({});
}
