/**
 * What the stack reads from the workflow's ASL file: its `${…}` placeholders, the Task states that
 * call a function (and each state's TimeoutSeconds, which its function's timeout follows), and
 * the definition with the approval wait's TimeoutSeconds set from the configuration. Pure: the
 * file is read by the caller.
 */
import { readFileSync } from 'node:fs';
import { ASL_FILE } from './paths.js';

/** A state as far as the stack reads it; everything else passes through untouched. */
interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: Readonly<Record<string, unknown>>;
  readonly TimeoutSeconds?: number;
  readonly Branches?: readonly AslStates[];
  readonly ItemProcessor?: AslStates;
  readonly Iterator?: AslStates;
  readonly [key: string]: unknown;
}

interface AslStates {
  readonly States: Readonly<Record<string, AslState>>;
  readonly [key: string]: unknown;
}

/** A state machine definition, as parsed from the ASL file. */
export type AslDefinition = AslStates;

/**
 * How much longer the approval wait lasts than the approval itself: Step Functions' timer starts
 * before the request's deadline is set, and a click just before the deadline must still land.
 * The local runner uses the same margin (`local/runner.ts`, APPROVAL_TIMEOUT_MARGIN_SECONDS).
 */
export const APPROVAL_TIMEOUT_MARGIN_SECONDS = 300;

const PLACEHOLDER = /\$\{(\w+)\}/g;

/** The definition file's text and its parsed form. */
export function readDefinition(file: string = ASL_FILE): { text: string; definition: AslDefinition } {
  const text = readFileSync(file, 'utf8');
  return { text, definition: JSON.parse(text) as AslDefinition };
}

/** Every `${Name}` placeholder in an ASL text, each once, sorted. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ''))].sort();
}

/** A Task state that invokes one of our functions through a `${…FunctionArn}` placeholder. */
export interface FunctionTaskState {
  /** The state's name, e.g. `NormalizeEvent`. */
  readonly state: string;
  /** The placeholder its FunctionName holds, e.g. `NormalizeEventFunctionArn`. */
  readonly placeholder: string;
  /** The state's TimeoutSeconds (the ASL linter requires one on every Task). */
  readonly timeoutSeconds: number;
  /** A `.waitForTaskToken` task: its TimeoutSeconds is the wait, not the invocation. */
  readonly waitsForToken: boolean;
}

function* allStates(states: AslStates): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(states.States)) {
    yield [name, state];
    for (const branch of state.Branches ?? []) yield* allStates(branch);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) yield* allStates(inner);
  }
}

/**
 * Every Task state whose FunctionName is a `${…FunctionArn}` placeholder, in the file's order.
 *
 * @throws Error when such a state has no TimeoutSeconds (its function's timeout follows it).
 */
export function functionTaskStates(definition: AslDefinition): FunctionTaskState[] {
  const found: FunctionTaskState[] = [];
  for (const [state, body] of allStates(definition)) {
    const name = body.Parameters?.FunctionName;
    if (body.Type !== 'Task' || typeof name !== 'string') continue;
    const placeholder = /^\$\{(\w+FunctionArn)\}$/.exec(name)?.[1];
    if (!placeholder) continue;
    if (typeof body.TimeoutSeconds !== 'number') {
      throw new Error(`ASL Task state ${state} has no TimeoutSeconds`);
    }
    found.push({
      state,
      placeholder,
      timeoutSeconds: body.TimeoutSeconds,
      waitsForToken: String(body.Resource).endsWith('.waitForTaskToken'),
    });
  }
  return found;
}

/**
 * The definition with TimeoutSeconds of every `.waitForTaskToken` Task (the approval request)
 * set to `seconds`. Step Functions would read `TimeoutSecondsPath` against the state input, the
 * local engine after `Parameters` (DESIGN.md section 8), so the wait is a deployment setting.
 *
 * @throws Error when the definition has no such task: the approval wait would silently keep the
 *   file's default.
 */
export function withApprovalTimeout(definition: AslDefinition, seconds: number): AslDefinition {
  let changed = 0;
  const rewrite = (states: AslStates): AslStates => ({
    ...states,
    States: Object.fromEntries(
      Object.entries(states.States).map(([name, state]) => {
        let next: AslState = state;
        if (state.Type === 'Task' && String(state.Resource).endsWith('.waitForTaskToken')) {
          changed++;
          next = { ...next, TimeoutSeconds: seconds };
        }
        if (state.Branches) next = { ...next, Branches: state.Branches.map(rewrite) };
        if (state.ItemProcessor) next = { ...next, ItemProcessor: rewrite(state.ItemProcessor) };
        if (state.Iterator) next = { ...next, Iterator: rewrite(state.Iterator) };
        return [name, next];
      }),
    ),
  });
  const result = rewrite(definition);
  if (changed === 0)
    throw new Error('the definition has no .waitForTaskToken task to set the approval wait on');
  return result;
}

/** `NormalizeEvent` -> `normalize-event`: the task's folder under `tasks/`. */
export function kebabCase(state: string): string {
  return state.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
