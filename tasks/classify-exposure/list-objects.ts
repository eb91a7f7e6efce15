import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { unreadableCode } from '../shared/aws-errors.js';

/** The keys a listing found, and whether they are all of the bucket's. */
export interface ObjectListing {
  /** The keys listed, in S3's order. */
  readonly keys: string[];
  /**
   * True when the bucket may hold keys not in `keys`: the listing stopped at the limit, or a
   * call failed (then `error` says which way).
   */
  readonly truncated: boolean;
  /** The AWS error code that stopped the listing (AccessDenied, SlowDown, …), if one did. */
  readonly error?: string;
}

/**
 * Lists up to `limit` object keys of a bucket (with ExpectedBucketOwner). Used when a change at
 * bucket or account level (Block Public Access off, ACLs enabled again) may have brought stored
 * object ACLs back into force, so the object ACLs worth reading are not named by the event.
 *
 * A ListObjectsV2 call that AWS answers with a failure (refused, throttled after the SDK's
 * retries, 5xx, NoSuchBucket) does not throw: the keys listed so far come back, marked
 * incomplete with the error, so the caller records the rest as unread instead of losing the
 * whole classification. Whether the bucket is gone is for the snapshot read to decide.
 *
 * @throws any error that is no AWS answer, unchanged.
 */
export async function listObjectKeys(
  s3: S3Client,
  options: { bucket: string; accountId: string; limit: number },
): Promise<ObjectListing> {
  const keys: string[] = [];
  let token: string | undefined;
  while (keys.length < options.limit) {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await s3.send(
        new ListObjectsV2Command({
          Bucket: options.bucket,
          ExpectedBucketOwner: options.accountId,
          MaxKeys: Math.min(1000, options.limit - keys.length),
          ContinuationToken: token,
        }),
      );
    } catch (error) {
      const code = unreadableCode(error);
      if (code === undefined) throw error;
      return { keys, truncated: true, error: code };
    }
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (!token) return { keys, truncated: false };
  }
  return { keys, truncated: true };
}
