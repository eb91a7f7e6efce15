/**
 * The classifier's pure core: from a bucket's configuration to an ExposureVerdict, by AWS's
 * meaning of "public" (reference/s3-public-semantics.md), with a reason for every answer.
 */
import {
  type AccessLevel,
  type BpaFlag,
  type BucketAccessSnapshot,
  type ExposureVerdict,
  type Mitigation,
  type Reason,
  SEVERITIES,
  type Severity,
  type Unknown,
  type Vector,
} from '../shared/contracts.js';
import { sha256Hex, stableStringify } from '../shared/hash.js';
import { type AclAnalysis, analyseAcls, type PublicAclGrant } from './acl-analysis.js';
import { asList } from './patterns.js';
import { levelsOfStatement } from './policy-actions.js';
import { analysePolicy, closingDenies, type PolicyAnalysis, type PublicGrant } from './policy-analysis.js';
import { type Owner, statementPrincipals } from './policy-principals.js';

interface Flag {
  readonly on: boolean;
  readonly where: string;
}

/** The settings that decide whether stored grants work: BPA ORed across levels, and ownership. */
interface AccessSettings {
  readonly flags: Record<BpaFlag, Flag>;
  readonly ownership: 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';
}

function accessSettings(snapshot: BucketAccessSnapshot): AccessSettings {
  const flag = (name: BpaFlag): Flag => {
    const bucket = snapshot.bucketPublicAccessBlock?.[name] ?? false;
    const account = snapshot.accountPublicAccessBlock?.[name] ?? false;
    const where = bucket && account ? 'bucket and account' : bucket ? 'bucket' : 'account';
    return { on: bucket || account, where };
  };
  return {
    flags: {
      BlockPublicAcls: flag('BlockPublicAcls'),
      IgnorePublicAcls: flag('IgnorePublicAcls'),
      BlockPublicPolicy: flag('BlockPublicPolicy'),
      RestrictPublicBuckets: flag('RestrictPublicBuckets'),
    },
    // No OwnershipControls is the pre-2023 state, with ACLs enabled: ObjectWriter.
    ownership: snapshot.ownershipControls?.Rules[0]?.ObjectOwnership ?? 'ObjectWriter',
  };
}

// ---- What could not be read -------------------------------------------------------------

const MUST_READ = [
  'bucketPolicy',
  'bucketAcl',
  'bucketPublicAccessBlock',
  'accountPublicAccessBlock',
  'ownershipControls',
] as const;

const NOT_READ_MEANS: Record<(typeof MUST_READ)[number], string> = {
  bucketPolicy: 'the policy was not read, so it is neither public nor private here',
  bucketAcl: 'the bucket ACL was not read, so its grants are unknown',
  bucketPublicAccessBlock: 'bucket Block Public Access was not read; taken as off',
  accountPublicAccessBlock: 'account Block Public Access was not read; taken as off',
  ownershipControls: 'Object Ownership was not read; taken as ObjectWriter (ACLs enabled)',
};

/** NoSuchKey on an object is not a gap in what we know: the object is simply not there. */
const OBJECT_GONE = 'NoSuchKey';
/** The adapter read only the first objects of a large bucket (limits.objectScanLimit). */
export const SCAN_LIMIT = 'ScanLimitReached';

function unreadParts(snapshot: BucketAccessSnapshot): Unknown[] {
  const unknown: Unknown[] = snapshot.unreadable.map(({ part, key, error }) => ({
    part,
    ...(key !== undefined ? { key } : {}),
    kind: error === OBJECT_GONE ? 'gone' : 'unread',
    why:
      error === OBJECT_GONE
        ? 'NoSuchKey: the object no longer exists, or its multipart upload is not complete'
        : error === SCAN_LIMIT
          ? 'ScanLimitReached: the bucket has more objects than the scan limit; only the first ones were read'
          : `${error}: could not be read`,
  }));
  const named = new Set(
    snapshot.unreadable.map((u) => (u.key === undefined ? u.part : `${u.part}/${u.key}`)),
  );
  for (const part of MUST_READ) {
    if (snapshot[part] === undefined && !named.has(part))
      unknown.push({ part, kind: 'unread', why: NOT_READ_MEANS[part] });
  }
  for (const key of snapshot.objectKeys) {
    if (snapshot.objectAcls?.[key] === undefined && !named.has(`objectAcls/${key}`)) {
      unknown.push({ part: 'objectAcls', key, kind: 'unread', why: 'the object ACL was not read' });
    }
  }
  return unknown;
}

