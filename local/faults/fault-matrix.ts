/**
 * The fault matrix: every AWS operation the workflow calls, times each way it can fail, in notify
 * and auto modes. Faults are injected at the sandbox's SDK layer (the world file's `faults`),
 * never by swapping handlers, so the real tasks, retries and state machine meet them. Each cell
 * is judged by the rule a SOC relies on (see {@link judge}).
 */
import { readFileSync } from 'node:fs';
import type { ResponseMode } from '../../tasks/shared/contracts.js';
import { defaultConfig, defaultWorld } from '../defaults.js';
import { projectPath } from '../paths.js';
import type { RunnerHarness } from '../runner.js';
import { type FaultInput, type FaultService, isRead, type World } from '../sandbox/world.js';
import { type SimulationRun, simulate } from '../simulate.js';

export const BUCKET = 'acme-public-assets';
const SOC = 'soc@example.com';
const OPERATORS = 'cloud-ops@example.com';
const EVIDENCE_PREFIX = 's3-exposure-evidence-';
/** Far more than any retry schedule: the failure lasts for the whole run. */
const FOR_GOOD = 1000;

/** An operation the workflow calls on the public-policy path (notify and auto). */
export interface Operation {
  readonly service: FaultService;
  readonly operation: string;
}

export const OPERATIONS: readonly Operation[] = [
  { service: 's3', operation: 'GetBucketPolicy' },
  { service: 's3', operation: 'GetBucketPolicyStatus' },
  { service: 's3', operation: 'GetBucketAcl' },
  { service: 's3', operation: 'GetPublicAccessBlock' },
  { service: 's3', operation: 'GetBucketOwnershipControls' },
  { service: 's3', operation: 'GetBucketWebsite' },
  { service: 's3', operation: 'GetBucketTagging' },
  { service: 's3control', operation: 'GetPublicAccessBlock' },
  { service: 'securityhub', operation: 'BatchImportFindings' },
  { service: 'securityhub', operation: 'BatchUpdateFindings' },
  { service: 'ses', operation: 'SendEmail' },
  { service: 's3', operation: 'PutObject' },
  { service: 's3', operation: 'DeleteBucketPolicy' },
  // The incident store (dynalite locally): its writes, and the reads every task makes.
  { service: 'dynamodb', operation: 'PutItem' },
  { service: 'dynamodb', operation: 'UpdateItem' },
  { service: 'dynamodb', operation: 'GetItem' },
];

/** A way an operation can fail, as the service names it. */
export interface FaultKind {
  readonly name: string;
  /** The fault for an operation, or null when it does not apply to it. */
  readonly fault: (op: Operation) => FaultInput | null;
  /** How the run is set up for it (the slow call needs a short task timeout to outlive). */
  readonly harness?: RunnerHarness;
}

/**
 * The Task timeout of the latency cells, and how long their slow call takes: longer, so the state
 * times out while the invocation goes on and writes late (AWS's timeouts are a minute or more;
 * the ratio is what matters).
 */
const SHORT_TASK_TIMEOUT_SECONDS = 1;
const PAST_THE_TIMEOUT_MS = 1500;

const THROTTLE: Readonly<Record<FaultService, string>> = {
  dynamodb: 'ProvisionedThroughputExceededException',
  s3: 'SlowDown',
  s3control: 'SlowDown',
  securityhub: 'ThrottlingException',
  ses: 'TooManyRequestsException',
  sfn: 'ThrottlingException',
  sts: 'Throttling',
  macie2: 'ThrottlingException',
  chat: 'TooManyRequests',
};
const DENIED: Readonly<Record<FaultService, string>> = {
  dynamodb: 'AccessDeniedException',
  s3: 'AccessDenied',
  s3control: 'AccessDenied',
  securityhub: 'AccessDeniedException',
  ses: 'AccessDeniedException',
  sfn: 'AccessDeniedException',
  sts: 'AccessDenied',
  macie2: 'AccessDeniedException',
  chat: 'Forbidden',
};
const INTERNAL: Readonly<Record<FaultService, string>> = {
  dynamodb: 'InternalServerError',
  s3: 'InternalError',
  s3control: 'InternalError',
  securityhub: 'InternalException',
  ses: 'InternalError',
  sfn: 'InternalError',
  sts: 'InternalError',
  macie2: 'InternalServerException',
  chat: 'InternalServerError',
};
const UNAVAILABLE: Readonly<Record<FaultService, string>> = {
  dynamodb: 'ServiceUnavailable',
  s3: 'ServiceUnavailable',
  s3control: 'ServiceUnavailable',
  securityhub: 'ServiceUnavailableException',
  ses: 'ServiceUnavailableException',
  sfn: 'ServiceUnavailableException',
  sts: 'ServiceUnavailable',
  macie2: 'ServiceUnavailable',
  chat: 'ServiceUnavailable',
};

const isBucketCall = (op: Operation) => op.service === 's3' && op.operation !== 'PutObject';
/**
 * S3's bucket configuration reads are eventually consistent. The store's are not: every Get,
 * Query and Scan it sends is ConsistentRead, so a stale read does not apply to DynamoDB.
 */
