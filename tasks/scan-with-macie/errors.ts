/**
 * Macie's failures, named. Each `name` is what the state machine matches: MacieThrottledError is
 * worth a Retry; the others are caught, recorded on the incident and the finding, and the
 * workflow goes on without the scan (the run never fails because of Macie).
 */
import { awsErrorCode, classifyAwsError, errorName } from '../shared/aws-errors.js';
import { ResponderError } from '../shared/errors.js';

/** Base of the named Macie failures. */
export abstract class MacieScanError extends ResponderError {
  /** Whether the same call may succeed later (throttling, Macie's own faults). */
  readonly retryable: boolean = false;
}

/** Macie is not enabled in the account and Region (AccessDeniedException "Macie is not enabled"). */
export class MacieNotEnabledError extends MacieScanError {
  override name = 'MacieNotEnabledError';
}

/** Our role may not call Macie, or Macie may not read the bucket. */
export class MacieAccessDeniedError extends MacieScanError {
  override name = 'MacieAccessDeniedError';
}

/** A Macie quota is used up (ServiceQuotaExceededException, or a job PAUSED for the monthly quota). */
export class MacieQuotaExceededError extends MacieScanError {
  override name = 'MacieQuotaExceededError';
}

/** Macie throttled the call or failed on its side: the same call may succeed later. */
export class MacieThrottledError extends MacieScanError {
  override name = 'MacieThrottledError';
  override readonly retryable = true;
}

/** Macie refused the job, or the job ended without a usable result. */
export class MacieJobFailedError extends MacieScanError {
  override name = 'MacieJobFailedError';
}

/**
 * The message Macie answers with where it is not enabled. Both this and a missing permission
 * are AccessDeniedException (403), so the documented text is the only thing that tells them apart.
 */
const NOT_ENABLED = 'Macie is not enabled';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : '';
}

/**
 * The named failure for an error a Macie call raised (after the SDK's own retries), or the error
 * itself when it is no AWS answer at all: a bug of ours must fail the task, not pass as "Macie
 * failed".
 */
export function macieErrorOf(error: unknown, operation: string): unknown {
  const kind = classifyAwsError(error);
  if (kind === 'unknown') return error;
  const code = awsErrorCode(error);
  const what = `${operation}: ${code}`;
  const options = { cause: error };
  if (errorName(error) === 'AccessDeniedException' && messageOf(error).includes(NOT_ENABLED)) {
    return new MacieNotEnabledError(`${what}: Macie is not enabled in this account and Region`, options);
  }
  if (kind === 'accessDenied') return new MacieAccessDeniedError(`${what}: access denied`, options);
  if (code === 'ServiceQuotaExceededException') {
    return new MacieQuotaExceededError(`${what}: a Macie quota is used up`, options);
  }
  if (kind === 'throttled' || kind === 'transient')
    return new MacieThrottledError(`${what}: try again later`, options);
  return new MacieJobFailedError(`${what}: Macie refused the request`, options);
}
