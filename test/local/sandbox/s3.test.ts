import {
  AccessDenied,
  DeleteBucketCommand,
  DeleteBucketOwnershipControlsCommand,
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketTaggingCommand,
  GetBucketWebsiteCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  ALL_USERS,
  LOG_DELIVERY,
  OTHER_ACCOUNT,
  OWNER_ID,
  PRIVATE_POLICY,
  PUBLIC_POLICY,
  rejection,
  testSandbox,
  testWorld,
} from './support.js';

function setup() {
  const sandbox = testSandbox();
  return { sandbox, s3: sandbox.clients().s3 };
}

describe('S3 errors, through the real S3Client', () => {
  it('answers NoSuchBucket (404) for a bucket the account does not have', async () => {
    const { s3 } = setup();
    const error = await rejection(s3.send(new GetBucketAclCommand({ Bucket: 'nope-bucket' })));
    expect(error).toBeInstanceOf(NoSuchBucket);
    expect(error.$metadata?.httpStatusCode).toBe(404);
  });

  it('answers AccessDenied (403) when ExpectedBucketOwner names another account', async () => {
    const { s3 } = setup();
    const error = await rejection(
      s3.send(new GetBucketPolicyCommand({ Bucket: 'acme-reports', ExpectedBucketOwner: OTHER_ACCOUNT })),
    );
    expect(error).toBeInstanceOf(AccessDenied);
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });

  it('accepts ExpectedBucketOwner when it is the account', async () => {
    const { s3 } = setup();
    const out = await s3.send(
      new GetBucketPolicyCommand({ Bucket: 'acme-reports', ExpectedBucketOwner: ACCOUNT }),
    );
    expect(JSON.parse(out.Policy ?? '')).toEqual(PRIVATE_POLICY);
  });

  type Send = (s3: S3Client) => Promise<unknown>;
  const cases: { op: string; code: string; status: number; send: Send }[] = [
    {
      op: 'GetBucketPolicy',
      code: 'NoSuchBucketPolicy',
      status: 404,
      send: (s3) => s3.send(new GetBucketPolicyCommand({ Bucket: 'acme-logs' })),
    },
    {
      op: 'GetBucketPolicyStatus',
      code: 'NoSuchBucketPolicy',
      status: 404,
      send: (s3) => s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'acme-logs' })),
    },
    {
      op: 'GetPublicAccessBlock',
      code: 'NoSuchPublicAccessBlockConfiguration',
      status: 404,
      send: (s3) => s3.send(new GetPublicAccessBlockCommand({ Bucket: 'acme-reports' })),
    },
    {
      op: 'GetBucketOwnershipControls',
      code: 'OwnershipControlsNotFoundError',
      status: 404,
      send: (s3) => s3.send(new GetBucketOwnershipControlsCommand({ Bucket: 'acme-reports' })),
    },
    {
      op: 'GetBucketWebsite',
      code: 'NoSuchWebsiteConfiguration',
      status: 404,
      send: (s3) => s3.send(new GetBucketWebsiteCommand({ Bucket: 'acme-reports' })),
    },
    {
      op: 'GetBucketTagging',
      code: 'NoSuchTagSet',
      status: 404,
      send: (s3) => s3.send(new GetBucketTaggingCommand({ Bucket: 'acme-logs' })),
    },
    {
      op: 'GetObjectAcl',
      code: 'NoSuchKey',
      status: 404,
      send: (s3) => s3.send(new GetObjectAclCommand({ Bucket: 'acme-reports', Key: 'missing.csv' })),
    },
    {
      op: 'GetObject',
      code: 'NoSuchKey',
      status: 404,
      send: (s3) => s3.send(new GetObjectCommand({ Bucket: 'acme-reports', Key: 'missing.csv' })),
    },
    {
      op: 'PutBucketPolicy',
      code: 'MalformedPolicy',
      status: 400,
      send: (s3) => s3.send(new PutBucketPolicyCommand({ Bucket: 'acme-reports', Policy: '{not json' })),
    },
    {
      op: 'PutBucketPolicy',
      code: 'MalformedPolicy',
      status: 400,
      send: (s3) =>
        s3.send(
          new PutBucketPolicyCommand({ Bucket: 'acme-reports', Policy: '{"Statement":[{"Effect":"Alow"}]}' }),
        ),
    },
    {
      op: 'PutBucketAcl',
      code: 'InvalidRequest',
      status: 400,
      send: (s3) =>
        s3.send(
          new PutBucketAclCommand({
            Bucket: 'acme-reports',
            ACL: 'private',
            GrantRead: `uri="${ALL_USERS}"`,
          }),
        ),
    },
    {
      op: 'PutBucketAcl',
      code: 'MissingSecurityHeader',
      status: 400,
      send: (s3) => s3.send(new PutBucketAclCommand({ Bucket: 'acme-reports' })),
    },
    {
      op: 'ListObjectsV2',
      code: 'InvalidArgument',
      status: 400,
      send: (s3) => s3.send(new ListObjectsV2Command({ Bucket: 'acme-reports', ContinuationToken: '%%%' })),
    },
    {
      op: 'HeadBucket',
      code: 'Forbidden',
      status: 403,
      send: (s3) =>
        s3.send(new HeadBucketCommand({ Bucket: 'acme-reports', ExpectedBucketOwner: OTHER_ACCOUNT })),
    },
    {
      op: 'HeadBucket',
      code: 'NotFound',
      status: 404,
      send: (s3) => s3.send(new HeadBucketCommand({ Bucket: 'nope-bucket' })),
    },
  ];

  it.each(cases)('$op answers $code ($status)', async ({ code, status, send }) => {
    const { s3 } = setup();
    const error = await rejection(send(s3));
    expect(error).toBeInstanceOf(S3ServiceException);
    expect(error.name).toBe(code);
    expect(error.$metadata?.httpStatusCode).toBe(status);
  });

  it('says plainly when an operation is not modelled', async () => {
    const { s3, sandbox } = setup();
    await expect(s3.send(new DeleteBucketCommand({ Bucket: 'acme-reports' }))).rejects.toThrow(
      'sandbox does not model S3.DeleteBucket',
    );
    expect(sandbox.calls.at(-1)).toMatchObject({ operation: 'DeleteBucket', outcome: 'Error' });
  });
});

