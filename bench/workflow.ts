/**
 * Workflow cost on the embedded default: states entered per incident and per duplicate event
 * (Step Functions Standard bills per state transition), and wall time per execution locally.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, defaultWorld } from '../local/defaults.js';
import { projectPath } from '../local/paths.js';
import { simulate } from '../local/simulate.js';

async function stormOf(count: number): Promise<unknown[]> {
  const text = await readFile(projectPath('events', 'put-bucket-acl-canned.json'), 'utf8');
  return Array.from({ length: count }, () => {
    const event = JSON.parse(text) as { detail: { eventID: string } };
    event.detail.eventID = randomUUID();
    return event;
  });
}

export async function benchWorkflow(): Promise<void> {
  for (const count of [1, 100, 1000]) {
    const events = await stormOf(count);
    const stateDir = await mkdtemp(join(tmpdir(), 's3-exposure-bench-'));
    const start = performance.now();
    const run = await simulate({ world: defaultWorld(), config: defaultConfig(), events, stateDir });
    const ms = performance.now() - start;
    const paths = run.result.executions.map((e) => e.path.length);
    const owners = run.result.executions.filter((e) => e.path.includes('ClassifyExposure'));
    const joined = paths.length - owners.length;
    const ownerStates = owners.reduce((n, e) => n + e.path.length, 0);
    const joinedStates = paths.reduce((n, p) => n + p, 0) - ownerStates;
    console.log(
      `storm of ${count} events on one bucket: ${owners.length} owner execution(s), ${ownerStates} states; ` +
        `${joined} joined, ${joined ? (joinedStates / joined).toFixed(1) : '0'} states each; ` +
        `${run.result.outbox.length} alert(s); ${ms.toFixed(0)} ms (${(ms / count).toFixed(1)} ms per event)`,
    );
  }
}
