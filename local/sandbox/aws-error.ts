/**
 * The errors the sandbox's operations raise, by AWS error code. Operations stay free of SDK
 * classes; the middleware turns each into the service's own exception (see exceptions.ts) with
 * the HTTP status AWS uses, which is what the SDK's retry classification reads.
 */

/** HTTP status by error code; codes not listed are 400 client errors, as most of AWS's are. */
const HTTP_STATUS: Readonly<Record<string, number>> = {
  AccessDenied: 403,
  AccessDeniedException: 403,
  Forbidden: 403,
  InvalidAccessException: 401,
  // Macie answers a request beyond a service quota with 402 Payment Required.
  ServiceQuotaExceededException: 402,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NoSuchBucketPolicy: 404,
  NoSuchPublicAccessBlockConfiguration: 404,
  NoSuchTagSet: 404,
  NoSuchWebsiteConfiguration: 404,
  OwnershipControlsNotFoundError: 404,
  NotFound: 404,
  NotFoundException: 404,
  ResourceNotFoundException: 404,
  BucketAlreadyOwnedByYou: 409,
  BucketAlreadyExists: 409,
  ConflictException: 409,
  UnprocessableEntityException: 422,
  TooManyRequestsException: 429,
  ThrottlingException: 429,
  LimitExceededException: 429,
  InternalError: 500,
  InternalException: 500,
  InternalServerException: 500,
  InternalServerError: 500,
  InternalServiceException: 500,
  InternalServiceErrorException: 500,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
  SlowDown: 503,
};

/** The HTTP status AWS answers the error code with. */
export function httpStatusOf(code: string): number {
  return HTTP_STATUS[code] ?? 400;
}

/** An AWS API error as the sandbox raises it: a code, a message, and the fields S3 adds. */
export class AwsApiError extends Error {
  readonly code: string;
  readonly httpStatusCode: number;
  readonly fields: Readonly<Record<string, string>>;

  constructor(code: string, message: string, fields: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'AwsApiError';
    this.code = code;
    this.httpStatusCode = httpStatusOf(code);
    this.fields = fields;
  }
}
