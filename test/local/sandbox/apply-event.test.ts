import { readdirSync, readFileSync } from 'node:fs';
import {
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectAclCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyEventToWorld } from '../../../local/sandbox/apply-event.js';
import type { SandboxAccount } from '../../../local/sandbox/sandbox-account.js';
import type { World, WorldBucket } from '../../../local/sandbox/world.js';
import {
  ACCOUNT,
  ALL_USERS,
  AUTHENTICATED_USERS,
  LOG_DELIVERY,
  OWNER_ID,
  testSandbox,
  testWorld,
} from './support.js';

const EVENTS_DIR = new URL('../../../events/', import.meta.url);
const MALFORMED_DIR = new URL('malformed/', EVENTS_DIR);

function jsonFiles(dir: URL): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => entry.name)
    .sort();
}

function readEvent(name: string, dir: URL = EVENTS_DIR): unknown {
  return JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
}

const EventSchema = z.looseObject({
  detail: z.looseObject({ requestParameters: z.record(z.string(), z.unknown()) }),
});

/** A PutBucketPolicy event whose logged policy a test may edit. */
const PolicyEventSchema = z.looseObject({
  detail: z.looseObject({
    requestParameters: z.looseObject({
      bucketPolicy: z.looseObject({ Statement: z.array(z.looseObject({ Effect: z.string() })) }),
    }),
  }),
});

function requestParameters(event: unknown): Record<string, unknown> {
  return EventSchema.parse(event).detail.requestParameters;
}

/** The world before each event: the test world with account Block Public Access all on. */
function eventSandbox(): SandboxAccount {
  return testSandbox({
    ...testWorld(),
    accountPublicAccessBlock: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
  });
}

function bucket(sandbox: SandboxAccount, name: string): WorldBucket {
  const found = sandbox.world.buckets[name];
  if (found === undefined) throw new Error(`bucket ${name} is not in the sandbox`);
  return found;
}

