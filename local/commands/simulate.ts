import { parseConfig } from '../../tasks/shared/config.js';
import type { ResponseMode } from '../../tasks/shared/contracts.js';
import { InvalidInputError } from '../../tasks/shared/errors.js';
import { defaultConfig, parseWorld } from '../defaults.js';
import { LocalEnvironment } from '../environment.js';
import { parseJson, readInput } from '../input.js';
import { type SimulationRun, simulate } from '../simulate.js';
import { describeIncident, describeRun } from '../story.js';

export interface SimulateCommandOptions {
  readonly world?: string;
  readonly event: string;
  readonly config?: string;
  readonly mode?: ResponseMode;
  readonly state?: string;
  readonly serial?: boolean;
  readonly outbox?: string;
  readonly json?: boolean;
}

/** Reads an event file: one EventBridge event, or an array of them. */
export async function readEvents(file: string): Promise<unknown[]> {
  const value = parseJson(await readInput(file), file);
  const events = Array.isArray(value) ? value : [value];
  if (events.length === 0) throw new InvalidInputError(`${file} holds no event`);
  return events;
}

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
  });
  if (options.json) {
    write(`${JSON.stringify(run.result, null, 2)}\n`);
  } else {
    write(describeRun(run, events));
    const { incidents } = run;
    if (incidents.length > 0)
      write(`\nIncidents in the state folder:\n${incidents.map(describeIncident).join('\n')}\n`);
  }
  process.stderr.write(`state folder: ${run.stateDir}\n`);
  return run;
}
