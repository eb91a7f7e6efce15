/**
 * Named errors of the Security Hub steps. Each class's `name` is its `ErrorEquals` string.
 * Throttling and other transient SDK errors are not wrapped: they keep the SDK's own names so
 * the state machine's retriers can match them.
 */
import { ResponderError } from '../errors.js';

/** One finding Security Hub refused, as BatchImportFindings or BatchUpdateFindings reports it. */
export interface FindingFailure {
  readonly id: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** At most this many failures are spelled out in a message; the rest are counted. */
const LISTED_FAILURES = 10;

function listFailures(failures: readonly FindingFailure[]): string {
  const listed = failures
    .slice(0, LISTED_FAILURES)
    .map((f) => `${f.id}: ${f.errorCode}${f.errorMessage ? ` (${f.errorMessage})` : ''}`);
  const more = failures.length - listed.length;
  return `${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

/**
 * Security Hub is not enabled (the account is not subscribed) in this Region. Retrying does not
 * help: the workflow records the problem and the alert says where the finding is missing.
 */
export class SecurityHubNotEnabledError extends ResponderError {
  override name = 'SecurityHubNotEnabledError';
}

/**
 * BatchImportFindings answered 200 but refused some findings (`FailedCount > 0`). Security Hub
 * reports these in the body, not as an exception, so without this check they would be lost.
 */
export class FindingImportError extends ResponderError {
  override name = 'FindingImportError';

  constructor(
    readonly failedCount: number,
    readonly failures: readonly FindingFailure[],
  ) {
    super(
      failures.length > 0
        ? `Security Hub refused ${failedCount} finding(s): ${listFailures(failures)}`
        : `Security Hub refused ${failedCount} finding(s) and named none`,
    );
  }
}

/** BatchUpdateFindings left findings unprocessed (for example ConcurrentUpdateError or FindingNotFound). */
export class FindingUpdateError extends ResponderError {
  override name = 'FindingUpdateError';

  constructor(readonly failures: readonly FindingFailure[]) {
    super(`Security Hub did not update ${failures.length} finding(s): ${listFailures(failures)}`);
  }
}
