/**
 * The S3 write adapter of remediation: applies a plan, and puts a backup back for rollback.
 * It only talks to S3; what to change was decided by the plan, what to restore by the backup.
 * Every call carries `ExpectedBucketOwner`, so a bucket re-created in another account under the
 * same name is never written to.
 */
import {
  type AccessControlPolicy,
  DeleteBucketOwnershipControlsCommand,
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type Grant as SdkGrant,
} from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { classifyAwsError, errorName, isAccessDenied } from '../shared/aws-errors.js';
import type { AclSchema, BucketAccessSnapshotInput, PublicAccessBlockSchema } from '../shared/contracts.js';
import { BucketNotFoundError } from '../shared/errors.js';
import { RemediationApplyError } from './errors.js';
import { describeAction, type RemediationAction, type RemediationPlan } from './plan.js';

/** The bucket to write and the account that must own it. */
export interface WriteTarget {
  readonly bucket: string;
  readonly accountId: string;
}

/** One action of a plan and what became of it. */
export interface AppliedAction {
  action: RemediationAction;
  /** skipped: there was nothing to change any more (the object was deleted meanwhile). */
  outcome: 'applied' | 'skipped';
  /** Why it was skipped, in plain words with the S3 error name. */
  error?: string;
}

/** A part of a backup S3 refused to put back, and why in plain words. */
export interface RestoreRefusal {
  part: string;
  key?: string;
  /** The S3 error name. */
  error: string;
  why: string;
}

/** What a rollback put back, what S3 refused, and what the backup did not hold. */
export interface RestoreResult {
  /** Parts put back: `ownershipControls`, `bucketAcl`, `objectAcls/KEY`, `bucketPolicy`, `bucketPublicAccessBlock`. */
  restored: string[];
  refused: RestoreRefusal[];
  /** Parts the backup did not read (field missing): left as they are now. */
  leftAlone: Array<{ part: string; key?: string; why: string }>;
}

// ---- Errors, as S3 names them --------------------------------------------------------------

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether S3 answered and refused the request (a 4xx): a retry would be refused again. A
 * throttle, a 5xx, a network failure or anything that is not an S3 answer is rethrown unchanged
 * for the workflow's Retry (every write here is idempotent).
 */
function isRefusal(error: unknown): boolean {
  const kind = classifyAwsError(error);
  return kind === 'accessDenied' || kind === 'notFound' || kind === 'refused';
}

/** The code to report for a refusal: AccessDenied for any 403 (S3 does not always name it). */
function refusalCode(error: unknown): string {
  return errorName(error) ?? (isAccessDenied(error) ? 'AccessDenied' : 'UnknownError');
}

// ---- The shapes S3 takes ---------------------------------------------------------------------

type AclInput = z.input<typeof AclSchema>;
type PublicAccessBlockInput = z.input<typeof PublicAccessBlockSchema>;

/** Leaves out undefined members, so what is sent is exactly what was stored. */
function defined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * `{ Owner, Grants }` with only the members S3 defines: a stored ACL may carry other fields
 * (the schemas are loose), which S3 would not take.
 */
function toAccessControlPolicy(acl: AclInput): AccessControlPolicy {
  const grants: SdkGrant[] = (acl.Grants ?? []).map((g) => ({
    Grantee: {
      Type: g.Grantee.Type,
      ...defined({
        ID: g.Grantee.ID,
        URI: g.Grantee.URI,
        DisplayName: g.Grantee.DisplayName,
        EmailAddress: g.Grantee.EmailAddress,
      }),
    },
    Permission: g.Permission,
  }));
  const owner =
    acl.Owner === undefined ? undefined : defined({ ID: acl.Owner.ID, DisplayName: acl.Owner.DisplayName });
  return owner === undefined ? { Grants: grants } : { Owner: owner, Grants: grants };
}

/** All four flags, a missing one as off (as S3 reads it). */
function toConfiguration(flags: PublicAccessBlockInput): Required<PublicAccessBlockInput> {
  return {
    BlockPublicAcls: flags.BlockPublicAcls ?? false,
    IgnorePublicAcls: flags.IgnorePublicAcls ?? false,
    BlockPublicPolicy: flags.BlockPublicPolicy ?? false,
    RestrictPublicBuckets: flags.RestrictPublicBuckets ?? false,
  };
}

