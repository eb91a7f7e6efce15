import { recordSummary, requireScan } from '../scan-with-macie/branch.js';
import { MacieJobFailedError } from '../scan-with-macie/errors.js';
import { failedSummary } from '../scan-with-macie/summary.js';
import { MacieErrorNameSchema, type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { summarizeCause } from '../shared/findings/finding.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { defineTask } from '../shared/task.js';

/**
 * RecordScanFailure: a scan task failed after its retries (Macie still throttling, the store or
 * S3 failing). The scan ends as failed, recorded on the incident, the approval page and the
 * finding: the response never waited for it, and the run does not fail because of Macie.
 */
export const recordScanFailure = defineTask(
  'RecordScanFailure',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const scan = requireScan(state, 'RecordScanFailure');
    const name = state.error?.Error ?? 'UnknownError';
    const why = `the scan could not go on (${name}): ${summarizeCause(state.error?.Cause, 300)}`;
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
