/**
 * The evidence bucket: the backup of a bucket's access configuration written before every fix
 * (RemediateExposure), which `rollback` restores from. A backup tells anyone how to get into the
 * bucket it describes, so the bucket is locked down: Block Public Access all on (the backup
 * refuses a bucket without all four flags), SSE-S3 encryption, TLS-only (enforceSSL), versioned
 * (an overwritten or deleted backup can be recovered), objects owned by the bucket owner (ACLs
 * off), server access logs to a log bucket of its own, and RETAIN: deleting the stack never
 * deletes the evidence.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** How long server access logs of the evidence bucket are kept. */
const ACCESS_LOG_DAYS = 400;

export class EvidenceBucket extends Construct {
  readonly bucket: s3.Bucket;
  /** Where S3 writes the evidence bucket's server access logs. */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // S3 delivers server access logs under a bucket policy, not the LogDeliveryWrite ACL (ACLs
    // stay disabled on both buckets): the feature flag, set for this construct's children only.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const locked = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    } as const;
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
    });
  }
}