describe('S3 bucket policy', () => {
  it('returns the policy text exactly as it was put', async () => {
    const { s3 } = setup();
    const text = '{ "Version": "2012-10-17",\n  "Statement": [] }';
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'acme-reports', Policy: text }));
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: 'acme-reports' }))).Policy).toBe(text);
  });

  it('reports IsPublic from the sandbox’s own evaluator', async () => {
    const { s3 } = setup();
    const before = await s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'acme-reports' }));
    expect(before.PolicyStatus?.IsPublic).toBe(false);
    await s3.send(
      new PutBucketPolicyCommand({ Bucket: 'acme-reports', Policy: JSON.stringify(PUBLIC_POLICY) }),
    );
    const after = await s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'acme-reports' }));
    expect(after.PolicyStatus?.IsPublic).toBe(true);
  });

  it('refuses a public policy with AccessDenied while BlockPublicPolicy is on', async () => {
    const { s3, sandbox } = setup();
    const policy = JSON.stringify({
      ...PUBLIC_POLICY,
      Statement: [{ ...PUBLIC_POLICY.Statement[0], Resource: 'arn:aws:s3:::acme-public-assets/*' }],
    });
    const error = await rejection(
      s3.send(new PutBucketPolicyCommand({ Bucket: 'acme-public-assets', Policy: policy })),
    );
    expect(error.name).toBe('AccessDenied');
    expect(sandbox.world.buckets['acme-public-assets']?.policy).toBeNull();
  });

  it('applies the account-level BlockPublicPolicy to every bucket', async () => {
    const sandbox = testSandbox({
      ...testWorld(),
      accountPublicAccessBlock: { BlockPublicPolicy: true },
    });
    const error = await rejection(
      sandbox
        .clients()
        .s3.send(
          new PutBucketPolicyCommand({ Bucket: 'acme-reports', Policy: JSON.stringify(PUBLIC_POLICY) }),
        ),
    );
    expect(error.name).toBe('AccessDenied');
  });

  it('accepts a non-public policy while BlockPublicPolicy is on', async () => {
    const { s3, sandbox } = setup();
    await s3.send(
      new PutBucketPolicyCommand({ Bucket: 'acme-public-assets', Policy: JSON.stringify(PRIVATE_POLICY) }),
    );
    expect(sandbox.world.buckets['acme-public-assets']?.policy).toEqual(PRIVATE_POLICY);
  });

  it('deletes the policy, and deleting again still succeeds', async () => {
    const { s3 } = setup();
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: 'acme-reports' }));
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: 'acme-reports' }));
    const error = await rejection(s3.send(new GetBucketPolicyCommand({ Bucket: 'acme-reports' })));
    expect(error.name).toBe('NoSuchBucketPolicy');
  });
});

