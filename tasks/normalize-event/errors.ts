/**
 * Named errors of NormalizeEvent. Each class's `name` is its own `ErrorEquals` string: Step
 * Functions matches names exactly, not by inheritance, so a Catch that routes every malformed
 * event lists both `MalformedEventError` and `MissingBucketError`.
 */
import { ResponderError } from '../shared/errors.js';

/**
 * The input is not a usable EventBridge "AWS API Call via CloudTrail" event: wrong
 * `detail-type`, no `detail`, an unparseable time, no `eventID`, and so on. `field` is the path
 * of the first offending field, as it also appears in the message.
 */
export class MalformedEventError extends ResponderError {
  override name = 'MalformedEventError';

  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An exposure event whose bucket cannot be found in `requestParameters.bucketName`,
 * `resources[].ARN` or a virtual-host `host`: there is nothing to re-read or classify. A subclass
 * of {@link MalformedEventError} so code can treat both alike; the ASL still names it separately.
 */
export class MissingBucketError extends MalformedEventError {
  override name = 'MissingBucketError';

  constructor(
    readonly eventID: string,
    readonly eventName: string,
  ) {
    super(
      'requestParameters.bucketName',
      `${eventName} event ${eventID} names no bucket: requestParameters.bucketName is missing or empty, ` +
        'and neither resources[].ARN nor requestParameters.host names one',
    );
  }
}
