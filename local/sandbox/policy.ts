/**
 * Bucket policies in the sandbox: kept as the text they were put with, judged "public" by the
 * classifier's own reading, so the sandbox and the responder agree on what Block Public Access
 * would reject.
 */
import { classifyExposure } from '../../tasks/classify-exposure/classify.js';
import { BucketAccessSnapshotSchema } from '../../tasks/shared/contracts.js';
import { stableStringify } from '../../tasks/shared/hash.js';
import { bucketOwnerId, type World, type WorldBucket } from './world.js';

/**
 * The policy text GetBucketPolicy returns: the exact text it was put with, unless the stored
 * document has been changed since (then the document, serialised).
 */
export function policyTextOf(bucket: WorldBucket): string | null {
  if (bucket.policy === null) return null;
  if (bucket.policyText !== undefined && sameJson(bucket.policyText, bucket.policy)) return bucket.policyText;
  return JSON.stringify(bucket.policy);
}

function sameJson(text: string, document: unknown): boolean {
  try {
    return stableStringify(JSON.parse(text)) === stableStringify(document);
  } catch {
    return false;
  }
}

/** Stores a policy given as text (or as a parsed document from a CloudTrail event). */
export function storePolicy(bucket: WorldBucket, document: Record<string, unknown>, text: string): void {
  bucket.policy = document;
  bucket.policyText = text;
}

/** Removes the policy. */
export function clearPolicy(bucket: WorldBucket): void {
  bucket.policy = null;
  delete bucket.policyText;
}

/**
 * True when S3 would count the policy public (GetBucketPolicyStatus's IsPublic), by the
 * classifier's local reading; Block Public Access and ownership play no part in this answer.
 */
export function isPolicyPublic(world: World, name: string, bucket: WorldBucket, policy: unknown): boolean {
  const snapshot = BucketAccessSnapshotSchema.safeParse({
    accountId: world.accountId,
    bucket: name,
    bucketPolicy: policy,
    bucketAcl: { Owner: { ID: bucketOwnerId(world, bucket) }, Grants: [] },
    objectAcls: {},
    bucketPublicAccessBlock: null,
    accountPublicAccessBlock: null,
    ownershipControls: null,
  });
  // A policy the classifier cannot read is refused earlier as MalformedPolicy; never call it public.
  return snapshot.success && classifyExposure(snapshot.data).policyPublic;
}
