/**
 * What a Macie scan of an exposure covers, decided from the verdict alone (pure): the exposed
 * objects' keys, the prefix a public policy statement names, or the whole bucket, sampled and
 * with an object-size cap. Each is an OBJECT_KEY STARTS_WITH value, the only comparator Macie
 * takes for keys, so a key also selects the keys that begin with it: the scope says so. An
 * exposure with nothing readable in it (latent, write-only, a public listing or ACL) is skipped,
 * with its reason.
 */
import type { CreateClassificationJobCommandInput } from '@aws-sdk/client-macie2';
import { asList, patternMatches } from '../classify-exposure/patterns.js';
import { statementHash } from '../classify-exposure/policy-analysis.js';
import {
  type ExposureVerdict,
  type MacieConfig,
  type MacieScope,
  type MacieSkipReason,
  type PolicyDocument,
  type PolicyStatement,
  SEVERITIES,
} from '../shared/contracts.js';
import { sha256Hex, stableStringify } from '../shared/hash.js';

/**
 * At most this many OBJECT_KEY values in one job. Macie documents no limit on a term's values,
 * but a job over thousands of keys makes a request no API takes: beyond this, keys are widened
 * to the prefixes they share (and the scope says so).
 */
export const MAX_KEY_PREFIXES = 100;

/** What the scan needs to know: the verdict, the policy as read now, and the configuration. */
export interface ScopeInput {
  readonly incidentId: string;
  readonly accountId: string;
  readonly verdict: ExposureVerdict;
  /** The bucket policy as read now: what a public statement's Resource covers. Null: none. */
  readonly policy: PolicyDocument | null;
  readonly config: MacieConfig;
  /** The bucket's object count when the caller knows it (0: an empty bucket, nothing to scan). */
  readonly objectCount?: number | null;
}

/** No scan, and why. */
export interface ScanSkip {
  readonly kind: 'skip';
  readonly skipReason: MacieSkipReason;
  readonly reason: string;
}

/** A scan: its scope and the CreateClassificationJob request that starts it. */
export interface ScanJob {
  readonly kind: 'scan';
  readonly scope: MacieScope;
  readonly request: CreateClassificationJobCommandInput;
}

export type ScanPlan = ScanSkip | ScanJob;

/** What the public read ways into the objects reach: keys, key prefixes, or everything. */
interface Reach {
  whole: boolean;
  readonly keys: Set<string>;
  readonly prefixes: Set<string>;
}

const OBJECT_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'];

/** Whether a statement's actions include reading object content. */
function readsObjects(statement: PolicyStatement): boolean {
  const allows = (pattern: string) => OBJECT_READ_ACTIONS.some((a) => patternMatches(pattern, a, true));
  if (statement.NotAction !== undefined)
    return !OBJECT_READ_ACTIONS.every((a) =>
      asList(statement.NotAction).some((p) => patternMatches(p, a, true)),
    );
  return asList(statement.Action).some(allows);
}

/** The literal start of a key pattern, up to its first wildcard. */
function literalStart(pattern: string): string {
  const wildcard = pattern.search(/[*?]/);
  return wildcard === -1 ? pattern : pattern.slice(0, wildcard);
}

/** Adds what one object Resource of `bucket` covers to the reach. */
function addResource(reach: Reach, resource: string, bucket: string): void {
  if (resource === '*') {
    reach.whole = true;
    return;
  }
  const match = /^arn:aws[a-z-]*:s3:::([^/]*)(?:\/(.*))?$/.exec(resource);
  if (match === null) return;
  const [, bucketPattern = '', keyPattern] = match;
  if (!patternMatches(bucketPattern, bucket, false) || keyPattern === undefined) return;
  const start = literalStart(keyPattern);
  if (start === '') reach.whole = true;
  else if (start === keyPattern) reach.keys.add(keyPattern);
  else reach.prefixes.add(start);
}

function addPolicyVector(
  reach: Reach,
  hash: string | null,
  policy: PolicyDocument | null,
  bucket: string,
): void {
  const statement = policy?.Statement.find((s) => statementHash(s) === hash);
  // A statement no longer in the policy (changed since), or AWS's word on the whole policy: scan everything.
  if (statement === undefined) {
    reach.whole = true;
    return;
  }
  if (!readsObjects(statement)) return;
  if (statement.NotResource !== undefined) {
    reach.whole = true;
    return;
  }
  for (const resource of asList(statement.Resource)) addResource(reach, resource, bucket);
}

/** Whether the public grants on an object's ACL include reading its content (READ, FULL_CONTROL). */
function aclReadsContent(verdict: ExposureVerdict, key: string | null): boolean {
  const grants = verdict.reasons.flatMap((r) =>
    r.source === 'objectAcl' && r.key === key ? [r.grant.Permission] : [],
  );
  return grants.length === 0 || grants.some((p) => p === 'READ' || p === 'FULL_CONTROL');
}

