/**
 * The remediation plan: from a verdict's effective ways in, the smallest change that ends the
 * public access. Pure: it reads a snapshot and a verdict and says what to write, in plain words.
 *
 * Surgical first: remove exactly the public policy statements and the public ACL grants, keep
 * everything else byte for byte. Bucket Block Public Access only where a surgical change cannot
 * work (another account's object, a policy S3 calls public without naming a statement, more
 * objects than a bounded run can fix) or the configuration asks for it. Never account-level,
 * never an object deleted, never a policy deleted unless no statement is left in it.
 */
import { analyseAcls } from '../classify-exposure/acl-analysis.js';
import { asList } from '../classify-exposure/patterns.js';
import { statementHash } from '../classify-exposure/policy-analysis.js';
import type {
  Acl,
  BpaFlag,
  BucketAccessSnapshot,
  ExposureVerdict,
  Grant,
  PolicyStatement,
  PublicAccessBlock,
  Vector,
} from '../shared/contracts.js';
import { describeGrant } from '../shared/describe.js';
import { stableStringify } from '../shared/hash.js';
import { RemediationPlanError } from './errors.js';
import { readPolicyText } from './policy-text.js';

// ---- The plan's shape --------------------------------------------------------------------

/** A statement a policy change removes: its position in the current policy, Sid and hash. */
export interface RemovedStatement {
  statement: number;
  sid: string | null;
  statementHash: string;
}

/** One write to S3. Every field is what is sent, or what a person needs to judge it. */
export type RemediationAction =
  /** The policy without the public statements; every other statement and field as it was. */
  | { kind: 'putBucketPolicy'; policyText: string; removedStatements: RemovedStatement[] }
  /** Every statement was public: S3 refuses a policy with no statement, so it is deleted. */
  | { kind: 'deleteBucketPolicy'; removedStatements: RemovedStatement[] }
  /** The bucket ACL without the public grants: the Owner and every other grant kept. */
  | { kind: 'putBucketAcl'; acl: Acl; removedGrants: Grant[] }
  /** One object's ACL without the public grants: the Owner and every other grant kept. */
  | { kind: 'putObjectAcl'; key: string; acl: Acl; removedGrants: Grant[] }
  /**
   * Bucket Block Public Access: the bucket's current flags ORed with the needed ones (a flag is
   * never turned off). `flags` are the ones this change turns on; `why` says why a surgical
   * change was not enough.
   */
  | { kind: 'putBucketPublicAccessBlock'; configuration: PublicAccessBlock; flags: BpaFlag[]; why: string };

/** What else depends on the bucket being reachable: shown wherever a person decides. */
export interface BlastRadius {
  /** Static website hosting is configured. */
  website: boolean;
  /** CloudFront in the policy: the service principal, OAI principals, distribution ARNs. */
  cloudFront: string[];
  /** Other AWS service principals the policy names. */
  servicePrincipals: string[];
  /** Tags that name who owns the bucket (owner, team, contact, data-owner, cost-center). */
  ownerTags: Record<string, string>;
  /** The above in plain words. */
  notes: string[];
}

/** The changes to make, and what they do and do not cover. */
export interface RemediationPlan {
  /** In the order they are applied: Block Public Access, policy, bucket ACL, object ACLs. */
  actions: RemediationAction[];
  /** For a person: one line per action, then the blast radius notes and what is left. */
  description: string[];
  blastRadius: BlastRadius;
  /** Why bucket Block Public Access is used instead of a surgical change, one line per reason. */
  fallbacks: string[];
  /** The ways in this plan ends. */
  vectorsAddressed: Vector[];
  /** Current ways in this plan does not touch (not approved): they need a new decision. */
  vectorsLeft: Vector[];
}

