/**
 * Who a policy statement names, and whether that is everyone, a service, the owner account,
 * someone outside it or nobody (reference/s3-public-semantics.md, section 2, rules 2, 5, 6 and 9).
 */
import type { PolicyStatement, Principal } from '../shared/contracts.js';
import { asList, hasWildcard } from './patterns.js';

export type PrincipalKind =
  | { readonly kind: 'public'; readonly label: string; readonly why: string }
  | { readonly kind: 'service'; readonly label: string }
  | { readonly kind: 'owner'; readonly label: string }
  | { readonly kind: 'nobody'; readonly label: string; readonly why: string }
  | {
      readonly kind: 'external';
      readonly label: string;
      readonly account: string;
      /** How a Deny would name the same callers: `account:ID` for a whole account, else the label. */
      readonly match: string;
      readonly why: string;
    };

export interface Owner {
  readonly accountId: string;
  /** The owner's canonical user ID, when an ACL told us. */
  readonly canonicalId: string | null;
}

const ACCOUNT_ID = /^\d{12}$/;
/** The account itself, as an ID or its root ARN: every principal the account lets in. */
const ROOT_ARN = /^arn:[^:]+:iam::\d{12}:root$/;
/**
 * A role (AROA) or user (AIDA) unique ID instead of an ARN: how S3 shows a principal that was
 * deleted. IAM never reuses unique IDs, so no one can ever be that principal again.
 */
const BARE_UNIQUE_ID = /^(AROA|AIDA)[0-9A-Z]+$/;

function accountOfPrincipalArn(arn: string): string | null {
  // arn:partition:iam::ACCOUNT:root|user/…|role/…, arn:partition:sts::ACCOUNT:assumed-role/…
  const parts = arn.split(':');
  return parts[0] === 'arn' && parts.length >= 6 ? (parts[4] ?? null) : null;
}

function awsPrincipal(value: string, owner: Owner): PrincipalKind {
  const label = value;
  if (value === '*')
    return { kind: 'public', label: '*', why: 'Principal "*" is everyone, anonymous callers included' };
  if (hasWildcard(value)) {
    return { kind: 'public', label, why: `principal "${value}" is not a fixed value (wildcard)` };
  }
  if (BARE_UNIQUE_ID.test(value)) {
    return {
      kind: 'nobody',
      label,
      why: 'a bare unique ID, as S3 shows a deleted role or user; IAM never reuses it, so it reaches nobody',
    };
  }
  const account = ACCOUNT_ID.test(value) ? value : accountOfPrincipalArn(value);
  if (account === owner.accountId) return { kind: 'owner', label };
  if (account === 'cloudfront') {
    return {
      kind: 'external',
      label,
      account: 'cloudfront',
      match: label,
      why: 'a CloudFront origin access identity (legacy OAI), a principal outside the owner account',
    };
  }
  if (account === null) {
    return {
      kind: 'external',
      label,
      account: 'unknown',
      match: label,
      why: `principal "${value}" is outside the owner account`,
    };
  }
  const wholeAccount = ACCOUNT_ID.test(value) || ROOT_ARN.test(value);
  return {
    kind: 'external',
    label,
    account,
    match: wholeAccount ? `account:${account}` : label,
    why: `account ${account} is outside the owner account`,
  };
}

function federatedPrincipal(value: string, owner: Owner): PrincipalKind {
  const label = `Federated:${value}`;
  const account = accountOfPrincipalArn(value);
  if (account === owner.accountId) return { kind: 'owner', label };
  if (account !== null) {
    return {
      kind: 'external',
      label,
      account,
      match: label,
      why: `identity provider of account ${account}`,
    };
  }
  // A web identity provider (graph.facebook.com, accounts.google.com, cognito…): anyone who signs in.
  return {
    kind: 'public',
    label,
    why: `federated principal ${value} is anyone who signs in with that provider`,
  };
}

function canonicalPrincipal(value: string, owner: Owner): PrincipalKind {
  const label = `CanonicalUser:${value}`;
  if (owner.canonicalId !== null && value === owner.canonicalId) return { kind: 'owner', label };
  return {
    kind: 'external',
    label,
    account: `canonical:${value}`,
    match: label,
    why: 'a canonical user other than the bucket owner',
  };
}

/** Classifies every principal a Principal element names. */
export function principalKinds(principal: Principal, owner: Owner): PrincipalKind[] {
  if (principal === '*') return [awsPrincipal('*', owner)];
  const kinds: PrincipalKind[] = [];
  for (const [type, values] of Object.entries(principal)) {
    for (const value of asList(values)) {
      if (type === 'AWS') kinds.push(awsPrincipal(value, owner));
      else if (type === 'Service') kinds.push({ kind: 'service', label: `Service:${value}` });
      else if (type === 'Federated') kinds.push(federatedPrincipal(value, owner));
      else if (type === 'CanonicalUser') kinds.push(canonicalPrincipal(value, owner));
      else
        kinds.push({
          kind: 'public',
          label: `${type}:${value}`,
          why: `principal type ${type} is not one S3 names`,
        });
    }
  }
  return kinds;
}

/**
 * The principals a statement applies to. NotPrincipal means everyone except those named,
 * anonymous callers included, so it counts as public.
 */
export function statementPrincipals(statement: PolicyStatement, owner: Owner): PrincipalKind[] {
  if (statement.NotPrincipal !== undefined) {
    return [
      {
        kind: 'public',
        label: 'NotPrincipal',
        why: 'NotPrincipal applies to everyone except the principals it names, anonymous callers included',
      },
    ];
  }
  if (statement.Principal === undefined) return [];
  return principalKinds(statement.Principal, owner);
}
