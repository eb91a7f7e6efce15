/**
 * The classifier's specification, as a table. Each case is named after the section and rule of
 * reference/s3-public-semantics.md it pins ("policy: aws:Referer does not limit access"), and
 * states all six booleans, the severity and the reason the verdict must give.
 */
import type {
  BucketAccessSnapshotInput,
  PolicyStatement,
  Severity,
} from '../../../tasks/shared/contracts.js';
import {
  ALL_USERS,
  AUTHENTICATED_USERS,
  acl,
  BUCKET,
  bpa,
  canonicalGrant,
  groupGrant,
  LOG_DELIVERY,
  OTHER_ACCOUNT,
  OWNER_ACCOUNT,
  ownership,
  PUBLIC_READ,
  policy,
  privateSnapshot,
  publicReadWith,
} from '../../support/snapshots.js';

export interface Expected {
  readonly policyPublic: boolean;
  readonly aclPublic: boolean;
  readonly effectivelyPublic: boolean;
  readonly publicRead: boolean;
  readonly publicWrite: boolean;
  readonly crossAccount: boolean;
  readonly severity: Severity;
}

export interface SpecCase {
  readonly name: string;
  readonly snapshot: BucketAccessSnapshotInput;
  readonly expected: Expected;
  /** A reason the verdict must give: its fields, with `why` as a pattern. Null: no reason at all. */
  readonly reason: { readonly why: RegExp; readonly [field: string]: unknown } | null;
  /** Patterns that must each match an `unknown` entry's `why`; none expected when absent. */
  readonly unknown?: readonly RegExp[];
}

const PRIVATE: Expected = {
  policyPublic: false,
  aclPublic: false,
  effectivelyPublic: false,
  publicRead: false,
  publicWrite: false,
  crossAccount: false,
  severity: 'INFORMATIONAL',
};
const POLICY_READ: Expected = {
  ...PRIVATE,
  policyPublic: true,
  effectivelyPublic: true,
  publicRead: true,
  severity: 'HIGH',
};
const POLICY_WRITE: Expected = { ...POLICY_READ, publicRead: false, publicWrite: true, severity: 'CRITICAL' };
const POLICY_READ_WRITE: Expected = { ...POLICY_READ, publicWrite: true, severity: 'CRITICAL' };
const ACL_READ: Expected = {
  ...PRIVATE,
  aclPublic: true,
  effectivelyPublic: true,
  publicRead: true,
  severity: 'HIGH',
};
const ACL_WRITE: Expected = { ...ACL_READ, publicRead: false, publicWrite: true, severity: 'CRITICAL' };
const CROSS_ACCOUNT: Expected = { ...PRIVATE, crossAccount: true, severity: 'MEDIUM' };
const LATENT_POLICY: Expected = { ...PRIVATE, policyPublic: true, severity: 'LOW' };
const LATENT_ACL: Expected = { ...PRIVATE, aclPublic: true, severity: 'LOW' };

const publicStatement = (why: RegExp, statement = 0, sid: string | null = 'PublicRead') => ({
  source: 'bucketPolicy',
  statement,
  sid,
  why,
});
const limitedStatement = (why: RegExp) => ({ source: 'bucketPolicy', statement: 0, sid: 'PublicRead', why });

/** One case per condition key or operator reading: Principal "*" reading objects, under the condition. */
function conditionCase(
  name: string,
  condition: Parameters<typeof publicReadWith>[0],
  expected: Expected,
  why: RegExp,
  unknown?: RegExp[],
): SpecCase {
  const isPublic = expected.effectivelyPublic;
  return {
    name,
    snapshot: privateSnapshot({ bucketPolicy: policy(publicReadWith(condition)) }),
    expected,
    reason: isPublic ? publicStatement(why) : limitedStatement(why),
    ...(unknown ? { unknown } : {}),
  };
}

const ORG = 'o-a1b2c3d4e5';
/** An IAM policy variable, built up so it is plainly not a template literal gone wrong. */
const POLICY_VARIABLE = ['$', '{aws:username}'].join('');
const VPCE = 'vpce-1a2b3c4d';
/** Unique IDs, as S3 shows a role or a user that was deleted after the policy named it. */
const DELETED_ROLE = 'AROAJQABLZS4A3QDU576Q';
const DELETED_USER = 'AIDAJQABLZS4A3QDU576Q';

// ---- 1. ACLs ------------------------------------------------------------------------------

