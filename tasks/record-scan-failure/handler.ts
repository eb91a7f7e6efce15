import { recordSummary, requireScan } from '../scan-with-macie/branch.js';
import { MacieJobFailedError } from '../scan-with-macie/errors.js';
import { failedSummary } from '../scan-with-macie/summary.js';
import {
  MacieErrorNameSchema,
  type MacieSummary,
  type ScanState,
  type WorkflowState,
  WorkflowStateSchema,
} from '../shared/contracts.js';
import { summarizeCause } from '../shared/findings/finding.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { defineTask } from '../shared/task.js';
import type { TaskDeps } from '../shared/task-deps.js';

/**
 * The job's result when SummarizeMacieScan had recorded it before what followed failed (the
 * follow-up message, the system's decision): that result stands, with the failure added to its
 * reason. Null when the job has no result yet.
 */
async function resultAlreadyRecorded(
  deps: TaskDeps,
  scan: ScanState,
  failure: string,
): Promise<MacieSummary | null> {
  if (scan.jobId === null) return null;
  const recorded = (await deps.store.getIncident(scan.incidentId))?.macie;
  if (!recorded || recorded.outcome === 'pending' || recorded.jobId !== scan.jobId) return null;
  const reason = recorded.reason ?? '';
  return reason.includes(failure) ? recorded : { ...recorded, reason: `${reason}; ${failure}` };
}

/**
 * RecordScanFailure: a scan task failed after its retries (Macie still throttling, the store or
 * S3 failing). The scan ends as failed, recorded on the incident, the approval page and the
 * finding: the response never waited for it, and the run does not fail because of Macie. A
 * result already recorded for the job is never replaced by the failure of a later step.
 */
export const recordScanFailure = defineTask(
  'RecordScanFailure',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const scan = requireScan(state, 'RecordScanFailure');
    const name = state.error?.Error ?? 'UnknownError';
    const cause = summarizeCause(state.error?.Cause, 300);
    const kept = await resultAlreadyRecorded(
      deps,
      scan,
      `after the result was recorded, a later step failed (${name}): ${cause}`,
    );
    if (kept) {
      await recordSummary(deps, scan, kept);
      logger.error('Macie scan recorded, then failed', { incidentId: scan.incidentId, error: name });
      return { ...state, scan: { ...scan, next: 'done', error: name } };
    }
    const why = `the scan could not go on (${name}): ${cause}`;
    const error = new MacieJobFailedError(why);
    const summary = failedSummary(error, {
      scope: scan.scope,
      jobId: scan.jobId,
      startedAt: scan.startedAt,
      now: deps.clock.now().toISOString(),
    });
    // A Macie failure that outlasted the retries keeps its own name.
    const known = MacieErrorNameSchema.safeParse(name);
    await recordSummary(deps, scan, known.success ? { ...summary, error: known.data } : summary);
    logger.error('Macie scan failed', { incidentId: scan.incidentId, error: name });
    return { ...state, scan: { ...scan, next: 'done', error: name } };
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(recordScanFailure);
