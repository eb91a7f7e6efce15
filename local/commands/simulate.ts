import { redactApprovalSecrets } from '../../tasks/shared/approval/redact.js';
import { parseConfig } from '../../tasks/shared/config.js';
import type { ResponseMode } from '../../tasks/shared/contracts.js';
import { InvalidInputError, ResponderError } from '../../tasks/shared/errors.js';
import { summarizeCause } from '../../tasks/shared/findings/finding.js';
import type { Decision } from '../approval/decider.js';
import { defaultConfig, parseWorld } from '../defaults.js';
import { LocalEnvironment } from '../environment.js';
import { checkEvents, parseJson, readInput } from '../input.js';
import type { ExecutionRecord } from '../runner.js';
import { type SimulationRun, simulate } from '../simulate.js';
import { describeIncident, describeRun } from '../story.js';

/**
 * Executions of a `simulate` run did not succeed (the CLI exits 1). Thrown after the output is
 * printed: a failure is part of what the run shows, and a script must not take it for success.
 */
export class ExecutionsFailedError extends ResponderError {
  override name = 'ExecutionsFailedError';
  constructor(readonly failed: readonly ExecutionRecord[]) {
    const lines = failed.map((execution) => `  ${describeFailure(execution)}`);
    super(
      `${failed.length} execution${failed.length === 1 ? '' : 's'} did not succeed:\n${lines.join('\n')}`,
    );
  }
}

/**
 * One line on an execution that did not succeed: the last state that failed, and its error. The
 * workflow ends a failed response in a Fail state whose own error only says that it failed.
 */
function describeFailure(execution: ExecutionRecord): string {
  const step = execution.steps.findLast((s) => s.error !== undefined && s.type !== 'Fail');
  const error = step?.error ?? execution.error;
  const why = error ? `${error.Error} (${summarizeCause(error.Cause, 200)})` : 'no error recorded';
  return `${execution.name} ${execution.status}${step ? ` in ${step.name}` : ''}: ${why}`;
}

export interface SimulateCommandOptions {
  readonly world?: string;
  readonly event: string;
  readonly config?: string;
  readonly mode?: ResponseMode;
  readonly state?: string;
  readonly serial?: boolean;
  readonly outbox?: string;
  readonly json?: boolean;
  readonly decision?: Decision;
}

/**
 * Reads an event file: one EventBridge event, or an array of them. Every event is checked
 * before any runs ({@link checkEvents}).
 *
 * @throws InvalidInputError naming the file, and each event that cannot run by its index.
 */
export async function readEvents(file: string): Promise<unknown[]> {
  const source = file === '-' ? 'standard input' : file;
  const value = parseJson(await readInput(file), source);
  const events = Array.isArray(value) ? value : [value];
  if (events.length === 0) throw new InvalidInputError(`${source} holds no event`);
  checkEvents(events, source);
  return events;
}

/**
 * `simulate`: prints the run (JSON with `json`) and the state folder.
 *
 * @throws InvalidInputError before anything runs, for bad files or events.
 * @throws ExecutionsFailedError after printing, when an execution (one per event, or one a
 * fan-out started) ended in anything but SUCCEEDED.
 */
export async function runSimulateCommand(
  options: SimulateCommandOptions,
  write: (text: string) => void,
): Promise<SimulationRun> {
  const resuming = options.state !== undefined && LocalEnvironment.holdsState(options.state);
  if (!options.world && !resuming) {
    throw new InvalidInputError('simulate needs --world FILE (or --state DIR holding an earlier run)');
  }
  const world = options.world ? parseWorld(await readInput(options.world), options.world) : undefined;
  const config = options.config
    ? parseConfig(parseJson(await readInput(options.config), options.config))
    : defaultConfig();
  const events = await readEvents(options.event);
  const run = await simulate({
    // When resuming, the state folder's account wins and the world file is not read again.
    world: world ?? { accountId: '000000000000', region: 'us-east-1' },
    events,
    config,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.state ? { stateDir: options.state } : {}),
    serial: options.serial ?? false,
    ...(options.outbox ? { outboxDir: options.outbox } : {}),
    ...(options.decision ? { decision: options.decision } : {}),
    say: (line) => process.stderr.write(`${line}\n`),
  });
  // Signed links appear with their signature redacted: the .eml files hold the real ones.
  const show = (text: string) => write(redactApprovalSecrets(text));
  if (options.json) {
    show(`${JSON.stringify(run.result, null, 2)}\n`);
  } else {
    show(describeRun(run, events));
    const { incidents } = run;
    if (incidents.length > 0)
      show(`\nIncidents in the state folder:\n${incidents.map(describeIncident).join('\n')}\n`);
  }
  process.stderr.write(`state folder: ${run.stateDir}\n`);
  const failed = run.environment.runner.executions.filter((e) => e.status !== 'SUCCEEDED');
  if (failed.length > 0) throw new ExecutionsFailedError(failed);
  return run;
}
