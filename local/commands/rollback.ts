import { userInfo } from 'node:os';
import { InvalidInputError } from '../../tasks/shared/errors.js';
import { defaultConfig, defaultWorld } from '../defaults.js';
import { LocalEnvironment } from '../environment.js';
import { rollbackIncident } from '../rollback/rollback.js';

export interface RollbackCommandOptions {
  readonly incident: string;
  readonly state: string;
  readonly by?: string;
  readonly exceptionDays?: number;
  /** Undo the fix even when the bucket changed since; the changes are kept. */
  readonly force?: boolean;
  readonly json?: boolean;
}

/**
 * `rollback --incident ID [--force]`: undoes exactly what the remediation changed, in the state
 * folder's sandbox account. Exit 1 when S3 refused part of it (the refusals are listed); a bucket
 * changed since the fix is refused without `--force` by a ChangedSinceFixError naming the changes.
 */
export async function runRollbackCommand(
  options: RollbackCommandOptions,
  write: (text: string) => void,
): Promise<number> {
  if (!LocalEnvironment.holdsState(options.state)) {
    throw new InvalidInputError(
      `${options.state} holds no state folder (run simulate or demo with --state first)`,
    );
  }
  const config = defaultConfig();
  const environment = await LocalEnvironment.open({ stateDir: options.state, world: defaultWorld(), config });
  const result = await rollbackIncident(environment.deps, {
    incidentId: options.incident,
    by: options.by ?? userInfo().username,
    exceptionDays: options.exceptionDays ?? config.exceptions.rollbackDays,
    force: options.force ?? false,
  }).finally(() => environment.close());
  if (options.json) {
    write(`${JSON.stringify(result.incident.remediation?.rollback ?? null, null, 2)}\n`);
  } else {
    const rollback = result.incident.remediation?.rollback;
    write(`Rolled back incident ${result.incident.incidentId} on ${result.incident.bucket}\n`);
    for (const step of result.undone) write(`  undone:   ${step}\n`);
    for (const l of result.restore.leftAlone)
      write(`  already undone: ${l.part}${l.key ? ` "${l.key}"` : ''}: ${l.why}\n`);
    for (const change of result.kept) write(`  kept (changed since the fix): ${change}\n`);
    for (const r of result.restore.refused)
      write(`  REFUSED:  ${r.part}${r.key ? ` "${r.key}"` : ''}: ${r.why}\n`);
    write(
      `  compared with the backup: ${result.comparison.sameMeaning ? 'same meaning' : result.comparison.differences.join('; ')}`,
    );
    write(`${result.comparison.policyBytesEqual ? ', policy text identical to the byte' : ''}\n`);
    if (result.exception)
      write(
        `  exception ${result.exception.id} covers the restored exposure until ${result.exception.expiry}\n`,
      );
    write(`  ${result.findingNote}\n  recorded as rolled back by ${rollback?.by} at ${rollback?.at}\n`);
  }
  return result.restore.refused.length > 0 ? 1 : 0;
}
