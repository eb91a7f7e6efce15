import { readState, requireIncident, withHistory } from '../shared/state-access.js';
import type { TaskHandler } from '../shared/task-deps.js';
import { GENERATOR_ID, productArnFor, workflowNote } from '../write-finding/finding.js';
import { updateFindingWorkflow } from '../write-finding/security-hub.js';

/** MarkFindingNotified: Workflow.Status changes only through BatchUpdateFindings, after the alert went out. */
export const markFindingNotified: TaskHandler = async (input, deps) => {
  const state = readState(input, 'MarkFindingNotified');
  const incident = await requireIncident(deps.store, state.assessment?.incidentId, 'MarkFindingNotified');
  const findingId = state.finding?.findingId ?? incident.findingId;
  if (!findingId) return state;
  const text = `Notified ${state.config.recipients.email.join(', ')}. Mode ${incident.mode}: ${incident.modeReason}.`;
  const note = workflowNote(incident, text, GENERATOR_ID);
  await updateFindingWorkflow(
    deps.clients.securityHub,
    { id: findingId, productArn: productArnFor(deps.partition, deps.region, incident.accountId) },
    { status: 'NOTIFIED', note: note.Text, updatedBy: note.UpdatedBy },
  );
  await deps.store.putIncident(withHistory(incident, deps.clock.now(), 'finding workflow NOTIFIED'));
  return state;
};
