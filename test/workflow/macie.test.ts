/**
 * The Macie scan through the real ASL: NotifyRecipients starts an execution of its own
 * (`{ macieScan }`), which plans the scope, starts one classification job on the sandbox's Macie,
 * looks at it until it ends (or the deadline), and records `incident.macie`, the finding's note,
 * the approval page and a follow-up. The response never waits for it: where a test needs to know
 * what happened first, it holds a scan task until the response has got somewhere (a `Hold`),
 * never a timer.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { decideByLink } from '../../local/approval/decide.js';
import { runSimulateCommand } from '../../local/commands/simulate.js';
import { LocalEnvironment } from '../../local/environment.js';
import { TASK_HANDLERS } from '../../local/handlers.js';
import type { ExecutionRecord, RunnerHarness, StateHandler, TaskHandlers } from '../../local/runner.js';
import { applyEventToWorld } from '../../local/sandbox/apply-event.js';
import { type MacieJobStatus, MacieWorldSchema } from '../../local/sandbox/macie-world.js';
import {
  emptyBucket,
  type FaultInput,
  FaultSchema,
  type World,
  type WorldObject,
} from '../../local/sandbox/world.js';
import type { SimulationResult } from '../../local/simulate.js';
import { type Clock, FixedClock } from '../../tasks/shared/clock.js';
import { parseConfig } from '../../tasks/shared/config.js';
import type { Incident, MacieConfig, ResponderConfig, ResponseMode } from '../../tasks/shared/contracts.js';
import { ScanStateSchema } from '../../tasks/shared/contracts.js';
import {
  alertsIn,
  PATHS,
  responseExecutions,
  run,
  type SampleEvent,
  sampleEvent,
  startUntilApprovalWaits,
  tempStateDir,
  world,
} from './support.js';

const BUCKET = 'acme-scan-exports';
/** Luhn-valid (Visa's test number), beside a keyword: Macie's CREDIT_CARD_NUMBER. */
const CARD = '4111111111111111';
const CARD_CSV = `name,card_number\nJane Doe,${CARD}\n`;
const PLAIN_CSV = 'region,revenue\nemea,1200000\n';

/** A scan execution's states when the job completes at the first look. */
const SCAN_PATH = [
  'NormalizeEvent',
  'IsEventActionable?',
  'StartMacieScan',
  'IsTheScanDone?',
  'WaitForScan',
  'CheckMacieScan',
  'IsTheScanDone?',
  'SummarizeMacieScan',
  'ScanRecorded',
];
/** A scan that ended at its first task (Macie refused, or nothing to scan). */
const SCAN_ENDED_AT_START = [
  'NormalizeEvent',
  'IsEventActionable?',
  'StartMacieScan',
  'IsTheScanDone?',
  'ScanRecorded',
];

function object(body: string, contentType: string): WorldObject {
  return { body, contentType, acl: null };
}

/**
 * The sample account with one more bucket (card numbers in exports/ and public/, nothing
 * elsewhere), Macie and Security Hub on, no faults, and the sandbox Macie's defaults (a job ends
 * at the first look after it starts, COMPLETE), whatever the sample world says of them.
 */
function scanWorld(change: (w: World) => void = () => {}): World {
  return world((w) => {
    w.services = { macie: 'enabled', securityHub: 'enabled' };
    w.accountPublicAccessBlock = null;
    w.faults = [];
    w.macie = MacieWorldSchema.parse({});
    w.buckets[BUCKET] = {
      ...emptyBucket(),
      tags: { owner: 'data-team' },
      objects: {
        'exports/customers.csv': object(CARD_CSV, 'text/csv'),
        'public/leak.csv': object(CARD_CSV, 'text/csv'),
        'public/readme.txt': object('Nothing to see here.\n', 'text/plain'),
        'reports/q3.csv': object(PLAIN_CSV, 'text/csv'),
      },
    };
    change(w);
  });
}

/** The sandbox Macie set to end every job in `jobOutcome` (and with run errors when asked). */
function macieSays(settings: { jobOutcome?: MacieJobStatus; lastRunError?: boolean }): (w: World) => void {
  return (w) => {
    w.macie = MacieWorldSchema.parse(settings);
  };
}

function withFaults(...faults: FaultInput[]): (w: World) => void {
  return (w) => {
    w.faults.push(...faults.map((fault) => FaultSchema.parse(fault)));
  };
}

const SOC = 'soc@example.com';
const APPROVER = 'security-lead@example.com';

/**
 * The configuration of these tests, in one mode for every bucket, with no chat channels. A
 * whole-bucket scan reads every object unless a test asks for sampling (the sample is drawn by
 * job id, so it differs between runs).
 */
function configWith(mode: ResponseMode = 'notify', macie: Partial<MacieConfig> = {}): ResponderConfig {
  return parseConfig({
    recipients: { email: [SOC] },
    operators: { email: ['cloud-ops@example.com'] },
    ownRoleArns: ['arn:aws:iam::111122223333:role/s3-exposure-responder-remediate'],
    consoleBaseUrl: 'http://127.0.0.1:8787',
    modes: { default: mode },
    approval: { approvers: { default: [APPROVER] } },
    macie: { samplingPercentage: 100, ...macie },
  });
}

