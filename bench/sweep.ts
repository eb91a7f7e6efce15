/**
 * The sweep's cost on the embedded default: AWS calls (the sandbox's call log) and incident
 * store reads per sweep of an account of 1,000 buckets, and its wall time locally. The
 * executions it starts are held back while it runs, so the figures are the sweep's alone; they
 * run afterwards, and a second sweep shows the cost once everything is answered.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, defaultWorld } from '../local/defaults.js';
import { LocalEnvironment } from '../local/environment.js';
import type { StartExecutionRequest } from '../local/sandbox/operations.js';
import type { IncidentStore } from '../tasks/shared/incident-store.js';
import { type SweepReport, sweepAccount } from '../tasks/sweep/sweep.js';

const BUCKETS = 1000;
/** One bucket in this many is public. */
const PUBLIC_EVERY = 100;

/** The store, counting the calls the sweep makes to it by method. */
function countingStore(store: IncidentStore, counts: Map<string, number>): IncidentStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counts.set(String(property), (counts.get(String(property)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
}

function tally(counts: Map<string, number>): string {
  const total = [...counts.values()].reduce((n, c) => n + c, 0);
  const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n}`);
  return `${total} (${parts.join(', ')})`;
}

async function sweepOnce(environment: LocalEnvironment, sweepId: string) {
  const storeCalls = new Map<string, number>();
  const deps = {
    ...environment.deps,
    store: countingStore(environment.store, storeCalls),
    stateMachineArn: environment.runner.stateMachineArn,
  };
  const before = environment.sandbox.calls.length;
  const start = performance.now();
  const report: SweepReport = await sweepAccount(deps, { sweepId });
  const ms = performance.now() - start;
  const awsCalls = new Map<string, number>();
  for (const call of environment.sandbox.calls.slice(before)) {
    // S3's and S3 Control's GetPublicAccessBlock are two calls: the bucket's and the account's.
    const name = call.service === 's3' ? call.operation : `${call.service}:${call.operation}`;
    awsCalls.set(name, (awsCalls.get(name) ?? 0) + 1);
  }
  return { report, ms, awsCalls, storeCalls };
}

export async function benchSweep(): Promise<void> {
  const world = defaultWorld();
  const template = world.buckets['acme-logs'];
  if (!template) throw new Error('the sample world has no acme-logs');
  // Only the bench's buckets (and the evidence bucket the environment adds).
  world.buckets = {};
  for (let i = 0; i < BUCKETS; i++) {
    const name = `bench-bucket-${String(i).padStart(4, '0')}`;
    const policy =
      i % PUBLIC_EVERY === 0
        ? {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${name}/*` },
            ],
          }
        : null;
    world.buckets[name] = { ...structuredClone(template), policy, region: i % 2 ? 'eu-west-1' : 'us-east-1' };
  }
  const stateDir = await mkdtemp(join(tmpdir(), 's3-exposure-bench-sweep-'));
  const environment = await LocalEnvironment.open({ stateDir, world, config: defaultConfig() });
  try {
    // Hold the executions back while the sweep runs, so its calls are counted alone.
    const held: StartExecutionRequest[] = [];
    environment.sandbox.onStartExecution((request) => {
      held.push(request);
    });
    const first = await sweepOnce(environment, 'bench-first');
    const checked = first.report.bucketsChecked;
    const awsTotal = [...first.awsCalls.values()].reduce((n, c) => n + c, 0);
    console.log(
      `sweep of ${checked} buckets (${first.report.public.length} public): ${tally(first.awsCalls)} AWS calls, ` +
        `${(awsTotal / checked).toFixed(1)} per bucket; incident store calls ${tally(first.storeCalls)}; ` +
        `${first.ms.toFixed(0)} ms locally (${(first.ms / checked).toFixed(1)} ms per bucket, ` +
        `concurrency ${environment.deps.config.limits.objectAclConcurrency}); ${first.report.started.length} executions started`,
    );

    // From here on, executions run as started (the Macie scans the responses start among them).
    const started = held.length;
    environment.sandbox.onStartExecution((request) => {
      void environment.runner.start(JSON.parse(request.input), request.name);
    });
    const start = performance.now();
    for (const request of held) void environment.runner.start(JSON.parse(request.input), request.name);
    await environment.runner.idle();
    const states = environment.runner.executions.reduce((n, e) => n + e.path.length, 0);
    const scans = environment.runner.executions.length - started;
    console.log(
      `  the ${started} executions it started (and the ${scans} Macie scan executions they started): ${states} states in all, ${environment.sandbox.outbox.length} alert(s); ` +
        `${(performance.now() - start).toFixed(0)} ms locally`,
    );

    const second = await sweepOnce(environment, 'bench-second');
    const secondTotal = [...second.awsCalls.values()].reduce((n, c) => n + c, 0);
    console.log(
      `  a second sweep, everything answered: ${secondTotal} AWS calls, ${tally(second.storeCalls)} store calls, ` +
        `${second.ms.toFixed(0)} ms; ${second.report.started.length} executions started`,
    );
  } finally {
    await environment.close();
  }
}
