/**
 * Every task's exported Lambda `handler`, invoked as Lambda invokes it: the payload and the
 * result cross as JSON within 256 KB, errors come back as `{ errorType, errorMessage }`, and the
 * function builds its dependencies from its environment (the store on dynalite here, the other
 * AWS clients stubbed at the class level, as a deployed function's module-scope clients would be).
 */
import { existsSync } from 'node:fs';
import { Macie2Client } from '@aws-sdk/client-macie2';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { invokeAsLambda } from '../../local/lambda-invoke.js';
import { projectPath } from '../../local/paths.js';
import { loadDefinition } from '../../local/runner.js';
import { ensureTable } from '../../local/store/local-dynamo.js';
import { testDynamo } from '../support/store.js';
import {
  type Mocks,
  mockAccountWithoutBlockPublicAccess,
  mockBucket,
  readEvent,
} from '../tasks/handlers/support.js';

const ACCOUNT = '111122223333';
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:s3-exposure-task`;
const EXECUTION = `arn:aws:states:us-east-1:${ACCOUNT}:execution:s3-exposure-response:lambda-test`;
const context = {
  invokedFunctionArn: FUNCTION_ARN,
  functionName: 's3-exposure-task',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as Context;
const CONFIG = {
  recipients: { email: ['soc@example.com'] },
  operators: { email: ['ops@example.com'] },
  modes: { default: 'notify' },
};

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

const mocks: Mocks = {
  s3: mockClient(S3Client),
  s3Control: mockClient(S3ControlClient),
  securityHub: mockClient(SecurityHubClient),
  ses: mockClient(SESv2Client),
  sfn: mockClient(SFNClient),
  macie: mockClient(Macie2Client),
};
const saved = { ...process.env };

function kebab(state: string): string {
  return state.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

const TASK_STATES = Object.entries(loadDefinition('us-east-1', ACCOUNT).States)
  .filter(([, state]) => state.Type === 'Task')
  .map(([name]) => name);

/** A task module loaded afresh, so its composition root reads the environment set now. */
async function handlerOf(state: string): Promise<LambdaHandler> {
  const module = (await import(projectPath('tasks', kebab(state), 'handler.ts'))) as {
    handler: LambdaHandler;
  };
  return module.handler;
}

async function invoke(state: string, payload: unknown) {
  const handler = await handlerOf(state);
  return invokeAsLambda((input) => handler(input, context), payload, state);
}

async function environment(config: unknown = CONFIG) {
  const { client, endpoint } = await testDynamo();
  const table = `lambda-${Math.random().toString(36).slice(2)}`;
  await ensureTable(client, table);
  Object.assign(process.env, {
    TABLE_NAME: table,
    RESPONDER_CONFIG: JSON.stringify(config),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    STATE_MACHINE_ARN: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:s3-exposure-response`,
  });
  vi.resetModules();
}

beforeAll(() => {
  delete process.env.AWS_PROFILE;
});

beforeEach(async () => {
  for (const mock of Object.values(mocks)) mock.reset();
  await environment();
});

afterAll(() => {
  process.env = saved;
  for (const mock of Object.values(mocks)) mock.restore();
});

describe('the Lambda entry points', () => {
  it.each(TASK_STATES)('%s has a task module exporting a handler for its state', async (state) => {
    const path = projectPath('tasks', kebab(state), 'handler.ts');
    expect(existsSync(path), path).toBe(true);
    const module = (await import(path)) as Record<string, unknown>;
    expect(typeof module.handler).toBe('function');
    expect(
      Object.values(module).some((v) => typeof v === 'function' && 'state' in v && v.state === state),
    ).toBe(true);
  });

  it('run the notify path end to end, each state output feeding the next through JSON', async () => {
    mockBucket(mocks, { bucket: 'acme-public-assets', publicPolicy: true });
    mockAccountWithoutBlockPublicAccess(mocks);
    mocks.securityHub
      .on(BatchImportFindingsCommand)
      .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    mocks.securityHub
      .on(BatchUpdateFindingsCommand)
      .resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
    mocks.ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });

    let state: unknown = { event: readEvent('put-bucket-policy-public.json'), executionId: EXECUTION };
    const path = [
      'NormalizeEvent',
      'RegisterIncident',
      'ClassifyExposure',
      'WriteFinding',
      'NotifyRecipients',
      'MarkFindingNotified',
      'ReleaseLease',
    ];
    for (const step of path) {
      const answer = await invoke(step, state);
      expect(answer, step).toMatchObject({ ok: true });
      if (answer.ok) state = answer.result;
    }

    expect(state).toMatchObject({
      assessment: { outcome: 'public', severity: 'HIGH' },
      finding: { written: true },
      lease: { outcome: 'released' },
    });
    expect(mocks.ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('report a malformed event as errorType MalformedEventError, the name the state machine matches', async () => {
    const answer = await invoke('NormalizeEvent', {
      event: readEvent('malformed/missing-detail.json'),
      executionId: EXECUTION,
    });

    expect(answer).toMatchObject({ ok: false, error: { errorType: 'MalformedEventError' } });
  });

  it('refuse input that is not the workflow state, naming the state and the field', async () => {
    const answer = await invoke('RegisterIncident', { executionId: EXECUTION, surprise: true });

    expect(answer).toMatchObject({
      ok: false,
      error: {
        errorType: 'InvalidInputError',
        errorMessage: expect.stringMatching(/^RegisterIncident input: /),
      },
    });
  });

  it('fail every invocation with the configuration field named when the configuration is bad', async () => {
    await environment({ recipients: { email: [] } });

    const answer = await invoke('NormalizeEvent', {
      event: readEvent('put-bucket-policy-public.json'),
      executionId: EXECUTION,
    });

    expect(answer).toMatchObject({
      ok: false,
      error: { errorType: 'InvalidInputError', errorMessage: expect.stringContaining('recipients.email') },
    });
  });

  it('report a failure from the state of a malformed event: finding and operators, as the last resort', async () => {
    mocks.securityHub
      .on(BatchImportFindingsCommand)
      .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    mocks.ses.on(SendEmailCommand).resolves({ MessageId: 'm-2' });
    const failed = {
      event: readEvent('malformed/missing-bucket.json'),
      executionId: EXECUTION,
      error: { Error: 'MissingBucketError', Cause: '{"errorType":"MissingBucketError"}' },
    };

    const answer = await invoke('ReportFailure', { executionId: EXECUTION, state: failed });

    expect(answer).toMatchObject({ ok: true });
    expect(mocks.securityHub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
    expect(mocks.ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Destination?.ToAddresses).toEqual([
      'ops@example.com',
    ]);
  });

  it('refuse a payload over the 256 KB limit before the task runs', async () => {
    const answer = await invoke('NormalizeEvent', {
      event: { padding: 'x'.repeat(300 * 1024) },
      executionId: EXECUTION,
    });

    expect(answer).toMatchObject({ ok: false, error: { errorType: 'States.DataLimitExceeded' } });
  });
});
