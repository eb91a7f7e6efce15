/**
 * `simulate`: CloudTrail events through the real workflow on the sandbox account. Each
 * successful event's change is applied first, as the real call did, then the event is delivered;
 * executions overlap as EventBridge would start them, unless `serial`.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import type { Clock } from '../tasks/shared/clock.js';
import type { Incident, ResponderConfig, ResponseMode } from '../tasks/shared/contracts.js';
import { type Decision, decideApprovals } from './approval/decider.js';
import { LocalEnvironment } from './environment.js';
import { checkEvents } from './input.js';
import type { ExecutionRecord, ExecutionStatus, RunnerHarness, TaskHandlers } from './runner.js';
import { applyEventToWorld } from './sandbox/apply-event.js';
import type { OutboxEntry } from './sandbox/operations.js';
import type { World, WorldInput } from './sandbox/world.js';

export interface SimulateOptions {
  readonly world: WorldInput;
  readonly events: readonly unknown[];
  readonly config: ResponderConfig;
  /** Overrides every mode of the configuration for this run. */
  readonly mode?: ResponseMode;
  /** Continue from this state folder; a new temporary one when absent. */
  readonly stateDir?: string;
  readonly serial?: boolean;
  /** Where email goes as .eml files; default: the state folder's outbox/. */
  readonly outboxDir?: string;
  readonly clock?: Clock;
  readonly handlers?: Partial<TaskHandlers>;
  /** Retries after a write, short task timeouts (see the runner's harness). */
  readonly harness?: RunnerHarness;
  /** Who answers approval requests (mode approve): default `expire`, so a run never waits a day. */
  readonly decision?: Decision;
  /** The reason the automatic approver gives on the page. */
  readonly reason?: string;
  /** Where a word for the person running it goes (the manual decision's prompt): stderr in the CLI. */
  readonly say?: (line: string) => void;
  /**
   * Leave the environment open for the caller to read the store (then the caller closes it).
   * By default the run saves and closes it, letting the state folder go for the next command.
   */
  readonly keepOpen?: boolean;
}

/** One execution per event, in file order: the `simulate --json` contract. */
export interface SimulatedExecution {
  readonly path: string[];
  readonly status: ExecutionStatus;
  readonly incident: Incident | null;
  readonly finding: AwsSecurityFinding | null;
}

export interface SimulationResult {
  readonly executions: SimulatedExecution[];
  readonly world: World;
  readonly outbox: OutboxEntry[];
}

/** What `simulate` ran, with the details the human-readable output and tests need. */
export interface SimulationRun {
  readonly result: SimulationResult;
  readonly stateDir: string;
  readonly records: ExecutionRecord[];
  readonly applied: string[];
  /** Closed unless the run was asked to keep it open. */
  readonly environment: LocalEnvironment;
  /** Every incident in the store after the run, oldest first. */
  readonly incidents: Incident[];
}

export function withMode(config: ResponderConfig, mode: ResponseMode | undefined): ResponderConfig {
  return mode ? { ...config, modes: { default: mode, bySeverity: {}, byBucket: {} } } : config;
}

function eventIdOf(event: unknown): string | null {
  const detail = (event as { detail?: { eventID?: unknown } } | null)?.detail;
  return typeof detail?.eventID === 'string' ? detail.eventID : null;
}

function incidentOf(
  incidents: readonly Incident[],
  event: unknown,
  record: ExecutionRecord,
): Incident | null {
  const eventID = eventIdOf(event);
  const byEvent = eventID
    ? incidents.find((i) =>
        i.events.some((e) => e.eventID === eventID || e.eventID.startsWith(`${eventID}/`)),
      )
    : undefined;
  if (byEvent) return byEvent;
  const output = record.output as { assessment?: { incidentId?: unknown } } | null;
  const id = output?.assessment?.incidentId;
  return incidents.find((i) => i.incidentId === id) ?? null;
}

/**
 * Runs the events through the workflow on the sandbox (see the module comment).
 *
 * @throws InvalidInputError before anything is opened when an event cannot be run: not a JSON
 * object, or nested too deeply for the engine ({@link checkEvents}).
 */
export async function simulate(options: SimulateOptions): Promise<SimulationRun> {
  checkEvents(options.events, 'events');
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 's3-exposure-')));
  const environment = await LocalEnvironment.open({
    stateDir,
    world: options.world,
    config: withMode(options.config, options.mode),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.handlers ? { handlers: options.handlers } : {}),
    ...(options.harness ? { harness: options.harness } : {}),
    ...(options.outboxDir ? { outboxDir: options.outboxDir } : {}),
  });
  // A run that asks for approval waits for an answer; without one it would wait a day.
  decideApprovals(environment, options.decision ?? 'expire', {
    ...(options.say ? { say: options.say } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
  });
  const started: Promise<ExecutionRecord>[] = [];
  const applied: string[] = [];
  for (const event of options.events) {
    applied.push(applyEventToWorld(environment.sandbox, event).summary);
    const execution = environment.runner.start(event);
    started.push(execution);
    if (options.serial) await execution;
  }
  const records = await Promise.all(started);
  await environment.runner.idle();
  await environment.save();

  const incidents = await environment.store.listIncidents();
  if (!options.keepOpen) await environment.close();
  const world = environment.sandbox.toJSON();
  const executions = records.map((record, index) => {
    const incident = incidentOf(incidents, options.events[index], record);
    const finding = incident?.findingId
      ? (world.securityHubFindings.find((f) => f.Id === incident.findingId) ?? null)
      : null;
    return {
      path: record.path,
      status: record.status,
      incident,
      finding: finding as AwsSecurityFinding | null,
    };
  });
  return {
    result: { executions, world, outbox: [...environment.sandbox.outbox] },
    stateDir,
    records,
    applied,
    environment,
    incidents,
  };
}
