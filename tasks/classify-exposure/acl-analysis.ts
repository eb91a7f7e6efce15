/**
 * Reads bucket and object ACLs (reference/s3-public-semantics.md, section 1): a grant of any
 * permission to AllUsers or AuthenticatedUsers is public; LogDelivery is not; a canonical user
 * other than the owner is cross-account sharing.
 */
import type { AccessLevel, Acl, Grant, Permission } from '../shared/contracts.js';
import { PUBLIC_GROUPS } from '../shared/describe.js';

const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

export type AclTarget =
  | { readonly source: 'bucketAcl'; readonly key: null }
  | { readonly source: 'objectAcl'; readonly key: string };

interface GrantRef {
  readonly target: AclTarget;
  readonly grant: Grant;
}

export interface PublicAclGrant extends GrantRef {
  readonly principal: string;
  readonly levels: readonly AccessLevel[];
  /** The S3 actions the grant allows, to check Deny statements against. */
  readonly actions: readonly string[];
  readonly resource: string;
  readonly why: string;
}

export interface ExternalAclGrant extends GrantRef {
  readonly why: string;
}

export interface AclAnalysis {
  readonly publicGrants: readonly PublicAclGrant[];
  readonly externalGrants: readonly ExternalAclGrant[];
  /** Grants whose owner could not be told apart from another account (no owner ID known). */
  readonly undecided: readonly ExternalAclGrant[];
}

const LEVELS: Record<Permission, readonly AccessLevel[]> = {
  READ: ['read'],
  READ_ACP: ['read'],
  WRITE: ['write'],
  WRITE_ACP: ['write'],
  FULL_CONTROL: ['read', 'write'],
};

const BUCKET_ACTIONS: Record<Permission, readonly string[]> = {
  READ: ['s3:ListBucket'],
  READ_ACP: ['s3:GetBucketAcl'],
  WRITE: ['s3:PutObject'],
  WRITE_ACP: ['s3:PutBucketAcl'],
  FULL_CONTROL: ['s3:ListBucket', 's3:GetBucketAcl', 's3:PutObject', 's3:PutBucketAcl'],
};

const OBJECT_ACTIONS: Record<Permission, readonly string[]> = {
  READ: ['s3:GetObject'],
  READ_ACP: ['s3:GetObjectAcl'],
  // WRITE does not apply to objects; if a stored ACL holds it anyway, judge it as write.
  WRITE: ['s3:PutObject'],
  WRITE_ACP: ['s3:PutObjectAcl'],
  FULL_CONTROL: ['s3:GetObject', 's3:GetObjectAcl', 's3:PutObjectAcl'],
};

const ACCESS_WORDS: Record<Permission, string> = {
  READ: 'read',
  READ_ACP: 'read the ACL of',
  WRITE: 'write to',
  WRITE_ACP: 'change the ACL of',
  FULL_CONTROL: 'read, write and change the ACL of',
};

function targetName(target: AclTarget): string {
  return target.source === 'bucketAcl' ? 'the bucket ACL' : `the ACL of object "${target.key}"`;
}

function analyseAcl(
  acl: Acl,
  target: AclTarget,
  bucket: string,
  ownerCanonicalId: string | null,
  out: { publicGrants: PublicAclGrant[]; externalGrants: ExternalAclGrant[]; undecided: ExternalAclGrant[] },
): void {
  const ownerIds = new Set([ownerCanonicalId, acl.Owner?.ID].filter((id): id is string => !!id));
  for (const grant of acl.Grants) {
    const { Grantee: grantee, Permission: permission } = grant;
    const group = grantee.URI !== undefined ? PUBLIC_GROUPS[grantee.URI] : undefined;
    if (group) {
      const onBucket = target.source === 'bucketAcl';
      const thing = onBucket ? `bucket ${bucket}` : `object "${target.key}"`;
      out.publicGrants.push({
        target,
        grant,
        principal: group,
        levels: LEVELS[permission],
        actions: (onBucket ? BUCKET_ACTIONS : OBJECT_ACTIONS)[permission],
        resource: onBucket ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${target.key}`,
        why: `${targetName(target)} grants ${permission} to ${group}: ${
          group === 'AllUsers' ? 'anyone' : 'anyone with an AWS account'
        } can ${ACCESS_WORDS[permission]} ${thing}`,
      });
    } else if (grantee.Type === 'Group') {
      // LogDelivery (server access logs) is AWS's own delivery group, neither public nor another account.
      if (grantee.URI !== LOG_DELIVERY) {
        out.externalGrants.push({
          target,
          grant,
          why: `${targetName(target)} grants ${permission} to group ${grantee.URI}`,
        });
      }
    } else if (grantee.Type === 'AmazonCustomerByEmail') {
      out.externalGrants.push({
        target,
        grant,
        why: `${targetName(target)} grants ${permission} to the account of ${grantee.EmailAddress ?? 'an email address'}`,
      });
    } else if (grantee.ID !== undefined && !ownerIds.has(grantee.ID)) {
      const entry = {
        target,
        grant,
        why: `${targetName(target)} grants ${permission} to canonical user ${grantee.ID}, not the bucket owner`,
      };
      (ownerIds.size === 0 ? out.undecided : out.externalGrants).push(entry);
    }
  }
}

/** Analyses the bucket ACL and every object ACL read. */
export function analyseAcls(
  bucket: string,
  bucketAcl: Acl | null | undefined,
  objectAcls: Record<string, Acl> | undefined,
): AclAnalysis {
  const out = {
    publicGrants: [] as PublicAclGrant[],
    externalGrants: [] as ExternalAclGrant[],
    undecided: [] as ExternalAclGrant[],
  };
  const ownerCanonicalId = bucketAcl?.Owner?.ID ?? null;
  if (bucketAcl) analyseAcl(bucketAcl, { source: 'bucketAcl', key: null }, bucket, ownerCanonicalId, out);
  for (const [key, acl] of Object.entries(objectAcls ?? {})) {
    analyseAcl(acl, { source: 'objectAcl', key }, bucket, ownerCanonicalId, out);
  }
  return out;
}
