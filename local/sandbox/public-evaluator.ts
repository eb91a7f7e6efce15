/**
 * The sandbox's own answer to "is this public?", as S3 gives it in GetBucketPolicyStatus and in
 * Block Public Access refusals (reference/s3-public-semantics.md, sections 1 and 2).
 *
 * The sandbox stands in for AWS, so this never uses the responder's classifier (nothing here
 * comes from tasks/): an end-to-end run then shows what the responder does when its reading and
 * AWS's differ, instead of proving that it agrees with itself. It is deliberately small. Where
 * AWS's answer is not documented (a conditional Deny that closes the gap, the principal keys the
 * docs do not list), it takes the plain reading below, and a world states AWS's answer per
 * bucket with `policyStatus`.
 */
import { isIP } from 'node:net';
import { isObject, type JsonObject } from './json.js';

// ---- ACLs ----------------------------------------------------------------------------------

/** The predefined groups a public ACL grants to; LogDelivery is not one of them. */
const PUBLIC_GROUPS: ReadonlySet<string> = new Set([
  'http://acs.amazonaws.com/groups/global/AllUsers',
  'http://acs.amazonaws.com/groups/global/AuthenticatedUsers',
]);

/** An ACL in GetBucketAcl's shape, as far as this evaluator reads it. */
export interface AclGrants {
  readonly Grants?: readonly { readonly Grantee?: { readonly URI?: string | undefined } }[] | undefined;
}

/** True when the ACL grants any permission to AllUsers or AuthenticatedUsers (BlockPublicAcls' test). */
export function isPublicAcl(acl: AclGrants): boolean {
  return (acl.Grants ?? []).some((grant) => PUBLIC_GROUPS.has(grant.Grantee?.URI ?? ''));
}

// ---- Policies ------------------------------------------------------------------------------

/**
 * The condition keys that limit a grant when given fixed values, lower-cased (IAM key names are
 * case-insensitive). The listed keys, plus the principal keys the reference reads as "a named
 * principal". aws:PrincipalOrgPaths is left out: its values are wildcards in practice.
 */
const LIMITING_KEYS: ReadonlySet<string> = new Set([
  'aws:principalorgid',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:sourceip',
  'aws:sourcearn',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourceowner',
  'aws:sourceaccount',
  's3:x-amz-server-side-encryption-aws-kms-key-id',
  'aws:userid',
  's3:dataaccesspointarn',
  's3:dataaccesspointaccount',
]);

/** A value with no wildcard and no policy variable. */
function isFixed(value: string): boolean {
  return value.length > 0 && !/[*?]|\$\{/.test(value);
}

/** An address or CIDR no broader than /8 (IPv4) or /32 (IPv6); a bare address is one host. */
function isNarrowCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0 || (prefix !== undefined && !/^\d+$/.test(prefix))) return false;
  const max = version === 4 ? 32 : 128;
  const bits = prefix === undefined ? max : Number(prefix);
  // A range broader than /8 cannot lie inside an RFC 1918 block, so that exception never applies.
  return bits >= (version === 4 ? 8 : 32) && bits <= max;
}

/** True when one value of `key` pins the grant down by the reference's rule for that key. */
function limitsTo(key: string, value: unknown): boolean {
  if (typeof value === 'number') return true;
  if (typeof value !== 'string') return false;
  switch (key) {
    case 'aws:sourceip':
      return isNarrowCidr(value);
    case 'aws:userid':
      // "AROAEXAMPLEID:*" is every session of one role: the one wildcard the docs allow here.
      return isFixed(value.endsWith(':*') ? value.slice(0, -2) : value);
    case 's3:dataaccesspointarn':
      // In a bucket policy the access point name may be a wildcard, the account may not.
      return isFixed(value.replace(/:accesspoint\/\*$/, ':accesspoint/name'));
    default:
      return isFixed(value);
  }
}

/**
 * True for a condition operator that only lets a request through when the key has a listed
 * value. Negated operators, `...IfExists` and `ForAllValues:` are true when the key is absent (an
 * anonymous request has no VPC endpoint), and `Null` tests presence only: none of them limits.
 */
function requiresValue(operator: string): boolean {
  const name = operator.replace(/^ForAnyValue:/i, '');
  if (/^ForAllValues:/i.test(name) || /IfExists$/i.test(name) || /^Null$/i.test(name)) return false;
  return !/Not/i.test(name);
}

/** True when some condition of the statement (they are ANDed) limits it to fixed values. */
function isLimited(condition: unknown): boolean {
  if (!isObject(condition)) return false;
  return Object.entries(condition).some(
    ([operator, keys]) =>
      requiresValue(operator) &&
      isObject(keys) &&
      Object.entries(keys).some(([key, values]) => {
        const lower = key.toLowerCase();
        const list: readonly unknown[] = Array.isArray(values) ? values : [values];
        return LIMITING_KEYS.has(lower) && list.length > 0 && list.every((v) => limitsTo(lower, v));
      }),
  );
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** True for `"*"` and `{"AWS": "*"}`, alone or in a list: everyone, anonymous callers included. */
function isStar(principal: unknown): boolean {
  return principal === '*' || (isObject(principal) && listOf(principal.AWS).includes('*'));
}

/**
 * True when an Allow statement's principal is not a fixed one: everyone (`"*"`), a value with a
 * wildcard (`arn:aws:iam::*:root` is not a named principal), a federated identity provider (the
 * docs' own public example), or `NotPrincipal`, which with Allow means everyone but the named.
 */
function isOpenPrincipal(statement: JsonObject): boolean {
  const principal = statement.Principal;
  if (statement.NotPrincipal !== undefined || isStar(principal)) return true;
  if (!isObject(principal)) return false;
  if (principal.Federated !== undefined) return true;
  return Object.values(principal).some((value) =>
    listOf(value).some((p) => typeof p !== 'string' || !isFixed(p)),
  );
}

/**
 * True for a Deny of every action on every resource to everyone, with no condition: nothing is
 * left to grant, whatever the Allow statements say. A Deny with a condition is not weighed.
 */
function deniesEverything(statement: JsonObject): boolean {
  return (
    statement.Effect === 'Deny' &&
    isStar(statement.Principal) &&
    statement.Condition === undefined &&
    listOf(statement.Action).some((action) => action === '*' || action === 's3:*') &&
    listOf(statement.Resource).includes('*')
  );
}

/**
 * GetBucketPolicyStatus's IsPublic for a parsed policy document: public when an Allow statement
 * is open to everyone and no condition limits it to fixed values of a limiting key. Actions do
 * not matter (S3 also weighs actions that may be added later). Of the Deny statements only one
 * that denies everything, unconditionally, is weighed: whether a conditional Deny closes a public
 * Allow is not documented (a world states AWS's answer with `policyStatus`).
 */
export function isPublicPolicy(policy: unknown): boolean {
  if (!isObject(policy)) return false;
  const statements = listOf(policy.Statement).filter(isObject);
  if (statements.some(deniesEverything)) return false;
  return statements.some(
    (statement) =>
      statement.Effect === 'Allow' && isOpenPrincipal(statement) && !isLimited(statement.Condition),
  );
}
