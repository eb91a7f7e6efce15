import { GetBucketLocationCommand, ListBucketsCommand, NoSuchBucket } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fanOutAccountChange } from '../../../tasks/fan-out-account-change/handler.js';
import { normalizeEvent } from '../../../tasks/normalize-event/handler.js';
import { type WorkflowState, WorkflowStateSchema } from '../../../tasks/shared/contracts.js';
import {
  ACCOUNT_ID,
  type DepsOverrides,
  EXECUTION_B,
  makeDeps,
  mockAccountWithoutBlockPublicAccess,
  mockBucket,
  readEvent,
  STATE_MACHINE_ARN,
  stateFor,
  type TestDeps,
} from './support.js';

const EVENT = 'delete-account-public-access-block.json';
const EVENT_ID = '1ba375f8-7a4c-4da6-a5f1-ad3ad6bb8139';
/** Public through its policy; no location constraint, so us-east-1. */
const PUBLIC = 'acme-public-assets';
/** Private, ACLs disabled: nothing the account change can uncover. */
const PRIVATE = 'acme-private';
/** Private, but ACLs enabled and not ignored; "EU", so eu-west-1. */
const LEGACY = 'acme-legacy-eu';

const FanOutOutputSchema = z.looseObject({
  fanOut: z.object({
    bucketsChecked: z.number(),
    truncated: z.boolean(),
    limit: z.number(),
    started: z.number(),
    buckets: z.array(z.string()),
  }),
});
const ChildInputSchema = z.looseObject({ fanOut: z.object({ bucket: z.string(), region: z.string() }) });

let deps: TestDeps;
let state: WorkflowState;

async function setUp(overrides: DepsOverrides = {}): Promise<void> {
  deps = await makeDeps(overrides);
  state = await stateFor(EVENT, deps);
  const { s3, sfn } = deps.mocks;
  mockAccountWithoutBlockPublicAccess(deps.mocks);
  s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: PUBLIC }, { Name: PRIVATE }, { Name: LEGACY }] });
  s3.on(GetBucketLocationCommand, { Bucket: PUBLIC }).resolves({});
  s3.on(GetBucketLocationCommand, { Bucket: PRIVATE }).resolves({ LocationConstraint: 'eu-central-1' });
  s3.on(GetBucketLocationCommand, { Bucket: LEGACY }).resolves({ LocationConstraint: 'EU' });
  mockBucket(deps.mocks, { bucket: PUBLIC, publicPolicy: true, ownership: 'BucketOwnerEnforced' });
  mockBucket(deps.mocks, { bucket: PRIVATE, ownership: 'BucketOwnerEnforced' });
  mockBucket(deps.mocks, { bucket: LEGACY });
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_B, startDate: new Date() });
}

beforeEach(async () => {
  await setUp();
});

async function fanOut() {
  return FanOutOutputSchema.parse(await fanOutAccountChange(state, deps));
}

function started() {
  return deps.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
}

/** Each StartExecution input, parsed: the account event plus `fanOut`. */
function childInputs() {
  return started().map((input) => ChildInputSchema.parse(JSON.parse(input.input ?? 'null')));
}