// ---- Assembly ----------------------------------------------------------------------------

class VerdictBuilder {
  readonly vectors: Vector[] = [];
  readonly latent: Vector[] = [];
  readonly #seen = new Set<string>();
  readonly reasons: Reason[] = [];
  readonly mitigations: Mitigation[] = [];
  readonly unknown: Unknown[] = [];
  crossAccount = false;

  addVectors(target: Vector[], base: Omit<Vector, 'access'>, levels: readonly AccessLevel[]): void {
    for (const access of levels) {
      const vector: Vector = {
        source: base.source,
        access,
        principal: base.principal,
        statementHash: base.statementHash,
        key: base.key,
      };
      const id = `${target === this.vectors ? 'v' : 'l'}:${stableStringify(vector)}`;
      if (!this.#seen.has(id)) {
        this.#seen.add(id);
        target.push(vector);
      }
    }
  }
}

function policyVectors(
  b: VerdictBuilder,
  grants: readonly PublicGrant[],
  settings: AccessSettings,
  rpbApplies: boolean,
): void {
  for (const grant of grants) {
    const base = {
      source: 'bucketPolicy' as const,
      principal: grant.principal,
      statementHash: grant.statementHash,
      key: null,
    };
    b.addVectors(rpbApplies ? b.latent : b.vectors, base, grant.levels);
    b.reasons.push({ source: 'bucketPolicy', statement: grant.statement, sid: grant.sid, why: grant.why });
    if (rpbApplies) continue;
    b.mitigations.push(
      grant.statement === null
        ? {
            kind: 'setBucketPublicAccessBlock',
            flags: { BlockPublicPolicy: true, RestrictPublicBuckets: true },
          }
        : { kind: 'removePolicyStatement', statement: grant.statement, sid: grant.sid },
    );
  }
  if (grants.length === 0) return;
  const rpb = settings.flags.RestrictPublicBuckets;
  const bpp = settings.flags.BlockPublicPolicy;
  if (rpbApplies) {
    b.reasons.push({
      source: 'publicAccessBlock',
      flag: 'RestrictPublicBuckets',
      why: `RestrictPublicBuckets is on (${rpb.where}): only AWS services and the owner account can use the public policy (latent)`,
    });
  } else if (bpp.on) {
    b.reasons.push({
      source: 'publicAccessBlock',
      flag: 'BlockPublicPolicy',
      why: `BlockPublicPolicy is on (${bpp.where}) but only rejects new public policies; the existing one still works`,
    });
  }
}

function maskOf(settings: AccessSettings, rpbApplies: boolean): Reason | null {
  if (settings.ownership === 'BucketOwnerEnforced') {
    return {
      source: 'ownership',
      flag: 'BucketOwnerEnforced',
      why: 'Object Ownership is BucketOwnerEnforced: ACLs are disabled, so stored public grants do not work (latent)',
    };
  }
  const ipa = settings.flags.IgnorePublicAcls;
  if (ipa.on) {
    return {
      source: 'publicAccessBlock',
      flag: 'IgnorePublicAcls',
      why: `IgnorePublicAcls is on (${ipa.where}): S3 ignores the public ACL grants (latent)`,
    };
  }
  if (rpbApplies) {
    return {
      source: 'publicAccessBlock',
      flag: 'RestrictPublicBuckets',
      why: 'RestrictPublicBuckets applies (the policy is public): access is limited to the owner account, ACL grants included (latent)',
    };
  }
  return null;
}

