/**
 * A task that fails part way, after its run was recorded (Powertools idempotency writes the record
 * before the work): the failed attempt's record is deleted, so the state machine's retry does the
 * work at once, instead of waiting out an attempt that is no longer running (TaskInProgressError
 * until the record's in-progress time passes). Each scenario fails one task with an AWS error
 * that outlasts the SDK's own retries (three attempts here), and asserts that the retry did the
 * whole work once: the task entered exactly twice, and what it does done once.
 *
 * The complement, a task whose answer is lost after it finished, is retry-safety.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decideByLink } from '../../local/approval/decide.js';
import { outsideAnyFunction } from '../../local/call-ledger.js';
import type { EnvironmentOptions, LocalEnvironment } from '../../local/environment.js';
import type { ExecutionRecord, StateHandler, TaskHandlers } from '../../local/runner.js';
import { applyEventToWorld } from '../../local/sandbox/apply-event.js';
import type { FaultInput } from '../../local/sandbox/world.js';
import { recordRejection } from '../../tasks/record-rejection/handler.js';
import { requestApproval } from '../../tasks/request-approval/handler.js';
import { suppressFinding } from '../../tasks/suppress-finding/handler.js';
import { verifyRemediation } from '../../tasks/verify-remediation/handler.js';
import { bucketRef } from '../support/store.js';
import {
  deliver,
  exceptAndCloseOpenIncident,
  modeConfig,
  openEnvironment,
  openState,
  PATHS,
  publicPolicyBehindAccountBlock,
  publicWriteBucketAcl,
  run,
  sampleEvent,
  startUntilApprovalWaits,
  tempStateDir,
  world,
} from './support.js';

const BUCKET = 'acme-public-assets';

/** How many times a state was entered. */
function entries(path: readonly string[], state: string): number {
  return path.filter((s) => s === state).length;
}

/** Runs `real` after queueing `fault` for its first invocation only: the fault is the task's alone. */
function failingFirst(
  environment: () => LocalEnvironment,
  fault: FaultInput,
  real: StateHandler,
): StateHandler {
  let first = true;
  return async (payload, deps) => {
    if (first) {
      first = false;
      environment().sandbox.injectFault(fault);
    }
    return real(payload, deps);
  };
}

/** A fresh state folder with the given tasks replaced (see openEnvironment). */
async function openWith(
  handlers: (environment: () => LocalEnvironment) => Partial<TaskHandlers>,
  options: Partial<Pick<EnvironmentOptions, 'config' | 'world' | 'stateDir' | 'harness'>> = {},
): Promise<LocalEnvironment> {
  let opened: LocalEnvironment | undefined;
  const current = () => {
    if (!opened) throw new Error('the environment is not open yet');
    return opened;
  };
  opened = await openEnvironment({ ...options, handlers: handlers(current) });
  return opened;
}