interface Target {
  readonly Bucket: string;
  readonly ExpectedBucketOwner: string;
}

function targetOf({ bucket, accountId }: WriteTarget): Target {
  return { Bucket: bucket, ExpectedBucketOwner: accountId };
}

// ---- Applying a plan ---------------------------------------------------------------------------

/**
 * Block Public Access first: it stops the exposure at once and rewrites nothing. Then the
 * policy, the bucket ACL and the object ACLs, which may be many.
 */
const APPLY_ORDER: Record<RemediationAction['kind'], number> = {
  putBucketPublicAccessBlock: 0,
  putBucketPolicy: 1,
  deleteBucketPolicy: 1,
  putBucketAcl: 2,
  putObjectAcl: 3,
};

async function sendAction(s3: S3Client, target: Target, action: RemediationAction): Promise<void> {
  switch (action.kind) {
    case 'putBucketPublicAccessBlock':
      await s3.send(
        new PutPublicAccessBlockCommand({ ...target, PublicAccessBlockConfiguration: action.configuration }),
      );
      return;
    case 'putBucketPolicy':
      await s3.send(new PutBucketPolicyCommand({ ...target, Policy: action.policyText }));
      return;
    case 'deleteBucketPolicy':
      await s3.send(new DeleteBucketPolicyCommand(target));
      return;
    case 'putBucketAcl':
      await s3.send(
        new PutBucketAclCommand({ ...target, AccessControlPolicy: toAccessControlPolicy(action.acl) }),
      );
      return;
    case 'putObjectAcl':
      await s3.send(
        new PutObjectAclCommand({
          ...target,
          Key: action.key,
          AccessControlPolicy: toAccessControlPolicy(action.acl),
        }),
      );
      return;
  }
}

/** The error that ends an apply: a missing bucket, a refusal (named), or the transient error itself. */
function applyFailure(
  error: unknown,
  action: RemediationAction,
  applied: readonly AppliedAction[],
  bucket: string,
): unknown {
  if (errorName(error) === 'NoSuchBucket') return new BucketNotFoundError(bucket, { cause: error });
  if (!isRefusal(error)) return error;
  return new RemediationApplyError(
    action,
    refusalCode(error),
    [...applied],
    describeAction(action),
    errorMessage(error),
    {
      cause: error,
    },
  );
}

/**
 * Applies a plan's actions in a safe order (Block Public Access, policy, bucket ACL, object
 * ACLs), one at a time, and says what became of each.
 *
 * An object deleted meanwhile (NoSuchKey) is skipped: there is no ACL left to fix.
 *
 * @throws BucketNotFoundError when the bucket does not exist (or not in `accountId`).
 * @throws RemediationApplyError when S3 refuses a change (AccessDenied,
 * AccessControlListNotSupported, MalformedPolicy…); it lists what was applied before.
 * @throws the SDK's error, unchanged, for throttling, 5xx and network failures.
 */
export async function applyPlan(
  s3: S3Client,
  plan: Pick<RemediationPlan, 'actions'>,
  target: WriteTarget,
  /** Told of each change as it lands, so a run cut short still knows what it changed. */
  onApplied: (done: AppliedAction) => void = () => {},
): Promise<AppliedAction[]> {
  const ordered = plan.actions
    .map((action, index) => ({ action, index }))
    .sort((a, b) => APPLY_ORDER[a.action.kind] - APPLY_ORDER[b.action.kind] || a.index - b.index)
    .map(({ action }) => action);
  const done: AppliedAction[] = [];
  for (const action of ordered) {
    try {
      await sendAction(s3, targetOf(target), action);
      done.push({ action, outcome: 'applied' });
      onApplied({ action, outcome: 'applied' });
    } catch (error) {
      if (action.kind === 'putObjectAcl' && errorName(error) === 'NoSuchKey') {
        done.push({
          action,
          outcome: 'skipped',
          error: `NoSuchKey: object "${action.key}" no longer exists, so it has no ACL left to change`,
        });
        continue;
      }
      throw applyFailure(error, action, done, target.bucket);
    }
  }
  return done;
}

// ---- Restoring a backup ------------------------------------------------------------------------

