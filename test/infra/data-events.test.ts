import { beforeAll, describe, expect, it } from 'vitest';
import {
  DATA_EVENT_LOG_DAYS,
  DATA_EVENT_NAMES,
  dataEventsFromContext,
} from '../../infra/constructs/data-events.js';
import { EXPOSURE_EVENT_NAMES } from '../../tasks/normalize-event/parse-event.js';
import {
  bucketPoliciesOf,
  LOCKED_DOWN_BUCKET_PROPERTIES,
  ofType,
  type Synthesized,
  statementsOf,
  synthesize,
} from './support.js';

type FieldSelector = Record<string, unknown> & { Field: string };

function trailOf(synth: Synthesized) {
  const trails = Object.values(ofType(synth.resources, 'AWS::CloudTrail::Trail'));
  expect(trails).toHaveLength(1);
  const trail = trails[0];
  if (!trail) throw new Error('no trail');
  return trail;
}

function fieldSelectorsOf(synth: Synthesized): FieldSelector[] {
  const selectors = trailOf(synth).Properties?.AdvancedEventSelectors as {
    FieldSelectors: FieldSelector[];
  }[];
  expect(selectors).toHaveLength(1);
  return selectors[0]?.FieldSelectors ?? [];
}

function selector(synth: Synthesized, field: string): FieldSelector | undefined {
  return fieldSelectorsOf(synth).find((s) => s.Field === field);
}

