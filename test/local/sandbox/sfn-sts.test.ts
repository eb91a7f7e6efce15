import {
  ExecutionAlreadyExists,
  InvalidArn,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import type { StartExecutionRequest } from '../../../local/sandbox/operations.js';
import { ACCOUNT, rejection, START, testSandbox } from './support.js';

const STATE_MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:s3-exposure-response`;

describe('Step Functions StartExecution', () => {
  it('answers StateMachineDoesNotExist while no workflow runner is registered', async () => {
    const sandbox = testSandbox();
    const error = await rejection(
      sandbox.clients().sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, input: '{}' })),
    );
    expect(error).toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('hands the execution to the registered runner and answers its ARN', async () => {
    const sandbox = testSandbox();
    const started: StartExecutionRequest[] = [];
    sandbox.onStartExecution((request) => {
      started.push(request);
    });
    const out = await sandbox
      .clients()
      .sfn.send(
        new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'evt-1', input: '{"a":1}' }),
      );
    expect(out.executionArn).toBe(`arn:aws:states:us-east-1:${ACCOUNT}:execution:s3-exposure-response:evt-1`);
    expect(out.startDate).toEqual(new Date(START));
    expect(started).toEqual([
      {
        stateMachineArn: STATE_MACHINE,
        name: 'evt-1',
        executionArn: out.executionArn,
        input: '{"a":1}',
        startDate: new Date(START),
      },
    ]);
  });

  it('answers InvalidArn for something that is not a state machine ARN', async () => {
    const sandbox = testSandbox();
    sandbox.onStartExecution(() => undefined);
    const error = await rejection(
      sandbox.clients().sfn.send(new StartExecutionCommand({ stateMachineArn: 'arn:nope' })),
    );
    expect(error).toBeInstanceOf(InvalidArn);
  });

  it('answers ExecutionAlreadyExists for a name used before', async () => {
    const sandbox = testSandbox();
    sandbox.onStartExecution(() => undefined);
    const { sfn } = sandbox.clients();
    await sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'evt-1' }));
    const error = await rejection(
      sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'evt-1' })),
    );
    expect(error).toBeInstanceOf(ExecutionAlreadyExists);
  });
});

describe('STS GetCallerIdentity', () => {
  it('answers the sandbox role in the world account', async () => {
    const out = await testSandbox().clients().sts.send(new GetCallerIdentityCommand({}));
    expect(out).toMatchObject({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:role/sandbox` });
    expect(out.UserId).toMatch(/\S+/);
  });
});
