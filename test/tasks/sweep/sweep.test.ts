import { GetBucketLocationCommand, GetObjectAclCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNServiceException,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { normalizeEvent } from '../../../tasks/normalize-event/handler.js';
import { type IncidentEvent, WorkflowStateSchema } from '../../../tasks/shared/contracts.js';
import { sweepAccount, sweepExecutionName } from '../../../tasks/sweep/sweep.js';
import { incidentEvents, makeIncident, objectAclVerdict } from '../../support/incidents.js';
import { bucketRef } from '../../support/store.js';
import {
  ACCOUNT_ID,
  EXECUTION_A,
  EXECUTION_B,
  makeDeps,
  mockAccountWithoutBlockPublicAccess,
  mockBucket,
  STATE_MACHINE_ARN,
  s3Error,
  type TestDeps,
} from '../handlers/support.js';

const PUBLIC = 'acme-public-assets';
const PRIVATE = 'acme-private';
const SWEEP = 'sweep-test-1';

const SweepInputSchema = z.object({
  sweep: z.object({
    bucket: z.string(),
    region: z.string(),
    accountId: z.string(),
    sweepId: z.string(),
    reason: z.string(),
  }),
});

let deps: TestDeps;

function sfnError(name: string): SFNServiceException {
  return new SFNServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: name,
  });
}

beforeEach(async () => {
  deps = await makeDeps();
  mockAccountWithoutBlockPublicAccess(deps.mocks);
  mockBucket(deps.mocks, { bucket: PUBLIC, publicPolicy: true, ownership: 'BucketOwnerEnforced' });
  mockBucket(deps.mocks, { bucket: PRIVATE, ownership: 'BucketOwnerEnforced' });
  deps.mocks.s3.on(ListBucketsCommand).resolves({
    Buckets: [
      { Name: PRIVATE, BucketRegion: 'eu-central-1' },
      { Name: PUBLIC, BucketRegion: 'us-east-1' },
    ],
  });
  deps.mocks.sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_B, startDate: new Date() });
});

function sweep(options: Partial<Parameters<typeof sweepAccount>[1]> = {}) {
  return sweepAccount(deps, { sweepId: SWEEP, ...options });
}

function startInputs() {
  return deps.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
}

/** Takes the lease of `bucket` for `holder`, with one event waiting on it, as RegisterIncident does. */
async function leaseHeldBy(holder: string, bucket: string): Promise<void> {
  await deps.store.register({
    ref: bucketRef(bucket),
    executionId: holder,
    event: {
      eventID: 'evt-stranded',
      eventName: 'PutBucketPolicy',
      actor: 'arn:aws:iam::111122223333:user/dana.ops',
      sourceIp: '203.0.113.24',
      time: '2024-05-14T10:59:00Z',
      keys: [],
    },
    now: deps.clock.now(),
    leaseSeconds: 900,
  });
}

