import { classifyExposure } from '../classify-exposure/classify.js';
import { readBucketSnapshot } from '../classify-exposure/read-snapshot.js';
import {
  BucketAccessSnapshotSchema,
  type Trigger,
  type WorkflowState,
  WorkflowStateSchema,
} from '../shared/contracts.js';
import { isExecutionRunning } from '../shared/execution-status.js';
import { lambdaHandler } from '../shared/lambda.js';
import { bucketTrigger, incidentEventOf } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';
import type { TaskDeps } from '../shared/task-deps.js';
import { parseOrThrow } from '../shared/validation.js';
import { beyondThePlan, supersedeNotBefore } from '../supersede-approval/supersede.js';

/**
 * RegisterIncident: record the event once and take the bucket's lease, or hand the event to the
 * execution that holds it. Idempotent: a retry of this task recognises its own execution.
 */
export const registerIncident = defineTask(
  'RegisterIncident',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const trigger = bucketTrigger(state, 'RegisterIncident');
    const registration = await deps.store.register({
      ref: trigger,
      executionId: state.executionId,
      event: incidentEventOf(trigger),
      now: deps.clock.now(),
      leaseSeconds: state.config.timings.leaseSeconds,
      // A lease past its expiry only lets us ask: a holder that still runs keeps the bucket.
      holderStillRuns: (holder) => isExecutionRunning(deps.clients.sfn, holder),
    });
    const supersede =
      registration.role === 'joined' ? await widensPendingApproval(deps, state, trigger) : undefined;
    return {
      ...state,
      registration: {
        role: registration.role,
        holder: registration.role === 'owner' ? null : registration.holder,
        ...(supersede ? { supersede } : {}),
      },
    } satisfies WorkflowState;
  },
);

/**
 * When the holder waits on an approval: whether the bucket, read now, is exposed beyond the plan
 * the approvers see. Read only then, so joining events cost nothing more otherwise, and a storm
 * that adds nothing new leaves the pending decision alone.
 */
async function widensPendingApproval(
  deps: TaskDeps,
  state: WorkflowState,
  trigger: Trigger & { bucket: string },
): Promise<{ approvalId: string; notBefore: string } | undefined> {
  const pending = await deps.approvals?.pendingFor(trigger);
  if (!pending) return undefined;
  const keys = new Set([...trigger.keys, ...pending.plan.vectors.flatMap((v) => (v.key ? [v.key] : []))]);
  const raw = await readBucketSnapshot(deps.clientsFor(trigger.region), {
    accountId: trigger.accountId,
    bucket: trigger.bucket,
    objectKeys: [...keys],
    objectAclConcurrency: state.config.limits.objectAclConcurrency,
  });
  const verdict = classifyExposure(
    parseOrThrow(BucketAccessSnapshotSchema, raw, `snapshot of ${trigger.bucket}`),
  );
  if (beyondThePlan(verdict, pending).length === 0) return undefined;
  const notBefore = supersedeNotBefore(pending, state.config.approval.recheckSeconds);
  return { approvalId: pending.approvalId, notBefore: notBefore.toISOString() };
}

/** The Lambda entry point. */
export const handler = lambdaHandler(registerIncident);
