/**
 * A Task state's code: the input it accepts (a zod schema: the state machine is an edge, so the
 * input is parsed, never trusted), and a typed function from that input to its output. The same
 * Task runs as a Lambda function in AWS (`lambda.ts`) and behind the local runner.
 */
import type { z } from 'zod';
import { classifyAwsError, isRetryableAwsError } from './aws-errors.js';
import { AwsTransientError, ResponderError } from './errors.js';
import { TaskRunRecordError } from './store/task-runs.js';
import type { TaskDeps } from './task-deps.js';
import { parseOrThrow } from './validation.js';

/** The typed work of a task: its parsed input and the dependencies, to its output. */
export type TaskHandler<In = unknown, Out = unknown> = (input: In, deps: TaskDeps) => Promise<Out>;

/**
 * A task as the state machine calls it: any payload in (parsed against `input`, or an
 * InvalidInputError naming the state and the field), its typed output back.
 */
export interface Task<In, Out> {
  (payload: unknown, deps: TaskDeps): Promise<Out>;
  /** The Task state in the ASL that runs this code. */
  readonly state: string;
  readonly input: z.ZodType<In, unknown>;
  readonly run: TaskHandler<In, Out>;
}

/**
 * An AWS error that is still throttled or failing after the SDK's own retries leaves the task
 * as AwsTransientError, the one name the ASL retries for AWS: whatever service's code it had.
 * Every other error leaves unchanged, for the state machine's Catch to route.
 */
export function asTaskError(error: unknown): unknown {
  if (error instanceof ResponderError || !isRetryableAwsError(error)) return error;
  return AwsTransientError.from(error, classifyAwsError(error));
}

/**
 * Defines the task behind the ASL's Task state `state`. With `deps.taskRuns` (always in AWS and
 * locally), a repeat of the same input (a Step Functions retry after the first attempt wrote)
 * gets the first attempt's answer: the work runs once per input.
 */
export function defineTask<In, Out>(
  state: string,
  input: z.ZodType<In, unknown>,
  run: TaskHandler<In, Out>,
  /**
   * `evenWithoutRecord`: a task that must run even when the store cannot record its runs (the
   * last resort): it then runs unrecorded, and a retry may repeat it.
   */
  options: { readonly evenWithoutRecord?: boolean } = {},
): Task<In, Out> {
  const task = async (payload: unknown, deps: TaskDeps): Promise<Out> => {
    const parsed = parseOrThrow(input, payload, `${state} input`);
    const work = () => run(parsed, deps);
    const once = deps.taskRuns;
    try {
      if (!once) return await work();
      try {
        return await once.once(state, payload, work);
      } catch (error) {
        if (options.evenWithoutRecord && error instanceof TaskRunRecordError) return await work();
        throw error;
      }
    } catch (error) {
      throw asTaskError(error);
    }
  };
  return Object.assign(task, { state, input, run });
}
