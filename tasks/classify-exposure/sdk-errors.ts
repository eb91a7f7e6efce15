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