/** What planning needs; `settings` is the configuration's `remediation` section. */
export interface PlanInput {
  readonly snapshot: BucketAccessSnapshot;
  /** The policy text exactly as GetBucketPolicy returned it; null when there is none. */
  readonly policyText: string | null;
  readonly verdict: ExposureVerdict;
  /** The ways in a person approved (from an earlier verdict); absent: all of the verdict's. */
  readonly approvedVectors?: readonly Vector[];
  readonly settings: { readonly preferBlockPublicAccess: boolean; readonly maxObjectKeys: number };
}

// ---- Which changes: units of change and the vectors they end -------------------------------

/** One thing that can be removed: a policy statement (by hash) or one ACL grant. */
type Unit =
  | { readonly kind: 'statement'; readonly hash: string; readonly vectorIds: ReadonlySet<string> }
  | {
      readonly kind: 'grant';
      readonly key: string | null;
      readonly grant: Grant;
      readonly vectorIds: ReadonlySet<string>;
    };

/** A vector's identity: all five fields, so a changed statement or another key is another vector. */
function vectorId(v: Vector): string {
  return stableStringify({
    source: v.source,
    access: v.access,
    principal: v.principal,
    statementHash: v.statementHash,
    key: v.key,
  });
}

/** Policy vectors grouped by the statement they come from. */
function statementUnits(vectors: readonly Vector[]): Unit[] {
  const byHash = new Map<string, Set<string>>();
  for (const v of vectors) {
    if (v.source !== 'bucketPolicy' || v.statementHash === null) continue;
    const ids = byHash.get(v.statementHash) ?? new Set<string>();
    ids.add(vectorId(v));
    byHash.set(v.statementHash, ids);
  }
  return [...byHash].map(([hash, vectorIds]) => ({ kind: 'statement', hash, vectorIds }));
}

/** The vectors one public grant makes, judged by the classifier's own ACL reading. */
function grantVectorIds(bucket: string, key: string | null, grant: Grant): Set<string> {
  const acl: Acl = { Grants: [grant] };
  const analysis =
    key === null
      ? analyseAcls(bucket, acl, undefined)
      : analyseAcls(bucket, null, Object.fromEntries([[key, acl]]));
  const ids = new Set<string>();
  for (const g of analysis.publicGrants) {
    for (const access of g.levels) {
      ids.add(
        vectorId({ source: g.target.source, access, principal: g.principal, statementHash: null, key }),
      );
    }
  }
  return ids;
}

/** The verdict's ACL mitigations as units, one per distinct grant and target. */
function grantUnits(verdict: ExposureVerdict): Unit[] {
  const units = new Map<string, Unit>();
  for (const m of verdict.mitigations) {
    if (m.kind !== 'removeBucketAclGrant' && m.kind !== 'removeObjectAclGrant') continue;
    const key = m.kind === 'removeObjectAclGrant' ? m.key : null;
    const vectorIds = grantVectorIds(verdict.bucket, key, m.grant);
    if (vectorIds.size > 0)
      units.set(stableStringify([key, m.grant]), { kind: 'grant', key, grant: m.grant, vectorIds });
  }
  return [...units.values()];
}

/**
 * The units to change and the vectors they end. A unit is changed only when every vector it
 * makes was approved, and a vector counts as ended only when every unit making it is changed;
 * repeated until stable, so no change is wider than the approval and none is made in vain.
 */
function selectUnits(
  units: readonly Unit[],
  vectors: readonly Vector[],
  approved: readonly Vector[] | undefined,
): { selected: Unit[]; addressed: Set<string> } {
  const approvedIds = approved === undefined ? null : new Set(approved.map(vectorId));
  let candidate = new Set(vectors.map(vectorId).filter((id) => approvedIds === null || approvedIds.has(id)));
  for (;;) {
    const inCandidate = (u: Unit) => [...u.vectorIds].every((id) => candidate.has(id));
    const selected = units.filter(inCandidate);
    const next = new Set(
      [...candidate].filter((id) => {
        const producers = units.filter((u) => u.vectorIds.has(id));
        return producers.length > 0 && producers.every((u) => selected.includes(u));
      }),
    );
    if (next.size === candidate.size) return { selected, addressed: candidate };
    candidate = next;
  }
}

