import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { importFindings } from '../shared/findings/security-hub.js';
import { exposureFindingFor } from '../shared/findings/workflow.js';
import { lambdaHandler } from '../shared/lambda.js';
import { requireIncident, withHistory } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';

/**
 * WriteFinding: create or refresh the incident's finding. Security Hub not enabled throws
 * SecurityHubNotEnabledError, which the workflow catches: the alert still goes out and says so.
 */
export const writeFinding = defineTask(
  'WriteFinding',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const incident = await requireIncident(deps.store, state.assessment?.incidentId, 'WriteFinding');
    const now = deps.clock.now();
    const finding = exposureFindingFor(deps, incident, {
      executionId: state.executionId,
      consoleBaseUrl: state.config.consoleBaseUrl,
      now,
    });
    await importFindings(deps.clients.securityHub, [finding]);
    const findingId = finding.Id ?? null;
    const what = incident.findingId
      ? `finding refreshed (${incident.verdict.severity})`
      : 'finding created (NEW)';
    await deps.store.putIncident(withHistory({ ...incident, findingId }, now, what));
    return { ...state, finding: { findingId, written: true, problem: null } } satisfies WorkflowState;
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(writeFinding);
