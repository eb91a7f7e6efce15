/**
 * Amazon Macie (macie2): the one-time classification jobs the workflow starts over the world's
 * buckets and objects, their status over the sandbox clock, and their sensitive data findings.
 * An account without Macie answers every call with AccessDeniedException "Macie is not enabled",
 * as Macie does. Settings that shape a run (scanSeconds, jobOutcome, lastRunError) are in the
 * world's `macie` field (macie-world.ts).
 */
import type {
  CreateClassificationJobCommandInput,
  CreateClassificationJobCommandOutput,
  DescribeClassificationJobCommandInput,
  DescribeClassificationJobCommandOutput,
  GetFindingsCommandInput,
  GetFindingsCommandOutput,
  GetMacieSessionCommandOutput,
  ListFindingsCommandInput,
  ListFindingsCommandOutput,
  UpdateClassificationJobCommandInput,
  UpdateClassificationJobCommandOutput,
} from '@aws-sdk/client-macie2';
import { AwsApiError } from './aws-error.js';
import { checkJobRequest } from './macie-request.js';
import { advanceJobs, macieState, selectObjects } from './macie-run.js';
import type { MacieFinding, MacieJob } from './macie-world.js';
import { type Answer, type OperationContext, type OperationTable, operation } from './operations.js';

/** Macie refuses every call of an account where it is not enabled, with this error. */
function requireEnabled(ctx: OperationContext): void {
  if (ctx.world.services.macie === 'disabled') {
    throw new AwsApiError('AccessDeniedException', 'Macie is not enabled');
  }
}

/** Checks that Macie is on and brings every job up to the sandbox clock. */
function begin(ctx: OperationContext): void {
  requireEnabled(ctx);
  advanceJobs(ctx);
}

function invalid(message: string): AwsApiError {
  return new AwsApiError('ValidationException', message);
}

function jobOf(ctx: OperationContext, jobId: string | undefined): MacieJob {
  const job = ctx.world.macie?.jobs.find((j) => j.jobId === jobId);
  if (job === undefined) {
    throw new AwsApiError(
      'ResourceNotFoundException',
      `The classification job ${jobId ?? ''} doesn't exist.`,
    );
  }
  return job;
}

// ---- CreateClassificationJob -------------------------------------------------------------

const createClassificationJob = operation(
  (input: CreateClassificationJobCommandInput, ctx): Answer<CreateClassificationJobCommandOutput> => {
    begin(ctx);
    const macie = macieState(ctx);
    // The same client token answers with the job it created first, as Macie's idempotency does.
    const earlier = macie.jobs.find(
      (job) => input.clientToken !== undefined && job.clientToken === input.clientToken,
    );
    if (earlier !== undefined) return { jobArn: earlier.jobArn, jobId: earlier.jobId };
    const request = checkJobRequest(ctx, input);
    const jobId = ctx.newId().replace(/-/g, '');
    const createdAt = ctx.now.toISOString();
    const endsAt = new Date(ctx.now.getTime() + macie.scanSeconds * 1000).toISOString();
    const job: MacieJob = {
      jobId,
      jobArn: `arn:aws:macie2:${ctx.region}:${ctx.world.accountId}:classification-job/${jobId}`,
      name: request.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      clientToken: input.clientToken ?? ctx.newId(),
      createdAt,
      jobStatus: 'RUNNING',
      runsUntil: macie.jobOutcome === 'RUNNING' ? null : endsAt,
      endStatus: macie.jobOutcome,
      lastRunError: macie.lastRunError,
      s3JobDefinition: { ...structuredClone(request.s3JobDefinition) },
      samplingPercentage: request.samplingPercentage,
      managedDataIdentifierSelector: request.managedDataIdentifierSelector,
      managedDataIdentifierIds: input.managedDataIdentifierIds ?? [],
      customDataIdentifierIds: input.customDataIdentifierIds ?? [],
      allowListIds: input.allowListIds ?? [],
      scan: selectObjects(
        request.bucketName,
        request.bucket,
        input.s3JobDefinition?.scoping,
        request.samplingPercentage,
        jobId,
      ),
    };
    macie.jobs.push(job);
    return { jobArn: job.jobArn, jobId };
  },
);