/** `<bucket logical id>.Arn` + "/" as the template writes it. */
function objectsOf(id: string) {
  return { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/']] };
}

describe('data events: off by default', () => {
  it('creates no trail and no output', () => {
    const synth = synthesize();
    expect(synth.stack.dataEvents).toBeUndefined();
    expect(ofType(synth.resources, 'AWS::CloudTrail::Trail')).toEqual({});
    const outputs = Object.keys(synth.template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs.filter((name) => name.startsWith('DataEvents'))).toEqual([]);
  });
});

describe('data events: acl (PutObjectAcl only)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize({ dataEvents: { calls: 'acl' } });
  });

  it('logs write data events on S3 objects named PutObjectAcl, and nothing else', () => {
    expect(fieldSelectorsOf(synth).slice(0, 4)).toEqual([
      { Field: 'eventCategory', Equals: ['Data'] },
      { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
      { Field: 'readOnly', Equals: ['false'] },
      { Field: 'eventName', Equals: ['PutObjectAcl'] },
    ]);
  });

  it('logs no management events: advanced selectors only, none of category Management', () => {
    const trail = trailOf(synth);
    expect(trail.Properties?.EventSelectors).toBeUndefined();
    const categories = fieldSelectorsOf(synth).filter((s) => s.Field === 'eventCategory');
    expect(categories).toEqual([{ Field: 'eventCategory', Equals: ['Data'] }]);
  });

  it("leaves out the responder's own buckets, the trail's log bucket first", () => {
    const dataEvents = synth.stack.dataEvents;
    if (!dataEvents) throw new Error('no data events');
    expect(selector(synth, 'resources.ARN')).toEqual({
      Field: 'resources.ARN',
      NotStartsWith: [
        objectsOf(synth.idOf(dataEvents.logBucket)),
        objectsOf(synth.idOf(synth.stack.evidence.bucket)),
        objectsOf(synth.idOf(synth.stack.evidence.accessLogs)),
      ],
    });
  });

  it('is logging, validates its log files, is KMS-encrypted, and stays in the stack Region', () => {
    const dataEvents = synth.stack.dataEvents;
    if (!dataEvents) throw new Error('no data events');
    expect(trailOf(synth).Properties).toMatchObject({
      IsLogging: true,
      EnableLogFileValidation: true,
      IsMultiRegionTrail: false,
      KMSKeyId: { 'Fn::GetAtt': [synth.idOf(dataEvents.key), 'Arn'] },
      S3BucketName: { Ref: synth.idOf(dataEvents.logBucket) },
      TrailName: 'Responder-data-events',
    });
  });

  it('writes to a log bucket that is locked down, expires, and is kept when the stack goes', () => {
    const dataEvents = synth.stack.dataEvents;
    if (!dataEvents) throw new Error('no data events');
    expect(synth.resources[synth.idOf(dataEvents.logBucket)]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        ...LOCKED_DOWN_BUCKET_PROPERTIES,
        LifecycleConfiguration: {
          Rules: [expect.objectContaining({ ExpirationInDays: DATA_EVENT_LOG_DAYS, Status: 'Enabled' })],
        },
        LoggingConfiguration: { DestinationBucketName: { Ref: synth.idOf(synth.stack.evidence.accessLogs) } },
      },
    });
  });

  it('lets only CloudTrail, for this trail, check and write the log bucket; TLS only; the trail waits for the policy', () => {
    const dataEvents = synth.stack.dataEvents;
    if (!dataEvents) throw new Error('no data events');
    const bucketId = synth.idOf(dataEvents.logBucket);
    const policies = Object.entries(bucketPoliciesOf(synth.resources, bucketId));
    expect(policies).toHaveLength(1);
    const [policyId, policy] = policies[0] ?? [];
    const statements = statementsOf(policy?.Properties?.PolicyDocument);
    const trailArn = synth.stack.resolve(dataEvents.trailArn);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:GetBucketAcl',
        Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
        Condition: { StringEquals: { 'aws:SourceArn': trailArn } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: {
          'Fn::Join': [
            '',
            [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/AWSLogs/', { Ref: 'AWS::AccountId' }, '/*'],
          ],
        },
        Condition: {
          StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': trailArn },
        },
      }),
    );
    const allowed = statements.filter((s) => s.Effect === 'Allow');
    expect(allowed.map((s) => s.Principal)).toEqual([
      { Service: 'cloudtrail.amazonaws.com' },
      { Service: 'cloudtrail.amazonaws.com' },
    ]);
    expect(trailOf(synth).DependsOn).toContain(policyId);
  });

  it('encrypts with a rotated, retained key CloudTrail may use for this trail only', () => {
    const dataEvents = synth.stack.dataEvents;
    if (!dataEvents) throw new Error('no data events');
    const key = synth.resources[synth.idOf(dataEvents.key)];
    expect(key).toMatchObject({ DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true } });
    const statements = statementsOf(key?.Properties?.KeyPolicy);
    const trailArn = synth.stack.resolve(dataEvents.trailArn);
    const forCloudTrail = statements.filter(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudtrail.amazonaws.com' }),
    );
    expect(forCloudTrail).toEqual([
      expect.objectContaining({
        Action: 'kms:GenerateDataKey*',
        Condition: {
          StringEquals: { 'aws:SourceArn': trailArn },
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':cloudtrail:*:', { Ref: 'AWS::AccountId' }, ':trail/*'],
              ],
            },
          },
        },
      }),
      expect.objectContaining({
        Action: 'kms:DescribeKey',
        Condition: { StringEquals: { 'aws:SourceArn': trailArn } },
      }),
    ]);
  });

  it('names the trail and its log bucket in the outputs', () => {
    const outputs = synth.template.toJSON().Outputs as Record<
      string,
      { Value: unknown; Description?: string }
    >;
    expect(outputs.DataEventsTrailArn?.Description).toContain('PutObjectAcl');
    expect(outputs.DataEventsLogBucketName?.Value).toEqual({
      Ref: synth.idOf(synth.stack.dataEvents?.logBucket ?? synth.stack),
    });
  });
});

describe('data events: writes', () => {
  it('also logs the uploads that can carry an ACL, and the multipart completion', () => {
    const synth = synthesize({ dataEvents: { calls: 'writes' } });
    expect(selector(synth, 'eventName')).toEqual({
      Field: 'eventName',
      Equals: ['PutObjectAcl', 'PutObject', 'CopyObject', 'CreateMultipartUpload', 'CompleteMultipartUpload'],
    });
  });

  it('logs only eventNames the intake knows (nothing paid for that no rule could match)', () => {
    for (const names of Object.values(DATA_EVENT_NAMES)) {
      for (const name of names) expect(EXPOSURE_EVENT_NAMES as readonly string[]).toContain(name);
    }
  });
});

describe('data events: narrowed to some buckets', () => {
  it("logs only those buckets' objects (arn:<partition>:s3:::<bucket>/)", () => {
    const synth = synthesize({
      dataEvents: { calls: 'acl', buckets: ['shared-assets', 'team.reports', 'shared-assets'] },
    });
    expect(selector(synth, 'resources.ARN')).toEqual({
      Field: 'resources.ARN',
      StartsWith: ['shared-assets', 'team.reports'].map((name) => ({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${name}/`]],
      })),
    });
  });

  it('names the trail in its Region and account for a stack deployed to a known one', () => {
    const synth = synthesize({
      env: { account: '111122223333', region: 'eu-west-1' },
      dataEvents: { calls: 'writes', buckets: ['shared-assets'] },
    });
    expect(JSON.stringify(synth.stack.resolve(synth.stack.dataEvents?.trailArn))).toContain(
      ':cloudtrail:eu-west-1:111122223333:trail/Responder-data-events',
    );
  });

  it('refuses what is not a bucket name, and an empty list', () => {
    expect(() =>
      synthesize({ dataEvents: { calls: 'acl', buckets: ['Shared_Assets', 'ok-bucket', 'a'] } }),
    ).toThrow(/not S3 bucket names: "Shared_Assets", "a"/);
    expect(() => synthesize({ dataEvents: { calls: 'acl', buckets: [] } })).toThrow(
      /dataEvents.buckets is empty/,
    );
  });
});

describe('data events: every Region', () => {
  it('makes the trail multi-Region (with global service events, as CloudTrail requires)', () => {
    const synth = synthesize({ dataEvents: { calls: 'acl', allRegions: true } });
    expect(trailOf(synth).Properties).toMatchObject({
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
    });
    expect(trailOf(synth).Properties?.EventSelectors).toBeUndefined();
  });
});

describe('dataEventsFromContext (-c dataEvents, -c dataEventBuckets)', () => {
  it('is off without dataEvents', () => {
    expect(dataEventsFromContext(undefined, undefined)).toBeUndefined();
  });

  it('reads acl or writes, and a comma-separated bucket list', () => {
    expect(dataEventsFromContext('acl', undefined)).toEqual({ calls: 'acl' });
    expect(dataEventsFromContext('writes', ' a-bucket, b-bucket ,')).toEqual({
      calls: 'writes',
      buckets: ['a-bucket', 'b-bucket'],
    });
  });

  it('refuses anything else, and buckets without dataEvents', () => {
    expect(() => dataEventsFromContext('all', undefined)).toThrow(
      'dataEvents must be acl or writes, not "all"',
    );
    expect(() => dataEventsFromContext(undefined, 'a-bucket')).toThrow(/dataEventBuckets needs dataEvents/);
  });
});
