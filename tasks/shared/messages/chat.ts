/**
 * Chat messages: Slack (Block Kit, through an incoming webhook) and Microsoft Teams (an Adaptive
 * Card, through a Workflows webhook). A chat message tells a channel what happened and links to
 * a page; it never carries a button that decides anything, since anyone in the channel could
 * press it (and link unfurlers fetch every URL they see).
 *
 * The webhook URLs are secrets (whoever holds one can post as the responder): in AWS they come
 * from Secrets Manager, never from the configuration or the template; locally the sandbox writes
 * each post as a JSON file into the outbox.
 */
import { z } from 'zod';
import type { ChatChannel, ChatKind } from '../contracts.js';
import { ResponderError } from '../errors.js';

/** What a chat message says, before it is shaped for Slack or Teams. */
export interface ChatMessage {
  /** One line: the headline. */
  readonly subject: string;
  /** A few short lines of plain text. */
  readonly lines: readonly string[];
  /** Label and value pairs shown as a table. */
  readonly facts: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  /** The one link: a page to open, never an action. */
  readonly link: { readonly label: string; readonly url: string } | null;
}

/** One post to one channel: the channel, the payload its webhook takes, and a plain-text copy. */
export interface ChatPost {
  readonly channel: string;
  readonly kind: ChatKind;
  readonly subject: string;
  readonly text: string;
  readonly payload: object;
}

/** Sends posts: to the webhooks in AWS, into the outbox locally. */
export interface ChatPoster {
  post(post: ChatPost): Promise<void>;
}

/** A webhook refused the post, or could not be reached. */
export class ChatDeliveryError extends ResponderError {
  override name = 'ChatDeliveryError';

  constructor(
    readonly channel: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`chat channel ${channel}: ${detail}`, options);
  }
}

/** Slack's mrkdwn treats these three as markup: escape them, so a bucket name cannot make a link. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack limits a section's text to 3,000 characters and a header to 150. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The Block Kit payload: a header, the lines, the facts, and a link button (a URL, not an action). */
export function slackPayload(message: ChatMessage): object {
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(message.subject, 150), emoji: false } },
  ];
  if (message.lines.length > 0) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(slackEscape(message.lines.join('\n')), 3_000) },
    });
  }
  if (message.facts.length > 0) {
    blocks.push({
      type: 'section',
      // Slack shows at most ten fields per section.
      fields: message.facts.slice(0, 10).map((fact) => ({
        type: 'mrkdwn',
        text: clip(`*${slackEscape(fact.name)}*\n${slackEscape(fact.value)}`, 2_000),
      })),
    });
  }
  if (message.link) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: clip(message.link.label, 75) },
          url: message.link.url,
        },
      ],
    });
  }
  // `text` is the notification's fallback and what screen readers announce.
  return { text: message.subject, blocks };
}

/** The Teams Workflows payload: a message with one Adaptive Card; its only action opens a URL. */
export function teamsPayload(message: ChatMessage): object {
  const body: object[] = [
    { type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, text: message.subject },
    ...message.lines.map((line) => ({ type: 'TextBlock', wrap: true, text: line })),
  ];
  if (message.facts.length > 0) {
    body.push({
      type: 'FactSet',
      facts: message.facts.map((fact) => ({ title: fact.name, value: fact.value })),
    });
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions: message.link
            ? [{ type: 'Action.OpenUrl', title: message.link.label, url: message.link.url }]
            : [],
        },
      },
    ],
  };
}

/** The message shaped for one channel, with its plain-text copy. */
export function chatPost(channel: ChatChannel, message: ChatMessage): ChatPost {
  const text = [
    message.subject,
    ...message.lines,
    ...message.facts.map((fact) => `${fact.name}: ${fact.value}`),
    ...(message.link ? [`${message.link.label}: ${message.link.url}`] : []),
  ].join('\n');
  return {
    channel: channel.name,
    kind: channel.kind,
    subject: message.subject,
    text,
    payload: channel.kind === 'slack' ? slackPayload(message) : teamsPayload(message),
  };
}

/**
 * Posts `message` to every channel given, one after the other, and returns the channels it
 * could not reach as `name (ErrorName)`. Chat is a second channel beside email: a failed post
 * is reported by the caller, never thrown.
 */
export async function postToChannels(
  poster: ChatPoster | undefined,
  channels: readonly ChatChannel[],
  message: ChatMessage,
): Promise<string[]> {
  const failed: string[] = [];
  for (const channel of channels) {
    try {
      if (!poster) throw new ChatDeliveryError(channel.name, 'no chat webhooks are configured');
      await poster.post(chatPost(channel, message));
    } catch (error) {
      failed.push(`${channel.name} (${error instanceof Error ? error.name : 'Error'})`);
    }
  }
  return failed;
}

const WebhookUrlsSchema = z.record(
  z.string(),
  z.url({ protocol: /^https$/, error: 'a chat webhook URL is an https URL' }),
);

/** How long one webhook call may take before it counts as failed. */
const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * Posts to the webhooks whose URLs `readUrls` returns (the secret's JSON: channel name → URL).
 * The URLs are read on every post (the reader caches), so a rotated webhook lands without a
 * deployment; a URL never appears in an error, a log line or a message.
 */
export function webhookChatPoster(
  readUrls: () => Promise<string | undefined>,
  send: typeof fetch = fetch,
): ChatPoster {
  return {
    async post(post) {
      const text = await readUrls();
      let urls: Record<string, string>;
      try {
        urls = WebhookUrlsSchema.parse(JSON.parse(text ?? ''));
      } catch (error) {
        throw new ChatDeliveryError(post.channel, 'the webhook secret is not a JSON map of https URLs', {
          cause: error,
        });
      }
      const url = urls[post.channel];
      if (url === undefined) throw new ChatDeliveryError(post.channel, 'no webhook URL in the secret');
      let response: Response;
      try {
        response = await send(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(post.payload),
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
          redirect: 'error',
        });
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        throw new ChatDeliveryError(post.channel, `the webhook could not be reached (${name})`, {
          cause: error,
        });
      }
      // Slack answers 200 "ok"; a Teams Workflows trigger answers 202 Accepted.
      if (!response.ok)
        throw new ChatDeliveryError(post.channel, `the webhook answered HTTP ${response.status}`);
    },
  };
}