describe('S3 ACLs', () => {
  it('reads a null ACL as the owner FULL_CONTROL only', async () => {
    const { s3 } = setup();
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: 'acme-reports' }));
    expect(acl.Owner?.ID).toBe(OWNER_ID);
    expect(acl.Grants).toEqual([
      { Grantee: { Type: 'CanonicalUser', ID: OWNER_ID }, Permission: 'FULL_CONTROL' },
    ]);
  });

  it('reads the owner FULL_CONTROL only under BucketOwnerEnforced, whatever is stored', async () => {
    const world = testWorld();
    const sandbox = testSandbox(world);
    const stored = sandbox.world.buckets['acme-public-assets'];
    if (stored === undefined) throw new Error('fixture lacks acme-public-assets');
    stored.acl = {
      Owner: { ID: OWNER_ID },
      Grants: [{ Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' }],
    };
    const acl = await sandbox.clients().s3.send(new GetBucketAclCommand({ Bucket: 'acme-public-assets' }));
    expect(acl.Grants).toEqual([
      { Grantee: { Type: 'CanonicalUser', ID: OWNER_ID }, Permission: 'FULL_CONTROL' },
    ]);
  });

  it('stores a canned public-read ACL on an ObjectWriter bucket', async () => {
    const { s3 } = setup();
    await s3.send(new PutBucketAclCommand({ Bucket: 'acme-reports', ACL: 'public-read' }));
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: 'acme-reports' }));
    expect(acl.Grants).toContainEqual({ Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' });
  });

  it('stores grants given as x-amz-grant headers', async () => {
    const { s3 } = setup();
    await s3.send(
      new PutBucketAclCommand({
        Bucket: 'acme-reports',
        GrantFullControl: `id="${OWNER_ID}"`,
        GrantRead: `uri="${ALL_USERS}"`,
      }),
    );
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: 'acme-reports' }));
    expect(acl.Grants).toHaveLength(2);
    expect(acl.Grants).toContainEqual({ Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' });
  });

  it('answers AccessControlListNotSupported for a grant to others under BucketOwnerEnforced', async () => {
    const { s3 } = setup();
    const error = await rejection(
      s3.send(
        new PutBucketAclCommand({
          Bucket: 'acme-public-assets',
          AccessControlPolicy: {
            Owner: { ID: OWNER_ID },
            Grants: [{ Grantee: { Type: 'Group', URI: LOG_DELIVERY }, Permission: 'WRITE' }],
          },
        }),
      ),
    );
    expect(error.name).toBe('AccessControlListNotSupported');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('answers AccessDenied for a public ACL while BlockPublicAcls is on', async () => {
    const sandbox = testSandbox({ ...testWorld(), accountPublicAccessBlock: { BlockPublicAcls: true } });
    const error = await rejection(
      sandbox.clients().s3.send(new PutBucketAclCommand({ Bucket: 'acme-reports', ACL: 'public-read' })),
    );
    expect(error.name).toBe('AccessDenied');
    expect(sandbox.world.buckets['acme-reports']?.acl).toBeNull();
  });

  it('reads and changes an object ACL', async () => {
    const { s3 } = setup();
    const key = 'exports/customers.csv';
    await s3.send(new PutObjectAclCommand({ Bucket: 'acme-reports', Key: key, ACL: 'authenticated-read' }));
    const acl = await s3.send(new GetObjectAclCommand({ Bucket: 'acme-reports', Key: key }));
    expect(acl.Grants?.map((g) => g.Grantee?.URI ?? g.Grantee?.ID)).toEqual([
      OWNER_ID,
      'http://acs.amazonaws.com/groups/global/AuthenticatedUsers',
    ]);
  });

  it('answers NoSuchKey when changing the ACL of a missing object', async () => {
    const { s3 } = setup();
    const error = await rejection(
      s3.send(new PutObjectAclCommand({ Bucket: 'acme-reports', Key: 'gone.csv', ACL: 'private' })),
    );
    expect(error).toBeInstanceOf(NoSuchKey);
  });
});

describe('S3 Block Public Access and Object Ownership', () => {
  it('replaces the whole configuration: a flag left out is off', async () => {
    const { s3 } = setup();
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: 'acme-public-assets',
        PublicAccessBlockConfiguration: { BlockPublicAcls: true },
      }),
    );
    const out = await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'acme-public-assets' }));
    expect(out.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
  });

  it('deletes the bucket configuration', async () => {
    const { s3 } = setup();
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: 'acme-public-assets' }));
    const error = await rejection(s3.send(new GetPublicAccessBlockCommand({ Bucket: 'acme-public-assets' })));
    expect(error.name).toBe('NoSuchPublicAccessBlockConfiguration');
  });

  it('refuses BucketOwnerEnforced while the bucket ACL grants to others', async () => {
    const { s3 } = setup();
    const error = await rejection(
      s3.send(
        new PutBucketOwnershipControlsCommand({
          Bucket: 'acme-logs',
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        }),
      ),
    );
    expect(error.name).toBe('InvalidBucketAclWithObjectOwnership');
  });

  it('moves to BucketOwnerEnforced when only the owner is granted', async () => {
    const { s3 } = setup();
    await s3.send(
      new PutBucketOwnershipControlsCommand({
        Bucket: 'acme-reports',
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    );
    const out = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: 'acme-reports' }));
    expect(out.OwnershipControls?.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
  });

  it('deletes the ownership controls', async () => {
    const { s3 } = setup();
    await s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket: 'acme-logs' }));
    const error = await rejection(s3.send(new GetBucketOwnershipControlsCommand({ Bucket: 'acme-logs' })));
    expect(error.name).toBe('OwnershipControlsNotFoundError');
  });
});