describe('fanOutAccountChange', () => {
  it("lists the account's buckets, then asks each for its location with ExpectedBucketOwner", async () => {
    await fanOut();

    expect(deps.mocks.s3.commandCalls(ListBucketsCommand)).toHaveLength(1);
    const located = deps.mocks.s3.commandCalls(GetBucketLocationCommand).map((call) => call.args[0].input);
    expect(located).toHaveLength(3);
    expect(located).toEqual(
      expect.arrayContaining(
        [PUBLIC, PRIVATE, LEGACY].map((Bucket) => ({ Bucket, ExpectedBucketOwner: ACCOUNT_ID })),
      ),
    );
  });

  it('reads each bucket in its own Region: no constraint is us-east-1, EU is eu-west-1', async () => {
    await fanOut();

    const regions = deps.clientsFor.mock.calls.map(([region]) => region);
    expect(regions.sort()).toEqual(['eu-central-1', 'eu-west-1', 'us-east-1']);
  });

  it('starts an execution only for the buckets that need a response', async () => {
    await fanOut();

    const buckets = childInputs().map((input) => input.fanOut.bucket);
    expect(buckets.sort()).toEqual([LEGACY, PUBLIC]);
  });

  it('gives each child the account event with the bucket and its Region under fanOut', async () => {
    await fanOut();

    expect(started().map((input) => input.stateMachineArn)).toEqual([STATE_MACHINE_ARN, STATE_MACHINE_ARN]);
    const legacy = childInputs().find((input) => input.fanOut.bucket === LEGACY);
    expect(legacy).toEqual({ ...readEvent(EVENT), fanOut: { bucket: LEGACY, region: 'eu-west-1' } });
  });

  it("gives a child an input that NormalizeEvent turns into an exposure of the child's bucket", async () => {
    await fanOut();
    const child = childInputs().find((input) => input.fanOut.bucket === PUBLIC);

    const normalized = WorkflowStateSchema.parse(
      await normalizeEvent({ event: child, executionId: EXECUTION_B }, deps),
    );

    expect(normalized.intake.kind).toBe('exposure');
    expect(normalized.trigger).toMatchObject({
      bucket: PUBLIC,
      region: 'us-east-1',
      eventID: `${EVENT_ID}/${PUBLIC}`,
    });
  });

  it('names each child after the event and its bucket, the same on every try', async () => {
    await fanOut();
    await fanOut();

    const names = started().map((input) => input.name ?? '');
    expect(names).toHaveLength(4);
    expect(new Set(names).size).toBe(2);
    for (const name of names) expect(name).toMatch(/^[0-9a-f]{16}-acme-(public-assets|legacy-eu)$/);
  });

  it('counts a child started by an earlier try as started', async () => {
    deps.mocks.sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution already exists', $metadata: {} }));

    const output = await fanOut();

    expect(output.fanOut).toMatchObject({ started: 2 });
    expect(output.fanOut.buckets.sort()).toEqual([LEGACY, PUBLIC]);
  });

  it('passes StartExecution throttling on as AwsTransientError', async () => {
    const throttled = new Error('Rate exceeded');
    throttled.name = 'ThrottlingException';
    deps.mocks.sfn.on(StartExecutionCommand).rejects(throttled);

    await expect(fanOutAccountChange(state, deps)).rejects.toMatchObject({
      name: 'AwsTransientError',
      code: 'ThrottlingException',
      cause: throttled,
    });
  });

  it('skips a bucket deleted since ListBuckets', async () => {
    deps.mocks.s3
      .on(GetBucketLocationCommand, { Bucket: PUBLIC })
      .rejects(new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: {} }));

    await fanOut();

    const buckets = childInputs().map((input) => input.fanOut.bucket);
    expect(buckets).toEqual([LEGACY]);
  });

  it('checks at most limits.fanOutBucketLimit buckets and says the list was cut', async () => {
    await setUp({ config: { limits: { fanOutBucketLimit: 1 } } });

    const output = await fanOut();

    expect(
      deps.mocks.s3.commandCalls(GetBucketLocationCommand).map((call) => call.args[0].input.Bucket),
    ).toEqual([PUBLIC]);
    expect(output.fanOut).toEqual({
      bucketsChecked: 1,
      truncated: true,
      limit: 1,
      started: 1,
      buckets: [PUBLIC],
    });
  });

  it('reports an untruncated fan-out and drops the account event from the state', async () => {
    const output = await fanOut();

    expect(output.fanOut).toMatchObject({ bucketsChecked: 3, truncated: false, limit: 200, started: 2 });
    expect(output.accountEvent).toBeUndefined();
  });
});
