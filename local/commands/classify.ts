import { classifyExposure } from '../../tasks/classify-exposure/classify.js';
import {
  type BucketAccessSnapshot,
  BucketAccessSnapshotSchema,
  type ExposureVerdict,
} from '../../tasks/shared/contracts.js';
import { parseOrThrow } from '../../tasks/shared/validation.js';
import { parseJson, readInput } from '../input.js';

/**
 * Validates one snapshot or an array of them. Every snapshot is checked before any verdict is
 * made, so bad input never leaves half an answer on stdout.
 */
export function parseSnapshots(input: unknown): { snapshots: BucketAccessSnapshot[]; isArray: boolean } {
  const isArray = Array.isArray(input);
  const items: unknown[] = isArray ? input : [input];
  const snapshots = items.map((item, index) =>
    parseOrThrow(BucketAccessSnapshotSchema, item, `snapshot ${index}`),
  );
  return { snapshots, isArray };
}

/** `classify --snapshot FILE|-`: verdicts in input order, one object for one snapshot. */
export async function classifySnapshotFile(file: string): Promise<ExposureVerdict | ExposureVerdict[]> {
  const { snapshots, isArray } = parseSnapshots(
    parseJson(await readInput(file), file === '-' ? 'standard input' : file),
  );
  const verdicts = snapshots.map(classifyExposure);
  return isArray ? verdicts : (verdicts[0] as ExposureVerdict);
}

/**
 * `classify --bucket NAME [--key K]`: reads the live bucket through the default credential chain,
 * in the bucket's own Region: `region` when given, else the one S3 names for the bucket.
 */
export async function classifyLiveBucket(options: {
  bucket: string;
  keys: string[];
  account?: string;
  region?: string;
}): Promise<ExposureVerdict> {
  // Loaded on demand: the SDK takes longer to load than classifying thousands of snapshots.
  const [{ callerAccount, createAwsClients }, { readBucketSnapshot }, { findBucketRegion }] =
    await Promise.all([
      import('../../tasks/shared/aws-clients.js'),
      import('../../tasks/classify-exposure/read-snapshot.js'),
      import('../../tasks/classify-exposure/bucket-region.js'),
    ]);
  const clientOptions = options.region ? { region: options.region } : {};
  const accountId = options.account ?? (await callerAccount(clientOptions));
  // Asked from the environment's Region: S3 answers there for a bucket of any Region in the partition.
  const region =
    options.region ??
    (await findBucketRegion(createAwsClients(clientOptions).s3, { bucket: options.bucket, accountId }));
  const snapshot = await readBucketSnapshot(createAwsClients({ region }), {
    accountId,
    bucket: options.bucket,
    objectKeys: options.keys,
  });
  return classifyExposure(BucketAccessSnapshotSchema.parse(snapshot));
}
