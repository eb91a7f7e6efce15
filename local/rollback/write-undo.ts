/**
 * Sends a rollback's writes. The policy and the ACLs go through `restoreSnapshot` with a snapshot
 * holding only those parts (the parts left out are left alone), so they are put exactly as the
 * backup adapter puts anything back, with its refusal reasons. Block Public Access is sent here:
 * `restoreSnapshot` would lift the refusing flags for a moment, and some of them may be the
 * owner's.
 */
import {
  DeletePublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  type RestoreResult,
  restoreSnapshot,
  type WriteTarget,
} from '../../tasks/remediate-exposure/apply.js';
import { classifyAwsError, errorName, isAccessDenied } from '../../tasks/shared/aws-errors.js';
import type { BucketAccessSnapshotInput } from '../../tasks/shared/contracts.js';
import { BucketNotFoundError } from '../../tasks/shared/errors.js';
import type { UndoStep } from './inverse.js';

type BpaStep = Extract<UndoStep, { part: 'bucketPublicAccessBlock' }>;

async function sendBpa(
  s3: S3Client,
  step: BpaStep,
  target: WriteTarget,
  result: RestoreResult,
): Promise<void> {
  const t = { Bucket: target.bucket, ExpectedBucketOwner: target.accountId };
  try {
    if (step.configuration === null) await s3.send(new DeletePublicAccessBlockCommand(t));
    else
      await s3.send(
        new PutPublicAccessBlockCommand({ ...t, PublicAccessBlockConfiguration: step.configuration }),
      );
    result.restored.push(step.part);
  } catch (error) {
    if (errorName(error) === 'NoSuchBucket') throw new BucketNotFoundError(target.bucket, { cause: error });
    const kind = classifyAwsError(error);
    // Throttling, 5xx and network failures are not answers: the caller sees them unchanged.
    if (kind !== 'accessDenied' && kind !== 'refused' && kind !== 'notFound') throw error;
    const code = errorName(error) ?? (isAccessDenied(error) ? 'AccessDenied' : 'UnknownError');
    result.refused.push({
      part: step.part,
      error: code,
      why:
        code === 'AccessDenied'
          ? "the responder's role may not change this setting"
          : `S3 refused it (${code})`,
    });
  }
}

/**
 * Sends the steps in their order (Block Public Access first) and says what was put back and what
 * S3 refused; a refusal does not stop the others.
 *
 * @throws BucketNotFoundError when the bucket does not exist (or not in `accountId`).
 * @throws the SDK's error, unchanged, for throttling, 5xx and network failures.
 */
export async function writeUndo(
  s3: S3Client,
  steps: readonly UndoStep[],
  target: WriteTarget,
): Promise<RestoreResult> {
  const result: RestoreResult = { restored: [], refused: [], leftAlone: [] };
  for (const step of steps)
    if (step.part === 'bucketPublicAccessBlock') await sendBpa(s3, step, target, result);

  const parts: BucketAccessSnapshotInput = {
    accountId: target.accountId,
    bucket: target.bucket,
    objectKeys: [],
  };
  for (const step of steps) {
    if (step.part === 'bucketPolicy') parts.bucketPolicy = step.policyText;
    else if (step.part === 'bucketAcl') parts.bucketAcl = step.acl;
    else if (step.part === 'objectAcls') parts.objectAcls = { ...parts.objectAcls, [step.key]: step.acl };
  }
  if (parts.bucketPolicy === undefined && parts.bucketAcl === undefined && parts.objectAcls === undefined)
    return result;
  // Parts left out of `parts` are reported as left alone there: that is the point, not news.
  const rest = await restoreSnapshot(s3, parts, target);
  return {
    ...result,
    restored: [...result.restored, ...rest.restored],
    refused: [...result.refused, ...rest.refused],
  };
}
