/**
 * What every S3 operation checks first (the bucket exists, the expected owner matches) and the
 * rules S3 applies to an ACL in a request before storing it.
 */
import { type Acl, AclSchema } from '../../tasks/shared/contracts.js';
import { aclFromGrantHeaders, cannedAcl, grantsToOthers } from './acl.js';
import { AwsApiError } from './aws-error.js';
import type { OperationContext } from './operations.js';
import { isPublicAcl } from './public-evaluator.js';
import {
  bucketOwnerId,
  effectivePublicAccessBlock,
  objectOwnership,
  type WorldBucket,
  type WorldObject,
} from './world.js';

/** A bucket found for a request, with its owner's canonical ID. */
export interface BucketRef {
  readonly name: string;
  readonly bucket: WorldBucket;
  readonly ownerId: string;
}

/** The fields every bucket-scoped S3 request carries. */
export interface BucketRequest {
  readonly Bucket?: string | undefined;
  readonly ExpectedBucketOwner?: string | undefined;
}

/**
 * The bucket a request names.
 *
 * @throws AwsApiError NoSuchBucket, or AccessDenied when ExpectedBucketOwner names another account.
 */
export function requireBucket(ctx: OperationContext, input: BucketRequest): BucketRef {
  const name = input.Bucket ?? '';
  const bucket = ctx.world.buckets[name];
  if (bucket === undefined) {
    throw new AwsApiError('NoSuchBucket', 'The specified bucket does not exist', { BucketName: name });
  }
  if (input.ExpectedBucketOwner !== undefined && input.ExpectedBucketOwner !== ctx.world.accountId) {
    throw new AwsApiError('AccessDenied', 'Access Denied');
  }
  return { name, bucket, ownerId: bucketOwnerId(ctx.world, bucket) };
}

/** The object a request names. @throws AwsApiError NoSuchKey. */
export function requireObject(ref: BucketRef, key: string | undefined): WorldObject {
  const object = key === undefined ? undefined : ref.bucket.objects[key];
  if (object === undefined) {
    throw new AwsApiError('NoSuchKey', 'The specified key does not exist.', { Key: key ?? '' });
  }
  return object;
}

/** The ways a request may carry an ACL: canned, grant headers, or (PutBucketAcl/PutObjectAcl) a body. */
export interface AclRequest {
  readonly ACL?: string | undefined;
  readonly AccessControlPolicy?:
    | { readonly Grants?: readonly unknown[]; readonly Owner?: unknown }
    | undefined;
  readonly GrantFullControl?: string | undefined;
  readonly GrantRead?: string | undefined;
  readonly GrantReadACP?: string | undefined;
  readonly GrantWrite?: string | undefined;
  readonly GrantWriteACP?: string | undefined;
}

function listOf(value: string | undefined): readonly string[] {
  return value === undefined ? [] : [value];
}

function bodyAcl(policy: NonNullable<AclRequest['AccessControlPolicy']>, ownerId: string): Acl {
  const parsed = AclSchema.safeParse({ Owner: policy.Owner ?? { ID: ownerId }, Grants: policy.Grants ?? [] });
  if (!parsed.success) {
    throw new AwsApiError(
      'MalformedACLError',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  }
  return parsed.data;
}

/**
 * The ACL a request asks for, or null when it carries none.
 *
 * @throws AwsApiError InvalidRequest when it mixes a canned ACL with grants, MalformedACLError
 *   for a body S3 would reject, InvalidArgument for an unknown canned ACL.
 */
export function aclFromRequest(input: AclRequest, ownerId: string): Acl | null {
  const grants = aclFromGrantHeaders(
    {
      FULL_CONTROL: listOf(input.GrantFullControl),
      READ: listOf(input.GrantRead),
      READ_ACP: listOf(input.GrantReadACP),
      WRITE: listOf(input.GrantWrite),
      WRITE_ACP: listOf(input.GrantWriteACP),
    },
    ownerId,
  );
  const ways = [input.ACL !== undefined, grants !== null, input.AccessControlPolicy !== undefined];
  if (ways.filter(Boolean).length > 1) {
    throw new AwsApiError('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed');
  }
  if (input.AccessControlPolicy !== undefined) return bodyAcl(input.AccessControlPolicy, ownerId);
  if (input.ACL !== undefined) {
    const canned = cannedAcl(input.ACL, ownerId);
    if (canned === null) throw new AwsApiError('InvalidArgument', `Invalid canned ACL: ${input.ACL}`);
    return canned;
  }
  return grants;
}

/**
 * Applies S3's checks to an ACL about to be stored on `ref`'s bucket or one of its objects.
 *
 * @throws AwsApiError AccessControlListNotSupported when the bucket has ACLs disabled
 *   (BucketOwnerEnforced) and the ACL grants to anyone but the owner; AccessDenied when
 *   BlockPublicAcls is on (bucket or account) and the ACL is public.
 */
export function checkAclAllowed(ctx: OperationContext, ref: BucketRef, acl: Acl): void {
  if (objectOwnership(ref.bucket) === 'BucketOwnerEnforced' && grantsToOthers(acl, ref.ownerId)) {
    throw new AwsApiError('AccessControlListNotSupported', 'The bucket does not allow ACLs');
  }
  if (effectivePublicAccessBlock(ctx.world, ref.bucket).BlockPublicAcls && isPublicAcl(acl)) {
    throw new AwsApiError('AccessDenied', 'Access Denied');
  }
}

/** True when ACLs are disabled on the bucket, so reads show the owner's FULL_CONTROL only. */
export function aclsDisabled(ref: BucketRef): boolean {
  return objectOwnership(ref.bucket) === 'BucketOwnerEnforced';
}
