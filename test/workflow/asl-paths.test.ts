/**
 * The path analysis of asl.test.ts rests on what each Task's handler writes and keeps
 * (asl-contracts.ts). This holds those claims to real runs: on every successful entry of a Task,
 * through the paths the scenarios take, the output has each path the contract says it writes,
 * and every field of the input the contract does not let it drop.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../local/defaults.js';
import { LocalEnvironment } from '../../local/environment.js';
import type { ExecutionRecord, StateHandler } from '../../local/runner.js';
import { applyEventToWorld } from '../../local/sandbox/apply-event.js';
import { releaseLease } from '../../tasks/release-lease/handler.js';
import { TASK_CONTRACTS } from './asl-contracts.js';
import { run, sampleEvent, tempStateDir, world } from './support.js';

/** The value at `$.a.b` in `value`, or undefined. */
function at(value: unknown, path: string): unknown {
  let current = value;
  for (const segment of path.slice(2).split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every successful Task entry of the executions that breaks its contract, in words. */
function brokenContracts(executions: readonly ExecutionRecord[], seen: Set<string>): string[] {
  const broken: string[] = [];
  for (const execution of executions) {
    for (const step of execution.steps) {
      if (step.type !== 'Task' || step.output === undefined || step.error) continue;
      const contract = TASK_CONTRACTS[step.name];
      if (!contract) {
        broken.push(`${step.name}: no contract`);
        continue;
      }
      seen.add(step.name);
      for (const path of Object.keys(contract.writes))
        if (at(step.output, path) === undefined) broken.push(`${step.name} did not write ${path}`);
      if (contract.drops.includes('$') || !isObject(step.input) || !isObject(step.output)) continue;
      for (const key of Object.keys(step.input))
        if (!contract.drops.includes(`$.${key}`) && !(key in step.output))
          broken.push(`${step.name} dropped $.${key}`);
    }
  }
  return broken;
}

/**
 * An owner that classifies again and again, as events keep joining (one more each time it is about
 * to let the bucket go), until it used up its rounds (two) and hands the bucket over: later rounds
 * start from what earlier ones left in the state, and the hand-over classifies nothing.
 */
async function roundsUsedUp(): Promise<ExecutionRecord[]> {
  const config = { ...defaultConfig(), limits: { ...defaultConfig().limits, maxRounds: 2 } };
  const late = Array.from({ length: 3 }, () => sampleEvent('put-bucket-policy-public'));
  const opened: { environment?: LocalEnvironment } = {};
  const joinThenRelease: StateHandler = async (input, deps) => {
    const next = late.shift();
    if (next && opened.environment) await opened.environment.runner.start(next);
    return releaseLease(input, deps);
  };
  const environment = await LocalEnvironment.open({
    stateDir: await tempStateDir(),
    world: world(),
    config,
    handlers: { ReleaseLease: joinThenRelease },
  });
  onTestFinished(() => environment.close());
  opened.environment = environment;
  const first = sampleEvent('put-bucket-policy-public');
  applyEventToWorld(environment.sandbox, first);
  const owner = await environment.runner.start(first);
  await environment.runner.idle();
  expect(owner.path.at(-1)).toBe('HandedOverToFreshExecution');
  return environment.runner.executions;
}

const EXCEPTION = {
  id: 'exc-site',
  bucket: 'acme-public-assets',
  owner: 'web-team',
  reason: 'public website',
  expiry: '2099-01-01T00:00:00Z',
};

describe('the Task contracts the path analysis rests on', () => {
  it('hold on every Task entry of the main paths (notify, auto, approve, reject, expire, failures, fan-out, exception, rounds used up, Macie scan)', async () => {
    const seen = new Set<string>();
    const runs = [
      run([sampleEvent('put-bucket-policy-public')]),
      run([sampleEvent('put-bucket-policy-public')], { mode: 'auto' }),
      run([sampleEvent('put-bucket-policy-public')], { mode: 'approve', decision: 'approve' }),
      run([sampleEvent('put-bucket-policy-public')], { mode: 'approve', decision: 'reject' }),
      run([sampleEvent('put-bucket-policy-public')], { mode: 'approve', decision: 'expire' }),
      run([sampleEvent('delete-bucket-policy')]),
      run([sampleEvent('put-bucket-policy-public')], {
        world: world((w) => {
          w.services.securityHub = 'disabled';
          w.faults.push({
            service: 'ses',
            operation: 'SendEmail',
            error: 'AccessDeniedException',
            times: 1000,
          });
        }),
      }),
      run([sampleEvent('delete-account-public-access-block')]),
      run([{ not: 'an event' }]),
    ];
    const simulations = await Promise.all(runs);
    const broken = simulations.flatMap((s) => brokenContracts(s.environment.runner.executions, seen));

    // An exception that names the bucket's public ways in, as a first run finds them: suppressed.
    const first = await run([sampleEvent('put-bucket-policy-public')]);
    const vectors = first.incidents[0]?.verdict.vectors ?? [];
    const excepted = await run([sampleEvent('put-bucket-policy-public')], {
      world: world((w) => {
        w.exceptions.push({ ...EXCEPTION, vectors });
      }),
    });
    broken.push(...brokenContracts(excepted.environment.runner.executions, seen));
    broken.push(...brokenContracts(await roundsUsedUp(), seen));

    expect(broken).toEqual([]);
    // Not taken here: SupersedeApproval and RecordScanFailure (their contracts write nothing).
    expect([...seen].sort()).toEqual(
      Object.keys(TASK_CONTRACTS)
        .filter((name) => name !== 'SupersedeApproval' && name !== 'RecordScanFailure')
        .sort(),
    );
  });
});
