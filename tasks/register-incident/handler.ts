import { incidentEventOf } from '../normalize-event/handler.js';
import { bucketTrigger, readState } from '../shared/state-access.js';
import type { TaskHandler } from '../shared/task-deps.js';
import type { WorkflowState } from '../shared/workflow-state.js';

/**
 * RegisterIncident: record the event once and take the bucket's lease, or hand the event to the
 * execution that holds it. Idempotent: a retry of this task recognises its own execution.
 */
export const registerIncident: TaskHandler = async (input, deps) => {
  const state = readState(input, 'RegisterIncident');
  const trigger = bucketTrigger(state, 'RegisterIncident');
  const registration = await deps.store.register({
    bucket: trigger.bucket,
    executionId: state.executionId,
    event: incidentEventOf(trigger),
    now: deps.clock.now(),
    leaseSeconds: state.config.timings.leaseSeconds,
  });
  return {
    ...state,
    registration: {
      role: registration.role,
      holder: registration.role === 'owner' ? null : registration.holder,
    },
  } satisfies WorkflowState;
};
