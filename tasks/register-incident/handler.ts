import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { lambdaHandler } from '../shared/lambda.js';
import { bucketTrigger, incidentEventOf } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';

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
    });
    return {
      ...state,
      registration: {
        role: registration.role,
        holder: registration.role === 'owner' ? null : registration.holder,
      },
    } satisfies WorkflowState;
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(registerIncident);
