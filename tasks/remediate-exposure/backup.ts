import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { type BucketAccessSnapshotInput, BucketAccessSnapshotSchema } from '../shared/contracts.js';
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

/**
 * Writes the backup to the evidence bucket (one object per backup, never overwritten) and
 * returns its location. Any failure is a BackupFailedError: the caller changes nothing.
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
