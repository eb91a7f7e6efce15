import { describe, expect, it, vi } from 'vitest';
import {
  ChatDeliveryError,
  type ChatMessage,
  chatPost,
  postToChannels,
  slackPayload,
  teamsPayload,
  webhookChatPoster,
} from '../../../../tasks/shared/messages/chat.js';

const MESSAGE: ChatMessage = {
  subject: 'Decision needed: S3 bucket <b>&co</b> is public (HIGH)',
  lines: ['Principal * may read <https://evil.example|click here>'],
  facts: [{ name: 'Bucket', value: 'acme<x>' }],
  link: { label: 'Open the approval status', url: 'https://page.example/a/0123/status?r=chat%3Asoc' },
};

const SLACK = { name: 'soc', kind: 'slack' as const };
const TEAMS = { name: 'soc-teams', kind: 'teams' as const };
const URLS = JSON.stringify({ soc: 'https://hooks.slack.example/services/T/B/secretpart' });

describe('slackPayload', () => {
  it('escapes mrkdwn so text cannot make a link, and links only by URL button', () => {
    const payload = slackPayload(MESSAGE) as { text: string; blocks: Array<Record<string, unknown>> };
    const text = JSON.stringify(payload.blocks);
    expect(text).not.toContain('<https://evil.example|click here>');
    expect(text).toContain('&lt;https://evil.example|click here&gt;');
    expect(text).toContain('acme&lt;x&gt;');
    const actions = payload.blocks.find((b) => b.type === 'actions') as {
      elements: Array<Record<string, unknown>>;
    };
    expect(actions.elements).toEqual([
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Open the approval status' },
        url: MESSAGE.link?.url,
      },
    ]);
    expect(payload.text).toBe(MESSAGE.subject);
  });

  it('has no button without a link, and clips a long header to Slack’s 150 characters', () => {
    const payload = slackPayload({ ...MESSAGE, subject: 'x'.repeat(400), link: null }) as {
      blocks: Array<{ type: string; text?: { text: string } }>;
    };
    expect(payload.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(payload.blocks[0]?.text?.text).toHaveLength(150);
  });
});

describe('teamsPayload', () => {
  it('is one Adaptive Card whose only action opens the page', () => {
    const payload = teamsPayload(MESSAGE) as {
      type: string;
      attachments: Array<{ contentType: string; content: { actions: unknown[]; body: unknown[] } }>;
    };
    expect(payload.type).toBe('message');
    expect(payload.attachments).toHaveLength(1);
    expect(payload.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(payload.attachments[0]?.content.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open the approval status', url: MESSAGE.link?.url },
    ]);
    expect(JSON.stringify(payload.attachments[0]?.content.body)).toContain('FactSet');
  });
});

describe('chatPost', () => {
  it('shapes the message for the channel’s kind and keeps a plain-text copy', () => {
    expect(chatPost(SLACK, MESSAGE).payload).toEqual(slackPayload(MESSAGE));
    const teams = chatPost(TEAMS, MESSAGE);
    expect(teams.payload).toEqual(teamsPayload(MESSAGE));
    expect(teams.text).toContain('Bucket: acme<x>');
    expect(teams.text).toContain(`Open the approval status: ${MESSAGE.link?.url}`);
  });
});

describe('webhookChatPoster', () => {
  it('posts the payload as JSON to the channel’s URL from the secret', async () => {
    const send = vi.fn(async () => new Response('ok', { status: 200 }));
    await webhookChatPoster(async () => URLS, send).post(chatPost(SLACK, MESSAGE));
    expect(send).toHaveBeenCalledTimes(1);
    const [url, init] = send.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('https://hooks.slack.example/services/T/B/secretpart');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual(slackPayload(MESSAGE));
    expect(init.redirect).toBe('error');
  });

  it('refuses an answer that is not 2xx, naming the status but never the URL', async () => {
    const send = vi.fn(async () => new Response('no_service', { status: 404 }));
    const error = await webhookChatPoster(async () => URLS, send)
      .post(chatPost(SLACK, MESSAGE))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatDeliveryError);
    expect(String((error as Error).message)).toContain('HTTP 404');
    expect(String((error as Error).message)).not.toContain('secretpart');
  });

  it('refuses a network failure, a channel missing from the secret, and a secret that is not https URLs', async () => {
    const down = vi.fn(async () => {
      throw new TypeError('fetch failed');
    });
    await expect(webhookChatPoster(async () => URLS, down).post(chatPost(SLACK, MESSAGE))).rejects.toThrow(
      /could not be reached \(TypeError\)/,
    );
    const send = vi.fn(async () => new Response('ok'));
    await expect(webhookChatPoster(async () => URLS, send).post(chatPost(TEAMS, MESSAGE))).rejects.toThrow(
      /no webhook URL/,
    );
    const plain = JSON.stringify({ soc: 'http://hooks.slack.example/x' });
    await expect(webhookChatPoster(async () => plain, send).post(chatPost(SLACK, MESSAGE))).rejects.toThrow(
      /not a JSON map of https URLs/,
    );
    await expect(
      webhookChatPoster(async () => undefined, send).post(chatPost(SLACK, MESSAGE)),
    ).rejects.toThrow(ChatDeliveryError);
    expect(send).not.toHaveBeenCalled();
  });
});

describe('postToChannels', () => {
  it('posts to each channel and returns the ones it could not reach, without throwing', async () => {
    const posted: string[] = [];
    const poster = {
      post: async (post: { channel: string }) => {
        if (post.channel === 'soc-teams') throw new ChatDeliveryError('soc-teams', 'HTTP 500');
        posted.push(post.channel);
      },
    };
    expect(await postToChannels(poster, [SLACK, TEAMS], MESSAGE)).toEqual(['soc-teams (ChatDeliveryError)']);
    expect(posted).toEqual(['soc']);
  });

  it('reports every channel as unreached when no poster is configured', async () => {
    expect(await postToChannels(undefined, [SLACK], MESSAGE)).toEqual(['soc (ChatDeliveryError)']);
  });
});
