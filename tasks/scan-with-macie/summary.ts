/**
 * `incident.macie` from what Macie answered (pure): how a job's status moves the workflow on,
 * and the summary of its findings, as Macie names them (categories, detection types and
 * finding types with counts, the affected keys, the highest severity). Only counts, names and
 * keys are read from a finding: never a sensitive value, and never its occurrence locations.
 */
import type { Finding } from '@aws-sdk/client-macie2';
import {
  type MacieConfig,
  MacieErrorNameSchema,
  type MacieJobStatus,
  type MacieScope,
  type MacieSeverity,
  MacieSeveritySchema,
  type MacieSummary,
} from '../shared/contracts.js';
import { MacieQuotaExceededError, type MacieScanError } from './errors.js';
import type { ScanSkip } from './scope.js';

/** At most this many affected keys on the incident; `affectedObjects` counts them all. */
export const MAX_AFFECTED_KEYS = 100;

const EMPTY_RESULT = {
  objectsScanned: null,
  bytesScanned: null,
  bytesSource: null,
  categories: {},
  detections: {},
  findingTypes: {},
  highestSeverity: null,
  affectedKeys: [],
  affectedObjects: 0,
} as const satisfies Partial<MacieSummary>;

/** The summary of a scan that did not run. */
export function skippedSummary(skip: ScanSkip): MacieSummary {
  return {
    outcome: 'skipped',
    reason: skip.reason,
    skipReason: skip.skipReason,
    error: null,
    jobId: null,
    status: null,
    scope: null,
    ...EMPTY_RESULT,
    startedAt: null,
    finishedAt: null,
  };
}

/** The summary while the job runs: the approval page shows it as progress. */
export function pendingSummary(scope: MacieScope, jobId: string, startedAt: string): MacieSummary {
  return {
    outcome: 'pending',
    reason: `scanning ${scope.why}`,
    skipReason: null,
    error: null,
    jobId,
    status: 'RUNNING',
    scope,
    ...EMPTY_RESULT,
    startedAt,
    finishedAt: null,
  };
}

/** The summary of a named Macie failure: the workflow goes on without the scan. */
export function failedSummary(
  error: MacieScanError,
  at: {
    readonly scope: MacieScope | null;
    readonly jobId: string | null;
    readonly startedAt: string | null;
    readonly now: string;
  },
): MacieSummary {
  return {
    outcome: 'failed',
    reason: error.message,
    skipReason: null,
    // Every MacieScanError subclass is named in the schema; a future one not yet listed reads as a failed job.
    error: MacieErrorNameSchema.catch('MacieJobFailedError').parse(error.name),
    jobId: at.jobId,
    status: null,
    scope: at.scope,
    ...EMPTY_RESULT,
    startedAt: at.startedAt,
    finishedAt: at.now,
  };
}

// ---- How a status moves the workflow ----------------------------------------------------

/**
 * What the scan branch does next: `wait` (look again after `pollSeconds`), `collect` (list and
 * summarize the findings), `cancel` (cancel the job, then collect what it found so far).
 */
export interface ScanProgress {
  readonly next: 'wait' | 'collect' | 'cancel';
  /** How the job ended when it did not complete, in plain words; null while waiting or complete. */
  readonly incomplete: string | null;
  /** The named failure the status stands for, if any (PAUSED: the monthly quota). */
  readonly error: MacieScanError | null;
}

/**
 * Every status Macie reports has a defined outcome. RUNNING and USER_PAUSED (a person may resume
 * it) wait until the deadline, which cancels the job; COMPLETE and IDLE (a run that is over)
 * collect; PAUSED (Macie's monthly quota is used up; it would resume next month) is cancelled
 * and collected as incomplete; CANCELLED is collected as incomplete.
 */
export function scanProgress(
  status: MacieJobStatus,
  timing: { readonly startedAt: string; readonly now: string },
  config: Pick<MacieConfig, 'deadlineSeconds'>,
): ScanProgress {
  const deadline = Date.parse(timing.startedAt) + config.deadlineSeconds * 1000;
  const late = Date.parse(timing.now) >= deadline;
  switch (status) {
    case 'COMPLETE':
    case 'IDLE':
      return { next: 'collect', incomplete: null, error: null };
    case 'CANCELLED':
      return { next: 'collect', incomplete: 'the job was cancelled before it finished', error: null };
    case 'PAUSED':
      return {
        next: 'cancel',
        incomplete: "Macie paused the job: the account's monthly sensitive data discovery quota is used up",
        error: new MacieQuotaExceededError('DescribeClassificationJob: PAUSED for the monthly quota'),
      };
    default:
      return late
        ? {
            next: 'cancel',
            incomplete: `the scan did not finish within ${config.deadlineSeconds} s (${status}): scan incomplete`,
            error: null,
          }
        : { next: 'wait', incomplete: null, error: null };
  }
}