// ---- Block Public Access, when surgery cannot work -----------------------------------------

const POLICY_FLAGS: readonly BpaFlag[] = ['BlockPublicPolicy', 'RestrictPublicBuckets'];
const ACL_FLAGS: readonly BpaFlag[] = ['IgnorePublicAcls', 'BlockPublicAcls'];
const PREFER_WHY =
  'the configuration prefers bucket Block Public Access (remediation.preferBlockPublicAccess)';

/** The flags a plan needs and why, gathered from every fallback. */
class BpaNeeds {
  readonly flags: BpaFlag[] = [];
  readonly reasons: string[] = [];

  add(flags: readonly BpaFlag[], why: string): void {
    for (const flag of flags) if (!this.flags.includes(flag)) this.flags.push(flag);
    if (!this.reasons.includes(why)) this.reasons.push(why);
  }
}

/**
 * The one PutPublicAccessBlock of a plan. The call replaces all four flags, so the current ones
 * must be known: without them a flag could be turned off.
 */
function bpaAction(snapshot: BucketAccessSnapshot, needs: BpaNeeds): RemediationAction | null {
  if (needs.flags.length === 0) return null;
  const current = snapshot.bucketPublicAccessBlock;
  if (current === undefined) {
    throw new RemediationPlanError(
      `bucket Block Public Access of ${snapshot.bucket} was not read, so turning on ${needs.flags.join(', ')} could turn other flags off`,
    );
  }
  const isOn = (flag: BpaFlag) => current?.[flag] ?? false;
  const flags = needs.flags.filter((flag) => !isOn(flag));
  // Every needed flag is on already: the ways in cannot be effective, and there is nothing to put.
  if (flags.length === 0) return null;
  const on = (flag: BpaFlag) => isOn(flag) || needs.flags.includes(flag);
  return {
    kind: 'putBucketPublicAccessBlock',
    configuration: {
      BlockPublicAcls: on('BlockPublicAcls'),
      IgnorePublicAcls: on('IgnorePublicAcls'),
      BlockPublicPolicy: on('BlockPublicPolicy'),
      RestrictPublicBuckets: on('RestrictPublicBuckets'),
    },
    flags,
    why: needs.reasons.join('; '),
  };
}

// ---- The policy: remove exactly the public statements from the text --------------------------

/** Why a public statement cannot be removed exactly, so Block Public Access is used. */
function statementNotFoundWhy(hash: string, snapshot: BucketAccessSnapshot): string {
  const index = (snapshot.bucketPolicy?.Statement ?? []).findIndex(
    (s: PolicyStatement) => statementHash(s) === hash,
  );
  return index >= 0
    ? `policy statement ${index} named by the verdict is not in the current policy text, so it cannot be removed exactly`
    : 'GetBucketPolicyStatus reports the policy public but names no statement, so no single statement can be removed';
}

/** The policy change for the selected statements, or null when none is found in the text. */
function policyAction(
  hashes: readonly string[],
  input: PlanInput,
  needs: BpaNeeds,
): RemediationAction | null {
  if (hashes.length === 0) return null;
  if (input.settings.preferBlockPublicAccess) {
    needs.add(POLICY_FLAGS, PREFER_WHY);
    return null;
  }
  const policy = readPolicyText(input.policyText);
  const wanted = new Set(hashes);
  for (const hash of hashes) {
    if (!policy?.statements.some((s) => s.hash === hash))
      needs.add(POLICY_FLAGS, statementNotFoundWhy(hash, input.snapshot));
  }
  if (policy === null) return null;
  const removed: RemovedStatement[] = [];
  const kept: unknown[] = [];
  for (const { raw, index, sid, hash } of policy.statements) {
    if (hash !== null && wanted.has(hash)) removed.push({ statement: index, sid, statementHash: hash });
    else kept.push(raw);
  }
  if (removed.length === 0) return null;
  if (kept.length === 0) return { kind: 'deleteBucketPolicy', removedStatements: removed };
  // Spreading keeps every top-level field (Version, Id…) in its place; only Statement changes.
  const policyText = JSON.stringify({ ...policy.document, Statement: kept });
  return { kind: 'putBucketPolicy', policyText, removedStatements: removed };
}