// ---- DescribeClassificationJob -----------------------------------------------------------

/** Paused jobs expire 30 days after they were paused (userPausedDetails). */
const PAUSE_EXPIRY_MS = 30 * 24 * 3600 * 1000;

const describeClassificationJob = operation(
  (input: DescribeClassificationJobCommandInput, ctx): Answer<DescribeClassificationJobCommandOutput> => {
    begin(ctx);
    const job = jobOf(ctx, input.jobId);
    const pending = ['RUNNING', 'PAUSED', 'USER_PAUSED'].includes(job.jobStatus);
    const pausedAt = job.userPausedAt;
    return {
      allowListIds: job.allowListIds,
      clientToken: job.clientToken,
      createdAt: new Date(job.createdAt),
      customDataIdentifierIds: job.customDataIdentifierIds,
      ...(job.description !== undefined ? { description: job.description } : {}),
      initialRun: false,
      jobArn: job.jobArn,
      jobId: job.jobId,
      jobStatus: job.jobStatus,
      jobType: 'ONE_TIME',
      // Errors are known once the run is over.
      lastRunErrorStatus: { code: job.lastRunError && job.jobStatus !== 'RUNNING' ? 'ERROR' : 'NONE' },
      lastRunTime: new Date(job.createdAt),
      managedDataIdentifierIds: job.managedDataIdentifierIds,
      managedDataIdentifierSelector: job.managedDataIdentifierSelector,
      name: job.name,
      s3JobDefinition: structuredClone(job.s3JobDefinition),
      samplingPercentage: job.samplingPercentage,
      statistics: {
        approximateNumberOfObjectsToProcess: pending ? job.scan.keys.length : 0,
        numberOfRuns: 1,
      },
      tags: {},
      ...(job.jobStatus === 'USER_PAUSED' && pausedAt !== undefined
        ? {
            userPausedDetails: {
              jobPausedAt: new Date(pausedAt),
              jobExpiresAt: new Date(Date.parse(pausedAt) + PAUSE_EXPIRY_MS),
            },
          }
        : {}),
    };
  },
);

// ---- UpdateClassificationJob -------------------------------------------------------------

const FINAL = new Set(['COMPLETE', 'CANCELLED']);

const updateClassificationJob = operation(
  (input: UpdateClassificationJobCommandInput, ctx): Answer<UpdateClassificationJobCommandOutput> => {
    begin(ctx);
    const job = jobOf(ctx, input.jobId);
    const wanted = input.jobStatus;
    if (wanted !== 'CANCELLED' && wanted !== 'USER_PAUSED' && wanted !== 'RUNNING') {
      throw invalid('jobStatus must be CANCELLED, RUNNING or USER_PAUSED');
    }
    if (FINAL.has(job.jobStatus)) {
      throw invalid(`The job's status can't be changed: it is ${job.jobStatus}.`);
    }
    if (wanted === 'USER_PAUSED' && job.jobStatus !== 'RUNNING')
      throw invalid('Only a running job can be paused.');
    if (wanted === 'RUNNING' && job.jobStatus !== 'USER_PAUSED')
      throw invalid('Only a paused job can be resumed.');
    if (wanted === 'CANCELLED') job.runsUntil = null;
    if (wanted === 'USER_PAUSED') job.userPausedAt = ctx.now.toISOString();
    if (wanted === 'RUNNING') {
      delete job.userPausedAt;
      // A resumed job ends at its planned time, or at once when that has passed.
      if (job.runsUntil !== null && Date.parse(job.runsUntil) < ctx.now.getTime())
        job.runsUntil = ctx.now.toISOString();
    }
    job.jobStatus = wanted;
    return {};
  },
);

// ---- ListFindings and GetFindings --------------------------------------------------------

