/**
 * CloudTrail data events for the object-level calls that can change an object's ACL (opt-in:
 * they cost money). EventBridge receives a CloudTrail event only when a trail logs it, and
 * object-level calls (PutObjectAcl, an upload carrying an ACL) are data events that no trail
 * logs unless told to; without this trail the intake rule never sees them, and an object made
 * public by its own ACL is found only by the sweep, if at all.
 *
 * The trail logs data events only (no management events, so the account's own trail is not
 * billed twice), narrowed with advanced event selectors to write calls on S3 objects whose
 * eventName can set an ACL, optionally to some buckets. Its log files go to a bucket of their own
 * (Block Public Access all on, SSE-S3, TLS-only, versioned, ACLs off, server access logs,
 * lifecycle expiry, RETAIN) encrypted by CloudTrail with a customer managed key (rotated, RETAIN)
 * whose policy lets CloudTrail use it for this trail only; log file validation is on. Without a
 * bucket list, the responder's own buckets (this log bucket, the evidence bucket and its access
 * logs) are left out: logging the log bucket's own writes would feed itself.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LOCKED_DOWN_BUCKET } from './evidence-bucket.js';

/** Which object-level calls the trail logs. */
export type DataEventCalls = 'acl' | 'writes';

/**
 * The eventNames each choice logs (all write calls on `AWS::S3::Object`):
 * - `acl`: PutObjectAcl only (which also records PutObjectVersionAcl requests), the cheaper
 *   partial choice: an ACL sent with an upload or a copy is missed.
 * - `writes`: also the uploads that can carry an ACL (PutObject, CopyObject,
 *   CreateMultipartUpload) and CompleteMultipartUpload, the call after which a multipart upload's
 *   object (and the ACL its CreateMultipartUpload asked for) exists, the one the intake matches
 *   to re-read it. Every upload is an event: this costs as many events as the buckets take writes.
 */
export const DATA_EVENT_NAMES: Readonly<Record<DataEventCalls, readonly string[]>> = Object.freeze({
  acl: Object.freeze(['PutObjectAcl']),
  writes: Object.freeze([
    'PutObjectAcl',
    'PutObject',
    'CopyObject',
    'CreateMultipartUpload',
    'CompleteMultipartUpload',
  ]),
});

/** What the stack's `dataEvents` prop says. */
export interface DataEventsOptions {
  /** `acl`: PutObjectAcl only; `writes`: also the uploads that can carry an ACL. */
  readonly calls: DataEventCalls;
  /**
   * Log only these buckets' objects (bucket names).
   * @default every bucket of the account, except the responder's own
   */
  readonly buckets?: readonly string[];
  /**
   * Log the data events of every Region (a multi-Region trail) rather than of the stack's Region
   * only. A bucket's events reach EventBridge in the bucket's Region, so this is useful with a
   * forwarder stack in each other Region; without one, the other Regions' events are paid for and
   * matched by nothing.
   * @default false
   */
  readonly allRegions?: boolean;
}

export interface DataEventsProps extends DataEventsOptions {
  /** Where the trail's log bucket writes its server access logs (the evidence access logs). */
  readonly accessLogsBucket: s3.IBucket;
  /** Buckets whose objects are never logged when no bucket list is given (the responder's own). */
  readonly excludeBuckets?: readonly s3.IBucket[];
}

/** How long the trail's log files are kept. */
export const DATA_EVENT_LOG_DAYS = 400;

/** A bucket name as S3 accepts it for general purpose buckets (3 to 63 characters, lower case). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The `dataEvents` prop from the CDK context (`-c dataEvents=acl|writes`,
 * `-c dataEventBuckets=a,b`), or undefined when data events are off.
 *
 * @throws Error on a value other than `acl` or `writes`, or a bucket list without `dataEvents`.
 */