function aclVectors(
  b: VerdictBuilder,
  acls: AclAnalysis,
  policy: PolicyAnalysis,
  settings: AccessSettings,
  rpbApplies: boolean,
): void {
  const mask = maskOf(settings, rpbApplies);
  let anyEffective = false;
  for (const grant of acls.publicGrants) {
    const base = {
      source: grant.target.source,
      principal: grant.principal,
      statementHash: null,
      key: grant.target.key,
    };
    if (mask) {
      b.addVectors(b.latent, base, grant.levels);
      b.reasons.push(aclReason(grant, grant.why));
      continue;
    }
    const denies = closingDenies(policy.publicDenies, grant.actions, [grant.resource]);
    if (denies) {
      b.reasons.push(aclReason(grant, `${grant.why}, but ${denies.map((d) => d.why).join('; ')}`));
      continue;
    }
    anyEffective = true;
    b.addVectors(b.vectors, base, grant.levels);
    b.reasons.push(aclReason(grant, grant.why));
    b.mitigations.push(
      grant.target.source === 'bucketAcl'
        ? { kind: 'removeBucketAclGrant', grant: grant.grant }
        : { kind: 'removeObjectAclGrant', key: grant.target.key, grant: grant.grant },
    );
  }
  if (mask && acls.publicGrants.length > 0) b.reasons.push(mask);
  const bpa = settings.flags.BlockPublicAcls;
  if (anyEffective && bpa.on) {
    b.reasons.push({
      source: 'publicAccessBlock',
      flag: 'BlockPublicAcls',
      why: `BlockPublicAcls is on (${bpa.where}) but only rejects new public ACLs; existing grants still work`,
    });
  }
}

function aclReason(grant: PublicAclGrant, why: string): Reason {
  return { source: grant.target.source, key: grant.target.key, grant: grant.grant, why };
}

function crossAccountGrants(
  b: VerdictBuilder,
  policy: PolicyAnalysis,
  acls: AclAnalysis,
  settings: AccessSettings,
  rpbApplies: boolean,
): void {
  // RestrictPublicBuckets, once it applies, blocks every cross-account path (service principals excepted).
  if (rpbApplies) return;
  for (const grant of policy.crossAccount) {
    b.crossAccount = true;
    b.reasons.push({ source: 'bucketPolicy', statement: grant.statement, sid: grant.sid, why: grant.why });
  }
  if (settings.ownership === 'BucketOwnerEnforced') return;
  for (const grant of acls.externalGrants) {
    b.crossAccount = true;
    b.reasons.push({
      source: grant.target.source,
      key: grant.target.key,
      grant: grant.grant,
      why: grant.why,
    });
  }
  for (const grant of acls.undecided) {
    b.unknown.push({
      part: grant.target.source === 'bucketAcl' ? 'bucketAcl' : 'objectAcls',
      kind: 'undecided',
      ...(grant.target.key !== null ? { key: grant.target.key } : {}),
      why: `${grant.why}; the owner's canonical ID is unknown, so it may be another account`,
    });
  }
}

/**
 * When GetBucketPolicyStatus says public and the local reading found no public statement, AWS's
 * word stands; the exposure is kept as one policy-wide vector, fixed only with Block Public Access.
 */
function awsOnlyPolicyGrant(snapshot: BucketAccessSnapshot, owner: Owner): PublicGrant {
  const statements = snapshot.bucketPolicy?.Statement ?? [];
  const levels = new Set<AccessLevel>();
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    const principals = statementPrincipals(s, owner);
    if (principals.every((p) => p.kind === 'owner' || p.kind === 'service' || p.kind === 'nobody')) continue;
    for (const level of levelsOfStatement(asList(s.Action), asList(s.NotAction))) levels.add(level);
  }
  return {
    statement: null,
    sid: null,
    statementHash: sha256Hex(stableStringify(snapshot.bucketPolicy ?? null)).slice(0, 16),
    principal: '*',
    levels: levels.size > 0 ? [...levels] : ['read'],
    why: 'GetBucketPolicyStatus reports the policy public, but the local reading found no public statement',
  };
}

