/**
 * The inverse of a remediation, against the configuration read now: re-add exactly the policy
 * statements and ACL grants the fix removed, and turn off exactly the Block Public Access flags
 * it turned on, keeping everything else as it is now. A part that is still as the fix left it is
 * put back as the backup holds it (the policy byte for byte); a part changed since keeps the
 * change and gets only what the fix took away. Pure: it says what to write.
 */
import type { RestoreRefusal } from '../../tasks/remediate-exposure/apply.js';
import type { RemediationAction } from '../../tasks/remediate-exposure/plan.js';
import {
  type PolicyText,
  policyTextOf,
  readPolicyText,
  type StatementText,
  statementName,
} from '../../tasks/remediate-exposure/policy-text.js';
import {
  type Acl,
  type BpaFlag,
  type BucketAccessSnapshotInput,
  type Grant,
  type PublicAccessBlock,
  PublicAccessBlockSchema,
} from '../../tasks/shared/contracts.js';
import { describeGrant } from '../../tasks/shared/describe.js';
import { configurationLeftByFix } from './applied-plan.js';
import { aclChanges, aclOf, bpaChanges, grantsMissingFrom, policyChanges } from './changes.js';

type Snapshot = BucketAccessSnapshotInput;

/** One write of a rollback. `exact`: the part is put back as the backup holds it. */
export type UndoStep =
  | {
      readonly part: 'bucketPublicAccessBlock';
      /** The flags to put; null deletes the configuration (the backup had none). */
      readonly configuration: PublicAccessBlock | null;
      /** The flags the fix turned on that this turns off. */
      readonly flags: readonly BpaFlag[];
      readonly exact: boolean;
    }
  | {
      readonly part: 'bucketPolicy';
      readonly policyText: string;
      /** The statements re-added, named as in the backup. */
      readonly statements: readonly string[];
      readonly exact: boolean;
    }
  | {
      readonly part: 'bucketAcl';
      readonly acl: Acl;
      readonly grants: readonly Grant[];
      readonly exact: boolean;
    }
  | {
      readonly part: 'objectAcls';
      readonly key: string;
      readonly acl: Acl;
      readonly grants: readonly Grant[];
      readonly exact: boolean;
    };

/** A change of the fix that needs no write, and why. */
export interface AlreadyUndone {
  readonly part: string;
  readonly key?: string;
  readonly why: string;
}

/** What a rollback writes, what it need not, and what it cannot undo. */
export interface Undo {
  /** In the order to send: Block Public Access first, so the flags the fix set no longer refuse the rest. */
  readonly steps: UndoStep[];
  readonly alreadyUndone: AlreadyUndone[];
  /** Changes of the fix on parts that could not be read now: undoing them blind could overwrite the owner's. */
  readonly blocked: RestoreRefusal[];
}

/** The inputs: the backup, the actions the fix applied, and the configuration read now. */
export interface UndoInput {
  readonly backup: Snapshot;
  readonly applied: readonly RemediationAction[];
  readonly now: Snapshot;
}

function unreadable(now: Snapshot, part: string, key?: string): RestoreRefusal {
  const entry = (now.unreadable ?? []).find((u) => u.part === part && (key === undefined || u.key === key));
  const error = entry?.error ?? 'NotRead';
  const why =
    error === 'NoSuchKey'
      ? 'the object no longer exists'
      : `it could not be read now (${error}), so the fix's change cannot be undone without overwriting what is there`;
  return key === undefined ? { part, error, why } : { part, key, error, why };
}

// ---- The policy ----------------------------------------------------------------------------

/**
 * Where a re-added statement goes: after the nearest statement before it in the backup that is
 * there, else before the nearest one after it, else at the end.
 */
function insertionIndex(
  merged: readonly StatementText[],
  backup: PolicyText,
  removed: StatementText,
): number {
  const at = (s: StatementText | undefined) => (s?.hash ? merged.findIndex((m) => m.hash === s.hash) : -1);
  for (let i = removed.index - 1; i >= 0; i -= 1) {
    const found = at(backup.statements[i]);
    if (found >= 0) return found + 1;
  }
  for (let i = removed.index + 1; i < backup.statements.length; i += 1) {
    const found = at(backup.statements[i]);
    if (found >= 0) return found;
  }
  return merged.length;
}

