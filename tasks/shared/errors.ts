/**
 * Named errors. Each class's `name` is the string the state machine matches in `ErrorEquals`,
 * so a task throws and the workflow routes; no task returns an error status. Every class sets
 * its `name` as a literal: a bundler that renames classes would otherwise change it.
 */

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
