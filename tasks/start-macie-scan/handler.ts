import { CreateClassificationJobCommand } from '@aws-sdk/client-macie2';
import { GetBucketPolicyCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { macieFor, recordSummary, requireScan, scanFailed } from '../scan-with-macie/branch.js';
import { planScan } from '../scan-with-macie/scope.js';
import { pendingSummary, skippedSummary } from '../scan-with-macie/summary.js';
import { errorName } from '../shared/aws-errors.js';
import {
  type PolicyDocument,
  PolicyDocumentSchema,
  type ScanState,
  type WorkflowState,
  WorkflowStateSchema,
} from '../shared/contracts.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { requireIncident } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';
import type { TaskDeps } from '../shared/task-deps.js';

/** What the scope needs from the bucket as it is now: its policy, and whether it holds anything. */
async function readBucket(
  deps: TaskDeps,
  scan: ScanState,
): Promise<{ gone: true } | { gone: false; policy: PolicyDocument | null; objectCount: number }> {
  const s3 = deps.clientsFor(scan.region).s3;
  const target = { Bucket: scan.bucket, ExpectedBucketOwner: scan.accountId };
  try {
    const [policy, listing] = await Promise.all([
      s3.send(new GetBucketPolicyCommand(target)).then(
        (answer) => PolicyDocumentSchema.parse(JSON.parse(answer.Policy ?? '')),
        (error: unknown) => {
          if (errorName(error) === 'NoSuchBucketPolicy') return null;
          throw error;
        },
      ),
      s3.send(new ListObjectsV2Command({ ...target, MaxKeys: 1 })),
    ]);
    return { gone: false, policy, objectCount: listing.KeyCount ?? listing.Contents?.length ?? 0 };
  } catch (error) {
    if (errorName(error) === 'NoSuchBucket') return { gone: true };
    throw error;
  }
}

/**
 * StartMacieScan: plans the scan of what the incident exposes (the affected keys, a public
 * prefix, or the bucket sampled and size-capped; or a skip, with its reason) and starts one
 * ONE_TIME classification job. Safe to run again: the job's client token comes from the
 * incident and the scope, so a retry gets the job it started.
 */
export const startMacieScan = defineTask(
  'StartMacieScan',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const scan = requireScan(state, 'StartMacieScan');
    const incident = await requireIncident(deps.store, scan.incidentId, 'StartMacieScan');
    const bucket = await readBucket(deps, scan);
    const plan = bucket.gone
      ? ({ kind: 'skip', skipReason: 'bucketGone', reason: 'the bucket no longer exists' } as const)
      : planScan({
          incidentId: incident.incidentId,
          accountId: scan.accountId,
          verdict: incident.verdict,
          policy: bucket.policy,
          config: state.config.macie,
          objectCount: bucket.objectCount,
        });
    if (plan.kind === 'skip') {
      await recordSummary(deps, scan, skippedSummary(plan));
      logger.info('Macie scan skipped', { incidentId: scan.incidentId, reason: plan.skipReason });
      return { ...state, scan: { ...scan, next: 'done' } };
    }
    let jobId: string | undefined;
    try {
      jobId = (await macieFor(deps, scan).send(new CreateClassificationJobCommand(plan.request))).jobId;
    } catch (error) {
      return scanFailed(deps, state, { ...scan, scope: plan.scope }, error, 'CreateClassificationJob');
    }
    if (!jobId) throw new Error('Macie answered CreateClassificationJob without a job id');
    const startedAt = deps.clock.now().toISOString();
    await recordSummary(deps, scan, pendingSummary(plan.scope, jobId, startedAt));
    logger.info('Macie scan started', { incidentId: scan.incidentId, jobId, scope: plan.scope.kind });
    return {
      ...state,
      scan: { ...scan, next: 'wait', jobId, startedAt, scope: plan.scope, status: 'RUNNING' },
    };
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(startMacieScan);
