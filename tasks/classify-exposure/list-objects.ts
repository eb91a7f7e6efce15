import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/**
 * Lists up to `limit` object keys of a bucket (with ExpectedBucketOwner). Used when a change at
 * bucket or account level (Block Public Access off, ACLs enabled again) may have brought stored
 * object ACLs back into force, so the object ACLs worth reading are not named by the event.
 */
export async function listObjectKeys(
  s3: S3Client,
  options: { bucket: string; accountId: string; limit: number },
): Promise<{ keys: string[]; truncated: boolean }> {
  const keys: string[] = [];
  let token: string | undefined;
  while (keys.length < options.limit) {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: options.bucket,
        ExpectedBucketOwner: options.accountId,
        MaxKeys: Math.min(1000, options.limit - keys.length),
        ContinuationToken: token,
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (!token) return { keys, truncated: false };
  }
  return { keys, truncated: true };
}
