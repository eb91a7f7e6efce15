/**
 * What changed on a bucket since the fix, in plain words: the configuration the fix left (the
 * backup with the plan applied) against the configuration read now. A rollback that finds any
 * such change stops and shows it, because the owner may have meant it.
 */

import {
  policyTextOf,
  readPolicyText,
  type StatementText,
  statementName,
} from '../../tasks/remediate-exposure/policy-text.js';
import {
  type Acl,
  AclSchema,
  BPA_FLAGS,
  type BucketAccessSnapshotInput,
  type Grant,
  GrantSchema,
  PublicAccessBlockSchema,
} from '../../tasks/shared/contracts.js';
import { describeGrant } from '../../tasks/shared/describe.js';
import { stableStringify } from '../../tasks/shared/hash.js';

type Snapshot = BucketAccessSnapshotInput;
type BucketPart = 'bucketPolicy' | 'bucketAcl' | 'bucketPublicAccessBlock' | 'ownershipControls';

const PART_WORDS: Record<BucketPart, string> = {
  bucketPolicy: 'the bucket policy',
  bucketAcl: 'the bucket ACL',
  bucketPublicAccessBlock: 'bucket Block Public Access',
  ownershipControls: 'Object Ownership',
};

/** Why a part (or one object's ACL) is missing from a read, from the read's `unreadable` list. */
function unreadableWhy(now: Snapshot, part: string, key?: string): string {
  const entry = (now.unreadable ?? []).find((u) => u.part === part && (key === undefined || u.key === key));
  return entry?.error ?? 'not read';
}

// ---- The policy ----------------------------------------------------------------------------

function count<T>(items: readonly T[], item: T): number {
  return items.filter((i) => i === item).length;
}

/** Statements of `a` that `b` does not hold (as many times as `a` holds them), by hash or text. */
function statementsMissingFrom(a: readonly StatementText[], b: readonly StatementText[]): StatementText[] {
  const idOf = (s: StatementText) => s.hash ?? stableStringify(s.raw);
  const ids = b.map(idOf);
  const seen: string[] = [];
  return a.filter((s) => {
    const id = idOf(s);
    seen.push(id);
    return count(seen, id) > count(ids, id);
  });
}

/** How a policy text differs in meaning from the one the fix left; empty when it does not. */
export function policyChanges(leftText: string | null, nowText: string | null): string[] {
  const left = readPolicyText(leftText);
  const now = readPolicyText(nowText);
  if (left === null && now === null) return [];
  if (now === null) return ['the bucket policy the fix left was deleted'];
  if (left === null)
    return [`a bucket policy was put, with ${now.statements.length} statement(s); the fix left none`];
  const changes = [
    ...statementsMissingFrom(now.statements, left.statements).map(
      (s) => `${statementName(s)} was added to the bucket policy`,
    ),
    ...statementsMissingFrom(left.statements, now.statements).map(
      (s) => `${statementName(s)} of the bucket policy the fix left was removed`,
    ),
  ];
  if (changes.length > 0) return changes;
  const { Statement: _leftStatements, ...leftRest } = left.document;
  const { Statement: _nowStatements, ...nowRest } = now.document;
  if (stableStringify(leftRest) !== stableStringify(nowRest))
    changes.push('the bucket policy has other top-level fields (Version, Id) than the fix left');
  const order = (p: typeof left) => p.statements.map((s) => s.hash ?? stableStringify(s.raw)).join();
  if (order(left) !== order(now)) changes.push('the statements of the bucket policy are in another order');
  return changes;
}

// ---- ACLs ----------------------------------------------------------------------------------

/** An ACL in its parsed form; null (none stored) holds no grant. */
export function aclOf(value: unknown): Acl {
  return value === null ? { Grants: [] } : AclSchema.parse(value);
}

function grantId(grant: Grant): string {
  return stableStringify(GrantSchema.parse(grant));
}

/** Grants of `a` not in `b`, compared in their parsed form. */
export function grantsMissingFrom(a: Acl, b: Acl): Grant[] {
  const ids = new Set(b.Grants.map(grantId));
  return a.Grants.filter((g) => !ids.has(grantId(g)));
}

