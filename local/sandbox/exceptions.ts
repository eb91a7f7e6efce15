/**
 * Turns a sandbox {@link AwsApiError} into the exception the real SDK client would throw: the
 * modeled class where the service models the code (so `instanceof NoSuchKey` works), else the
 * service's base `…ServiceException` with that name, as the SDK does for unmodeled codes.
 */
import {
  Macie2ServiceException,
  AccessDeniedException as MacieAccessDenied,
  ConflictException as MacieConflict,
  InternalServerException as MacieInternalServer,
  ResourceNotFoundException as MacieResourceNotFound,
  ThrottlingException as MacieThrottling,
  ValidationException as MacieValidation,
  ServiceQuotaExceededException,
  UnprocessableEntityException,
} from '@aws-sdk/client-macie2';
import {
  AccessDenied,
  NoSuchBucket,
  NoSuchKey,
  NoSuchUpload,
  NotFound,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  NoSuchPublicAccessBlockConfiguration,
  BadRequestException as S3ControlBadRequest,
  S3ControlServiceException,
} from '@aws-sdk/client-s3-control';
import {
  AccessDeniedException,
  InternalException,
  InvalidAccessException,
  InvalidInputException,
  LimitExceededException,
  ResourceNotFoundException,
  SecurityHubServiceException,
  ThrottlingException,
} from '@aws-sdk/client-securityhub';
import {
  MessageRejected,
  SESv2ServiceException,
  BadRequestException as SesBadRequest,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import {
  ExecutionAlreadyExists,
  InvalidArn,
  InvalidExecutionInput,
  SFNServiceException,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { STSServiceException } from '@aws-sdk/client-sts';
import type { ResponseMetadata } from '@smithy/types';
import type { AwsApiError } from './aws-error.js';
import type { SandboxService } from './world.js';

interface ModeledOptions {
  readonly $metadata: ResponseMetadata;
  readonly message: string;
}
type ModeledException = new (options: ModeledOptions) => Error;

interface BaseOptions extends ModeledOptions {
  readonly name: string;
  readonly $fault: 'client' | 'server';
}
type BaseException = new (options: BaseOptions) => Error;

interface ServiceExceptions {
  readonly base: BaseException;
  readonly modeled: Readonly<Record<string, ModeledException>>;
}

/** A webhook's refusal: not an SDK exception, just an error named by its code. */
class ChatWebhookError extends Error {
  constructor(options: BaseOptions) {
    super(options.message);
    this.name = options.name;
  }
}

const EXCEPTIONS: Readonly<Record<SandboxService, ServiceExceptions>> = {
  s3: {
    base: S3ServiceException,
    modeled: { AccessDenied, NoSuchBucket, NoSuchKey, NoSuchUpload, NotFound },
  },
  s3control: {
    base: S3ControlServiceException,
    modeled: { NoSuchPublicAccessBlockConfiguration, BadRequestException: S3ControlBadRequest },
  },
  securityhub: {
    base: SecurityHubServiceException,
    modeled: {
      AccessDeniedException,
      InternalException,
      InvalidAccessException,
      InvalidInputException,
      LimitExceededException,
      ResourceNotFoundException,
      ThrottlingException,
    },
  },
  ses: {
    base: SESv2ServiceException,
    modeled: { BadRequestException: SesBadRequest, MessageRejected, TooManyRequestsException },
  },
  sfn: {
    base: SFNServiceException,
    modeled: { ExecutionAlreadyExists, InvalidArn, InvalidExecutionInput, StateMachineDoesNotExist },
  },
  sts: { base: STSServiceException, modeled: {} },
  macie2: {
    base: Macie2ServiceException,
    modeled: {
      AccessDeniedException: MacieAccessDenied,
      ConflictException: MacieConflict,
      InternalServerException: MacieInternalServer,
      ResourceNotFoundException: MacieResourceNotFound,
      ServiceQuotaExceededException,
      ThrottlingException: MacieThrottling,
      UnprocessableEntityException,
      ValidationException: MacieValidation,
    },
  },
  chat: { base: ChatWebhookError, modeled: {} },
};

/** The SDK exception for `error` as `service`'s client would raise it. */
export function toServiceException(service: SandboxService, error: AwsApiError, requestId: string): Error {
  const $metadata: ResponseMetadata = { httpStatusCode: error.httpStatusCode, requestId };
  const { base, modeled } = EXCEPTIONS[service];
  const Modeled = modeled[error.code];
  const exception = Modeled
    ? new Modeled({ $metadata, message: error.message })
    : new base({
        name: error.code,
        $fault: error.httpStatusCode >= 500 ? 'server' : 'client',
        $metadata,
        message: error.message,
      });
  // S3 and Security Hub repeat the code in the body (`Code`), and S3 adds fields like BucketName.
  return Object.assign(exception, { Code: error.code, ...error.fields });
}
