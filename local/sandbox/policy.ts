/**
 * Bucket policies in the sandbox: kept as the text they were put with, and judged "public" the
 * way AWS would answer, by the world's `policyStatus` override or else the sandbox's own
 * evaluator (never the responder's classifier, so a test can catch the classifier's mistakes).
 */
import { stableStringify } from '../../tasks/shared/hash.js';
import { isPublicPolicy } from './public-evaluator.js';
import type { WorldBucket } from './world.js';

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

/**
 * Stores a policy given as text (or as a parsed document from a CloudTrail event). A
 * `policyStatus` override stays: it is AWS's word on this bucket until the world changes it.
 */
export function storePolicy(bucket: WorldBucket, document: Record<string, unknown>, text: string): void {
  bucket.policy = document;
  bucket.policyText = text;
}

/** Removes the policy; GetBucketPolicyStatus then answers NoSuchBucketPolicy, override or not. */
export function clearPolicy(bucket: WorldBucket): void {
  bucket.policy = null;
  delete bucket.policyText;
}

/**
 * True when S3 would count `policy` public for this bucket: GetBucketPolicyStatus's IsPublic, and
 * what BlockPublicPolicy refuses. The bucket's `policyStatus` override, when set, is AWS's answer
 * for whatever policy the bucket has or is given; otherwise the sandbox's own evaluator decides.
 * Block Public Access and ownership play no part in this answer.
 */
export function isPolicyPublic(bucket: WorldBucket, policy: unknown): boolean {
  return bucket.policyStatus?.IsPublic ?? isPublicPolicy(policy);
}
