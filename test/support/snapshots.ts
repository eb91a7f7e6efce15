/** Builders for snapshots in tests: a private, fully read bucket, changed one part at a time. */
import type { BucketAccessSnapshotInput, PolicyStatement } from '../../tasks/shared/contracts.js';

export const OWNER_ACCOUNT = '111122223333';
export const OTHER_ACCOUNT = '444455556666';
export const OWNER_CANONICAL = 'owner0canonical0id';
export const BUCKET = 'acme-data';
export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
export const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

type Permission = 'FULL_CONTROL' | 'READ' | 'READ_ACP' | 'WRITE' | 'WRITE_ACP';

export const ownerGrant = {
  Grantee: { Type: 'CanonicalUser' as const, ID: OWNER_CANONICAL },
  Permission: 'FULL_CONTROL' as const,
};

export function groupGrant(uri: string, permission: Permission) {
  return { Grantee: { Type: 'Group' as const, URI: uri }, Permission: permission };
}

export function canonicalGrant(id: string, permission: Permission) {
  return { Grantee: { Type: 'CanonicalUser' as const, ID: id }, Permission: permission };
}

export function acl(...grants: ReturnType<typeof groupGrant | typeof canonicalGrant>[]) {
  return { Owner: { ID: OWNER_CANONICAL }, Grants: [ownerGrant, ...grants] };
}

export function policy(...statements: Partial<PolicyStatement>[]) {
  return {
    Version: '2012-10-17',
    Statement: statements.map((s) => ({ Effect: 'Allow' as const, ...s })),
  };
}

/** Principal "*" may read objects: the classic public statement. */
export const PUBLIC_READ: Partial<PolicyStatement> = {
  Sid: 'PublicRead',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};

export function publicReadWith(
  condition: NonNullable<PolicyStatement['Condition']>,
): Partial<PolicyStatement> {
  return { ...PUBLIC_READ, Condition: condition };
}

export const BPA_ALL_OFF = {
  BlockPublicAcls: false,
  IgnorePublicAcls: false,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: false,
};

export function bpa(flags: Partial<typeof BPA_ALL_OFF>) {
  return { ...BPA_ALL_OFF, ...flags };
}

/** A bucket that is read in full and private: no policy, owner-only ACL, BPA off, ObjectWriter. */
export function privateSnapshot(
  overrides: Partial<BucketAccessSnapshotInput> = {},
): BucketAccessSnapshotInput {
  return {
    accountId: OWNER_ACCOUNT,
    bucket: BUCKET,
    objectKeys: [],
    bucketPolicy: null,
    bucketAcl: acl(),
    objectAcls: {},
    bucketPublicAccessBlock: null,
    accountPublicAccessBlock: null,
    ownershipControls: null,
    unreadable: [],
    ...overrides,
  };
}

export function ownership(mode: 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter') {
  return { Rules: [{ ObjectOwnership: mode }] };
}
