import {
  GetBucketLocationCommand,
  HeadBucketCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BucketRegionUnknownError,
  findBucketRegion,
  isBucketGone,
  regionOfLocation,
} from '../../../tasks/classify-exposure/bucket-region.js';
import { BucketNotFoundError } from '../../../tasks/shared/errors.js';

const ACCOUNT_ID = '111122223333';
const BUCKET = 'example-bucket';
const TARGET = { Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT_ID };

const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const s3Mock = mockClient(S3Client);

/**
 * An S3 error as the SDK throws it: a HEAD answer has no body, so a 301 or 403 is named only by
 * its status ("Unknown"), and the Region travels in the `x-amz-bucket-region` header.
 */
function s3Error(name: string, httpStatusCode: number, headers: Record<string, string> = {}) {
  const error = new S3ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message: `${name} (test)`,
  });
  error.$response = { statusCode: httpStatusCode, headers, body: undefined };
  return error;
}

function find() {
  return findBucketRegion(s3, { bucket: BUCKET, accountId: ACCOUNT_ID });
}

beforeEach(() => {
  s3Mock.reset();
});

describe('findBucketRegion', () => {
  it("takes HeadBucket's BucketRegion, asking with ExpectedBucketOwner, and sends nothing else", async () => {
    s3Mock.on(HeadBucketCommand).resolves({ BucketRegion: 'eu-central-1' });
    await expect(find()).resolves.toBe('eu-central-1');
    expect(s3Mock.commandCalls(HeadBucketCommand).map((c) => c.args[0].input)).toEqual([TARGET]);
    expect(s3Mock.calls()).toHaveLength(1);
  });

  it('reads the Region from the header of a 301 redirect (asked in the wrong Region)', async () => {
    s3Mock
      .on(HeadBucketCommand)
      .rejects(s3Error('Unknown', 301, { 'x-amz-bucket-region': 'ap-southeast-2' }));
    await expect(find()).resolves.toBe('ap-southeast-2');
    expect(s3Mock.commandCalls(GetBucketLocationCommand)).toHaveLength(0);
  });

  it('reads the Region from the header of a 403, which S3 names whatever the permissions', async () => {
    s3Mock.on(HeadBucketCommand).rejects(s3Error('Unknown', 403, { 'X-Amz-Bucket-Region': 'sa-east-1' }));
    await expect(find()).resolves.toBe('sa-east-1');
    expect(s3Mock.commandCalls(GetBucketLocationCommand)).toHaveLength(0);
  });

  it('throws BucketNotFoundError on a 404 and does not ask again', async () => {
    s3Mock.on(HeadBucketCommand).rejects(s3Error('NotFound', 404));
    const error = await find().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BucketNotFoundError);
    expect(error).toMatchObject({ bucket: BUCKET });
    expect(s3Mock.commandCalls(GetBucketLocationCommand)).toHaveLength(0);
  });

  it('asks GetBucketLocation, with ExpectedBucketOwner, when HeadBucket is refused without the header', async () => {
    s3Mock.on(HeadBucketCommand).rejects(s3Error('Unknown', 403));
    s3Mock.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'eu-west-3' });
    await expect(find()).resolves.toBe('eu-west-3');
    expect(s3Mock.commandCalls(GetBucketLocationCommand).map((c) => c.args[0].input)).toEqual([TARGET]);
  });

  it('asks GetBucketLocation when HeadBucket answers without a Region', async () => {
    s3Mock.on(HeadBucketCommand).resolves({});
    s3Mock.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'us-west-2' });
    await expect(find()).resolves.toBe('us-west-2');
    expect(s3Mock.commandCalls(GetBucketLocationCommand)).toHaveLength(1);
  });

  it('reads no LocationConstraint from GetBucketLocation as us-east-1', async () => {
    s3Mock.on(HeadBucketCommand).resolves({});
    s3Mock.on(GetBucketLocationCommand).resolves({});
    await expect(find()).resolves.toBe('us-east-1');
  });

  it('reads the legacy LocationConstraint "EU" from GetBucketLocation as eu-west-1', async () => {
    s3Mock.on(HeadBucketCommand).resolves({});
    s3Mock.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'EU' });
    await expect(find()).resolves.toBe('eu-west-1');
  });

  it('throws BucketRegionUnknownError, named for the workflow, when both calls are refused', async () => {
    s3Mock.on(HeadBucketCommand).rejects(s3Error('Unknown', 403));
    s3Mock.on(GetBucketLocationCommand).rejects(s3Error('AccessDenied', 403));
    const error = await find().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BucketRegionUnknownError);
    expect(error).toMatchObject({
      name: 'BucketRegionUnknownError',
      bucket: BUCKET,
      message: expect.stringMatching(/HeadBucket was refused, and GetBucketLocation was refused/),
    });
  });

  it('throws BucketNotFoundError when GetBucketLocation says NoSuchBucket', async () => {
    s3Mock.on(HeadBucketCommand).resolves({});
    s3Mock.on(GetBucketLocationCommand).rejects(s3Error('NoSuchBucket', 404));
    await expect(find()).rejects.toBeInstanceOf(BucketNotFoundError);
  });

  it('rethrows a throttled or failed HeadBucket unchanged, without falling back', async () => {
    const throttled = s3Error('SlowDown', 503);
    s3Mock.on(HeadBucketCommand).rejects(throttled);
    await expect(find()).rejects.toBe(throttled);
    expect(s3Mock.commandCalls(GetBucketLocationCommand)).toHaveLength(0);
  });
});

describe('regionOfLocation', () => {
  it('keeps a named Region as it is', () => {
    expect(regionOfLocation('ap-northeast-1')).toBe('ap-northeast-1');
  });

  it.each([null, undefined, ''])('reads %j as us-east-1', (constraint) => {
    expect(regionOfLocation(constraint)).toBe('us-east-1');
  });
});

describe('isBucketGone', () => {
  const gone = () => isBucketGone(s3, { bucket: BUCKET, accountId: ACCOUNT_ID });

  it('asks HeadBucket with ExpectedBucketOwner and answers false when it finds the bucket', async () => {
    s3Mock.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' });
    await expect(gone()).resolves.toBe(false);
    expect(s3Mock.commandCalls(HeadBucketCommand).map((c) => c.args[0].input)).toEqual([TARGET]);
  });

  it('answers true on a 404', async () => {
    s3Mock.on(HeadBucketCommand).rejects(s3Error('NotFound', 404));
    await expect(gone()).resolves.toBe(true);
  });

  it('answers false on a 403, which a wrong expected owner also gets', async () => {
    s3Mock.on(HeadBucketCommand).rejects(s3Error('Unknown', 403));
    await expect(gone()).resolves.toBe(false);
  });

  it('answers false when HeadBucket is still throttled', async () => {
    s3Mock.on(HeadBucketCommand).rejects(s3Error('SlowDown', 503));
    await expect(gone()).resolves.toBe(false);
  });

  it('rethrows an error that is no AWS answer unchanged', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    s3Mock.on(HeadBucketCommand).callsFake(() => {
      throw bug;
    });
    await expect(gone()).rejects.toBe(bug);
  });
});