// ---- Findings -------------------------------------------------------------------------------

function add(counts: Record<string, number>, key: string, count: number): void {
  counts[key] = (counts[key] ?? 0) + count;
}

function severityOf(finding: Finding): MacieSeverity | null {
  const parsed = MacieSeveritySchema.safeParse(finding.severity?.description);
  return parsed.success ? parsed.data : null;
}

function highest(severities: readonly (MacieSeverity | null)[]): MacieSeverity | null {
  const order = MacieSeveritySchema.options;
  return severities.reduce<MacieSeverity | null>(
    (top, s) => (s !== null && (top === null || order.indexOf(s) > order.indexOf(top)) ? s : top),
    null,
  );
}

/** Counts per category, detection type and finding type, from the findings' counts only. */
function tally(findings: readonly Finding[]) {
  const categories: Record<string, number> = {};
  const detections: Record<string, number> = {};
  const findingTypes: Record<string, number> = {};
  for (const finding of findings) {
    if (finding.type !== undefined) add(findingTypes, finding.type, 1);
    const result = finding.classificationDetails?.result;
    for (const item of result?.sensitiveData ?? []) {
      for (const detection of item.detections ?? []) {
        const count = detection.count ?? 0;
        if (item.category !== undefined) add(categories, item.category, count);
        if (detection.type !== undefined) add(detections, detection.type, count);
      }
    }
    for (const detection of result?.customDataIdentifiers?.detections ?? []) {
      const count = detection.count ?? 0;
      add(categories, 'CUSTOM_IDENTIFIER', count);
      if (detection.name !== undefined) add(detections, detection.name, count);
    }
  }
  return { categories, detections, findingTypes };
}

/** What a job scanned: Macie's figure when the caller has one, else an estimate from object sizes. */
export interface Scanned {
  readonly objects: number | null;
  readonly bytes: number | null;
  readonly bytesSource: 'macie' | 'estimate' | null;
}

/** The job as the last DescribeClassificationJob showed it. */
export interface JobOutcome {
  readonly jobId: string;
  readonly status: MacieJobStatus;
  /** lastRunErrorStatus ERROR: Macie could not read some objects or buckets. */
  readonly runErrors: boolean;
  readonly startedAt: string;
  readonly now: string;
  /** From {@link scanProgress}: how it ended when it did not complete. */
  readonly incomplete: string | null;
}

function outcomeOf(job: JobOutcome, found: boolean): Pick<MacieSummary, 'outcome' | 'reason' | 'error'> {
  const errors = job.runErrors ? '; Macie could not read some objects (lastRunErrorStatus ERROR)' : '';
  if (job.incomplete !== null) {
    return {
      outcome: 'incomplete',
      reason: `${job.incomplete}${found ? '; findings so far are listed' : ''}${errors}`,
      error: null,
    };
  }
  if (!found && job.runErrors) {
    return {
      outcome: 'failed',
      reason: 'the job ran with errors and found nothing: some objects could not be read',
      error: 'MacieJobFailedError',
    };
  }
  return found
    ? { outcome: 'found', reason: `sensitive data found${errors}`, error: null }
    : { outcome: 'nothingFound', reason: 'no sensitive data found', error: null };
}

/**
 * `incident.macie` for a job and its findings (GetFindings' answer, every page). The counts are
 * the findings' own; the keys are the affected objects'; no sensitive value is read.
 */
export function summarizeScan(input: {
  readonly scope: MacieScope;
  readonly job: JobOutcome;
  readonly findings: readonly Finding[];
  readonly scanned: Scanned;
}): MacieSummary {
  const { job, findings } = input;
  const keys = [
    ...new Set(
      findings.flatMap((f) => {
        const key = f.resourcesAffected?.s3Object?.key;
        return key === undefined ? [] : [key];
      }),
    ),
  ].sort();
  return {
    ...outcomeOf(job, findings.length > 0),
    skipReason: null,
    jobId: job.jobId,
    status: job.status,
    scope: input.scope,
    objectsScanned: input.scanned.objects,
    bytesScanned: input.scanned.bytes,
    bytesSource: input.scanned.bytes === null ? null : input.scanned.bytesSource,
    ...tally(findings),
    highestSeverity: highest(findings.map(severityOf)),
    affectedKeys: keys.slice(0, MAX_AFFECTED_KEYS),
    affectedObjects: keys.length,
    startedAt: job.startedAt,
    finishedAt: job.now,
  };
}
