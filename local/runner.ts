/**
 * Runs the real ASL file on aws-local-stepfunctions, with each Task mapped to its real handler.
 * It behaves as `lambda:invoke` does in AWS: the task gets only `Payload`, and its result comes
 * back wrapped as `{ Payload, … }`, so the ASL's `OutputPath: $.Payload` works unchanged.
 */
import './polyfills.js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { TaskRuns } from '../tasks/shared/store/task-runs.js';
import type { TaskDeps } from '../tasks/shared/task-deps.js';
import { asFunction } from './call-ledger.js';
import { asStateError, invokeAsLambda } from './lambda-invoke.js';
import { projectPath } from './paths.js';
import { newTaskToken, type TaskTokenRegistry } from './task-tokens.js';

/** The engine's event log entry (its type is not exported by name). */
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export const STATE_MACHINE_NAME = 's3-exposure-response';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One state's entry, as the console shows it. */
export interface StateStep {
  readonly name: string;
  readonly type: string;
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: { readonly Error: string; readonly Cause: unknown };
}

export interface ExecutionRecord {
  readonly executionId: string;
  readonly name: string;
  readonly input: unknown;
  readonly startedAt: string;
  stoppedAt: string | null;
  status: ExecutionStatus;
  /** The names of the states entered, in order (a retried state once per entry). */
  readonly path: string[];
  readonly steps: StateStep[];
  output: unknown;
  error: { Error: string; Cause: unknown } | null;
}

/** What runs a Task state: the payload in, the result out (a task, or a test's stand-in). */
export type StateHandler = (payload: unknown, deps: TaskDeps) => Promise<unknown>;

/** The Task states of the ASL; every one must have a handler. */
export type TaskHandlers = Readonly<Record<string, StateHandler>>;

/** The workflow's ASL file. */
export const ASL_FILE = projectPath('statemachine', 'exposure-response.asl.json');

/** Reads the ASL (the project's, or `file`) and fills the `${…FunctionArn}` substitutions, as the CDK stack does. */
export function loadDefinition(
  region: string,
  accountId: string,
  file: string = ASL_FILE,
): StateMachineDefinition {
  const text = readFileSync(file, 'utf8');
  const substituted = text.replace(/\$\{(\w+)FunctionArn\}/g, (_match, name: string) => {
    const kebab = name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
    return `arn:aws:lambda:${region}:${accountId}:function:s3-exposure-${kebab}`;
  });
  const left = substituted.match(/\$\{\w+\}/);
  if (left) throw new Error(`definition substitution ${left[0]} has no value`);
  // The engine validates the definition when the machine is built.
  return JSON.parse(substituted) as StateMachineDefinition;
}

type StateDefinition = StateMachineDefinition['States'][string];

/** A Task that waits for a task token (`.waitForTaskToken`): the approval request. */
function waitsForToken(state: StateDefinition): boolean {
  return 'Resource' in state && String(state.Resource).endsWith('.waitForTaskToken');
}

/** The definition with the TimeoutSeconds `timeoutOf` gives a state (unchanged where it gives none). */
function withTimeouts(
  definition: StateMachineDefinition,
  timeoutOf: (state: StateDefinition) => number | undefined,
): StateMachineDefinition {
  const states = Object.fromEntries(
    Object.entries(definition.States).map(([name, state]) => {
      const seconds = timeoutOf(state);
      return [name, seconds === undefined ? state : { ...state, TimeoutSeconds: seconds }];
    }),
  );
  return { ...definition, States: states } as StateMachineDefinition;
}

/**
 * How much longer the approval wait lasts than the approval itself: Step Functions' timer starts
 * before the request's deadline is set, and a click just before the deadline must still land.
 */
export const APPROVAL_TIMEOUT_MARGIN_SECONDS = 300;

function taskStateNames(definition: StateMachineDefinition): string[] {
  return Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);
}

