/**
 * The sandbox's own "is it public?" evaluator, which answers for AWS (GetBucketPolicyStatus,
 * Block Public Access refusals). Each case is named after the rule of
 * reference/s3-public-semantics.md it pins, and states the answer by hand.
 */
import { describe, expect, it } from 'vitest';
import { isPublicAcl, isPublicPolicy } from '../../../local/sandbox/public-evaluator.js';

const BUCKET = 'arn:aws:s3:::acme-reports';
const VPCE = 'vpce-1a2b3c4d';
/** An IAM policy variable, built up so it is plainly not a template literal gone wrong. */
const POLICY_VARIABLE = ['$', '{aws:PrincipalArn}'].join('');

function policyOf(...statements: Record<string, unknown>[]) {
  return { Version: '2012-10-17', Statement: statements };
}

/** Allow s3:GetObject on the bucket's objects to everyone, unless the case changes it. */
function allow(change: Record<string, unknown> = {}): Record<string, unknown> {
  return { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${BUCKET}/*`, ...change };
}

function limitedBy(condition: Record<string, unknown>): Record<string, unknown> {
  return policyOf(allow({ Condition: condition }));
}

const POLICY_CASES: readonly (readonly [string, unknown, boolean])[] = [
  // Principal forms (section 2, rules 3, 5 and 6).
  ['policy: Principal "*" with no condition is public', policyOf(allow()), true],
  ['policy: Principal {"AWS": "*"} is the same as "*"', policyOf(allow({ Principal: { AWS: '*' } })), true],
  [
    'policy: a principal list that contains "*" is everyone',
    policyOf(allow({ Principal: { AWS: ['arn:aws:iam::444455556666:root', '*'] } })),
    true,
  ],
  [
    'policy: a wildcard inside a principal ARN is not a named principal',
    policyOf(allow({ Principal: { AWS: 'arn:aws:iam::*:root' } })),
    true,
  ],
  [
    'policy: Federated graph.facebook.com is public (the doc example)',
    policyOf(allow({ Principal: { Federated: 'graph.facebook.com' }, Action: 's3:PutObject' })),
    true,
  ],
  [
    'policy: NotPrincipal with Allow is everyone but the named, so public',
    policyOf({
      Effect: 'Allow',
      NotPrincipal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: 's3:GetObject',
      Resource: `${BUCKET}/*`,
    }),
    true,
  ],
  [
    'policy: a named account is not public',
    policyOf(allow({ Principal: { AWS: 'arn:aws:iam::444455556666:root' } })),
    false,
  ],
  [
    'policy: a service principal is not public',
    policyOf(allow({ Principal: { Service: 'cloudfront.amazonaws.com' } })),
    false,
  ],
  // Whole policy, actions, Deny (rules 4 and 7).
  [
    'policy: one public statement makes the whole policy public (the worked example)',
    policyOf(
      allow({ Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject' }),
      allow({ Principal: { AWS: 'arn:aws:iam::444455556666:root' } }),
      allow(),
    ),
    true,
  ],
  [
    'policy: the action list does not rescue a statement (s3:GetBucketLocation only)',
    policyOf(allow({ Action: 's3:GetBucketLocation', Resource: BUCKET })),
    true,
  ],
  ['policy: a Deny-only policy grants nothing and is not public', policyOf(allow({ Effect: 'Deny' })), false],
  [
    'policy: an unconditional Deny of everything to everyone leaves nothing public',
    policyOf(allow(), { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: '*' }),
    false,
  ],
  [
    'policy: a Deny with a condition is not weighed (not documented; the world says otherwise if needed)',
    policyOf(allow(), {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: '*',
      Condition: { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
    }),
    true,
  ],
  [
    'policy: a single Statement object (not a list) is read too',
    { Version: '2012-10-17', Statement: allow() },
    true,
  ],
  ['policy: no statements is not public', policyOf(), false],
  // Conditions: fixed values of the listed keys limit (rules 2, 3 and 8).
  [
    'policy: StringLike aws:SourceVpc "vpc-*" does not limit (the doc example)',
    limitedBy({ StringLike: { 'aws:SourceVpc': 'vpc-*' } }),
    true,
  ],
  [
    'policy: StringEquals aws:SourceVpc with a fixed value limits (the doc example)',
    limitedBy({ StringEquals: { 'aws:SourceVpc': 'vpc-91237329' } }),
    false,
  ],
  [
    'policy: conditions combine with AND: a fixed aws:SourceVpce limits beside aws:Referer "*"',
    limitedBy({ StringEquals: { 'aws:SourceVpce': VPCE }, StringLike: { 'aws:Referer': '*' } }),
    false,
  ],
  [
    'policy: a key not in the list (aws:Referer) does not limit',
    limitedBy({ StringEquals: { 'aws:Referer': 'https://acme.example/' } }),
    true,
  ],
  [
    'policy: a key not in the list (aws:SecureTransport) does not limit',
    limitedBy({ Bool: { 'aws:SecureTransport': 'true' } }),
    true,
  ],
  [
    'policy: a fixed aws:PrincipalOrgID limits',
    limitedBy({ StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }),
    false,
  ],
  [
    'policy: a fixed aws:SourceArn limits',
    limitedBy({ ArnEquals: { 'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E1' } }),
    false,
  ],
  [
    'policy: a fixed aws:SourceAccount limits, given as a number too',
    limitedBy({ StringEquals: { 'aws:SourceAccount': 111122223333 } }),
    false,
  ],
  [
    'policy: a fixed s3:x-amz-server-side-encryption-aws-kms-key-id limits',
    limitedBy({
      StringEquals: {
        's3:x-amz-server-side-encryption-aws-kms-key-id':
          'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
    }),
    false,
  ],
  [
    'policy: aws:userid "AROLEID:*" (every session of one role) limits (our reading)',
    limitedBy({ StringLike: { 'aws:userid': 'AROAEXAMPLEID:*' } }),
    false,
  ],
  [
    'policy: aws:userid with any other wildcard does not limit',
    limitedBy({ StringLike: { 'aws:userid': 'AROA*' } }),
    true,
  ],
  [
    'policy: s3:DataAccessPointArn with a wildcard name and a fixed account limits',
    limitedBy({ StringLike: { 's3:DataAccessPointArn': 'arn:aws:s3:us-west-2:111122223333:accesspoint/*' } }),
    false,
  ],
  [
    'policy: s3:DataAccessPointArn without a fixed account does not limit',
    limitedBy({ StringLike: { 's3:DataAccessPointArn': 'arn:aws:s3:us-west-2:*:accesspoint/*' } }),
    true,
  ],
  [
    'policy: a fixed aws:PrincipalAccount counts as a named principal',
    limitedBy({ StringEquals: { 'aws:PrincipalAccount': '111122223333' } }),
    false,
  ],
  [
    'policy: aws:PrincipalOrgPaths is not a limiting key',
    limitedBy({
      'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*' },
    }),
    true,
  ],
  [
    'policy: condition key names are case-insensitive (aws:sourcevpce)',
    limitedBy({ StringEquals: { 'aws:sourcevpce': VPCE } }),
    false,
  ],
  [
    'policy: a literal "*" under StringEquals counts as a wildcard',
    limitedBy({ StringEquals: { 'aws:SourceVpce': '*' } }),
    true,
  ],
  [
    'policy: a policy variable is not a fixed value',
    limitedBy({ StringEquals: { 'aws:SourceArn': POLICY_VARIABLE } }),
    true,
  ],
  // aws:SourceIp: no broader than /8 (IPv4) or /32 (IPv6).
  [
    'policy: aws:SourceIp within /8 limits',
    limitedBy({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }),
    false,
  ],
  [
    'policy: aws:SourceIp of exactly /8 limits',
    limitedBy({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }),
    false,
  ],
  [
    'policy: aws:SourceIp 0.0.0.0/1 is broader than /8 and public (the doc example)',
    limitedBy({ IpAddress: { 'aws:SourceIp': '0.0.0.0/1' } }),
    true,
  ],
  [
    'policy: aws:SourceIp with one broad range among narrow ones is public',
    limitedBy({ IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '0.0.0.0/0'] } }),
    true,
  ],
  [
    'policy: aws:SourceIp IPv6 /48 limits',
    limitedBy({ IpAddress: { 'aws:SourceIp': '2001:db8:1234::/48' } }),
    false,
  ],
  [
    'policy: aws:SourceIp IPv6 broader than /32 is public',
    limitedBy({ IpAddress: { 'aws:SourceIp': '2001:db8::/16' } }),
    true,
  ],
  [
    'policy: an aws:SourceIp that is not an address does not limit',
    limitedBy({ IpAddress: { 'aws:SourceIp': 'office-network' } }),
    true,
  ],
  // Undocumented operators (rule 9): true when the key is absent, or no value test at all.
  [
    'policy: a negated operator (StringNotEquals) does not limit',
    limitedBy({ StringNotEquals: { 'aws:SourceVpce': VPCE } }),
    true,
  ],
  [
    'policy: NotIpAddress does not limit',
    limitedBy({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }),
    true,
  ],
  [
    'policy: ...IfExists does not limit (true when the key is absent)',
    limitedBy({ StringEqualsIfExists: { 'aws:SourceVpce': VPCE } }),
    true,
  ],
  [
    'policy: ForAllValues: does not limit (true when the key is absent)',
    limitedBy({ 'ForAllValues:StringEquals': { 'aws:SourceVpce': [VPCE] } }),
    true,
  ],
  [
    'policy: ForAnyValue: with a fixed value limits (false when the key is absent)',
    limitedBy({ 'ForAnyValue:StringEquals': { 'aws:SourceVpce': [VPCE] } }),
    false,
  ],
  [
    'policy: Null does not limit (it tests presence, not value)',
    limitedBy({ Null: { 'aws:SourceVpce': 'false' } }),
    true,
  ],
];

describe('the sandbox evaluator: is the bucket policy public (GetBucketPolicyStatus)', () => {
  it.each(POLICY_CASES)('%s', (_name, policy, expected) => {
    expect(isPublicPolicy(policy)).toBe(expected);
  });

  it('never calls something that is not a policy document public', () => {
    expect(isPublicPolicy(null)).toBe(false);
    expect(isPublicPolicy('{"Statement":[]}')).toBe(false);
  });
});

interface Grant {
  readonly Grantee: { readonly Type: string; readonly URI?: string; readonly ID?: string };
  readonly Permission: string;
}

const grant = (uri: string, permission: string): Grant => ({
  Grantee: { Type: 'Group', URI: uri },
  Permission: permission,
});

const ACL_CASES: readonly (readonly [string, readonly Grant[], boolean])[] = [
  ['acl: AllUsers READ is public', [grant('http://acs.amazonaws.com/groups/global/AllUsers', 'READ')], true],
  [
    'acl: AuthenticatedUsers counts as public too',
    [grant('http://acs.amazonaws.com/groups/global/AuthenticatedUsers', 'READ')],
    true,
  ],
  [
    'acl: any permission counts: READ_ACP alone to AllUsers is public',
    [grant('http://acs.amazonaws.com/groups/global/AllUsers', 'READ_ACP')],
    true,
  ],
  [
    'acl: LogDelivery is not public',
    [grant('http://acs.amazonaws.com/groups/s3/LogDelivery', 'WRITE')],
    false,
  ],
  [
    'acl: a canonical-user grant to another account is not public',
    [{ Grantee: { Type: 'CanonicalUser', ID: 'other0account0canonical' }, Permission: 'READ' }],
    false,
  ],
  ['acl: no grants is not public', [], false],
];

describe('the sandbox evaluator: is the ACL public (BlockPublicAcls)', () => {
  it.each(ACL_CASES)('%s', (_name, grants, expected) => {
    expect(isPublicAcl({ Grants: grants })).toBe(expected);
  });
});
