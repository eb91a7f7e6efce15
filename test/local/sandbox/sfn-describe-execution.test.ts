import { DescribeExecutionCommand, InvalidArn } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { onDescribeExecution } from '../../../local/sandbox/sfn.js';
import { openState, run, sampleEvent, tempStateDir } from '../../workflow/support.js';
import { ACCOUNT, rejection, testSandbox } from './support.js';

const EXECUTION = `arn:aws:states:us-east-1:${ACCOUNT}:execution:s3-exposure-response:exec-1`;
const STARTED = new Date('2024-05-14T11:00:00.000Z');
const STOPPED = new Date('2024-05-14T11:00:09.000Z');

describe('Step Functions DescribeExecution', () => {
  it('answers the status the registered lookup gives, with the state machine named from the ARN', async () => {
    const sandbox = testSandbox();
    onDescribeExecution(sandbox, (arn) =>
      arn === EXECUTION ? { status: 'FAILED', startDate: STARTED, stopDate: STOPPED } : null,
    );

    const out = await sandbox.clients().sfn.send(new DescribeExecutionCommand({ executionArn: EXECUTION }));

    expect(out).toMatchObject({
      executionArn: EXECUTION,
      stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:s3-exposure-response`,
      name: 'exec-1',
      status: 'FAILED',
      startDate: STARTED,
      stopDate: STOPPED,
    });
  });

  it('leaves out the stop date of an execution that still runs', async () => {
    const sandbox = testSandbox();
    onDescribeExecution(sandbox, () => ({ status: 'RUNNING', startDate: STARTED }));

    const out = await sandbox.clients().sfn.send(new DescribeExecutionCommand({ executionArn: EXECUTION }));

    expect(out.status).toBe('RUNNING');
    expect(out.stopDate).toBeUndefined();
  });

  it('answers ExecutionDoesNotExist for an execution the lookup does not know', async () => {
    const sandbox = testSandbox();
    onDescribeExecution(sandbox, () => null);

    const error = await rejection(
      sandbox.clients().sfn.send(new DescribeExecutionCommand({ executionArn: EXECUTION })),
    );

    expect(error.name).toBe('ExecutionDoesNotExist');
  });

  it('answers ExecutionDoesNotExist while no lookup is registered', async () => {
    const error = await rejection(
      testSandbox()
        .clients()
        .sfn.send(new DescribeExecutionCommand({ executionArn: EXECUTION })),
    );

    expect(error.name).toBe('ExecutionDoesNotExist');
  });

  it("answers ExecutionDoesNotExist for another account's execution, without asking the lookup", async () => {
    const sandbox = testSandbox();
    const asked: string[] = [];
    onDescribeExecution(sandbox, (arn) => {
      asked.push(arn);
      return { status: 'RUNNING', startDate: STARTED };
    });
    const foreign = EXECUTION.replace(ACCOUNT, '444455556666');

    const error = await rejection(
      sandbox.clients().sfn.send(new DescribeExecutionCommand({ executionArn: foreign })),
    );

    expect(error.name).toBe('ExecutionDoesNotExist');
    expect(asked).toEqual([]);
  });

  it('answers InvalidArn for something that is not an execution ARN', async () => {
    const sandbox = testSandbox();
    onDescribeExecution(sandbox, () => ({ status: 'RUNNING', startDate: STARTED }));

    const error = await rejection(
      sandbox.clients().sfn.send(
        new DescribeExecutionCommand({
          executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:s3-exposure-response`,
        }),
      ),
    );

    expect(error).toBeInstanceOf(InvalidArn);
  });
});

describe('DescribeExecution in a local environment', () => {
  it('answers an execution an earlier command saved in the state folder with its status and times', async () => {
    const stateDir = await tempStateDir();
    const earlier = await run([sampleEvent('put-bucket-policy-public')], { stateDir });
    const record = earlier.records[0];
    const environment = await openState(stateDir);

    const out = await environment.deps.clients.sfn.send(
      new DescribeExecutionCommand({ executionArn: record?.executionId }),
    );

    expect(out).toMatchObject({
      executionArn: record?.executionId,
      status: 'SUCCEEDED',
      startDate: new Date(record?.startedAt ?? ''),
      stopDate: new Date(record?.stoppedAt ?? ''),
    });
  });

  it('answers ExecutionDoesNotExist for an execution neither run here nor saved (its process died)', async () => {
    const environment = await openState(await tempStateDir());
    const unknown = `arn:aws:states:us-east-1:${ACCOUNT}:execution:s3-exposure-response:never-saved`;

    const error = await rejection(
      environment.deps.clients.sfn.send(new DescribeExecutionCommand({ executionArn: unknown })),
    );

    expect(error.name).toBe('ExecutionDoesNotExist');
  });
});
