import {
  DescribeClassificationJobCommand,
  type DescribeClassificationJobCommandOutput,
  UpdateClassificationJobCommand,
} from '@aws-sdk/client-macie2';
import { macieFor, requireScan, scanFailed } from '../scan-with-macie/branch.js';
import { scanProgress } from '../scan-with-macie/summary.js';
import { errorName } from '../shared/aws-errors.js';
import { MacieJobStatusSchema, type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { defineTask } from '../shared/task.js';

/**
 * CheckMacieScan: looks at the job once (DescribeClassificationJob) and says what comes next:
 * wait and look again, or collect the findings. Every status has an outcome (see scanProgress):
 * past the deadline, or PAUSED for the monthly quota, the job is cancelled and what it found so
 * far is collected as an incomplete scan. Only reads, except that cancellation, which a retry
 * repeats harmlessly.
 */
export const checkMacieScan = defineTask(
  'CheckMacieScan',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const scan = requireScan(state, 'CheckMacieScan');
    if (!scan.jobId || !scan.startedAt)
      throw new InvalidInputError('CheckMacieScan input: the scan has no job');
    const macie = macieFor(deps, scan);
    let job: DescribeClassificationJobCommandOutput;
    try {
      job = await macie.send(new DescribeClassificationJobCommand({ jobId: scan.jobId }));
    } catch (error) {
      return scanFailed(deps, state, scan, error, 'DescribeClassificationJob');
    }
    const status = MacieJobStatusSchema.parse(job.jobStatus);
    const now = deps.clock.now().toISOString();
    const progress = scanProgress(status, { startedAt: scan.startedAt, now }, state.config.macie);
    const checked = {
      ...scan,
      status,
      checks: scan.checks + 1,
      runErrors: job.lastRunErrorStatus?.code === 'ERROR',
    };
    if (progress.next === 'wait') return { ...state, scan: { ...checked, next: 'wait' } };
    if (progress.next === 'cancel') {
      try {
        await macie.send(new UpdateClassificationJobCommand({ jobId: scan.jobId, jobStatus: 'CANCELLED' }));
      } catch (error) {
        // A job that ended meanwhile cannot be cancelled: what it found is collected all the same.
        if (errorName(error) !== 'ValidationException')
          return scanFailed(deps, state, checked, error, 'UpdateClassificationJob');
      }
      logger.warn('Macie scan cancelled', { jobId: scan.jobId, why: progress.incomplete });
    }
    return {
      ...state,
      scan: {
        ...checked,
        next: 'collect',
        incomplete: progress.incomplete,
        error: progress.error?.name ?? null,
      },
    };
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(checkMacieScan);