/** The backup's statements the fix removed: by position, checked by hash (found by hash if moved). */
function removedStatements(
  backup: PolicyText,
  action: Extract<RemediationAction, { kind: 'putBucketPolicy' | 'deleteBucketPolicy' }>,
): StatementText[] {
  return action.removedStatements.flatMap((r) => {
    const atIndex = backup.statements[r.statement];
    const statement =
      atIndex?.hash === r.statementHash ? atIndex : backup.statements.find((s) => s.hash === r.statementHash);
    return statement ? [statement] : [];
  });
}

function policyUndo(
  action: Extract<RemediationAction, { kind: 'putBucketPolicy' | 'deleteBucketPolicy' }>,
  input: UndoInput,
  left: Snapshot,
  undo: Undo,
): void {
  if (input.now.bucketPolicy === undefined) {
    undo.blocked.push(unreadable(input.now, 'bucketPolicy'));
    return;
  }
  const backupText = policyTextOf(input.backup.bucketPolicy);
  const backup = readPolicyText(backupText);
  // The plan was recovered from this text, so it is there; said plainly rather than skipped if not.
  if (backupText === null || backup === null) {
    undo.blocked.push({
      part: 'bucketPolicy',
      error: 'NoPolicyInBackup',
      why: 'the backup holds no policy text to take the removed statements from',
    });
    return;
  }
  const removed = removedStatements(backup, action);
  const nowText = policyTextOf(input.now.bucketPolicy);
  if (policyChanges(policyTextOf(left.bucketPolicy), nowText).length === 0) {
    undo.steps.push({
      part: 'bucketPolicy',
      policyText: backupText,
      statements: removed.map(statementName),
      exact: true,
    });
    return;
  }
  const now = readPolicyText(nowText);
  const merged = [...(now?.statements ?? [])];
  const missing = removed.filter((r) => !merged.some((m) => m.hash === r.hash));
  if (missing.length === 0) {
    undo.alreadyUndone.push({
      part: 'bucketPolicy',
      why: 'the statements the fix removed are in the policy again',
    });
    return;
  }
  for (const statement of missing) merged.splice(insertionIndex(merged, backup, statement), 0, statement);
  // The owner's document as it is now (Version, Id…); the backup's when the owner deleted the policy.
  const document = now?.document ?? backup.document;
  undo.steps.push({
    part: 'bucketPolicy',
    policyText: JSON.stringify({ ...document, Statement: merged.map((s) => s.raw) }),
    statements: missing.map(statementName),
    exact: false,
  });
}

// ---- ACLs ----------------------------------------------------------------------------------

/** The ACL to put: the backup's when the ACL is as the fix left it, else today's with the removed grants added. */
function aclUndo(
  target: { part: 'bucketAcl' } | { part: 'objectAcls'; key: string },
  removedGrants: readonly Grant[],
  acls: { backup: unknown; left: unknown; now: unknown },
  undo: Undo,
): void {
  const where = target.part === 'bucketAcl' ? 'the bucket ACL' : `the ACL of object "${target.key}"`;
  if (aclChanges(where, acls.left, acls.now).length === 0) {
    undo.steps.push({ ...target, acl: aclOf(acls.backup), grants: removedGrants, exact: true });
    return;
  }
  const now = aclOf(acls.now);
  const missing = grantsMissingFrom({ Grants: [...removedGrants] }, now);
  if (missing.length === 0) {
    undo.alreadyUndone.push({
      ...target,
      why: `${where} holds the grants the fix removed again (${removedGrants.map(describeGrant).join(', ')})`,
    });
    return;
  }
  // Grants have no order in meaning: the removed ones go after today's, which are kept as they are.
  const acl: Acl = {
    ...(now.Owner === undefined ? {} : { Owner: now.Owner }),
    Grants: [...now.Grants, ...missing],
  };
  undo.steps.push({ ...target, acl, grants: missing, exact: false });
}

// ---- Block Public Access -------------------------------------------------------------------------

