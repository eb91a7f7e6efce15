/**
 * The adapter that asks S3 about a bucket itself: which Region it lives in (S3 answers a call
 * sent to another Region with a redirect instead of the configuration, so a bucket is read where
 * it is), and whether it is gone.
 */
import { GetBucketLocationCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { classifyAwsError, errorName, httpStatus, responseHeader } from '../shared/aws-errors.js';
import { BucketNotFoundError, ResponderError } from '../shared/errors.js';

/** Neither HeadBucket nor GetBucketLocation told the bucket's Region. */
export class BucketRegionUnknownError extends ResponderError {
  override name = 'BucketRegionUnknownError';
  constructor(
    readonly bucket: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot find the Region of bucket ${bucket}: ${why}; give the Region explicitly`, options);
  }
}

/** Which bucket, and the account that must own it (sent as `ExpectedBucketOwner`). */
export interface BucketRegionOptions {
  readonly bucket: string;
  readonly accountId: string;
}

/** S3 names the bucket's Region in this header, on errors and redirects too. */
const REGION_HEADER = 'x-amz-bucket-region';

/** A HEAD answer has no body, so a missing bucket shows only as 404 ("NotFound"). */
function isMissingBucket(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NoSuchBucket' || name === 'NotFound' || httpStatus(error) === 404;
}

function isRefused(error: unknown): boolean {
  return errorName(error) === 'AccessDenied' || httpStatus(error) === 403;
}

/**
 * GetBucketLocation's LocationConstraint as a Region: S3 gives none (null or empty) for
 * us-east-1, and "EU" for eu-west-1 on buckets created with that legacy name.
 */
export function regionOfLocation(constraint: string | null | undefined): string {
  if (constraint === undefined || constraint === null || constraint === '') return 'us-east-1';
  return constraint === 'EU' ? 'eu-west-1' : constraint;
}

async function regionFromLocation(
  s3: S3Client,
  options: BucketRegionOptions,
  headWhy: string,
): Promise<string> {
  try {
    const answer = await s3.send(
      new GetBucketLocationCommand({ Bucket: options.bucket, ExpectedBucketOwner: options.accountId }),
    );
    return regionOfLocation(answer.LocationConstraint);
  } catch (error) {
    const region = responseHeader(error, REGION_HEADER);
    if (region !== undefined) return region;
    if (isMissingBucket(error)) throw new BucketNotFoundError(options.bucket, { cause: error });
    if (isRefused(error)) {
      throw new BucketRegionUnknownError(options.bucket, `${headWhy}, and GetBucketLocation was refused`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Finds the Region of a bucket through S3: HeadBucket's `BucketRegion`, or the
 * `x-amz-bucket-region` header S3 sends even when it redirects (301) or refuses (403) the
 * call; else GetBucketLocation. Both calls carry `ExpectedBucketOwner`. The client may be
 * set to any Region of the bucket's partition.
 *
 * @throws BucketNotFoundError when the bucket does not exist.
 * @throws BucketRegionUnknownError when both calls are refused without naming the Region.
 * @throws the SDK's error, unchanged, for any other failure (throttling, 5xx).
 */
export async function findBucketRegion(s3: S3Client, options: BucketRegionOptions): Promise<string> {
  let headWhy: string;
  try {
    const answer = await s3.send(
      new HeadBucketCommand({ Bucket: options.bucket, ExpectedBucketOwner: options.accountId }),
    );
    if (answer.BucketRegion) return answer.BucketRegion;
    headWhy = 'HeadBucket did not name the Region';
  } catch (error) {
    const region = responseHeader(error, REGION_HEADER);
    if (region !== undefined) return region;
    if (isMissingBucket(error)) throw new BucketNotFoundError(options.bucket, { cause: error });
    // Refused without the header: GetBucketLocation needs another permission and may still answer.
    if (!isRefused(error)) throw error;
    headWhy = 'HeadBucket was refused';
  }
  return regionFromLocation(s3, options, headWhy);
}

/**
 * Whether HeadBucket, sent with `ExpectedBucketOwner`, says the bucket does not exist. Only a
 * "not found" answer (404, which the SDK names NotFound, or NoSuchBucket) confirms it: a 403,
 * which is also what a wrong expected owner gets, or a call that still fails after the SDK's
 * retries cannot, so both answer false.
 *
 * @throws the error, unchanged, when it is no AWS answer at all.
 */
export async function isBucketGone(s3: S3Client, options: BucketRegionOptions): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: options.bucket, ExpectedBucketOwner: options.accountId }));
    return false;
  } catch (error) {
    if (isMissingBucket(error)) return true;
    if (classifyAwsError(error) === 'unknown') throw error;
    return false;
  }
}