const allUsersRead = { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' };
const ownerFull = { Grantee: { Type: 'CanonicalUser', ID: OWNER_ID }, Permission: 'FULL_CONTROL' };

type Check = (sandbox: SandboxAccount, before: World) => void | Promise<void>;

/** What each sample in events/ does to the world; a new sample needs an entry here. */
const EXPECTED: Record<string, { applied: boolean; check: Check }> = {
  'complete-multipart-upload.json': {
    applied: true,
    // Without the CreateMultipartUpload before it, the object gets the default private ACL.
    check: (s) => expect(bucket(s, 'acme-public-assets').objects['videos/launch.mp4']?.acl).toBeNull(),
  },
  'copy-object-public.json': {
    applied: true,
    check: (s) => {
      const copy = bucket(s, 'acme-public-assets').objects['downloads/brochure.pdf'];
      expect(copy?.acl?.Grants).toContainEqual(allUsersRead);
      expect(copy?.body).toBe('%PDF-1.7 brochure');
    },
  },
  'create-bucket-public.json': {
    applied: true,
    check: (s) => {
      const created = bucket(s, 'acme-shared-drop');
      expect(created.ownershipControls).toEqual({ Rules: [{ ObjectOwnership: 'ObjectWriter' }] });
      expect(created.publicAccessBlock).toEqual({
        BlockPublicAcls: false,
        IgnorePublicAcls: false,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      });
      expect(created.acl?.Grants).toEqual([
        ownerFull,
        allUsersRead,
        { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'WRITE' },
      ]);
    },
  },
  'create-multipart-upload-public.json': {
    applied: true,
    check: (s) => {
      expect(bucket(s, 'acme-public-assets').objects['videos/launch.mp4']).toBeUndefined();
      expect(s.world.multipartUploads).toEqual([
        expect.objectContaining({
          key: 'videos/launch.mp4',
          uploadId: 'VXBsb2FkSURmb3JsYXVuY2gubXA0ZXhhbXBsZQ--',
        }),
      ]);
    },
  },
  'delete-account-public-access-block.json': {
    applied: true,
    check: (s) => expect(s.world.accountPublicAccessBlock).toBeNull(),
  },
  'delete-bucket-ownership-controls.json': {
    applied: true,
    check: (s) => expect(bucket(s, 'acme-logs').ownershipControls).toBeNull(),
  },
  'delete-bucket-policy.json': {
    applied: true,
    check: (s) => expect(bucket(s, 'acme-reports').policy).toBeNull(),
  },
  'delete-bucket-public-access-block.json': {
    applied: true,
    check: (s) => expect(bucket(s, 'acme-public-assets').publicAccessBlock).toBeNull(),
  },
  'delete-bucket-website.json': {
    applied: true,
    check: (s) => expect(bucket(s, 'acme-public-assets').website).toBeNull(),
  },
  'empty-bucket-name.json': {
    applied: true,
    // bucketName is "", so the bucket comes from resources[].ARN.
    check: (s) =>
      expect(bucket(s, 'acme-logs').acl?.Grants).toEqual([
        ownerFull,
        { Grantee: { Type: 'Group', URI: LOG_DELIVERY }, Permission: 'WRITE' },
        { Grantee: { Type: 'Group', URI: LOG_DELIVERY }, Permission: 'READ_ACP' },
      ]),
  },
  'failed-put-bucket-policy.json': {
    applied: false,
    check: (s, before) => expect(s.toJSON()).toEqual(before),
  },
  'irrelevant-get-object.json': {
    applied: false,
    check: (s, before) => expect(s.toJSON()).toEqual(before),
  },
  'put-account-public-access-block.json': {
    applied: true,
    check: (s) =>
      expect(s.world.accountPublicAccessBlock).toEqual({
        BlockPublicAcls: true,
        IgnorePublicAcls: false,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      }),
  },
  'put-bucket-acl-body.json': {
    applied: true,
    // A single Grant arrives as an object, not an array; the request replaces the whole ACL.
    check: (s) => expect(bucket(s, 'acme-public-assets').acl?.Grants).toEqual([allUsersRead]),
  },
  'put-bucket-acl-canned.json': {
    applied: true,
    check: (s) => expect(bucket(s, 'acme-logs').acl?.Grants).toEqual([ownerFull, allUsersRead]),
  },
  'put-bucket-acl-grant-header.json': {
    applied: true,
    check: (s) =>
      expect(bucket(s, 'acme-logs').acl?.Grants).toEqual([
        ownerFull,
        { Grantee: { Type: 'CanonicalUser', ID: OWNER_ID }, Permission: 'READ' },
        { Grantee: { Type: 'Group', URI: AUTHENTICATED_USERS }, Permission: 'READ' },
      ]),
  },
  'put-bucket-ownership-controls.json': {
    applied: true,
    check: (s) =>
      expect(bucket(s, 'acme-public-assets').ownershipControls).toEqual({
        Rules: [{ ObjectOwnership: 'ObjectWriter' }],
      }),
  },
  'put-bucket-policy-public.json': {
    applied: true,
    check: async (s) => {
      const status = await s
        .clients()
        .s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'acme-public-assets' }));
      expect(status.PolicyStatus?.IsPublic).toBe(true);
    },
  },
  'put-bucket-policy-string.json': {
    applied: true,
    check: async (s) => {
      const sent = requestParameters(readEvent('put-bucket-policy-string.json')).bucketPolicy;
      const text = await s.clients().s3.send(new GetBucketPolicyCommand({ Bucket: 'acme-reports' }));
      expect(typeof sent).toBe('string');
      expect(text.Policy).toBe(sent);
    },
  },
  'put-bucket-public-access-block.json': {
    applied: true,
    check: (s) =>
      expect(bucket(s, 'acme-public-assets').publicAccessBlock).toEqual({
        BlockPublicAcls: false,
        IgnorePublicAcls: false,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      }),
  },
  'put-bucket-website.json': {
    applied: true,
    check: (s) =>
      expect(bucket(s, 'acme-public-assets').website).toEqual({
        IndexDocument: { Suffix: 'index.html' },
        ErrorDocument: { Key: 'error.html' },
      }),
  },
  'put-object-acl-body.json': {
    applied: true,
    check: async (s) => {
      const acl = await s
        .clients()
        .s3.send(new GetObjectAclCommand({ Bucket: 'acme-reports', Key: 'reports/2024/q3-summary.csv' }));
      expect(acl.Grants).toEqual([ownerFull, allUsersRead]);
    },
  },
  'put-object-acl-grant-header.json': {
    applied: true,
    check: (s) =>
      expect(bucket(s, 'acme-reports').objects['exports/customers.csv']?.acl?.Grants).toEqual([allUsersRead]),
  },
  'put-object-public-read.json': {
    applied: true,
    check: (s) => {
      const object = bucket(s, 'acme-public-assets').objects['img/logo.png'];
      expect(object?.acl?.Grants).toEqual([ownerFull, allUsersRead]);
      expect(object?.size).toBe(18342);
    },
  },
  'put-object-no-acl.json': {
    applied: true,
    check: (s) => {
      const object = bucket(s, 'acme-public-assets').objects['img/hero.jpg'];
      expect(object?.acl).toBeNull();
      expect(object?.size).toBe(48211);
    },
  },
  'put-object-grant-header.json': {
    applied: true,
    // A grant header given as an array of strings, with a quoted URI.
    check: (s) =>
      expect(bucket(s, 'acme-reports').objects['exports/press-kit.zip']?.acl?.Grants).toEqual([allUsersRead]),
  },
  'failed-put-object-public-read.json': {
    applied: false,
    check: (s, before) => expect(s.toJSON()).toEqual(before),
  },
  'self-triggered-put-bucket-policy.json': {
    applied: true,
    check: async (s) => {
      expect(bucket(s, 'acme-public-assets').policy).toMatchObject({
        Statement: [{ Sid: 'DenyInsecureTransport' }],
      });
      const status = await s
        .clients()
        .s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'acme-public-assets' }));
      expect(status.PolicyStatus?.IsPublic).toBe(false);
    },
  },
};