/** One write of a restore: the part it puts back and the call. */
interface RestoreStep {
  readonly part: string;
  readonly key?: string;
  /** False for the temporary Block Public Access step: it is not what the backup holds. */
  readonly final: boolean;
  readonly send: () => Promise<unknown>;
}

type LeftAlone = RestoreResult['leftAlone'][number];

const NOT_IN_BACKUP = 'not read in the backup: left as it is now';

/** Why S3 refused a part of a restore, in plain words. */
function refusalWhy(part: string, code: string): string {
  const acl = part === 'bucketAcl' || part === 'objectAcls';
  if (code === 'AccessDenied') {
    if (part === 'bucketPolicy')
      return "account Block Public Access BlockPublicPolicy refuses a public policy (or the responder's role may not put it)";
    if (acl)
      return "account Block Public Access BlockPublicAcls refuses a public ACL (or the responder's role may not put it)";
    return "the responder's role may not change this setting";
  }
  if (code === 'AccessControlListNotSupported')
    return 'Object Ownership is BucketOwnerEnforced: ACLs are disabled, so S3 refuses to set one';
  if (code === 'InvalidBucketAclWithObjectOwnership')
    return 'BucketOwnerEnforced cannot hold an ACL that grants access to another account or group';
  if (code === 'NoSuchKey') return 'the object no longer exists';
  if (code === 'MalformedPolicy')
    return 'S3 refuses the stored policy text (a principal it names may no longer exist)';
  return `S3 refused it (${code})`;
}

function ownershipSteps(
  s3: S3Client,
  t: Target,
  backup: BucketAccessSnapshotInput,
  left: LeftAlone[],
): RestoreStep[] {
  const controls = backup.ownershipControls;
  if (controls === undefined) {
    left.push({ part: 'ownershipControls', why: NOT_IN_BACKUP });
    return [];
  }
  const send =
    controls === null
      ? () => s3.send(new DeleteBucketOwnershipControlsCommand(t))
      : () =>
          s3.send(
            new PutBucketOwnershipControlsCommand({ ...t, OwnershipControls: { Rules: controls.Rules } }),
          );
  return [{ part: 'ownershipControls', final: true, send }];
}

/**
 * Block Public Access in one or two steps. BlockPublicAcls and BlockPublicPolicy refuse a public
 * ACL or policy being put, and the remediation may have turned them on: so when the backup has
 * either on, the bucket's flags are first put without them (the others as in the backup), and
 * the backup's flags are put last, once the ACLs and the policy are back. Otherwise the backup's
 * setting is put first, which lifts what the remediation turned on before anything else is put.
 */
function bpaSteps(
  s3: S3Client,
  t: Target,
  backup: BucketAccessSnapshotInput,
  left: LeftAlone[],
): { first: RestoreStep[]; last: RestoreStep[] } {
  const stored = backup.bucketPublicAccessBlock;
  const part = 'bucketPublicAccessBlock';
  if (stored === undefined) {
    left.push({ part, why: NOT_IN_BACKUP });
    return { first: [], last: [] };
  }
  if (stored === null) {
    return {
      first: [{ part, final: true, send: () => s3.send(new DeletePublicAccessBlockCommand(t)) }],
      last: [],
    };
  }
  const flags = toConfiguration(stored);
  const put = (configuration: Required<PublicAccessBlockInput>) => () =>
    s3.send(new PutPublicAccessBlockCommand({ ...t, PublicAccessBlockConfiguration: configuration }));
  const exact: RestoreStep = { part, final: true, send: put(flags) };
  if (!flags.BlockPublicAcls && !flags.BlockPublicPolicy) return { first: [exact], last: [] };
  const relaxed: RestoreStep = {
    part,
    final: false,
    send: put({ ...flags, BlockPublicAcls: false, BlockPublicPolicy: false }),
  };
  return { first: [relaxed], last: [exact] };
}