// ---- ACLs: remove exactly the public grants ----------------------------------------------------

/** The ACL without the given grants, the grants removed, and those it did not hold. */
function withoutGrants(acl: Acl, grants: readonly Grant[]): { acl: Acl; removed: Grant[]; missing: Grant[] } {
  const wanted = new Set(grants.map((g) => stableStringify(g)));
  const found = new Set<string>();
  const removed: Grant[] = [];
  const kept: Grant[] = [];
  for (const grant of acl.Grants) {
    const id = stableStringify(grant);
    if (wanted.has(id)) {
      removed.push(grant);
      found.add(id);
    } else kept.push(grant);
  }
  const missing = grants.filter((g) => !found.has(stableStringify(g)));
  const rest: Acl = acl.Owner === undefined ? { Grants: kept } : { Owner: acl.Owner, Grants: kept };
  return { acl: rest, removed, missing };
}

function aclNotHeldWhy(target: string, missing: readonly Grant[]): string {
  return `${target} read does not hold the grant ${missing.map(describeGrant).join(', ')} the verdict names, so it cannot be removed exactly`;
}

function bucketAclAction(
  grants: readonly Grant[],
  input: PlanInput,
  needs: BpaNeeds,
): RemediationAction | null {
  if (grants.length === 0) return null;
  if (input.settings.preferBlockPublicAccess) {
    needs.add(ACL_FLAGS, PREFER_WHY);
    return null;
  }
  const acl = input.snapshot.bucketAcl;
  if (!acl) {
    needs.add(ACL_FLAGS, 'the bucket ACL was not read, so its public grants cannot be removed exactly');
    return null;
  }
  const result = withoutGrants(acl, grants);
  if (result.missing.length > 0) needs.add(ACL_FLAGS, aclNotHeldWhy('the bucket ACL', result.missing));
  return result.removed.length > 0
    ? { kind: 'putBucketAcl', acl: result.acl, removedGrants: result.removed }
    : null;
}

/** At most this many keys are named in one reason; the rest are counted. */
const NAMED_KEYS = 5;

function keyList(keys: readonly string[]): string {
  const named = keys.slice(0, NAMED_KEYS).map((k) => `"${k}"`);
  const more = keys.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : joinWords(named);
}

/** The Object Ownership in words, for a reason; no controls is the pre-2023 ObjectWriter. */
function ownershipWords(snapshot: BucketAccessSnapshot): string {
  const mode = snapshot.ownershipControls?.Rules[0]?.ObjectOwnership;
  return mode ?? 'no ownership controls, so ObjectWriter';
}

/**
 * Whether the bucket owner is refused PutObjectAcl: the object belongs to another account and
 * ACLs are enabled (ObjectWriter, BucketOwnerPreferred or no controls). Unknown owners count as
 * the bucket owner's: the change is tried, and a refusal is reported by the apply step.
 */
function foreignOwned(acl: Acl, snapshot: BucketAccessSnapshot): boolean {
  const bucketOwner = snapshot.bucketAcl?.Owner?.ID;
  const objectOwner = acl.Owner?.ID;
  const mode = snapshot.ownershipControls?.Rules[0]?.ObjectOwnership;
  return (
    bucketOwner !== undefined &&
    objectOwner !== undefined &&
    bucketOwner !== objectOwner &&
    mode !== 'BucketOwnerEnforced'
  );
}

