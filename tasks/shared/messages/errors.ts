/**
 * Named errors of the notification steps. Each class's `name` is its `ErrorEquals` string.
 * Throttling (TooManyRequestsException, LimitExceededException) is rethrown unchanged so the
 * state machine's retriers match the SDK's own names.
 */
import { ResponderError } from '../errors.js';

/**
 * SES refused the message for a reason a retry will not fix: the message was rejected, the
 * sender's MAIL FROM domain is not verified, or sending is suspended or paused for the account
 * or configuration set. `code` is the SES exception name.
 */
export class EmailRejectedError extends ResponderError {
  override name = 'EmailRejectedError';

  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`SES refused the email (${code}): ${message}`, options);
  }
}

/**
 * There is nobody to send to: the configuration lists no recipients for this message. Raised
 * before SES is called, so a missing recipient list is a visible failure, not a silent no-op.
 */
export class NoRecipientsError extends ResponderError {
  override name = 'NoRecipientsError';

  constructor(readonly subject: string) {
    super(`no email recipients are configured for the message "${subject}"`);
  }
}