export function dataEventsFromContext(
  calls: string | undefined,
  buckets: string | undefined,
): DataEventsOptions | undefined {
  const names = (buckets ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (calls === undefined) {
    if (names.length > 0) {
      throw new Error('dataEventBuckets needs dataEvents: -c dataEvents=acl or -c dataEvents=writes');
    }
    return undefined;
  }
  if (calls !== 'acl' && calls !== 'writes') {
    throw new Error(`dataEvents must be acl or writes, not "${calls}"`);
  }
  return names.length > 0 ? { calls, buckets: names } : { calls };
}

export class DataEvents extends Construct {
  readonly trail: cloudtrail.CfnTrail;
  /** The trail's name, fixed so its ARN can be named in the key and bucket policies. */
  readonly trailName: string;
  readonly trailArn: string;
  readonly logBucket: s3.Bucket;
  readonly key: kms.Key;
  /** The eventNames the trail logs. */
  readonly eventNames: readonly string[];

  constructor(scope: Construct, id: string, props: DataEventsProps) {
    super(scope, id);
    // S3 delivers server access logs under a bucket policy, not the LogDeliveryWrite ACL (ACLs
    // are disabled on the destination): the feature flag, for this construct's children only.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const stack = Stack.of(this);
    const eventNames = DATA_EVENT_NAMES[props.calls];
    if (!eventNames) throw new Error(`dataEvents.calls must be acl or writes, not "${String(props.calls)}"`);
    this.eventNames = eventNames;
    const buckets = [...new Set(props.buckets ?? [])];
    const invalid = buckets.filter((name) => !BUCKET_NAME.test(name));
    if (invalid.length > 0) {
      throw new Error(`dataEvents.buckets: not S3 bucket names: ${invalid.map((n) => `"${n}"`).join(', ')}`);
    }
    if (props.buckets !== undefined && buckets.length === 0) {
      throw new Error('dataEvents.buckets is empty: leave it out to log every bucket');
    }

    this.trailName = `${stack.stackName}-data-events`;
    if (this.trailName.length > 128)
      throw new Error(`the trail name ${this.trailName} is over 128 characters`);
    this.trailArn = stack.formatArn({
      service: 'cloudtrail',
      resource: 'trail',
      resourceName: this.trailName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    const thisTrail = { 'aws:SourceArn': this.trailArn };

    this.key = new kms.Key(this, 'Key', {
      description: 'S3 Exposure Responder: encrypts the data events trail log files',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailEncryptsThisTrailsLogs',
        principals: [cloudTrail],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: thisTrail,
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*`,
          },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailDescribesTheKey',
        principals: [cloudTrail],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: thisTrail },
      }),
    );

    this.logBucket = new s3.Bucket(this, 'Logs', {
      ...LOCKED_DOWN_BUCKET,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'data-events-trail/',
      lifecycleRules: [
        {
          expiration: Duration.days(DATA_EVENT_LOG_DAYS),
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
    });
    this.logBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailChecksTheBucketAcl',
        principals: [cloudTrail],
        actions: ['s3:GetBucketAcl'],
        resources: [this.logBucket.bucketArn],
        conditions: { StringEquals: thisTrail },
      }),
    );
    this.logBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWritesThisTrailsLogs',
        principals: [cloudTrail],
        actions: ['s3:PutObject'],
        resources: [this.logBucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
        conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', ...thisTrail } },
      }),
    );

    const objectsOf = (bucketArn: string) => `${bucketArn}/`;
    const resourceSelector: cloudtrail.CfnTrail.AdvancedFieldSelectorProperty =
      buckets.length > 0
        ? {
            field: 'resources.ARN',
            startsWith: buckets.map((name) => objectsOf(`arn:${stack.partition}:s3:::${name}`)),
          }
        : {
            field: 'resources.ARN',
            notStartsWith: [this.logBucket, ...(props.excludeBuckets ?? [])].map((bucket) =>
              objectsOf(bucket.bucketArn),
            ),
          };
    const allRegions = props.allRegions ?? false;
    this.trail = new cloudtrail.CfnTrail(this, 'Trail', {
      trailName: this.trailName,
      isLogging: true,
      s3BucketName: this.logBucket.bucketName,
      kmsKeyId: this.key.keyArn,
      enableLogFileValidation: true,
      isMultiRegionTrail: allRegions,
      // A multi-Region trail must include global service events; with no management event
      // selector, this trail logs none of them either way.
      includeGlobalServiceEvents: allRegions,
      // Advanced event selectors only, none for management events: this trail logs data events
      // alone, and the account's own trail keeps the (free) first copy of management events.
      advancedEventSelectors: [
        {
          name: `S3 object writes that can change an object ACL (${props.calls})`,
          fieldSelectors: [
            { field: 'eventCategory', equalTo: ['Data'] },
            { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
            { field: 'readOnly', equalTo: ['false'] },
            { field: 'eventName', equalTo: [...eventNames] },
            resourceSelector,
          ],
        },
      ],
    });
    // CloudTrail checks the bucket policy when the trail is created.
    const policy = this.logBucket.policy;
    if (policy) this.trail.node.addDependency(policy);
  }
}