function objectAclActions(
  byKey: ReadonlyMap<string, readonly Grant[]>,
  input: PlanInput,
  needs: BpaNeeds,
): RemediationAction[] {
  if (byKey.size === 0) return [];
  const { snapshot, settings } = input;
  if (settings.preferBlockPublicAccess) {
    needs.add(ACL_FLAGS, PREFER_WHY);
    return [];
  }
  const unread: string[] = [];
  const foreign: string[] = [];
  const surgical: Array<{ key: string; acl: Acl; grants: readonly Grant[] }> = [];
  for (const [key, grants] of byKey) {
    const acl = snapshot.objectAcls?.[key];
    if (acl === undefined) unread.push(key);
    else if (foreignOwned(acl, snapshot)) foreign.push(key);
    else surgical.push({ key, acl, grants });
  }
  if (unread.length > 0) {
    needs.add(
      ACL_FLAGS,
      `the ACL of ${keyList(unread)} was not read, so its public grants cannot be removed exactly`,
    );
  }
  if (foreign.length > 0) {
    const one = foreign.length === 1;
    needs.add(
      ACL_FLAGS,
      `${one ? 'object' : 'objects'} ${keyList(foreign)} ${one ? 'belongs' : 'belong'} to another account (${ownershipWords(snapshot)}), so ${one ? 'its ACL' : 'their ACLs'} cannot be changed by the bucket owner`,
    );
  }
  if (surgical.length > settings.maxObjectKeys) {
    needs.add(
      ACL_FLAGS,
      `${surgical.length} objects have public ACL grants, more than the ${settings.maxObjectKeys} a run fixes one by one (remediation.maxObjectKeys)`,
    );
    return [];
  }
  return surgical.flatMap(({ key, acl, grants }) => {
    const result = withoutGrants(acl, grants);
    if (result.missing.length > 0)
      needs.add(ACL_FLAGS, aclNotHeldWhy(`the ACL of object "${key}"`, result.missing));
    return result.removed.length > 0
      ? [{ kind: 'putObjectAcl' as const, key, acl: result.acl, removedGrants: result.removed }]
      : [];
  });
}

// ---- Blast radius ----------------------------------------------------------------------------

const OWNER_TAG_KEYS = new Set(['owner', 'team', 'contact', 'data-owner', 'cost-center']);
const CLOUDFRONT_SERVICE = 'cloudfront.amazonaws.com';
/** A legacy origin access identity: an IAM user of the "cloudfront" account. */
const OAI_ARN = /^arn:aws[a-z-]*:iam::cloudfront:user\//;
const DISTRIBUTION_ARN = /^arn:aws[a-z-]*:cloudfront::/;

/** CloudFront and other service principals an Allow statement names. */
function principalsOfStatement(
  statement: PolicyStatement,
  cloudFront: Set<string>,
  services: Set<string>,
): void {
  const principal = statement.Principal;
  if (principal === undefined || principal === '*') return;
  for (const service of asList(principal.Service)) {
    (service === CLOUDFRONT_SERVICE ? cloudFront : services).add(service);
  }
  for (const aws of asList(principal.AWS)) if (OAI_ARN.test(aws)) cloudFront.add(aws);
  // In bucket policies a CanonicalUser principal is how an OAI is often named.
  for (const id of asList(principal.CanonicalUser)) cloudFront.add(`CanonicalUser:${id}`);
}

/** Distribution ARNs in `aws:SourceArn` conditions (condition keys are case-insensitive). */
function distributionsOfStatement(statement: PolicyStatement, cloudFront: Set<string>): void {
  for (const block of Object.values(statement.Condition ?? {})) {
    for (const [key, value] of Object.entries(block)) {
      if (key.toLowerCase() !== 'aws:sourcearn') continue;
      for (const arn of asList(value))
        if (typeof arn === 'string' && DISTRIBUTION_ARN.test(arn)) cloudFront.add(arn);
    }
  }
}

