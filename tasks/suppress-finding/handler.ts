import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { ExceptionEntrySchema } from '../shared/exceptions.js';
import { SecurityHubNotEnabledError } from '../shared/findings/errors.js';
import { importFindings } from '../shared/findings/security-hub.js';
import { exposureFindingFor, setFindingWorkflow } from '../shared/findings/workflow.js';
import { lambdaHandler } from '../shared/lambda.js';
import { requireIncident, withHistory } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';
import type { TaskDeps } from '../shared/task-deps.js';

/** The exception in words: id, owner, reason and expiry when the registry has it. */
async function describeException(deps: TaskDeps, exceptionId: string | null | undefined): Promise<string> {
  if (!exceptionId) return 'an exception';
  const entries = await deps.store.listExceptions();
  const entry = entries
    .map((e) => ExceptionEntrySchema.safeParse(e))
    .find((r) => r.success && r.data.id === exceptionId);
  if (!entry?.success) return `exception ${exceptionId}`;
  const { owner, reason, expiry } = entry.data;
  return `exception ${exceptionId} (owner ${owner}: ${reason}; until ${expiry})`;
}

/**
 * SuppressFinding: an exception covers the whole exposure. The finding is still written (the
 * exposure is real and on record) and set to SUPPRESSED with the exception named; nothing changes.
 */
export const suppressFinding = defineTask(
  'SuppressFinding',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const incident = await requireIncident(deps.store, state.assessment?.incidentId, 'SuppressFinding');
    const now = deps.clock.now();
    const exception = await describeException(deps, state.assessment?.exceptionId);
    const finding = exposureFindingFor(deps, incident, {
      executionId: state.executionId,
      consoleBaseUrl: state.config.consoleBaseUrl,
      now,
    });
    const findingId = finding.Id ?? null;
    let problem: string | null = null;
    try {
      await importFindings(deps.clients.securityHub, [finding]);
      await setFindingWorkflow(
        deps,
        incident,
        findingId ?? '',
        'SUPPRESSED',
        `Suppressed: covered by ${exception}.`,
      );
    } catch (error) {
      // Without Security Hub the incident store is the record; the exception is honoured all the same.
      if (!(error instanceof SecurityHubNotEnabledError)) throw error;
      problem = error.message;
    }
    const written = problem === null;
    const what = written
      ? `finding SUPPRESSED: covered by ${exception}`
      : `finding not written (${problem}); covered by ${exception}`;
    await deps.store.putIncident(
      withHistory({ ...incident, findingId: written ? findingId : incident.findingId }, now, what),
    );
    return {
      ...state,
      finding: { findingId: written ? findingId : null, written, problem },
    } satisfies WorkflowState;
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(suppressFinding);