/** A policy letting anyone read the objects `resource` names. */
function putPolicy(resource = `arn:aws:s3:::${BUCKET}/*`): SampleEvent {
  return sampleEvent('put-bucket-policy-public', (e) => {
    e.detail.requestParameters.bucketName = BUCKET;
    e.detail.requestParameters.bucketPolicy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: resource },
      ],
    };
    Object.assign(e.detail, {
      resources: [{ accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${BUCKET}` }],
    });
  });
}

/** An object ACL granting AllUsers READ on `key` (the put-object-acl sample, on this bucket). */
function putObjectAcl(key: string): SampleEvent {
  return sampleEvent('put-object-acl-body', (e) => {
    e.detail.requestParameters.bucketName = BUCKET;
    e.detail.requestParameters.key = key;
    e.detail.requestParameters.Host = `${BUCKET}.s3.us-east-1.amazonaws.com`;
    Object.assign(e.detail, {
      resources: [
        { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${BUCKET}/${key}` },
        { accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${BUCKET}` },
      ],
    });
  });
}

// ---- Holding a task -------------------------------------------------------------------------

/**
 * Holds the first run of a Task state until released: `reached` resolves when it is entered,
 * `done` when the real task has answered. Causality without timers: whatever the test checks
 * before `release()` happened while the task was held.
 */
class Hold {
  readonly reached: Promise<void>;
  readonly done: Promise<void>;
  #reach: () => void = () => {};
  #release: () => void = () => {};
  #finish: () => void = () => {};
  readonly #released: Promise<void>;

  constructor(readonly state: string) {
    this.reached = new Promise((resolve) => {
      this.#reach = resolve;
    });
    this.#released = new Promise((resolve) => {
      this.#release = resolve;
    });
    this.done = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  release(): void {
    this.#release();
  }

  wrap(real: StateHandler): StateHandler {
    let first = true;
    return async (payload, deps) => {
      if (first) {
        first = false;
        this.#reach();
        await this.#released;
        try {
          return await real(payload, deps);
        } finally {
          this.#finish();
        }
      }
      return real(payload, deps);
    };
  }
}

function real(state: string): StateHandler {
  const handler = TASK_HANDLERS[state];
  if (!handler) throw new Error(`no task for ${state}`);
  return handler;
}

/**
 * A fresh state folder; closed when the test ends, after every hold is released and every
 * approval still waiting is let expire (a failed expectation must leave nothing waiting).
 */
async function openEnvironment(
  options: {
    world?: World;
    config?: ResponderConfig;
    holds?: Hold[];
    handlers?: Partial<TaskHandlers>;
    clock?: Clock;
    harness?: RunnerHarness;
  } = {},
): Promise<LocalEnvironment> {
  const holds = options.holds ?? [];
  const handlers: Record<string, StateHandler | undefined> = { ...options.handlers };
  for (const hold of holds) handlers[hold.state] = hold.wrap(handlers[hold.state] ?? real(hold.state));
  const environment = await LocalEnvironment.open({
    stateDir: await tempStateDir(),
    world: options.world ?? scanWorld(),
    config: options.config ?? configWith(),
    handlers,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.harness ? { harness: options.harness } : {}),
  });
  onTestFinished(async () => {
    for (const hold of holds) hold.release();
    for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
    await environment.runner.idle();
    await environment.close();
  });
  return environment;
}

/** Replays the event on the sandbox and starts its execution (not awaited). */
function deliver(environment: LocalEnvironment, event: SampleEvent): Promise<ExecutionRecord> {
  applyEventToWorld(environment.sandbox, event);
  return environment.runner.start(event);
}

function scanExecutions(executions: readonly ExecutionRecord[]): ExecutionRecord[] {
  return executions.filter((e) => e.name.startsWith('macie-'));
}

function theScan(executions: readonly ExecutionRecord[]): ExecutionRecord {
  const scans = scanExecutions(executions);
  expect(scans).toHaveLength(1);
  return scans[0] as ExecutionRecord;
}

function macieCalls(environment: LocalEnvironment, operation: string) {
  return environment.sandbox.calls.filter((c) => c.service === 'macie2' && c.operation === operation);
}

async function incidentOf(environment: LocalEnvironment): Promise<Incident> {
  const incidents = (await environment.store.listIncidents()).filter((i) => i.bucket === BUCKET);
  expect(incidents).toHaveLength(1);
  return incidents[0] as Incident;
}

function followUps<T extends { readonly subject: string }>(outbox: readonly T[]): T[] {
  return outbox.filter((m) => !alertsIn([m]).length);
}

/** The one job the sandbox's Macie ran. */
function theJob(w: { macie?: World['macie'] }) {
  expect(w.macie?.jobs).toHaveLength(1);
  const job = w.macie?.jobs[0];
  if (!job) throw new Error('no Macie job');
  return job;
}

/** A run of the event on the scan world, returning the event's execution and its incident. */
async function scanRun(event: SampleEvent, options: Parameters<typeof run>[1] = {}) {
  const simulation = await run([event], {
    world: scanWorld(),
    config: configWith(),
    serial: true,
    ...options,
  });
  const { result } = simulation;
  const [execution] = result.executions;
  const scan = theScan(simulation.environment.runner.executions);
  return { ...simulation, execution, scan, macie: execution?.incident?.macie ?? null };
}

// ---- Beside the response ------------------------------------------------------------------

describe('the scan runs beside the response and never holds it up', () => {
  it('notify: the alert goes out and the response ends while the scan is held; then incident.macie gets the summary', async () => {
    const check = new Hold('CheckMacieScan');
    const environment = await openEnvironment({ holds: [check] });

    const response = await deliver(environment, putPolicy());
    await check.reached;

    expect(response.status).toBe('SUCCEEDED');
    expect(response.path).toEqual(PATHS.reported);
    expect(alertsIn(environment.sandbox.outbox).map((m) => m.subject)).toEqual([
      `[HIGH] S3 bucket ${BUCKET} is public`,
    ]);
    // The response is over, the scan only started: the job runs, its summary is pending.
    const during = await incidentOf(environment);
    expect(during.response).toBe('NOTIFIED');
    expect(during.macie).toMatchObject({ outcome: 'pending', status: 'RUNNING' });
    expect(scanExecutions(environment.runner.executions)[0]?.status).toBe('RUNNING');

    check.release();
    await environment.runner.idle();

    const scan = theScan(environment.runner.executions);
    expect(scan.status).toBe('SUCCEEDED');
    expect(scan.path).toEqual(SCAN_PATH);
    const job = theJob(environment.sandbox.world);
    expect((await incidentOf(environment)).macie).toEqual({
      outcome: 'found',
      reason: 'sensitive data found',
      skipReason: null,
      error: null,
      jobId: job.jobId,
      status: 'COMPLETE',
      scope: expect.objectContaining({ kind: 'bucket', prefixes: [], samplingPercentage: 100 }),
      objectsScanned: 4,
      bytesScanned: job.scan.bytes,
      bytesSource: 'estimate',
      categories: { FINANCIAL_INFORMATION: 2 },
      detections: { CREDIT_CARD_NUMBER: 2 },
      findingTypes: { 'SensitiveData:S3Object/Financial': 2 },
      highestSeverity: 'High',
      affectedKeys: ['exports/customers.csv', 'public/leak.csv'],
      affectedObjects: 2,
      startedAt: during.macie?.startedAt,
      finishedAt: expect.any(String),
    });
    // The response's own history says nothing of waiting for Macie.
    expect(responseExecutions(environment.runner.executions)).toHaveLength(1);
  });

  it('auto: the fix is made and verified while the scan is held, and the scan still records its result', async () => {
    const check = new Hold('CheckMacieScan');
    const environment = await openEnvironment({ holds: [check], config: configWith('auto') });

    const response = await deliver(environment, putPolicy());
    await check.reached;

    expect(response.status).toBe('SUCCEEDED');
    expect(response.path).toEqual(PATHS.remediated);
    expect(environment.sandbox.world.buckets[BUCKET]?.policy).toBeNull();
    const during = await incidentOf(environment);
    expect(during).toMatchObject({ status: 'CLOSED', closedReason: 'REMEDIATED' });
    expect(during.macie?.outcome).toBe('pending');

    check.release();
    await environment.runner.idle();

    expect(theScan(environment.runner.executions).path).toEqual(SCAN_PATH);
    const after = await incidentOf(environment);
    expect(after).toMatchObject({ status: 'CLOSED', closedReason: 'REMEDIATED' });
    expect(after.macie).toMatchObject({
      outcome: 'found',
      affectedKeys: ['exports/customers.csv', 'public/leak.csv'],
      detections: { CREDIT_CARD_NUMBER: 2 },
    });
  });

  it('auto: the fix happens when Macie cannot scan at all', async () => {
    const simulation = await scanRun(putPolicy(), {
      mode: 'auto',
      world: scanWorld((w) => {
        w.services.macie = 'disabled';
      }),
    });

    expect(simulation.execution?.path).toEqual(PATHS.remediated);
    expect(simulation.execution?.incident?.closedReason).toBe('REMEDIATED');
    expect(simulation.result.world.buckets[BUCKET]?.policy).toBeNull();
    expect(simulation.macie).toMatchObject({ outcome: 'failed', error: 'MacieNotEnabledError' });
  });

  it('approve: the request goes out before the scan starts; its page shows the scan running, then the result; the approved fix follows', async () => {
    const start = new Hold('StartMacieScan');
    const check = new Hold('CheckMacieScan');
    const summarize = new Hold('SummarizeMacieScan');
    const environment = await openEnvironment({
      holds: [start, check, summarize],
      config: configWith('approve'),
    });

    // The approval waits while the scan has not even started its job.
    const { execution, link } = await startUntilApprovalWaits(environment, putPolicy());
    await start.reached;
    expect(macieCalls(environment, 'CreateClassificationJob')).toEqual([]);

    start.release();
    await check.reached;
    const running = await (await fetch(link)).text();
    expect(running).toContain(`Macie scan running (job ${theJob(environment.sandbox.world).jobId})`);

    check.release();
    summarize.release();
    await summarize.done;
    const scanned = await (await fetch(link)).text();
    expect(scanned).toMatch(/Macie found CREDIT_CARD_NUMBER ×2 in 2 object\(s\) \(High\)/);
    expect(scanned).not.toContain(CARD);

    // Without containOnSensitiveData the decision is still the approver's.
    expect(environment.taskTokens.waiting()).toHaveLength(1);
    const answer = await decideByLink(link, { decision: 'APPROVED', reason: 'fix it' });
    expect(answer.status).toBeLessThan(400);
    const record = await execution;
    expect(record.status).toBe('SUCCEEDED');
    expect(record.path).toContain('RemediateExposure');
    await environment.runner.idle();
    const incident = await incidentOf(environment);
    expect(incident).toMatchObject({
      closedReason: 'REMEDIATED',
      decision: { decision: 'APPROVED', by: APPROVER },
      macie: { outcome: 'found' },
    });
  });
});

// ---- Scope --------------------------------------------------------------------------------

describe('the scan covers what the exposure made readable', () => {
  it('an object ACL: only the affected key is scanned', async () => {
    const { result, macie, scan } = await scanRun(putObjectAcl('exports/customers.csv'));

    expect(scan.path).toEqual(SCAN_PATH);
    const job = theJob(result.world);
    expect(job.scan).toEqual({
      bucket: BUCKET,
      eligibleObjects: 1,
      keys: ['exports/customers.csv'],
      bytes: CARD_CSV.length,
    });
    expect(job.samplingPercentage).toBe(100);
    expect(macie).toMatchObject({
      outcome: 'found',
      scope: {
        kind: 'objects',
        prefixes: ['exports/customers.csv'],
        samplingPercentage: 100,
        widened: false,
      },
      objectsScanned: 1,
      bytesScanned: CARD_CSV.length,
      affectedKeys: ['exports/customers.csv'],
    });
  });

  it('an object ACL: a key that begins with the exposed key is scanned too (STARTS_WITH), and the scope says so', async () => {
    const { result, macie } = await scanRun(putObjectAcl('exports/customers.csv'), {
      world: scanWorld((w) => {
        const bucket = w.buckets[BUCKET];
        if (bucket) bucket.objects['exports/customers.csv.bak'] = object(PLAIN_CSV, 'text/csv');
      }),
    });

    expect(theJob(result.world).scan.keys).toEqual(['exports/customers.csv', 'exports/customers.csv.bak']);
    expect(macie?.scope?.why).toContain('may also scan keys starting with "exports/customers.csv"');
    expect(macie?.affectedKeys).toEqual(['exports/customers.csv']);
  });

  it('a policy public only on a prefix: that prefix is scanned, nothing outside it', async () => {
    const { result, macie } = await scanRun(putPolicy(`arn:aws:s3:::${BUCKET}/public/*`));

    const job = theJob(result.world);
    expect(job.scan.keys).toEqual(['public/leak.csv', 'public/readme.txt']);
    expect(job.scan.eligibleObjects).toBe(2);
    expect(macie).toMatchObject({
      outcome: 'found',
      scope: { kind: 'prefixes', prefixes: ['public/'], samplingPercentage: 100 },
      affectedKeys: ['public/leak.csv'],
      affectedObjects: 1,
    });
    // exports/customers.csv holds card numbers too, but nothing made it public.
    expect(JSON.stringify(macie)).not.toContain('exports/');
  });

  it('a whole-bucket policy: the bucket is scanned sampled, without objects over the size cap, and the cost is stated', async () => {
    const small = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [
        `data/part-${String(i).padStart(2, '0')}.csv`,
        object(PLAIN_CSV, 'text/csv'),
      ]),
    );
    const { result, macie } = await scanRun(putPolicy(), {
      config: configWith('notify', { samplingPercentage: 10, maxObjectSizeBytes: 1_000_000 }),
      world: scanWorld((w) => {
        const bucket = w.buckets[BUCKET];
        if (!bucket) return;
        bucket.objects = { ...small, 'data/huge.parquet': { size: 5_000_000, acl: null } };
      }),
    });

    const job = theJob(result.world);
    expect(job.samplingPercentage).toBe(10);
    // 20 objects under the cap are eligible (the large one is not), and Macie reads 10% of them.
    expect(job.scan.eligibleObjects).toBe(20);
    expect(job.scan.keys).toHaveLength(2);
    for (const key of job.scan.keys) expect(Object.keys(small)).toContain(key);
    expect(macie).toMatchObject({
      outcome: 'nothingFound',
      scope: { kind: 'bucket', prefixes: [], samplingPercentage: 10, maxObjectSizeBytes: 1_000_000 },
      objectsScanned: 2,
      bytesSource: 'estimate',
    });
    expect(macie?.scope?.why).toContain('10% of its objects under 1000000 bytes');
  });
});

// ---- Job statuses ----------------------------------------------------------------------------

describe('every status the job can end in', () => {
  it.each([
    { status: 'COMPLETE', outcome: 'found', cancelled: false, error: null, reason: /^sensitive data found$/ },
    // IDLE: a run that is over (the sandbox's Macie publishes nothing for it).
    {
      status: 'IDLE',
      outcome: 'nothingFound',
      cancelled: false,
      error: null,
      reason: /^no sensitive data found$/,
    },
    {
      status: 'CANCELLED',
      outcome: 'incomplete',
      cancelled: false,
      error: null,
      reason: /cancelled before it finished/,
    },
    {
      status: 'PAUSED',
      outcome: 'incomplete',
      cancelled: true,
      error: 'MacieQuotaExceededError',
      reason: /monthly sensitive data discovery quota/,
    },
  ] as const)(
    '$status: collected as $outcome (cancelled by us: $cancelled)',
    async ({ status, outcome, cancelled, error, reason }) => {
      const { result, macie, scan, environment, execution } = await scanRun(putPolicy(), {
        world: scanWorld(macieSays({ jobOutcome: status })),
      });

      expect(execution?.status).toBe('SUCCEEDED');
      expect(scan.status).toBe('SUCCEEDED');
      expect(scan.path).toEqual(SCAN_PATH);
      expect(macie).toMatchObject({ outcome, status, error });
      expect(macie?.reason).toMatch(reason);
      const updates = macieCalls(environment, 'UpdateClassificationJob');
      expect(updates.map((c) => c.input)).toEqual(
        cancelled ? [{ jobId: macie?.jobId, jobStatus: 'CANCELLED' }] : [],
      );
      expect(theJob(result.world).jobStatus).toBe(cancelled ? 'CANCELLED' : status);
    },
  );

  it.each(['RUNNING', 'USER_PAUSED'] as const)(
    '%s past macie.deadlineSeconds: the job is cancelled and the scan recorded incomplete',
    async (status) => {
      const clock = new FixedClock(new Date());
      // Each look comes pollSeconds after the last, as WaitForScan makes it in AWS.
      const check: StateHandler = async (payload, deps) => {
        const scan = ScanStateSchema.parse((payload as { scan?: unknown }).scan);
        clock.advance(scan.pollSeconds * 1000);
        return real('CheckMacieScan')(payload, deps);
      };
      const environment = await openEnvironment({
        clock,
        world: scanWorld(macieSays({ jobOutcome: status })),
        config: configWith('notify', { pollSeconds: 60, deadlineSeconds: 600 }),
        handlers: { CheckMacieScan: check },
      });

      await deliver(environment, putPolicy());
      await environment.runner.idle();

      const scan = theScan(environment.runner.executions);
      expect(scan.status).toBe('SUCCEEDED');
      // Looks at +60 s … +600 s: the tenth is at the deadline, and cancels.
      expect(scan.path.filter((s) => s === 'CheckMacieScan')).toHaveLength(10);
      expect(scan.path.filter((s) => s === 'WaitForScan')).toHaveLength(10);
      expect(scan.path.slice(-2)).toEqual(['SummarizeMacieScan', 'ScanRecorded']);
      const job = theJob(environment.sandbox.world);
      expect(job.jobStatus).toBe('CANCELLED');
      expect(macieCalls(environment, 'UpdateClassificationJob').map((c) => c.input)).toEqual([
        { jobId: job.jobId, jobStatus: 'CANCELLED' },
      ]);
      const { macie } = await incidentOf(environment);
      expect(macie?.outcome).toBe('incomplete');
      expect(macie?.reason).toContain(`did not finish within 600 s (${status})`);
      expect(Date.parse(macie?.finishedAt ?? '') - Date.parse(macie?.startedAt ?? '')).toBe(600_000);
      // An incomplete scan is told to the recipients.
      expect(followUps(environment.sandbox.outbox).map((m) => m.subject)).toEqual([
        `[HIGH] Macie scan of exposed S3 bucket ${BUCKET} incomplete`,
      ]);
    },
  );
});

// ---- Macie's errors ---------------------------------------------------------------------------

describe('every Macie error is recorded, and the run goes on', () => {
  it('Macie not enabled: MacieNotEnabledError on the incident and the finding, both executions SUCCEEDED', async () => {
    const { result, macie, scan, execution } = await scanRun(putPolicy(), {
      world: scanWorld((w) => {
        w.services.macie = 'disabled';
      }),
    });

    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.path).toEqual(PATHS.reported);
    expect(scan.status).toBe('SUCCEEDED');
    expect(scan.path).toEqual(SCAN_ENDED_AT_START);
    expect(macie).toMatchObject({ outcome: 'failed', error: 'MacieNotEnabledError', jobId: null });
    expect(macie?.reason).toMatch(/Macie is not enabled/);
    expect(result.world.macie?.jobs ?? []).toEqual([]);
    expect(execution?.finding?.Note?.Text).toMatch(/\nMacie: Macie scan failed \(MacieNotEnabledError\)/);
    expect(execution?.finding?.UserDefinedFields).toMatchObject({ macieOutcome: 'failed' });
    // Nothing to tell beyond the incident and the finding: no follow-up.
    expect(followUps(result.outbox)).toEqual([]);
  });

  it.each([
    {
      error: 'AccessDeniedException',
      message: 'not authorized to perform macie2:CreateClassificationJob',
      named: 'MacieAccessDeniedError',
    },
    { error: 'ServiceQuotaExceededException', message: 'quota exceeded', named: 'MacieQuotaExceededError' },
  ] as const)('$error on CreateClassificationJob: $named recorded', async ({ error, message, named }) => {
    const { macie, scan, execution } = await scanRun(putPolicy(), {
      world: scanWorld(
        withFaults({ service: 'macie2', operation: 'CreateClassificationJob', error, message }),
      ),
    });

    expect(execution?.status).toBe('SUCCEEDED');
    expect(scan.status).toBe('SUCCEEDED');
    expect(scan.path).toEqual(SCAN_ENDED_AT_START);
    expect(macie).toMatchObject({ outcome: 'failed', error: named, scope: { kind: 'bucket' } });
    expect(execution?.finding?.UserDefinedFields).toMatchObject({ macieOutcome: 'failed' });
  });

  it.each([
    { operation: 'CreateClassificationJob', state: 'StartMacieScan', job: false },
    { operation: 'DescribeClassificationJob', state: 'CheckMacieScan', job: true },
    { operation: 'ListFindings', state: 'SummarizeMacieScan', job: true },
  ] as const)(
    'throttling of $operation that outlasts the retries: RecordScanFailure records it',
    async ({ operation, state, job }) => {
      const { macie, scan, execution, result } = await scanRun(putPolicy(), {
        world: scanWorld(
          withFaults({ service: 'macie2', operation, error: 'ThrottlingException', times: 1_000 }),
        ),
      });

      expect(execution?.status).toBe('SUCCEEDED');
      expect(scan.status).toBe('SUCCEEDED');
      // The first try and four retries (MacieThrottledError), then the failure is recorded.
      expect(scan.path.filter((s) => s === state)).toHaveLength(5);
      expect(scan.path.slice(-2)).toEqual(['RecordScanFailure', 'ScanRecorded']);
      expect(macie).toMatchObject({ outcome: 'failed', error: 'MacieThrottledError' });
      expect(macie?.reason).toContain(`${operation}: ThrottlingException`);
      // What the scan got to is kept: the job (and its id) once one was started.
      expect(macie?.jobId ?? null).toBe(job ? theJob(result.world).jobId : null);
      expect(execution?.finding?.UserDefinedFields).toMatchObject({ macieOutcome: 'failed' });
    },
  );

  it('a job that ran with errors and found nothing: MacieJobFailedError', async () => {
    const { macie, scan } = await scanRun(putObjectAcl('reports/q3.csv'), {
      world: scanWorld(macieSays({ lastRunError: true })),
    });

    expect(scan.path).toEqual(SCAN_PATH);
    expect(macie).toMatchObject({ outcome: 'failed', error: 'MacieJobFailedError', status: 'COMPLETE' });
    expect(macie?.reason).toMatch(/could not be read/);
  });

  it('a job that ran with errors and found something: found, saying some objects could not be read', async () => {
    const { macie } = await scanRun(putObjectAcl('exports/customers.csv'), {
      world: scanWorld(macieSays({ lastRunError: true })),
    });

    expect(macie).toMatchObject({ outcome: 'found', error: null, affectedKeys: ['exports/customers.csv'] });
    expect(macie?.reason).toContain('lastRunErrorStatus ERROR');
  });
});

// ---- Retries ----------------------------------------------------------------------------------

describe('a retried start makes one job and one scan', () => {
  it.each([['StartMacieScan'], ['NotifyRecipients']])(
    '%s failing once after it ran: one Macie job, one scan execution, one result',
    async (state) => {
      const simulation = await scanRun(putPolicy(), { harness: { failOnceAfterRun: [state] } });
      const { result, environment, macie } = simulation;

      const everyPath = environment.runner.executions.flatMap((e) => e.path);
      expect(everyPath.filter((s) => s === state)).toHaveLength(2);
      expect(scanExecutions(environment.runner.executions)).toHaveLength(1);
      expect(
        environment.sandbox.calls.filter((c) => c.operation === 'StartExecution' && c.outcome === 'ok'),
      ).toHaveLength(1);
      const job = theJob(result.world);
      expect(macie).toMatchObject({ outcome: 'found', jobId: job.jobId });
      expect(alertsIn(result.outbox)).toHaveLength(1);
      expect(followUps(result.outbox)).toHaveLength(1);
    },
  );

  it('a StartMacieScan that runs twice with no record of the first (the same input) gets the job it started', async () => {
    const twice: StateHandler = async (payload, deps) => {
      const { taskRuns: _ignored, ...unrecorded } = deps;
      await real('StartMacieScan')(payload, unrecorded);
      return real('StartMacieScan')(payload, unrecorded);
    };
    const { result, environment, macie } = await scanRun(putPolicy(), {
      handlers: { StartMacieScan: twice },
    });

    const creates = macieCalls(environment, 'CreateClassificationJob');
    expect(creates.map((c) => c.outcome)).toEqual(['ok', 'ok']);
    const tokens = creates.map((c) => (c.input as { clientToken?: string }).clientToken);
    expect(tokens[0]).toMatch(/^s3-exposure-/);
    expect(tokens[1]).toBe(tokens[0]);
    expect(macie?.jobId).toBe(theJob(result.world).jobId);
  });
});

// ---- The system's decision ------------------------------------------------------------------

describe('sensitive data found during a pending approval', () => {
  async function pendingApprovalThenScan(containOnSensitiveData: boolean) {
    // The scan starts its job once the request waits, as a Macie job taking minutes does in AWS.
    const start = new Hold('StartMacieScan');
    const summarize = new Hold('SummarizeMacieScan');
    const environment = await openEnvironment({
      holds: [start, summarize],
      config: configWith('approve', { containOnSensitiveData }),
    });
    const { execution, link } = await startUntilApprovalWaits(environment, putPolicy());
    const approvalId = new URL(link).pathname.split('/').at(-1) ?? '';
    start.release();
    summarize.release();
    await summarize.done;
    return { environment, execution, approvalId };
  }

  it('with macie.containOnSensitiveData: the system approves (recorded as such), the fix follows, the finding is raised', async () => {
    const { environment, execution, approvalId } = await pendingApprovalThenScan(true);

    const record = await execution;
    await environment.runner.idle();
    expect(record.status).toBe('SUCCEEDED');
    expect(record.path).toEqual(
      expect.arrayContaining(['RequestApproval', 'WhatDidTheApproverDecide?', 'RemediateExposure']),
    );
    const approval = await environment.deps.approvals?.get(approvalId);
    expect(approval).toMatchObject({
      status: 'APPROVED',
      decision: { decision: 'APPROVED', by: 'system', approver: expect.stringMatching(/^system: /) },
    });
    expect(approval?.decision?.reason).toMatch(/^Macie found CREDIT_CARD_NUMBER/);
    const incident = await incidentOf(environment);
    expect(incident).toMatchObject({
      closedReason: 'REMEDIATED',
      decision: { decision: 'APPROVED', by: expect.stringMatching(/^system: Amazon Macie/) },
      macie: { outcome: 'found', highestSeverity: 'High' },
    });
    expect(environment.sandbox.world.buckets[BUCKET]?.policy).toBeNull();
    // Nobody clicked: the approver's link was never posted to.
    expect(environment.sandbox.calls.filter((c) => c.operation === 'SendTaskSuccess')).toHaveLength(1);
    const finding = environment.sandbox.world.securityHubFindings.find((f) => f.Id === incident.findingId);
    expect(finding?.Severity).toMatchObject({ Label: 'CRITICAL', Original: 'HIGH' });
    const [followUp] = followUps(environment.sandbox.outbox);
    expect(followUp?.subject).toBe(`[CRITICAL] Sensitive data in exposed S3 bucket ${BUCKET}`);
    expect(followUp?.text).toContain(`The pending approval ${approvalId} was approved by the system`);
  });

  it('with it, and the scan done before the request exists: the request is decided by the system at once', async () => {
    // The request waits until the scan has recorded what it found, as a slow SES or a fast
    // Macie could make it in AWS.
    const request = new Hold('RequestApproval');
    const summarize = new Hold('SummarizeMacieScan');
    const environment = await openEnvironment({
      holds: [request, summarize],
      config: configWith('approve', { containOnSensitiveData: true }),
    });
    const execution = deliver(environment, putPolicy());
    await request.reached;
    summarize.release();
    await summarize.done;
    expect((await incidentOf(environment)).macie?.outcome).toBe('found');
    request.release();

    const record = await execution;
    await environment.runner.idle();
    expect(record.status).toBe('SUCCEEDED');
    expect(record.path).toEqual(expect.arrayContaining(['RequestApproval', 'RemediateExposure']));
    const incident = await incidentOf(environment);
    expect(incident).toMatchObject({
      closedReason: 'REMEDIATED',
      decision: { decision: 'APPROVED', by: expect.stringMatching(/^system: Amazon Macie/) },
    });
    // Nobody was asked: no request went out, and the wait was answered by the task itself.
    expect(environment.sandbox.outbox.filter((m) => m.subject.startsWith('Decision needed'))).toEqual([]);
    expect(environment.taskTokens.waiting()).toEqual([]);
  });

  it('without it: the approval stays pending for a person, and nothing changes', async () => {
    const { environment, approvalId } = await pendingApprovalThenScan(false);

    expect((await incidentOf(environment)).macie?.outcome).toBe('found');
    const approval = await environment.deps.approvals?.get(approvalId);
    expect(approval).toMatchObject({ status: 'PENDING', decision: null });
    expect(approval?.macie).toMatch(/^Macie found CREDIT_CARD_NUMBER/);
    expect(environment.taskTokens.waiting()).toHaveLength(1);
    expect(environment.sandbox.calls.filter((c) => c.operation === 'SendTaskSuccess')).toEqual([]);
    expect(environment.sandbox.world.buckets[BUCKET]?.policy).not.toBeNull();
  });
});

// ---- What the scan tells ------------------------------------------------------------------------

describe('what the scan tells the finding and the recipients', () => {
  it('sensitive data: the note gets the Macie line, UserDefinedFields the outcome, the severity is raised, one follow-up; never a value', async () => {
    const { result, execution, macie } = await scanRun(putObjectAcl('exports/customers.csv'));

    const finding = execution?.finding;
    expect(finding?.Note?.Text).toContain(
      '\nMacie: Macie found CREDIT_CARD_NUMBER ×1 in 1 object(s) (High); 1 object(s) scanned',
    );
    expect(finding?.UserDefinedFields).toEqual({
      macieOutcome: 'found',
      macieJobId: macie?.jobId,
      macieSeverity: 'High',
    });
    expect(finding?.Severity).toMatchObject({ Label: 'CRITICAL', Original: 'HIGH' });
    const followUp = followUps(result.outbox);
    expect(followUp.map((m) => [m.to, m.subject])).toEqual([
      [SOC, `[CRITICAL] Sensitive data in exposed S3 bucket ${BUCKET}`],
    ]);
    expect(followUp[0]?.text).toContain('  exports/customers.csv');
    expect(followUp[0]?.text).toContain('FINANCIAL_INFORMATION: 1');
    // The card number itself appears nowhere the responder writes.
    expect(JSON.stringify({ incident: execution?.incident, finding, outbox: result.outbox })).not.toContain(
      CARD,
    );
  });

  it('a workflow note written after the scan (MarkFindingNotified, from an incident read before it ended) keeps the Macie line', async () => {
    // MarkFindingNotified reads the incident, then the scan ends and writes its result, then
    // MarkFindingNotified writes its note: the order in which a note could lose the scan's line.
    let scanEnded: () => void = () => {};
    const ended = new Promise<void>((resolve) => {
      scanEnded = resolve;
    });
    const environment = await openEnvironment({
      handlers: {
        MarkFindingNotified: (payload, deps) => {
          const store = new Proxy(deps.store, {
            get(target, property) {
              if (property === 'getIncident') {
                return async (id: string) => {
                  const incident = await target.getIncident(id);
                  await ended;
                  return incident;
                };
              }
              const value = Reflect.get(target, property, target);
              return typeof value === 'function' ? value.bind(target) : value;
            },
          });
          return real('MarkFindingNotified')(payload, { ...deps, store });
        },
      },
    });
    const execution = deliver(environment, putObjectAcl('exports/customers.csv'));
    await vi.waitFor(() => {
      const done = scanExecutions(environment.runner.executions).find((e) => e.status === 'SUCCEEDED');
      if (!done) throw new Error('scan not done yet');
    });
    scanEnded();
    await execution;
    await environment.runner.idle();

    const incident = await incidentOf(environment);
    const finding = environment.sandbox.world.securityHubFindings.find((f) => f.Id === incident.findingId);
    expect(finding?.Workflow).toEqual({ Status: 'NOTIFIED' });
    expect((finding?.Note as { Text?: string } | undefined)?.Text).toContain(
      '\nMacie: Macie found CREDIT_CARD_NUMBER',
    );
  });

  it('nothing found: the note says so, the severity stays, and no follow-up goes out', async () => {
    const { result, execution, macie } = await scanRun(putObjectAcl('reports/q3.csv'));

    expect(macie).toMatchObject({ outcome: 'nothingFound', affectedKeys: [], highestSeverity: null });
    expect(execution?.finding?.Note?.Text).toContain(
      '\nMacie: Macie found no sensitive data; 1 object(s) scanned',
    );
    expect(execution?.finding?.UserDefinedFields).toMatchObject({ macieOutcome: 'nothingFound' });
    expect(execution?.finding?.Severity).toMatchObject({ Label: 'HIGH' });
    expect(followUps(result.outbox)).toEqual([]);
    expect(result.outbox).toHaveLength(1);
  });
});

// ---- simulate --json ----------------------------------------------------------------------------

describe('simulate --json', () => {
  it("shows the scan's summary on the event's incident", async () => {
    const dir = await mkdtemp(join(tmpdir(), 's3-exposure-macie-'));
    const files = {
      world: join(dir, 'world.json'),
      event: join(dir, 'event.json'),
      config: join(dir, 'config.json'),
    };
    await writeFile(files.world, JSON.stringify(scanWorld()));
    await writeFile(files.event, JSON.stringify(putObjectAcl('exports/customers.csv')));
    await writeFile(files.config, JSON.stringify(configWith()));
    let output = '';

    await runSimulateCommand({ ...files, json: true, state: join(dir, 'state') }, (text) => {
      output += text;
    });

    const printed = JSON.parse(output) as SimulationResult;
    // One execution per event: the scan's own execution is not an event's.
    expect(printed.executions).toHaveLength(1);
    const job = theJob(printed.world);
    expect(printed.executions[0]?.incident?.macie).toMatchObject({
      outcome: 'found',
      jobId: job.jobId,
      status: 'COMPLETE',
      scope: { kind: 'objects', prefixes: ['exports/customers.csv'] },
      affectedKeys: ['exports/customers.csv'],
      detections: { CREDIT_CARD_NUMBER: 1 },
    });
    expect(printed.executions[0]?.finding?.UserDefinedFields).toMatchObject({ macieOutcome: 'found' });
  });
});

describe('a scan whose result is known when a later step fails', () => {
  it('SES failing for good after the summary was recorded: the result stays on the incident and the finding, with the failure', async () => {
    const summarize = new Hold('SummarizeMacieScan');
    const environment = await openEnvironment({ holds: [summarize] });
    const response = await deliver(environment, putPolicy());
    await summarize.reached;
    expect((await response).status).toBe('SUCCEEDED');

    // From now on SES refuses every message: the follow-up cannot go out.
    withFaults({ service: 'ses', operation: 'SendEmail', error: 'ThrottlingException', times: 1_000 })(
      environment.sandbox.world,
    );
    summarize.release();
    await environment.runner.idle();

    const scan = theScan(environment.runner.executions);
    expect(scan.status).toBe('SUCCEEDED');
    // The first try and five retries (AwsTransientError), then RecordScanFailure.
    expect(scan.path.filter((s) => s === 'SummarizeMacieScan')).toHaveLength(6);
    expect(scan.path.slice(-2)).toEqual(['RecordScanFailure', 'ScanRecorded']);
    expect(followUps(environment.sandbox.outbox)).toEqual([]);
    const incident = await incidentOf(environment);
    expect(incident.macie).toMatchObject({
      outcome: 'found',
      error: null,
      jobId: theJob(environment.sandbox.world).jobId,
      affectedKeys: ['exports/customers.csv', 'public/leak.csv'],
    });
    expect(incident.macie?.reason).toMatch(
      /^sensitive data found; after the result was recorded, a later step failed \(AwsTransientError\)/,
    );
    const finding = environment.sandbox.world.securityHubFindings.find((f) => f.Id === incident.findingId);
    expect(finding?.UserDefinedFields).toMatchObject({ macieOutcome: 'found' });
    expect(JSON.stringify(finding?.Note)).toContain('\\nMacie: Macie found CREDIT_CARD_NUMBER ×2');
  });
});
