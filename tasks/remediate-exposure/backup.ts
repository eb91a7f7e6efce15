import {
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { errorName } from '../shared/aws-errors.js';
import {
  type BucketAccessSnapshotInput,
  BucketAccessSnapshotSchema,
  type PublicAccessBlock,
} from '../shared/contracts.js';
import { InvalidInputError, ResponderError } from '../shared/errors.js';

/** The backup could not be written: nothing is changed without one. */
export class BackupFailedError extends ResponderError {
  override name = 'BackupFailedError';
}

export const BACKUP_FORMAT = 's3-exposure-backup/1';

/** A backup as stored: the complete prior configuration, policy text exactly as S3 returned it. */
export const BackupSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  incidentId: z.string(),
  executionId: z.string(),
  takenAt: z.string(),
  // Kept in its input form (the policy as text), checked against the snapshot contract.
  snapshot: z.custom<BucketAccessSnapshotInput>(
    (value) => BucketAccessSnapshotSchema.safeParse(value).success,
    {
      message: 'not a BucketAccessSnapshot',
    },
  ),
});
export type Backup = z.infer<typeof BackupSchema>;

/** The evidence bucket of an account: configured, or named after the account and Region. */
export function evidenceBucketName(
  configured: string | undefined,
  accountId: string,
  region: string,
): string {
  return configured ?? `s3-exposure-evidence-${accountId}-${region}`;
}

function parseLocation(location: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match?.[1] || !match[2]) throw new InvalidInputError(`not a backup location: ${location}`);
  return { bucket: match[1], key: match[2] };
}

const BLOCK_PUBLIC_ACCESS_FLAGS: readonly (keyof PublicAccessBlock)[] = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
];

/**
 * Why the evidence bucket is not private, or null when it is. A backup holds a bucket's whole
 * access configuration; written to a public bucket, it would tell anyone how to get in. Private
 * here means all four of the bucket's own Block Public Access flags on, as the stack (and the
 * sandbox) create it: those alone keep any policy or ACL from making it public. The account's
 * flags are not read: this task has no S3 Control client, and the bucket should not depend on them.
 *
 * @throws BackupFailedError when S3 will not say.
 */
async function whyNotPrivate(s3: S3Client, bucket: string, accountId: string): Promise<string | null> {
  let flags: Partial<PublicAccessBlock> | undefined;
  try {
    const answer = await s3.send(
      new GetPublicAccessBlockCommand({ Bucket: bucket, ExpectedBucketOwner: accountId }),
    );
    flags = answer.PublicAccessBlockConfiguration;
  } catch (error) {
    if (errorName(error) === 'NoSuchPublicAccessBlockConfiguration') {
      return 'it has no Block Public Access configuration';
    }
    throw new BackupFailedError(
      `could not check that the evidence bucket ${bucket} is private: ${errorName(error) ?? String(error)}; the backup was not written and nothing was changed`,
      { cause: error },
    );
  }
  const off = BLOCK_PUBLIC_ACCESS_FLAGS.filter((flag) => flags?.[flag] !== true);
  if (off.length === 0) return null;
  return `Block Public Access ${off.join(', ')} ${off.length === 1 ? 'is' : 'are'} off`;
}

/**
 * Writes the backup to the evidence bucket (one object per backup, never overwritten) and
 * returns its location, after checking that the bucket is private. Any failure, and an evidence
 * bucket that is not private, is a BackupFailedError: the caller changes nothing.
 */
export async function writeBackup(
  s3: S3Client,
  input: {
    evidenceBucket: string;
    accountId: string;
    incidentId: string;
    executionId: string;
    snapshot: BucketAccessSnapshotInput;
    now: Date;
  },
): Promise<string> {
  const problem = await whyNotPrivate(s3, input.evidenceBucket, input.accountId);
  if (problem !== null) {
    throw new BackupFailedError(
      `the evidence bucket ${input.evidenceBucket} is not private (${problem}): the backup was not written and nothing was changed`,
    );
  }
  const takenAt = input.now.toISOString();
  const key = `backups/${input.snapshot.bucket}/${input.incidentId}/${takenAt.replaceAll(':', '-')}.json`;
  const backup: Backup = {
    format: BACKUP_FORMAT,
    incidentId: input.incidentId,
    executionId: input.executionId,
    takenAt,
    snapshot: input.snapshot,
  };
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: input.evidenceBucket,
        Key: key,
        Body: JSON.stringify(backup, null, 2),
        ContentType: 'application/json',
        ExpectedBucketOwner: input.accountId,
        ServerSideEncryption: 'AES256',
      }),
    );
  } catch (error) {
    throw new BackupFailedError(
      `could not write the backup to s3://${input.evidenceBucket}/${key}: ${error instanceof Error ? error.name : String(error)}; nothing was changed`,
      { cause: error },
    );
  }
  return `s3://${input.evidenceBucket}/${key}`;
}

/** Reads a backup back (for rollback), validating its format. */
export async function readBackup(s3: S3Client, location: string, accountId: string): Promise<Backup> {
  const { bucket, key } = parseLocation(location);
  const answer = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, ExpectedBucketOwner: accountId }),
  );
  const text = (await answer.Body?.transformToString('utf8')) ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`the backup at ${location} is not JSON`);
  }
  const backup = BackupSchema.safeParse(parsed);
  if (!backup.success)
    throw new InvalidInputError(`the backup at ${location} is not a ${BACKUP_FORMAT} document`);
  return backup.data;
}
