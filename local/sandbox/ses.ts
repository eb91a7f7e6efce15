/**
 * SES v2 SendEmail: instead of sending, writes the message as an `.eml` file into the outbox
 * folder and records it in the sandbox's outbox, so approvals can be followed by hand or test.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SendEmailCommandInput, SendEmailCommandOutput } from '@aws-sdk/client-sesv2';
import { AwsApiError } from './aws-error.js';
import { formatEml, htmlToText, readRawMessage } from './eml.js';
import {
  type Answer,
  type OperationContext,
  type OperationTable,
  type OutboxEntry,
  operation,
} from './operations.js';

/** `user@example.com` or `Name <user@example.com>`; enough to catch what SES would reject. */
const ADDRESS = /^[^\s@<>(),;:"[\]\\]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;

function bareAddress(address: string): string {
  const angle = /<([^>]*)>\s*$/.exec(address);
  return (angle?.[1] ?? address).trim();
}

function checkAddresses(addresses: readonly string[]): void {
  for (const address of addresses) {
    if (!ADDRESS.test(bareAddress(address))) {
      throw new AwsApiError('MessageRejected', `Illegal address: ${address}`);
    }
  }
}

async function writeOutbox(ctx: OperationContext, messageId: string, eml: string): Promise<string | null> {
  if (ctx.outboxDir === null) return null;
  await mkdir(ctx.outboxDir, { recursive: true });
  // Time first, so the folder lists the messages in the order they were sent.
  const file = join(ctx.outboxDir, `${ctx.now.toISOString().replace(/[:.]/g, '-')}-${messageId}.eml`);
  await writeFile(file, eml, 'utf8');
  return file;
}

interface Recipients {
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
}

function recipientsOf(input: SendEmailCommandInput): Recipients {
  return {
    to: input.Destination?.ToAddresses ?? [],
    cc: input.Destination?.CcAddresses ?? [],
    bcc: input.Destination?.BccAddresses ?? [],
  };
}

async function sendSimple(
  ctx: OperationContext,
  input: SendEmailCommandInput,
  simple: NonNullable<NonNullable<SendEmailCommandInput['Content']>['Simple']>,
  messageId: string,
): Promise<OutboxEntry> {
  const recipients = recipientsOf(input);
  if (input.FromEmailAddress === undefined) {
    throw new AwsApiError('BadRequestException', "Missing required header 'From'.");
  }
  if (recipients.to.length + recipients.cc.length + recipients.bcc.length === 0) {
    throw new AwsApiError('BadRequestException', 'Missing final @domain');
  }
  checkAddresses([input.FromEmailAddress, ...recipients.to, ...recipients.cc, ...recipients.bcc]);
  const text = simple.Body?.Text?.Data ?? null;
  const html = simple.Body?.Html?.Data ?? null;
  const subject = simple.Subject?.Data ?? '';
  const eml = formatEml({
    from: input.FromEmailAddress,
    to: recipients.to,
    cc: recipients.cc,
    replyTo: input.ReplyToAddresses ?? [],
    subject,
    text,
    html,
    date: ctx.now,
    messageId,
  });
  const file = await writeOutbox(ctx, messageId, eml);
  return {
    channel: 'email',
    to: recipients.to.join(', '),
    subject,
    text: text ?? htmlToText(html ?? ''),
    file,
  };
}

async function sendRaw(
  ctx: OperationContext,
  input: SendEmailCommandInput,
  data: Uint8Array | undefined,
  messageId: string,
): Promise<OutboxEntry> {
  const raw = Buffer.from(data ?? new Uint8Array()).toString('utf8');
  const { headers, body } = readRawMessage(raw);
  const to =
    input.Destination?.ToAddresses ??
    (headers.to ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
  if (to.length === 0) throw new AwsApiError('BadRequestException', 'Missing final @domain');
  checkAddresses(to);
  const file = await writeOutbox(ctx, messageId, raw);
  return { channel: 'email', to: to.join(', '), subject: headers.subject ?? '', text: body, file };
}

const sendEmail = operation(
  async (input: SendEmailCommandInput, ctx): Promise<Answer<SendEmailCommandOutput>> => {
    const messageId = ctx.newId();
    const content = input.Content;
    let entry: OutboxEntry;
    if (content?.Simple !== undefined) entry = await sendSimple(ctx, input, content.Simple, messageId);
    else if (content?.Raw !== undefined) entry = await sendRaw(ctx, input, content.Raw.Data, messageId);
    else if (content?.Template !== undefined)
      throw new Error('sandbox does not model SESv2.SendEmail with a Template');
    else throw new AwsApiError('BadRequestException', 'Content is required');
    ctx.outbox.push(entry);
    return { MessageId: messageId };
  },
);

/** SES v2 operations by command name. */
export const SES_OPERATIONS: OperationTable = { SendEmail: sendEmail };
