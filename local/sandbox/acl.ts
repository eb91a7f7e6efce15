/**
 * ACLs as S3 builds them from a request: canned ACLs, `x-amz-grant-*` headers and explicit
 * grant lists, and the checks S3 makes before storing one.
 */
import {
  type Acl,
  type Grant,
  type Grantee,
  type Permission,
  PermissionSchema,
} from '../../tasks/shared/contracts.js';

/** The group of everyone, anonymous callers included. */
export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
/** The group of every signed request from any AWS account; public too. */
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
/** S3's server access log delivery group; not public. */
export const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

function ownerGrant(ownerId: string): Grant {
  return { Grantee: { Type: 'CanonicalUser', ID: ownerId }, Permission: 'FULL_CONTROL' };
}

function groupGrant(uri: string, permission: Permission): Grant {
  return { Grantee: { Type: 'Group', URI: uri }, Permission: permission };
}

/** The default ACL of a new bucket or object: the owner has FULL_CONTROL, nobody else anything. */
export function ownerOnlyAcl(ownerId: string): Acl {
  return { Owner: { ID: ownerId }, Grants: [ownerGrant(ownerId)] };
}

/** A stored ACL, or the default one for null; the owner is filled in when the world left it out. */
export function aclOrDefault(acl: Acl | null, ownerId: string): Acl {
  if (acl === null) return ownerOnlyAcl(ownerId);
  return { ...acl, Owner: acl.Owner ?? { ID: ownerId } };
}

const CANNED_EXTRA_GRANTS: Readonly<Record<string, readonly Grant[]>> = {
  private: [],
  'public-read': [groupGrant(ALL_USERS, 'READ')],
  'public-read-write': [groupGrant(ALL_USERS, 'READ'), groupGrant(ALL_USERS, 'WRITE')],
  'authenticated-read': [groupGrant(AUTHENTICATED_USERS, 'READ')],
  'log-delivery-write': [groupGrant(LOG_DELIVERY, 'WRITE'), groupGrant(LOG_DELIVERY, 'READ_ACP')],
  // The object writer and the bucket owner are one account in the sandbox.
  'bucket-owner-read': [],
  'bucket-owner-full-control': [],
  // EC2's READ grant goes to an AWS-internal canonical user the sandbox does not know.
  'aws-exec-read': [],
};

/** The ACL a canned ACL name stands for, or null for a name S3 does not know. */
export function cannedAcl(name: string, ownerId: string): Acl | null {
  const extra = CANNED_EXTRA_GRANTS[name.trim().toLowerCase()];
  if (extra === undefined) return null;
  return { Owner: { ID: ownerId }, Grants: [ownerGrant(ownerId), ...extra] };
}

function unquote(text: string): string {
  return text.trim().replace(/^["']|["']$/g, '');
}

function granteeOf(type: string, value: string): Grantee | null {
  switch (type.trim().toLowerCase()) {
    case 'id':
      return { Type: 'CanonicalUser', ID: value };
    case 'uri':
      return { Type: 'Group', URI: value };
    case 'emailaddress':
      return { Type: 'AmazonCustomerByEmail', EmailAddress: value };
    default:
      return null;
  }
}

/**
 * The grants of one `x-amz-grant-<permission>` header: `id="…", uri="…", emailAddress="…"`,
 * a comma list with optional quotes. Items S3 would reject are left out.
 */
export function grantsFromHeader(permission: Permission, value: string): Grant[] {
  const grants: Grant[] = [];
  for (const item of value.split(',')) {
    const equals = item.indexOf('=');
    if (equals < 0) continue;
    const grantee = granteeOf(item.slice(0, equals), unquote(item.slice(equals + 1)));
    if (grantee) grants.push({ Grantee: grantee, Permission: permission });
  }
  return grants;
}

/** Grant header values by permission, as the SDK input or a CloudTrail request carries them. */
export type GrantHeaders = Partial<Record<Permission, readonly string[]>>;

/** The ACL given by grant headers alone (S3 adds no owner grant), or null when there are none. */
export function aclFromGrantHeaders(headers: GrantHeaders, ownerId: string): Acl | null {
  const grants: Grant[] = [];
  for (const permission of PermissionSchema.options) {
    for (const value of headers[permission] ?? []) grants.push(...grantsFromHeader(permission, value));
  }
  return grants.length === 0 ? null : { Owner: { ID: ownerId }, Grants: grants };
}

/** True when the ACL grants anything to anyone but the owner (BucketOwnerEnforced refuses that). */
export function grantsToOthers(acl: Acl, ownerId: string): boolean {
  return acl.Grants.some((grant) => grant.Grantee.Type !== 'CanonicalUser' || grant.Grantee.ID !== ownerId);
}