const mayReadStale = (op: Operation) =>
  (op.service === 's3' || op.service === 's3control') && isRead(op.operation);

export const FAULT_KINDS: readonly FaultKind[] = [
  { name: 'throttled, then ok', fault: (op) => ({ ...op, error: THROTTLE[op.service], times: 2 }) },
  { name: 'throttled for good', fault: (op) => ({ ...op, error: THROTTLE[op.service], times: FOR_GOOD }) },
  { name: 'AccessDenied', fault: (op) => ({ ...op, error: DENIED[op.service], times: FOR_GOOD }) },
  { name: 'InternalError', fault: (op) => ({ ...op, error: INTERNAL[op.service], times: FOR_GOOD }) },
  { name: 'ServiceUnavailable', fault: (op) => ({ ...op, error: UNAVAILABLE[op.service], times: FOR_GOOD }) },
  {
    name: 'NoSuchBucket once',
    fault: (op) => (isBucketCall(op) ? { ...op, error: 'NoSuchBucket', times: 1 } : null),
  },
  {
    name: 'NoSuchBucket for good',
    fault: (op) => (isBucketCall(op) ? { ...op, error: 'NoSuchBucket', times: FOR_GOOD } : null),
  },
  {
    name: 'a conditional write loses a race',
    fault: (op) =>
      // Conditional puts only: the other writes carry no condition to lose.
      op.service === 'dynamodb' && op.operation === 'PutItem'
        ? { ...op, error: 'ConditionalCheckFailedException', times: 1 }
        : null,
  },
  {
    name: 'a stale read',
    fault: (op) => (mayReadStale(op) ? { ...op, stale: true, times: 1 } : null),
  },
  {
    name: 'slower than the task timeout',
    fault: (op) => ({ ...op, latencyMs: PAST_THE_TIMEOUT_MS, times: 1 }),
    harness: { taskTimeoutSeconds: SHORT_TASK_TIMEOUT_SECONDS },
  },
  {
    name: 'SES rejects the message',
    fault: (op) => (op.service === 'ses' ? { ...op, error: 'MessageRejected', times: FOR_GOOD } : null),
  },
];

/** One cell: an operation failing one way, in one mode. `operation` null: Security Hub is not enabled. */
export interface Cell {
  readonly mode: ResponseMode;
  readonly operation: Operation | null;
  readonly kind: string;
  readonly fault: FaultInput | null;
  readonly harness?: RunnerHarness;
}

/** Every cell of the matrix, for one mode. */
export function cells(mode: ResponseMode): Cell[] {
  const faulted = OPERATIONS.flatMap((operation) =>
    FAULT_KINDS.flatMap((kind) => {
      const fault = kind.fault(operation);
      if (!fault) return [];
      return [
        { mode, operation, kind: kind.name, fault, ...(kind.harness ? { harness: kind.harness } : {}) },
      ];
    }),
  );
  return [...faulted, { mode, operation: null, kind: 'Security Hub not enabled', fault: null }];
}

/** What a cell ended in, and whether it kept the rule. */
export interface Verdict {
  readonly cell: Cell;
  /** In a few words: the execution's status and who was told. */
  readonly endState: string;
  readonly problems: string[];
}

function worldFor(cell: Cell): World {
  const world = structuredClone(defaultWorld());
  if (cell.fault) world.faults.push(cell.fault as World['faults'][number]);
  if (cell.operation === null) world.services.securityHub = 'disabled';
  return world;
}

function publicPolicyEvent(): unknown {
  const event = JSON.parse(readFileSync(projectPath('events', 'put-bucket-policy-public.json'), 'utf8'));
  event.detail.eventID = `fault-${Math.random().toString(36).slice(2)}`;
  return event;
}

/** Runs one cell on a fresh state folder and judges it. */
export async function runCell(cell: Cell): Promise<Verdict> {
  const event = publicPolicyEvent();
  const run = await simulate({
    world: worldFor(cell),
    config: defaultConfig(),
    events: [event],
    mode: cell.mode,
    keepOpen: true,
    ...(cell.harness ? { harness: cell.harness } : {}),
  });
  try {
    // The judge reads the store itself: the run's faults are over.
    run.environment.sandbox.world.faults.length = 0;
    const lease = await run.environment.store.getLease({
      accountId: run.environment.sandbox.world.accountId,
      bucket: BUCKET,
    });
    return judge(cell, run, { event, leaseHeld: lease !== null && Date.parse(lease.expiresAt) > Date.now() });
  } finally {
    await run.environment.close();
  }
}

/** A message's recipients (one outbox entry per message, its `to` the recipients joined). */
function toAll(to: string): string[] {
  return to.split(/,\s*/);
}

/**
 * The rule every cell must keep: an incident the SOC can see and an alert (by email, or when
 * email itself is what fails, a Security Hub finding and a failed execution for the alarm); the
 * operators told of a fault the run could not absorb; no event or incident lost, no lease left
 * held; no change without a backup first, and none in notify mode.
 */
