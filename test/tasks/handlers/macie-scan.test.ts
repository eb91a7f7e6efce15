/**
 * The four tasks of the Macie scan branch on mocked AWS clients: what each sends Macie (and S3),
 * what it records as `incident.macie`, and what it tells the state machine next. The scenarios
 * through the real ASL and the sandbox's Macie are in test/workflow/macie.test.ts.
 */
import {
  AccessDeniedException,
  CreateClassificationJobCommand,
  DescribeClassificationJobCommand,
  type Finding,
  GetFindingsCommand,
  ListFindingsCommand,
  ThrottlingException,
  UpdateClassificationJobCommand,
  ValidationException,
} from '@aws-sdk/client-macie2';
import { GetBucketPolicyCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkMacieScan } from '../../../tasks/check-macie-scan/handler.js';
import { normalizeEvent } from '../../../tasks/normalize-event/handler.js';
import { recordScanFailure } from '../../../tasks/record-scan-failure/handler.js';
import { clientTokenOf } from '../../../tasks/scan-with-macie/scope.js';
import { pendingSummary } from '../../../tasks/scan-with-macie/summary.js';
import {
  type MacieScope,
  type MacieSummary,
  type ScanState,
  type WorkflowState,
  WorkflowStateSchema,
} from '../../../tasks/shared/contracts.js';
import { startMacieScan } from '../../../tasks/start-macie-scan/handler.js';
import { summarizeMacieScan } from '../../../tasks/summarize-macie-scan/handler.js';
import { INCIDENT_BUCKET, INCIDENT_ID, makeIncident, objectAclVerdict } from '../../support/incidents.js';
import { storeIncident } from '../../support/store.js';
import { ACCOUNT_ID, executionArn, makeDeps, RECIPIENT, START, s3Error, type TestDeps } from './support.js';

const [Q3, Q4] = ['reports/q3.csv', 'reports/q4.csv'] as const;
const KEYS = [Q3, Q4];
const JOB_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const SCOPE: MacieScope = {
  kind: 'objects',
  prefixes: KEYS,
  samplingPercentage: 100,
  maxObjectSizeBytes: null,
  widened: false,
  why: 'the 2 affected object(s)',
};

let deps: TestDeps;

beforeEach(async () => {
  deps = await makeDeps();
  // Notify mode, no finding written: these tests look at Macie, the store and the messages.
  await storeIncident(
    deps.store,
    makeIncident({ mode: 'notify', verdict: objectAclVerdict(KEYS), findingId: null }),
  );
  deps.mocks.ses.on(SendEmailCommand).resolves({ MessageId: 'message-1' });
});

/** The state a scan execution starts with (NormalizeEvent of `{ macieScan }`), changed as asked. */
async function scanState(scan: Partial<ScanState> = {}, region = 'us-east-1'): Promise<WorkflowState> {
  const event = {
    macieScan: { incidentId: INCIDENT_ID, accountId: ACCOUNT_ID, bucket: INCIDENT_BUCKET, region },
  };
  const state = WorkflowStateSchema.parse(
    await normalizeEvent({ event, executionId: executionArn('macie-test') }, deps),
  );
  if (!state.scan) throw new Error('NormalizeEvent made no scan');
  return { ...state, scan: { ...state.scan, ...scan } };
}

/** The state once the job runs, as StartMacieScan leaves it. */
function runningScan(): Promise<WorkflowState> {
  return scanState({ next: 'wait', jobId: JOB_ID, startedAt: START, scope: SCOPE, status: 'RUNNING' });
}

async function recorded(): Promise<MacieSummary | null> {
  return (await deps.store.getIncident(INCIDENT_ID))?.macie ?? null;
}

