/**
 * The sweep's Lambda entry point, invoked as Lambda invokes it: it builds its dependencies from
 * its environment (the store on dynalite here, the other AWS clients stubbed at the class level,
 * as a deployed function's clients would be).
 */
import { Macie2Client } from '@aws-sdk/client-macie2';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ensureTable } from '../../../local/store/local-dynamo.js';
import { sweepExecutionName } from '../../../tasks/sweep/sweep.js';
import { testDynamo } from '../../support/store.js';
import { type Mocks, mockAccountWithoutBlockPublicAccess, mockBucket } from '../handlers/support.js';

const ACCOUNT = '111122223333';
const STATE_MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:s3-exposure-response`;
const BUCKET = 'acme-public-assets';
/** What EventBridge Scheduler puts for `<aws.scheduler.scheduled-time>`. */
const SCHEDULED = '2024-05-14T12:00:00Z';

const mocks: Mocks = {
  s3: mockClient(S3Client),
  s3Control: mockClient(S3ControlClient),
  securityHub: mockClient(SecurityHubClient),
  ses: mockClient(SESv2Client),
  sfn: mockClient(SFNClient),
  macie: mockClient(Macie2Client),
};
const saved = { ...process.env };

function contextWith(remainingMs: number): Context {
  return {
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:s3-exposure-sweep`,
    functionName: 's3-exposure-sweep',
    awsRequestId: 'req-1',
    getRemainingTimeInMillis: () => remainingMs,
  } as Context;
}

async function invoke(event: unknown, remainingMs = 900_000) {
  const { handler } = await import('../../../tasks/sweep/handler.js');
  return handler(event, contextWith(remainingMs));
}

beforeEach(async () => {
  for (const mock of Object.values(mocks)) mock.reset();
  const { client, endpoint } = await testDynamo();
  const table = `sweep-${Math.random().toString(36).slice(2)}`;
  await ensureTable(client, table);
  Object.assign(process.env, {
    TABLE_NAME: table,
    RESPONDER_CONFIG: JSON.stringify({ recipients: { email: ['soc@example.com'] } }),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    STATE_MACHINE_ARN: STATE_MACHINE,
  });
  delete process.env.AWS_PROFILE;
  // A fresh module, so its composition root reads the environment set now.
  vi.resetModules();
  mockAccountWithoutBlockPublicAccess(mocks);
  mockBucket(mocks, { bucket: BUCKET, publicPolicy: true, ownership: 'BucketOwnerEnforced' });
  mocks.s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: BUCKET, BucketRegion: 'us-east-1' }] });
  mocks.sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE}:x`, startDate: new Date() });
});

afterAll(() => {
  process.env = saved;
  for (const mock of Object.values(mocks)) mock.restore();
});

describe('the sweep Lambda entry point', () => {
  it("sweeps the function's account under the sweep id it is given, and answers with the counts", async () => {
    const answer = await invoke({ sweepId: SCHEDULED });

    expect(mocks.sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({
        stateMachineArn: STATE_MACHINE,
        name: sweepExecutionName(SCHEDULED, BUCKET),
      }),
    ]);
    expect(answer).toMatchObject({
      sweepId: SCHEDULED,
      accountId: ACCOUNT,
      bucketsChecked: 1,
      truncated: false,
      counts: { public: 1, started: 1, failed: 0 },
      started: [{ bucket: BUCKET, reasons: ['no-incident'] }],
    });
  });

  it('makes up a sweep id when the schedule gives none', async () => {
    const answer = await invoke({});

    expect(answer.sweepId).toMatch(/^sweep-\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  });

  it('refuses a sweep id that could not name an execution, naming the field', async () => {
    await expect(invoke({ sweepId: 'a b' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(/^sweep input: sweepId: /),
    });
  });

  it('begins no bucket in the last minute before its timeout, and says the sweep was truncated', async () => {
    const answer = await invoke({ sweepId: SCHEDULED }, 59_000);

    expect(answer).toMatchObject({ bucketsChecked: 0, truncated: true, counts: { started: 0 } });
    expect(mocks.sfn.commandCalls(StartExecutionCommand)).toEqual([]);
  });
});
