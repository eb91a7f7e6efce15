/**
 * Does a condition limit a grant to fixed values, in Block Public Access's sense?
 * (reference/s3-public-semantics.md, section 2.) Each rule is a small function with a
 * three-way answer: it limits, it does not limit (and why), or the rule does not apply.
 */
import { isIP } from 'node:net';
import type { PolicyStatement } from '../shared/contracts.js';
import { hasWildcard } from './patterns.js';

/** One operator/key/values triple of a Condition block. */
export interface ConditionEntry {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

/**
 * Whose account a condition pins: the caller's (aws:PrincipalAccount, aws:PrincipalArn), the
 * source's that a service acts for (aws:SourceAccount, aws:SourceOwner, aws:SourceArn), or an
 * access point's (s3:DataAccessPointAccount, s3:DataAccessPointArn).
 */
export type AccountOf = 'caller' | 'source' | 'accessPoint';

/** What a limiting condition tells about who can still get in. */
export interface LimitScope {
  /**
   * The accounts the condition allows, and whose; null when it names no account (or names one
   * only for some values, such as an S3 ARN, which carries none).
   */
  readonly accounts: { readonly of: AccountOf; readonly ids: readonly string[] } | null;
  /** Limited to an AWS Organization: access from other accounts of the org. */
  readonly organization: boolean;
  /** Delegates to access points, whose own policies we do not inspect yet. */
  readonly accessPoint: boolean;
}

export type ConditionJudgement =
  | {
      readonly limits: true;
      readonly entry: ConditionEntry;
      readonly why: string;
      readonly scope: LimitScope;
    }
  | { readonly limits: false; readonly entry: ConditionEntry; readonly why: string };

const NOT_APPLICABLE = Symbol('not applicable');
type RuleAnswer = ConditionJudgement | typeof NOT_APPLICABLE;
type ConditionRule = (entry: ConditionEntry, parts: OperatorParts) => RuleAnswer;

interface OperatorParts {
  readonly base: string;
  readonly setQualifier: 'ForAllValues' | 'ForAnyValue' | null;
  readonly ifExists: boolean;
  readonly negated: boolean;
}

const NEGATED_OPERATORS = new Set([
  'stringnotequals',
  'stringnotequalsignorecase',
  'stringnotlike',
  'arnnotequals',
  'arnnotlike',
  'notipaddress',
  'numericnotequals',
  'datenotequals',
]);

/** BPA's list of keys that can limit a grant; matched case-insensitively, as IAM does. */
const LIMITING_KEYS = new Set([
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

/** Keys whose values are account IDs, and whose account each one pins. */
const ACCOUNT_KEYS: ReadonlyMap<string, AccountOf> = new Map([
  ['aws:principalaccount', 'caller'],
  ['aws:sourceaccount', 'source'],
  ['aws:sourceowner', 'source'],
  ['s3:dataaccesspointaccount', 'accessPoint'],
]);
/** Keys whose values are ARNs, which carry the account in their fifth field. */
const ARN_KEYS: ReadonlyMap<string, AccountOf> = new Map([
  ['aws:principalarn', 'caller'],
  ['aws:sourcearn', 'source'],
  ['s3:dataaccesspointarn', 'accessPoint'],
]);

function operatorParts(operator: string): OperatorParts {
  const [qualifier, rest] = operator.includes(':') ? operator.split(':', 2) : [null, operator];
  const setQualifier = qualifier === 'ForAllValues' || qualifier === 'ForAnyValue' ? qualifier : null;
  const withoutQualifier = rest ?? operator;
  const ifExists = withoutQualifier.endsWith('IfExists');
  const base = ifExists ? withoutQualifier.slice(0, -'IfExists'.length) : withoutQualifier;
  return { base, setQualifier, ifExists, negated: NEGATED_OPERATORS.has(base.toLowerCase()) };
}

/** A fixed value has no wildcard and no policy variable such as `${aws:username}`. */
function isFixedValue(value: string): boolean {
  return !hasWildcard(value) && !value.includes('${');
}

/**
 * `"<role unique ID>:*"`: every session of one role. The one wildcard BPA accepts, and only in
 * aws:userid, whose value for a role session is "<role unique ID>:<session name>".
 */
const ROLE_SESSIONS = /^AROA[0-9A-Z]+:\*$/;

function accountOfArn(arn: string): string | null {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : null;
}

function accountsOf(key: string, values: readonly string[]): LimitScope['accounts'] {
  const idsOf = ACCOUNT_KEYS.get(key);
  if (idsOf !== undefined) return { of: idsOf, ids: [...values] };
  const arnsOf = ARN_KEYS.get(key);
  if (arnsOf === undefined) return null;
  const ids = values.map(accountOfArn);
  return ids.every((id): id is string => id !== null) ? { of: arnsOf, ids } : null;
}

function scopeOf(entry: ConditionEntry): LimitScope {
  const key = entry.key.toLowerCase();
  return {
    accounts: accountsOf(key, entry.values),
    organization: key === 'aws:principalorgid',
    accessPoint: key.startsWith('s3:dataaccesspoint'),
  };
}

const doesNotLimit = (entry: ConditionEntry, why: string): ConditionJudgement => ({
  limits: false,
  entry,
  why,
});
const limits = (entry: ConditionEntry, why: string): ConditionJudgement => ({
  limits: true,
  entry,
  why,
  scope: scopeOf(entry),
});

// ---- IP ranges --------------------------------------------------------------------------

const PRIVATE_IPV4: ReadonlyArray<[number, number]> = [
  [ipv4ToInt('10.0.0.0'), 8],
  [ipv4ToInt('172.16.0.0'), 12],
  [ipv4ToInt('192.168.0.0'), 16],
];

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function inIpv4Network(address: number, network: number, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(address / size) === Math.floor(network / size);
}

/**
 * Why a CIDR is too broad to limit access, or null when it limits: broader than /8 for IPv4
 * or /32 for IPv6 counts as public, RFC 1918 ranges excepted.
 */
export function ipRangeTooBroad(cidr: string): string | null {
  const [address = '', prefixText] = cidr.trim().split('/');
  const family = isIP(address);
  if (family === 0) return `"${cidr}" is not an IP address or range`;
  const maxPrefix = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) return `"${cidr}" has an invalid prefix`;
  if (family === 4) {
    if (prefix >= 8) return null;
    const network = ipv4ToInt(address);
    const isPrivate = PRIVATE_IPV4.some(([net, p]) => prefix >= p && inIpv4Network(network, net, p));
    return isPrivate ? null : `${cidr} is broader than /8`;
  }
  return prefix >= 32 ? null : `${cidr} is broader than /32 for IPv6`;
}

// ---- The rules, in order; the first that applies answers --------------------------------

const nullOperator: ConditionRule = (entry, op) =>
  op.base === 'Null'
    ? doesNotLimit(entry, `Null only tests whether ${entry.key} is present, never its value`)
    : NOT_APPLICABLE;

const forAllValues: ConditionRule = (entry, op) =>
  op.setQualifier === 'ForAllValues'
    ? doesNotLimit(
        entry,
        `ForAllValues:${op.base} is true when ${entry.key} is absent, as on an anonymous request`,
      )
    : NOT_APPLICABLE;

const ifExists: ConditionRule = (entry, op) =>
  op.ifExists
    ? doesNotLimit(
        entry,
        `${op.base}IfExists is true when ${entry.key} is absent, as on an anonymous request`,
      )
    : NOT_APPLICABLE;

const negatedOperator: ConditionRule = (entry, op) =>
  op.negated ? doesNotLimit(entry, `${op.base} allows every value except the ones it names`) : NOT_APPLICABLE;

const unlistedKey: ConditionRule = (entry) => {
  const key = entry.key.toLowerCase();
  if (LIMITING_KEYS.has(key)) return NOT_APPLICABLE;
  if (key === 'aws:principalorgpaths') {
    return doesNotLimit(entry, 'aws:PrincipalOrgPaths is not on the list of keys that limit access');
  }
  return doesNotLimit(
    entry,
    `${entry.key} is not a key that limits access (a caller controls or bypasses it)`,
  );
};

const sourceIpRange: ConditionRule = (entry, op) => {
  if (entry.key.toLowerCase() !== 'aws:sourceip') return NOT_APPLICABLE;
  if (op.base.toLowerCase() !== 'ipaddress' && op.base.toLowerCase() !== 'notipaddress') {
    return doesNotLimit(entry, `${op.base} is not an IP operator, so it does not limit aws:SourceIp`);
  }
  for (const cidr of entry.values) {
    const tooBroad = ipRangeTooBroad(cidr);
    if (tooBroad) return doesNotLimit(entry, `aws:SourceIp ${tooBroad}`);
  }
  return limits(entry, `aws:SourceIp is limited to ${entry.values.join(', ')}`);
};

const accessPointArn: ConditionRule = (entry) => {
  if (entry.key.toLowerCase() !== 's3:dataaccesspointarn') return NOT_APPLICABLE;
  // In a bucket policy the access point name may be a wildcard, as long as the account is fixed.
  const unfixed = entry.values.find((arn) => {
    const parts = arn.split(':');
    const account = parts[4] ?? '';
    return parts.length < 6 || !/^\d{12}$/.test(account) || parts.slice(0, 4).some((p) => p.includes('${'));
  });
  return unfixed
    ? doesNotLimit(entry, `s3:DataAccessPointArn "${unfixed}" does not fix the access point's account`)
    : limits(
        entry,
        `s3:DataAccessPointArn delegates to access points of account ${entry.values.map((v) => v.split(':')[4]).join(', ')}`,
      );
};

const userIdRoleSessions: ConditionRule = (entry) => {
  if (entry.key.toLowerCase() !== 'aws:userid') return NOT_APPLICABLE;
  const loose = entry.values.find((value) => !isFixedValue(value) && !ROLE_SESSIONS.test(value));
  return loose !== undefined
    ? doesNotLimit(
        entry,
        `${entry.key} "${loose}" is not a fixed value (a wildcard other than "<role unique ID>:*")`,
      )
    : limits(entry, `${entry.key} is limited to ${entry.values.join(', ')}`);
};

const fixedValues: ConditionRule = (entry) => {
  const loose = entry.values.find((value) => !isFixedValue(value));
  return loose !== undefined
    ? doesNotLimit(entry, `${entry.key} "${loose}" is not a fixed value (wildcard or policy variable)`)
    : NOT_APPLICABLE;
};

const fixedLimit: ConditionRule = (entry) =>
  limits(entry, `${entry.key} is limited to ${entry.values.join(', ')}`);

const ALLOW_RULES: readonly ConditionRule[] = [
  nullOperator,
  forAllValues,
  ifExists,
  negatedOperator,
  unlistedKey,
  sourceIpRange,
  accessPointArn,
  userIdRoleSessions,
  fixedValues,
  fixedLimit,
];

function firstAnswer(
  rules: readonly ConditionRule[],
  entry: ConditionEntry,
  parts: OperatorParts,
): ConditionJudgement {
  for (const rule of rules) {
    const answer = rule(entry, parts);
    if (answer !== NOT_APPLICABLE) return answer;
  }
  return doesNotLimit(entry, 'no rule applies');
}

/** Judges one condition of an Allow statement: does it limit the grant to fixed values? */
export function judgeAllowCondition(entry: ConditionEntry): ConditionJudgement {
  return firstAnswer(ALLOW_RULES, entry, operatorParts(entry.operator));
}

/**
 * Judges one condition of a Deny statement from the other side: a Deny that fires unless a
 * limiting key has one of some fixed values ("StringNotEquals aws:SourceVpce vpce-1") leaves
 * access open only to those values, which limits the grants it covers as an Allow condition would.
 */
export function judgeDenyCondition(entry: ConditionEntry): ConditionJudgement {
  const parts = operatorParts(entry.operator);
  if (parts.setQualifier !== null) {
    return doesNotLimit(entry, `${entry.operator} in a Deny does not pin ${entry.key} to fixed values`);
  }
  if (!parts.negated) {
    return doesNotLimit(entry, `a Deny on ${entry.operator} ${entry.key} leaves every other value open`);
  }
  // IfExists on a negated operator also denies when the key is absent: still a limit.
  return firstAnswer(
    [unlistedKey, sourceIpRange, accessPointArn, userIdRoleSessions, fixedValues, fixedLimit],
    entry,
    parts,
  );
}

/** The entries of a statement's Condition block, values as strings. */
export function conditionEntries(statement: PolicyStatement): ConditionEntry[] {
  const entries: ConditionEntry[] = [];
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, raw] of Object.entries(keys)) {
      const values = (Array.isArray(raw) ? raw : [raw]).map(String);
      entries.push({ operator, key, values });
    }
  }
  return entries;
}
