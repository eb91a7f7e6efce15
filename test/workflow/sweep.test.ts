/**
 * The sweep as scenarios: the real sweep on a state folder's sandbox account, starting real
 * executions of the real ASL through the sandbox's Step Functions. Each asserts what the sweep
 * started (and why) and the end state: the path, the incident, the alerts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { describe, expect, it, onTestFinished } from 'vitest';
import { asFunction } from '../../local/call-ledger.js';
import { sweepEnvironment } from '../../local/commands/sweep.js';
import { defaultConfig } from '../../local/defaults.js';
import { LocalEnvironment } from '../../local/environment.js';
import { applyEventToWorld } from '../../local/sandbox/apply-event.js';
import type { SandboxClients } from '../../local/sandbox/sandbox-account.js';
import { notifyRecipients } from '../../tasks/notify-recipients/handler.js';
import { WorkflowStateSchema } from '../../tasks/shared/contracts.js';
import { sweepAccount } from '../../tasks/sweep/sweep.js';
import { bucketRef } from '../support/store.js';
import {
  alertsIn,
  openState,
  PATHS,
  publicReadPolicy,
  responseExecutions,
  run,
  sampleEvent,
  tempStateDir,
  world,
} from './support.js';

/** Makes a bucket of the sandbox public, as a change whose event never arrived would have. */
function makePublic(environment: LocalEnvironment, bucket: string): void {
  const entry = environment.sandbox.world.buckets[bucket];
  if (!entry) throw new Error(`no bucket ${bucket} in the world`);
  entry.policy = publicReadPolicy(bucket);
}

/** Sweeps a state folder (the sample account when it is new); the environment stays open for the test. */
async function sweep(stateDir: string, change: (environment: LocalEnvironment) => void = () => {}) {
  const environment = await openState(stateDir);
  change(environment);
  return { ...(await sweepEnvironment(environment)), environment };
}