/** What the verdict's public read vectors reach. A bucket ACL's READ lists keys; it reads no object. */
function readReach(verdict: ExposureVerdict, policy: PolicyDocument | null): Reach {
  const reach: Reach = { whole: false, keys: new Set(), prefixes: new Set() };
  for (const vector of verdict.vectors) {
    if (vector.access !== 'read') continue;
    if (vector.source === 'bucketPolicy')
      addPolicyVector(reach, vector.statementHash, policy, verdict.bucket);
    if (vector.source === 'objectAcl' && vector.key !== null && aclReadsContent(verdict, vector.key)) {
      reach.keys.add(vector.key);
    }
  }
  return reach;
}

// ---- When ---------------------------------------------------------------------------------

function severityAtLeast(severity: ExposureVerdict['severity'], floor: ExposureVerdict['severity']): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(floor);
}

/** The skip the configuration or the verdict asks for, or null: go on to the scope. */
function skipOf(input: ScopeInput): ScanSkip | null {
  const { verdict, config } = input;
  const skip = (skipReason: MacieSkipReason, reason: string): ScanSkip => ({
    kind: 'skip',
    skipReason,
    reason,
  });
  const when = config.when;
  if (when === 'never') return skip('configNever', 'the configuration says never to scan with Macie');
  if (when === 'public' && !verdict.effectivelyPublic) {
    return skip(
      verdict.latent.length > 0 ? 'latentOnly' : 'notPublic',
      verdict.latent.length > 0
        ? 'the exposure is latent only: Block Public Access or Object Ownership masks it, nothing is readable'
        : 'the bucket is not effectively public',
    );
  }
  if (typeof when === 'object' && !severityAtLeast(verdict.severity, when.atLeast)) {
    return skip('belowSeverity', `the exposure is ${verdict.severity}, below the configured ${when.atLeast}`);
  }
  if (verdict.vectors.length === 0 && verdict.latent.length > 0) {
    return skip(
      'latentOnly',
      'the exposure is latent only: Block Public Access or Object Ownership masks it',
    );
  }
  if (verdict.vectors.length > 0 && verdict.vectors.every((v) => v.access === 'write')) {
    return skip('writeOnly', 'the exposure is write-only: nobody outside can read the objects');
  }
  if (input.objectCount === 0) return skip('emptyBucket', 'the bucket holds no objects');
  return null;
}

// ---- Scope ----------------------------------------------------------------------------------

/** Keys and prefixes without the ones another value already covers, sorted. */
function minimalPrefixes(values: Iterable<string>): string[] {
  const sorted = [...new Set(values)].sort();
  return sorted.filter((value) => !sorted.some((other) => other !== value && value.startsWith(other)));
}

/** The parent "folder" of a key or prefix (`a/b/c.csv` → `a/b/`), or '' at the top. */
function parentOf(value: string): string {
  const trimmed = value.endsWith('/') ? value.slice(0, -1) : value;
  const slash = trimmed.lastIndexOf('/');
  return slash === -1 ? '' : trimmed.slice(0, slash + 1);
}

/** Widens the deepest values to their folders until at most `limit` remain; [] means the whole bucket. */
function widen(values: readonly string[], limit: number): string[] {
  let current = minimalPrefixes(values);
  while (current.length > limit) {
    const depth = Math.max(...current.map((v) => v.split('/').length));
    const next = minimalPrefixes(current.map((v) => (v.split('/').length === depth ? parentOf(v) : v)));
    if (next.includes('')) return [];
    current = next;
  }
  return current;
}

function describeValues(values: readonly string[]): string {
  const shown = values.slice(0, 5).map((v) => `"${v}"`);
  return values.length > 5 ? `${shown.join(', ')} and ${values.length - 5} more` : shown.join(', ');
}

function scopeOf(reach: Reach, config: MacieConfig): MacieScope {
  const bucket = (why: string): MacieScope => ({
    kind: 'bucket',
    prefixes: [],
    samplingPercentage: config.samplingPercentage,
    maxObjectSizeBytes: config.maxObjectSizeBytes,
    widened: false,
    why: `${why}: the whole bucket, ${config.samplingPercentage}% of its objects under ${config.maxObjectSizeBytes} bytes`,
  });
  if (reach.whole) return bucket('a public way in reaches every object');
  const values = minimalPrefixes([...reach.keys, ...reach.prefixes]);
  const limited = widen(values, MAX_KEY_PREFIXES);
  if (limited.length === 0) return bucket(`${values.length} affected keys share no folder`);
  const widened = limited.length !== values.length || limited.some((v) => !values.includes(v));
  const onlyKeys = !widened && reach.prefixes.size === 0;
  return {
    kind: onlyKeys ? 'objects' : 'prefixes',
    prefixes: limited,
    samplingPercentage: 100,
    maxObjectSizeBytes: onlyKeys ? null : config.maxObjectSizeBytes,
    widened,
    why: onlyKeys
      ? `the ${limited.length} affected object(s); may also scan keys starting with ${describeValues(limited)}`
      : `every object under ${describeValues(limited)}${widened ? ` (${values.length} affected keys and prefixes, widened to their folders)` : ''}, under ${config.maxObjectSizeBytes} bytes`,
  };
}