describe('sweepAccount', () => {
  it('lists the buckets page by page, sending the continuation token S3 gave', async () => {
    deps.mocks.s3.reset();
    mockAccountWithoutBlockPublicAccess(deps.mocks);
    mockBucket(deps.mocks, { bucket: PUBLIC, publicPolicy: true, ownership: 'BucketOwnerEnforced' });
    mockBucket(deps.mocks, { bucket: PRIVATE, ownership: 'BucketOwnerEnforced' });
    deps.mocks.s3
      .on(ListBucketsCommand)
      .resolves({ Buckets: [{ Name: PRIVATE, BucketRegion: 'eu-central-1' }], ContinuationToken: 'page-2' })
      .on(ListBucketsCommand, { ContinuationToken: 'page-2' })
      .resolves({ Buckets: [{ Name: PUBLIC, BucketRegion: 'us-east-1' }] });

    const report = await sweep({ pageSize: 1 });

    expect(deps.mocks.s3.commandCalls(ListBucketsCommand).map((c) => c.args[0].input)).toEqual([
      { MaxBuckets: 1 },
      { MaxBuckets: 1, ContinuationToken: 'page-2' },
    ]);
    expect(report).toMatchObject({ pages: 2, bucketsListed: 2, bucketsChecked: 2, truncated: false });
  });

  it('reads each bucket in the Region ListBuckets names', async () => {
    await sweep();

    expect(deps.clientsFor.mock.calls.map(([region]) => region).sort()).toEqual([
      'eu-central-1',
      'us-east-1',
    ]);
    expect(deps.mocks.s3.commandCalls(GetBucketLocationCommand)).toEqual([]);
  });

  it('asks GetBucketLocation, with ExpectedBucketOwner, where ListBuckets names no Region', async () => {
    deps.mocks.s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: PRIVATE }] });
    deps.mocks.s3.on(GetBucketLocationCommand, { Bucket: PRIVATE }).resolves({ LocationConstraint: 'EU' });

    await sweep();

    expect(deps.mocks.s3.commandCalls(GetBucketLocationCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: PRIVATE, ExpectedBucketOwner: ACCOUNT_ID },
    ]);
    expect(deps.clientsFor.mock.calls.map(([region]) => region)).toEqual(['eu-west-1']);
  });

  it('names the expected owner on every S3 call about a bucket', async () => {
    deps.mocks.s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: PRIVATE }, { Name: PUBLIC }] });
    deps.mocks.s3.on(GetBucketLocationCommand).resolves({});

    await sweep();

    const aboutBuckets = deps.mocks.s3.calls().flatMap((call) => {
      const command = call.args[0];
      return command instanceof ListBucketsCommand ? [] : [command.input];
    });
    expect(aboutBuckets.length).toBeGreaterThan(10);
    for (const input of aboutBuckets) expect(input).toMatchObject({ ExpectedBucketOwner: ACCOUNT_ID });
  });

  it('starts an execution for the public bucket with no open incident, and none for the private one', async () => {
    const report = await sweep();

    expect(startInputs()).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: sweepExecutionName(SWEEP, PUBLIC),
        input: expect.any(String),
      },
    ]);
    expect(report.started).toEqual([
      {
        bucket: PUBLIC,
        region: 'us-east-1',
        reasons: ['no-incident'],
        executionArn: EXECUTION_B,
        alreadyStarted: false,
      },
    ]);
    expect(report.public).toEqual([PUBLIC]);
  });

  it('gives the execution an input that NormalizeEvent turns into an exposure of the bucket', async () => {
    await sweep();
    const input = SweepInputSchema.parse(JSON.parse(startInputs()[0]?.input ?? 'null'));

    const state = WorkflowStateSchema.parse(
      await normalizeEvent({ event: input, executionId: EXECUTION_B }, deps),
    );

    expect(input.sweep).toMatchObject({
      bucket: PUBLIC,
      region: 'us-east-1',
      accountId: ACCOUNT_ID,
      sweepId: SWEEP,
    });
    expect(state.intake.kind).toBe('exposure');
    expect(state.trigger).toMatchObject({ bucket: PUBLIC, eventID: `sweep/${SWEEP}/${PUBLIC}` });
  });

  it('names executions after the sweep and the bucket: the same pair, the same name', () => {
    expect(sweepExecutionName(SWEEP, PUBLIC)).toBe(sweepExecutionName(SWEEP, PUBLIC));
    expect(sweepExecutionName(SWEEP, PUBLIC)).not.toBe(sweepExecutionName('sweep-test-2', PUBLIC));
    expect(sweepExecutionName(SWEEP, 'a.b'.repeat(30))).toMatch(/^sweep-[0-9a-f]{16}-[A-Za-z0-9_-]+$/);
    expect(sweepExecutionName(SWEEP, 'a.b'.repeat(30)).length).toBeLessThanOrEqual(80);
  });

  it('counts an execution an earlier run of the same sweep started as started, not as a failure', async () => {
    deps.mocks.sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ $metadata: {}, message: 'Execution Already Exists' }));

    const report = await sweep();

    expect(report.started).toEqual([
      expect.objectContaining({
        bucket: PUBLIC,
        alreadyStarted: true,
        executionArn: `arn:aws:states:us-east-1:${ACCOUNT_ID}:execution:s3-exposure-response:${sweepExecutionName(SWEEP, PUBLIC)}`,
      }),
    ]);
    expect(report.failed).toEqual([]);
  });

  it("asks Step Functions whether a lease's holder runs, and leaves a running holder's bucket to it", async () => {
    await leaseHeldBy(EXECUTION_A, PUBLIC);
    deps.mocks.sfn.on(DescribeExecutionCommand).resolves({
      status: 'RUNNING',
      executionArn: EXECUTION_A,
      stateMachineArn: STATE_MACHINE_ARN,
      startDate: new Date(),
    });

    const report = await sweep();

    expect(deps.mocks.sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { executionArn: EXECUTION_A },
    ]);
    expect(report.inProgress).toEqual([{ bucket: PUBLIC, holder: EXECUTION_A }]);
    expect(report.started).toEqual([]);
    expect((await deps.store.getLease(bucketRef(PUBLIC)))?.holder).toBe(EXECUTION_A);
  });

  it('takes back the lease of a holder that ended, and starts an execution for the event waiting on it', async () => {
    await leaseHeldBy(EXECUTION_A, PRIVATE);
    deps.mocks.sfn.on(DescribeExecutionCommand).resolves({
      status: 'ABORTED',
      executionArn: EXECUTION_A,
      stateMachineArn: STATE_MACHINE_ARN,
      startDate: new Date(),
    });

    const report = await sweep();

    expect(report.reclaimed).toEqual([{ bucket: PRIVATE, holder: EXECUTION_A, pending: 1 }]);
    expect(report.started).toEqual([
      expect.objectContaining({ bucket: PRIVATE, reasons: ['stranded-events'] }),
      expect.objectContaining({ bucket: PUBLIC, reasons: ['no-incident'] }),
    ]);
    expect(await deps.store.getLease(bucketRef(PRIVATE))).toMatchObject({
      expiresAt: new Date(0).toISOString(),
    });
  });

  it('takes a holder Step Functions does not know (ExecutionDoesNotExist) for one that ended', async () => {
    await leaseHeldBy(EXECUTION_A, PRIVATE);
    deps.mocks.sfn.on(DescribeExecutionCommand).rejects(sfnError('ExecutionDoesNotExist'));

    const report = await sweep();

    expect(report.reclaimed).toEqual([{ bucket: PRIVATE, holder: EXECUTION_A, pending: 1 }]);
  });

  it('reports a bucket it could not check, with the error code, and checks the others', async () => {
    deps.mocks.s3
      .on(ListBucketsCommand)
      .resolves({ Buckets: [{ Name: PRIVATE }, { Name: PUBLIC, BucketRegion: 'us-east-1' }] });
    deps.mocks.s3.on(GetBucketLocationCommand, { Bucket: PRIVATE }).rejects(s3Error('AccessDenied', 403));

    const report = await sweep();

    expect(report.failed).toEqual([{ bucket: PRIVATE, error: 'AccessDenied' }]);
    expect(report.bucketsChecked).toBe(1);
    expect(report.started.map((s) => s.bucket)).toEqual([PUBLIC]);
  });

  it('reports a bucket deleted since the listing as gone, not as a failure', async () => {
    deps.mocks.s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: PRIVATE }] });
    deps.mocks.s3.on(GetBucketLocationCommand, { Bucket: PRIVATE }).rejects(s3Error('NoSuchBucket'));

    const report = await sweep();

    expect(report).toMatchObject({ gone: [PRIVATE], failed: [], bucketsChecked: 0 });
  });

  it('checks at most maxBuckets buckets and says the sweep was truncated', async () => {
    const report = await sweep({ maxBuckets: 1 });

    expect(report).toMatchObject({ bucketsListed: 1, bucketsChecked: 1, truncated: true });
  });

  it('begins no bucket once stopAt has passed, and says the sweep was truncated', async () => {
    const report = await sweep({ stopAt: deps.clock.now() });

    expect(report).toMatchObject({ bucketsListed: 2, bucketsChecked: 0, truncated: true, started: [] });
  });

  it('refuses to sweep without a state machine to start executions of', async () => {
    await expect(sweepAccount({ ...deps, stateMachineArn: '' }, { sweepId: SWEEP })).rejects.toHaveProperty(
      'name',
      'InvalidInputError',
    );
  });

  it('reads the ACLs of the objects an open incident found by listing, at most limits.objectScanLimit, naming the limit reached', async () => {
    const found = ['exports/a.csv', 'exports/b.csv', 'exports/c.csv'];
    deps = await makeDeps({ config: { limits: { objectScanLimit: 2 } } });
    mockAccountWithoutBlockPublicAccess(deps.mocks);
    mockBucket(deps.mocks, {
      bucket: PRIVATE,
      objects: { 'exports/a.csv': false, 'exports/b.csv': false, 'exports/c.csv': false },
    });
    deps.mocks.s3
      .on(ListBucketsCommand)
      .resolves({ Buckets: [{ Name: PRIVATE, BucketRegion: 'eu-central-1' }] });
    await deps.store.putIncident(
      makeIncident({
        bucket: PRIVATE,
        response: 'NOTIFIED',
        events: [{ ...(incidentEvents()[0] as IncidentEvent), eventName: 'DeleteBucketPublicAccessBlock' }],
        verdict: objectAclVerdict(found, PRIVATE),
      }),
    );

    const report = await sweep();

    const read = deps.mocks.s3.commandCalls(GetObjectAclCommand).map((call) => call.args[0].input.Key);
    expect(read.sort()).toEqual(['exports/a.csv', 'exports/b.csv']);
    // The third object was not read: not fully assessed, so the incident is not called over.
    expect(report.notFullyAssessed).toEqual([PRIVATE]);
    expect(report.started).toEqual([]);
  });

  it('fails when ListBuckets fails: nothing can be checked', async () => {
    deps.mocks.s3.on(ListBucketsCommand).rejects(s3Error('AccessDenied', 403));

    await expect(sweep()).rejects.toHaveProperty('name', 'AccessDenied');
  });
});
