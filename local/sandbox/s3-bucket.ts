/**
 * S3 bucket configuration operations: policy, ACL, Block Public Access, Object Ownership,
 * website and tags, with the errors S3 answers when a part is not configured.
 */

import {
  BucketLocationConstraint,
  type DeleteBucketOwnershipControlsCommandInput,
  type DeleteBucketPolicyCommandInput,
  type DeletePublicAccessBlockCommandInput,
  type GetBucketAclCommandInput,
  type GetBucketAclCommandOutput,
  type GetBucketLocationCommandInput,
  type GetBucketLocationCommandOutput,
  type GetBucketOwnershipControlsCommandInput,
  type GetBucketOwnershipControlsCommandOutput,
  type GetBucketPolicyCommandInput,
  type GetBucketPolicyCommandOutput,
  type GetBucketPolicyStatusCommandInput,
  type GetBucketPolicyStatusCommandOutput,
  type GetBucketTaggingCommandInput,
  type GetBucketTaggingCommandOutput,
  type GetBucketWebsiteCommandInput,
  type GetBucketWebsiteCommandOutput,
  type GetPublicAccessBlockCommandInput,
  type GetPublicAccessBlockCommandOutput,
  type HeadBucketCommandInput,
  type HeadBucketCommandOutput,
  type ListBucketsCommandOutput,
  type PutBucketAclCommandInput,
  type PutBucketOwnershipControlsCommandInput,
  type PutBucketPolicyCommandInput,
  type PutPublicAccessBlockCommandInput,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import {
  OwnershipControlsSchema,
  PolicyDocumentSchema,
  PublicAccessBlockSchema,
} from '../../tasks/shared/contracts.js';
import { aclOrDefault, grantsToOthers, ownerOnlyAcl } from './acl.js';
import { AwsApiError } from './aws-error.js';
import { type Answer, type OperationContext, type OperationTable, operation } from './operations.js';
import { clearPolicy, isPolicyPublic, policyTextOf, storePolicy } from './policy.js';
import { aclFromRequest, aclsDisabled, checkAclAllowed, requireBucket } from './s3-common.js';
import { bucketRegion, defaultCanonicalId, effectivePublicAccessBlock } from './world.js';

type Empty = Record<string, never>;

// ---- Policy ------------------------------------------------------------------------------

function noPolicy(bucket: string): AwsApiError {
  return new AwsApiError('NoSuchBucketPolicy', 'The bucket policy does not exist', { BucketName: bucket });
}

const getBucketPolicy = operation(
  (input: GetBucketPolicyCommandInput, ctx): Answer<GetBucketPolicyCommandOutput> => {
    const ref = requireBucket(ctx, input);
    const text = policyTextOf(ref.bucket);
    if (text === null) throw noPolicy(ref.name);
    return { Policy: text };
  },
);

function parsePolicyText(text: string | undefined): Record<string, unknown> {
  const malformed = (why: string) => new AwsApiError('MalformedPolicy', why);
  let document: unknown;
  try {
    document = JSON.parse(text ?? '');
  } catch {
    throw malformed("Policies must be valid JSON and the first byte must be '{'");
  }
  const parsed = z.looseObject({}).safeParse(document);
  if (!parsed.success || !PolicyDocumentSchema.safeParse(document).success) {
    throw malformed('Policy has invalid resource, action, principal or effect');
  }
  return parsed.data;
}

const putBucketPolicy = operation((input: PutBucketPolicyCommandInput, ctx): Empty => {
  const ref = requireBucket(ctx, input);
  const document = parsePolicyText(input.Policy);
  const blocked = effectivePublicAccessBlock(ctx.world, ref.bucket).BlockPublicPolicy;
  if (blocked && isPolicyPublic(ref.bucket, document)) {
    throw new AwsApiError('AccessDenied', 'Access Denied');
  }
  storePolicy(ref.bucket, document, input.Policy ?? '');
  return {};
});

const deleteBucketPolicy = operation((input: DeleteBucketPolicyCommandInput, ctx): Empty => {
  // S3 answers 204 whether or not there was a policy.
  clearPolicy(requireBucket(ctx, input).bucket);
  return {};
});

const getBucketPolicyStatus = operation(
  (input: GetBucketPolicyStatusCommandInput, ctx): Answer<GetBucketPolicyStatusCommandOutput> => {
    const ref = requireBucket(ctx, input);
    if (ref.bucket.policy === null) throw noPolicy(ref.name);
    return { PolicyStatus: { IsPublic: isPolicyPublic(ref.bucket, ref.bucket.policy) } };
  },
);

// ---- ACL ---------------------------------------------------------------------------------

const getBucketAcl = operation((input: GetBucketAclCommandInput, ctx): Answer<GetBucketAclCommandOutput> => {
  const ref = requireBucket(ctx, input);
  // With ACLs disabled S3 reports the owner's FULL_CONTROL only, whatever grants are stored.
  const acl = aclsDisabled(ref) ? ownerOnlyAcl(ref.ownerId) : aclOrDefault(ref.bucket.acl, ref.ownerId);
  return { Owner: acl.Owner, Grants: acl.Grants };
});

const putBucketAcl = operation((input: PutBucketAclCommandInput, ctx): Empty => {
  const ref = requireBucket(ctx, input);
  const acl = aclFromRequest(input, ref.ownerId);
  if (acl === null) {
    throw new AwsApiError('MissingSecurityHeader', 'Your request was missing a required header');
  }
  checkAclAllowed(ctx, ref, acl);
  ref.bucket.acl = acl;
  return {};
});

// ---- Block Public Access -----------------------------------------------------------------

const getPublicAccessBlock = operation(
  (input: GetPublicAccessBlockCommandInput, ctx): Answer<GetPublicAccessBlockCommandOutput> => {
    const ref = requireBucket(ctx, input);
    if (ref.bucket.publicAccessBlock === null) {
      throw new AwsApiError(
        'NoSuchPublicAccessBlockConfiguration',
        'The public access block configuration was not found',
        { BucketName: ref.name },
      );
    }
    return { PublicAccessBlockConfiguration: { ...ref.bucket.publicAccessBlock } };
  },
);

const putPublicAccessBlock = operation((input: PutPublicAccessBlockCommandInput, ctx): Empty => {
  const ref = requireBucket(ctx, input);
  const config = input.PublicAccessBlockConfiguration;
  if (config === undefined) {
    throw new AwsApiError('MalformedXML', 'The XML you provided was not well-formed');
  }
  // The call replaces the whole configuration: a flag left out is off.
  ref.bucket.publicAccessBlock = PublicAccessBlockSchema.parse(config);
  return {};
});

const deletePublicAccessBlock = operation((input: DeletePublicAccessBlockCommandInput, ctx): Empty => {
  requireBucket(ctx, input).bucket.publicAccessBlock = null;
  return {};
});

// ---- Object Ownership --------------------------------------------------------------------

const getBucketOwnershipControls = operation(
  (input: GetBucketOwnershipControlsCommandInput, ctx): Answer<GetBucketOwnershipControlsCommandOutput> => {
    const ref = requireBucket(ctx, input);
    if (ref.bucket.ownershipControls === null) {
      throw new AwsApiError(
        'OwnershipControlsNotFoundError',
        'The bucket ownership controls were not found',
        { BucketName: ref.name },
      );
    }
    return { OwnershipControls: { Rules: ref.bucket.ownershipControls.Rules.map((rule) => ({ ...rule })) } };
  },
);

const putBucketOwnershipControls = operation((input: PutBucketOwnershipControlsCommandInput, ctx): Empty => {
  const ref = requireBucket(ctx, input);
  const parsed = OwnershipControlsSchema.safeParse(input.OwnershipControls);
  if (!parsed.success) throw new AwsApiError('MalformedXML', 'The XML you provided was not well-formed');
  const enforced = parsed.data.Rules[0]?.ObjectOwnership === 'BucketOwnerEnforced';
  if (enforced && grantsToOthers(aclOrDefault(ref.bucket.acl, ref.ownerId), ref.ownerId)) {
    throw new AwsApiError(
      'InvalidBucketAclWithObjectOwnership',
      "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    );
  }
  ref.bucket.ownershipControls = parsed.data;
  return {};
});

const deleteBucketOwnershipControls = operation(
  (input: DeleteBucketOwnershipControlsCommandInput, ctx): Empty => {
    requireBucket(ctx, input).bucket.ownershipControls = null;
    return {};
  },
);

// ---- Website and tags --------------------------------------------------------------------

const Protocol = z.enum(['http', 'https']);
/** The website configuration in GetBucketWebsite's shape; parts stored in another shape are left out. */
const WebsiteSchema = z.object({
  IndexDocument: z.object({ Suffix: z.string() }).optional().catch(undefined),
  ErrorDocument: z.object({ Key: z.string() }).optional().catch(undefined),
  RedirectAllRequestsTo: z
    .object({ HostName: z.string(), Protocol: Protocol.optional() })
    .optional()
    .catch(undefined),
  RoutingRules: z
    .array(
      z.object({
        Condition: z
          .object({
            HttpErrorCodeReturnedEquals: z.string().optional(),
            KeyPrefixEquals: z.string().optional(),
          })
          .optional(),
        Redirect: z.object({
          HostName: z.string().optional(),
          HttpRedirectCode: z.string().optional(),
          Protocol: Protocol.optional(),
          ReplaceKeyPrefixWith: z.string().optional(),
          ReplaceKeyWith: z.string().optional(),
        }),
      }),
    )
    .optional()
    .catch(undefined),
});

const getBucketWebsite = operation(
  (input: GetBucketWebsiteCommandInput, ctx): Answer<GetBucketWebsiteCommandOutput> => {
    const ref = requireBucket(ctx, input);
    if (ref.bucket.website === null) {
      throw new AwsApiError(
        'NoSuchWebsiteConfiguration',
        'The specified bucket does not have a website configuration',
        {
          BucketName: ref.name,
        },
      );
    }
    return WebsiteSchema.parse(ref.bucket.website);
  },
);

const getBucketTagging = operation(
  (input: GetBucketTaggingCommandInput, ctx): Answer<GetBucketTaggingCommandOutput> => {
    const ref = requireBucket(ctx, input);
    const tags = Object.entries(ref.bucket.tags);
    if (tags.length === 0) {
      throw new AwsApiError('NoSuchTagSet', 'The TagSet does not exist', { BucketName: ref.name });
    }
    return { TagSet: tags.map(([Key, Value]) => ({ Key, Value })) };
  },
);

// ---- Buckets -----------------------------------------------------------------------------

/** Shown for buckets whose world entry gives no creation time. */
const UNKNOWN_CREATION = '2024-01-01T00:00:00.000Z';

/** S3's most buckets per ListBuckets page, when MaxBuckets is given. */
const MAX_BUCKETS_PER_PAGE = 10_000;

/**
 * Every bucket in name order; a page at a time when the caller gives MaxBuckets, as S3 does, with
 * an opaque ContinuationToken (here the index of the next bucket) while more remain.
 */
function listBuckets(input: unknown, ctx: OperationContext): Answer<ListBucketsCommandOutput> {
  const ownerId = defaultCanonicalId(ctx.world.accountId);
  const all = Object.entries(ctx.world.buckets)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, bucket]) => ({
      Name: name,
      CreationDate: new Date(bucket.createdAt ?? UNKNOWN_CREATION),
      BucketRegion: bucketRegion(ctx.world, bucket),
    }));
  const page = pageOf(input);
  if (page === null) return { Buckets: all, Owner: { ID: ownerId } };
  const to = page.from + page.size;
  return {
    Buckets: all.slice(page.from, to),
    Owner: { ID: ownerId },
    ...(to < all.length ? { ContinuationToken: String(to) } : {}),
  };
}