/** How an ACL differs in meaning from the one the fix left; `where` names it in the sentences. */
export function aclChanges(where: string, leftValue: unknown, nowValue: unknown): string[] {
  const left = aclOf(leftValue);
  const now = aclOf(nowValue);
  const changes = [
    ...grantsMissingFrom(now, left).map(
      (g) => `${where} has a grant ${describeGrant(g)} the fix did not leave`,
    ),
    ...grantsMissingFrom(left, now).map((g) => `${where} grant ${describeGrant(g)} the fix left was removed`),
  ];
  if (stableStringify(left.Owner ?? null) !== stableStringify(now.Owner ?? null))
    changes.push(`${where} names another owner than the fix left`);
  return changes;
}

// ---- Block Public Access and Object Ownership -------------------------------------------------

/** Which Block Public Access flags differ from what the fix left (no configuration: all off). */
export function bpaChanges(leftValue: unknown, nowValue: unknown): string[] {
  // No configuration reads as all four flags off, as S3 applies it.
  const left = PublicAccessBlockSchema.parse(leftValue ?? {});
  const now = PublicAccessBlockSchema.parse(nowValue ?? {});
  return BPA_FLAGS.filter((flag) => left[flag] !== now[flag]).map(
    (flag) => `bucket Block Public Access ${flag} was turned ${now[flag] ? 'on' : 'off'} since the fix`,
  );
}

function ownershipWords(value: Snapshot['ownershipControls']): string {
  return value?.Rules[0]?.ObjectOwnership ?? 'no ownership controls';
}

function ownershipChanges(left: Snapshot['ownershipControls'], now: Snapshot['ownershipControls']): string[] {
  const a = ownershipWords(left);
  const b = ownershipWords(now);
  return a === b ? [] : [`Object Ownership is ${b} now; the fix left ${a}`];
}

// ---- All parts ---------------------------------------------------------------------------------

function bucketPartChanges(part: BucketPart, left: Snapshot, now: Snapshot): string[] {
  switch (part) {
    case 'bucketPolicy':
      return policyChanges(policyTextOf(left.bucketPolicy), policyTextOf(now.bucketPolicy));
    case 'bucketAcl':
      return aclChanges('the bucket ACL', left.bucketAcl, now.bucketAcl);
    case 'bucketPublicAccessBlock':
      return bpaChanges(left.bucketPublicAccessBlock, now.bucketPublicAccessBlock);
    case 'ownershipControls':
      return ownershipChanges(left.ownershipControls, now.ownershipControls);
  }
}

function objectAclChanges(left: Snapshot, now: Snapshot): string[] {
  const changes: string[] = [];
  for (const [key, acl] of Object.entries(left.objectAcls ?? {})) {
    const current = now.objectAcls?.[key];
    if (current !== undefined) {
      changes.push(...aclChanges(`the ACL of object "${key}"`, acl, current));
      continue;
    }
    const why = unreadableWhy(now, 'objectAcls', key);
    changes.push(
      why === 'NoSuchKey'
        ? `object "${key}" no longer exists`
        : `the ACL of object "${key}" could not be read now (${why}), so whether it changed is unknown`,
    );
  }
  return changes;
}

/**
 * The differences between the configuration the fix left and the one read now, one sentence
 * each; empty when nothing changed in meaning. Only parts the backup read are compared, and a
 * part that could not be read now counts as changed: its state is unknown.
 */
export function changesSinceFix(left: Snapshot, now: Snapshot): string[] {
  const parts: BucketPart[] = ['bucketPolicy', 'bucketAcl', 'bucketPublicAccessBlock', 'ownershipControls'];
  const changes: string[] = [];
  for (const part of parts) {
    if (left[part] === undefined) continue;
    if (now[part] === undefined) {
      changes.push(
        `${PART_WORDS[part]} could not be read now (${unreadableWhy(now, part)}), so whether it changed is unknown`,
      );
      continue;
    }
    changes.push(...bucketPartChanges(part, left, now));
  }
  if (left.objectAcls !== undefined) changes.push(...objectAclChanges(left, now));
  return changes;
}
