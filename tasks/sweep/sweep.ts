/**
 * The sweep: a backstop for what events miss. CloudTrail's delivery to EventBridge is
 * best-effort, a response can fail, and an execution can stop while it holds a bucket. The sweep
 * reads every bucket of the account in its own Region, with a bounded number at once, and hands
 * each bucket left unanswered to the state machine (StartExecution with a name derived from the
 * sweep and the bucket, so a repeated sweep starts nothing twice); the workflow then answers it
 * as it answers an event. It reports latent exposures, and starts nothing for them.
 *
 * Clients, store and clock come in as `deps`: the same code runs as a Lambda function on a
 * schedule (`handler.ts`) and behind `s3-exposure sweep` on a state folder.
 */
import { randomUUID } from 'node:crypto';
import { GetBucketLocationCommand } from '@aws-sdk/client-s3';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { couldNotFullyAssess } from '../classify-exposure/assess.js';
import { regionOfLocation } from '../classify-exposure/bucket-region.js';
import { classifyExposure, SCAN_LIMIT } from '../classify-exposure/classify.js';
import { mapWithConcurrency, readBucketSnapshot } from '../classify-exposure/read-snapshot.js';
import { errorName, unreadableCode } from '../shared/aws-errors.js';
import { BucketAccessSnapshotSchema, type Vector } from '../shared/contracts.js';
import { BucketNotFoundError, ConcurrentUpdateError, InvalidInputError } from '../shared/errors.js';
import { isExecutionRunning } from '../shared/execution-status.js';
import { sha256Hex } from '../shared/hash.js';
import { boundedObjectKeys, incidentKeys } from '../shared/incident-keys.js';
import type { BucketRef, LeaseView } from '../shared/incident-store.js';
import { logger } from '../shared/logger.js';
import type { TaskDeps } from '../shared/task-deps.js';
import { parseOrThrow } from '../shared/validation.js';
import { decideBucket, SWEEP_REASONS, type SweepReason } from './decide.js';
import { type ListedBucket, listBuckets, MAX_PAGE_SIZE } from './list-buckets.js';

/** What the sweep needs: the responder's clients, the store, the clock and the configuration. */
export type SweepDeps = Pick<
  TaskDeps,
  'clients' | 'clientsFor' | 'store' | 'clock' | 'config' | 'accountId' | 'stateMachineArn'
>;

export interface SweepOptions {
  /** Names this sweep: executions and eventIDs derive from it, so a repeated sweep starts nothing twice. */
  readonly sweepId: string;
  /**
   * Buckets read at once (each bucket's reads run in parallel among themselves).
   * @default config.limits.objectAclConcurrency
   */
  readonly concurrency?: number;
  /** Buckets per ListBuckets page (MaxBuckets). @default 1000, S3's largest */
  readonly pageSize?: number;
  /** Check at most this many buckets; the rest wait for the next sweep (truncated). @default every bucket */
  readonly maxBuckets?: number;
  /** No bucket is begun after this time (a Lambda function's deadline); the rest wait (truncated). */
  readonly stopAt?: Date;
}

/** An execution the sweep started (or had started before, under the same sweep id). */
export interface SweepStart {
  readonly bucket: string;
  readonly region: string;
  readonly reasons: SweepReason[];
  readonly executionArn: string;
  /** Started by an earlier run of this sweep: Step Functions refused the name as taken. */
  readonly alreadyStarted: boolean;
}

/** What one sweep found and did. */
export interface SweepReport {
  readonly sweepId: string;
  readonly accountId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** ListBuckets calls. */
  readonly pages: number;
  readonly bucketsListed: number;
  readonly bucketsChecked: number;
  /** Buckets were left for the next sweep: `maxBuckets` or `stopAt` was reached. */
  readonly truncated: boolean;
  /** Effectively public now. */
  readonly public: string[];
  /** Not public as far as could be read, but some of the bucket could not be read. */
  readonly notFullyAssessed: string[];
  readonly started: SweepStart[];
  /** Leases given up because their holder had ended, or ran out with events waiting. */
  readonly reclaimed: { readonly bucket: string; readonly holder: string; readonly pending: number }[];
  /** Held by a running execution, which answers the bucket itself: nothing started. */
  readonly inProgress: { readonly bucket: string; readonly holder: string }[];
  /** Ways in that Block Public Access or Object Ownership masks today: reported, nothing started. */
  readonly latent: { readonly bucket: string; readonly vectors: Vector[] }[];
  /** Deleted between the listing and the read. */
  readonly gone: string[];
  /** Buckets that could not be checked or started (AWS or the store failed after retries), with the error code. */
  readonly failed: { readonly bucket: string; readonly error: string }[];
}

