import {
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketTaggingCommand,
  GetBucketWebsiteCommand,
  GetObjectAclCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand,
  S3ControlClient,
  S3ControlServiceException,
} from '@aws-sdk/client-s3-control';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mapWithConcurrency, readBucketSnapshot } from '../../../tasks/classify-exposure/read-snapshot.js';
import { BucketAccessSnapshotSchema, type SnapshotPart } from '../../../tasks/shared/contracts.js';
import { BucketNotFoundError, InvalidInputError } from '../../../tasks/shared/errors.js';
import { logger } from '../../../tasks/shared/logger.js';

const ACCOUNT_ID = '111122223333';
const BUCKET = 'example-bucket';
const KEY = 'reports/q3.csv';
const OWNER = { ID: 'owner-canonical-id', DisplayName: 'data-team' };
const ALL_USERS_READ = {
  Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' },
  Permission: 'READ',
} as const;
const POLICY_TEXT =
  '{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",' +
  '"Action":"s3:GetObject","Resource":"arn:aws:s3:::example-bucket/*"}]}';
const METADATA = { httpStatusCode: 200, requestId: 'request-id' };

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const clients = {
  s3: new S3Client({ region: 'us-east-1', credentials }),
  s3Control: new S3ControlClient({ region: 'us-east-1', credentials }),
};
const s3Mock = mockClient(S3Client);
const s3ControlMock = mockClient(S3ControlClient);

function s3Error(name: string, httpStatusCode?: number): S3ServiceException {
  const $fault = httpStatusCode !== undefined && httpStatusCode >= 500 ? 'server' : 'client';
  const $metadata = httpStatusCode === undefined ? {} : { httpStatusCode };
  return new S3ServiceException({ name, $fault, $metadata, message: `${name} (test)` });
}

function s3ControlError(name: string): S3ControlServiceException {
  return new S3ControlServiceException({ name, $fault: 'client', $metadata: {}, message: `${name} (test)` });
}

function read(objectKeys: readonly string[] = [KEY], objectAclConcurrency?: number) {
  return readBucketSnapshot(clients, {
    accountId: ACCOUNT_ID,
    bucket: BUCKET,
    objectKeys,
    objectAclConcurrency,
  });
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  s3Mock.reset();
  s3ControlMock.reset();
  s3Mock.on(GetBucketPolicyCommand).resolves({ Policy: POLICY_TEXT, $metadata: METADATA });
  s3Mock.on(GetBucketPolicyStatusCommand).resolves({ PolicyStatus: { IsPublic: true }, $metadata: METADATA });
  s3Mock.on(GetBucketAclCommand).resolves({ Owner: OWNER, Grants: [ALL_USERS_READ], $metadata: METADATA });
  s3Mock.on(GetPublicAccessBlockCommand).resolves({
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    },
  });
  s3ControlMock.on(GetAccountPublicAccessBlockCommand).resolves({
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
  });
  s3Mock
    .on(GetBucketOwnershipControlsCommand)
    .resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] } });
  s3Mock
    .on(GetBucketWebsiteCommand)
    .resolves({ IndexDocument: { Suffix: 'index.html' }, $metadata: METADATA });
  s3Mock.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: 'owner', Value: 'data-team' }] });
  s3Mock.on(GetObjectAclCommand).resolves({ Owner: OWNER, Grants: [], RequestCharged: 'requester' });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('readBucketSnapshot: what it sends', () => {
  it('sends ExpectedBucketOwner on every S3 command', async () => {
    await read();

    const calls = s3Mock.calls();
    expect(calls).toHaveLength(8);
    for (const call of calls) {
      expect(call.args[0].input).toMatchObject({ Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT_ID });
    }
  });

  it('asks S3 Control for the account Public Access Block with AccountId', async () => {
    await read();

    const calls = s3ControlMock.commandCalls(GetAccountPublicAccessBlockCommand);
    expect(calls.map((call) => call.args[0].input)).toEqual([{ AccountId: ACCOUNT_ID }]);
  });

  it('sends one GetObjectAcl per key', async () => {
    const keys = ['a.txt', 'b/c.txt', 'd.txt'];

    await read(keys);

    const sent = s3Mock.commandCalls(GetObjectAclCommand).map((call) => call.args[0].input);
    expect(sent).toEqual(keys.map((Key) => ({ Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT_ID, Key })));
  });

  it('reads no object ACL when no key is given', async () => {
    const snapshot = await read([]);

    expect(s3Mock.commandCalls(GetObjectAclCommand)).toHaveLength(0);
    expect(snapshot.objectAcls).toEqual({});
  });

  it('starts every read before any answers', async () => {
    let started = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const waitForGate = async () => {
      started += 1;
      await gate;
      return {};
    };
    s3Mock.onAnyCommand().callsFake(waitForGate);
    s3ControlMock.onAnyCommand().callsFake(waitForGate);

    const reading = read();
    await vi.waitFor(() => expect(started).toBe(9));
    release();

    // Only the start order matters here; the empty answers fail the ownership contract.
    await reading.catch(() => undefined);
  });
});

