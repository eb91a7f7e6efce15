/**
 * What a failed AWS SDK call tells, read without trusting its shape: adapters catch `unknown`.
 */

/** The `name` of an error (the exception name for SDK v3 service errors), if it has one. */
export function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('name' in error)) return undefined;
  return typeof error.name === 'string' ? error.name : undefined;
}

/** The HTTP status the SDK recorded for a failed call, if any. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/**
 * A header (`header` in lower case) of the HTTP answer behind a failed call, which the SDK keeps
 * as `$response`. S3 puts some facts only there: a HEAD answer has no body to carry them.
 */
export function responseHeader(error: unknown, header: string): string | undefined {
  if (typeof error !== 'object' || error === null || !('$response' in error)) return undefined;
  const response = error.$response;
  if (typeof response !== 'object' || response === null || !('headers' in response)) return undefined;
  const headers = response.headers;
  if (typeof headers !== 'object' || headers === null) return undefined;
  const value: unknown = Object.entries(headers).find(([name]) => name.toLowerCase() === header)?.[1];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Throttling codes across the services we call (S3's own is SlowDown). The SDK also marks
 * throttling it recognises with `$retryable.throttling`.
 */
const THROTTLING_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
]);

/** Codes of answers that a later try may not get: the service or the network failed, not the request. */
const TRANSIENT_CODES = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** Codes that mean the thing asked about does not exist (each service names it its own way). */
const NOT_FOUND_CODES = new Set(['NoSuchBucket', 'NotFound', 'ResourceNotFoundException']);

/** What kind of failure an AWS call ended in, decided on its code and status, never its wording. */
export type AwsFailure = 'throttled' | 'transient' | 'accessDenied' | 'notFound' | 'refused' | 'unknown';

function retryableFlag(error: unknown): { throttling: boolean } | undefined {
  if (typeof error !== 'object' || error === null || !('$retryable' in error)) return undefined;
  const retryable = error.$retryable;
  if (typeof retryable !== 'object' || retryable === null) return undefined;
  return { throttling: 'throttling' in retryable && retryable.throttling === true };
}

function fault(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('$fault' in error)) return undefined;
  return typeof error.$fault === 'string' ? error.$fault : undefined;
}

function code(error: unknown): string | undefined {
  const name = errorName(error);
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    // Node's network errors carry their code (ECONNRESET) beside a generic name.
    return TRANSIENT_CODES.has(error.code) ? error.code : name;
  }
  return name;
}

/**
 * The one place that sorts AWS SDK errors (after the SDK's own retries): throttling and
 * transient failures are worth another try later; a refusal (4xx) is not.
 */
export function classifyAwsError(error: unknown): AwsFailure {
  const name = code(error);
  const status = httpStatus(error);
  if (
    (name !== undefined && THROTTLING_CODES.has(name)) ||
    retryableFlag(error)?.throttling ||
    status === 429
  ) {
    return 'throttled';
  }
  if ((name !== undefined && TRANSIENT_CODES.has(name)) || (status !== undefined && status >= 500)) {
    return 'transient';
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || status === 403) return 'accessDenied';
  if ((name !== undefined && NOT_FOUND_CODES.has(name)) || status === 404) return 'notFound';
  if ((status !== undefined && status >= 400) || fault(error) === 'client') return 'refused';
  if (retryableFlag(error) || fault(error) === 'server') return 'transient';
  return 'unknown';
}

/** Throttled or transient: the same call may succeed later. */
export function isRetryableAwsError(error: unknown): boolean {
  const kind = classifyAwsError(error);
  return kind === 'throttled' || kind === 'transient';
}

/** AccessDenied by name, or any 403 (S3 does not always name it). */
export function isAccessDenied(error: unknown): boolean {
  return classifyAwsError(error) === 'accessDenied';
}

/** The SDK error's code (its name), for messages and records. */
export function awsErrorCode(error: unknown): string {
  return code(error) ?? (error instanceof Error ? error.name : 'UnknownError');
}

/**
 * The code a read records when AWS answered it with a failure that leaves the thing read
 * unknown (after the SDK's own retries): `AccessDenied` for any refusal, since S3 does not always
 * name it, else the service's code (`SlowDown`, `InternalError`, `NoSuchBucket`, `ECONNRESET`).
 * Undefined when the error is no AWS answer at all: a bug of ours must fail the task, not pass
 * as a gap in what was read.
 */
export function unreadableCode(error: unknown): string | undefined {
  const kind = classifyAwsError(error);
  if (kind === 'unknown') return undefined;
  return kind === 'accessDenied' ? 'AccessDenied' : awsErrorCode(error);
}