describe('the sweep', () => {
  it('a public bucket whose event was lost: the sweep opens an incident and the alert goes out', async () => {
    const {
      sweep: report,
      executions,
      environment,
    } = await sweep(await tempStateDir(), (e) => makePublic(e, 'acme-reports'));

    expect(report.started).toEqual([
      expect.objectContaining({ bucket: 'acme-reports', reasons: ['no-incident'], alreadyStarted: false }),
    ]);
    expect(executions).toEqual([
      expect.objectContaining({
        status: 'SUCCEEDED',
        path: [...PATHS.reported],
        incident: expect.objectContaining({ status: 'OPEN', response: 'NOTIFIED' }),
      }),
    ]);
    const incident = await environment.store.getOpenIncident(bucketRef('acme-reports'));
    expect(incident?.events).toEqual([
      expect.objectContaining({
        eventID: `sweep/${report.sweepId}/acme-reports`,
        eventName: 'Sweep',
        actor: `s3-exposure-sweep/${report.sweepId}`,
      }),
    ]);
    expect(alertsIn(environment.sandbox.outbox)).toEqual([
      expect.objectContaining({
        to: 'soc@example.com',
        subject: expect.stringMatching(/^\[HIGH\].*acme-reports/),
      }),
    ]);
    expect(environment.sandbox.world.securityHubFindings).toEqual([
      expect.objectContaining({ Id: incident?.findingId, Workflow: { Status: 'NOTIFIED' } }),
    ]);
  });

  it('an account already answered: a second sweep starts nothing', async () => {
    const stateDir = await tempStateDir();
    const first = await sweep(stateDir, (e) => makePublic(e, 'acme-reports'));
    await first.environment.close();

    const { sweep: report, environment } = await sweep(stateDir);

    expect(report.public).toEqual(['acme-reports']);
    expect(report.started).toEqual([]);
    expect(alertsIn(environment.sandbox.outbox)).toHaveLength(1);
  });

  it('an open incident whose response FAILED: the sweep answers it again, and the alert goes out', async () => {
    const stateDir = await tempStateDir();
    const failed = await run([sampleEvent('put-bucket-policy-public')], {
      stateDir,
      // The alert could not be sent: ReportFailure marks the incident FAILED and gives up the lease.
      handlers: {
        NotifyRecipients: async () => {
          throw new Error('the mail relay is down');
        },
      },
    });
    expect(failed.result.executions[0]?.incident).toMatchObject({ status: 'OPEN', response: 'FAILED' });

    const { sweep: report, executions, environment } = await sweep(stateDir);

    expect(report.started).toEqual([
      expect.objectContaining({ bucket: 'acme-public-assets', reasons: ['unanswered'] }),
    ]);
    expect(report.reclaimed).toEqual([]);
    expect(executions[0]).toMatchObject({ status: 'SUCCEEDED', path: [...PATHS.reported] });
    const incident = await environment.store.getOpenIncident(bucketRef('acme-public-assets'));
    expect(incident?.response).toBe('NOTIFIED');
    expect(incident?.history.map((h) => h.what)).toContainEqual(
      expect.stringMatching(/not answered yet \(response FAILED\): answering again/),
    );
    expect(environment.sandbox.outbox.map((m) => m.subject)).toEqual([
      expect.stringMatching(/failed on acme-public-assets/),
      expect.stringMatching(/^\[HIGH\].*acme-public-assets/),
    ]);
  });

  it('a lease left by an execution that ended, with an event waiting on it: reclaimed and answered', async () => {
    const stateDir = await tempStateDir();
    // The owner ends without letting the bucket go (its release was lost)...
    const owner = await run([sampleEvent('put-bucket-policy-public')], {
      stateDir,
      handlers: {
        ReleaseLease: async (payload) => ({
          ...WorkflowStateSchema.parse(payload),
          lease: { outcome: 'released' },
        }),
      },
    });
    const holder = owner.records[0]?.executionId;
    // ...so a later event that widens the exposure joins its lease, and nobody answers it.
    const widen = sampleEvent('put-bucket-acl-canned', (e) => {
      e.detail.requestParameters.bucketName = 'acme-public-assets';
      e.detail.requestParameters['x-amz-acl'] = ['public-read-write'];
    });
    const joined = await run([widen], { stateDir });
    expect(joined.result.executions[0]?.path).toEqual(PATHS.joined);

    const { sweep: report, executions, environment } = await sweep(stateDir);

    // The holder ran in an earlier process: DescribeExecution answers from its saved record.
    expect(report.reclaimed).toEqual([{ bucket: 'acme-public-assets', holder, pending: 1 }]);
    expect(report.started).toEqual([
      expect.objectContaining({ bucket: 'acme-public-assets', reasons: ['stranded-events', 'wider'] }),
    ]);
    expect(executions[0]).toMatchObject({ status: 'SUCCEEDED', path: [...PATHS.reported] });
    const incident = await environment.store.getOpenIncident(bucketRef('acme-public-assets'));
    expect(incident?.events.map((e) => e.eventID)).toEqual([
      expect.any(String),
      widen.detail.eventID,
      `sweep/${report.sweepId}/acme-public-assets`,
    ]);
    expect(incident?.verdict.severity).toBe('CRITICAL');
    expect(environment.sandbox.outbox.map((m) => m.subject)).toEqual([
      expect.stringMatching(/^\[HIGH\]/),
      expect.stringMatching(/^\[CRITICAL\]/),
    ]);
    expect(await environment.store.getLease(bucketRef('acme-public-assets'))).toBeNull();
  });

  it('a bucket a running execution holds (its incident PENDING until the alert goes out): left to it', async () => {
    const entered = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    const environment = await LocalEnvironment.open({
      stateDir: await tempStateDir(),
      world: world(),
      config: defaultConfig(),
      handlers: {
        // The owner has written the incident (PENDING) and waits here, before the alert.
        NotifyRecipients: async (payload, deps) => {
          entered.resolve();
          await gate.promise;
          return notifyRecipients(payload, deps);
        },
      },
    });
    onTestFinished(() => environment.close());
    const event = sampleEvent('put-bucket-policy-public');
    applyEventToWorld(environment.sandbox, event);
    void environment.runner.start(event);
    await entered.promise;
    expect((await environment.store.getOpenIncident(bucketRef('acme-public-assets')))?.response).toBe(
      'PENDING',
    );

    const deps = { ...environment.deps, stateMachineArn: environment.runner.stateMachineArn };
    const report = await asFunction('Sweep', () => sweepAccount(deps, { sweepId: 'sweep-while-running' }));
    gate.resolve();
    await environment.runner.idle();

    const holder = environment.runner.executions[0]?.executionId;
    expect(report.inProgress).toEqual([{ bucket: 'acme-public-assets', holder }]);
    expect(report.started).toEqual([]);
    expect(responseExecutions(environment.runner.executions)).toHaveLength(1);
    expect(alertsIn(environment.sandbox.outbox)).toHaveLength(1);
  });

  it('a latent exposure (a public policy Block Public Access masks): reported, nothing started', async () => {
    const { sweep: report, environment } = await sweep(await tempStateDir(), (e) =>
      makePublic(e, 'acme-site-origin'),
    );

    expect(report.latent).toEqual([
      {
        bucket: 'acme-site-origin',
        vectors: [expect.objectContaining({ source: 'bucketPolicy', access: 'read', principal: '*' })],
      },
    ]);
    expect(report.public).toEqual([]);
    expect(report.started).toEqual([]);
    expect(environment.runner.executions).toEqual([]);
    expect(environment.sandbox.outbox).toEqual([]);
  });

  it('a private account: every bucket checked, nothing started, nobody told', async () => {
    const { sweep: report, environment } = await sweep(await tempStateDir());

    expect(report).toMatchObject({
      bucketsListed: Object.keys(environment.sandbox.world.buckets).length,
      truncated: false,
      public: [],
      notFullyAssessed: [],
      started: [],
      reclaimed: [],
      latent: [],
      failed: [],
    });
    expect(report.bucketsChecked).toBe(report.bucketsListed);
    expect(environment.runner.executions).toEqual([]);
    expect(environment.sandbox.outbox).toEqual([]);
    expect(environment.sandbox.world.securityHubFindings).toEqual([]);
  });

  it('an open incident on a bucket no longer public (the closing event was lost): the sweep closes it', async () => {
    const stateDir = await tempStateDir();
    await run([sampleEvent('put-bucket-policy-public')], { stateDir });

    const {
      sweep: report,
      executions,
      environment,
    } = await sweep(stateDir, (e) => {
      const bucket = e.sandbox.world.buckets['acme-public-assets'];
      if (bucket) bucket.policy = null;
    });

    expect(report.started).toEqual([
      expect.objectContaining({ bucket: 'acme-public-assets', reasons: ['no-longer-public'] }),
    ]);
    expect(executions[0]).toMatchObject({ status: 'SUCCEEDED', path: [...PATHS.closed] });
    expect(executions[0]?.incident).toMatchObject({ status: 'CLOSED' });
    expect(environment.sandbox.outbox.map((m) => m.subject)).toContainEqual(
      expect.stringMatching(/Resolved: S3 bucket acme-public-assets is no longer public/),
    );
  });

  it('many buckets (300): paged listing, bounded concurrency, every public one started once', async () => {
    const environment = await openState(await tempStateDir());
    const { buckets } = environment.sandbox.world;
    const template = buckets['acme-logs'];
    if (!template) throw new Error('the sample world has no acme-logs');
    const publicOnes: string[] = [];
    for (let i = 0; i < 300; i++) {
      const name = `acme-many-${String(i).padStart(3, '0')}`;
      const isPublic = i % 10 === 0;
      buckets[name] = {
        ...structuredClone(template),
        region: i % 3 === 0 ? 'eu-west-1' : 'us-east-1',
        policy: isPublic ? publicReadPolicy(name) : null,
      };
      if (isPublic) publicOnes.push(name);
    }
    // Each call takes a moment, so the buckets being read overlap as they would against S3.
    environment.sandbox.latencyMs = 1;
    const inFlight = { now: new Map<string, number>(), max: 0 };
    const deps = {
      ...environment.deps,
      ...sweepClients(environment, inFlight),
      stateMachineArn: environment.runner.stateMachineArn,
    };

    const report = await asFunction('Sweep', () =>
      sweepAccount(deps, { sweepId: 'sweep-many', pageSize: 100, concurrency: 4 }),
    );
    await environment.runner.idle();

    const listCalls = environment.sandbox.calls.filter((c) => c.operation === 'ListBuckets');
    expect(listCalls.map((c) => c.input)).toEqual([
      { MaxBuckets: 100 },
      { MaxBuckets: 100, ContinuationToken: '100' },
      { MaxBuckets: 100, ContinuationToken: '200' },
      { MaxBuckets: 100, ContinuationToken: '300' },
    ]);
    // 300 here, the sample world's 6 and the evidence bucket.
    expect(report).toMatchObject({ pages: 4, bucketsListed: 307, bucketsChecked: 307, truncated: false });
    // Never more than 4 buckets at once; and more than one, so the sweep did read them side by side.
    expect(inFlight.max).toBeLessThanOrEqual(4);
    expect(inFlight.max).toBeGreaterThan(1);
    expect(report.started.map((s) => s.bucket).sort()).toEqual(publicOnes);
    const starts = environment.sandbox.calls.filter((c) => c.operation === 'StartExecution');
    expect(starts.filter((c) => JSON.stringify(c.input).includes('sweep'))).toHaveLength(30);
    const executions = responseExecutions(environment.runner.executions);
    expect(executions).toHaveLength(30);
    expect(executions.every((e) => e.status === 'SUCCEEDED' && e.path.includes('NotifyRecipients'))).toBe(
      true,
    );
    expect(alertsIn(environment.sandbox.outbox)).toHaveLength(30);
  });
});

