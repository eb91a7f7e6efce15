/**
 * SES v2 SendEmail: instead of sending, writes the message as an `.eml` file into the outbox
 * folder and records it in the sandbox's outbox, so approvals can be followed by hand or test.
 *
 * SES's mailbox simulator works as in AWS: a message to `bounce@simulator.amazonses.com` (or
 * `suppressionlist@…`) is accepted and then bounces, one to `complaint@…` draws a complaint.
 * The bounce or complaint is published, shortly after, to the listener registered with
 * {@link onEmailEvent} (the configuration set's event destination, in AWS an SNS topic), in the
 * shape SES's event publishing gives it.
 */
import { randomUUID } from 'node:crypto';
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
import type { World } from './world.js';

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

/** The mailbox simulator's addresses that answer with feedback, and which. */
const SIMULATOR: Readonly<Record<string, 'Bounce' | 'Complaint'>> = {
  'bounce@simulator.amazonses.com': 'Bounce',
  'suppressionlist@simulator.amazonses.com': 'Bounce',
  'complaint@simulator.amazonses.com': 'Complaint',
};

/** Receives SES's feedback events (bounce, complaint) as SES publishes them. */
export type EmailEventListener = (notification: Record<string, unknown>) => void;

/** The listener of each sandbox, by its world (one object for the life of a sandbox). */
const listeners = new WeakMap<World, EmailEventListener>();

/** Registers where the sandbox's SES publishes bounces and complaints. */
export function onEmailEvent(sandbox: { readonly world: World }, listener: EmailEventListener): void {
  listeners.set(sandbox.world, listener);
}

/**
 * A feedback event as SNS hands it to a Lambda function: one record whose message is the event's
 * JSON (the topic the configuration set publishes to, in the stack).
 */
export function asSnsEvent(notification: Record<string, unknown>, region: string, accountId: string) {
  const topicArn = `arn:aws:sns:${region}:${accountId}:s3-exposure-email-feedback`;
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: topicArn,
          Message: JSON.stringify(notification),
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'sandbox',
          SigningCertUrl: `https://sns.${region}.amazonaws.com/SimpleNotificationService.pem`,
          UnsubscribeUrl: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe`,
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** The feedback events a sent message draws from the mailbox simulator, in SES's event shape. */
function simulatorEvents(
  input: SendEmailCommandInput,
  entry: OutboxEntry,
  messageId: string,
  now: Date,
): Record<string, unknown>[] {
  const to = [...recipientsOf(input).to, ...recipientsOf(input).cc, ...recipientsOf(input).bcc].map(
    bareAddress,
  );
  const tags: Record<string, string[]> = {};
  for (const tag of input.EmailTags ?? []) if (tag.Name && tag.Value) tags[tag.Name] = [tag.Value];
  const mail = {
    timestamp: now.toISOString(),
    messageId,
    source: input.FromEmailAddress ?? '',
    destination: to,
    tags,
    commonHeaders: { subject: entry.subject, to },
  };
  return to.flatMap((address): Record<string, unknown>[] => {
    const kind = SIMULATOR[address.toLowerCase()];
    if (kind === 'Bounce') {
      return [
        {
          eventType: 'Bounce',
          mail,
          bounce: {
            bounceType: 'Permanent',
            bounceSubType: address.startsWith('suppressionlist') ? 'OnAccountSuppressionList' : 'General',
            bouncedRecipients: [{ emailAddress: address, action: 'failed', status: '5.1.1' }],
            timestamp: now.toISOString(),
            feedbackId: randomUUID(),
          },
        },
      ];
    }
    if (kind === 'Complaint') {
      return [
        {
          eventType: 'Complaint',
          mail,
          complaint: {
            complainedRecipients: [{ emailAddress: address }],
            complaintFeedbackType: 'abuse',
            timestamp: now.toISOString(),
            feedbackId: randomUUID(),
          },
        },
      ];
    }
    return [];
  });
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
    const listener = listeners.get(ctx.world);
    if (listener) {
      // SES answers first and reports the bounce later, as a separate event.
      for (const event of simulatorEvents(input, entry, messageId, ctx.now))
        setTimeout(() => listener(event), 0);
    }
    return { MessageId: messageId };
  },
);

/** SES v2 operations by command name. */
export const SES_OPERATIONS: OperationTable = { SendEmail: sendEmail };