export interface RunnerOptions {
  readonly region: string;
  readonly accountId: string;
  readonly handlers: TaskHandlers;
  /** Dependencies for every task; `stateMachineArn` and `taskRuns` are filled in by the runner. */
  readonly deps: Omit<TaskDeps, 'stateMachineArn' | 'taskRuns'>;
  /** Where task answers are kept, given an invocation's time left (as Lambda's context gives it). */
  readonly taskRuns?: (remainingTimeMs: () => number) => TaskRuns;
  /** Retry pauses, shortened for local runs (AWS waits seconds). */
  readonly retryIntervalMs?: number;
  /** Ways to make the run harder than a calm day in AWS (tests and the fault matrix). */
  readonly harness?: RunnerHarness;
  /** Where `.waitForTaskToken` tasks wait for their answer (the sandbox's SendTaskSuccess). */
  readonly taskTokens?: TaskTokenRegistry;
  /**
   * Another ASL file than the project's: an earlier version of the definition, as executions
   * started before a deployment keep running on it while the functions' code changes.
   */
  readonly aslFile?: string;
}

/** Ways to make a run harder than a calm day in AWS. */
export interface RunnerHarness {
  /**
   * Fail each Task once AFTER it ran (its writes done, its answer lost), as a Lambda error or
   * timeout that arrives after the function wrote: Step Functions retries it with the same input.
   * `true` for every Task state, or the names of some.
   */
  readonly failOnceAfterRun?: boolean | readonly string[];
  /**
   * Every Task's TimeoutSeconds, instead of the definition's: with latency faults longer than
   * this, a task times out while its invocation goes on, and whatever it writes late lands
   * after the state machine moved on, as it can in AWS. `idle()` waits for those invocations too.
   */
  readonly taskTimeoutSeconds?: number;
}

/** Runs executions of the workflow and keeps their histories. */
export class WorkflowRunner {
  readonly definition: StateMachineDefinition;
  readonly stateMachineArn: string;
  readonly executions: ExecutionRecord[] = [];
  readonly #machine: StateMachine;
  readonly #running = new Set<Promise<ExecutionRecord>>();
  readonly #waitStates: string[];
  /** Each Task's TimeoutSeconds: the time an invocation has, as Lambda's context tells it. */
  readonly #timeouts: Map<string, number>;
  /** Invocations already failed once by `failOnceAfterRun`. */
  readonly #failedOnce = new Set<string>();
  /** Task states that wait for a token (`.waitForTaskToken`). */
  readonly #waitsForToken: Set<string>;
  /** Task invocations still running, including those whose state already timed out. */
  readonly #invocations = new Set<Promise<unknown>>();