function pageOf(input: unknown): { from: number; size: number } | null {
  if (typeof input !== 'object' || input === null) return null;
  const max = 'MaxBuckets' in input && typeof input.MaxBuckets === 'number' ? input.MaxBuckets : undefined;
  const token =
    'ContinuationToken' in input && typeof input.ContinuationToken === 'string'
      ? input.ContinuationToken
      : undefined;
  if (max === undefined && token === undefined) return null;
  const from = token === undefined ? 0 : Number.parseInt(token, 10);
  if (!Number.isInteger(from) || from < 0) {
    throw new AwsApiError('InvalidArgument', 'The continuation token provided is incorrect');
  }
  return { from, size: Math.min(max ?? MAX_BUCKETS_PER_PAGE, MAX_BUCKETS_PER_PAGE) };
}

const LOCATION_CONSTRAINTS: ReadonlySet<string> = new Set(Object.values(BucketLocationConstraint));
function isLocationConstraint(region: string): region is BucketLocationConstraint {
  return LOCATION_CONSTRAINTS.has(region);
}

const getBucketLocation = operation(
  (input: GetBucketLocationCommandInput, ctx): Answer<GetBucketLocationCommandOutput> => {
    const ref = requireBucket(ctx, input);
    const region = bucketRegion(ctx.world, ref.bucket);
    // us-east-1 is the one Region S3 answers with an empty LocationConstraint.
    if (region === 'us-east-1' || !isLocationConstraint(region)) return {};
    return { LocationConstraint: region };
  },
);