describe('a task that fails after its run was recorded runs again at once, and does its work once', () => {
  it('FanOutAccountChange, ListBuckets throttled: the retry lists again and starts one execution per bucket', async () => {
    const simulation = await run([sampleEvent('delete-account-public-access-block')], {
      keepOpen: true,
      world: world((w) => {
        publicPolicyBehindAccountBlock(w, 'acme-logs');
        w.faults.push({ service: 's3', operation: 'ListBuckets', error: 'SlowDown', times: 3 });
      }),
    });
    const [execution] = simulation.result.executions;
    const { environment } = simulation;

    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.path).toEqual([
      ...PATHS.fannedOut.slice(0, -1),
      'FanOutAccountChange',
      ...PATHS.fannedOut.slice(-1),
    ]);
    const listings = environment.sandbox.calls.filter((c) => c.operation === 'ListBuckets');
    expect(listings.map((c) => c.outcome)).toEqual(['SlowDown', 'SlowDown', 'SlowDown', 'ok']);
    const starts = environment.sandbox.calls.filter((c) => c.operation === 'StartExecution');
    const started = starts.map((c) => JSON.parse((c.input as { input: string }).input).fanOut?.bucket);
    // Each bucket that needs an answer once (ACLs enabled or public): never twice, none lost.
    expect(new Set(started).size).toBe(started.length);
    expect(started).toContain('acme-logs');
    expect(simulation.incidents.filter((i) => i.bucket === 'acme-logs')).toHaveLength(1);
  });

  it('VerifyRemediation, a read throttled: the retry reads the bucket again and verifies the fix', async () => {
    const environment = await openWith(
      (current) => ({
        VerifyRemediation: failingFirst(
          current,
          { service: 's3', operation: 'GetBucketAcl', error: 'SlowDown', bucket: BUCKET, times: 3 },
          verifyRemediation,
        ),
      }),
      { config: modeConfig('auto') },
    );

    const record = await deliver(environment, sampleEvent('put-bucket-policy-public'));

    expect(record.status).toBe('SUCCEEDED');
    expect(entries(record.path, 'VerifyRemediation')).toBe(2);
    expect(record.path.filter((s, i) => s !== record.path[i - 1])).toEqual(PATHS.remediated);
    const incident = await environment.store.getLatestIncident(bucketRef(BUCKET));
    expect(incident).toMatchObject({
      status: 'CLOSED',
      closedReason: 'REMEDIATED',
      remediation: { verified: true, after: { summary: 'not public' } },
    });
    // Verified once, after one read in full: the throttled attempt left no word on the incident.
    expect(incident?.history.filter((h) => /^verifi/.test(h.what)).map((h) => h.what)).toEqual([
      expect.stringMatching(/^verified after 1 read/),
    ]);
  });

  it('RecordRejection, Security Hub throttled: the retry suppresses the finding and tells everyone once', async () => {
    const environment = await openWith(
      (current) => ({
        RecordRejection: failingFirst(
          current,
          {
            service: 'securityhub',
            operation: 'BatchUpdateFindings',
            error: 'ThrottlingException',
            times: 3,
          },
          recordRejection,
        ),
      }),
      { config: modeConfig('approve') },
    );
    const { execution, link } = await startUntilApprovalWaits(
      environment,
      sampleEvent('put-bucket-policy-public'),
    );

    expect((await decideByLink(link, { decision: 'REJECTED', reason: 'the website' })).status).toBe(303);
    const record = await execution;

    expect(record.status).toBe('SUCCEEDED');
    expect(entries(record.path, 'RecordRejection')).toBe(2);
    expect(record.path.slice(record.path.indexOf('RecordRejection'))).toEqual([
      'RecordRejection',
      'RecordRejection',
      'ReleaseLease',
      'DidMoreEventsJoin?',
      'WasEveryoneTold?',
      'ResponseComplete',
    ]);
    const incident = await environment.store.getLatestIncident(bucketRef(BUCKET));
    expect(incident).toMatchObject({
      status: 'OPEN',
      response: 'REJECTED',
      decision: { reason: 'the website' },
    });
    expect(incident?.history.filter((h) => h.what.startsWith('rejected by'))).toHaveLength(1);
    const finding = environment.sandbox.world.securityHubFindings.find((f) => f.Id === incident?.findingId);
    expect((finding?.Workflow as { Status?: string } | undefined)?.Status).toBe('SUPPRESSED');
    expect(environment.sandbox.outbox.filter((m) => m.subject.startsWith('Fix rejected'))).toHaveLength(1);
  });

  it('SuppressFinding, Security Hub throttled: the retry writes the finding once, SUPPRESSED', async () => {
    const stateDir = await tempStateDir();
    const first = await run([sampleEvent('put-bucket-policy-public')], { stateDir, mode: 'notify' });
    const vectors = first.result.executions[0]?.incident?.verdict.vectors ?? [];
    const setup = await openState(stateDir);
    // The exception, and the open incident answered: a new episode meets the exception.
    await exceptAndCloseOpenIncident(setup.store, {
      id: 'exc-website',
      bucket: BUCKET,
      vectors,
      owner: 'web-team',
      reason: 'public website assets',
    });
    await setup.close();
    const findingsBefore = first.result.world.securityHubFindings.length;
    const environment = await openWith(
      (current) => ({
        SuppressFinding: failingFirst(
          current,
          {
            service: 'securityhub',
            operation: 'BatchImportFindings',
            error: 'ThrottlingException',
            times: 3,
          },
          suppressFinding,
        ),
      }),
      { stateDir, config: modeConfig('auto') },
    );

    const record = await deliver(environment, sampleEvent('put-bucket-policy-public'));

    expect(record.status).toBe('SUCCEEDED');
    expect(entries(record.path, 'SuppressFinding')).toBe(2);
    expect(record.path.filter((s, i) => s !== record.path[i - 1])).toEqual(PATHS.suppressed);
    const incident = await environment.store.getOpenIncident(bucketRef(BUCKET));
    expect(incident).toMatchObject({ response: 'EXCEPTED' });
    expect(incident?.history.filter((h) => h.what.startsWith('finding SUPPRESSED'))).toHaveLength(1);
    // One new finding, imported once, by the retry: the first attempt's import was refused.
    const findings = environment.sandbox.world.securityHubFindings;
    expect(findings).toHaveLength(findingsBefore + 1);
    const finding = findings.find((f) => f.Id === incident?.findingId);
    expect((finding?.Workflow as { Status?: string } | undefined)?.Status).toBe('SUPPRESSED');
    const imports = environment.sandbox.calls.filter((c) => c.operation === 'BatchImportFindings');
    expect(imports.map((c) => c.outcome).slice(-4)).toEqual([
      'ThrottlingException',
      'ThrottlingException',
      'ThrottlingException',
      'ok',
    ]);
    // Nothing changed on the bucket: the exception covers it.
    expect(environment.sandbox.world.buckets[BUCKET]?.policy).not.toBeNull();
  });
});

