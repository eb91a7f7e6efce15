/**
 * Named errors. Each class's `name` is the string the state machine matches in `ErrorEquals`,
 * so a task throws and the workflow routes; no task returns an error status. Every class sets
 * its `name` as a literal: a bundler that renames classes would otherwise change it.
 */

import { type AwsFailure, awsErrorCode } from './aws-errors.js';

/** Base of every error the responder raises on purpose. */
export class ResponderError extends Error {
  override name = 'ResponderError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The bucket does not exist (deleted meanwhile, or never existed in the expected account). */
export class BucketNotFoundError extends ResponderError {
  override name = 'BucketNotFoundError';
  constructor(
    readonly bucket: string,
    options?: { cause?: unknown },
  ) {
    super(`bucket ${bucket} does not exist in the expected account`, options);
  }
}

/** Input that does not match a contract: a malformed snapshot, event or configuration. */
export class InvalidInputError extends ResponderError {
  override name = 'InvalidInputError';
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The bucket's lease was reclaimed by another execution (this one outlived its lease). */
export class LeaseLostError extends ResponderError {
  override name = 'LeaseLostError';
  constructor(
    readonly bucket: string,
    readonly holder: string | null,
  ) {
    super(`the lease on bucket ${bucket} is held by ${holder ?? 'nobody'} now`);
  }
}

/** A second OPEN incident for a bucket that already has one: a store invariant would break. */
export class IncidentConflictError extends ResponderError {
  override name = 'IncidentConflictError';
}

/**
 * A conditional write lost a race: the record changed since it was read. The task runs again
 * (the state machine retries it) and reads the new version first.
 */
export class ConcurrentUpdateError extends ResponderError {
  override name = 'ConcurrentUpdateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * An AWS call still throttled or failing after the SDK's own retries. The state machine tries
 * the task again later (every task is safe to run again); the service's own code is kept.
 */
export class AwsTransientError extends ResponderError {
  override name = 'AwsTransientError';
  constructor(
    readonly code: string,
    readonly kind: AwsFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static from(error: unknown, kind: AwsFailure): AwsTransientError {
    const code = awsErrorCode(error);
    const detail = error instanceof Error ? error.message : String(error);
    return new AwsTransientError(code, kind, `${code} (${kind}): ${detail}`, { cause: error });
  }
}

/**
 * Too little of the task's time is left to start a change safely: a change that outlived the
 * task would land after the state machine gave up on it. The state machine runs the task again,
 * with its full time.
 */
export class TaskTimeRunningOutError extends ResponderError {
  override name = 'TaskTimeRunningOutError';
}

/**
 * The read does not show a change toward public that an event recorded (S3's configuration is
 * eventually consistent). The state machine reads again a little later; once its retries are
 * used up, the classification goes ahead and reports the change as unseen.
 */
export class ChangeNotVisibleYetError extends ResponderError {
  override name = 'ChangeNotVisibleYetError';
}

/**
 * The pending approval was replaced: the exposure went beyond the plan the approvers saw. Sent by
 * SupersedeApproval to the waiting RequestApproval (SendTaskFailure); the owner classifies again.
 */
export class ApprovalSupersededError extends ResponderError {
  override name = 'ApprovalSupersededError';
}

/**
 * The request cannot reach an approver who must hear of the exposure (SES refused it, or every
 * approver's copy bounced): it would only expire. Thrown by RequestApproval, or sent to its wait
 * (SendTaskFailure) by the email feedback; the workflow then reports the failure to everyone.
 */
export class ApprovalUndeliverableError extends InvalidInputError {
  override name = 'ApprovalUndeliverableError';
}

/** How much time a task keeps in hand before it starts changing a bucket (at most). */
export const CHANGE_TIME_MARGIN_MS = 15_000;

/**
 * Throws TaskTimeRunningOutError when too little of the invocation is left to start a change:
 * 15 s, or a quarter of the time it started with when that is less (a short timeout).
 */
export function ensureTimeFor(
  what: string,
  remainingTimeMs: (() => number) | undefined,
  startedWithMs?: number,
): void {
  const margin = Math.min(CHANGE_TIME_MARGIN_MS, (startedWithMs ?? Number.POSITIVE_INFINITY) / 4);
  const left = remainingTimeMs?.();
  if (left !== undefined && left < margin) {
    throw new TaskTimeRunningOutError(
      `${Math.round(left / 1000)} s left, too little to ${what}: nothing changed`,
    );
  }
}
