import {
  AccessDeniedException,
  CreateClassificationJobCommand,
  DescribeClassificationJobCommand,
  type Finding,
  GetFindingsCommand,
  ListFindingsCommand,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-macie2';
import { describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../../local/sandbox/sandbox-account.js';
import { classifyExposure } from '../../../tasks/classify-exposure/classify.js';
import {
  MacieAccessDeniedError,
  MacieJobFailedError,
  MacieNotEnabledError,
  MacieQuotaExceededError,
  MacieThrottledError,
  macieErrorOf,
} from '../../../tasks/scan-with-macie/errors.js';
import { planScan } from '../../../tasks/scan-with-macie/scope.js';
import {
  failedSummary,
  MAX_AFFECTED_KEYS,
  pendingSummary,
  scanProgress,
  skippedSummary,
  summarizeScan,
} from '../../../tasks/scan-with-macie/summary.js';
import { FixedClock } from '../../../tasks/shared/clock.js';
import {
  BucketAccessSnapshotSchema,
  MacieConfigSchema,
  type MacieScope,
  MacieSummarySchema,
} from '../../../tasks/shared/contracts.js';
import { describeMacieSummary } from '../../../tasks/shared/describe.js';
import {
  ALL_USERS,
  acl,
  BUCKET,
  groupGrant,
  OWNER_ACCOUNT,
  privateSnapshot,
} from '../../support/snapshots.js';

const START = '2024-05-14T12:00:00.000Z';
const LATER = '2024-05-14T12:05:00.000Z';
const SCOPE: MacieScope = {
  kind: 'objects',
  prefixes: ['exports/customers.csv'],
  samplingPercentage: 100,
  maxObjectSizeBytes: null,
  widened: false,
  why: 'the 1 affected object(s)',
};
const JOB = {
  jobId: 'job-1',
  status: 'COMPLETE' as const,
  runErrors: false,
  startedAt: START,
  now: LATER,
  incomplete: null,
};
const SCANNED = { objects: 2, bytes: 150, bytesSource: 'estimate' as const };

/** A finding in the shape GetFindings documents, with the counts stated by hand. */
function finding(key: string, over: Partial<Finding> = {}): Finding {
  return {
    id: `f-${key}`,
    type: 'SensitiveData:S3Object/Financial',
    severity: { description: 'High', score: 3 },
    classificationDetails: {
      jobId: 'job-1',
      result: {
        sizeClassified: 100,
        sensitiveData: [
          {
            category: 'FINANCIAL_INFORMATION',
            detections: [
              { type: 'CREDIT_CARD_NUMBER', count: 2 },
              { type: 'CREDIT_CARD_NUMBER_(NO_KEYWORD)', count: 1 },
            ],
            totalCount: 3,
          },
        ],
      },
    },
    resourcesAffected: { s3Bucket: { name: BUCKET }, s3Object: { key, size: 100 } },
    ...over,
  };
}

describe('the summary of a job’s findings', () => {
  it('counts categories and detection types as Macie names them, with the keys and highest severity', () => {
    const credentials = finding('config/app.env', {
      type: 'SensitiveData:S3Object/Multiple',
      severity: { description: 'High', score: 3 },
      classificationDetails: {
        jobId: 'job-1',
        result: {
          sensitiveData: [
            { category: 'CREDENTIALS', detections: [{ type: 'AWS_CREDENTIALS', count: 1 }], totalCount: 1 },
            {
              category: 'PERSONAL_INFORMATION',
              detections: [{ type: 'USA_SOCIAL_SECURITY_NUMBER', count: 4 }],
            },
          ],
          customDataIdentifiers: {
            detections: [{ arn: 'arn:…', name: 'E-mail address', count: 7 }],
            totalCount: 7,
          },
        },
      },
    });
    const summary = summarizeScan({
      scope: SCOPE,
      job: JOB,
      findings: [finding('exports/customers.csv'), credentials],
      scanned: SCANNED,
    });
    expect(summary).toEqual({
      outcome: 'found',
      reason: 'sensitive data found',
      skipReason: null,
      error: null,
      jobId: 'job-1',
      status: 'COMPLETE',
      scope: SCOPE,
      objectsScanned: 2,
      bytesScanned: 150,
      bytesSource: 'estimate',
      categories: { FINANCIAL_INFORMATION: 3, CREDENTIALS: 1, PERSONAL_INFORMATION: 4, CUSTOM_IDENTIFIER: 7 },
      detections: {
        CREDIT_CARD_NUMBER: 2,
        'CREDIT_CARD_NUMBER_(NO_KEYWORD)': 1,
        AWS_CREDENTIALS: 1,
        USA_SOCIAL_SECURITY_NUMBER: 4,
        'E-mail address': 7,
      },
      findingTypes: { 'SensitiveData:S3Object/Financial': 1, 'SensitiveData:S3Object/Multiple': 1 },
      highestSeverity: 'High',
      affectedKeys: ['config/app.env', 'exports/customers.csv'],
      affectedObjects: 2,
      startedAt: START,
      finishedAt: LATER,
    });
    expect(MacieSummarySchema.parse(summary)).toEqual(summary);
  });

  it('takes the highest of the findings’ severities', () => {
    const low = finding('a', { severity: { description: 'Low', score: 1 } });
    const medium = finding('b', { severity: { description: 'Medium', score: 2 } });
    expect(
      summarizeScan({ scope: SCOPE, job: JOB, findings: [low, medium], scanned: SCANNED }).highestSeverity,
    ).toBe('Medium');
  });

  it('says nothing was found, with no severity', () => {
    const summary = summarizeScan({ scope: SCOPE, job: JOB, findings: [], scanned: SCANNED });
    expect(summary).toMatchObject({
      outcome: 'nothingFound',
      highestSeverity: null,
      affectedKeys: [],
      categories: {},
    });
  });

  it('keeps the first affected keys and counts them all', () => {
    const many = Array.from({ length: MAX_AFFECTED_KEYS + 5 }, (_, i) =>
      finding(`k/${String(i).padStart(3, '0')}`),
    );
    const summary = summarizeScan({ scope: SCOPE, job: JOB, findings: many, scanned: SCANNED });
    expect(summary.affectedKeys).toHaveLength(MAX_AFFECTED_KEYS);
    expect(summary.affectedObjects).toBe(MAX_AFFECTED_KEYS + 5);
  });

  it('reports an incomplete scan with what it found so far', () => {
    const job = {
      ...JOB,
      status: 'CANCELLED' as const,
      incomplete: 'the job was cancelled before it finished',
    };
    const summary = summarizeScan({ scope: SCOPE, job, findings: [finding('a')], scanned: SCANNED });
    expect(summary).toMatchObject({
      outcome: 'incomplete',
      reason: 'the job was cancelled before it finished; findings so far are listed',
    });
  });

  it('reports a run with errors that found nothing as a failed job', () => {
    const summary = summarizeScan({
      scope: SCOPE,
      job: { ...JOB, runErrors: true },
      findings: [],
      scanned: SCANNED,
    });
    expect(summary).toMatchObject({ outcome: 'failed', error: 'MacieJobFailedError' });
  });

  it('leaves the bytes source out when no bytes are known', () => {
    const summary = summarizeScan({
      scope: SCOPE,
      job: JOB,
      findings: [],
      scanned: { objects: null, bytes: null, bytesSource: 'estimate' },
    });
    expect(summary.bytesSource).toBeNull();
  });

  it('describes skipped, pending and failed scans in the same shape', () => {
    const skipped = skippedSummary({ kind: 'skip', skipReason: 'writeOnly', reason: 'write-only' });
    const pending = pendingSummary(SCOPE, 'job-1', START);
    const failed = failedSummary(new MacieNotEnabledError('GetMacieSession: AccessDeniedException'), {
      scope: null,
      jobId: null,
      startedAt: null,
      now: LATER,
    });
    for (const summary of [skipped, pending, failed])
      expect(MacieSummarySchema.parse(summary)).toEqual(summary);
    expect(skipped).toMatchObject({ outcome: 'skipped', skipReason: 'writeOnly' });
    expect(pending).toMatchObject({ outcome: 'pending', status: 'RUNNING', jobId: 'job-1' });
    expect(failed).toMatchObject({ outcome: 'failed', error: 'MacieNotEnabledError' });
  });
});

describe('the summary in one line', () => {
  it('names the types, counts, objects, severity and what was scanned', () => {
    const summary = summarizeScan({
      scope: SCOPE,
      job: JOB,
      findings: [finding('exports/customers.csv')],
      scanned: SCANNED,
    });
    expect(describeMacieSummary(summary)).toBe(
      'Macie found CREDIT_CARD_NUMBER ×2, CREDIT_CARD_NUMBER_(NO_KEYWORD) ×1 in 1 object(s) (High); 2 object(s) scanned (150 bytes, estimated from object sizes)',
    );
  });

  it('says when nothing was found, and when the scan was skipped or failed', () => {
    expect(
      describeMacieSummary(
        summarizeScan({
          scope: SCOPE,
          job: JOB,
          findings: [],
          scanned: { ...SCANNED, bytesSource: 'macie' },
        }),
      ),
    ).toBe("Macie found no sensitive data; 2 object(s) scanned (150 bytes, Macie's figure)");
    expect(
      describeMacieSummary(
        skippedSummary({ kind: 'skip', skipReason: 'writeOnly', reason: 'the exposure is write-only' }),
      ),
    ).toBe('Macie scan skipped: the exposure is write-only');
    const failed = failedSummary(
      new MacieQuotaExceededError('CreateClassificationJob: ServiceQuotaExceededException'),
      {
        scope: null,
        jobId: null,
        startedAt: null,
        now: LATER,
      },
    );
    expect(describeMacieSummary(failed)).toBe(
      'Macie scan failed (MacieQuotaExceededError): CreateClassificationJob: ServiceQuotaExceededException',
    );
  });
});

describe('what each job status leads to', () => {
  const config = { deadlineSeconds: 600 };
  const before = { startedAt: START, now: LATER };
  const after = { startedAt: START, now: '2024-05-14T12:10:00.000Z' };

  it.each([
    ['RUNNING', before, 'wait'],
    ['USER_PAUSED', before, 'wait'],
    ['RUNNING', after, 'cancel'],
    ['USER_PAUSED', after, 'cancel'],
    ['COMPLETE', after, 'collect'],
    ['IDLE', before, 'collect'],
    ['CANCELLED', before, 'collect'],
    ['PAUSED', before, 'cancel'],
  ] as const)('%s (%o) → %s', (status, timing, next) => {
    expect(scanProgress(status, timing, config).next).toBe(next);
  });

  it('calls a passed deadline an incomplete scan', () => {
    expect(scanProgress('RUNNING', after, config).incomplete).toBe(
      'the scan did not finish within 600 s (RUNNING): scan incomplete',
    );
  });

  it('names a job paused for the monthly quota', () => {
    expect(scanProgress('PAUSED', before, config).error).toBeInstanceOf(MacieQuotaExceededError);
  });
});

describe('Macie errors, named', () => {
  const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode }, message: 'm' });

  it.each([
    [
      'not enabled',
      new AccessDeniedException({ $metadata: { httpStatusCode: 403 }, message: 'Macie is not enabled' }),
      MacieNotEnabledError,
      false,
    ],
    [
      'access denied',
      new AccessDeniedException({ $metadata: { httpStatusCode: 403 }, message: 'User is not authorized' }),
      MacieAccessDeniedError,
      false,
    ],
    ['quota exceeded', new ServiceQuotaExceededException(metadata(402)), MacieQuotaExceededError, false],
    ['throttled', new ThrottlingException(metadata(429)), MacieThrottledError, true],
    ['refused', new ValidationException(metadata(400)), MacieJobFailedError, false],
  ])('%s', (_name, error, named, retryable) => {
    const mapped = macieErrorOf(error, 'CreateClassificationJob');
    expect(mapped).toBeInstanceOf(named);
    expect(mapped).toMatchObject({ retryable, cause: error });
  });

  it('sets each name as a literal, for ErrorEquals', () => {
    expect(new MacieThrottledError('x').name).toBe('MacieThrottledError');
    expect(new MacieJobFailedError('x').name).toBe('MacieJobFailedError');
  });

  it('leaves an error that is no AWS answer as it is', () => {
    const bug = new TypeError('undefined is not a function');
    expect(macieErrorOf(bug, 'ListFindings')).toBe(bug);
  });
});