const aclCases: SpecCase[] = [
  {
    name: 'acl: AllUsers READ on the bucket is public read',
    snapshot: privateSnapshot({ bucketAcl: acl(groupGrant(ALL_USERS, 'READ')) }),
    expected: ACL_READ,
    reason: { source: 'bucketAcl', key: null, why: /grants READ to AllUsers: anyone can read bucket/ },
  },
  {
    name: 'acl: AuthenticatedUsers counts as public too',
    snapshot: privateSnapshot({ bucketAcl: acl(groupGrant(AUTHENTICATED_USERS, 'READ')) }),
    expected: ACL_READ,
    reason: { source: 'bucketAcl', why: /AuthenticatedUsers: anyone with an AWS account/ },
  },
  {
    name: 'acl: LogDelivery is not public',
    snapshot: privateSnapshot({
      bucketAcl: acl(groupGrant(LOG_DELIVERY, 'WRITE'), groupGrant(LOG_DELIVERY, 'READ_ACP')),
    }),
    expected: PRIVATE,
    reason: null,
  },
  {
    name: 'acl: a canonical-user grant to another account is cross-account sharing, not public',
    snapshot: privateSnapshot({ bucketAcl: acl(canonicalGrant('other0account0canonical', 'READ')) }),
    expected: CROSS_ACCOUNT,
    reason: { source: 'bucketAcl', why: /canonical user other0account0canonical, not the bucket owner/ },
  },
  {
    name: 'acl: a grant to the owner canonical ID is neither public nor cross-account',
    snapshot: privateSnapshot({ bucketAcl: acl() }),
    expected: PRIVATE,
    reason: null,
  },
  {
    name: 'acl: any permission counts: READ_ACP alone to AllUsers is public (read level)',
    snapshot: privateSnapshot({ bucketAcl: acl(groupGrant(ALL_USERS, 'READ_ACP')) }),
    expected: ACL_READ,
    reason: { source: 'bucketAcl', why: /READ_ACP to AllUsers: anyone can read the ACL of/ },
  },
  {
    name: 'acl: WRITE to AllUsers on the bucket is public write',
    snapshot: privateSnapshot({ bucketAcl: acl(groupGrant(ALL_USERS, 'WRITE')) }),
    expected: ACL_WRITE,
    reason: { source: 'bucketAcl', why: /WRITE to AllUsers: anyone can write to bucket/ },
  },
  {
    name: 'acl: WRITE_ACP to AllUsers is public write (permissions level)',
    snapshot: privateSnapshot({ bucketAcl: acl(groupGrant(ALL_USERS, 'WRITE_ACP')) }),
    expected: ACL_WRITE,
    reason: { source: 'bucketAcl', why: /WRITE_ACP to AllUsers: anyone can change the ACL of/ },
  },
  {
    name: 'acl: FULL_CONTROL to AllUsers is public read and write',
    snapshot: privateSnapshot({ bucketAcl: acl(groupGrant(ALL_USERS, 'FULL_CONTROL')) }),
    expected: { ...ACL_READ, publicWrite: true, severity: 'CRITICAL' },
    reason: { source: 'bucketAcl', why: /FULL_CONTROL to AllUsers/ },
  },
  {
    name: 'acl: canned public-read-write (AllUsers READ and WRITE) is public read and write',
    snapshot: privateSnapshot({
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ'), groupGrant(ALL_USERS, 'WRITE')),
    }),
    expected: { ...ACL_READ, publicWrite: true, severity: 'CRITICAL' },
    reason: { source: 'bucketAcl', why: /WRITE to AllUsers/ },
  },
  {
    name: 'acl: canned log-delivery-write is not public',
    snapshot: privateSnapshot({ bucketAcl: acl(groupGrant(LOG_DELIVERY, 'WRITE')) }),
    expected: PRIVATE,
    reason: null,
  },
  {
    name: 'acl: an object ACL granting AllUsers READ makes that object public',
    snapshot: privateSnapshot({
      objectKeys: ['reports/q3.csv'],
      objectAcls: { 'reports/q3.csv': acl(groupGrant(ALL_USERS, 'READ')) },
    }),
    expected: ACL_READ,
    reason: { source: 'objectAcl', key: 'reports/q3.csv', why: /anyone can read object "reports\/q3.csv"/ },
  },
  {
    name: 'acl: an object ACL FULL_CONTROL to AllUsers is read and write (READ, READ_ACP, WRITE_ACP)',
    snapshot: privateSnapshot({
      objectKeys: ['a.txt'],
      objectAcls: { 'a.txt': acl(groupGrant(ALL_USERS, 'FULL_CONTROL')) },
    }),
    expected: { ...ACL_READ, publicWrite: true, severity: 'CRITICAL' },
    reason: { source: 'objectAcl', key: 'a.txt', why: /FULL_CONTROL to AllUsers/ },
  },
  {
    name: 'acl: an email grantee is another account',
    snapshot: privateSnapshot({
      bucketAcl: {
        ...acl(),
        Grants: [
          {
            Grantee: { Type: 'AmazonCustomerByEmail', EmailAddress: 'partner@example.com' },
            Permission: 'READ',
          },
        ],
      },
    }),
    expected: CROSS_ACCOUNT,
    reason: { source: 'bucketAcl', why: /account of partner@example.com/ },
  },
  {
    name: 'acl: a canonical grant when no owner ID is known is reported, not guessed',
    snapshot: privateSnapshot({ bucketAcl: { Grants: [canonicalGrant('someone', 'READ')] } }),
    expected: { ...PRIVATE, severity: 'MEDIUM' },
    reason: null,
    unknown: [/owner's canonical ID is unknown/],
  },
];

// ---- 2. Bucket policies -------------------------------------------------------------------

const principalCases: SpecCase[] = [
  {
    name: 'policy: Principal "*" with no condition is public',
    snapshot: privateSnapshot({ bucketPolicy: policy(PUBLIC_READ) }),
    expected: POLICY_READ,
    reason: publicStatement(/Principal "\*" is everyone, anonymous callers included/),
  },
  {
    name: 'policy: Principal {"AWS": "*"} is the same as "*"',
    snapshot: privateSnapshot({ bucketPolicy: policy({ ...PUBLIC_READ, Principal: { AWS: '*' } }) }),
    expected: POLICY_READ,
    reason: publicStatement(/everyone/),
  },
  {
    name: 'policy: a principal list that contains "*" is everyone',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        ...PUBLIC_READ,
        Principal: { AWS: [`arn:aws:iam::${OWNER_ACCOUNT}:root`, '*'] },
      }),
    }),
    expected: POLICY_READ,
    reason: publicStatement(/everyone/),
  },
  {
    name: 'policy: a wildcard inside a principal ARN is not a fixed principal',
    snapshot: privateSnapshot({
      bucketPolicy: policy({ ...PUBLIC_READ, Principal: { AWS: 'arn:aws:iam::*:root' } }),
    }),
    expected: POLICY_READ,
    reason: publicStatement(/not a fixed value/),
  },
  {
    name: 'policy: Federated graph.facebook.com allowed s3:PutObject is public (the doc example)',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'Fb',
        Principal: { Federated: 'graph.facebook.com' },
        Action: 's3:PutObject',
      }),
    }),
    expected: POLICY_WRITE,
    reason: publicStatement(/anyone who signs in with that provider/, 0, 'Fb'),
  },
  {
    name: 'policy: Principal "*" allowed s3:PutObject with no condition is public write (the doc example)',
    snapshot: privateSnapshot({ bucketPolicy: policy({ ...PUBLIC_READ, Action: 's3:PutObject' }) }),
    expected: POLICY_WRITE,
    reason: publicStatement(/allows public access/),
  },
  {
    name: 'policy: NotPrincipal with Allow is public',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'AllButOne',
        NotPrincipal: { AWS: `arn:aws:iam::${OWNER_ACCOUNT}:user/alice` },
        Action: 's3:GetObject',
      }),
    }),
    expected: POLICY_READ,
    reason: publicStatement(/NotPrincipal applies to everyone except/, 0, 'AllButOne'),
  },
  {
    name: 'policy: one public statement makes the whole policy public (the worked example)',
    snapshot: privateSnapshot({
      bucketPolicy: policy(
        {
          Sid: 'CloudTrail',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: {
            StringEquals: { 'aws:SourceArn': `arn:aws:cloudtrail:us-east-1:${OWNER_ACCOUNT}:trail/main` },
          },
        },
        { Sid: 'Account2', Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: 's3:GetObject' },
        { ...PUBLIC_READ, Sid: 'Anyone' },
      ),
    }),
    expected: { ...POLICY_READ, crossAccount: true },
    reason: publicStatement(/statement 2 \("Anyone"\) allows public access/, 2, 'Anyone'),
  },
  {
    name: 'policy: the action list does not rescue a statement: only s3:GetBucketLocation is still public',
    snapshot: privateSnapshot({ bucketPolicy: policy({ ...PUBLIC_READ, Action: 's3:GetBucketLocation' }) }),
    expected: POLICY_READ,
    reason: publicStatement(/allows public access/),
  },
  {
    name: 'policy: a Deny-only policy grants nothing and is not public',
    snapshot: privateSnapshot({
      bucketPolicy: policy({ Sid: 'NoHttp', Effect: 'Deny', Principal: '*', Action: 's3:*' }),
    }),
    expected: PRIVATE,
    reason: null,
  },
  {
    name: 'policy: a named account outside the owner is cross-account, not public',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'Partner',
        Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:role/reader` },
        Action: 's3:GetObject',
      }),
    }),
    expected: CROSS_ACCOUNT,
    reason: {
      source: 'bucketPolicy',
      statement: 0,
      sid: 'Partner',
      why: /account 444455556666 is outside the owner account/,
    },
  },
  {
    name: 'policy: the owner account itself is neither public nor cross-account',
    snapshot: privateSnapshot({
      bucketPolicy: policy({ Sid: 'Own', Principal: { AWS: OWNER_ACCOUNT }, Action: 's3:*' }),
    }),
    expected: PRIVATE,
    reason: null,
  },
  {
    name: 'policy: a principal given as a bare role unique ID (AROA…, a deleted role) reaches nobody',
    snapshot: privateSnapshot({
      bucketPolicy: policy({ Sid: 'Gone', Principal: { AWS: DELETED_ROLE }, Action: 's3:GetObject' }),
    }),
    expected: PRIVATE,
    reason: {
      source: 'bucketPolicy',
      statement: 0,
      sid: 'Gone',
      why: /names AROAJQABLZS4A3QDU576Q: a bare unique ID, as S3 shows a deleted role or user/,
    },
  },
  {
    name: 'policy: a principal given as a bare user unique ID (AIDA…, a deleted user) reaches nobody',
    snapshot: privateSnapshot({
      bucketPolicy: policy({ Sid: 'Gone', Principal: { AWS: DELETED_USER }, Action: 's3:PutObject' }),
    }),
    expected: PRIVATE,
    reason: { source: 'bucketPolicy', sid: 'Gone', why: /names AIDAJQABLZS4A3QDU576Q: a bare unique ID/ },
  },
  {
    name: 'policy: a bare unique ID beside "*" leaves the statement public',
    snapshot: privateSnapshot({
      bucketPolicy: policy({ ...PUBLIC_READ, Principal: { AWS: [DELETED_ROLE, '*'] } }),
    }),
    expected: POLICY_READ,
    reason: publicStatement(/allows public access: Principal "\*" is everyone/),
  },
  {
    name: "policy: a bare unique ID beside another account's role leaves the statement cross-account",
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'Partner',
        Principal: { AWS: [DELETED_ROLE, `arn:aws:iam::${OTHER_ACCOUNT}:role/reader`] },
        Action: 's3:GetObject',
      }),
    }),
    expected: CROSS_ACCOUNT,
    reason: {
      source: 'bucketPolicy',
      sid: 'Partner',
      why: /account 444455556666 is outside the owner account/,
    },
  },
  {
    name: 'policy: a service principal is neither public nor cross-account',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'Svc',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
      }),
    }),
    expected: PRIVATE,
    reason: null,
  },
];

const conditionCases: SpecCase[] = [
  conditionCase(
    'policy: StringLike aws:SourceVpc "vpc-*" does not limit (the doc example)',
    { StringLike: { 'aws:SourceVpc': 'vpc-*' } },
    POLICY_READ,
    /aws:SourceVpc "vpc-\*" is not a fixed value/,
  ),
  conditionCase(
    'policy: StringEquals aws:SourceVpc with a fixed value limits (the doc example)',
    { StringEquals: { 'aws:SourceVpc': 'vpc-91237329' } },
    PRIVATE,
    /is not public: aws:SourceVpc is limited to vpc-91237329/,
  ),
  conditionCase(
    'policy: conditions combine with AND: a fixed aws:SourceVpce limits even beside aws:Referer "*"',
    { StringEquals: { 'aws:SourceVpce': VPCE }, StringLike: { 'aws:Referer': '*' } },
    PRIVATE,
    /aws:SourceVpce is limited to vpce-1a2b3c4d/,
  ),
  conditionCase(
    'policy: aws:Referer does not limit access',
    { StringLike: { 'aws:Referer': ['https://www.example.com/*'] } },
    POLICY_READ,
    /aws:Referer is not a key that limits access/,
  ),
  conditionCase(
    'policy: aws:SecureTransport does not limit access',
    { Bool: { 'aws:SecureTransport': 'true' } },
    POLICY_READ,
    /aws:SecureTransport is not a key that limits access/,
  ),
  conditionCase(
    'policy: s3:prefix does not limit access',
    { StringEquals: { 's3:prefix': 'public/' } },
    POLICY_READ,
    /s3:prefix is not a key/,
  ),
  conditionCase(
    'policy: s3:x-amz-acl does not limit access',
    { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
    POLICY_READ,
    /s3:x-amz-acl is not a key/,
  ),
  conditionCase(
    'policy: aws:UserAgent does not limit access',
    { StringEquals: { 'aws:UserAgent': 'internal-tool/1.0' } },
    POLICY_READ,
    /aws:UserAgent is not a key/,
  ),
  conditionCase(
    'policy: s3:ExistingObjectTag/* does not limit access',
    { StringEquals: { 's3:ExistingObjectTag/public': 'yes' } },
    POLICY_READ,
    /s3:ExistingObjectTag\/public is not a key/,
  ),
  conditionCase(
    'policy: a fixed aws:PrincipalOrgID limits, and counts as cross-account',
    { StringEquals: { 'aws:PrincipalOrgID': ORG } },
    CROSS_ACCOUNT,
    /aws:PrincipalOrgID is limited to o-a1b2c3d4e5/,
  ),
  conditionCase(
    'policy: aws:PrincipalOrgId (older spelling) limits too',
    { StringEquals: { 'aws:PrincipalOrgId': ORG } },
    CROSS_ACCOUNT,
    /is not public: aws:PrincipalOrgId is limited/,
  ),
  conditionCase(
    'policy: a fixed aws:SourceArn limits',
    { ArnEquals: { 'aws:SourceArn': `arn:aws:cloudfront::${OWNER_ACCOUNT}:distribution/E1ABC` } },
    PRIVATE,
    /aws:SourceArn is limited to/,
  ),
  conditionCase(
    'policy: a fixed aws:SourceVpce limits',
    { StringEquals: { 'aws:SourceVpce': VPCE } },
    PRIVATE,
    /aws:SourceVpce is limited/,
  ),
  conditionCase(
    'policy: a fixed aws:SourceOwner of the owner account limits',
    { StringEquals: { 'aws:SourceOwner': OWNER_ACCOUNT } },
    PRIVATE,
    /aws:SourceOwner is limited/,
  ),
  conditionCase(
    'policy: a fixed aws:SourceAccount of another account limits, and is cross-account',
    { StringEquals: { 'aws:SourceAccount': OTHER_ACCOUNT } },
    CROSS_ACCOUNT,
    /aws:SourceAccount is limited to 444455556666/,
  ),
  conditionCase(
    'policy: a fixed s3:x-amz-server-side-encryption-aws-kms-key-id limits',
    {
      StringEquals: {
        's3:x-amz-server-side-encryption-aws-kms-key-id': `arn:aws:kms:us-east-1:${OWNER_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      },
    },
    PRIVATE,
    /kms-key-id is limited/,
  ),
  conditionCase(
    'policy: a fixed aws:userid limits',
    { StringEquals: { 'aws:userid': 'AIDAJQABLZS4A3QDU576Q' } },
    PRIVATE,
    /aws:userid is limited/,
  ),
  conditionCase(
    'policy: aws:userid "<role unique ID>:*" (every session of one role) limits like a fixed value',
    { StringLike: { 'aws:userid': 'AROAEXAMPLEID:*' } },
    PRIVATE,
    /is not public: aws:userid is limited to AROAEXAMPLEID:\*/,
  ),
  conditionCase(
    'policy: aws:userid "*" does not limit',
    { StringLike: { 'aws:userid': '*' } },
    POLICY_READ,
    /aws:userid "\*" is not a fixed value/,
  ),
  conditionCase(
    'policy: aws:userid "AROA*" (a wildcard inside the unique ID) does not limit',
    { StringLike: { 'aws:userid': 'AROA*' } },
    POLICY_READ,
    /aws:userid "AROA\*" is not a fixed value/,
  ),
  conditionCase(
    'policy: aws:userid "*:alice" (one session name of any role) does not limit',
    { StringLike: { 'aws:userid': '*:alice' } },
    POLICY_READ,
    /aws:userid "\*:alice" is not a fixed value/,
  ),
  conditionCase(
    'policy: aws:userid "<role unique ID>:*" beside a value with another wildcard does not limit',
    { StringLike: { 'aws:userid': ['AROAEXAMPLEID:*', 'AROA*'] } },
    POLICY_READ,
    /aws:userid "AROA\*" is not a fixed value/,
  ),
  conditionCase(
    'policy: s3:DataAccessPointArn with a wildcard name and a fixed account limits, and is reported unknown',
    { StringLike: { 's3:DataAccessPointArn': `arn:aws:s3:us-west-2:${OWNER_ACCOUNT}:accesspoint/*` } },
    { ...PRIVATE, severity: 'MEDIUM' },
    /s3:DataAccessPointArn delegates to access points of account 111122223333/,
    [/delegates access to access points.*not inspected yet/],
  ),
  conditionCase(
    'policy: s3:DataAccessPointArn without a fixed account does not limit',
    { StringLike: { 's3:DataAccessPointArn': 'arn:aws:s3:us-west-2:*:accesspoint/*' } },
    POLICY_READ,
    /does not fix the access point's account/,
  ),
  conditionCase(
    'policy: s3:DataAccessPointAccount of another account delegates cross-account and is reported unknown',
    { StringEquals: { 's3:DataAccessPointAccount': OTHER_ACCOUNT } },
    CROSS_ACCOUNT,
    /s3:DataAccessPointAccount is limited to 444455556666/,
    [/delegates access to access points/],
  ),
  conditionCase(
    'policy: a fixed aws:PrincipalAccount of the owner counts as a named principal',
    { StringEquals: { 'aws:PrincipalAccount': OWNER_ACCOUNT } },
    PRIVATE,
    /aws:PrincipalAccount is limited to 111122223333/,
  ),
  conditionCase(
    'policy: a fixed aws:PrincipalArn of another account limits, and is cross-account',
    { ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${OTHER_ACCOUNT}:role/etl` } },
    CROSS_ACCOUNT,
    /aws:PrincipalArn is limited/,
  ),
  conditionCase(
    'policy: aws:PrincipalOrgPaths is not a limiting key',
    { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': [`${ORG}/r-ab12/ou-ab12-11111111/*`] } },
    POLICY_READ,
    /aws:PrincipalOrgPaths is not on the list/,
  ),
  conditionCase(
    'policy: aws:SourceIp within /8 limits',
    { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
    PRIVATE,
    /aws:SourceIp is limited to 203.0.113.0\/24/,
  ),
  conditionCase(
    'policy: aws:SourceIp of exactly /8 limits',
    { IpAddress: { 'aws:SourceIp': '52.0.0.0/8' } },
    PRIVATE,
    /aws:SourceIp is limited/,
  ),
  conditionCase(
    'policy: aws:SourceIp 0.0.0.0/1 is broader than /8 and public (the doc example)',
    { IpAddress: { 'aws:SourceIp': '0.0.0.0/1' } },
    POLICY_READ,
    /0.0.0.0\/1 is broader than \/8/,
  ),
  conditionCase(
    'policy: aws:SourceIp with one broad range among narrow ones is public',
    { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '64.0.0.0/2'] } },
    POLICY_READ,
    /64.0.0.0\/2 is broader than \/8/,
  ),
  conditionCase(
    'policy: aws:SourceIp in an RFC 1918 range limits',
    { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
    PRIVATE,
    /aws:SourceIp is limited to 10.0.0.0\/8/,
  ),
  conditionCase(
    'policy: aws:SourceIp IPv6 /48 limits',
    { IpAddress: { 'aws:SourceIp': '2001:db8:1234::/48' } },
    PRIVATE,
    /aws:SourceIp is limited/,
  ),
  conditionCase(
    'policy: aws:SourceIp IPv6 broader than /32 is public',
    { IpAddress: { 'aws:SourceIp': '2001:db8::/16' } },
    POLICY_READ,
    /broader than \/32 for IPv6/,
  ),
  conditionCase(
    'policy: an aws:SourceIp that is not an address does not limit',
    { IpAddress: { 'aws:SourceIp': 'office-network' } },
    POLICY_READ,
    /is not an IP address/,
  ),
  conditionCase(
    'policy: condition key names are case-insensitive (aws:sourcevpce)',
    { StringEquals: { 'aws:sourcevpce': VPCE } },
    PRIVATE,
    /aws:sourcevpce is limited/,
  ),
  conditionCase(
    'policy: a negated operator (StringNotEquals) does not limit',
    { StringNotEquals: { 'aws:SourceVpce': VPCE } },
    POLICY_READ,
    /StringNotEquals allows every value except/,
  ),
  conditionCase(
    'policy: NotIpAddress does not limit',
    { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
    POLICY_READ,
    /NotIpAddress allows every value except/,
  ),
  conditionCase(
    'policy: ArnNotLike does not limit',
    { ArnNotLike: { 'aws:SourceArn': `arn:aws:cloudfront::${OWNER_ACCOUNT}:distribution/*` } },
    POLICY_READ,
    /ArnNotLike allows every value except/,
  ),
  conditionCase(
    'policy: ...IfExists does not limit (true when the key is absent)',
    { StringEqualsIfExists: { 'aws:SourceVpce': VPCE } },
    POLICY_READ,
    /StringEqualsIfExists is true when aws:SourceVpce is absent/,
  ),
  conditionCase(
    'policy: ForAllValues: does not limit (true when the key is absent)',
    { 'ForAllValues:StringEquals': { 'aws:SourceVpce': [VPCE] } },
    POLICY_READ,
    /ForAllValues:StringEquals is true when aws:SourceVpce is absent/,
  ),
  conditionCase(
    'policy: ForAnyValue: with a fixed value limits (false when the key is absent)',
    { 'ForAnyValue:StringEquals': { 'aws:SourceVpce': [VPCE] } },
    PRIVATE,
    /aws:SourceVpce is limited/,
  ),
  conditionCase(
    'policy: Null does not limit (it tests presence, not value)',
    { Null: { 'aws:SourceVpce': 'false' } },
    POLICY_READ,
    /Null only tests whether aws:SourceVpce is present/,
  ),
  conditionCase(
    'policy: a literal "*" under StringEquals counts as a wildcard',
    { StringEquals: { 'aws:SourceVpce': '*' } },
    POLICY_READ,
    /"\*" is not a fixed value/,
  ),
  conditionCase(
    'policy: a policy variable is not a fixed value',
    { StringEquals: { 'aws:SourceVpce': POLICY_VARIABLE } },
    POLICY_READ,
    /is not a fixed value \(wildcard or policy variable\)/,
  ),
];

const denyCases: SpecCase[] = [
  {
    name: 'policy: a Deny that fires outside a fixed IP range closes the public path (deny-aware reading)',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ, {
        Sid: 'OnlyOffice',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
        Condition: { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
      }),
    }),
    expected: PRIVATE,
    reason: limitedStatement(
      /would be public, but statement 1 \("OnlyOffice"\) denies it unless aws:SourceIp is limited/,
    ),
  },
  {
    name: 'policy: a Deny on aws:SecureTransport leaves the public path open',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ, {
        Sid: 'TlsOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: `arn:aws:s3:::${BUCKET}/*`,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    }),
    expected: POLICY_READ,
    reason: publicStatement(/allows public access/),
  },
  {
    name: 'policy: an unconditional Deny of everything to everyone closes the public path',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ, {
        Sid: 'Lockdown',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: '*',
      }),
    }),
    expected: PRIVATE,
    reason: limitedStatement(/denies it to everyone/),
  },
  {
    name: 'policy: a Deny that covers only some of the allowed actions leaves the policy public',
    snapshot: privateSnapshot({
      bucketPolicy: policy(
        { ...PUBLIC_READ, Action: ['s3:GetObject', 's3:PutObject'] },
        {
          Sid: 'NoWrite',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${BUCKET}/*`,
        },
      ),
    }),
    expected: POLICY_READ_WRITE,
    reason: publicStatement(/allows public access/),
  },
  {
    name: 'policy: a Deny aimed at one named principal does not close a public path',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ, {
        Sid: 'NotBob',
        Effect: 'Deny',
        Principal: { AWS: `arn:aws:iam::${OWNER_ACCOUNT}:user/bob` },
        Action: 's3:*',
        Resource: '*',
      }),
    }),
    expected: POLICY_READ,
    reason: publicStatement(/allows public access/),
  },
  {
    name: 'acl: an explicit Deny in the policy cancels a public ACL grant (our reading)',
    snapshot: privateSnapshot({
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      bucketPolicy: policy({
        Sid: 'DenyAnonymousList',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${BUCKET}`,
      }),
    }),
    expected: { ...PRIVATE, aclPublic: true },
    reason: { source: 'bucketAcl', why: /but statement 0 \("DenyAnonymousList"\) denies it to everyone/ },
  },
];

// ---- Cross-account access, judged like public access (section 2, rule 9) -------------------

const PARTNER_ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/reader`;
const BUCKET_AND_OBJECTS = [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`];

/** Another account's role may read objects: the classic cross-account statement. */
const PARTNER_READ: Partial<PolicyStatement> = {
  Sid: 'Partner',
  Principal: { AWS: PARTNER_ROLE },
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};

/** Denies every caller outside the given accounts: StringNotEquals aws:PrincipalAccount. */
function denyOutside(...accounts: string[]): Partial<PolicyStatement> {
  return {
    Sid: 'OwnAccountOnly',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: BUCKET_AND_OBJECTS,
    Condition: { StringNotEquals: { 'aws:PrincipalAccount': accounts } },
  };
}

const partnerStatement = (why: RegExp) => ({ source: 'bucketPolicy', statement: 0, sid: 'Partner', why });

const crossAccountCases: SpecCase[] = [
  conditionCase(
    'policy: cross-account: aws:PrincipalAccount of another account AND aws:PrincipalArn of the owner root admits no one (the reference example)',
    {
      StringEquals: { 'aws:PrincipalAccount': OTHER_ACCOUNT },
      ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${OWNER_ACCOUNT}:root` },
    },
    PRIVATE,
    /admits no caller: no account satisfies every condition on the caller's account/,
  ),
  conditionCase(
    'policy: cross-account: aws:PrincipalOrgID AND aws:PrincipalAccount of the owner stays in the owner account',
    { StringEquals: { 'aws:PrincipalOrgID': ORG, 'aws:PrincipalAccount': OWNER_ACCOUNT } },
    PRIVATE,
    /is not public: aws:PrincipalOrgID is limited to o-a1b2c3d4e5; aws:PrincipalAccount is limited to 111122223333/,
  ),
  conditionCase(
    'policy: cross-account: aws:PrincipalAccount AND aws:PrincipalArn both in another account is cross-account',
    {
      StringEquals: { 'aws:PrincipalAccount': OTHER_ACCOUNT },
      ArnEquals: { 'aws:PrincipalArn': PARTNER_ROLE },
    },
    CROSS_ACCOUNT,
    /statement 0 \("PublicRead"\) grants to account 444455556666/,
  ),
  conditionCase(
    'policy: cross-account: aws:PrincipalOrgID AND a fixed aws:SourceVpce is still cross-account (an endpoint pins no account)',
    { StringEquals: { 'aws:PrincipalOrgID': ORG, 'aws:SourceVpce': VPCE } },
    CROSS_ACCOUNT,
    /grants to principals of an AWS Organization/,
  ),
  {
    name: 'policy: cross-account: a grant to another account that aws:PrincipalAccount pins back to the owner is not cross-account',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        ...PARTNER_READ,
        Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` },
        Condition: { StringEquals: { 'aws:PrincipalAccount': OWNER_ACCOUNT } },
      }),
    }),
    expected: PRIVATE,
    reason: partnerStatement(
      /names arn:aws:iam::444455556666:root, but its conditions admit only callers of account 111122223333/,
    ),
  },
  {
    name: 'policy: cross-account: a grant to another account with a condition that pins no account stays cross-account',
    snapshot: privateSnapshot({
      bucketPolicy: policy({ ...PARTNER_READ, Condition: { StringEquals: { 'aws:SourceVpce': VPCE } } }),
    }),
    expected: CROSS_ACCOUNT,
    reason: partnerStatement(/grants to arn:aws:iam::444455556666:role\/reader/),
  },
  {
    name: 'policy: cross-account: a Deny naming the other account cancels the grant to it',
    snapshot: privateSnapshot({
      bucketPolicy: policy(
        { ...PARTNER_READ, Principal: { AWS: OTHER_ACCOUNT } },
        {
          Sid: 'NoPartner',
          Effect: 'Deny',
          Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` },
          Action: 's3:*',
          Resource: BUCKET_AND_OBJECTS,
        },
      ),
    }),
    expected: PRIVATE,
    reason: partnerStatement(
      /grants to 444455556666: .*, but statement 1 \("NoPartner"\) denies it to arn:aws:iam::444455556666:root/,
    ),
  },
  {
    name: 'policy: cross-account: a Deny to every caller outside the owner account cancels a grant to another account',
    snapshot: privateSnapshot({ bucketPolicy: policy(PARTNER_READ, denyOutside(OWNER_ACCOUNT)) }),
    expected: PRIVATE,
    reason: partnerStatement(
      /but statement 1 \("OwnAccountOnly"\) denies it to every caller outside account 111122223333/,
    ),
  },
  {
    name: 'policy: cross-account: a Deny to every caller outside the owner account cancels an organization-wide grant',
    snapshot: privateSnapshot({
      bucketPolicy: policy(
        publicReadWith({ StringEquals: { 'aws:PrincipalOrgID': ORG } }),
        denyOutside(OWNER_ACCOUNT),
      ),
    }),
    expected: PRIVATE,
    reason: limitedStatement(
      /grants to principals of an AWS Organization \(aws:PrincipalOrgID\), but statement 1 \("OwnAccountOnly"\) denies it/,
    ),
  },
  {
    name: 'policy: cross-account: a Deny that spares the other account leaves the grant to it',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PARTNER_READ, denyOutside(OWNER_ACCOUNT, OTHER_ACCOUNT)),
    }),
    expected: CROSS_ACCOUNT,
    reason: partnerStatement(/grants to arn:aws:iam::444455556666:role\/reader/),
  },
  {
    name: 'policy: cross-account: a Deny naming one role of the other account leaves a grant to the whole account',
    snapshot: privateSnapshot({
      bucketPolicy: policy(
        { ...PARTNER_READ, Principal: { AWS: OTHER_ACCOUNT } },
        { Sid: 'NoReader', Effect: 'Deny', Principal: { AWS: PARTNER_ROLE }, Action: 's3:*', Resource: '*' },
      ),
    }),
    expected: CROSS_ACCOUNT,
    reason: partnerStatement(/grants to 444455556666: account 444455556666 is outside the owner account/),
  },
  {
    name: 'policy: cross-account: a Deny covering only some of the granted actions leaves the grant',
    snapshot: privateSnapshot({
      bucketPolicy: policy(
        { ...PARTNER_READ, Action: ['s3:GetObject', 's3:PutObject'] },
        {
          Sid: 'NoWrite',
          Effect: 'Deny',
          Principal: { AWS: PARTNER_ROLE },
          Action: 's3:PutObject',
          Resource: '*',
        },
      ),
    }),
    expected: CROSS_ACCOUNT,
    reason: partnerStatement(/grants to arn:aws:iam::444455556666:role\/reader/),
  },
  {
    name: 'policy: cross-account: a NotPrincipal Deny does not cancel the grant of a principal it spares',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PARTNER_READ, {
        Sid: 'OnlyThese',
        Effect: 'Deny',
        NotPrincipal: { AWS: [PARTNER_ROLE, `arn:aws:iam::${OWNER_ACCOUNT}:root`] },
        Action: 's3:*',
        Resource: BUCKET_AND_OBJECTS,
      }),
    }),
    expected: CROSS_ACCOUNT,
    reason: partnerStatement(/grants to arn:aws:iam::444455556666:role\/reader/),
  },
  {
    name: 'policy: cross-account: a public grant that a Deny limits to an organization is cross-account, not public',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ, {
        Sid: 'OrgOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: BUCKET_AND_OBJECTS,
        Condition: { StringNotEquals: { 'aws:PrincipalOrgID': ORG } },
      }),
    }),
    expected: CROSS_ACCOUNT,
    reason: publicStatement(
      /statement 0 \("PublicRead"\) grants to principals of an AWS Organization \(aws:PrincipalOrgID\), whom statement 1 \("OrgOnly"\) does not deny/,
    ),
  },
];

// ---- 3. Block Public Access ---------------------------------------------------------------

const bpaCases: SpecCase[] = [
  {
    name: 'bpa: IgnorePublicAcls on the bucket makes a public ACL latent',
    snapshot: privateSnapshot({
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      bucketPublicAccessBlock: bpa({ IgnorePublicAcls: true }),
    }),
    expected: LATENT_ACL,
    reason: {
      source: 'publicAccessBlock',
      flag: 'IgnorePublicAcls',
      why: /IgnorePublicAcls is on \(bucket\)/,
    },
  },
  {
    name: 'bpa: flags are ORed across levels: IgnorePublicAcls on the account alone masks the ACL',
    snapshot: privateSnapshot({
      objectKeys: ['x.csv'],
      objectAcls: { 'x.csv': acl(groupGrant(ALL_USERS, 'READ')) },
      bucketPublicAccessBlock: bpa({}),
      accountPublicAccessBlock: bpa({ IgnorePublicAcls: true }),
    }),
    expected: LATENT_ACL,
    reason: { source: 'publicAccessBlock', flag: 'IgnorePublicAcls', why: /\(account\)/ },
  },
  {
    name: 'bpa: BlockPublicAcls alone leaves an existing public ACL working',
    snapshot: privateSnapshot({
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      bucketPublicAccessBlock: bpa({ BlockPublicAcls: true }),
    }),
    expected: ACL_READ,
    reason: { source: 'publicAccessBlock', flag: 'BlockPublicAcls', why: /only rejects new public ACLs/ },
  },
  {
    name: 'bpa: BlockPublicPolicy alone leaves an existing public policy working',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ),
      accountPublicAccessBlock: bpa({ BlockPublicPolicy: true }),
    }),
    expected: POLICY_READ,
    reason: {
      source: 'publicAccessBlock',
      flag: 'BlockPublicPolicy',
      why: /only rejects new public policies/,
    },
  },
  {
    name: 'bpa: RestrictPublicBuckets makes a public policy latent',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ),
      bucketPublicAccessBlock: bpa({ RestrictPublicBuckets: true }),
    }),
    expected: LATENT_POLICY,
    reason: {
      source: 'publicAccessBlock',
      flag: 'RestrictPublicBuckets',
      why: /only AWS services and the owner account/,
    },
  },
  {
    name: 'bpa: RestrictPublicBuckets on the account applies to every bucket',
    snapshot: privateSnapshot({
      bucketPolicy: policy({ ...PUBLIC_READ, Action: 's3:*' }),
      accountPublicAccessBlock: bpa({ RestrictPublicBuckets: true }),
    }),
    expected: LATENT_POLICY,
    reason: { source: 'publicAccessBlock', flag: 'RestrictPublicBuckets', why: /\(account\)/ },
  },
  {
    name: 'bpa: RestrictPublicBuckets alone does not neuter a public ACL when the policy is not public',
    snapshot: privateSnapshot({
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      bucketPublicAccessBlock: bpa({ RestrictPublicBuckets: true }),
    }),
    expected: ACL_READ,
    reason: { source: 'bucketAcl', why: /grants READ to AllUsers/ },
  },
  {
    name: 'bpa: RestrictPublicBuckets with a public policy also stops public ACL grants (our reading)',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ),
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      bucketPublicAccessBlock: bpa({ RestrictPublicBuckets: true }),
    }),
    expected: { ...LATENT_POLICY, aclPublic: true },
    reason: { source: 'publicAccessBlock', flag: 'RestrictPublicBuckets', why: /ACL grants included/ },
  },
  {
    name: 'bpa: RestrictPublicBuckets with a public policy blocks cross-account grants',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ, {
        Sid: 'Partner',
        Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` },
        Action: 's3:GetObject',
      }),
      bucketPublicAccessBlock: bpa({ RestrictPublicBuckets: true }),
    }),
    expected: LATENT_POLICY,
    reason: { source: 'publicAccessBlock', flag: 'RestrictPublicBuckets', why: /latent/ },
  },
  {
    name: 'bpa: RestrictPublicBuckets with a non-public policy leaves cross-account grants working',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'Partner',
        Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` },
        Action: 's3:GetObject',
      }),
      bucketPublicAccessBlock: bpa({ RestrictPublicBuckets: true }),
    }),
    expected: CROSS_ACCOUNT,
    reason: { source: 'bucketPolicy', sid: 'Partner', why: /account 444455556666/ },
  },
  {
    name: 'bpa: a missing configuration (null) means all four flags are off',
    snapshot: privateSnapshot({
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      bucketPublicAccessBlock: null,
      accountPublicAccessBlock: null,
    }),
    expected: ACL_READ,
    reason: { source: 'bucketAcl', why: /AllUsers/ },
  },
];

// ---- 4. Object Ownership ------------------------------------------------------------------

const ownershipCases: SpecCase[] = [
  {
    name: 'ownership: BucketOwnerEnforced makes a stored public object ACL latent',
    snapshot: privateSnapshot({
      objectKeys: ['old.csv'],
      objectAcls: { 'old.csv': acl(groupGrant(ALL_USERS, 'READ')) },
      ownershipControls: ownership('BucketOwnerEnforced'),
    }),
    expected: LATENT_ACL,
    reason: { source: 'ownership', flag: 'BucketOwnerEnforced', why: /ACLs are disabled/ },
  },
  {
    name: 'ownership: BucketOwnerEnforced makes a stored public bucket ACL latent',
    snapshot: privateSnapshot({
      bucketAcl: acl(groupGrant(ALL_USERS, 'WRITE')),
      ownershipControls: ownership('BucketOwnerEnforced'),
    }),
    expected: LATENT_ACL,
    reason: { source: 'ownership', flag: 'BucketOwnerEnforced', why: /latent/ },
  },
  {
    name: 'ownership: BucketOwnerPreferred keeps ACLs working',
    snapshot: privateSnapshot({
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      ownershipControls: ownership('BucketOwnerPreferred'),
    }),
    expected: ACL_READ,
    reason: { source: 'bucketAcl', why: /AllUsers/ },
  },
  {
    name: 'ownership: no OwnershipControls is ObjectWriter, with ACLs enabled',
    snapshot: privateSnapshot({
      objectKeys: ['k'],
      objectAcls: { k: acl(groupGrant(ALL_USERS, 'READ')) },
      ownershipControls: null,
    }),
    expected: ACL_READ,
    reason: { source: 'objectAcl', key: 'k', why: /AllUsers/ },
  },
  {
    name: 'ownership: does not change how policies are judged',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ),
      ownershipControls: ownership('BucketOwnerEnforced'),
    }),
    expected: POLICY_READ,
    reason: publicStatement(/allows public access/),
  },
  {
    name: 'ownership: BucketOwnerEnforced turns cross-account ACL grants off',
    snapshot: privateSnapshot({
      bucketAcl: acl(canonicalGrant('partner0canonical', 'READ')),
      ownershipControls: ownership('BucketOwnerEnforced'),
    }),
    expected: PRIVATE,
    reason: null,
  },
];

// ---- 5. Access levels (Access Analyzer's, folded to read and write) -----------------------

function levelCase(action: string | string[], expected: Expected, name: string): SpecCase {
  return {
    name,
    snapshot: privateSnapshot({ bucketPolicy: policy({ ...PUBLIC_READ, Action: action }) }),
    expected,
    reason: publicStatement(/allows public access/),
  };
}

const levelCases: SpecCase[] = [
  levelCase('s3:GetObject', POLICY_READ, 'level: s3:GetObject is read'),
  levelCase('s3:ListBucket', POLICY_READ, 'level: s3:ListBucket is read (List)'),
  levelCase('s3:GetBucketAcl', POLICY_READ, 'level: s3:GetBucketAcl is read (like READ_ACP)'),
  levelCase('s3:Get*', POLICY_READ, 'level: s3:Get* is read'),
  levelCase('s3:PutObject', POLICY_WRITE, 'level: s3:PutObject is write'),
  levelCase('s3:DeleteObject', POLICY_WRITE, 'level: s3:DeleteObject is write'),
  levelCase('s3:PutBucketPolicy', POLICY_WRITE, 'level: s3:PutBucketPolicy is write (Permissions)'),
  levelCase('s3:PutObjectAcl', POLICY_WRITE, 'level: s3:PutObjectAcl is write (Permissions)'),
  levelCase('s3:*', POLICY_READ_WRITE, 'level: s3:* is read and write'),
  levelCase('*', POLICY_READ_WRITE, 'level: "*" is read and write'),
  levelCase(
    ['s3:GetObject', 's3:PutObject'],
    POLICY_READ_WRITE,
    'level: a list of read and write actions is both',
  ),
  {
    name: 'level: NotAction is read and write',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'PublicRead',
        Principal: '*',
        NotAction: 's3:DeleteBucket',
        Resource: '*',
      }),
    }),
    expected: POLICY_READ_WRITE,
    reason: publicStatement(/allows public access/),
  },
];

// ---- GetBucketPolicyStatus and what could not be read -------------------------------------

const assessmentCases: SpecCase[] = [
  {
    name: 'policyStatus: AWS says public where the local reading does not: AWS decides, the gap is reported',
    snapshot: privateSnapshot({
      bucketPolicy: policy(publicReadWith({ StringEquals: { 'aws:SourceVpce': VPCE } })),
      policyStatus: { IsPublic: true },
    }),
    expected: POLICY_READ,
    reason: {
      source: 'bucketPolicy',
      statement: null,
      why: /GetBucketPolicyStatus reports the policy public/,
    },
    unknown: [/local evaluator finds no public statement/],
  },
  {
    name: 'policyStatus: AWS says not public where the local reading does: AWS decides, the gap is reported',
    snapshot: privateSnapshot({ bucketPolicy: policy(PUBLIC_READ), policyStatus: { IsPublic: false } }),
    expected: { ...PRIVATE, severity: 'MEDIUM' },
    reason: null,
    unknown: [/says the policy is not public; the local evaluator disagrees/],
  },
  {
    name: 'policyStatus: agreement adds nothing',
    snapshot: privateSnapshot({ bucketPolicy: policy(PUBLIC_READ), policyStatus: { IsPublic: true } }),
    expected: POLICY_READ,
    reason: publicStatement(/allows public access/),
  },
  {
    name: 'policyStatus: public while the policy itself could not be read',
    snapshot: privateSnapshot({
      bucketPolicy: undefined,
      policyStatus: { IsPublic: true },
      unreadable: [{ part: 'bucketPolicy', error: 'AccessDenied' }],
    }),
    expected: POLICY_READ,
    reason: { source: 'bucketPolicy', statement: null, why: /GetBucketPolicyStatus/ },
    unknown: [/AccessDenied: could not be read/, /the policy itself could not be read/],
  },
  {
    name: 'unreadable: AccessDenied on the bucket ACL is neither public nor private, and raises MEDIUM',
    snapshot: privateSnapshot({
      bucketAcl: undefined,
      unreadable: [{ part: 'bucketAcl', error: 'AccessDenied' }],
    }),
    expected: { ...PRIVATE, severity: 'MEDIUM' },
    reason: null,
    unknown: [/AccessDenied: could not be read/],
  },
  {
    name: 'unreadable: the booleans still come from what was read',
    snapshot: privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ),
      bucketAcl: undefined,
      unreadable: [{ part: 'bucketAcl', error: 'AccessDenied' }],
    }),
    expected: POLICY_READ,
    reason: publicStatement(/allows public access/),
    unknown: [/AccessDenied/],
  },
  {
    name: 'unreadable: an object that no longer exists is recorded without raising the severity',
    snapshot: privateSnapshot({
      objectKeys: ['gone.csv'],
      objectAcls: {},
      unreadable: [{ part: 'objectAcls', key: 'gone.csv', error: 'NoSuchKey' }],
    }),
    expected: PRIVATE,
    reason: null,
    unknown: [/NoSuchKey: the object no longer exists, or its multipart upload is not complete/],
  },
  {
    name: 'not read: a missing field means "not read" and is reported',
    snapshot: { accountId: OWNER_ACCOUNT, bucket: BUCKET, bucketPolicy: policy(PUBLIC_READ) },
    expected: POLICY_READ,
    reason: publicStatement(/allows public access/),
    unknown: [
      /bucket ACL was not read/,
      /bucket Block Public Access was not read; taken as off/,
      /account Block Public Access was not read/,
      /Object Ownership was not read/,
    ],
  },
];

// ---- Real-world shapes --------------------------------------------------------------------

const realWorldCases: SpecCase[] = [
  {
    name: 'real world: CloudFront origin access control (service principal + SourceArn) is private',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'AllowCloudFrontServicePrincipal',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${BUCKET}/*`,
        Condition: {
          StringEquals: {
            'AWS:SourceArn': `arn:aws:cloudfront::${OWNER_ACCOUNT}:distribution/EDFDVBD6EXAMPLE`,
          },
        },
      }),
    }),
    expected: PRIVATE,
    reason: null,
  },
  {
    name: 'real world: CloudFront origin access identity (legacy OAI) is a principal outside the account',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'OAI',
        Principal: { AWS: 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLE' },
        Action: 's3:GetObject',
      }),
    }),
    expected: CROSS_ACCOUNT,
    reason: { source: 'bucketPolicy', sid: 'OAI', why: /CloudFront origin access identity/ },
  },
  {
    name: 'real world: OAI given as a CanonicalUser is a canonical ID outside the account',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'OAI',
        Principal: { CanonicalUser: '79a59df900b949e55d96a1e698fbaced' },
        Action: 's3:GetObject',
      }),
    }),
    expected: CROSS_ACCOUNT,
    reason: { source: 'bucketPolicy', sid: 'OAI', why: /canonical user other than the bucket owner/ },
  },
  {
    name: 'real world: ELB access logs delivered by an AWS-owned account are cross-account',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'ElbLogs',
        Principal: { AWS: 'arn:aws:iam::127311923021:root' },
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${BUCKET}/AWSLogs/${OWNER_ACCOUNT}/*`,
      }),
    }),
    expected: CROSS_ACCOUNT,
    reason: { source: 'bucketPolicy', sid: 'ElbLogs', why: /account 127311923021/ },
  },
  {
    name: 'real world: ELB access logs through the log-delivery service principal are private',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'ElbLogs',
        Principal: { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' },
        Action: 's3:PutObject',
      }),
    }),
    expected: PRIVATE,
    reason: null,
  },
  {
    name: 'real world: org-scoped read with a TLS-only Deny is cross-account, not public',
    snapshot: privateSnapshot({
      bucketPolicy: policy(publicReadWith({ StringEquals: { 'aws:PrincipalOrgID': ORG } }), {
        Sid: 'TlsOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: `arn:aws:s3:::${BUCKET}/*`,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    }),
    expected: CROSS_ACCOUNT,
    reason: { source: 'bucketPolicy', sid: 'PublicRead', why: /AWS Organization/ },
  },
  {
    name: 'real world: VPC-endpoint-only access is private',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        ...publicReadWith({ StringEquals: { 'aws:SourceVpce': VPCE } }),
        Action: ['s3:GetObject', 's3:PutObject'],
      }),
    }),
    expected: PRIVATE,
    reason: limitedStatement(/aws:SourceVpce is limited/),
  },
  {
    name: 'real world: office-IP-limited read is private',
    snapshot: privateSnapshot({
      bucketPolicy: policy(
        publicReadWith({ IpAddress: { 'aws:SourceIp': ['198.51.100.0/24', '203.0.113.7/32'] } }),
      ),
    }),
    expected: PRIVATE,
    reason: limitedStatement(/aws:SourceIp is limited to 198.51.100.0\/24, 203.0.113.7\/32/),
  },
  {
    name: 'real world: Principal "*" limited to role sessions by StringLike aws:userId, under full Block Public Access, is private',
    snapshot: privateSnapshot({
      bucketPolicy: policy(
        publicReadWith({
          StringLike: {
            'aws:userId': ['AROAEXAMPLEGLUEJOB1:*', 'AROAEXAMPLEATHENA2:*', 'AIDAEXAMPLEADMIN3'],
          },
        }),
      ),
      bucketPublicAccessBlock: bpa({
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      }),
    }),
    expected: PRIVATE,
    reason: limitedStatement(
      /aws:userId is limited to AROAEXAMPLEGLUEJOB1:\*, AROAEXAMPLEATHENA2:\*, AIDAEXAMPLEADMIN3/,
    ),
  },
  {
    name: 'real world: a policy still naming a deleted role (shown as its unique ID) shares nothing',
    snapshot: privateSnapshot({
      bucketPolicy: policy({
        Sid: 'FormerEtl',
        Principal: { AWS: DELETED_ROLE },
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: `arn:aws:s3:::${BUCKET}/*`,
      }),
    }),
    expected: PRIVATE,
    reason: { source: 'bucketPolicy', sid: 'FormerEtl', why: /deleted role or user/ },
  },
  {
    name: 'real world: a static website bucket (public GetObject, website hosting) is public read',
    snapshot: privateSnapshot({
      bucketPolicy: policy({ ...PUBLIC_READ, Sid: 'PublicReadGetObject' }),
      website: { IndexDocument: { Suffix: 'index.html' } },
    }),
    expected: POLICY_READ,
    reason: publicStatement(/allows public access/, 0, 'PublicReadGetObject'),
  },
  {
    name: 'real world: CloudTrail log bucket policy (service + SourceArn) is private',
    snapshot: privateSnapshot({
      bucketPolicy: policy(
        { Sid: 'AclCheck', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:GetBucketAcl' },
        {
          Sid: 'Write',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
        },
      ),
    }),
    expected: PRIVATE,
    reason: null,
  },
];

export const SPEC_CASES: readonly SpecCase[] = [
  ...aclCases,
  ...principalCases,
  ...conditionCases,
  ...denyCases,
  ...crossAccountCases,
  ...bpaCases,
  ...ownershipCases,
  ...levelCases,
  ...assessmentCases,
  ...realWorldCases,
];
