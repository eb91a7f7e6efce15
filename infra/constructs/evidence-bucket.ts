/**
 * The evidence bucket: the backup of a bucket's access configuration written before every fix
 * (RemediateExposure), which `rollback` restores from. A backup tells anyone how to get into the
 * bucket it describes, so the bucket is locked down: Block Public Access all on (the backup
 * refuses a bucket without all four flags), SSE-S3 encryption, TLS-only (enforceSSL), versioned
 * (an overwritten or deleted backup can be recovered), objects owned by the bucket owner (ACLs
 * off), server access logs to a log bucket of its own, and RETAIN: deleting the stack never
 * deletes the evidence. Optionally, S3 Object Lock in governance mode keeps each backup version
 * from being deleted or overwritten for a number of days (see {@link EvidenceBucketProps}).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** How long server access logs of the evidence bucket are kept. */
const ACCESS_LOG_DAYS = 400;
/** The longest default retention S3 Object Lock takes in days (100 years, as aws-cdk-lib checks). */
export const MAX_OBJECT_LOCK_DAYS = 36_500;

/**
 * What every bucket of the stack is: public access blocked, SSE-S3, TLS only, versioned, ACLs
 * off (the owner owns every object), and kept when the stack is deleted.
 */
export const LOCKED_DOWN_BUCKET = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  versioned: true,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: RemovalPolicy.RETAIN,
} as const satisfies s3.BucketProps;

export interface EvidenceBucketProps {
  /**
   * Turn S3 Object Lock on for the evidence bucket, with a default retention of this many days
   * in governance mode: for that long no backup version can be deleted or overwritten in place
   * (a new version can still be written), except by a principal allowed
   * `s3:BypassGovernanceRetention` who asks for the bypass.
   *
   * Decide before the first deploy: the stack turns Object Lock on only as the bucket is
   * created. Adding it to a stack already deployed does not lock the existing evidence bucket
   * the same way (turning it on for an existing bucket is an S3 operation on its own, not this
   * stack's), and Object Lock can never be turned off again once a bucket has it.
   *
   * A positive whole number of days, at most 36,500.
   * @default no Object Lock
   */
  readonly objectLockDays?: number;
}

/**
 * The object lock days, checked.
 *
 * @throws Error unless `days` is a whole number from 1 to {@link MAX_OBJECT_LOCK_DAYS}.
 */
export function checkObjectLockDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_OBJECT_LOCK_DAYS) {
    throw new Error(
      `evidenceObjectLockDays must be a whole number of days from 1 to ${MAX_OBJECT_LOCK_DAYS}, not ${String(days)}`,
    );
  }
  return days;
}

export class EvidenceBucket extends Construct {
  readonly bucket: s3.Bucket;
  /** Where S3 writes the evidence bucket's server access logs. */
  readonly accessLogs: s3.Bucket;
  /** The default retention of Object Lock in days, when it is on. */
  readonly objectLockDays: number | undefined;

  constructor(scope: Construct, id: string, props: EvidenceBucketProps = {}) {
    super(scope, id);
    this.objectLockDays =
      props.objectLockDays === undefined ? undefined : checkObjectLockDays(props.objectLockDays);
    // S3 delivers server access logs under a bucket policy, not the LogDeliveryWrite ACL (ACLs
    // stay disabled on both buckets): the feature flag, set for this construct's children only.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const locked = LOCKED_DOWN_BUCKET;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...locked,
      lifecycleRules: [
        { expiration: Duration.days(ACCESS_LOG_DAYS), noncurrentVersionExpiration: Duration.days(30) },
      ],
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...locked,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'evidence/',
      ...(this.objectLockDays === undefined
        ? {}
        : {
            objectLockEnabled: true,
            objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(this.objectLockDays)),
          }),
    });
  }
}
