/**
 * What RecordRejection and ApprovalExpired share: the approval they settle, the finding note
 * (Security Hub's absence never stops them: the incident is the record), and the message that
 * tells the approvers and the recipients that nothing changed.
 */
import type { ApprovalRecord, Incident, WorkflowState } from '../contracts.js';
import { InvalidInputError } from '../errors.js';
import { SecurityHubNotEnabledError } from '../findings/errors.js';
import { setFindingWorkflow } from '../findings/workflow.js';
import { sendEmail } from '../messages/email.js';
import { withHistory } from '../state-access.js';
import type { TaskDeps } from '../task-deps.js';
import { postApprovalStatus } from './chat-status.js';

/** The approval a settling task works on, from the state's decision or the incident's history. */
export async function requireApproval(deps: TaskDeps, approvalId: string | undefined, task: string) {
  const approvals = deps.approvals;
  if (!approvals) throw new InvalidInputError(`${task}: the approval store is not configured`);
  const record = approvalId ? await approvals.get(approvalId) : null;
  if (!record) throw new InvalidInputError(`${task} input: approval ${approvalId ?? '(none)'} not found`);
  return { approvals, record };
}

/** The approval this round of the execution asked for (the wait ended without a decision). */
export async function approvalOfRound(
  deps: TaskDeps,
  state: WorkflowState,
  incident: Incident,
  task: string,
) {
  const id = await deps.approvals?.findRequest(incident.incidentId, state.executionId, state.round ?? 0);
  return requireApproval(deps, id ?? undefined, task);
}

/** Sets the finding's workflow, or says why it could not (Security Hub not enabled). */
export async function noteOnFinding(
  deps: TaskDeps,
  incident: Incident,
  status: 'NOTIFIED' | 'SUPPRESSED',
  text: string,
): Promise<string | null> {
  if (!incident.findingId) return 'no finding was written';
  try {
    await setFindingWorkflow(deps, incident, incident.findingId, status, text);
    return null;
  } catch (error) {
    if (error instanceof SecurityHubNotEnabledError) return error.message;
    throw error;
  }
}

/**
 * Tells the approvers and the recipients by email, and the chat channels with a line of status;
 * a failure to send is returned, never thrown (the decision stands).
 */
export async function tellEveryone(
  deps: TaskDeps,
  state: WorkflowState,
  record: ApprovalRecord,
  message: { subject: string; text: string; chatLine: string },
): Promise<{ mail: string | null; chat: string[] }> {
  const to = [...new Set([...record.approvers, ...state.config.recipients.email])];
  const { failed: chat } = await postApprovalStatus(deps, state.config, record, {
    subject: message.subject,
    lines: [message.chatLine],
  });
  try {
    await sendEmail(deps.clients.ses, {
      from: state.config.sender,
      to,
      subject: message.subject,
      text: message.text,
    });
    return { mail: null, chat };
  } catch (error) {
    return { mail: error instanceof Error ? error.name : String(error), chat };
  }
}

/**
 * Writes the settled incident with what could not be done, and returns the state: a notice that
 * could not be sent sets `notifyError`, so the run ends in ReportFailure (everyone must hear).
 */
export async function recordSettlement(
  deps: TaskDeps,
  state: WorkflowState,
  settled: Incident,
  what: string,
  problems: {
    readonly finding: string | null;
    readonly told: { readonly mail: string | null; readonly chat: readonly string[] };
    readonly notice: string;
  },
): Promise<WorkflowState> {
  const now = deps.clock.now();
  let updated = withHistory(settled, now, what);
  if (problems.finding) updated = withHistory(updated, now, `finding not updated: ${problems.finding}`);
  const { mail, chat } = problems.told;
  if (mail) updated = withHistory(updated, now, `${problems.notice} not sent: ${mail}`);
  if (chat.length > 0) updated = withHistory(updated, now, `chat not reached: ${chat.join(', ')}`);
  await deps.store.putIncident(updated);
  return {
    ...state,
    ...(mail ? { notifyError: { Error: mail, Cause: `the ${problems.notice} could not be sent` } } : {}),
  };
}