describe('S3 buckets and objects', () => {
  it('lists the buckets with their Regions', async () => {
    const { s3 } = setup();
    const out = await s3.send(new ListBucketsCommand({}));
    expect(out.Buckets?.map((b) => [b.Name, b.BucketRegion])).toEqual([
      ['acme-logs', 'eu-west-1'],
      ['acme-public-assets', 'us-east-1'],
      ['acme-reports', 'us-east-1'],
    ]);
  });

  it('answers GetBucketLocation with an empty constraint for us-east-1', async () => {
    const { s3 } = setup();
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'acme-logs' }))).LocationConstraint).toBe(
      'eu-west-1',
    );
    expect(
      (await s3.send(new GetBucketLocationCommand({ Bucket: 'acme-reports' }))).LocationConstraint,
    ).toBeUndefined();
  });

  it('answers HeadBucket with the Region', async () => {
    const { s3 } = setup();
    expect((await s3.send(new HeadBucketCommand({ Bucket: 'acme-logs' }))).BucketRegion).toBe('eu-west-1');
  });

  it('answers HeadBucket 200 when ExpectedBucketOwner names the account', async () => {
    const { s3 } = setup();
    const out = await s3.send(
      new HeadBucketCommand({ Bucket: 'acme-reports', ExpectedBucketOwner: ACCOUNT }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.BucketRegion).toBe('us-east-1');
  });

  it('returns the website and the tags', async () => {
    const { s3 } = setup();
    const website = await s3.send(new GetBucketWebsiteCommand({ Bucket: 'acme-public-assets' }));
    expect(website.IndexDocument).toEqual({ Suffix: 'index.html' });
    const tags = await s3.send(new GetBucketTaggingCommand({ Bucket: 'acme-reports' }));
    expect(tags.TagSet).toEqual([{ Key: 'owner', Value: 'data-team' }]);
  });

  it('pages ListObjectsV2 with MaxKeys and ContinuationToken', async () => {
    const { s3 } = setup();
    const first = await s3.send(new ListObjectsV2Command({ Bucket: 'acme-reports', MaxKeys: 2 }));
    expect(first.Contents?.map((o) => o.Key)).toEqual(['drafts/brochure.pdf', 'exports/customers.csv']);
    expect(first.IsTruncated).toBe(true);
    const second = await s3.send(
      new ListObjectsV2Command({
        Bucket: 'acme-reports',
        MaxKeys: 2,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(second.Contents?.map((o) => o.Key)).toEqual(['reports/2024/q3-summary.csv']);
    expect(second.IsTruncated).toBe(false);
    expect(second.NextContinuationToken).toBeUndefined();
  });

  it('filters ListObjectsV2 by Prefix', async () => {
    const { s3 } = setup();
    const out = await s3.send(new ListObjectsV2Command({ Bucket: 'acme-reports', Prefix: 'reports/' }));
    expect(out.KeyCount).toBe(1);
    expect(out.Contents?.[0]?.Size).toBe(Buffer.byteLength('region,revenue\nemea,10\n'));
  });

  it('stores a PutObject body and streams it back from GetObject', async () => {
    const { s3 } = setup();
    await s3.send(
      new PutObjectCommand({
        Bucket: 'acme-reports',
        Key: 'notes/a.txt',
        Body: 'héllo',
        ContentType: 'text/plain',
      }),
    );
    const out = await s3.send(new GetObjectCommand({ Bucket: 'acme-reports', Key: 'notes/a.txt' }));
    expect(out.ContentType).toBe('text/plain');
    expect(await out.Body?.transformToString()).toBe('héllo');
  });

  it('refuses a PutObject ACL for others under BucketOwnerEnforced, but accepts bucket-owner-full-control', async () => {
    const { s3 } = setup();
    const error = await rejection(
      s3.send(
        new PutObjectCommand({ Bucket: 'acme-public-assets', Key: 'a.png', Body: 'x', ACL: 'public-read' }),
      ),
    );
    expect(error.name).toBe('AccessControlListNotSupported');
    await s3.send(
      new PutObjectCommand({
        Bucket: 'acme-public-assets',
        Key: 'a.png',
        Body: 'x',
        ACL: 'bucket-owner-full-control',
      }),
    );
  });
});
