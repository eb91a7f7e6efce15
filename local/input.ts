import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { InvalidInputError } from '../tasks/shared/errors.js';

/** Reads a file, or standard input for "-". */
export async function readInput(file: string): Promise<string> {
  if (file === '-') return text(process.stdin);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** Parses JSON text, naming the input when it is not JSON. */
export function parseJson(textValue: string, what: string): unknown {
  try {
    return JSON.parse(textValue);
  } catch (error) {
    throw new InvalidInputError(`${what} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * How deeply an event may nest. An EventBridge event from CloudTrail is about ten levels deep (a
 * policy's condition values inside `requestParameters`). aws-local-stepfunctions copies its
 * input recursively, outside its error handling: an input a few thousand levels deep makes a run
 * hang, or the process exit with the run's records lost (DESIGN.md section 8).
 */
export const MAX_EVENT_DEPTH = 100;

/** How many levels of objects and arrays `value` nests (a scalar is 0), counted to `limit + 1` at most. */
export function nestingDepth(value: unknown, limit: number): number {
  // Iterative, so that measuring a hostile input cannot overflow the stack either.
  let deepest = 0;
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth });
  }
  return deepest;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Why one event cannot be run, or null when it can. */
function eventProblem(event: unknown): string | null {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return `is ${kindOf(event)}, not a JSON object`;
  }
  return nestingDepth(event, MAX_EVENT_DEPTH) > MAX_EVENT_DEPTH
    ? `nests deeper than ${MAX_EVENT_DEPTH} levels`
    : null;
}

/**
 * Checks every event before any of them runs: each must be a JSON object nested at most
 * {@link MAX_EVENT_DEPTH} levels deep. Refusing the whole file keeps a run all or nothing.
 *
 * @throws InvalidInputError naming `source` and each bad event by its index in the file.
 */
export function checkEvents(events: readonly unknown[], source: string): void {
  const issues = events.flatMap((event, index) => {
    const problem = eventProblem(event);
    return problem === null ? [] : [`event ${index} ${problem}`];
  });
  if (issues.length > 0) throw new InvalidInputError(`${source}: ${issues.join('; ')}`, issues);
}
