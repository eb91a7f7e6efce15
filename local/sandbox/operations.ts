/**
 * What an operation of the sandbox sees and returns. Each service module exports a table of
 * operations keyed by the SDK command name without "Command"; the account dispatches to it.
 */
import type { World } from './world.js';

/** A message the sandbox "sent": one `.eml` file (email) or JSON file (chat) in the outbox. */
export interface OutboxEntry {
  readonly channel: 'email' | 'chat';
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** The file written, or null when the sandbox has no outbox folder. */
  readonly file: string | null;
}

/** A StartExecution call as the workflow runner receives it. */
export interface StartExecutionRequest {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly executionArn: string;
  /** The execution input as JSON text, "{}" when the call gave none. */
  readonly input: string;
  readonly startDate: Date;
}

/**
 * Starts a workflow execution for StartExecution. It should return once the execution has
 * started, not when it ends: Step Functions answers StartExecution at once.
 */
export type StartExecutionHandler = (request: StartExecutionRequest) => void | Promise<void>;

/** The account state and services an operation may use. */
export interface OperationContext {
  /** The live world; operations change it in place. */
  readonly world: World;
  readonly now: Date;
  /** The Region of the client that sent the call. */
  readonly region: string;
  readonly outboxDir: string | null;
  readonly outbox: OutboxEntry[];
  readonly startExecution: StartExecutionHandler | null;
  readonly executions: StartExecutionRequest[];
  /** A new unique ID (request IDs, message IDs, execution names). */
  newId(): string;
}

/** One modelled API operation: the command's input in, the command's output (without $metadata) out. */
export type Operation = (input: unknown, ctx: OperationContext) => object | Promise<object>;

/** The operations of one service, by SDK command name without "Command". */
export type OperationTable = Readonly<Record<string, Operation>>;

/** An SDK command output without the `$metadata` the middleware adds. */
export type Answer<T> = Omit<T, '$metadata'>;

/**
 * Binds an operation written against the SDK's own input type. The input reaches the sandbox
 * as the `input` of a typed SDK Command (the middleware reads `args.input`), so the command's
 * type already checked it; this is the one place that says so.
 */
export function operation<I, O extends object>(
  fn: (input: I, ctx: OperationContext) => O | Promise<O>,
): Operation {
  return (input, ctx) => fn(input as I, ctx);
}