describe('applyEventToWorld on every sample in events/', () => {
  it('has an expectation for every sample', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(jsonFiles(EVENTS_DIR));
  });

  it.each(jsonFiles(EVENTS_DIR))('%s', async (file) => {
    const sandbox = eventSandbox();
    const before = sandbox.toJSON();
    const expected = EXPECTED[file];
    if (expected === undefined) throw new Error(`no expectation for ${file}`);
    const result = applyEventToWorld(sandbox, readEvent(file));
    expect(result.applied).toBe(expected.applied);
    expect(result.summary).toMatch(/\S/);
    if (!expected.applied) expect(sandbox.toJSON()).toEqual(before);
    await expected.check(sandbox, before);
  });

  it.each(jsonFiles(MALFORMED_DIR))('changes nothing for malformed/%s', (file) => {
    const sandbox = eventSandbox();
    const before = sandbox.toJSON();
    expect(applyEventToWorld(sandbox, readEvent(file, MALFORMED_DIR)).applied).toBe(false);
    expect(sandbox.toJSON()).toEqual(before);
  });
});

describe('applyEventToWorld sequences', () => {
  it('gives a completed multipart upload the ACL its CreateMultipartUpload asked for', () => {
    const sandbox = eventSandbox();
    applyEventToWorld(sandbox, readEvent('create-multipart-upload-public.json'));
    const result = applyEventToWorld(sandbox, readEvent('complete-multipart-upload.json'));
    expect(result.summary).toContain('AllUsers READ');
    expect(bucket(sandbox, 'acme-public-assets').objects['videos/launch.mp4']?.acl?.Grants).toEqual([
      allUsersRead,
    ]);
    expect(sandbox.world.multipartUploads).toEqual([]);
  });

  it('does not create an object for PutObjectAcl on a missing key', () => {
    const sandbox = eventSandbox();
    delete bucket(sandbox, 'acme-reports').objects['exports/customers.csv'];
    const before = sandbox.toJSON();
    const result = applyEventToWorld(sandbox, readEvent('put-object-acl-grant-header.json'));
    expect(result).toEqual({
      applied: false,
      summary: 'PutObjectAcl: object acme-reports/exports/customers.csv is not in the sandbox',
    });
    expect(sandbox.toJSON()).toEqual(before);
  });

  it('changes nothing for a bucket the sandbox does not have', () => {
    const sandbox = testSandbox({ accountId: ACCOUNT });
    expect(applyEventToWorld(sandbox, readEvent('put-bucket-acl-canned.json')).applied).toBe(false);
  });

  it('refuses a policy the world file cannot hold, saying why, and leaves the world as it was', () => {
    const sandbox = eventSandbox();
    const before = sandbox.toJSON();
    const event = PolicyEventSchema.parse(readEvent('put-bucket-policy-public.json'));
    const [statement] = event.detail.requestParameters.bucketPolicy.Statement;
    if (statement === undefined) throw new Error('the sample has a statement');
    statement.Effect = 'Maybe';

    const result = applyEventToWorld(sandbox, event);

    expect(result).toEqual({
      applied: false,
      summary: expect.stringMatching(
        /^PutBucketPolicy not applied: the sandbox cannot hold what it records \(buckets\.acme-public-assets\.policy\.Statement\.0\.Effect: /,
      ),
    });
    expect(sandbox.toJSON()).toEqual(before);
  });

  it('refuses to create a bucket whose name is longer than 63 characters', () => {
    const sandbox = testSandbox({ accountId: ACCOUNT });
    const event = EventSchema.parse(readEvent('create-bucket-public.json'));
    const name = 'b'.repeat(64);
    event.detail.requestParameters.bucketName = name;

    const result = applyEventToWorld(sandbox, event);

    expect(result.applied).toBe(false);
    expect(result.summary).toContain(`buckets.${name}: a bucket name has 3 to 63 characters`);
    expect(sandbox.world.buckets).toEqual({});
  });

  it('creates a bucket with the April 2023 defaults when the request asks for nothing public', () => {
    const sandbox = testSandbox({ accountId: ACCOUNT });
    const event = EventSchema.parse(readEvent('create-bucket-public.json'));
    const {
      'x-amz-acl': _acl,
      'x-amz-object-ownership': _ownership,
      ...plain
    } = event.detail.requestParameters;
    const detail = { ...event, detail: { ...event.detail, requestParameters: plain } };
    expect(applyEventToWorld(sandbox, detail).applied).toBe(true);
    expect(bucket(sandbox, 'acme-shared-drop')).toMatchObject({
      acl: null,
      ownershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      publicAccessBlock: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    });
  });
});
