import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { setFindingWorkflow } from '../shared/findings/workflow.js';
import { lambdaHandler } from '../shared/lambda.js';
import { requireIncident, withHistory } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';

/** MarkFindingNotified: Workflow.Status changes only through BatchUpdateFindings, after the alert went out. */
export const markFindingNotified = defineTask(
  'MarkFindingNotified',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const incident = await requireIncident(deps.store, state.assessment?.incidentId, 'MarkFindingNotified');
    const findingId = state.finding?.findingId ?? incident.findingId;
    if (!findingId) return state;
    const text = `Notified ${state.config.recipients.email.join(', ')}. Mode ${incident.mode}: ${incident.modeReason}.`;
    await setFindingWorkflow(deps, incident, findingId, 'NOTIFIED', text);
    await deps.store.putIncident(withHistory(incident, deps.clock.now(), 'finding workflow NOTIFIED'));
    return state;
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(markFindingNotified);