function macieError<T>(Kind: new (options: never) => T, message: string, httpStatusCode: number): T {
  return new Kind({ message, $metadata: { httpStatusCode } } as never);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('StartMacieScan', () => {
  beforeEach(() => {
    deps.mocks.s3.on(GetBucketPolicyCommand).rejects(s3Error('NoSuchBucketPolicy'));
    deps.mocks.s3.on(ListObjectsV2Command).resolves({ KeyCount: 1, Contents: [{ Key: Q3 }] });
    deps.mocks.macie.on(CreateClassificationJobCommand).resolves({ jobId: JOB_ID });
  });

  it("starts one ONE_TIME job over the affected keys, with Macie of the bucket's Region, and records it pending", async () => {
    const next = WorkflowStateSchema.parse(await startMacieScan(await scanState({}, 'eu-west-1'), deps));

    expect(deps.clientsFor).toHaveBeenCalledWith('eu-west-1');
    expect(next.scan).toMatchObject({ next: 'wait', jobId: JOB_ID, startedAt: START, status: 'RUNNING' });
    expect(next.scan?.scope).toMatchObject({ kind: 'objects', prefixes: KEYS, samplingPercentage: 100 });
    const [call] = deps.mocks.macie.commandCalls(CreateClassificationJobCommand);
    expect(call?.args[0].input).toMatchObject({
      clientToken: clientTokenOf(INCIDENT_ID, next.scan?.scope as MacieScope),
      jobType: 'ONE_TIME',
      samplingPercentage: 100,
      s3JobDefinition: {
        bucketDefinitions: [{ accountId: ACCOUNT_ID, buckets: [INCIDENT_BUCKET] }],
        scoping: {
          includes: {
            and: [{ simpleScopeTerm: { key: 'OBJECT_KEY', comparator: 'STARTS_WITH', values: KEYS } }],
          },
        },
      },
    });
    expect(await recorded()).toMatchObject({ outcome: 'pending', jobId: JOB_ID, status: 'RUNNING' });
  });

  it('sends the same client token when it runs again, so Macie answers with the job it started', async () => {
    const state = await scanState();
    await startMacieScan(state, deps);
    await startMacieScan(state, deps);

    const tokens = deps.mocks.macie
      .commandCalls(CreateClassificationJobCommand)
      .map((c) => c.args[0].input.clientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toBe(tokens[0]);
  });

  it('skips an empty bucket, recording why, without a job', async () => {
    deps.mocks.s3.on(ListObjectsV2Command).resolves({ KeyCount: 0, Contents: [] });

    const next = WorkflowStateSchema.parse(await startMacieScan(await scanState(), deps));

    expect(next.scan?.next).toBe('done');
    expect(deps.mocks.macie.commandCalls(CreateClassificationJobCommand)).toEqual([]);
    expect(await recorded()).toMatchObject({ outcome: 'skipped', skipReason: 'emptyBucket', jobId: null });
  });

  it('skips a bucket that no longer exists', async () => {
    deps.mocks.s3.on(GetBucketPolicyCommand).rejects(s3Error('NoSuchBucket'));
    deps.mocks.s3.on(ListObjectsV2Command).rejects(s3Error('NoSuchBucket'));

    const next = WorkflowStateSchema.parse(await startMacieScan(await scanState(), deps));

    expect(next.scan?.next).toBe('done');
    expect(await recorded()).toMatchObject({ outcome: 'skipped', skipReason: 'bucketGone' });
  });

  it('throws MacieThrottledError, for the Retry, when Macie throttles, and records nothing yet', async () => {
    deps.mocks.macie
      .on(CreateClassificationJobCommand)
      .rejects(macieError(ThrottlingException, 'Rate exceeded', 429));

    const error = await rejection(startMacieScan(await scanState(), deps));

    expect(error.name).toBe('MacieThrottledError');
    expect(await recorded()).toBeNull();
  });

  it('records "Macie is not enabled" as MacieNotEnabledError and ends the scan', async () => {
    deps.mocks.macie
      .on(CreateClassificationJobCommand)
      .rejects(macieError(AccessDeniedException, 'Macie is not enabled', 403));

    const next = WorkflowStateSchema.parse(await startMacieScan(await scanState(), deps));

    expect(next.scan).toMatchObject({ next: 'done', error: 'MacieNotEnabledError' });
    expect(await recorded()).toMatchObject({
      outcome: 'failed',
      error: 'MacieNotEnabledError',
      scope: { kind: 'objects' },
    });
  });

  it('records any other AccessDeniedException as MacieAccessDeniedError', async () => {
    deps.mocks.macie
      .on(CreateClassificationJobCommand)
      .rejects(
        macieError(AccessDeniedException, 'not authorized to perform macie2:CreateClassificationJob', 403),
      );

    await startMacieScan(await scanState(), deps);

    expect(await recorded()).toMatchObject({ outcome: 'failed', error: 'MacieAccessDeniedError' });
  });
});

describe('CheckMacieScan', () => {
  it('RUNNING before the deadline: look again later, nothing cancelled', async () => {
    deps.mocks.macie.on(DescribeClassificationJobCommand).resolves({ jobStatus: 'RUNNING' });

    const next = WorkflowStateSchema.parse(await checkMacieScan(await runningScan(), deps));

    expect(next.scan).toMatchObject({ next: 'wait', status: 'RUNNING', checks: 1, incomplete: null });
    expect(deps.mocks.macie.commandCalls(DescribeClassificationJobCommand)[0]?.args[0].input).toEqual({
      jobId: JOB_ID,
    });
    expect(deps.mocks.macie.commandCalls(UpdateClassificationJobCommand)).toEqual([]);
  });

  it.each(['RUNNING', 'USER_PAUSED'] as const)(
    '%s at the deadline: cancels the job and collects it as incomplete',
    async (status) => {
      deps.mocks.macie.on(DescribeClassificationJobCommand).resolves({ jobStatus: status });
      deps.mocks.macie.on(UpdateClassificationJobCommand).resolves({});
      deps.clock.advance(deps.config.macie.deadlineSeconds * 1000);

      const next = WorkflowStateSchema.parse(await checkMacieScan(await runningScan(), deps));

      expect(next.scan).toMatchObject({ next: 'collect', status, error: null });
      expect(next.scan?.incomplete).toContain(`did not finish within ${deps.config.macie.deadlineSeconds} s`);
      expect(deps.mocks.macie.commandCalls(UpdateClassificationJobCommand)[0]?.args[0].input).toEqual({
        jobId: JOB_ID,
        jobStatus: 'CANCELLED',
      });
    },
  );

  it('PAUSED (the monthly quota): cancels the job, collects it as incomplete, names MacieQuotaExceededError', async () => {
    deps.mocks.macie.on(DescribeClassificationJobCommand).resolves({ jobStatus: 'PAUSED' });
    deps.mocks.macie.on(UpdateClassificationJobCommand).resolves({});

    const next = WorkflowStateSchema.parse(await checkMacieScan(await runningScan(), deps));

    expect(next.scan).toMatchObject({ next: 'collect', status: 'PAUSED', error: 'MacieQuotaExceededError' });
    expect(deps.mocks.macie.commandCalls(UpdateClassificationJobCommand)).toHaveLength(1);
  });

  it('collects a job that ended before it could be cancelled (ValidationException)', async () => {
    deps.mocks.macie.on(DescribeClassificationJobCommand).resolves({ jobStatus: 'PAUSED' });
    deps.mocks.macie
      .on(UpdateClassificationJobCommand)
      .rejects(macieError(ValidationException, "The job's status can't be changed", 400));

    const next = WorkflowStateSchema.parse(await checkMacieScan(await runningScan(), deps));

    expect(next.scan?.next).toBe('collect');
    expect(await recorded()).toBeNull();
  });

  it('COMPLETE with lastRunErrorStatus ERROR: collects, keeping that some objects could not be read', async () => {
    deps.mocks.macie
      .on(DescribeClassificationJobCommand)
      .resolves({ jobStatus: 'COMPLETE', lastRunErrorStatus: { code: 'ERROR' } });

    const next = WorkflowStateSchema.parse(await checkMacieScan(await runningScan(), deps));

    expect(next.scan).toMatchObject({
      next: 'collect',
      status: 'COMPLETE',
      runErrors: true,
      incomplete: null,
    });
    expect(deps.mocks.macie.commandCalls(UpdateClassificationJobCommand)).toEqual([]);
  });

  it('records a refused DescribeClassificationJob and ends the scan, keeping the job id', async () => {
    deps.mocks.macie
      .on(DescribeClassificationJobCommand)
      .rejects(macieError(AccessDeniedException, 'not authorized', 403));

    const next = WorkflowStateSchema.parse(await checkMacieScan(await runningScan(), deps));

    expect(next.scan?.next).toBe('done');
    expect(await recorded()).toMatchObject({
      outcome: 'failed',
      error: 'MacieAccessDeniedError',
      jobId: JOB_ID,
    });
  });
});

/** A Macie finding of `count` card numbers in `key`, with only what the summary reads. */
function cardFinding(id: string, key: string, count = 1): Finding {
  return {
    id,
    type: 'SensitiveData:S3Object/Financial',
    severity: { description: 'High', score: 3 },
    classificationDetails: {
      jobId: JOB_ID,
      result: {
        sensitiveData: [
          { category: 'FINANCIAL_INFORMATION', detections: [{ type: 'CREDIT_CARD_NUMBER', count }] },
        ],
      },
    },
    resourcesAffected: { s3Bucket: { name: INCIDENT_BUCKET }, s3Object: { key } },
  };
}

describe('SummarizeMacieScan', () => {
  async function collecting(scan: Partial<ScanState> = {}): Promise<WorkflowState> {
    const state = await runningScan();
    return { ...state, scan: { ...(state.scan as ScanState), next: 'collect', status: 'COMPLETE', ...scan } };
  }

  beforeEach(() => {
    deps.mocks.s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: Q3, Size: 100 },
        { Key: Q4, Size: 50 },
      ],
    });
    deps.mocks.macie.on(ListFindingsCommand).resolves({ findingIds: [] });
  });

  it('lists the findings of its job page by page, gets them 50 at a time, and summarizes them', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `finding-${i}`);
    deps.mocks.macie
      .on(ListFindingsCommand)
      .resolvesOnce({ findingIds: ids.slice(0, 70), nextToken: 'page-2' })
      .resolvesOnce({ findingIds: ids.slice(70) });
    deps.mocks.macie.on(GetFindingsCommand).callsFake((input: { findingIds: string[] }) => ({
      findings: input.findingIds.map((id) => cardFinding(id, id === 'finding-0' ? Q3 : Q4, 2)),
    }));

    const next = WorkflowStateSchema.parse(await summarizeMacieScan(await collecting(), deps));

    expect(next.scan?.next).toBe('done');
    const lists = deps.mocks.macie.commandCalls(ListFindingsCommand).map((c) => c.args[0].input);
    expect(lists).toEqual([
      { findingCriteria: { criterion: { 'classificationDetails.jobId': { eq: [JOB_ID] } } } },
      {
        findingCriteria: { criterion: { 'classificationDetails.jobId': { eq: [JOB_ID] } } },
        nextToken: 'page-2',
      },
    ]);
    const gets = deps.mocks.macie.commandCalls(GetFindingsCommand).map((c) => c.args[0].input.findingIds);
    expect(gets.map((batch) => batch?.length)).toEqual([50, 50, 20]);
    expect(gets.flat()).toEqual(ids);
    expect(await recorded()).toMatchObject({
      outcome: 'found',
      jobId: JOB_ID,
      categories: { FINANCIAL_INFORMATION: 240 },
      detections: { CREDIT_CARD_NUMBER: 240 },
      findingTypes: { 'SensitiveData:S3Object/Financial': 120 },
      affectedKeys: KEYS,
      affectedObjects: 2,
      highestSeverity: 'High',
      objectsScanned: 2,
      bytesScanned: 150,
      bytesSource: 'estimate',
    });
    const [email] = deps.mocks.ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input);
    expect(email?.Destination?.ToAddresses).toEqual([RECIPIENT]);
    expect(email?.Content?.Simple?.Subject?.Data).toBe(
      `[CRITICAL] Sensitive data in exposed S3 bucket ${INCIDENT_BUCKET}`,
    );
  });

  it('still records the summary when the objects cannot be listed for the estimate', async () => {
    deps.mocks.s3.on(ListObjectsV2Command).rejects(s3Error('AccessDenied', 403));

    await summarizeMacieScan(await collecting(), deps);

    expect(await recorded()).toMatchObject({
      outcome: 'nothingFound',
      objectsScanned: null,
      bytesScanned: null,
      bytesSource: null,
    });
  });

  it('sends no follow-up when nothing was found', async () => {
    await summarizeMacieScan(await collecting(), deps);

    expect(await recorded()).toMatchObject({ outcome: 'nothingFound' });
    expect(deps.mocks.ses.commandCalls(SendEmailCommand)).toEqual([]);
  });

  it('records the named failure met on the way (PAUSED for the quota) with the incomplete scan', async () => {
    const state = await collecting({
      status: 'PAUSED',
      incomplete: "Macie paused the job: the account's monthly sensitive data discovery quota is used up",
      error: 'MacieQuotaExceededError',
    });

    await summarizeMacieScan(state, deps);

    expect(await recorded()).toMatchObject({
      outcome: 'incomplete',
      status: 'PAUSED',
      error: 'MacieQuotaExceededError',
    });
  });
});

