import { hasUnreadParts } from '../classify-exposure/assess.js';
import { approversFor } from '../request-approval/request.js';
import { type Incident, type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { consoleLinks, summarizeCause } from '../shared/findings/finding.js';
import { lambdaHandler } from '../shared/lambda.js';
import { sendEmail } from '../shared/messages/email.js';
import { exposureAlert } from '../shared/messages/messages.js';
import { requireIncident, withHistory } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';

/**
 * NotifyRecipients: the alert, sent to the configured recipients. It goes out whether or not the
 * finding could be written; when it could not, the alert and the incident say why.
 */
export const notifyRecipients = defineTask(
  'NotifyRecipients',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const { findingError } = state;
    const incident = await requireIncident(deps.store, state.assessment?.incidentId, 'NotifyRecipients');
    const now = deps.clock.now();
    const problem = findingError ? `${findingError.Error}: ${summarizeCause(findingError.Cause)}` : null;

    const message = exposureAlert(
      incident,
      consoleLinks(incident, state.executionId, state.config.consoleBaseUrl),
      {
        findingProblem: problem,
      },
    );
    // The operators hear it too when something of theirs is broken: an exposure that keeps coming
    // back (something re-applies it), a finding Security Hub would not take, or a part of the
    // bucket that could not be read.
    // Security Hub refusing the finding, or not enabled at all, is the deployment's to fix.
    const findingBroken = findingError !== undefined;
    // A part AWS would not let us read (AccessDenied, throttling, a failing service) is theirs to fix.
    const everyone =
      incident.escalation || findingBroken || hasUnreadParts(incident.verdict)
        ? [...new Set([...state.config.recipients.email, ...state.config.operators.email])]
        : state.config.recipients.email;
    // In mode approve an approver's one message is the approval request, which holds the alert.
    const approvers = asksApproval(state)
      ? new Set(
          approversFor(state.config, incident.bucket, incident.verdict.severity).map((a) => a.toLowerCase()),
        )
      : new Set<string>();
    const to = everyone.filter((address) => !approvers.has(address.toLowerCase()));
    if (to.length > 0) await sendEmail(deps.clients.ses, { from: state.config.sender, to, ...message });

    let updated: Incident = {
      ...incident,
      response: 'NOTIFIED',
      timings: { ...incident.timings, notifiedAt: incident.timings.notifiedAt ?? now.toISOString() },
    };
    if (problem) updated = withHistory(updated, now, `finding not written: ${problem}`);
    const sentTo = to.length > 0 ? `alert sent to ${to.join(', ')}` : 'alert not sent on its own';
    const withRequest = approvers.size > 0 ? `; the approvers get it with the approval request` : '';
    updated = withHistory(
      updated,
      now,
      `${sentTo}${withRequest} (${updated.mode} mode: ${updated.modeReason})`,
    );
    await deps.store.putIncident(updated);
    return {
      ...state,
      findingError: undefined,
      finding: state.finding ?? { findingId: incident.findingId, written: false, problem },
    } satisfies WorkflowState;
  },
);

/** Whether this round goes on to ask for approval (WhichResponseMode? routes it so). */
function asksApproval(state: WorkflowState): boolean {
  return state.assessment?.mode === 'approve' && state.assessment.outcome === 'public';
}

/** The Lambda entry point. */
export const handler = lambdaHandler(notifyRecipients);
