/**
 * Changes an event made that the read does not show yet. S3's bucket configuration is eventually
 * consistent: a read just after a change may still return the configuration from before it, and
 * a verdict made from that read would call a bucket just made public "not public", the one
 * answer a responder must never give by mistake. The event is the witness: for each part of the
 * bucket, the newest event that set it says what the read should show.
 *
 * Only changes toward public are checked (a public policy or grant, Block Public Access turned
 * off, ACLs enabled): a read that lags a change toward private errs on the safe side. Policies
 * are compared by what they mean (public or not), never by their text, because S3 rewrites
 * stored policies (an account ID becomes a root ARN).
 */
import type {
  Acl,
  BucketAccessSnapshot,
  ExposureVerdict,
  IncidentEvent,
  Unknown,
} from '../shared/contracts.js';
import { PolicyDocumentSchema } from '../shared/contracts.js';
import { PUBLIC_GROUPS } from '../shared/describe.js';
import { severityRank } from './classify.js';
import { analysePolicy } from './policy-analysis.js';

const POLICY_EVENTS = new Set(['PutBucketPolicy', 'DeleteBucketPolicy']);
const BUCKET_ACL_EVENTS = new Set(['PutBucketAcl', 'CreateBucket']);
const BPA_EVENTS = new Set(['PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock']);
const OWNERSHIP_EVENTS = new Set(['PutBucketOwnershipControls', 'DeleteBucketOwnershipControls']);

/**
 * Whether a requested policy, on its own, lets the public in (by the classifier's reading, before
 * Block Public Access). False for text that is no policy: S3 would have refused it.
 */
export function requestedPolicyIsPublic(policyText: string, accountId: string): boolean {
  let document: unknown;
  try {
    document = JSON.parse(policyText);
  } catch {
    return false;
  }
  const policy = PolicyDocumentSchema.safeParse(document);
  return (
    policy.success && analysePolicy(policy.data, { accountId, canonicalId: null }).publicGrants.length > 0
  );
}

function readsPublic(snapshot: BucketAccessSnapshot): boolean {
  const owner = { accountId: snapshot.accountId, canonicalId: snapshot.bucketAcl?.Owner?.ID ?? null };
  return analysePolicy(snapshot.bucketPolicy, owner).publicGrants.length > 0;
}

function hasPublicGrant(acl: Acl): boolean {
  return acl.Grants.some((g) => g.Grantee.URI !== undefined && PUBLIC_GROUPS[g.Grantee.URI] !== undefined);
}

/** The newest of the events that `sets` the part (deliveries arrive out of order). */
function newest(events: readonly IncidentEvent[], sets: (e: IncidentEvent) => boolean): IncidentEvent | null {
  return events
    .filter(sets)
    .reduce<IncidentEvent | null>((a, e) => (a === null || e.time >= a.time ? e : a), null);
}

function call(event: IncidentEvent): string {
  return `${event.eventName} of ${event.time} (${event.eventID})`;
}

/**
 * What the events changed toward public that the read does not show, as unknowns of kind
 * `unseen`. Parts the read could not reach are skipped: they are unknowns already.
 */
export function unseenChanges(events: readonly IncidentEvent[], snapshot: BucketAccessSnapshot): Unknown[] {
  const unseen: Unknown[] = [];
  const policy = newest(events, (e) => POLICY_EVENTS.has(e.eventName));
  // By our reading of the policy read, not AWS's word on it: AWS judging a policy we read as the
  // event put it differently is a disagreement, not a lag.
  if (policy?.requested?.publicPolicy && snapshot.bucketPolicy !== undefined && !readsPublic(snapshot)) {
    unseen.push({
      part: 'bucketPolicy',
      kind: 'unseen',
      why: `the ${call(policy)} put a public policy; the policy read is not public`,
    });
  }
  const bucketAcl = newest(events, (e) => BUCKET_ACL_EVENTS.has(e.eventName) && e.keys.length === 0);
  if (bucketAcl?.requested?.publicAcl && snapshot.bucketAcl && !hasPublicGrant(snapshot.bucketAcl)) {
    unseen.push({
      part: 'bucketAcl',
      kind: 'unseen',
      why: `the ${call(bucketAcl)} granted access to a public group; the bucket ACL read grants none`,
    });
  }
  for (const key of new Set(events.flatMap((e) => e.keys))) {
    const objectAcl = newest(events, (e) => e.keys.includes(key));
    const read = snapshot.objectAcls?.[key];
    if (objectAcl?.requested?.publicAcl && read && !hasPublicGrant(read)) {
      unseen.push({
        part: 'objectAcls',
        key,
        kind: 'unseen',
        why: `the ${call(objectAcl)} granted access to a public group; the object ACL read grants none`,
      });
    }
  }
  const bpa = newest(events, (e) => BPA_EVENTS.has(e.eventName));
  const readBpa = snapshot.bucketPublicAccessBlock;
  if (bpa?.requested && readBpa) {
    const asked = bpa.eventName === 'DeleteBucketPublicAccessBlock' ? null : (bpa.requested.bpa ?? null);
    const stricter = (Object.keys(readBpa) as (keyof typeof readBpa)[]).filter(
      (f) => readBpa[f] && !asked?.[f],
    );
    if (stricter.length > 0) {
      unseen.push({
        part: 'bucketPublicAccessBlock',
        kind: 'unseen',
        why: `the ${call(bpa)} turned off ${stricter.join(', ')}; the read still has them on`,
      });
    }
  }
  const ownership = newest(events, (e) => OWNERSHIP_EVENTS.has(e.eventName));
  const enforced = snapshot.ownershipControls?.Rules.some((r) => r.ObjectOwnership === 'BucketOwnerEnforced');
  const asked =
    ownership?.eventName === 'DeleteBucketOwnershipControls' ? null : ownership?.requested?.objectOwnership;
  if (ownership && enforced && asked !== 'BucketOwnerEnforced') {
    unseen.push({
      part: 'ownershipControls',
      kind: 'unseen',
      why: `the ${call(ownership)} enabled ACLs (${asked ?? 'ownership controls deleted'}); the read still has BucketOwnerEnforced`,
    });
  }
  return unseen;
}

/** The verdict with the unseen changes among its unknowns: could not be fully assessed, so at least MEDIUM. */
export function withUnseen(verdict: ExposureVerdict, unseen: readonly Unknown[]): ExposureVerdict {
  if (unseen.length === 0) return verdict;
  const severity = severityRank(verdict.severity) > severityRank('MEDIUM') ? 'MEDIUM' : verdict.severity;
  return { ...verdict, unknown: [...verdict.unknown, ...unseen], severity };
}