describe('a retried approval request whose approval was superseded meanwhile', () => {
  it('fails its new wait at once with ApprovalSupersededError: the owner classifies again and asks anew', async () => {
    // The first request's answer is lost (Lambda's error after it ran). Before its retry runs, an
    // event widens the exposure (the bucket ACL lets anyone write) and supersedes the approval.
    const widening = publicWriteBucketAcl();
    let requests = 0;
    let joiner: ExecutionRecord | undefined;
    const environment = await openWith(
      (current) => ({
        RequestApproval: async (payload, deps) => {
          requests++;
          if (requests === 2) {
            // Someone else's change and its execution: nothing of it is the retried request's.
            joiner = await outsideAnyFunction(() => {
              applyEventToWorld(current().sandbox, widening);
              return current().runner.start(widening);
            });
          }
          return requestApproval(payload, deps);
        },
      }),
      { config: modeConfig('approve'), harness: { failOnceAfterRun: ['RequestApproval'] } },
    );

    // Resolves when a request waits: the retry's never does, so this is the request asked anew.
    const owner = await startUntilApprovalWaits(environment, sampleEvent('put-bucket-policy-public'));
    for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
    const record = await owner.execution;
    await environment.runner.idle();

    expect(joiner?.status).toBe('SUCCEEDED');
    expect(joiner?.path).toEqual(expect.arrayContaining(['SupersedeApproval']));
    const firstAsk = record.path.indexOf('RequestApproval');
    expect(record.path.slice(firstAsk, firstAsk + 3)).toEqual([
      'RequestApproval',
      'RequestApproval',
      'ClassifyExposure',
    ]);
    // The request asked anew is a new input, so the harness fails it once after it ran too: its
    // retry finds it sent and waits on it.
    expect(entries(record.path, 'RequestApproval')).toBe(4);
    expect(record.path).toEqual(expect.arrayContaining(['ApprovalExpired']));
    // Two requests went out, the first (superseded) and the new one; the retry sent none.
    const requestsSent = environment.sandbox.outbox.filter((m) => m.subject.startsWith('Decision needed'));
    expect(requestsSent).toHaveLength(2);
    const firstId = /\/a\/([0-9a-f]{32})/.exec(requestsSent[0]?.text ?? '')?.[1] ?? '';
    expect((await environment.deps.approvals?.get(firstId))?.status).toBe('SUPERSEDED');
    // The retry's new token got the failure at once (the supersession's went to the ended wait).
    const failures = environment.sandbox.calls.filter((c) => c.operation === 'SendTaskFailure');
    expect(failures.map((c) => [(c.input as { error?: string }).error, c.outcome])).toEqual([
      ['ApprovalSupersededError', 'TaskTimedOut'],
      ['ApprovalSupersededError', 'ok'],
    ]);
    expect(environment.sandbox.calls.filter((c) => c.operation === 'SendTaskSuccess')).toEqual([]);
  });
});