/**
 * The sweep's own sandbox clients (the executions it starts keep the environment's), with a test
 * middleware that counts the buckets with calls in flight.
 */
function sweepClients(
  environment: LocalEnvironment,
  inFlight: { now: Map<string, number>; max: number },
): { clients: SandboxClients; clientsFor: (region: string) => SandboxClients } {
  const counting: InitializeMiddleware<object, MetadataBearer> = (next) => async (args) => {
    const bucket = 'Bucket' in args.input && typeof args.input.Bucket === 'string' ? args.input.Bucket : null;
    if (bucket === null) return next(args);
    inFlight.now.set(bucket, (inFlight.now.get(bucket) ?? 0) + 1);
    inFlight.max = Math.max(inFlight.max, inFlight.now.size);
    try {
      return await next(args);
    } finally {
      const left = (inFlight.now.get(bucket) ?? 1) - 1;
      if (left === 0) inFlight.now.delete(bucket);
      else inFlight.now.set(bucket, left);
    }
  };
  const byRegion = new Map<string, SandboxClients>();
  const clientsFor = (region: string): SandboxClients => {
    let clients = byRegion.get(region);
    if (!clients) {
      clients = environment.sandbox.clients({ region });
      clients.s3.middlewareStack.add(counting, { step: 'initialize', name: 'testCounting' });
      byRegion.set(region, clients);
    }
    return clients;
  };
  return { clients: clientsFor(environment.sandbox.world.region), clientsFor };
}

