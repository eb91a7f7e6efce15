/**
 * Step Functions StartExecution: hands the execution to the workflow runner that registered
 * itself with `SandboxAccount.onStartExecution`, and answers as Step Functions does, at once.
 * DescribeExecution: answers from the lookup registered with {@link onDescribeExecution} (the
 * local environment's runner and saved executions), so the sweep can ask whether a lease's
 * holder still runs.
 */
import type {
  DescribeExecutionCommandInput,
  DescribeExecutionCommandOutput,
  ExecutionStatus,
  SendTaskFailureCommandInput,
  SendTaskFailureCommandOutput,
  SendTaskSuccessCommandInput,
  SendTaskSuccessCommandOutput,
  StartExecutionCommandInput,
  StartExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { AwsApiError } from './aws-error.js';
import { type Answer, type OperationTable, operation } from './operations.js';
import type { World } from './world.js';

/** arn:aws:states:<region>:<account>:stateMachine:<name> */
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
/** arn:aws:states:<region>:<account>:execution:<state machine>:<execution name> */
const EXECUTION_ARN =
  /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]{1,80}):([^:]{1,80})$/;
/** Execution names: 1 to 80 characters, without whitespace or the punctuation Step Functions forbids. */
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;

/** What DescribeExecution tells about one execution. */
export interface DescribedExecution {
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  /** Absent while it runs. */
  readonly stopDate?: Date;
}

/** Finds an execution by its ARN; null when there is none. */
export type ExecutionLookup = (
  executionArn: string,
) => DescribedExecution | null | Promise<DescribedExecution | null>;

/**
 * The lookup of each sandbox, by its world (one object for the life of a sandbox). Kept here
 * rather than on the operation context, which has no slot for it: DescribeExecution is the only
 * operation that needs to see the runner's executions.
 */
const lookups = new WeakMap<World, ExecutionLookup>();

/** Registers where DescribeExecution finds the executions of `sandbox` (the local environment does). */
export function onDescribeExecution(sandbox: { readonly world: World }, lookup: ExecutionLookup): void {
  lookups.set(sandbox.world, lookup);
}

const startExecution = operation(
  async (input: StartExecutionCommandInput, ctx): Promise<Answer<StartExecutionCommandOutput>> => {
    const arn = input.stateMachineArn ?? '';
    const match = STATE_MACHINE_ARN.exec(arn);
    if (match === null) throw new AwsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    const [, region, account, machine] = match;
    const name = input.name ?? ctx.newId();
    if (!EXECUTION_NAME.test(name)) throw new AwsApiError('InvalidName', `Invalid Name: '${name}'`);
    if (ctx.startExecution === null || account !== ctx.world.accountId) {
      throw new AwsApiError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${arn}' (no workflow runner is registered with sandbox.onStartExecution)`,
      );
    }
    const executionArn = `arn:aws:states:${region}:${account}:execution:${machine}:${name}`;
    if (ctx.executions.some((execution) => execution.executionArn === executionArn)) {
      throw new AwsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const startDate = ctx.now;
    const request = { stateMachineArn: arn, name, executionArn, input: input.input ?? '{}', startDate };
    ctx.executions.push(request);
    await ctx.startExecution(request);
    return { executionArn, startDate };
  },
);

const describeExecution = operation(
  async (input: DescribeExecutionCommandInput, ctx): Promise<Answer<DescribeExecutionCommandOutput>> => {
    const arn = input.executionArn ?? '';
    const match = EXECUTION_ARN.exec(arn);
    if (match === null) throw new AwsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    const [, region, account, machine, name] = match;
    const lookup = account === ctx.world.accountId ? lookups.get(ctx.world) : undefined;
    const found = lookup ? await lookup(arn) : null;
    if (found === null) throw new AwsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return {
      executionArn: arn,
      stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:${machine}`,
      name,
      status: found.status,
      startDate: found.startDate,
      ...(found.stopDate ? { stopDate: found.stopDate } : {}),
    };
  },
);

/**
 * Answers a task waiting on a token (`.waitForTaskToken`). Throws AwsApiError with Step Functions'
 * codes: TaskDoesNotExist for a token nobody waits on (answered already, or never issued),
 * TaskTimedOut for one whose wait has ended.
 */
export interface TaskCallbacks {
  succeed(taskToken: string, output: string): void;
  fail(taskToken: string, error: string, cause: string): void;
}

const callbacks = new WeakMap<World, TaskCallbacks>();

/** Registers where SendTaskSuccess and SendTaskFailure go (the local runner's token registry). */
export function onTaskCallback(sandbox: { readonly world: World }, handler: TaskCallbacks): void {
  callbacks.set(sandbox.world, handler);
}

function callbacksOf(world: World): TaskCallbacks {
  const handler = callbacks.get(world);
  if (!handler)
    throw new AwsApiError('TaskDoesNotExist', 'Task Does Not Exist (no workflow runner waits here)');
  return handler;
}

const sendTaskSuccess = operation(
  async (input: SendTaskSuccessCommandInput, ctx): Promise<Answer<SendTaskSuccessCommandOutput>> => {
    const output = input.output ?? '';
    try {
      JSON.parse(output);
    } catch {
      throw new AwsApiError('InvalidOutput', 'Invalid Output: not JSON');
    }
    callbacksOf(ctx.world).succeed(input.taskToken ?? '', output);
    return {};
  },
);

const sendTaskFailure = operation(
  async (input: SendTaskFailureCommandInput, ctx): Promise<Answer<SendTaskFailureCommandOutput>> => {
    callbacksOf(ctx.world).fail(input.taskToken ?? '', input.error ?? '', input.cause ?? '');
    return {};
  },
);

/** Step Functions operations by command name. */
export const SFN_OPERATIONS: OperationTable = {
  StartExecution: startExecution,
  DescribeExecution: describeExecution,
  SendTaskSuccess: sendTaskSuccess,
  SendTaskFailure: sendTaskFailure,
};