describe('readBucketSnapshot: mapping', () => {
  it('maps every answer into its snapshot field', async () => {
    const snapshot = await read();

    expect(snapshot).toEqual({
      accountId: ACCOUNT_ID,
      bucket: BUCKET,
      objectKeys: [KEY],
      bucketPolicy: POLICY_TEXT,
      policyStatus: { IsPublic: true },
      bucketAcl: { Owner: OWNER, Grants: [ALL_USERS_READ] },
      objectAcls: { [KEY]: { Owner: OWNER, Grants: [] } },
      bucketPublicAccessBlock: {
        BlockPublicAcls: false,
        IgnorePublicAcls: false,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      },
      accountPublicAccessBlock: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
      ownershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      website: { IndexDocument: { Suffix: 'index.html' } },
      tags: { owner: 'data-team' },
      unreadable: [],
    });
  });

  it('produces a snapshot the contract accepts', async () => {
    const parsed = BucketAccessSnapshotSchema.parse(await read());

    expect(parsed.bucketPolicy?.Statement[0]?.Sid).toBe('PublicRead');
  });

  it('keeps the policy text exactly as returned', async () => {
    const text =
      '{\n  "Statement" : [ { "Effect":"Deny", "Principal":"*", "Action":"s3:*",\n\t"Sid":"\\u00e9" } ]\n}';
    s3Mock.on(GetBucketPolicyCommand).resolves({ Policy: text });

    const snapshot = await read();

    expect(snapshot.bucketPolicy).toBe(text);
    expect(BucketAccessSnapshotSchema.parse(snapshot).bucketPolicy?.Statement[0]?.Sid).toBe('é');
  });

  it('drops the SDK $metadata from the ACLs and the website', async () => {
    s3Mock.on(GetObjectAclCommand).resolves({ Owner: OWNER, Grants: [], $metadata: METADATA });

    const snapshot = await read();

    expect(snapshot.bucketAcl).not.toHaveProperty('$metadata');
    expect(snapshot.objectAcls?.[KEY]).not.toHaveProperty('$metadata');
    expect(snapshot.objectAcls?.[KEY]).not.toHaveProperty('RequestCharged');
    expect(snapshot.website).not.toHaveProperty('$metadata');
  });

  it('reads a flag missing from the Public Access Block answer as off', async () => {
    s3Mock
      .on(GetPublicAccessBlockCommand)
      .resolves({ PublicAccessBlockConfiguration: { BlockPublicAcls: true } });

    const snapshot = await read();

    expect(snapshot.bucketPublicAccessBlock).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
  });

  it('turns the TagSet into a map', async () => {
    s3Mock.on(GetBucketTaggingCommand).resolves({
      TagSet: [
        { Key: 'owner', Value: 'data-team' },
        { Key: 'classification', Value: 'internal' },
      ],
    });

    const snapshot = await read();

    expect(snapshot.tags).toEqual({ owner: 'data-team', classification: 'internal' });
  });

  it('throws InvalidInputError when S3 answers with a grant outside the contract', async () => {
    s3Mock.on(GetBucketAclCommand).resolves({ Owner: OWNER, Grants: [{ Permission: 'READ' }] });

    await expect(read()).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('readBucketSnapshot: parts that do not exist', () => {
  it('treats NoSuchBucketPolicy as no policy', async () => {
    s3Mock.on(GetBucketPolicyCommand).rejects(s3Error('NoSuchBucketPolicy', 404));
    s3Mock.on(GetBucketPolicyStatusCommand).rejects(s3Error('NoSuchBucketPolicy', 404));

    const snapshot = await read();

    expect(snapshot.bucketPolicy).toBeNull();
    expect(snapshot.policyStatus).toEqual({ IsPublic: false });
    expect(snapshot.unreadable).toEqual([]);
    expect(BucketAccessSnapshotSchema.parse(snapshot).bucketPolicy).toBeNull();
  });

  it('treats a missing bucket Public Access Block as none', async () => {
    s3Mock.on(GetPublicAccessBlockCommand).rejects(s3Error('NoSuchPublicAccessBlockConfiguration', 404));

    const snapshot = await read();

    expect(snapshot.bucketPublicAccessBlock).toBeNull();
    expect(snapshot.unreadable).toEqual([]);
  });

  it('treats a missing account Public Access Block as none', async () => {
    s3ControlMock
      .on(GetAccountPublicAccessBlockCommand)
      .rejects(s3ControlError('NoSuchPublicAccessBlockConfiguration'));

    const snapshot = await read();

    expect(snapshot.accountPublicAccessBlock).toBeNull();
    expect(snapshot.unreadable).toEqual([]);
  });

  it('treats OwnershipControlsNotFoundError as no ownership controls', async () => {
    s3Mock.on(GetBucketOwnershipControlsCommand).rejects(s3Error('OwnershipControlsNotFoundError', 404));

    const snapshot = await read();

    expect(snapshot.ownershipControls).toBeNull();
    expect(snapshot.unreadable).toEqual([]);
  });

  it('treats NoSuchWebsiteConfiguration as no website', async () => {
    s3Mock.on(GetBucketWebsiteCommand).rejects(s3Error('NoSuchWebsiteConfiguration', 404));

    const snapshot = await read();

    expect(snapshot.website).toBeNull();
    expect(snapshot.unreadable).toEqual([]);
  });

  it('treats NoSuchTagSet as no tags', async () => {
    s3Mock.on(GetBucketTaggingCommand).rejects(s3Error('NoSuchTagSet', 404));

    const snapshot = await read();

    expect(snapshot.tags).toEqual({});
    expect(snapshot.unreadable).toEqual([]);
  });

  it('records a deleted object as NoSuchKey and leaves it out of objectAcls', async () => {
    s3Mock.on(GetObjectAclCommand, { Key: 'gone.txt' }).rejects(s3Error('NoSuchKey', 404));

    const snapshot = await read([KEY, 'gone.txt']);

    expect(snapshot.objectAcls).toEqual({ [KEY]: { Owner: OWNER, Grants: [] } });
    expect(snapshot.unreadable).toEqual([{ part: 'objectAcls', key: 'gone.txt', error: 'NoSuchKey' }]);
    expect(() => BucketAccessSnapshotSchema.parse(snapshot)).not.toThrow();
  });
});

describe('readBucketSnapshot: parts it may not read', () => {
  it('records AccessDenied on the bucket ACL as unreadable and leaves the field out', async () => {
    s3Mock.on(GetBucketAclCommand).rejects(s3Error('AccessDenied'));

    const snapshot = await read();

    expect(snapshot).not.toHaveProperty('bucketAcl');
    expect(snapshot.unreadable).toEqual([{ part: 'bucketAcl', error: 'AccessDenied' }]);
    expect(BucketAccessSnapshotSchema.parse(snapshot)).not.toHaveProperty('bucketAcl');
  });

  const deniedParts: { part: SnapshotPart; deny: () => void }[] = [
    { part: 'bucketPolicy', deny: () => s3Mock.on(GetBucketPolicyCommand).rejects(s3Error('AccessDenied')) },
    {
      part: 'policyStatus',
      deny: () => s3Mock.on(GetBucketPolicyStatusCommand).rejects(s3Error('AccessDenied')),
    },
    {
      part: 'bucketPublicAccessBlock',
      deny: () => s3Mock.on(GetPublicAccessBlockCommand).rejects(s3Error('AccessDenied')),
    },
    {
      part: 'accountPublicAccessBlock',
      deny: () =>
        s3ControlMock.on(GetAccountPublicAccessBlockCommand).rejects(s3ControlError('AccessDenied')),
    },
    {
      part: 'ownershipControls',
      deny: () => s3Mock.on(GetBucketOwnershipControlsCommand).rejects(s3Error('AccessDenied')),
    },
    { part: 'website', deny: () => s3Mock.on(GetBucketWebsiteCommand).rejects(s3Error('AccessDenied')) },
    { part: 'tags', deny: () => s3Mock.on(GetBucketTaggingCommand).rejects(s3Error('AccessDenied')) },
  ];
  it.each(deniedParts)(
    'records AccessDenied on $part as unreadable and leaves the field out',
    async ({ part, deny }) => {
      deny();

      const snapshot = await read();

      expect(snapshot).not.toHaveProperty(part);
      expect(snapshot.unreadable).toEqual([{ part, error: 'AccessDenied' }]);
      expect(() => BucketAccessSnapshotSchema.parse(snapshot)).not.toThrow();
    },
  );

  it('treats any HTTP 403 as AccessDenied', async () => {
    s3Mock.on(GetBucketAclCommand).rejects(s3Error('Forbidden', 403));

    const snapshot = await read();

    expect(snapshot).not.toHaveProperty('bucketAcl');
    expect(snapshot.unreadable).toEqual([{ part: 'bucketAcl', error: 'AccessDenied' }]);
  });

  it('records AccessDenied on one object ACL with its key and keeps the others', async () => {
    s3Mock.on(GetObjectAclCommand, { Key: 'secret.txt' }).rejects(s3Error('AccessDenied', 403));

    const snapshot = await read([KEY, 'secret.txt']);

    expect(Object.keys(snapshot.objectAcls ?? {})).toEqual([KEY]);
    expect(snapshot.unreadable).toEqual([{ part: 'objectAcls', key: 'secret.txt', error: 'AccessDenied' }]);
  });

  it('logs one debug line per unreadable part with bucket, part and error only', async () => {
    const debug = vi.spyOn(logger, 'debug').mockImplementation(() => {});
    s3Mock.on(GetBucketAclCommand).rejects(s3Error('AccessDenied'));
    s3Mock.on(GetObjectAclCommand, { Key: 'gone.txt' }).rejects(s3Error('NoSuchKey', 404));

    await read([KEY, 'gone.txt']);

    expect(debug.mock.calls).toEqual([
      ['snapshot part unreadable', { bucket: BUCKET, part: 'bucketAcl', error: 'AccessDenied' }],
      ['snapshot part unreadable', { bucket: BUCKET, part: 'objectAcls', error: 'NoSuchKey' }],
    ]);
  });
});

describe('readBucketSnapshot: a NoSuchBucket among the answers', () => {
  it('records a lone NoSuchBucket as an unreadable part, keeps the other parts, and does not throw', async () => {
    s3Mock.on(GetBucketTaggingCommand).rejectsOnce(s3Error('NoSuchBucket', 404));
    s3Mock.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1', $metadata: METADATA });

    const snapshot = await read();

    expect(snapshot).not.toHaveProperty('tags');
    expect(snapshot.bucketAcl).toEqual({ Owner: OWNER, Grants: [ALL_USERS_READ] });
    expect(snapshot.unreadable).toEqual([{ part: 'tags', error: 'NoSuchBucket' }]);
    expect(() => BucketAccessSnapshotSchema.parse(snapshot)).not.toThrow();
  });

  it('asks HeadBucket with ExpectedBucketOwner, once, to confirm a lone NoSuchBucket', async () => {
    s3Mock.on(GetBucketTaggingCommand).rejects(s3Error('NoSuchBucket', 404));
    s3Mock.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1', $metadata: METADATA });

    await read();

    const sent = s3Mock.commandCalls(HeadBucketCommand).map((call) => call.args[0].input);
    expect(sent).toEqual([{ Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT_ID }]);
  });

  it('sends no HeadBucket when no read says NoSuchBucket', async () => {
    s3Mock.on(GetBucketAclCommand).rejects(s3Error('AccessDenied', 403));

    await read();

    expect(s3Mock.commandCalls(HeadBucketCommand)).toHaveLength(0);
  });

  it('throws BucketNotFoundError when HeadBucket confirms a lone NoSuchBucket with a 404', async () => {
    const missing = s3Error('NoSuchBucket', 404);
    s3Mock.on(GetBucketTaggingCommand).rejects(missing);
    s3Mock.on(HeadBucketCommand).rejects(s3Error('NotFound', 404));

    const error = await read().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(BucketNotFoundError);
    expect(error).toMatchObject({ name: 'BucketNotFoundError', bucket: BUCKET, cause: missing });
  });

  it('records the NoSuchBucket as unreadable when HeadBucket is refused (403, as for a wrong expected owner)', async () => {
    s3Mock.on(GetBucketTaggingCommand).rejects(s3Error('NoSuchBucket', 404));
    s3Mock.on(HeadBucketCommand).rejects(s3Error('Forbidden', 403));

    const snapshot = await read();

    expect(snapshot.unreadable).toEqual([{ part: 'tags', error: 'NoSuchBucket' }]);
  });

  it('records the NoSuchBucket as unreadable when HeadBucket is still throttled', async () => {
    s3Mock.on(GetBucketTaggingCommand).rejects(s3Error('NoSuchBucket', 404));
    s3Mock.on(HeadBucketCommand).rejects(s3Error('SlowDown', 503));

    const snapshot = await read();

    expect(snapshot.unreadable).toEqual([{ part: 'tags', error: 'NoSuchBucket' }]);
  });

  it('records a NoSuchBucket on one object ACL under its key when HeadBucket finds the bucket', async () => {
    s3Mock.on(GetObjectAclCommand, { Key: 'b.txt' }).rejects(s3Error('NoSuchBucket', 404));
    s3Mock.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1', $metadata: METADATA });

    const snapshot = await read(['a.txt', 'b.txt']);

    expect(Object.keys(snapshot.objectAcls ?? {})).toEqual(['a.txt']);
    expect(snapshot.unreadable).toEqual([{ part: 'objectAcls', key: 'b.txt', error: 'NoSuchBucket' }]);
  });

  it('throws BucketNotFoundError, without HeadBucket, when every read naming the bucket says NoSuchBucket', async () => {
    s3Mock.onAnyCommand().rejects(s3Error('NoSuchBucket', 404));

    await expect(read()).rejects.toBeInstanceOf(BucketNotFoundError);
    expect(s3Mock.commandCalls(HeadBucketCommand)).toHaveLength(0);
  });

  it('confirms with HeadBucket when the other reads were throttled rather than saying NoSuchBucket', async () => {
    s3Mock.onAnyCommand().rejects(s3Error('SlowDown', 503));
    s3Mock.on(GetBucketAclCommand).rejects(s3Error('NoSuchBucket', 404));
    s3Mock.on(HeadBucketCommand).rejects(s3Error('NotFound', 404));

    await expect(read()).rejects.toBeInstanceOf(BucketNotFoundError);
    expect(s3Mock.commandCalls(HeadBucketCommand)).toHaveLength(1);
  });
});

describe('readBucketSnapshot: reads still failing after the SDK retries', () => {
  const failures = [
    { code: 'SlowDown', error: () => s3Error('SlowDown', 503) },
    { code: 'InternalError', error: () => s3Error('InternalError', 500) },
    { code: 'ServiceUnavailable', error: () => s3Error('ServiceUnavailable', 503) },
    { code: 'ECONNRESET', error: () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) },
  ];
  it.each(failures)(
    'records $code on the bucket ACL as unreadable and reads the rest',
    async ({ code, error }) => {
      s3Mock.on(GetBucketAclCommand).rejects(error());

      const snapshot = await read();

      expect(snapshot).not.toHaveProperty('bucketAcl');
      expect(snapshot.bucketPolicy).toBe(POLICY_TEXT);
      expect(snapshot.unreadable).toEqual([{ part: 'bucketAcl', error: code }]);
      expect(() => BucketAccessSnapshotSchema.parse(snapshot)).not.toThrow();
    },
  );

  it('records SlowDown on the account Public Access Block as unreadable', async () => {
    s3ControlMock.on(GetAccountPublicAccessBlockCommand).rejects(
      new S3ControlServiceException({
        name: 'SlowDown',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
        message: 'SlowDown (test)',
      }),
    );

    const snapshot = await read();

    expect(snapshot).not.toHaveProperty('accountPublicAccessBlock');
    expect(snapshot.unreadable).toEqual([{ part: 'accountPublicAccessBlock', error: 'SlowDown' }]);
  });

  it('records InternalError on one object ACL under its key and reads the other keys', async () => {
    s3Mock.on(GetObjectAclCommand, { Key: 'b.txt' }).rejects(s3Error('InternalError', 500));

    const snapshot = await read(['a.txt', 'b.txt', 'c.txt']);

    expect(Object.keys(snapshot.objectAcls ?? {})).toEqual(['a.txt', 'c.txt']);
    expect(snapshot.unreadable).toEqual([{ part: 'objectAcls', key: 'b.txt', error: 'InternalError' }]);
    expect(s3Mock.commandCalls(GetObjectAclCommand)).toHaveLength(3);
  });

  it("rethrows one throttled part's SDK error unchanged when asked to (transientFailures: 'throw')", async () => {
    const throttled = s3Error('SlowDown', 503);
    s3Mock.on(GetBucketAclCommand).rejects(throttled);

    const reading = readBucketSnapshot(clients, {
      accountId: ACCOUNT_ID,
      bucket: BUCKET,
      transientFailures: 'throw',
    });

    await expect(reading).rejects.toBe(throttled);
  });

  it("still records AccessDenied as unreadable with transientFailures: 'throw'", async () => {
    s3Mock.on(GetBucketAclCommand).rejects(s3Error('AccessDenied', 403));

    const snapshot = await readBucketSnapshot(clients, {
      accountId: ACCOUNT_ID,
      bucket: BUCKET,
      transientFailures: 'throw',
    });

    expect(snapshot.unreadable).toEqual([{ part: 'bucketAcl', error: 'AccessDenied' }]);
  });

  it('rethrows the SDK error unchanged when every read naming the bucket is still throttled', async () => {
    const throttled = s3Error('SlowDown', 503);
    s3Mock.onAnyCommand().rejects(throttled);

    await expect(read()).rejects.toBe(throttled);
  });
});

describe('readBucketSnapshot: errors that are no AWS answer', () => {
  it('rethrows an error that is no AWS answer unchanged', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    s3Mock.on(GetBucketTaggingCommand).callsFake(() => {
      throw bug;
    });

    await expect(read()).rejects.toBe(bug);
  });

  it('starts no further GetObjectAcl call after one answers outside the contract', async () => {
    s3Mock.on(GetObjectAclCommand).resolves({ Owner: OWNER, Grants: [{ Permission: 'READ' }] });

    await expect(read(['a', 'b', 'c', 'd'], 1)).rejects.toBeInstanceOf(InvalidInputError);

    expect(s3Mock.commandCalls(GetObjectAclCommand)).toHaveLength(1);
  });
});

describe('readBucketSnapshot: object ACL concurrency', () => {
  const keys = Array.from({ length: 20 }, (_, index) => `objects/${index}.txt`);

  /** Answers GetObjectAcl after a pause, recording the most calls in flight at once. */
  function trackInFlight(): { readonly max: () => number } {
    let inFlight = 0;
    let max = 0;
    s3Mock.on(GetObjectAclCommand).callsFake(async () => {
      inFlight += 1;
      max = Math.max(max, inFlight);
      await delay(5);
      inFlight -= 1;
      return { Owner: OWNER, Grants: [] };
    });
    return { max: () => max };
  }

  it('never runs more than N GetObjectAcl calls at once', async () => {
    const tracker = trackInFlight();

    await read(keys, 3);

    expect(tracker.max()).toBe(3);
    expect(s3Mock.commandCalls(GetObjectAclCommand)).toHaveLength(keys.length);
  });

  it('runs at most 8 GetObjectAcl calls at once by default', async () => {
    const tracker = trackInFlight();

    await read(keys);

    expect(tracker.max()).toBe(8);
  });

  it('returns results in key order', async () => {
    const ordered = ['slow.txt', 'medium.txt', 'fast.txt'];
    const pause: Record<string, number> = { 'slow.txt': 30, 'medium.txt': 15, 'fast.txt': 0 };
    s3Mock.on(GetObjectAclCommand).callsFake(async (input: { Key: string }) => {
      await delay(pause[input.Key] ?? 0);
      return { Owner: { ID: input.Key }, Grants: [] };
    });

    const snapshot = await read(ordered, 3);

    expect(Object.entries(snapshot.objectAcls ?? {})).toEqual(
      ordered.map((key) => [key, { Owner: { ID: key }, Grants: [] }]),
    );
  });
});

describe('mapWithConcurrency', () => {
  it('returns results in input order, whatever order they finish in', async () => {
    const results = await mapWithConcurrency([30, 0, 15], 3, async (ms, index) => {
      await delay(ms);
      return `${index}:${ms}`;
    });

    expect(results).toEqual(['0:30', '1:0', '2:15']);
  });

  it('calls nothing for no items', async () => {
    const fn = vi.fn(async () => 1);

    await expect(mapWithConcurrency([], 4, fn)).resolves.toEqual([]);
    expect(fn).not.toHaveBeenCalled();
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects a limit of %s', async (limit) => {
    await expect(mapWithConcurrency([1], limit, async (item) => item)).rejects.toBeInstanceOf(RangeError);
  });

  it('rethrows the first failure', async () => {
    const failure = new Error('boom');

    await expect(
      mapWithConcurrency([1, 2, 3], 2, async (item) => {
        if (item === 2) throw failure;
        return item;
      }),
    ).rejects.toBe(failure);
  });
});
