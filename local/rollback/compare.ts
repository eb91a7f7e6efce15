/**
 * Compares a restored configuration with its backup: in meaning (parsed and normalised), and
 * byte for byte for the policy, whose text S3 stores as given.
 */
import { type BucketAccessSnapshotInput, BucketAccessSnapshotSchema } from '../../tasks/shared/contracts.js';
import { stableStringify } from '../../tasks/shared/hash.js';

export interface Comparison {
  /** Every part read in both is the same in meaning. */
  readonly sameMeaning: boolean;
  /** The policy text is the same to the byte (or both have none). */
  readonly policyBytesEqual: boolean;
  readonly differences: string[];
}

const PARTS = [
  'bucketPolicy',
  'bucketAcl',
  'objectAcls',
  'bucketPublicAccessBlock',
  'ownershipControls',
] as const;

/** The parts as the classifier reads them, so formatting and key order do not count as a difference. */
function normalised(snapshot: BucketAccessSnapshotInput): Record<string, string> {
  const parsed = BucketAccessSnapshotSchema.parse(snapshot);
  return Object.fromEntries(PARTS.map((part) => [part, stableStringify(parsed[part] ?? null)]));
}

export function compareSnapshots(
  backup: BucketAccessSnapshotInput,
  now: BucketAccessSnapshotInput,
): Comparison {
  const a = normalised(backup);
  const b = normalised(now);
  const differences = PARTS.filter((part) => backup[part] !== undefined && a[part] !== b[part]).map(
    (part) => `${part} differs from the backup`,
  );
  // A backup keeps the policy as the text S3 returned; an older one may hold it parsed, written back as JSON.
  const storedText =
    typeof backup.bucketPolicy === 'string' || !backup.bucketPolicy
      ? (backup.bucketPolicy ?? null)
      : JSON.stringify(backup.bucketPolicy);
  const policyBytesEqual = storedText === (now.bucketPolicy ?? null);
  return { sameMeaning: differences.length === 0, policyBytesEqual, differences };
}