describe('RecordScanFailure', () => {
  async function failedWith(
    error: string,
    cause: string,
    scan: Partial<ScanState> = {},
  ): Promise<WorkflowState> {
    const state = await runningScan();
    return {
      ...state,
      scan: { ...(state.scan as ScanState), ...scan },
      error: { Error: error, Cause: JSON.stringify({ errorType: error, errorMessage: cause }) },
    };
  }

  it('keeps the name of a Macie failure that outlasted the retries', async () => {
    const next = WorkflowStateSchema.parse(
      await recordScanFailure(
        await failedWith('MacieThrottledError', 'ListFindings: ThrottlingException'),
        deps,
      ),
    );

    expect(next.scan).toMatchObject({ next: 'done', error: 'MacieThrottledError' });
    const summary = await recorded();
    expect(summary).toMatchObject({
      outcome: 'failed',
      error: 'MacieThrottledError',
      jobId: JOB_ID,
      scope: SCOPE,
    });
    expect(summary?.reason).toContain('ListFindings: ThrottlingException');
  });

  it('records any other failure as MacieJobFailedError, naming it', async () => {
    await recordScanFailure(await failedWith('AwsTransientError', 'S3 SlowDown'), deps);

    const summary = await recorded();
    expect(summary).toMatchObject({ outcome: 'failed', error: 'MacieJobFailedError' });
    expect(summary?.reason).toMatch(/^the scan could not go on \(AwsTransientError\): .*S3 SlowDown/);
  });

  it('replaces the pending summary of the job', async () => {
    await deps.store.putMacieSummary(INCIDENT_ID, pendingSummary(SCOPE, JOB_ID, START));

    await recordScanFailure(await failedWith('MacieThrottledError', 'DescribeClassificationJob'), deps);

    expect(await recorded()).toMatchObject({ outcome: 'failed', jobId: JOB_ID });
  });

  it("keeps the job's result when a step after it failed, adding the failure to its reason", async () => {
    deps.mocks.macie.on(ListFindingsCommand).resolves({ findingIds: ['finding-0'] });
    deps.mocks.macie.on(GetFindingsCommand).resolves({ findings: [cardFinding('finding-0', Q3)] });
    deps.mocks.s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: Q3, Size: 100 }] });
    const state = await runningScan();
    await summarizeMacieScan({ ...state, scan: { ...(state.scan as ScanState), next: 'collect' } }, deps);
    expect(await recorded()).toMatchObject({ outcome: 'found' });

    await recordScanFailure(await failedWith('AwsTransientError', 'SES throttled the follow-up'), deps);

    const summary = await recorded();
    expect(summary).toMatchObject({ outcome: 'found', error: null, affectedKeys: [Q3] });
    expect(summary?.reason).toMatch(
      /^sensitive data found; after the result was recorded, a later step failed \(AwsTransientError\): .*SES throttled/,
    );
  });

  it("replaces another job's result (a new scope is a new scan)", async () => {
    await deps.store.putMacieSummary(INCIDENT_ID, {
      ...pendingSummary(SCOPE, 'an-earlier-job', START),
      outcome: 'nothingFound',
      status: 'COMPLETE',
    });

    await recordScanFailure(await failedWith('MacieThrottledError', 'CreateClassificationJob'), deps);

    expect(await recorded()).toMatchObject({ outcome: 'failed', jobId: JOB_ID });
  });
});