function aclSteps(
  s3: S3Client,
  t: Target,
  backup: BucketAccessSnapshotInput,
  left: LeftAlone[],
): RestoreStep[] {
  const steps: RestoreStep[] = [];
  const bucketAcl = backup.bucketAcl;
  if (bucketAcl === undefined) left.push({ part: 'bucketAcl', why: NOT_IN_BACKUP });
  else if (bucketAcl === null)
    left.push({ part: 'bucketAcl', why: 'the backup holds no bucket ACL: left as it is now' });
  else {
    const policy = toAccessControlPolicy(bucketAcl);
    steps.push({
      part: 'bucketAcl',
      final: true,
      send: () => s3.send(new PutBucketAclCommand({ ...t, AccessControlPolicy: policy })),
    });
  }
  const objectAcls = backup.objectAcls;
  if (objectAcls === undefined) {
    left.push({ part: 'objectAcls', why: NOT_IN_BACKUP });
    return steps;
  }
  for (const [key, acl] of Object.entries(objectAcls)) {
    const policy = toAccessControlPolicy(acl);
    steps.push({
      part: 'objectAcls',
      key,
      final: true,
      send: () => s3.send(new PutObjectAclCommand({ ...t, Key: key, AccessControlPolicy: policy })),
    });
  }
  for (const key of backup.objectKeys ?? []) {
    if (!Object.hasOwn(objectAcls, key)) left.push({ part: 'objectAcls', key, why: NOT_IN_BACKUP });
  }
  return steps;
}

function policyStep(
  s3: S3Client,
  t: Target,
  backup: BucketAccessSnapshotInput,
  left: LeftAlone[],
): RestoreStep[] {
  const stored = backup.bucketPolicy;
  if (stored === undefined) {
    left.push({ part: 'bucketPolicy', why: NOT_IN_BACKUP });
    return [];
  }
  if (stored === null) {
    return [{ part: 'bucketPolicy', final: true, send: () => s3.send(new DeleteBucketPolicyCommand(t)) }];
  }
  // The text exactly as GetBucketPolicy returned it; a parsed document (older backups) as JSON.
  const text = typeof stored === 'string' ? stored : JSON.stringify(stored);
  return [
    {
      part: 'bucketPolicy',
      final: true,
      send: () => s3.send(new PutBucketPolicyCommand({ ...t, Policy: text })),
    },
  ];
}

function partName(step: RestoreStep): string {
  return step.key === undefined ? step.part : `${step.part}/${step.key}`;
}

/**
 * Puts back exactly what a backup holds, for rollback: Object Ownership, bucket Block Public
 * Access, the bucket ACL, each object ACL, and the policy text byte for byte. A null part is
 * deleted; a missing part (not read) is left alone and listed in `leftAlone`.
 *
 * Order: ownership first (ACLs cannot be put under BucketOwnerEnforced), then Block Public Access
 * without its refusing flags, the ACLs and the policy, and the backup's Block Public Access
 * last (see `bpaSteps`). A part S3 refuses (Block Public Access of the account, ACLs disabled,
 * an object gone) is reported in `refused`, not thrown, and the rest is still put back.
 *
 * @throws BucketNotFoundError when the bucket does not exist (or not in `accountId`).
 * @throws the SDK's error, unchanged, for throttling, 5xx and network failures (all idempotent).
 */
export async function restoreSnapshot(
  s3: S3Client,
  backup: BucketAccessSnapshotInput,
  target: WriteTarget,
): Promise<RestoreResult> {
  const t = targetOf(target);
  const leftAlone: LeftAlone[] = [];
  const ownership = ownershipSteps(s3, t, backup, leftAlone);
  const bpa = bpaSteps(s3, t, backup, leftAlone);
  const steps = [
    ...ownership,
    ...bpa.first,
    ...aclSteps(s3, t, backup, leftAlone),
    ...policyStep(s3, t, backup, leftAlone),
    ...bpa.last,
  ];
  const result: RestoreResult = { restored: [], refused: [], leftAlone };
  for (const step of steps) {
    try {
      await step.send();
      if (step.final) result.restored.push(partName(step));
    } catch (error) {
      if (errorName(error) === 'NoSuchBucket') throw new BucketNotFoundError(target.bucket, { cause: error });
      if (!isRefusal(error)) throw error;
      const code = refusalCode(error);
      result.refused.push({
        part: step.part,
        ...(step.key === undefined ? {} : { key: step.key }),
        error: code,
        why: refusalWhy(step.part, code),
      });
    }
  }
  return result;
}
