/**
 * What CreateClassificationJob refuses, before a job exists: the checks Macie's API reference
 * states (ONE_TIME jobs without a schedule, a bucket definition, scope terms, a sampling
 * percentage of 1–100, the identifier selection), and the sandbox's own limits (one bucket of
 * this account, in the caller's Region, since Macie's inventory is per Region).
 */
import type { CreateClassificationJobCommandInput, S3JobDefinition } from '@aws-sdk/client-macie2';
import { AwsApiError } from './aws-error.js';
import { checkScoping } from './macie-scoping.js';
import { MANAGED_DATA_IDENTIFIER_SELECTORS, type ManagedDataIdentifierSelector } from './macie-world.js';
import type { OperationContext } from './operations.js';
import { bucketRegion, type WorldBucket } from './world.js';

/** A request that passed the checks, with its defaults applied. */
export interface CheckedJobRequest {
  readonly name: string;
  readonly bucketName: string;
  readonly bucket: WorldBucket;
  readonly s3JobDefinition: S3JobDefinition;
  readonly samplingPercentage: number;
  readonly managedDataIdentifierSelector: ManagedDataIdentifierSelector;
}

function invalid(message: string): AwsApiError {
  return new AwsApiError('ValidationException', message);
}

function checkSchedule(input: CreateClassificationJobCommandInput): string {
  if (input.jobType === 'SCHEDULED') throw new Error('sandbox does not model Macie2 SCHEDULED jobs');
  if (input.jobType !== 'ONE_TIME') throw invalid('jobType must be ONE_TIME or SCHEDULED');
  if (input.scheduleFrequency !== undefined) throw invalid('A ONE_TIME job has no scheduleFrequency');
  if (input.name === undefined || input.name === '' || input.name.length > 500) {
    throw invalid('name must hold 1 to 500 characters');
  }
  return input.name;
}

function checkBucket(ctx: OperationContext, definition: S3JobDefinition | undefined) {
  if (definition === undefined) throw invalid('s3JobDefinition is required');
  if (definition.bucketCriteria !== undefined)
    throw new Error('sandbox does not model Macie2 bucketCriteria');
  const definitions = definition.bucketDefinitions ?? [];
  if (definitions.length === 0) throw invalid('s3JobDefinition.bucketDefinitions is required');
  const names = definitions.flatMap((d) => d.buckets ?? []);
  if (definitions.length > 1 || names.length !== 1) {
    throw new Error('sandbox does not model Macie2 jobs over more than one bucket');
  }
  const [account] = definitions;
  if (account?.accountId !== ctx.world.accountId) {
    throw invalid(`The account ${account?.accountId ?? '(none)'} isn't this account or one of its members.`);
  }
  const [bucketName = ''] = names;
  const bucket = ctx.world.buckets[bucketName];
  if (bucket === undefined || bucketRegion(ctx.world, bucket) !== ctx.region) {
    throw invalid(`The S3 bucket ${bucketName} isn't in the Macie inventory for ${ctx.region}.`);
  }
  return { bucketName, bucket };
}

function checkSampling(input: CreateClassificationJobCommandInput): number {
  const percentage = input.samplingPercentage ?? 100;
  if (!Number.isInteger(percentage) || percentage < 1 || percentage > 100) {
    throw invalid('samplingPercentage must be an integer from 1 to 100');
  }
  return percentage;
}

function checkIdentifiers(
  ctx: OperationContext,
  input: CreateClassificationJobCommandInput,
): ManagedDataIdentifierSelector {
  const selector = MANAGED_DATA_IDENTIFIER_SELECTORS.find(
    (s) => s === (input.managedDataIdentifierSelector ?? 'RECOMMENDED'),
  );
  if (selector === undefined) {
    throw invalid(`managedDataIdentifierSelector ${input.managedDataIdentifierSelector} is not valid`);
  }
  const managed = input.managedDataIdentifierIds ?? [];
  if ((selector === 'INCLUDE' || selector === 'EXCLUDE') && managed.length === 0) {
    throw invalid(`managedDataIdentifierIds is required with ${selector}`);
  }
  const custom = input.customDataIdentifierIds ?? [];
  if (selector === 'NONE' && custom.length === 0) {
    throw invalid('A job that uses no managed data identifiers needs customDataIdentifierIds');
  }
  const macie = ctx.world.macie;
  for (const id of custom) {
    if (macie?.customDataIdentifiers[id] === undefined)
      throw invalid(`The custom data identifier ${id} doesn't exist.`);
  }
  for (const id of input.allowListIds ?? []) {
    if (macie?.allowLists[id] === undefined) throw invalid(`The allow list ${id} doesn't exist.`);
  }
  return selector;
}

/**
 * Checks a CreateClassificationJob request.
 *
 * @throws AwsApiError ValidationException as Macie would refuse it.
 * @throws Error "sandbox does not model …" for recurring jobs, bucket criteria, tag terms and
 *   jobs over several buckets.
 */
export function checkJobRequest(
  ctx: OperationContext,
  input: CreateClassificationJobCommandInput,
): CheckedJobRequest {
  const name = checkSchedule(input);
  const { bucketName, bucket } = checkBucket(ctx, input.s3JobDefinition);
  checkScoping(input.s3JobDefinition?.scoping);
  return {
    name,
    bucketName,
    bucket,
    s3JobDefinition: input.s3JobDefinition ?? {},
    samplingPercentage: checkSampling(input),
    managedDataIdentifierSelector: checkIdentifiers(ctx, input),
  };
}