export function judge(
  cell: Cell,
  run: SimulationRun,
  after: { event: unknown; leaseHeld: boolean },
): Verdict {
  const problems: string[] = [];
  const [execution] = run.result.executions;
  const incident = run.incidents.find((i) => i.bucket === BUCKET) ?? null;
  const outbox = run.result.outbox;
  const socTold = outbox.some((m) => toAll(m.to).includes(SOC) && m.subject.includes(BUCKET));
  const operatorsTold = outbox.some((m) => toAll(m.to).includes(OPERATORS));
  const emailBroken = cell.operation?.service === 'ses' && cell.kind !== 'throttled, then ok';
  // With the store failing for good there can be no incident record: the SOC must hear by email.
  const storeBroken =
    cell.operation?.service === 'dynamodb' && cell.fault !== null && (cell.fault.times ?? 1) > 1;
  const findingSeen = run.result.world.securityHubFindings.some((f) =>
    JSON.stringify(f.Resources).includes(BUCKET),
  );
  const failed = execution?.status === 'FAILED';
  const op = cell.operation;
  // A fault the run never met (notify mode makes no backup), or one the SDK's retries, a
  // HeadBucket or a re-read answered, is absorbed: there is nothing for the operators to fix.
  // Every run reads and writes the store, so a store fault is always met.
  const calls = run.environment.sandbox.calls.filter(
    (c) => op !== null && c.service === op.service && c.operation === op.operation,
  );
  const hit = op === null || op.service === 'dynamodb' || calls.some((c) => c.outcome !== 'ok');
  // A slow call proves something only if its task really timed out while the call went on.
  const slow = cell.harness?.taskTimeoutSeconds !== undefined;
  const timedOut = run.records.some((r) => r.steps.some((step) => step.error?.Error === 'States.Timeout'));
  if (slow && (calls.length > 0 || op?.service === 'dynamodb') && !timedOut)
    problems.push('the slow call never outlived its task');
  const absorbed =
    !hit ||
    slow ||
    cell.kind === 'throttled, then ok' ||
    cell.kind === 'NoSuchBucket once' ||
    cell.kind === 'a stale read' ||
    cell.kind === 'a conditional write loses a race';

  if (!incident && !storeBroken) problems.push('no incident');
  if (!socTold && !(emailBroken && findingSeen && failed)) problems.push('the SOC was not alerted');
  if (!absorbed && !operatorsTold && !(emailBroken && failed)) problems.push('the operators were not told');
  if (after.leaseHeld) problems.push('the lease is still held');
  const eventID = (after.event as { detail: { eventID: string } }).detail.eventID;
  if (incident && !incident.events.some((e) => e.eventID === eventID))
    problems.push('the event is not on the incident');

  const writes = run.environment.sandbox.calls.filter(
    (c) => c.outcome === 'ok' && /^(Put|Delete)/.test(c.operation) && c.service === 's3',
  );
  const bucketOf = (input: unknown) => (input as { Bucket?: string } | null)?.Bucket ?? '';
  const changes = writes.filter((c) => bucketOf(c.input) === BUCKET);
  if (cell.mode === 'notify' && changes.length > 0) problems.push('a change in notify mode');
  const firstBackup = writes.findIndex((c) => bucketOf(c.input).startsWith(EVIDENCE_PREFIX));
  const firstChange = writes.findIndex((c) => bucketOf(c.input) === BUCKET);
  if (firstChange >= 0 && (firstBackup < 0 || firstBackup > firstChange))
    problems.push('a change without a backup');

  const told = [socTold ? 'SOC' : null, operatorsTold ? 'ops' : null].filter(Boolean).join('+') || 'nobody';
  const status = incident
    ? `${incident.status === 'CLOSED' ? incident.closedReason : incident.response}`
    : 'no incident';
  return {
    cell,
    endState: `${execution?.status === 'SUCCEEDED' ? 'ok' : 'FAILED'} ${status} ${told}`,
    problems,
  };
}

/** The matrix as a Markdown table: operation × fault → end state (✗ where the rule broke). */
export function formatMatrix(verdicts: readonly Verdict[]): string {
  const kinds = [...new Set(verdicts.map((v) => v.cell.kind))];
  const ops = [
    ...new Set(
      verdicts.map((v) =>
        v.cell.operation ? `${v.cell.operation.service}:${v.cell.operation.operation}` : '—',
      ),
    ),
  ];
  const modes = [...new Set(verdicts.map((v) => v.cell.mode))];
  const lines: string[] = [];
  for (const mode of modes) {
    lines.push(
      `\n**${mode} mode**\n`,
      `| operation | ${kinds.join(' | ')} |`,
      `|---|${kinds.map(() => '---').join('|')}|`,
    );
    for (const op of ops) {
      const row = kinds.map((kind) => {
        const v = verdicts.find(
          (x) =>
            x.cell.mode === mode &&
            x.cell.kind === kind &&
            (x.cell.operation ? `${x.cell.operation.service}:${x.cell.operation.operation}` : '—') === op,
        );
        if (!v) return '';
        return v.problems.length === 0 ? v.endState : `✗ ${v.endState}: ${v.problems.join('; ')}`;
      });
      if (row.some((r) => r !== '')) lines.push(`| ${op} | ${row.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}
