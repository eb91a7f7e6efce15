/**
 * Retry safety: Step Functions runs a Task again after a Lambda error or timeout that can arrive
 * after the function wrote. Every scenario here runs twice on the same events: once plainly, and
 * once with EVERY Task failing once after it ran (its writes done, its answer lost). Both runs
 * must end the same: the same path (each retried state entered twice), the same incident and
 * finding, one alert per recipient, one backup, no second change.
 */
import { describe, expect, it } from 'vitest';
import type { SimulationRun } from '../../local/simulate.js';
import { PATHS, run, type SampleEvent, sampleEvent, world } from './support.js';

/** S3 and Security Hub writes, SES sends: the side effects a retry must not repeat. */
const SIDE_EFFECTS = /^(Put|Delete|Send|BatchImport|BatchUpdate|StartExecution)/;

const EVIDENCE = 's3-exposure-evidence-111122223333-us-east-1';

/** The path without a state's immediate repeat: a retried Task entered twice counts once. */
function collapsed(path: readonly string[]): string[] {
  return path.filter((state, i) => state !== path[i - 1]);
}

/** What a run left, in the terms that must not change when Tasks are retried. */
function outcome(simulation: SimulationRun) {
  const { result, environment } = simulation;
  return {
    paths: result.executions.map((e) => collapsed(e.path)),
    statuses: result.executions.map((e) => e.status),
    incidents: simulation.incidents.map((i) => ({
      status: i.status,
      closedReason: i.closedReason,
      response: i.response,
      vectors: i.verdict.vectors.length,
      events: i.events.length,
      remediated: i.remediation?.verified ?? null,
    })),
    findings: result.world.securityHubFindings.map((f) => [JSON.stringify(f.Workflow), f.RecordState]),
    outbox: result.outbox.map((m) => [m.to, m.subject]),
    writes: environment.sandbox.calls
      .filter((c) => c.outcome === 'ok' && SIDE_EFFECTS.test(c.operation))
      .map((c) => c.operation)
      .sort(),
    // Backups are named by incident and time: count them; compare every other bucket whole.
    backups: Object.keys(result.world.buckets[EVIDENCE]?.objects ?? {}).length,
    buckets: Object.fromEntries(Object.entries(result.world.buckets).filter(([name]) => name !== EVIDENCE)),
  };
}

async function bothWays(events: () => SampleEvent[], options: Parameters<typeof run>[1] = {}) {
  const plain = await run(events(), { serial: true, ...options });
  const retried = await run(events(), { serial: true, harness: { failOnceAfterRun: true }, ...options });
  return { plain, retried };
}

/** Fixed eventIDs, so both runs see the same events. */
function fixed(name: string, id: string, change?: (event: SampleEvent) => void): () => SampleEvent {
  return () =>
    sampleEvent(name, (e) => {
      e.detail.eventID = id;
      change?.(e);
    });
}

const publicPolicy = fixed('put-bucket-policy-public', 'retry-policy');
const removePolicy = fixed('delete-bucket-policy', 'retry-delete', (e) => {
  e.detail.requestParameters.bucketName = 'acme-public-assets';
});

describe('every Task failing once after it ran', () => {
  it('notify: the same incident, finding and single alert', async () => {
    const { plain, retried } = await bothWays(() => [publicPolicy()]);

    expect(collapsed(plain.result.executions[0]?.path ?? [])).toEqual(PATHS.reported);
    expect(outcome(retried)).toEqual(outcome(plain));
    // Every Task state of the path was entered twice in the retried run.
    const tasks = PATHS.reported.filter((s) => !s.endsWith('?') && s !== 'ResponseComplete');
    for (const task of tasks) {
      expect(
        retried.result.executions[0]?.path.filter((s) => s === task),
        task,
      ).toHaveLength(2);
    }
  });

  it('auto: one backup, one change, verified and closed as REMEDIATED', async () => {
    const { plain, retried } = await bothWays(() => [publicPolicy()], { mode: 'auto' });

    expect(collapsed(plain.result.executions[0]?.path ?? [])).toEqual(PATHS.remediated);
    expect(outcome(retried)).toEqual(outcome(plain));
    expect(outcome(retried).backups).toBe(1);
  });

  it('the exposure ends: one closing notice, the finding RESOLVED once', async () => {
    const { plain, retried } = await bothWays(() => [publicPolicy(), removePolicy()]);

    expect(collapsed(plain.result.executions[1]?.path ?? [])).toEqual(PATHS.closed);
    expect(outcome(retried)).toEqual(outcome(plain));
  });

  it('an exception covers it: SUPPRESSED once, nothing changed', async () => {
    const excepted = world((w) => {
      w.exceptions.push({
        id: 'exc-site',
        bucket: 'acme-public-assets',
        vectors: [],
        owner: 'web-team',
        reason: 'public website',
        expiry: '2099-01-01T00:00:00Z',
      });
    });
    // The exception names the bucket's public ways in as the first run finds them.
    const first = await run([publicPolicy()], { world: excepted });
    const vectors = first.incidents[0]?.verdict.vectors ?? [];
    const covered = world((w) => {
      w.exceptions.push({
        id: 'exc-site',
        bucket: 'acme-public-assets',
        vectors,
        owner: 'web-team',
        reason: 'public website',
        expiry: '2099-01-01T00:00:00Z',
      });
    });

    const { plain, retried } = await bothWays(() => [publicPolicy()], { world: covered });

    expect(collapsed(plain.result.executions[0]?.path ?? [])).toEqual(PATHS.suppressed);
    expect(outcome(retried)).toEqual(outcome(plain));
  });

  it('a storm on one bucket: one incident, one finding, one alert', async () => {
    const storm = () =>
      Array.from({ length: 6 }, (_, i) =>
        sampleEvent('put-bucket-policy-public', (e) => {
          e.detail.eventID = `retry-storm-${i}`;
        }),
      );
    const plain = await run(storm(), { serial: true });
    const retried = await run(storm(), { serial: true, harness: { failOnceAfterRun: true } });

    expect(outcome(retried)).toEqual(outcome(plain));
    expect(retried.result.outbox).toHaveLength(1);
  });

  it('an account-level change fans out once per bucket', async () => {
    const locked = world((w) => {
      w.accountPublicAccessBlock = {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      };
    });
    const event = fixed('delete-account-public-access-block', 'retry-account');

    const { plain, retried } = await bothWays(() => [event()], { world: locked });

    expect(collapsed(plain.result.executions[0]?.path ?? [])).toEqual(PATHS.fannedOut);
    expect(outcome(retried)).toEqual(outcome(plain));
    const children = (r: SimulationRun) => r.environment.runner.executions.length;
    expect(children(retried)).toBe(children(plain));
  });

  it('a malformed event: one failure finding, one operators’ email', async () => {
    const { plain, retried } = await bothWays(() => [
      sampleEvent('put-bucket-policy-public', (e) => {
        e.detail.eventID = 'retry-malformed';
        e.detail.eventTime = 'not a time';
      }),
    ]);

    expect(plain.result.executions[0]?.path).toEqual(PATHS.malformed);
    expect(outcome(retried)).toEqual(outcome(plain));
  });
});
