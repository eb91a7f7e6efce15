import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MalformedEventError, MissingBucketError } from '../../../tasks/normalize-event/errors.js';
import {
  EXPOSURE_EVENT_NAMES,
  findPublicAclRequest,
  ParsedEventSchema,
  parseExposureEvent,
} from '../../../tasks/normalize-event/parse-event.js';
import { PolicyDocumentSchema, type Trigger, TriggerSchema } from '../../../tasks/shared/contracts.js';

const EVENTS_DIR = new URL('../../../events/', import.meta.url);
const MALFORMED_DIR = new URL('malformed/', EVENTS_DIR);

const ACCOUNT = '111122223333';
const DANA = `arn:aws:iam::${ACCOUNT}:user/dana.ops`;
const TERRAFORM = `arn:aws:sts::${ACCOUNT}:assumed-role/platform-deployer/terraform-apply-5821`;
const SSO = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_3f2a9c1d7e5b4a60/sam.lee@acme.example`;
const RESPONDER = `arn:aws:sts::${ACCOUNT}:assumed-role/s3-exposure-responder-remediate/remediate-7c1e4b9a`;
const RESPONDER_ROLE = `arn:aws:iam::${ACCOUNT}:role/s3-exposure-responder-remediate`;
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';

/** Just enough of a sample to read the expected values and to edit requestParameters. */
const SampleSchema = z.looseObject({
  detail: z.looseObject({
    eventID: z.string(),
    eventTime: z.string(),
    requestParameters: z.record(z.string(), z.unknown()).nullish(),
    resources: z.array(z.looseObject({})).optional(),
  }),
});
type Sample = z.infer<typeof SampleSchema>;

function readJson(name: string, dir: URL = EVENTS_DIR): unknown {
  return JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
}

/** A fresh, editable copy of a sample (zod returns a new object each time). */
function sample(name: string): Sample {
  return SampleSchema.parse(readJson(name));
}

function paramsOf(event: Sample): Record<string, unknown> {
  const params = event.detail.requestParameters;
  if (!params) throw new Error('sample has no requestParameters');
  return params;
}

function triggerOf(raw: unknown): Trigger {
  const parsed = parseExposureEvent(raw);
  if (parsed.kind === 'irrelevant') throw new Error(`expected a trigger, got irrelevant ${parsed.eventName}`);
  return parsed.trigger;
}

function parseError(raw: unknown): MalformedEventError {
  try {
    parseExposureEvent(raw);
  } catch (error) {
    if (error instanceof MalformedEventError) return error;
    throw error;
  }
  throw new Error('expected parseExposureEvent to throw');
}

interface Expected {
  kind: 'exposure' | 'attempt' | 'irrelevant';
  eventName: string;
  bucket?: string | null;
  keys?: string[];
  scope?: Trigger['scope'];
  publicAcl?: boolean;
  actorArn?: string;
  sourceIp?: string;
}

const EXPECTED: Record<string, Expected> = {
  'put-bucket-policy-public.json': {
    kind: 'exposure',
    eventName: 'PutBucketPolicy',
    bucket: 'acme-public-assets',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'put-bucket-policy-string.json': {
    kind: 'exposure',
    eventName: 'PutBucketPolicy',
    bucket: 'acme-reports',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: TERRAFORM,
    sourceIp: '198.51.100.7',
  },
  'delete-bucket-policy.json': {
    kind: 'exposure',
    eventName: 'DeleteBucketPolicy',
    bucket: 'acme-reports',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'put-bucket-acl-body.json': {
    kind: 'exposure',
    eventName: 'PutBucketAcl',
    bucket: 'acme-public-assets',
    keys: [],
    scope: 'bucket',
    publicAcl: true,
    actorArn: SSO,
    sourceIp: '192.0.2.45',
  },
  'put-bucket-acl-canned.json': {
    kind: 'exposure',
    eventName: 'PutBucketAcl',
    bucket: 'acme-logs',
    keys: [],
    scope: 'bucket',
    publicAcl: true,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'put-bucket-acl-grant-header.json': {
    kind: 'exposure',
    eventName: 'PutBucketAcl',
    bucket: 'acme-logs',
    keys: [],
    scope: 'bucket',
    publicAcl: true,
    actorArn: TERRAFORM,
    sourceIp: '198.51.100.7',
  },
  'put-object-acl-body.json': {
    kind: 'exposure',
    eventName: 'PutObjectAcl',
    bucket: 'acme-reports',
    keys: ['reports/2024/q3-summary.csv'],
    scope: 'object',
    publicAcl: true,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'put-object-acl-grant-header.json': {
    kind: 'exposure',
    eventName: 'PutObjectAcl',
    bucket: 'acme-reports',
    keys: ['exports/customers.csv'],
    scope: 'object',
    publicAcl: true,
    actorArn: TERRAFORM,
    sourceIp: '198.51.100.7',
  },
  'put-object-public-read.json': {
    kind: 'exposure',
    eventName: 'PutObject',
    bucket: 'acme-public-assets',
    keys: ['img/logo.png'],
    scope: 'object',
    publicAcl: true,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  // The rule drops an upload without an ACL header; the parser, given one, still reads it.
  'put-object-no-acl.json': {
    kind: 'exposure',
    eventName: 'PutObject',
    bucket: 'acme-public-assets',
    keys: ['img/hero.jpg'],
    scope: 'object',
    publicAcl: false,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'put-object-grant-header.json': {
    kind: 'exposure',
    eventName: 'PutObject',
    bucket: 'acme-reports',
    keys: ['exports/press-kit.zip'],
    scope: 'object',
    publicAcl: true,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'failed-put-object-public-read.json': {
    kind: 'attempt',
    eventName: 'PutObject',
    bucket: 'acme-reports',
    keys: ['reports/2024/q3-summary-public.csv'],
    scope: 'object',
    publicAcl: true,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'copy-object-public.json': {
    kind: 'exposure',
    eventName: 'CopyObject',
    bucket: 'acme-public-assets',
    keys: ['downloads/brochure.pdf'],
    scope: 'object',
    publicAcl: true,
    actorArn: TERRAFORM,
    sourceIp: '198.51.100.7',
  },
  'create-multipart-upload-public.json': {
    kind: 'exposure',
    eventName: 'CreateMultipartUpload',
    bucket: 'acme-public-assets',
    keys: ['videos/launch.mp4'],
    scope: 'object',
    publicAcl: true,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'complete-multipart-upload.json': {
    kind: 'exposure',
    eventName: 'CompleteMultipartUpload',
    bucket: 'acme-public-assets',
    keys: ['videos/launch.mp4'],
    scope: 'object',
    publicAcl: false,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'put-bucket-public-access-block.json': {
    kind: 'exposure',
    eventName: 'PutBucketPublicAccessBlock',
    bucket: 'acme-public-assets',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: SSO,
    sourceIp: '192.0.2.45',
  },
  'delete-bucket-public-access-block.json': {
    kind: 'exposure',
    eventName: 'DeleteBucketPublicAccessBlock',
    bucket: 'acme-public-assets',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'put-account-public-access-block.json': {
    kind: 'exposure',
    eventName: 'PutAccountPublicAccessBlock',
    bucket: null,
    keys: [],
    scope: 'account',
    publicAcl: false,
    actorArn: SSO,
    sourceIp: '192.0.2.45',
  },
  'delete-account-public-access-block.json': {
    kind: 'exposure',
    eventName: 'DeleteAccountPublicAccessBlock',
    bucket: null,
    keys: [],
    scope: 'account',
    publicAcl: false,
    actorArn: TERRAFORM,
    sourceIp: '198.51.100.7',
  },
  'put-bucket-ownership-controls.json': {
    kind: 'exposure',
    eventName: 'PutBucketOwnershipControls',
    bucket: 'acme-public-assets',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: SSO,
    sourceIp: '192.0.2.45',
  },
  'delete-bucket-ownership-controls.json': {
    kind: 'exposure',
    eventName: 'DeleteBucketOwnershipControls',
    bucket: 'acme-logs',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'create-bucket-public.json': {
    kind: 'exposure',
    eventName: 'CreateBucket',
    bucket: 'acme-shared-drop',
    keys: [],
    scope: 'bucket',
    publicAcl: true,
    actorArn: TERRAFORM,
    sourceIp: '198.51.100.7',
  },
  'put-bucket-website.json': {
    kind: 'exposure',
    eventName: 'PutBucketWebsite',
    bucket: 'acme-public-assets',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'delete-bucket-website.json': {
    kind: 'exposure',
    eventName: 'DeleteBucketWebsite',
    bucket: 'acme-public-assets',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'failed-put-bucket-policy.json': {
    kind: 'attempt',
    eventName: 'PutBucketPolicy',
    bucket: 'acme-reports',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'self-triggered-put-bucket-policy.json': {
    kind: 'exposure',
    eventName: 'PutBucketPolicy',
    bucket: 'acme-public-assets',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: RESPONDER,
    sourceIp: '198.51.100.210',
  },
  'empty-bucket-name.json': {
    kind: 'exposure',
    eventName: 'PutBucketAcl',
    bucket: 'acme-logs',
    keys: [],
    scope: 'bucket',
    publicAcl: false,
    actorArn: DANA,
    sourceIp: '203.0.113.24',
  },
  'irrelevant-get-object.json': { kind: 'irrelevant', eventName: 'GetObject' },
};

const SAMPLE_FILES = readdirSync(EVENTS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
  .map((entry) => entry.name)
  .sort();

describe('parseExposureEvent over events/', () => {
  it('has an expectation for every sample file and a sample for every expectation', () => {
    expect(SAMPLE_FILES).toEqual(Object.keys(EXPECTED).sort());
  });

  it('gives every sample a distinct eventID', () => {
    const ids = SAMPLE_FILES.map((file) => sample(file).detail.eventID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('covers every exposure eventName with at least one sample', () => {
    const covered = new Set(Object.values(EXPECTED).map((expected) => expected.eventName));
    for (const name of EXPOSURE_EVENT_NAMES) expect(covered).toContain(name);
  });

  it.each(SAMPLE_FILES)('%s', (file) => {
    const expected = EXPECTED[file];
    if (!expected) throw new Error(`no expectation for ${file}`);
    const raw = readJson(file);
    const parsed = parseExposureEvent(raw);
    expect(ParsedEventSchema.parse(parsed)).toEqual(parsed);
    expect(parsed.kind).toBe(expected.kind);
    if (parsed.kind === 'irrelevant') {
      expect(parsed.eventName).toBe(expected.eventName);
      return;
    }
    const { trigger } = parsed;
    const { detail } = sample(file);
    expect(TriggerSchema.parse(trigger)).toEqual(trigger);
    expect(trigger).toMatchObject({
      eventID: detail.eventID,
      eventName: expected.eventName,
      eventTime: detail.eventTime,
      accountId: ACCOUNT,
      region: 'us-east-1',
      bucket: expected.bucket,
      keys: expected.keys,
      scope: expected.scope,
      sourceIp: expected.sourceIp,
    });
    expect(trigger.requested.publicAcl).toBe(expected.publicAcl);
    expect(trigger.actor.arn).toBe(expected.actorArn);
    expect(trigger.actor.accountId).toBe(ACCOUNT);
  });
});

describe('parseExposureEvent outcomes', () => {
  it('records a failed call as an attempt with its error code and message', () => {
    const parsed = parseExposureEvent(readJson('failed-put-bucket-policy.json'));
    expect(parsed).toMatchObject({
      kind: 'attempt',
      errorCode: 'AccessDenied',
      errorMessage: 'Access Denied',
    });
  });

  it('answers irrelevant for GetObject', () => {
    expect(parseExposureEvent(readJson('irrelevant-get-object.json'))).toEqual({
      kind: 'irrelevant',
      eventName: 'GetObject',
    });
  });

  it('answers irrelevant for a CloudTrail event from another service', () => {
    const event = sample('put-bucket-policy-public.json');
    event.source = 'aws.ec2';
    event.detail.eventSource = 'ec2.amazonaws.com';
    event.detail.eventName = 'RunInstances';
    expect(parseExposureEvent(event)).toEqual({ kind: 'irrelevant', eventName: 'RunInstances' });
  });

  it('exposes the session issuer of our own remediation role for self-trigger detection', () => {
    const trigger = triggerOf(readJson('self-triggered-put-bucket-policy.json'));
    expect(trigger.actor).toEqual({
      type: 'AssumedRole',
      arn: RESPONDER,
      principalId: 'AROAEXAMPLERESPOND12:remediate-7c1e4b9a',
      accountId: ACCOUNT,
      sessionIssuerArn: RESPONDER_ROLE,
    });
  });

  it('gives an IAM user no session issuer', () => {
    expect(triggerOf(readJson('put-bucket-policy-public.json')).actor.sessionIssuerArn).toBeNull();
  });

  it('keeps the user agent as the witness of how the call was made', () => {
    expect(triggerOf(readJson('put-bucket-policy-string.json')).userAgent).toMatch(/^APN\/1\.0 HashiCorp/);
  });
});

describe('parsing quirks', () => {
  it('normalises a single Grant object to a list', () => {
    const event = sample('put-bucket-acl-body.json');
    expect(findPublicAclRequest(paramsOf(event))).toEqual({
      via: 'body-grant',
      group: 'AllUsers',
      detail: 'READ to AllUsers',
    });
  });

  it('reads a grant whose "permission" key is lower case', () => {
    const event = sample('put-object-acl-body.json');
    expect(findPublicAclRequest(paramsOf(event))).toEqual({
      via: 'body-grant',
      group: 'AllUsers',
      detail: 'READ to AllUsers',
    });
  });

  it('does not count the LogDelivery group as public', () => {
    const event = sample('empty-bucket-name.json');
    expect(findPublicAclRequest(paramsOf(event))).toBeNull();
  });

  it('reads a canned ACL header given as an array', () => {
    const event = sample('put-bucket-acl-canned.json');
    expect(paramsOf(event)['x-amz-acl']).toEqual(['public-read']);
    expect(findPublicAclRequest(paramsOf(event))).toMatchObject({
      via: 'canned-acl',
      detail: 'x-amz-acl: public-read',
    });
  });

  it('reads a canned ACL header given as a plain string', () => {
    const event = sample('put-object-public-read.json');
    expect(paramsOf(event)['x-amz-acl']).toBe('public-read');
    expect(findPublicAclRequest(paramsOf(event))).toMatchObject({
      via: 'canned-acl',
      detail: 'x-amz-acl: public-read',
    });
  });

  it('gives the same trigger for a header as a string or as an array', () => {
    const asArray = sample('put-bucket-acl-canned.json');
    const asString = sample('put-bucket-acl-canned.json');
    paramsOf(asString)['x-amz-acl'] = 'public-read';
    expect(triggerOf(asString)).toEqual(triggerOf(asArray));
  });

  it('counts authenticated-read as a public canned ACL', () => {
    const event = sample('put-bucket-acl-canned.json');
    paramsOf(event)['x-amz-acl'] = ['authenticated-read'];
    expect(findPublicAclRequest(paramsOf(event))).toMatchObject({
      via: 'canned-acl',
      group: 'AuthenticatedUsers',
    });
  });

  it('does not count a private canned ACL', () => {
    const event = sample('put-bucket-acl-canned.json');
    paramsOf(event)['x-amz-acl'] = ['bucket-owner-full-control'];
    expect(triggerOf(event).requested.publicAcl).toBe(false);
  });

  it('reads a quoted, comma-separated grant header list', () => {
    const event = sample('put-bucket-acl-grant-header.json');
    expect(findPublicAclRequest(paramsOf(event))).toEqual({
      via: 'grant-header',
      group: 'AuthenticatedUsers',
      detail: 'x-amz-grant-read: uri=http://acs.amazonaws.com/groups/global/AuthenticatedUsers',
    });
  });

  it('reads grant headers nested under AccessControlList', () => {
    const event = sample('put-object-acl-grant-header.json');
    expect(findPublicAclRequest(paramsOf(event))).toMatchObject({ via: 'grant-header', group: 'AllUsers' });
  });

  it('matches the x_amz_grant_read spelling and header names case-insensitively', () => {
    const underscore = sample('put-object-acl-grant-header.json');
    paramsOf(underscore).AccessControlList = { x_amz_grant_read: `uri=${ALL_USERS}` };
    expect(findPublicAclRequest(paramsOf(underscore))).toMatchObject({ via: 'grant-header' });
    const upper = sample('put-object-acl-grant-header.json');
    paramsOf(upper).AccessControlList = { 'X-Amz-Grant-Write-Acp': [`uri="${ALL_USERS}"`] };
    expect(findPublicAclRequest(paramsOf(upper))).toMatchObject({ via: 'grant-header', group: 'AllUsers' });
  });

  it('does not count a grant header to a canonical user', () => {
    const event = sample('put-bucket-acl-grant-header.json');
    paramsOf(event)['x-amz-grant-read'] = [
      'id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"',
    ];
    expect(triggerOf(event).requested.publicAcl).toBe(false);
  });

  it('falls back to the group URI anywhere in requestParameters, as StreamAlert does', () => {
    const event = sample('put-bucket-acl-canned.json');
    const params = paramsOf(event);
    delete params['x-amz-acl'];
    params.UndocumentedAclShape = { grantee: { uri: ALL_USERS } };
    expect(findPublicAclRequest(params)).toEqual({
      via: 'substring',
      group: 'AllUsers',
      detail: 'AllUsers group URI found in requestParameters',
    });
  });

  it('does not read a group URI inside the bucket policy as an ACL grant', () => {
    const event = sample('put-bucket-policy-public.json');
    paramsOf(event).bucketPolicy = { Version: '2012-10-17', Statement: [{ Sid: ALL_USERS }] };
    expect(triggerOf(event).requested.publicAcl).toBe(false);
  });

  it('falls back to resources[].ARN when bucketName is empty', () => {
    const event = sample('empty-bucket-name.json');
    expect(paramsOf(event).bucketName).toBe('');
    expect(triggerOf(event).bucket).toBe('acme-logs');
  });

  it('reads the bucket from a data event resource given as ARNPrefix', () => {
    const event = sample('put-object-acl-body.json');
    paramsOf(event).bucketName = '';
    event.detail.resources = [{ type: 'AWS::S3::Object', ARNPrefix: 'arn:aws:s3:::acme-reports/reports/' }];
    expect(triggerOf(event).bucket).toBe('acme-reports');
  });

  it('falls back to a virtual-host Host header when bucketName and resources are empty', () => {
    const event = sample('put-object-public-read.json');
    paramsOf(event).bucketName = '';
    event.detail.resources = [];
    expect(triggerOf(event).bucket).toBe('acme-public-assets');
  });

  it('reads dotted bucket names and dual-stack hosts, given as an array', () => {
    const event = sample('empty-bucket-name.json');
    event.detail.resources = [];
    paramsOf(event).host = ['www.acme.example.s3.dualstack.eu-west-1.amazonaws.com'];
    expect(triggerOf(event).bucket).toBe('www.acme.example');
  });

  it('never reads a path-style or s3-control host as a bucket', () => {
    for (const host of ['s3.us-east-1.amazonaws.com', `${ACCOUNT}.s3-control.us-east-1.amazonaws.com`]) {
      const event = sample('empty-bucket-name.json');
      event.detail.resources = [];
      paramsOf(event).host = [host];
      expect(parseError(event)).toBeInstanceOf(MissingBucketError);
    }
  });

  it('carries a bucketPolicy given as a JSON string, whose Statement is a single object', () => {
    const event = sample('put-bucket-policy-string.json');
    const text = paramsOf(event).bucketPolicy;
    expect(typeof text).toBe('string');
    const { policyText } = triggerOf(event).requested;
    expect(policyText).toBe(text);
    const document = PolicyDocumentSchema.parse(JSON.parse(policyText ?? ''));
    expect(document.Statement).toHaveLength(1);
    expect(document.Statement[0]?.Sid).toBe('AllowPublicList');
  });

  it('carries a bucketPolicy given as an object as its JSON text', () => {
    const event = sample('put-bucket-policy-public.json');
    const { policyText } = triggerOf(event).requested;
    expect(JSON.parse(policyText ?? '')).toEqual(paramsOf(event).bucketPolicy);
  });

  it('ignores subresource markers as an array, a plain string or absent', () => {
    const asArray = sample('put-bucket-policy-public.json');
    expect(paramsOf(asArray).policy).toEqual(['']);
    const asString = sample('put-bucket-policy-public.json');
    paramsOf(asString).policy = '';
    const absent = sample('put-bucket-policy-public.json');
    delete paramsOf(absent).policy;
    expect(triggerOf(asString)).toEqual(triggerOf(asArray));
    expect(triggerOf(absent)).toEqual(triggerOf(asArray));
  });

  it('reads the 2026 string marker form of publicAccessBlock and the flags turned off', () => {
    const event = sample('put-bucket-public-access-block.json');
    expect(paramsOf(event).publicAccessBlock).toBe('');
    expect(triggerOf(event).requested).toEqual({
      publicAcl: false,
      bpa: {
        BlockPublicAcls: false,
        IgnorePublicAcls: false,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      },
    });
  });

  it('reads account-level BPA flags with no bucket and the account from recipientAccountId', () => {
    const trigger = triggerOf(readJson('put-account-public-access-block.json'));
    expect(trigger).toMatchObject({ bucket: null, scope: 'account', accountId: ACCOUNT });
    expect(trigger.requested.bpa).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
  });

  it('reads a flag left out as off and a flag given as text "true" as on', () => {
    const event = sample('put-account-public-access-block.json');
    paramsOf(event).PublicAccessBlockConfiguration = { BlockPublicPolicy: 'true' };
    expect(triggerOf(event).requested.bpa).toEqual({
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: false,
    });
  });

  it('accepts an account-level event without requestParameters, as before 2019', () => {
    const event = sample('delete-account-public-access-block.json');
    event.detail.requestParameters = null;
    expect(triggerOf(event)).toMatchObject({
      bucket: null,
      scope: 'account',
      requested: { publicAcl: false },
    });
  });

  it('reads ObjectOwnership from a Rule given as an object or as an array', () => {
    const asObject = sample('put-bucket-ownership-controls.json');
    expect(triggerOf(asObject).requested.objectOwnership).toBe('ObjectWriter');
    const asArray = sample('put-bucket-ownership-controls.json');
    paramsOf(asArray).OwnershipControls = { Rule: [{ ObjectOwnership: 'BucketOwnerPreferred' }] };
    expect(triggerOf(asArray).requested.objectOwnership).toBe('BucketOwnerPreferred');
  });

  it('reads CreateBucket ownership and a public canned ACL from its headers', () => {
    const trigger = triggerOf(readJson('create-bucket-public.json'));
    expect(trigger.requested).toEqual({ publicAcl: true, objectOwnership: 'ObjectWriter' });
  });

  it('takes the destination key of CopyObject, not the copy source', () => {
    expect(triggerOf(readJson('copy-object-public.json')).keys).toEqual(['downloads/brochure.pdf']);
  });
});

describe('malformed events', () => {
  it.each([
    { file: 'not-cloudtrail.json', error: MalformedEventError, field: 'detail-type' },
    { file: 'missing-detail.json', error: MalformedEventError, field: 'detail' },
    { file: 'missing-bucket.json', error: MissingBucketError, field: 'requestParameters.bucketName' },
    { file: 'bad-time.json', error: MalformedEventError, field: 'time' },
  ])('$file throws $error.name naming $field', ({ file, error, field }) => {
    const thrown = parseError(readJson(file, MALFORMED_DIR));
    expect(thrown).toBeInstanceOf(error);
    expect(thrown.name).toBe(error.name);
    expect(thrown.field).toBe(field);
    expect(thrown.message).toContain(field);
  });

  it('makes MissingBucketError a MalformedEventError that names the event', () => {
    const thrown = parseError(readJson('missing-bucket.json', MALFORMED_DIR));
    expect(thrown).toBeInstanceOf(MalformedEventError);
    expect(thrown.message).toMatch(/^PutBucketAcl event [0-9a-f-]{36} names no bucket/);
  });

  it('reports a non-CloudTrail event by its detail-type alone', () => {
    const thrown = parseError(readJson('not-cloudtrail.json', MALFORMED_DIR));
    expect(thrown.message).toBe(
      'not a usable EventBridge CloudTrail event: detail-type: Invalid input: expected "AWS API Call via CloudTrail"',
    );
  });

  it('says a missing field is missing', () => {
    expect(parseError(readJson('missing-detail.json', MALFORMED_DIR)).message).toMatch(/detail: missing$/);
  });

  it('names detail.eventID when it is missing', () => {
    const event = sample('put-bucket-policy-public.json');
    event.detail.eventID = '';
    expect(parseError(event).field).toBe('detail.eventID');
  });

  it('names detail.eventTime when it is not an ISO time', () => {
    const event = sample('put-bucket-policy-public.json');
    event.detail.eventTime = 'Tue May 14 09:21:07 UTC 2024';
    const thrown = parseError(event);
    expect(thrown.field).toBe('detail.eventTime');
    expect(thrown.message).toContain('detail.eventTime');
  });

  it('names the whole event when the input is not an object', () => {
    expect(parseError('PutBucketPolicy').field).toBe('(event)');
    expect(parseError(null).field).toBe('(event)');
  });

  it('keeps the zod error as the cause', () => {
    expect(parseError(readJson('bad-time.json', MALFORMED_DIR)).cause).toBeInstanceOf(z.ZodError);
  });
});
