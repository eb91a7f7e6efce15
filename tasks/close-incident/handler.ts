import type { Incident } from '../shared/contracts.js';
import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { SecurityHubNotEnabledError } from '../shared/findings/errors.js';
import { closedWords, consoleLinks } from '../shared/findings/finding.js';
import { archiveFinding } from '../shared/findings/security-hub.js';
import { exposureFindingFor, setFindingWorkflow } from '../shared/findings/workflow.js';
import { lambdaHandler } from '../shared/lambda.js';
import { postToChannels } from '../shared/messages/chat.js';
import { sendEmail } from '../shared/messages/email.js';
import { formatDuration, resolvedNotice } from '../shared/messages/messages.js';
import { bucketTrigger, withHistory } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';
import type { TaskDeps } from '../shared/task-deps.js';

/** The finding's closing note: how it ended, before and after, and the exposure window. */
export function closingNote(incident: Incident, now: Date): string {
  const end = incident.timings.containedAt ?? now.toISOString();
  const window = formatDuration(Date.parse(end) - Date.parse(incident.timings.eventTime));
  const r = incident.remediation;
  const change = r
    ? ` Before: ${r.before.summary}. After: ${r.after?.summary ?? 'not verified'}. Backup: ${r.backup.location}.`
    : '';
  return `Closed: ${closedWords(incident)}.${change} Exposed ${incident.timings.eventTime} to ${end} (${window}).`;
}

/** RESOLVED, then ARCHIVED: the finding of a closed incident, in Security Hub's two calls. */
async function resolveFinding(
  deps: TaskDeps,
  incident: Incident,
  executionId: string,
  consoleBaseUrl: string,
  now: Date,
): Promise<string> {
  if (!incident.findingId) return 'no finding to resolve';
  try {
    await setFindingWorkflow(deps, incident, incident.findingId, 'RESOLVED', closingNote(incident, now));
    const finding = exposureFindingFor(deps, incident, { executionId, consoleBaseUrl, now });
    await archiveFinding(deps.clients.securityHub, finding, now);
    return 'finding RESOLVED and ARCHIVED';
  } catch (error) {
    // The incident store is the record; a Security Hub that was turned off meanwhile is noted there.
    if (error instanceof SecurityHubNotEnabledError) return `finding not resolved: ${error.message}`;
    throw error;
  }
}

/**
 * CloseIncident: the exposure ended (no longer public, or the bucket is gone). The open incident
 * closes with the reason and the time of containment, its finding is resolved and archived, and
 * the recipients hear that it is over. With no open incident there is nothing to close.
 */
export const closeIncident = defineTask(
  'CloseIncident',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const ref = bucketTrigger(state, 'CloseIncident');
    const now = deps.clock.now();
    // When the bucket is gone, ClassifyExposure could not record the events that brought us here.
    const events = await deps.store.pendingEvents(
      ref,
      state.executionId,
      now,
      state.config.timings.leaseSeconds,
    );
    const acknowledge = () =>
      deps.store.acknowledgeEvents(
        ref,
        state.executionId,
        events.map((e) => e.eventID),
      );
    const found = await deps.store.getOpenIncident(ref);
    if (!found) {
      await acknowledge();
      return state;
    }
    const known = new Set(found.events.map((e) => e.eventID));
    const open: Incident = {
      ...found,
      events: [...found.events, ...events.filter((e) => !known.has(e.eventID))],
    };
    const reason = state.close?.reason ?? 'NOT_PUBLIC';
    let closed: Incident = {
      ...open,
      status: 'CLOSED',
      closedReason: reason,
      timings: { ...open.timings, containedAt: now.toISOString() },
    };
    closed = withHistory(closed, now, `closed: ${closedWords(closed)}`);
    closed = withHistory(
      closed,
      now,
      await resolveFinding(deps, closed, state.executionId, state.config.consoleBaseUrl, now),
    );
    const links = consoleLinks(closed, state.executionId, state.config.consoleBaseUrl);
    const message = resolvedNotice(closed, links, now);
    await sendEmail(deps.clients.ses, {
      from: state.config.sender,
      to: state.config.recipients.email,
      ...message,
    });
    closed = withHistory(closed, now, `closing notice sent to ${state.config.recipients.email.join(', ')}`);
    const chatFailed = await postToChannels(deps.chat, state.config.chat.channels, {
      subject: message.subject,
      lines: [message.text.split('\n')[0] ?? ''],
      facts: [
        { name: 'Response', value: `${closed.response} (mode ${closed.mode})` },
        { name: 'Exposed since', value: closed.timings.eventTime },
      ],
      link: { label: 'Open the execution', url: links.execution },
    });
    if (chatFailed.length > 0)
      closed = withHistory(closed, now, `chat not reached: ${chatFailed.join(', ')}`);
    await deps.store.putIncident(closed);
    await acknowledge();
    return {
      ...state,
      assessment: state.assessment ? { ...state.assessment, incidentId: closed.incidentId } : undefined,
    } satisfies WorkflowState;
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(closeIncident);
