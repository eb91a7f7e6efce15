import {
  GetBucketLocationCommand,
  ListBucketsCommand,
  NoSuchBucket,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { classifyExposure } from '../classify-exposure/classify.js';
import { mapWithConcurrency, readBucketSnapshot } from '../classify-exposure/read-snapshot.js';
import { BucketAccessSnapshotSchema, type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { BucketNotFoundError, InvalidInputError } from '../shared/errors.js';
import { sha256Hex } from '../shared/hash.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { defineTask } from '../shared/task.js';
import type { TaskDeps } from '../shared/task-deps.js';
import { parseOrThrow } from '../shared/validation.js';

/** GetBucketLocation's answer to a Region: null is us-east-1, and "EU" the old name of eu-west-1. */
export function regionOfLocation(constraint: string | undefined | null): string {
  if (!constraint) return 'us-east-1';
  return constraint === 'EU' ? 'eu-west-1' : constraint;
}

/** An execution name (at most 80 of [A-Za-z0-9-_]) that is the same for the same event and bucket. */
export function childExecutionName(eventID: string, bucket: string): string {
  const readable = bucket.replace(/[^A-Za-z0-9-_]/g, '-');
  return `${sha256Hex(`${eventID}/${bucket}`).slice(0, 16)}-${readable}`.slice(0, 80);
}

async function listBucketNames(
  s3: S3Client,
  limit: number,
): Promise<{ names: string[]; truncated: boolean }> {
  const answer = await s3.send(new ListBucketsCommand({}));
  const names = (answer.Buckets ?? []).flatMap((b) => (b.Name ? [b.Name] : []));
  return { names: names.slice(0, limit), truncated: names.length > limit };
}

/**
 * Whether a bucket needs its own execution after an account-level change: it is effectively
 * public, could not be fully read, or keeps ACLs enabled (its objects' ACLs are checked by the
 * child execution, which scans them).
 */
async function needsResponse(
  deps: TaskDeps,
  accountId: string,
  bucket: string,
): Promise<{ region: string } | null> {
  try {
    const location = await deps.clients.s3.send(
      new GetBucketLocationCommand({ Bucket: bucket, ExpectedBucketOwner: accountId }),
    );
    const region = regionOfLocation(location.LocationConstraint);
    const raw = await readBucketSnapshot(deps.clientsFor(region), { accountId, bucket });
    const verdict = classifyExposure(parseOrThrow(BucketAccessSnapshotSchema, raw, `snapshot of ${bucket}`));
    const aclsEnabled = raw.ownershipControls?.Rules?.[0]?.ObjectOwnership !== 'BucketOwnerEnforced';
    const ignoresAcls =
      raw.bucketPublicAccessBlock?.IgnorePublicAcls === true ||
      raw.accountPublicAccessBlock?.IgnorePublicAcls === true;
    const respond = verdict.effectivelyPublic || verdict.unknown.length > 0 || (aclsEnabled && !ignoresAcls);
    return respond ? { region } : null;
  } catch (error) {
    // Deleted between ListBuckets and now: nothing to respond to.
    if (error instanceof BucketNotFoundError || error instanceof NoSuchBucket) return null;
    throw error;
  }
}

/**
 * FanOutAccountChange: an account-level Block Public Access change can uncover many buckets at
 * once. Each bucket that may now be public gets its own execution of this state machine, so each
 * has its own incident, lease and finding. At most `limits.fanOutBucketLimit` buckets are checked.
 */
export const fanOutAccountChange = defineTask(
  'FanOutAccountChange',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const { accountEvent, trigger } = state;
    if (!trigger) throw new InvalidInputError('FanOutAccountChange input: trigger is missing');
    if (!accountEvent) throw new InvalidInputError('FanOutAccountChange input: accountEvent is missing');
    const limit = state.config.limits.fanOutBucketLimit;
    const { names, truncated } = await listBucketNames(deps.clients.s3, limit);

    const checked = await mapWithConcurrency(
      names,
      state.config.limits.objectAclConcurrency,
      async (bucket) => ({
        bucket,
        target: await needsResponse(deps, trigger.accountId, bucket),
      }),
    );
    const started: string[] = [];
    for (const { bucket, target } of checked) {
      if (!target) continue;
      try {
        await deps.clients.sfn.send(
          new StartExecutionCommand({
            stateMachineArn: deps.stateMachineArn,
            name: childExecutionName(trigger.eventID, bucket),
            input: JSON.stringify({ ...accountEvent, fanOut: { bucket, region: target.region } }),
          }),
        );
      } catch (error) {
        // Started already by an earlier try of this task: StartExecution is idempotent by name.
        if (!(error instanceof ExecutionAlreadyExists)) throw error;
      }
      started.push(bucket);
    }
    if (truncated) logger.warn('account change fan-out truncated', { limit, accountId: trigger.accountId });
    return {
      ...state,
      accountEvent: undefined,
      fanOut: {
        bucketsChecked: names.length,
        truncated,
        limit,
        started: started.length,
        buckets: started.slice(0, 50),
      },
    };
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(fanOutAccountChange);
