import { ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { listObjectKeys } from '../../../tasks/classify-exposure/list-objects.js';

const ACCOUNT_ID = '111122223333';
const BUCKET = 'example-bucket';

const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const s3Mock = mockClient(S3Client);

function s3Error(name: string, httpStatusCode: number): S3ServiceException {
  const $fault = httpStatusCode >= 500 ? 'server' : 'client';
  return new S3ServiceException({ name, $fault, $metadata: { httpStatusCode }, message: `${name} (test)` });
}

function list(limit = 10) {
  return listObjectKeys(s3, { bucket: BUCKET, accountId: ACCOUNT_ID, limit });
}

function contents(...keys: string[]) {
  return keys.map((Key) => ({ Key }));
}

beforeEach(() => {
  s3Mock.reset();
});

describe('listObjectKeys', () => {
  it('follows the continuation token, sending ExpectedBucketOwner on every page', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({ Contents: contents('a', 'b'), IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: contents('c'), IsTruncated: false });

    await expect(list()).resolves.toEqual({ keys: ['a', 'b', 'c'], truncated: false });
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input)).toEqual([
      { Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT_ID, MaxKeys: 10, ContinuationToken: undefined },
      { Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT_ID, MaxKeys: 8, ContinuationToken: 't1' },
    ]);
  });

  it('stops at the limit and says the listing is truncated, with no error', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolves({ Contents: contents('a', 'b'), IsTruncated: true, NextContinuationToken: 't1' });

    await expect(list(2)).resolves.toEqual({ keys: ['a', 'b'], truncated: true });
    expect(s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(1);
  });

  it('returns an incomplete listing naming AccessDenied instead of throwing', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(s3Error('AccessDenied', 403));

    await expect(list()).resolves.toEqual({ keys: [], truncated: true, error: 'AccessDenied' });
  });

  it('keeps the keys of the pages read before a page still throttled after the SDK retries', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({ Contents: contents('a', 'b'), IsTruncated: true, NextContinuationToken: 't1' })
      .rejectsOnce(s3Error('SlowDown', 503));

    await expect(list()).resolves.toEqual({ keys: ['a', 'b'], truncated: true, error: 'SlowDown' });
  });

  it('rethrows an error that is no AWS answer unchanged', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    s3Mock.on(ListObjectsV2Command).callsFake(() => {
      throw bug;
    });

    await expect(list()).rejects.toBe(bug);
  });
});
