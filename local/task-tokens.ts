/**
 * The local engine has no `.waitForTaskToken` (DESIGN.md section 8): this registry stands in for
 * Step Functions' side of it. The runner gives each waiting invocation a fresh token and waits
 * here; the sandbox's SendTaskSuccess and SendTaskFailure answer it, with Step Functions' errors
 * for a token nobody waits on (TaskDoesNotExist) or whose wait has ended (TaskTimedOut).
 * Tokens stay in memory: never logged, never saved.
 */
import { randomBytes } from 'node:crypto';
import { AwsApiError } from './sandbox/aws-error.js';
import type { TaskCallbacks } from './sandbox/sfn.js';

interface Waiting {
  readonly state: string;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** An error as the engine's Catch sees it: `name` is what ErrorEquals matches. */
function stateError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** A token as opaque as Step Functions' own (they are long; ours are 64 random bytes). */
export function newTaskToken(): string {
  return randomBytes(64).toString('base64url');
}

/** A task that started waiting: its token, its state, and the Payload its function got. */
export type WaitListener = (wait: { token: string; state: string; payload: unknown }) => void;

export class TaskTokenRegistry implements TaskCallbacks {
  readonly #waiting = new Map<string, Waiting>();
  readonly #ended = new Set<string>();
  readonly #listeners: WaitListener[] = [];

  /** Waits until the token is answered; resolves with the parsed SendTaskSuccess output. */
  wait(token: string, state: string): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.#waiting.set(token, { state, resolve, reject });
    });
  }

  /** Tells the listeners that a task waits on `token`, its function having run (its messages sent). */
  announce(token: string, state: string, payload: unknown): void {
    if (!this.#waiting.has(token)) return;
    for (const listener of this.#listeners) listener({ token, state, payload });
  }

  /** Calls `listener` each time a task starts waiting (simulate's decider, the manual prompt). */
  onWait(listener: WaitListener): void {
    this.#listeners.push(listener);
  }

  /** The tokens waited on now, with their states. */
  waiting(): { token: string; state: string }[] {
    return [...this.#waiting].map(([token, w]) => ({ token, state: w.state }));
  }

  succeed(token: string, output: string): void {
    this.#take(token).resolve(JSON.parse(output));
  }

  fail(token: string, error: string, cause: string): void {
    this.#take(token).reject(stateError(error || 'States.TaskFailed', cause));
  }

  /**
   * Ends the wait as Step Functions does when the task's TimeoutSeconds pass: the task fails
   * with States.Timeout, and a later answer gets TaskTimedOut.
   */
  expire(token: string): void {
    const waiting = this.#waiting.get(token);
    if (!waiting) return;
    this.#waiting.delete(token);
    this.#ended.add(token);
    waiting.reject(stateError('States.Timeout', 'the task timed out waiting for its token (local expiry)'));
  }

  /** Forgets a token whose task ended some other way (the engine's own timeout, an abort). */
  end(token: string): void {
    if (this.#waiting.delete(token)) this.#ended.add(token);
  }

  #take(token: string): Waiting {
    const waiting = this.#waiting.get(token);
    if (waiting) {
      this.#waiting.delete(token);
      this.#ended.add(token);
      return waiting;
    }
    if (this.#ended.has(token))
      throw new AwsApiError('TaskTimedOut', 'Task Timed Out: the task is no longer waiting');
    throw new AwsApiError('TaskDoesNotExist', 'Task Does Not Exist');
  }
}
