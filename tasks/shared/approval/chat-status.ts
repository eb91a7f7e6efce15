/**
 * The approval's status in chat: a short message to each configured channel with a link to the
 * read-only status page (signed for that channel and that purpose only). Deciding stays with the
 * approvers' own email links, so no chat message can approve anything, even if forwarded.
 */
import type { ApprovalRecord, ResponderConfig } from '../contracts.js';
import { type ChatMessage, postToChannels } from '../messages/chat.js';
import type { ApprovalLinkSettings, TaskDeps } from '../task-deps.js';
import { chatRecipient, STATUS_PURPOSE, signApprovalLink } from './links.js';

/** A status link stays readable a week past the deadline, so the channel can see how it ended. */
const STATUS_LINK_GRACE_MS = 7 * 24 * 60 * 60 * 1000;

/** The status page's link for one channel. */
export function statusLink(links: ApprovalLinkSettings, record: ApprovalRecord, channel: string): string {
  return signApprovalLink(
    links.baseUrl,
    {
      approvalId: record.approvalId,
      recipient: chatRecipient(channel),
      expiresAt: new Date(Date.parse(record.expiresAt) + STATUS_LINK_GRACE_MS),
      purpose: STATUS_PURPOSE,
    },
    links.keyRing,
  );
}

/** The facts every status message shows. */
function facts(record: ApprovalRecord): ChatMessage['facts'] {
  return [
    { name: 'Bucket', value: record.bucket },
    { name: 'Account', value: `${record.accountId} (${record.region})` },
    { name: 'Severity', value: record.severity },
    { name: 'Approvers', value: record.approvers.join(', ') },
    { name: 'Deadline (UTC)', value: record.expiresAt },
  ];
}

/**
 * Posts the approval's status to the channels in `config` (or to `only` of them), each with its
 * own status link when the deployment can sign one. Returns the channels not reached, as
 * `name (ErrorName)`; chat never fails the task, since email carries every decision.
 */
export async function postApprovalStatus(
  deps: Pick<TaskDeps, 'chat' | 'approvalLinks'>,
  config: ResponderConfig,
  record: ApprovalRecord,
  status: { readonly subject: string; readonly lines: readonly string[] },
  only: readonly string[] | null = null,
): Promise<{ posted: string[]; failed: string[] }> {
  const channels = config.chat.channels.filter((c) => only === null || only.includes(c.name));
  const posted: string[] = [];
  const failed: string[] = [];
  for (const channel of channels) {
    const link = deps.approvalLinks
      ? { label: 'Open the approval status', url: statusLink(deps.approvalLinks, record, channel.name) }
      : null;
    const message: ChatMessage = { subject: status.subject, lines: status.lines, facts: facts(record), link };
    const problems = await postToChannels(deps.chat, [channel], message);
    if (problems.length === 0) posted.push(channel.name);
    failed.push(...problems);
  }
  return { posted, failed };
}
