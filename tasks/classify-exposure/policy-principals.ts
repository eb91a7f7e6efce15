/**
 * Who a policy statement names, and whether that is everyone, a service, the owner account or
 * someone outside it (reference/s3-public-semantics.md, section 2, rules 2, 5 and 6).
 */
import type { PolicyStatement, Principal } from '../shared/contracts.js';
import { asList, hasWildcard } from './patterns.js';

export type PrincipalKind =
  | { readonly kind: 'public'; readonly label: string; readonly why: string }
  | { readonly kind: 'service'; readonly label: string }
  | { readonly kind: 'owner'; readonly label: string }
  | { readonly kind: 'external'; readonly label: string; readonly account: string; readonly why: string };

export interface Owner {
  readonly accountId: string;
  /** The owner's canonical user ID, when an ACL told us. */
  readonly canonicalId: string | null;
}

const ACCOUNT_ID = /^\d{12}$/;

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
  const account = ACCOUNT_ID.test(value) ? value : accountOfPrincipalArn(value);
  if (account === owner.accountId) return { kind: 'owner', label };
  if (account === 'cloudfront') {
    return {
      kind: 'external',
      label,
      account: 'cloudfront',
      why: 'a CloudFront origin access identity (legacy OAI), a principal outside the owner account',
    };
  }
  if (account === null) {
    return {
      kind: 'external',
      label,
      account: 'unknown',
      why: `principal "${value}" is outside the owner account`,
    };
  }
  return { kind: 'external', label, account, why: `account ${account} is outside the owner account` };
}

function federatedPrincipal(value: string, owner: Owner): PrincipalKind {
  const label = `Federated:${value}`;
  const account = accountOfPrincipalArn(value);
  if (account === owner.accountId) return { kind: 'owner', label };
  if (account !== null) {
    return { kind: 'external', label, account, why: `identity provider of account ${account}` };
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