// ---- The request ----------------------------------------------------------------------------

/**
 * The job's client token: the incident and the scope. A retried task sends the same token and
 * gets the job it started (Macie answers a repeated token with the first job); a later round of
 * the same incident with the same scope does too, so a re-read that changed nothing scans
 * nothing again; a wider exposure has a new scope, so it gets a job of its own. The round number
 * is left out on purpose: rounds count classifications, not changes of what is readable.
 */
export function clientTokenOf(incidentId: string, scope: MacieScope): string {
  const what = {
    kind: scope.kind,
    prefixes: scope.prefixes,
    sampling: scope.samplingPercentage,
    cap: scope.maxObjectSizeBytes,
  };
  return `s3-exposure-${sha256Hex(`${incidentId}\n${stableStringify(what)}`).slice(0, 40)}`;
}

function requestOf(input: ScopeInput, scope: MacieScope): CreateClassificationJobCommandInput {
  const { config, verdict } = input;
  const terms = [
    ...(scope.prefixes.length > 0
      ? [
          {
            simpleScopeTerm: {
              key: 'OBJECT_KEY' as const,
              comparator: 'STARTS_WITH' as const,
              values: scope.prefixes,
            },
          },
        ]
      : []),
    ...(scope.maxObjectSizeBytes !== null
      ? [
          {
            simpleScopeTerm: {
              key: 'OBJECT_SIZE' as const,
              comparator: 'LT' as const,
              values: [String(scope.maxObjectSizeBytes)],
            },
          },
        ]
      : []),
  ];
  return {
    clientToken: clientTokenOf(input.incidentId, scope),
    jobType: 'ONE_TIME',
    // Macie wants job names unique: a wider scope of the same incident is a job of its own.
    name: `s3-exposure ${verdict.bucket} ${input.incidentId} ${clientTokenOf(input.incidentId, scope).slice(-8)}`.slice(
      0,
      500,
    ),
    description: `Sensitive data in what incident ${input.incidentId} exposed`.slice(0, 200),
    s3JobDefinition: {
      bucketDefinitions: [{ accountId: input.accountId, buckets: [verdict.bucket] }],
      ...(terms.length > 0 ? { scoping: { includes: { and: terms } } } : {}),
    },
    samplingPercentage: scope.samplingPercentage,
    managedDataIdentifierSelector: config.managedDataIdentifierSelector,
    ...(config.customDataIdentifierIds.length > 0
      ? { customDataIdentifierIds: config.customDataIdentifierIds }
      : {}),
    ...(config.allowListIds.length > 0 ? { allowListIds: config.allowListIds } : {}),
    tags: { 's3-exposure:incident': input.incidentId },
  };
}

/**
 * The scan an exposure calls for, or why none: latent-only, write-only, listing-only exposures
 * and empty buckets are skipped, and so is whatever the configured `when` leaves out.
 */
export function planScan(input: ScopeInput): ScanPlan {
  const skip = skipOf(input);
  if (skip !== null) return skip;
  const { verdict } = input;
  // Not public, yet scanned (`always`, or a severity it reaches): no public way in to narrow it.
  const reach: Reach =
    verdict.vectors.length === 0
      ? { whole: true, keys: new Set(), prefixes: new Set() }
      : readReach(verdict, input.policy);
  if (!reach.whole && reach.keys.size === 0 && reach.prefixes.size === 0) {
    return {
      kind: 'skip',
      skipReason: 'noContentExposed',
      reason: 'only the key listing or an ACL is public: no object content can be read',
    };
  }
  const scope = scopeOf(reach, input.config);
  return { kind: 'scan', scope, request: requestOf(input, scope) };
}

/** One object as a listing shows it. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
}

/**
 * The objects and bytes a scope selects among listed objects: Macie reports no byte total for a
 * job, so this is the estimate the summary states as such (sampling taken as its share).
 */
export function estimateScan(
  scope: MacieScope,
  objects: readonly ListedObject[],
): { readonly objects: number; readonly bytes: number } {
  const selected = objects.filter(
    (o) =>
      (scope.prefixes.length === 0 || scope.prefixes.some((p) => o.key.startsWith(p))) &&
      (scope.maxObjectSizeBytes === null || o.size < scope.maxObjectSizeBytes),
  );
  const share = scope.samplingPercentage / 100;
  const bytes = selected.reduce((sum, o) => sum + o.size, 0);
  // Macie samples at least one object of a scope that selects any.
  const sampled = selected.length === 0 ? 0 : Math.max(1, Math.round(selected.length * share));
  return { objects: sampled, bytes: Math.round(bytes * share) };
}