function bpaUndo(
  action: Extract<RemediationAction, { kind: 'putBucketPublicAccessBlock' }>,
  input: UndoInput,
  left: Snapshot,
  undo: Undo,
): void {
  const part = 'bucketPublicAccessBlock';
  if (input.now.bucketPublicAccessBlock === undefined) {
    undo.blocked.push(unreadable(input.now, part));
    return;
  }
  const stored = input.backup.bucketPublicAccessBlock;
  if (bpaChanges(left.bucketPublicAccessBlock, input.now.bucketPublicAccessBlock).length === 0) {
    undo.steps.push({
      part,
      configuration: stored === null || stored === undefined ? null : PublicAccessBlockSchema.parse(stored),
      flags: action.flags,
      exact: true,
    });
    return;
  }
  const now = PublicAccessBlockSchema.parse(input.now.bucketPublicAccessBlock ?? {});
  // Only the fix's flags that are still on: one turned off since is already undone, the others are the owner's.
  const flags = action.flags.filter((flag) => now[flag]);
  if (flags.length === 0) {
    undo.alreadyUndone.push({
      part,
      why: `the flags the fix turned on (${action.flags.join(', ')}) are off again`,
    });
    return;
  }
  const configuration = { ...now };
  for (const flag of flags) configuration[flag] = false;
  undo.steps.push({ part, configuration, flags, exact: false });
}

// ---- The inverse -----------------------------------------------------------------------------

const STEP_ORDER: Record<UndoStep['part'], number> = {
  bucketPublicAccessBlock: 0,
  bucketPolicy: 1,
  bucketAcl: 2,
  objectAcls: 3,
};

/**
 * The writes that undo exactly what the fix applied. Nothing the fix did not change is written:
 * statements, grants and flags added since stay, and a change of the fix already undone by
 * someone else needs no write.
 */
export function planUndo(input: UndoInput): Undo {
  const left = configurationLeftByFix(input.backup, input.applied);
  const undo: Undo = { steps: [], alreadyUndone: [], blocked: [] };
  for (const action of input.applied) {
    switch (action.kind) {
      case 'putBucketPolicy':
      case 'deleteBucketPolicy':
        policyUndo(action, input, left, undo);
        break;
      case 'putBucketAcl':
        if (input.now.bucketAcl === undefined) undo.blocked.push(unreadable(input.now, 'bucketAcl'));
        else
          aclUndo(
            { part: 'bucketAcl' },
            action.removedGrants,
            {
              backup: input.backup.bucketAcl,
              left: left.bucketAcl,
              now: input.now.bucketAcl,
            },
            undo,
          );
        break;
      case 'putObjectAcl': {
        const now = input.now.objectAcls?.[action.key];
        if (now === undefined) undo.blocked.push(unreadable(input.now, 'objectAcls', action.key));
        else
          aclUndo(
            { part: 'objectAcls', key: action.key },
            action.removedGrants,
            {
              backup: input.backup.objectAcls?.[action.key],
              left: left.objectAcls?.[action.key],
              now,
            },
            undo,
          );
        break;
      }
      case 'putBucketPublicAccessBlock':
        bpaUndo(action, input, left, undo);
        break;
    }
  }
  undo.steps.sort((a, b) => STEP_ORDER[a.part] - STEP_ORDER[b.part]);
  return undo;
}

/** One write of a rollback in plain words. */
export function describeUndoStep(step: UndoStep): string {
  const how = step.exact ? 'as backed up' : 'keeping what changed since the fix';
  switch (step.part) {
    case 'bucketPublicAccessBlock':
      return step.configuration === null
        ? `delete bucket Block Public Access (the fix turned on ${step.flags.join(', ')}; there was none before)`
        : `turn off bucket Block Public Access ${step.flags.join(', ')}, ${how}`;
    case 'bucketPolicy':
      return `put back policy ${step.statements.join(', ')}, ${step.exact ? 'the policy text as backed up, byte for byte' : how}`;
    case 'bucketAcl':
      return `put back the bucket ACL ${step.grants.length === 1 ? 'grant' : 'grants'} ${step.grants.map(describeGrant).join(', ')}, ${how}`;
    case 'objectAcls':
      return `put back the ${step.grants.length === 1 ? 'grant' : 'grants'} ${step.grants.map(describeGrant).join(', ')} on object "${step.key}", ${how}`;
  }
}
