import { bucketTrigger, readState } from '../shared/state-access.js';
import type { TaskHandler } from '../shared/task-deps.js';
import type { WorkflowState } from '../shared/workflow-state.js';

/**
 * ReleaseLease: let the bucket go. When events joined since the last classification the lease
 * stays, and the workflow classifies again ("moreEvents"), so no joined event goes unanswered.
 */
export const releaseLease: TaskHandler = async (input, deps) => {
  const state = readState(input, 'ReleaseLease');
  const outcome = await deps.store.releaseLease(
    bucketTrigger(state, 'ReleaseLease').bucket,
    state.executionId,
  );
  return { ...state, lease: { outcome } } satisfies WorkflowState;
};
