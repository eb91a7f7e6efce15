/**
 * Chat beside email in mode approve: each configured channel hears that a decision is needed,
 * with a link to a read-only status page, and how it ended. Chat never decides and never stops
 * the request: a channel that cannot be reached is recorded, and email carries the decision.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../local/defaults.js';
import type { OutboxEntry } from '../../local/sandbox/operations.js';
import type { ResponderConfig } from '../../tasks/shared/contracts.js';
import { run, sampleEvent, world } from './support.js';

const CHANNELS = [
  { name: 'soc-slack', kind: 'slack' as const },
  { name: 'soc-teams', kind: 'teams' as const },
];

function withChat(): ResponderConfig {
  return { ...defaultConfig(), chat: { channels: CHANNELS } };
}

function chatPosts(outbox: readonly OutboxEntry[]): OutboxEntry[] {
  return outbox.filter((m) => m.channel === 'chat');
}

async function slackStatusLink(entry: OutboxEntry | undefined): Promise<string> {
  const posted = JSON.parse(await readFile(entry?.file ?? '', 'utf8')) as {
    payload: { blocks: Array<{ type: string; elements?: Array<{ url: string }> }> };
  };
  const button = posted.payload.blocks.find((b) => b.type === 'actions')?.elements?.[0];
  return button?.url ?? '';
}

describe('approval status in chat', () => {
  it('tells each channel that a decision is needed and how it ended; the link only shows the status', async () => {
    const { result, environment } = await run([sampleEvent('put-bucket-policy-public')], {
      config: withChat(),
      mode: 'approve',
      decision: 'reject',
      keepOpen: true,
    });
    expect(result.executions[0]?.path).toContain('RecordRejection');
    const posts = chatPosts(result.outbox);
    expect(posts.map((p) => [p.to, p.subject.split(':')[0]])).toEqual([
      ['soc-slack', 'Decision needed'],
      ['soc-teams', 'Decision needed'],
      ['soc-slack', 'Fix rejected'],
      ['soc-teams', 'Fix rejected'],
    ]);
    const teams = JSON.parse(await readFile(posts[1]?.file ?? '', 'utf8'));
    expect(teams).toMatchObject({ channel: 'soc-teams', kind: 'teams', payload: { type: 'message' } });

    // The button opens the status page: the facts and who decided, no form, no CSRF cookie.
    const link = await slackStatusLink(posts[2]);
    expect(link).toMatch(/\/a\/[0-9a-f]{32}\/status\?r=chat%3Asoc-slack&exp=\d+&sig=v1\./);
    const page = await fetch(link);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Already decided: REJECTED');
    expect(html).not.toContain('<form');
    expect(page.headers.get('set-cookie')).toBeNull();
    // The same signature does not open the decision page, and the status page takes no POST.
    expect((await fetch(link.replace('/status?', '?'))).status).toBe(403);
    expect((await fetch(link, { method: 'POST', body: 'decision=APPROVED' })).status).toBe(405);

    // The index of the outbox never holds a signature.
    await environment.save();
    const index = await readFile(join(environment.stateDir, 'outbox.jsonl'), 'utf8');
    expect(index).toContain('/status?r=chat%3Asoc-slack');
    expect(index).not.toMatch(/sig=v1\.[^&\s"]*\.[A-Za-z0-9_-]{43}/);
  });

  it('a channel that cannot be reached is recorded on the incident; the request still goes out', async () => {
    const { result } = await run([sampleEvent('put-bucket-policy-public')], {
      config: withChat(),
      mode: 'approve',
      decision: 'approve',
      world: world((w) => {
        w.faults.push({ service: 'chat', operation: 'PostMessage', error: 'ServiceUnavailable', times: 1 });
      }),
    });
    const [execution] = result.executions;
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.incident).toMatchObject({ closedReason: 'REMEDIATED' });
    expect(JSON.stringify(execution?.incident)).toContain('chat not reached: soc-slack (ServiceUnavailable)');
    expect(
      result.outbox.filter((m) => m.channel === 'email' && m.subject.startsWith('Decision needed')),
    ).toHaveLength(1);
    // The closing notice reaches both channels.
    expect(
      chatPosts(result.outbox)
        .filter((p) => p.subject.startsWith('['))
        .map((p) => p.to),
    ).toEqual(['soc-slack', 'soc-teams']);
  });

  it('a retried request posts to each channel once', async () => {
    const { result } = await run([sampleEvent('put-bucket-policy-public')], {
      config: withChat(),
      mode: 'approve',
      decision: 'approve',
      harness: { failOnceAfterRun: ['RequestApproval'] },
    });
    expect(result.executions[0]?.path.filter((s) => s === 'RequestApproval')).toHaveLength(2);
    expect(chatPosts(result.outbox).filter((p) => p.subject.startsWith('Decision needed'))).toHaveLength(2);
  });
});