function severityOf(b: VerdictBuilder): Severity {
  const counts = (u: Unknown) => u.kind !== 'gone';
  if (b.vectors.some((v) => v.access === 'write')) return 'CRITICAL';
  if (b.vectors.length > 0) return 'HIGH';
  if (b.crossAccount || b.unknown.some(counts)) return 'MEDIUM';
  if (b.latent.length > 0) return 'LOW';
  return 'INFORMATIONAL';
}

function sortedVectors(vectors: readonly Vector[]): Vector[] {
  return vectors
    .map((vector) => ({ vector, order: stableStringify(vector) }))
    .sort((a, c) => (a.order < c.order ? -1 : a.order > c.order ? 1 : 0))
    .map(({ vector }) => vector);
}

/** The exposure fingerprint: the same exposure, read again, gives the same value. */
export function exposureFingerprint(accountId: string, bucket: string, vectors: readonly Vector[]): string {
  return sha256Hex(stableStringify({ accountId, bucket, vectors: sortedVectors(vectors) }));
}

/** Classifies one snapshot. Pure: the same snapshot always gives the same verdict. */
export function classifyExposure(snapshot: BucketAccessSnapshot): ExposureVerdict {
  const b = new VerdictBuilder();
  const owner: Owner = { accountId: snapshot.accountId, canonicalId: snapshot.bucketAcl?.Owner?.ID ?? null };
  const settings = accessSettings(snapshot);
  b.unknown.push(...unreadParts(snapshot));

  const policy = analysePolicy(snapshot.bucketPolicy, owner);
  const localPolicyPublic = policy.publicGrants.length > 0;
  const awsSays = snapshot.policyStatus?.IsPublic;
  const policyPublic = awsSays ?? localPolicyPublic;
  let publicGrants: readonly PublicGrant[] = policy.publicGrants;
  if (awsSays === true && !localPolicyPublic) {
    publicGrants = [awsOnlyPolicyGrant(snapshot, owner)];
    b.unknown.push({
      part: 'policyStatus',
      // With the policy unread there is nothing to disagree with: the policy part says it is unread.
      kind: 'disagreement',
      why:
        snapshot.bucketPolicy === undefined
          ? 'GetBucketPolicyStatus says the policy is public, and the policy itself could not be read'
          : 'GetBucketPolicyStatus says the policy is public; the local evaluator finds no public statement',
    });
  } else if (awsSays === false && localPolicyPublic) {
    publicGrants = [];
    b.unknown.push({
      part: 'policyStatus',
      kind: 'disagreement',
      why: `GetBucketPolicyStatus says the policy is not public; the local evaluator disagrees: ${policy.publicGrants
        .map((g) => g.why)
        .join('; ')}`,
    });
  }
  const rpbApplies = policyPublic && settings.flags.RestrictPublicBuckets.on;

  policyVectors(b, publicGrants, settings, rpbApplies);
  const acls = analyseAcls(snapshot.bucket, snapshot.bucketAcl, snapshot.objectAcls);
  aclVectors(b, acls, policy, settings, rpbApplies);
  crossAccountGrants(b, policy, acls, settings, rpbApplies);
  for (const delegation of policy.accessPointDelegations)
    b.unknown.push({ part: 'bucketPolicy', kind: 'undecided', why: delegation.why });
  for (const note of policy.notes) {
    b.reasons.push({ source: 'bucketPolicy', statement: note.statement, sid: note.sid, why: note.why });
  }

  const vectors = sortedVectors(b.vectors);
  return {
    bucket: snapshot.bucket,
    policyPublic,
    aclPublic: acls.publicGrants.length > 0,
    effectivelyPublic: vectors.length > 0,
    publicRead: vectors.some((v) => v.access === 'read'),
    publicWrite: vectors.some((v) => v.access === 'write'),
    crossAccount: b.crossAccount,
    vectors,
    latent: sortedVectors(b.latent),
    reasons: b.reasons,
    mitigations: b.mitigations,
    unknown: b.unknown,
    severity: severityOf(b),
    fingerprint: exposureFingerprint(snapshot.accountId, snapshot.bucket, vectors),
  };
}

/** Orders severities, highest first, for sorting and comparison. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}