  constructor(private readonly options: RunnerOptions) {
    // The approval wait's TimeoutSeconds comes from the configuration, as the stack sets it from
    // its props (the file holds the default; DESIGN.md section 8 says why not TimeoutSecondsPath).
    // The harness may shorten every Task's.
    const approvalSeconds = options.deps.config.timings.approvalTtlSeconds + APPROVAL_TIMEOUT_MARGIN_SECONDS;
    const harnessSeconds = options.harness?.taskTimeoutSeconds;
    this.definition = withTimeouts(
      loadDefinition(options.region, options.accountId, options.aslFile),
      (state) =>
        state.Type === 'Task' && harnessSeconds !== undefined
          ? harnessSeconds
          : waitsForToken(state)
            ? approvalSeconds
            : undefined,
    );
    this.stateMachineArn = `arn:aws:states:${options.region}:${options.accountId}:stateMachine:${STATE_MACHINE_NAME}`;
    for (const name of taskStateNames(this.definition)) {
      if (!options.handlers[name]) throw new Error(`no local handler for Task state ${name}`);
    }
    this.#machine = new StateMachine(this.definition);
    this.#timeouts = new Map(
      Object.entries(this.definition.States).map(([name, state]) => [
        name,
        'TimeoutSeconds' in state && typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : 60,
      ]),
    );
    this.#waitsForToken = new Set(
      Object.entries(this.definition.States)
        .filter(([, state]) => waitsForToken(state))
        .map(([name]) => name),
    );
    this.#waitStates = Object.entries(this.definition.States)
      .filter(([, state]) => state.Type === 'Wait')
      .map(([name]) => name);
  }

  /** Starts an execution without waiting for it; `idle()` waits for every one. */
  start(input: unknown, name: string = randomUUID()): Promise<ExecutionRecord> {
    const running = this.#run(input, name);
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
    return running;
  }

  /**
   * Runs work that is no execution's but belongs to the account, such as SES's feedback about a
   * message (a Lambda of its own in AWS); `idle()` waits for it too.
   */
  background(work: Promise<unknown>): void {
    this.#invocations.add(work);
    void work.finally(() => this.#invocations.delete(work)).catch(() => undefined);
  }

  /** Waits until no execution runs, including those started by other executions (fan-out). */
  async idle(): Promise<void> {
    while (this.#running.size > 0 || this.#invocations.size > 0)
      await Promise.allSettled([...this.#running, ...this.#invocations]);
  }

  async #run(input: unknown, name: string): Promise<ExecutionRecord> {
    const executionId = `arn:aws:states:${this.options.region}:${this.options.accountId}:execution:${STATE_MACHINE_NAME}:${name}`;
    const record: ExecutionRecord = {
      executionId,
      name,
      input,
      startedAt: this.options.deps.clock.now().toISOString(),
      stoppedAt: null,
      status: 'RUNNING',
      path: [],
      steps: [],
      output: null,
      error: null,
    };
    this.executions.push(record);
    const taskResourceLocalHandlers = Object.fromEntries(
      Object.entries(this.options.handlers).map(([state, handler]) => [
        state,
        this.#waitsForToken.has(state)
          ? async (request: unknown) =>
              (await this.#invokeAndWait(executionId, state, handler, request)) as never
          : async (request: unknown) => {
              const payload = (request as { Payload?: unknown } | null)?.Payload;
              const result = await this.#invoke(state, handler, payload);
              this.#maybeFailAfterRun(executionId, state, payload);
              return { Payload: result as never, StatusCode: 200, ExecutedVersion: '$LATEST' };
            },
      ]),
    );
    const retryInterval = this.options.retryIntervalMs ?? 5;
    const execution = this.#machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers,
        retryIntervalOverrides: Object.fromEntries(
          Object.keys(this.options.handlers).map((s) => [s, retryInterval]),
        ),
        // Waits (for S3's eventual consistency) are seconds in AWS and a moment here.
        waitTimeOverrides: Object.fromEntries(this.#waitStates.map((s) => [s, retryInterval])),
      },
      context: {
        Execution: { Id: executionId, Name: name, Input: input as never, StartTime: record.startedAt },
        StateMachine: { Id: this.stateMachineArn, Name: STATE_MACHINE_NAME },
        // The engine takes $$.Task.Token from here; #invokeAndWait gives each attempt its own.
        Task: { Token: 'replaced-per-attempt' },
      },
    });
    const logging = this.#collect(execution.eventLogs, record);
    try {
      record.output = await execution.result;
      record.status = 'SUCCEEDED';
    } catch (error) {
      const e = error as { name?: string; message?: string; cause?: unknown };
      record.status =
        e.name === 'ExecutionAbortedError'
          ? 'ABORTED'
          : e.name === 'ExecutionTimeoutError'
            ? 'TIMED_OUT'
            : 'FAILED';
      record.error ??= { Error: e.name ?? 'Error', Cause: e.message ?? '' };
    }
    await logging;
    record.stoppedAt = this.options.deps.clock.now().toISOString();
    return record;
  }

  /** Invokes a task as Lambda would, keeping track of it until it ends (even after its state timed out). */
  async #invoke(state: string, handler: StateHandler, payload: unknown): Promise<unknown> {
    // Each state is a function of its own in AWS: the call ledger notes its calls under its name.
    const invocation = asFunction(state, () =>
      invokeAsLambda((input) => handler(input, this.#depsFor(state)), payload, state),
    );
    this.#invocations.add(invocation);
    void invocation.finally(() => this.#invocations.delete(invocation));
    const answer = await invocation;
    if (!answer.ok) throw asStateError(answer.error);
    return answer.result;
  }

  /**
   * A `.waitForTaskToken` Task: the function gets the Payload with a fresh token (Step Functions
   * gives every attempt its own), and the state's result is whatever SendTaskSuccess sends.
   */
  async #invokeAndWait(
    executionId: string,
    state: string,
    handler: StateHandler,
    request: unknown,
  ): Promise<unknown> {
    const registry = this.options.taskTokens;
    if (!registry) throw new Error(`${state} waits for a task token, and the runner has no token registry`);
    const payload = (request as { Payload?: Record<string, unknown> } | null)?.Payload ?? {};
    const token = newTaskToken();
    const answered = registry.wait(token, state);
    // The function may answer its own wait before it returns (a retried request that finds its
    // approval superseded fails the new token at once): the rejection is taken below, not lost.
    answered.catch(() => undefined);
    try {
      await this.#invoke(state, handler, { ...payload, taskToken: token });
      // The harness fails it once after it ran; the retry (a new token) must not ask again.
      this.#maybeFailAfterRun(executionId, state, payload.state);
    } catch (error) {
      registry.end(token);
      throw error;
    }
    // After its TimeoutSeconds the engine stops waiting: a later answer gets TaskTimedOut.
    const timer = setTimeout(() => registry.end(token), (this.#timeouts.get(state) ?? 60) * 1000);
    timer.unref();
    registry.announce(token, state, payload);
    try {
      return await answered;
    } finally {
      clearTimeout(timer);
    }
  }

  /** One invocation's dependencies: its time left counts down from the state's TimeoutSeconds. */
  #depsFor(state: string): TaskDeps {
    const deadline = Date.now() + (this.#timeouts.get(state) ?? 60) * 1000;
    const remainingTimeMs = () => Math.max(0, deadline - Date.now());
    const taskRuns = this.options.taskRuns?.(remainingTimeMs);
    return {
      ...this.options.deps,
      stateMachineArn: this.stateMachineArn,
      remainingTimeMs,
      ...(taskRuns ? { taskRuns } : {}),
    };
  }

  #maybeFailAfterRun(executionId: string, state: string, payload: unknown): void {
    const which = this.options.harness?.failOnceAfterRun;
    if (!which || (which !== true && !which.includes(state))) return;
    const key = `${executionId}\n${state}\n${JSON.stringify(payload)}`;
    if (this.#failedOnce.has(key)) return;
    this.#failedOnce.add(key);
    throw asStateError({
      errorType: 'Lambda.ServiceException',
      errorMessage: `injected: ${state} ran, then its answer was lost`,
    });
  }

  async #collect(events: AsyncGenerator<EventLog>, record: ExecutionRecord): Promise<void> {
    for await (const event of events) {
      if (event.type === 'StateEntered' || event.type === 'StateRetried') {
        // A retry enters the state again: the path lists it once per entry, as the console does.
        record.path.push(event.state.name);
        record.steps.push({ name: event.state.name, type: event.state.type, input: event.state.input });
      } else if (event.type === 'StateExited' || event.type === 'StateFailed') {
        const step = record.steps.findLast((s) => s.name === event.state.name);
        if (step) {
          const index = record.steps.lastIndexOf(step);
          record.steps[index] =
            event.type === 'StateExited'
              ? { ...step, output: event.state.output }
              : { ...step, error: { Error: event.Error, Cause: event.Cause } };
        }
      } else if (event.type === 'ExecutionFailed') {
        record.error = { Error: event.Error, Cause: event.Cause };
      }
    }
  }
}