describe('scope, sandbox Macie and summary together', () => {
  it('scans the one exposed export of a bucket and reports its card numbers', async () => {
    const card = '4111111111111111';
    const clock = new FixedClock(START);
    const sandbox = SandboxAccount.fromWorld(
      {
        accountId: OWNER_ACCOUNT,
        buckets: {
          [BUCKET]: {
            objects: {
              'exports/customers.csv': { body: `name,card_number\nAda,${card}\n` },
              'exports/orders.csv': { body: 'order,total\n1,10\n' },
              'public/index.html': { body: '<h1>Acme</h1>' },
            },
          },
        },
        macie: { scanSeconds: 120 },
      },
      { clock },
    );
    const macie = sandbox.clients().macie;
    const snapshot = BucketAccessSnapshotSchema.parse(
      privateSnapshot({
        objectKeys: ['exports/customers.csv'],
        objectAcls: { 'exports/customers.csv': acl(groupGrant(ALL_USERS, 'READ')) },
      }),
    );
    const plan = planScan({
      incidentId: 'inc-1',
      accountId: OWNER_ACCOUNT,
      verdict: classifyExposure(snapshot),
      policy: null,
      config: MacieConfigSchema.parse({}),
    });
    if (plan.kind !== 'scan') throw new Error('expected a scan');
    const { jobId = '' } = await macie.send(new CreateClassificationJobCommand(plan.request));
    clock.advance(120_000);
    const job = await macie.send(new DescribeClassificationJobCommand({ jobId }));
    expect(job.jobStatus).toBe('COMPLETE');
    const { findingIds = [] } = await macie.send(
      new ListFindingsCommand({
        findingCriteria: { criterion: { 'classificationDetails.jobId': { eq: [jobId] } } },
      }),
    );
    const { findings = [] } = await macie.send(new GetFindingsCommand({ findingIds }));
    const recorded = sandbox.world.macie?.jobs[0]?.scan;
    const summary = summarizeScan({
      scope: plan.scope,
      job: {
        jobId,
        status: 'COMPLETE',
        runErrors: false,
        startedAt: START,
        now: clock.now().toISOString(),
        incomplete: null,
      },
      findings,
      scanned: {
        objects: recorded?.keys.length ?? null,
        bytes: recorded?.bytes ?? null,
        bytesSource: 'macie',
      },
    });
    expect(recorded?.keys).toEqual(['exports/customers.csv']);
    expect(summary).toMatchObject({
      outcome: 'found',
      categories: { FINANCIAL_INFORMATION: 1 },
      detections: { CREDIT_CARD_NUMBER: 1 },
      findingTypes: { 'SensitiveData:S3Object/Financial': 1 },
      highestSeverity: 'High',
      affectedKeys: ['exports/customers.csv'],
      objectsScanned: 1,
    });
    expect(JSON.stringify(summary)).not.toContain(card);
  });
});
