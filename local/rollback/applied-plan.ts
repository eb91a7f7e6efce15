/**
 * What a remediation changed, recovered from its record. The incident keeps the plan only in
 * plain words; the actions themselves are recomputed from the backup (the configuration the plan
 * was made from, exactly) and the ways in the plan addressed, with the same pure planner, and
 * accepted only when they read word for word as the plan recorded.
 */
import { classifyExposure } from '../../tasks/classify-exposure/classify.js';
import {
  describeAction,
  planRemediation,
  type RemediationAction,
} from '../../tasks/remediate-exposure/plan.js';
import {
  type BucketAccessSnapshotInput,
  BucketAccessSnapshotSchema,
  type RemediationRecord,
} from '../../tasks/shared/contracts.js';
import { ResponderError } from '../../tasks/shared/errors.js';

/** The remediation's changes cannot be known exactly, so nothing is undone. */
export class AppliedPlanUnknownError extends ResponderError {
  override name = 'AppliedPlanUnknownError';
}

/**
 * The settings the plan may have been made with. The record does not keep them, and only two
 * choices change a plan: Block Public Access preferred, or object ACLs beyond the key limit
 * (1,000 is the most the configuration allows, 0 sends any object to Block Public Access).
 */
const SETTINGS = [
  { preferBlockPublicAccess: false, maxObjectKeys: 1_000 },
  { preferBlockPublicAccess: false, maxObjectKeys: 0 },
  { preferBlockPublicAccess: true, maxObjectKeys: 1_000 },
] as const;

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

/**
 * The actions a remediation applied, from its backup and record. Planning with the addressed
 * ways in as the approval selects the same changes as the original approval did (the planner
 * only narrows an approval), so the recomputed plan is the applied one when its lines match.
 *
 * @throws AppliedPlanUnknownError when no recomputed plan reads as the recorded one.
 */
export function recoverAppliedActions(
  backup: BucketAccessSnapshotInput,
  remediation: Pick<RemediationRecord, 'plan' | 'addressed'>,
): RemediationAction[] {
  const parsed = BucketAccessSnapshotSchema.safeParse(backup);
  if (!parsed.success) throw new AppliedPlanUnknownError('the backup is not a readable snapshot');
  const snapshot = parsed.data;
  const verdict = classifyExposure(snapshot);
  const policyText = typeof backup.bucketPolicy === 'string' ? backup.bucketPolicy : null;
  for (const settings of SETTINGS) {
    let actions: RemediationAction[];
    try {
      actions = planRemediation({
        snapshot,
        policyText,
        verdict,
        approvedVectors: remediation.addressed,
        settings,
      }).actions;
    } catch {
      // A setting the original run cannot have had (it would have failed the same way): try the next.
      continue;
    }
    if (sameLines(actions.map(describeAction), remediation.plan)) return actions;
  }
  throw new AppliedPlanUnknownError(
    `the plan recomputed from the backup does not match the recorded plan (${remediation.plan.join('; ')}), so what the fix changed is not known exactly`,
  );
}

/** The configuration the fix left: the backup with each action applied (what S3 would then return). */
export function configurationLeftByFix(
  backup: BucketAccessSnapshotInput,
  actions: readonly RemediationAction[],
): BucketAccessSnapshotInput {
  let left: BucketAccessSnapshotInput = { ...backup };
  for (const action of actions) {
    switch (action.kind) {
      case 'putBucketPolicy':
        left = { ...left, bucketPolicy: action.policyText };
        break;
      case 'deleteBucketPolicy':
        left = { ...left, bucketPolicy: null };
        break;
      case 'putBucketAcl':
        left = { ...left, bucketAcl: action.acl };
        break;
      case 'putObjectAcl':
        left = { ...left, objectAcls: { ...left.objectAcls, [action.key]: action.acl } };
        break;
      case 'putBucketPublicAccessBlock':
        left = { ...left, bucketPublicAccessBlock: action.configuration };
        break;
    }
  }
  return left;
}
