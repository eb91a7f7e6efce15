/**
 * Step Functions StartExecution: hands the execution to the workflow runner that registered
 * itself with `SandboxAccount.onStartExecution`, and answers as Step Functions does, at once.
 */
import type { StartExecutionCommandInput, StartExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { AwsApiError } from './aws-error.js';
import { type Answer, type OperationTable, operation } from './operations.js';

/** arn:aws:states:<region>:<account>:stateMachine:<name> */
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
/** Execution names: 1 to 80 characters, without whitespace or the punctuation Step Functions forbids. */
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;

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

/** Step Functions operations by command name. */
export const SFN_OPERATIONS: OperationTable = { StartExecution: startExecution };