describe('s3-exposure sweep', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const bin = fileURLToPath(new URL('../../bin/s3-exposure.js', import.meta.url));

  /** Runs the built binary (the test command builds it first) as a user would. */
  function cli(args: string[]) {
    const result = spawnSync(process.execPath, [bin, 'sweep', ...args], { cwd: root, encoding: 'utf8' });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** A world file: the sample account with acme-reports public, its event never delivered. */
  async function worldFile(change: (w: ReturnType<typeof world>) => void = () => {}): Promise<string> {
    const w = world((w) => {
      const reports = w.buckets['acme-reports'];
      if (reports) reports.policy = publicReadPolicy('acme-reports');
      change(w);
    });
    const file = join(await tempStateDir(), 'world.json');
    await writeFile(file, JSON.stringify(w));
    return file;
  }

  it('starts a state folder from --world, prints { sweep, executions } with --json, and exits 0', async () => {
    const state = join(await tempStateDir(), 'state');

    const { code, stdout, stderr } = cli(['--world', await worldFile(), '--state', state, '--json']);

    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(output.sweep).toMatchObject({ truncated: false, public: ['acme-reports'], failed: [] });
    expect(output.executions).toEqual([
      expect.objectContaining({
        bucket: 'acme-reports',
        reasons: ['no-incident'],
        status: 'SUCCEEDED',
        incident: expect.objectContaining({ status: 'OPEN', response: 'NOTIFIED' }),
      }),
    ]);
    expect(stderr).toContain(`state folder: ${state}`);
  });

  it('says in words what it checked, what it started and why, and how each execution ended', async () => {
    const state = join(await tempStateDir(), 'state');

    const { code, stdout } = cli(['--world', await worldFile(), '--state', state]);

    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^Sweep sweep-\S+ of account 111122223333: 7 bucket\(s\) checked of 7 listed .*every bucket checked$/m,
    );
    expect(stdout).toContain('executions started: 1');
    expect(stdout).toMatch(
      /acme-reports: no-incident \(public .*\)\n\s+-> SUCCEEDED, incident inc-\S+ OPEN NOTIFIED/,
    );
    expect(stdout).toContain('leases reclaimed: none');
  });

  it('exits 2, naming the folder, when the state folder is empty and no --world is given', async () => {
    const state = join(await tempStateDir(), 'nothing-here');

    const { code, stdout, stderr } = cli(['--state', state]);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${state} holds no state folder`);
  });

  it('exits 2 for a concurrency outside 1 to 64, before opening anything', async () => {
    const state = join(await tempStateDir(), 'state');

    const { code, stderr } = cli(['--world', await worldFile(), '--state', state, '--concurrency', '0']);

    expect(code).toBe(2);
    expect(stderr).toMatch(/--concurrency.*whole number from 1 to 64/);
    expect(existsSync(state)).toBe(false);
  });

  it('exits 1 after the output when a bucket could not be started, naming it on stderr', async () => {
    const state = join(await tempStateDir(), 'state');
    const file = await worldFile((w) => {
      w.faults.push({
        service: 'sfn',
        operation: 'StartExecution',
        error: 'AccessDeniedException',
        times: 100,
      });
    });

    const { code, stdout, stderr } = cli(['--world', file, '--state', state, '--json']);

    expect(code).toBe(1);
    expect(JSON.parse(stdout).sweep.failed).toEqual([{ bucket: 'acme-reports', error: 'AccessDenied' }]);
    expect(stderr).toMatch(
      /error: the sweep is incomplete:\n\s+acme-reports: could not be checked or started \(AccessDenied\)/,
    );
  });

  it('explains in --help what it starts executions for, and its exit codes', () => {
    const { code, stdout } = cli(['--help']);

    expect(code).toBe(0);
    for (const reason of ['stranded-events', 'unanswered', 'no-incident', 'wider', 'no-longer-public']) {
      expect(stdout).toContain(reason);
    }
    expect(stdout).toMatch(/Exit codes: 0 done, 2 bad input, 1 /);
    expect(stdout).toContain('--max-buckets');
  });
});
