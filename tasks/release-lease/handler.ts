import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { lambdaHandler } from '../shared/lambda.js';
import { bucketTrigger } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';

/**
 * ReleaseLease: let the bucket go. When events joined since the last classification the lease
 * stays, and the workflow classifies again ("moreEvents"), so no joined event goes unanswered.
 */
export const releaseLease = defineTask(
  'ReleaseLease',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const outcome = await deps.store.releaseLease(bucketTrigger(state, 'ReleaseLease'), state.executionId);
    return { ...state, lease: { outcome } } satisfies WorkflowState;
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(releaseLease);
