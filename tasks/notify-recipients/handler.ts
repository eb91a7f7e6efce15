import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { hasUnreadParts } from '../classify-exposure/assess.js';
import { approversFor } from '../request-approval/request.js';
import { errorName } from '../shared/aws-errors.js';
import {
  type Incident,
  type MacieScanRequest,
  type WorkflowState,
  WorkflowStateSchema,
} from '../shared/contracts.js';
import { consoleLinks, summarizeCause } from '../shared/findings/finding.js';
import { sha256Hex } from '../shared/hash.js';
import { lambdaHandler } from '../shared/lambda.js';
import { sendEmail } from '../shared/messages/email.js';
import { exposureAlert } from '../shared/messages/messages.js';
import { requireIncident, withHistory } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';
import type { TaskDeps } from '../shared/task-deps.js';

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
    // The scan starts beside the alert, never before it or in its way.
    const [, scanProblem] = await Promise.all([
      to.length > 0 ? sendEmail(deps.clients.ses, { from: state.config.sender, to, ...message }) : null,
      startMacieScan(deps, state, incident),
    ]);

    let updated: Incident = {
      ...incident,
      response: 'NOTIFIED',
      timings: { ...incident.timings, notifiedAt: incident.timings.notifiedAt ?? now.toISOString() },
    };
    if (problem) updated = withHistory(updated, now, `finding not written: ${problem}`);
    if (scanProblem) updated = withHistory(updated, now, `Macie scan not started: ${scanProblem}`);
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

/**
 * Starts the Macie scan of this exposure: an execution of this state machine of its own (input
 * `{ macieScan }`), so the scan never holds the bucket or delays the response. Its name comes from
 * the incident and the exposure, so a retry starts nothing twice, and a wider exposure (a new
 * fingerprint) gets a scan of its own. A failure to start is returned and recorded, never thrown:
 * the alert matters more.
 */
async function startMacieScan(
  deps: TaskDeps,
  state: WorkflowState,
  incident: Incident,
): Promise<string | null> {
  if (state.config.macie.when === 'never' || state.assessment?.outcome !== 'public') return null;
  const name = `macie-${sha256Hex(`${incident.incidentId}\n${incident.verdict.fingerprint}`).slice(0, 32)}`;
  const macieScan = {
    incidentId: incident.incidentId,
    accountId: incident.accountId,
    bucket: incident.bucket,
    region: incident.region,
  };
  try {
    await deps.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name,
        input: JSON.stringify({ macieScan } satisfies { macieScan: MacieScanRequest }),
      }),
    );
    return null;
  } catch (error) {
    if (errorName(error) === 'ExecutionAlreadyExists') return null;
    return errorName(error) ?? 'Error';
  }
}

/** Whether this round goes on to ask for approval (WhichResponseMode? routes it so). */
function asksApproval(state: WorkflowState): boolean {
  return state.assessment?.mode === 'approve' && state.assessment.outcome === 'public';
}

/** The Lambda entry point. */
export const handler = lambdaHandler(notifyRecipients);