function ownerTagsOf(tags: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tags ?? {}).filter(([key]) => OWNER_TAG_KEYS.has(key.trim().toLowerCase())),
  );
}

function blastNotes(snapshot: BucketAccessSnapshot, radius: Omit<BlastRadius, 'notes'>): string[] {
  const notes: string[] = [];
  if (radius.website) notes.push('website hosting is on: removing public read takes the site down');
  else if (snapshot.website === undefined)
    notes.push('the website configuration was not read: whether the bucket serves a site is unknown');
  if (radius.cloudFront.length > 0) {
    notes.push(
      `CloudFront reads this bucket (${radius.cloudFront.join(', ')}): check the distribution still serves after the change`,
    );
  }
  if (radius.servicePrincipals.length > 0) {
    notes.push(
      `AWS services are named in the policy (${radius.servicePrincipals.join(', ')}): their statements are kept unless public; check they still work`,
    );
  }
  const owners = Object.entries(radius.ownerTags).map(([k, v]) => `${k}=${v}`);
  if (owners.length > 0) notes.push(`the bucket's tags name its owner: ${owners.join(', ')}`);
  else if (snapshot.tags === undefined) notes.push("the bucket's tags were not read: its owner is unknown");
  else notes.push('no tag names an owner (owner, team, contact, data-owner, cost-center)');
  return notes;
}

/**
 * What else depends on the bucket: website hosting, CloudFront (service principal, OAI,
 * distribution ARNs in `aws:SourceArn`), other AWS service principals, and the owner tags.
 * Only Allow statements count: a Deny naming a service grants it nothing.
 */
export function blastRadius(snapshot: BucketAccessSnapshot): BlastRadius {
  const cloudFront = new Set<string>();
  const services = new Set<string>();
  for (const statement of snapshot.bucketPolicy?.Statement ?? []) {
    if (statement.Effect !== 'Allow') continue;
    principalsOfStatement(statement, cloudFront, services);
    distributionsOfStatement(statement, cloudFront);
  }
  const radius = {
    website: snapshot.website !== undefined && snapshot.website !== null,
    cloudFront: [...cloudFront],
    servicePrincipals: [...services],
    ownerTags: ownerTagsOf(snapshot.tags),
  };
  return { ...radius, notes: blastNotes(snapshot, radius) };
}

// ---- In plain words ----------------------------------------------------------------------------

/** "a", "a and b", "a, b and c". */
function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function statementWords(removed: readonly RemovedStatement[]): string {
  return joinWords(removed.map((r) => (r.sid ? `${r.statement} ("${r.sid}")` : `${r.statement}`)));
}

/** How many statements a policy text holds; null when it cannot be read. */
function statementCount(policyText: string): number | null {
  return readPolicyText(policyText)?.statements.length ?? null;
}

function grantWords(grants: readonly Grant[]): string {
  return `${grants.length === 1 ? 'grant' : 'grants'} ${joinWords(grants.map(describeGrant))}`;
}

/** One change in plain words, for the plan, the approval request and the incident's history. */
export function describeAction(action: RemediationAction): string {
  switch (action.kind) {
    case 'putBucketPolicy': {
      const plural = action.removedStatements.length === 1 ? 'statement' : 'statements';
      const kept = statementCount(action.policyText);
      const keep = kept === null ? '' : `; keep the other ${kept}`;
      return `remove policy ${plural} ${statementWords(action.removedStatements)}${keep}`;
    }
    case 'deleteBucketPolicy': {
      const words = statementWords(action.removedStatements);
      const which =
        action.removedStatements.length === 1
          ? `its only statement ${words} is`
          : `all its statements, ${words}, are`;
      return `delete the bucket policy: ${which} public, and S3 refuses a policy with no statement`;
    }
    case 'putBucketAcl':
      return `remove the bucket ACL ${grantWords(action.removedGrants)}; keep the owner and the other ${action.acl.Grants.length} ${action.acl.Grants.length === 1 ? 'grant' : 'grants'}`;
    case 'putObjectAcl':
      return `remove the ${grantWords(action.removedGrants)} from object "${action.key}"`;
    case 'putBucketPublicAccessBlock':
      return `turn on bucket Block Public Access ${action.flags.join(', ')}: ${action.why}`;
  }
}

