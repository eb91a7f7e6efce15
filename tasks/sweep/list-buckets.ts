import { ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';

/** A bucket as ListBuckets names it, with its Region when S3 gives it. */
export interface ListedBucket {
  readonly name: string;
  /** S3 names each bucket's Region on a paged ListBuckets; without it, GetBucketLocation tells. */
  readonly region: string | null;
}

export interface BucketListing {
  readonly buckets: ListedBucket[];
  /** True when the account holds buckets past `limit`, left for the next sweep. */
  readonly truncated: boolean;
  /** ListBuckets calls made. */
  readonly pages: number;
}

/** S3's largest page (MaxBuckets is 1 to 1,000). */
export const MAX_PAGE_SIZE = 1000;

/**
 * Lists the account's buckets page by page (MaxBuckets, ContinuationToken): S3 answers an
 * unpaged ListBuckets only for accounts within the default quota of 10,000 buckets, and a page
 * also names each bucket's Region. Stops once `limit` buckets are listed.
 */
export async function listBuckets(
  s3: S3Client,
  options: { readonly pageSize: number; readonly limit: number },
): Promise<BucketListing> {
  const buckets: ListedBucket[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await s3.send(
      new ListBucketsCommand({
        MaxBuckets: Math.min(options.pageSize, MAX_PAGE_SIZE),
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    pages++;
    for (const bucket of page.Buckets ?? []) {
      if (bucket.Name) buckets.push({ name: bucket.Name, region: bucket.BucketRegion || null });
    }
    token = page.ContinuationToken || undefined;
  } while (token && buckets.length < options.limit);
  return {
    buckets: buckets.slice(0, options.limit),
    truncated: buckets.length > options.limit || token !== undefined,
    pages,
  };
}
