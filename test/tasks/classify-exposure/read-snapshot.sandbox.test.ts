/**
 * readBucketSnapshot against the sandbox account: real SDK clients, so the SDK's own retries run
 * and its errors have the names and statuses it gives them (a HEAD 404 is "NotFound"). Kept apart
 * from the aws-sdk-client-mock tests, since mockClient replaces `send` on every S3Client.
 */
import { describe, expect, it } from 'vitest';
import type { SandboxAccount } from '../../../local/sandbox/sandbox-account.js';
import { readBucketSnapshot } from '../../../tasks/classify-exposure/read-snapshot.js';
import { BucketNotFoundError } from '../../../tasks/shared/errors.js';
import { ACCOUNT, testSandbox } from '../../local/sandbox/support.js';

const BUCKET = 'acme-reports';
const KEY = 'reports/2024/q3-summary.csv';

function read(sandbox: SandboxAccount, objectKeys: readonly string[] = []) {
  return readBucketSnapshot(sandbox.clients(), { accountId: ACCOUNT, bucket: BUCKET, objectKeys });
}

function outcomes(sandbox: SandboxAccount, operation: string): string[] {
  return sandbox.calls.filter((call) => call.operation === operation).map((call) => call.outcome);
}

describe('readBucketSnapshot on the sandbox', () => {
  it('records SlowDown as unreadable once the SDK has given up retrying it', async () => {
    const sandbox = testSandbox();
    sandbox.injectFault({ service: 's3', operation: 'GetBucketAcl', error: 'SlowDown', times: 3 });

    const snapshot = await read(sandbox);

    expect(outcomes(sandbox, 'GetBucketAcl')).toEqual(['SlowDown', 'SlowDown', 'SlowDown']);
    expect(snapshot).not.toHaveProperty('bucketAcl');
    expect(snapshot.unreadable).toEqual([{ part: 'bucketAcl', error: 'SlowDown' }]);
  });

  it('records a lone NoSuchBucket as unreadable after HeadBucket finds the bucket', async () => {
    const sandbox = testSandbox();
    sandbox.injectFault({ service: 's3', operation: 'GetBucketTagging', error: 'NoSuchBucket', times: 1 });

    const snapshot = await read(sandbox);

    expect(snapshot.unreadable).toEqual([{ part: 'tags', error: 'NoSuchBucket' }]);
    expect(sandbox.calls.filter((call) => call.operation === 'HeadBucket')).toEqual([
      expect.objectContaining({ input: { Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT }, outcome: 'ok' }),
    ]);
  });

  it('throws BucketNotFoundError for a bucket that is not in the account', async () => {
    const sandbox = testSandbox();
    delete sandbox.world.buckets[BUCKET];

    await expect(read(sandbox, [KEY])).rejects.toBeInstanceOf(BucketNotFoundError);
  });
});