/** One bucket's outcome. */
type Outcome =
  | { readonly kind: 'skipped' }
  | { readonly kind: 'gone' }
  | { readonly kind: 'failed'; readonly error: string }
  | {
      readonly kind: 'checked';
      readonly public: boolean;
      readonly notFullyAssessed: boolean;
      readonly latent: Vector[];
      readonly started: SweepStart | null;
      readonly reclaimed: { readonly holder: string; readonly pending: number } | null;
      readonly inProgress: string | null;
    };

/** A new sweep id: when it ran, and a random part; at most 80 characters of [A-Za-z0-9-]. */
export function newSweepId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '').slice(0, 15);
  return `sweep-${stamp}Z-${randomUUID().slice(0, 8)}`;
}

/** An execution name (at most 80 of [A-Za-z0-9-_]) that is the same for the same sweep and bucket. */
export function sweepExecutionName(sweepId: string, bucket: string): string {
  const readable = bucket.replace(/[^A-Za-z0-9-_]/g, '-');
  return `sweep-${sha256Hex(`${sweepId}/${bucket}`).slice(0, 16)}-${readable}`.slice(0, 80);
}

/** The ARN Step Functions gives an execution `name` of `stateMachineArn`. */
function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

async function regionOf(deps: SweepDeps, listed: ListedBucket): Promise<string> {
  if (listed.region) return listed.region;
  const answer = await deps.clients.s3.send(
    new GetBucketLocationCommand({ Bucket: listed.name, ExpectedBucketOwner: deps.accountId }),
  );
  return regionOfLocation(answer.LocationConstraint);
}

async function start(
  deps: SweepDeps,
  sweepId: string,
  target: { readonly bucket: string; readonly region: string; readonly reasons: SweepReason[] },
): Promise<SweepStart> {
  const { bucket, region, reasons } = target;
  const name = sweepExecutionName(sweepId, bucket);
  const reason = reasons.map((r) => SWEEP_REASONS[r]).join('; ');
  const input = { sweep: { bucket, region, accountId: deps.accountId, sweepId, reason } };
  try {
    const answer = await deps.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name,
        input: JSON.stringify(input),
      }),
    );
    const executionArn = answer.executionArn ?? executionArnOf(deps.stateMachineArn, name);
    return { bucket, region, reasons, executionArn, alreadyStarted: false };
  } catch (error) {
    // Started by an earlier run of this sweep (a retried Lambda invocation): StartExecution is
    // idempotent by name.
    if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
    const executionArn = executionArnOf(deps.stateMachineArn, name);
    return { bucket, region, reasons, executionArn, alreadyStarted: true };
  }
}

/** Reads one bucket, its incident and its lease, decides, and acts. */
async function checkBucket(deps: SweepDeps, sweepId: string, listed: ListedBucket): Promise<Outcome> {
  const bucket = listed.name;
  const region = await regionOf(deps, listed);
  const ref = { accountId: deps.accountId, bucket };
  const [open, lease] = await Promise.all([deps.store.getOpenIncident(ref), deps.store.getLease(ref)]);
  const holderRunning = lease ? await isExecutionRunning(deps.clients.sfn, lease.holder) : false;
  // The open incident's objects too (those its events named, and those a listing found), so the
  // verdict compares with the incident's own; at most limits.objectScanLimit named by no event.
  const { keys, cut } = boundedObjectKeys(
    open?.events.flatMap((e) => e.keys) ?? [],
    open ? incidentKeys(open) : [],
    deps.config.limits.objectScanLimit,
  );
  const raw = await readBucketSnapshot(deps.clientsFor(region), {
    accountId: deps.accountId,
    bucket,
    objectKeys: [...keys],
    objectAclConcurrency: deps.config.limits.objectAclConcurrency,
  });
  if (cut) raw.unreadable = [...(raw.unreadable ?? []), { part: 'objectAcls', error: SCAN_LIMIT }];
  const verdict = classifyExposure(parseOrThrow(BucketAccessSnapshotSchema, raw, `snapshot of ${bucket}`));
  const decision = decideBucket({
    verdict,
    open: open ? { response: open.response, vectors: open.verdict.vectors } : null,
    lease: lease ? { expiresAt: lease.expiresAt, pending: lease.pending.length, holderRunning } : null,
    now: deps.clock.now(),
  });
  const reclaimed = decision.reclaim && lease ? await reclaim(deps, ref, lease) : null;
  const started =
    decision.reasons.length > 0 ? await start(deps, sweepId, { bucket, region, ...decision }) : null;
  return {
    kind: 'checked',
    public: verdict.effectivelyPublic,
    notFullyAssessed: !verdict.effectivelyPublic && couldNotFullyAssess(verdict),
    latent: verdict.latent,
    started,
    reclaimed,
    inProgress: decision.inProgress && lease ? lease.holder : null,
  };
}