/** How many S3 writes a plan makes (one per action). */
export function planActionCount(plan: RemediationPlan): number {
  return plan.actions.length;
}

function vectorWords(v: Vector): string {
  const where =
    v.source === 'bucketPolicy'
      ? `the bucket policy (statement ${v.statementHash ?? 'unknown'})`
      : v.source === 'bucketAcl'
        ? 'the bucket ACL'
        : `the ACL of object "${v.key ?? ''}"`;
  return `${v.access} by ${v.principal} through ${where}`;
}

function planDescription(
  actions: readonly RemediationAction[],
  radius: BlastRadius,
  fallbacks: readonly string[],
  left: readonly Vector[],
): string[] {
  const lines =
    actions.length === 0 ? ['nothing to change: no approved way in is open'] : actions.map(describeAction);
  // The reasons for Block Public Access are in its action's line; said apart only if there is none.
  if (!actions.some((a) => a.kind === 'putBucketPublicAccessBlock')) lines.push(...fallbacks);
  lines.push(...radius.notes);
  if (left.length > 0) {
    lines.push(
      `left for a new decision (not approved): ${left.length} way(s) in: ${left.map(vectorWords).join('; ')}`,
    );
  }
  return lines;
}

// ---- The plan ----------------------------------------------------------------------------------

/** Selected grant units split into the bucket ACL's grants and each object's. */
function grantsByTarget(units: readonly Unit[]): { bucket: Grant[]; objects: Map<string, Grant[]> } {
  const bucket: Grant[] = [];
  const objects = new Map<string, Grant[]>();
  for (const unit of units) {
    if (unit.kind !== 'grant') continue;
    if (unit.key === null) bucket.push(unit.grant);
    else objects.set(unit.key, [...(objects.get(unit.key) ?? []), unit.grant]);
  }
  return { bucket, objects };
}

/**
 * Plans the smallest change that ends the verdict's effective public access (latent ways in
 * are never touched). With `approvedVectors`, only current ways in that were approved are
 * addressed; the others are returned in `vectorsLeft` for a new decision.
 *
 * @throws RemediationPlanError when Block Public Access is needed but the bucket's current
 * flags were not read (the put would replace them).
 */
export function planRemediation(input: PlanInput): RemediationPlan {
  const { snapshot, verdict } = input;
  const units = [...statementUnits(verdict.vectors), ...grantUnits(verdict)];
  const { selected, addressed } = selectUnits(units, verdict.vectors, input.approvedVectors);

  const needs = new BpaNeeds();
  const hashes = selected.flatMap((u) => (u.kind === 'statement' ? [u.hash] : []));
  const grants = grantsByTarget(selected);
  const policy = policyAction(hashes, input, needs);
  const bucketAcl = bucketAclAction(grants.bucket, input, needs);
  const objects = objectAclActions(grants.objects, input, needs);
  const bpa = bpaAction(snapshot, needs);

  // The order they are applied in: Block Public Access stops the exposure at once.
  const actions = [bpa, policy, bucketAcl, ...objects].filter((a): a is RemediationAction => a !== null);
  const radius = blastRadius(snapshot);
  const vectorsLeft = verdict.vectors.filter((v) => !addressed.has(vectorId(v)));
  return {
    actions,
    description: planDescription(actions, radius, needs.reasons, vectorsLeft),
    blastRadius: radius,
    fallbacks: [...needs.reasons],
    vectorsAddressed: verdict.vectors.filter((v) => addressed.has(vectorId(v))),
    vectorsLeft,
  };
}