/** The finding fields ListFindings may filter on here, and their value in a finding. */
const CRITERIA: Readonly<Record<string, (finding: MacieFinding) => string>> = {
  'classificationDetails.jobId': (f) => f.classificationDetails.jobId,
  'resourcesAffected.s3Bucket.name': (f) => f.resourcesAffected.s3Bucket.name,
  type: (f) => String(f.type),
  'severity.description': (f) =>
    typeof f.severity === 'object' && f.severity !== null && 'description' in f.severity
      ? String(f.severity.description)
      : '',
};

type Criteria = NonNullable<NonNullable<ListFindingsCommandInput['findingCriteria']>['criterion']>;

function matcher(criteria: Criteria): (finding: MacieFinding) => boolean {
  const checks = Object.entries(criteria).map(([field, condition]) => {
    const read = CRITERIA[field];
    const operators = Object.keys(condition).filter((k) => k === 'eq' || k === 'neq');
    if (read === undefined || operators.length !== Object.keys(condition).length) {
      throw new Error(
        `sandbox does not model Macie2.ListFindings criterion ${field} ${Object.keys(condition).join(',')}`,
      );
    }
    return (finding: MacieFinding) =>
      (condition.eq === undefined || condition.eq.includes(read(finding))) &&
      (condition.neq === undefined || !condition.neq.includes(read(finding)));
  });
  return (finding) => checks.every((check) => check(finding));
}

/** At most this many items per page (ListFindings) and ids per call (GetFindings). */
const PAGE = 50;

function pageStart(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  const start = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
  if (!Number.isInteger(start) || start < 0) throw invalid('The nextToken is invalid');
  return start;
}

const listFindings = operation((input: ListFindingsCommandInput, ctx): Answer<ListFindingsCommandOutput> => {
  begin(ctx);
  const matching = (ctx.world.macie?.findings ?? []).filter(matcher(input.findingCriteria?.criterion ?? {}));
  const start = pageStart(input.nextToken);
  const end = start + Math.min(Math.max(input.maxResults ?? PAGE, 1), PAGE);
  return {
    findingIds: matching.slice(start, end).map((finding) => finding.id),
    ...(end < matching.length ? { nextToken: Buffer.from(String(end), 'utf8').toString('base64url') } : {}),
  };
});

/** A stored finding as the SDK returns it: dates as Date objects. */
function asOutput(finding: MacieFinding): NonNullable<GetFindingsCommandOutput['findings']>[number] {
  const copy = structuredClone(finding);
  const object = copy.resourcesAffected.s3Object;
  if (typeof object === 'object' && object !== null && 'lastModified' in object) {
    Object.assign(object, { lastModified: new Date(String(object.lastModified)) });
  }
  return { ...copy, createdAt: new Date(finding.createdAt), updatedAt: new Date(finding.updatedAt) };
}

const getFindings = operation((input: GetFindingsCommandInput, ctx): Answer<GetFindingsCommandOutput> => {
  begin(ctx);
  const ids = input.findingIds ?? [];
  if (ids.length === 0 || ids.length > PAGE) throw invalid(`findingIds must list 1 to ${PAGE} finding ids`);
  // Unknown ids are left out of the answer, not refused.
  const findings = (ctx.world.macie?.findings ?? []).filter((finding) => ids.includes(finding.id));
  return { findings: findings.map(asOutput) };
});

// ---- GetMacieSession ---------------------------------------------------------------------

/** The cheapest "is Macie on here" call: it fails with AccessDeniedException where it is not. */
const getMacieSession = operation((_input: object, ctx): Answer<GetMacieSessionCommandOutput> => {
  requireEnabled(ctx);
  return {
    findingPublishingFrequency: 'FIFTEEN_MINUTES',
    serviceRole: `arn:aws:iam::${ctx.world.accountId}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie`,
    status: 'ENABLED',
  };
});

/** Macie operations by command name. */
export const MACIE_OPERATIONS: OperationTable = {
  CreateClassificationJob: createClassificationJob,
  DescribeClassificationJob: describeClassificationJob,
  UpdateClassificationJob: updateClassificationJob,
  ListFindings: listFindings,
  GetFindings: getFindings,
  GetMacieSession: getMacieSession,
};