/**
 * Gives the lease up as its holder, so the next registration takes it with the events waiting on
 * it. Conditional on the holder: a lease another execution took meanwhile is left alone.
 */
async function reclaim(
  deps: SweepDeps,
  ref: BucketRef,
  lease: LeaseView,
): Promise<{ holder: string; pending: number } | null> {
  const given = await deps.store.abandonLease(ref, lease.holder);
  return given ? { holder: lease.holder, pending: lease.pending.length } : null;
}

/**
 * A bucket that could not be checked is reported and the sweep goes on: AWS or the store still
 * failing after the SDK's retries, or a lost race on the store. Anything else is a fault of ours
 * and fails the sweep.
 */
async function checkOrReport(deps: SweepDeps, options: SweepOptions, listed: ListedBucket): Promise<Outcome> {
  if (options.stopAt && deps.clock.now() >= options.stopAt) return { kind: 'skipped' };
  try {
    return await checkBucket(deps, options.sweepId, listed);
  } catch (error) {
    if (error instanceof BucketNotFoundError || errorName(error) === 'NoSuchBucket') return { kind: 'gone' };
    const code = error instanceof ConcurrentUpdateError ? error.name : unreadableCode(error);
    if (code === undefined) throw error;
    logger.error('sweep could not check a bucket', { bucket: listed.name, error: code });
    return { kind: 'failed', error: code };
  }
}

/**
 * Sweeps the account: lists every bucket (paged), checks each in its own Region with at most
 * `concurrency` at once, and starts an execution for each bucket left unanswered.
 *
 * @throws InvalidInputError when there is no state machine to start executions of.
 * @throws the SDK's error when ListBuckets fails after the SDK's retries: nothing was checked.
 */
export async function sweepAccount(deps: SweepDeps, options: SweepOptions): Promise<SweepReport> {
  if (!deps.stateMachineArn) throw new InvalidInputError('the sweep needs the state machine ARN');
  const startedAt = deps.clock.now().toISOString();
  const listing = await listBuckets(deps.clients.s3, {
    pageSize: options.pageSize ?? MAX_PAGE_SIZE,
    limit: options.maxBuckets ?? Number.POSITIVE_INFINITY,
  });
  const outcomes = await mapWithConcurrency(
    listing.buckets,
    options.concurrency ?? deps.config.limits.objectAclConcurrency,
    (listed) => checkOrReport(deps, options, listed),
  );
  const report = reportOf(deps, options, listing, outcomes, startedAt);
  logger.info('sweep finished', {
    sweepId: report.sweepId,
    checked: report.bucketsChecked,
    started: report.started.length,
    reclaimed: report.reclaimed.length,
    latent: report.latent.length,
    failed: report.failed.length,
    truncated: report.truncated,
  });
  return report;
}

function reportOf(
  deps: SweepDeps,
  options: SweepOptions,
  listing: { buckets: ListedBucket[]; truncated: boolean; pages: number },
  outcomes: readonly Outcome[],
  startedAt: string,
): SweepReport {
  const report: SweepReport = {
    sweepId: options.sweepId,
    accountId: deps.accountId,
    startedAt,
    finishedAt: deps.clock.now().toISOString(),
    pages: listing.pages,
    bucketsListed: listing.buckets.length,
    bucketsChecked: 0,
    truncated: listing.truncated || outcomes.some((o) => o.kind === 'skipped'),
    public: [],
    notFullyAssessed: [],
    started: [],
    reclaimed: [],
    inProgress: [],
    latent: [],
    gone: [],
    failed: [],
  };
  let checked = 0;
  outcomes.forEach((outcome, index) => {
    const bucket = listing.buckets[index]?.name ?? '';
    if (outcome.kind === 'gone') report.gone.push(bucket);
    if (outcome.kind === 'failed') report.failed.push({ bucket, error: outcome.error });
    if (outcome.kind !== 'checked') return;
    checked++;
    if (outcome.public) report.public.push(bucket);
    if (outcome.notFullyAssessed) report.notFullyAssessed.push(bucket);
    if (outcome.latent.length > 0) report.latent.push({ bucket, vectors: outcome.latent });
    if (outcome.started) report.started.push(outcome.started);
    if (outcome.reclaimed) report.reclaimed.push({ bucket, ...outcome.reclaimed });
    if (outcome.inProgress) report.inProgress.push({ bucket, holder: outcome.inProgress });
  });
  return { ...report, bucketsChecked: checked };
}