const headBucket = operation((input: HeadBucketCommandInput, ctx): Answer<HeadBucketCommandOutput> => {
  // A HEAD response has no body, so the SDK can only name the error by its status.
  const bucket = ctx.world.buckets[input.Bucket ?? ''];
  if (bucket === undefined) throw new AwsApiError('NotFound', 'Not Found');
  if (input.ExpectedBucketOwner !== undefined && input.ExpectedBucketOwner !== ctx.world.accountId) {
    throw new AwsApiError('Forbidden', 'Forbidden');
  }
  return { BucketRegion: bucketRegion(ctx.world, bucket), AccessPointAlias: false };
});

/** Bucket-level S3 operations by command name. */
export const S3_BUCKET_OPERATIONS: OperationTable = {
  GetBucketPolicy: getBucketPolicy,
  PutBucketPolicy: putBucketPolicy,
  DeleteBucketPolicy: deleteBucketPolicy,
  GetBucketPolicyStatus: getBucketPolicyStatus,
  GetBucketAcl: getBucketAcl,
  PutBucketAcl: putBucketAcl,
  GetPublicAccessBlock: getPublicAccessBlock,
  PutPublicAccessBlock: putPublicAccessBlock,
  DeletePublicAccessBlock: deletePublicAccessBlock,
  GetBucketOwnershipControls: getBucketOwnershipControls,
  PutBucketOwnershipControls: putBucketOwnershipControls,
  DeleteBucketOwnershipControls: deleteBucketOwnershipControls,
  GetBucketWebsite: getBucketWebsite,
  GetBucketTagging: getBucketTagging,
  ListBuckets: listBuckets,
  GetBucketLocation: getBucketLocation,
  HeadBucket: headBucket,
};
