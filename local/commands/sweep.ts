/**
 * `s3-exposure sweep`: the sweep (tasks/sweep) on a state folder's sandbox account. It starts
 * executions as the deployed sweep does (StartExecution on the sandbox's Step Functions, run by
 * the local runner), waits for them, and prints what it found, what it started and how each ended.
 */
import { parseConfig } from '../../tasks/shared/config.js';
import type { Vector } from '../../tasks/shared/contracts.js';
import { InvalidInputError, ResponderError } from '../../tasks/shared/errors.js';
import { SWEEP_REASONS, type SweepReason } from '../../tasks/sweep/decide.js';
import { newSweepId, type SweepOptions, type SweepReport, sweepAccount } from '../../tasks/sweep/sweep.js';
import { asFunction } from '../call-ledger.js';
import { defaultConfig, defaultWorld, parseWorld } from '../defaults.js';
import { LocalEnvironment } from '../environment.js';
import { parseJson, readInput } from '../input.js';
import type { ExecutionStatus } from '../runner.js';

/** An execution the sweep started, as it ended. */
export interface SweptExecution {
  readonly bucket: string;
  readonly reasons: SweepReason[];
  readonly executionArn: string;
  readonly status: ExecutionStatus | 'UNKNOWN';
  /** The states entered, in order. */
  readonly path: string[];
  /** The bucket's latest incident after the execution, if any. */
  readonly incident: {
    readonly incidentId: string;
    readonly status: string;
    readonly response: string;
  } | null;
}

/** What `sweep --json` prints. */
export interface SweepRun {
  readonly sweep: SweepReport;
  readonly executions: SweptExecution[];
}

/**
 * The sweep found buckets it could not check, or an execution it started did not succeed (the
 * CLI exits 1). Thrown after the output is printed: it is part of what the sweep shows.
 */
export class SweepIncompleteError extends ResponderError {
  override name = 'SweepIncompleteError';
  constructor(run: SweepRun) {
    const lines = [
      ...run.sweep.failed.map((f) => `  ${f.bucket}: could not be checked or started (${f.error})`),
      ...run.executions
        .filter((e) => e.status !== 'SUCCEEDED')
        .map((e) => `  ${e.bucket}: execution ${e.executionArn} ${e.status}`),
    ];
    super(`the sweep is incomplete:\n${lines.join('\n')}`);
  }
}

/**
 * Sweeps the account of an open environment, then waits for every execution it started (and
 * those they start) to end.
 */
export async function sweepEnvironment(
  environment: LocalEnvironment,
  options: Partial<SweepOptions> = {},
): Promise<SweepRun> {
  const deps = { ...environment.deps, stateMachineArn: environment.runner.stateMachineArn };
  const sweep = await asFunction('Sweep', () =>
    sweepAccount(deps, { sweepId: newSweepId(deps.clock.now()), ...options }),
  );
  await environment.runner.idle();
  const executions: SweptExecution[] = [];
  for (const started of sweep.started) {
    const record = environment.runner.executions.find((e) => e.executionId === started.executionArn);
    const incident = await environment.store.getLatestIncident({
      accountId: sweep.accountId,
      bucket: started.bucket,
    });
    executions.push({
      bucket: started.bucket,
      reasons: started.reasons,
      executionArn: started.executionArn,
      // An execution an earlier run of the same sweep started ran in another process.
      status: record?.status ?? 'UNKNOWN',
      path: record?.path ?? [],
      incident: incident
        ? { incidentId: incident.incidentId, status: incident.status, response: incident.response }
        : null,
    });
  }
  return { sweep, executions };
}

export interface SweepCommandOptions {
  readonly state: string;
  /** The account when the state folder is empty; ignored when it holds one. */
  readonly world?: string;
  readonly config?: string;
  readonly concurrency?: number;
  readonly maxBuckets?: number;
  readonly json?: boolean;
}

/**
 * `sweep`: prints the run (JSON with `json`) and the state folder.
 *
 * @throws InvalidInputError before anything runs: no state folder and no world, or a bad file.
 * @throws SweepIncompleteError after printing, when a bucket could not be checked or started, or an
 * execution did not succeed.
 */
export async function runSweepCommand(
  options: SweepCommandOptions,
  write: (text: string) => void,
): Promise<SweepRun> {
  const resuming = LocalEnvironment.holdsState(options.state);
  if (!resuming && !options.world) {
    throw new InvalidInputError(
      `${options.state} holds no state folder: give --world FILE to start one there, or run simulate or demo with --state first`,
    );
  }
  // When resuming, the state folder's account wins and the world file is not read.
  const world =
    options.world && !resuming ? parseWorld(await readInput(options.world), options.world) : defaultWorld();
  const config = options.config
    ? parseConfig(parseJson(await readInput(options.config), options.config))
    : defaultConfig();
  const environment = await LocalEnvironment.open({ stateDir: options.state, world, config });
  const run = await sweepEnvironment(environment, {
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.maxBuckets === undefined ? {} : { maxBuckets: options.maxBuckets }),
  }).finally(() => environment.close());
  write(options.json ? `${JSON.stringify(run, null, 2)}\n` : describeSweep(run));
  process.stderr.write(`state folder: ${options.state}\n`);
  if (run.sweep.failed.length > 0 || run.executions.some((e) => e.status !== 'SUCCEEDED')) {
    throw new SweepIncompleteError(run);
  }
  return run;
}

function describeVector(v: Vector): string {
  return `${v.source} ${v.access} by ${v.principal}${v.key === null ? '' : ` (object ${v.key})`}`;
}

function section(title: string, lines: readonly string[]): string {
  return `  ${title}: ${lines.length === 0 ? 'none' : lines.length}\n${lines.map((l) => `    ${l}\n`).join('')}`;
}

/** The sweep as a person reads it. */
export function describeSweep({ sweep, executions }: SweepRun): string {
  const extent = sweep.truncated
    ? `TRUNCATED: ${sweep.bucketsChecked} of the buckets checked, the rest wait for the next sweep`
    : 'every bucket checked';
  const started = executions.map((e) => {
    const why = e.reasons.map((r) => `${r} (${SWEEP_REASONS[r]})`).join('; ');
    const incident = e.incident
      ? `, incident ${e.incident.incidentId} ${e.incident.status} ${e.incident.response}`
      : '';
    return `${e.bucket}: ${why}\n      -> ${e.status}${incident}`;
  });
  return [
    `Sweep ${sweep.sweepId} of account ${sweep.accountId}: ${sweep.bucketsChecked} bucket(s) checked of ${sweep.bucketsListed} listed (${sweep.pages} ListBuckets page(s)); ${extent}\n`,
    `  public: ${sweep.public.length}; not fully assessed: ${sweep.notFullyAssessed.length}\n`,
    section('executions started', started),
    section(
      'leases reclaimed',
      sweep.reclaimed.map(
        (r) =>
          `${r.bucket}: held by ${r.holder}, which ended or let its lease run out (${r.pending} event(s) waiting)`,
      ),
    ),
    section(
      'left to a running execution',
      sweep.inProgress.map((p) => `${p.bucket}: ${p.holder}`),
    ),
    section(
      'latent exposures (masked by Block Public Access or Object Ownership; nothing started)',
      sweep.latent.map((l) => `${l.bucket}: ${l.vectors.map(describeVector).join('; ')}`),
    ),
    section('deleted since the listing', sweep.gone),
    section(
      'could not be checked or started',
      sweep.failed.map((f) => `${f.bucket}: ${f.error}`),
    ),
  ].join('');
}
