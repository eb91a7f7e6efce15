/**
 * The chat webhooks (Slack, Teams): instead of posting, writes each post's payload as a JSON
 * file into the outbox folder and records it in the sandbox's outbox, beside the `.eml` files.
 * Not an AWS API, but answered like one so faults and the call log apply to it too.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatPost } from '../../tasks/shared/messages/chat.js';
import { type OperationTable, operation } from './operations.js';

const postMessage = operation(async (input: ChatPost, ctx): Promise<{ MessageId: string }> => {
  const messageId = ctx.newId();
  let file: string | null = null;
  if (ctx.outboxDir !== null) {
    await mkdir(ctx.outboxDir, { recursive: true });
    // Time first, so the folder lists chat posts and emails in the order they were sent.
    file = join(ctx.outboxDir, `${ctx.now.toISOString().replace(/[:.]/g, '-')}-${messageId}.json`);
    const body = { channel: input.channel, kind: input.kind, payload: input.payload };
    await writeFile(file, `${JSON.stringify(body, null, 2)}\n`, 'utf8');
  }
  ctx.outbox.push({ channel: 'chat', to: input.channel, subject: input.subject, text: input.text, file });
  return { MessageId: messageId };
});

/** The chat "service": one operation, a post to a channel's webhook. */
export const CHAT_OPERATIONS: OperationTable = { PostMessage: postMessage };
