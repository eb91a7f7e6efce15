import { BatchImportFindingsCommand } from '@aws-sdk/client-securityhub';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { beforeEach, describe, expect, it } from 'vitest';
import { reportFailure } from '../../../tasks/report-failure/handler.js';
import type { WorkflowState } from '../../../tasks/shared/contracts.js';
import { INCIDENT_ID, makeIncident } from '../../support/incidents.js';
import { bucketRef } from '../../support/store.js';
import {
  ACCOUNT_ID,
  EXECUTION_A,
  EXECUTION_B,
  makeDeps,
  OPERATOR,
  RECIPIENT,
  readEvent,
  registeredState,
  type TestDeps,
} from './support.js';

const BUCKET = 'acme-public-assets';
const FAILURE_FINDING_ID = `s3-exposure-responder/us-east-1/${ACCOUNT_ID}/failure/${EXECUTION_A}`;
const ERROR = {
  Error: 'States.TaskFailed',
  Cause: '{"errorType":"Error","errorMessage":"the classifier broke","trace":["at classify"]}',
};

let deps: TestDeps;
let state: WorkflowState;

beforeEach(async () => {
  deps = await makeDeps();
  state = { ...(await registeredState('put-bucket-policy-public.json', deps)), error: ERROR };
  deps.mocks.securityHub
    .on(BatchImportFindingsCommand)
    .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
  deps.mocks.ses.on(SendEmailCommand).resolves({ MessageId: 'message-1' });
});

function sentFindings() {
  return deps.mocks.securityHub
    .commandCalls(BatchImportFindingsCommand)
    .flatMap((call) => call.args[0].input.Findings ?? []);
}

function sentEmails() {
  return deps.mocks.ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input);
}

function throttled(): Error {
  const error = new Error('Rate exceeded');
  error.name = 'TooManyRequestsException';
  return error;
}

async function report(failed: unknown = state) {
  return reportFailure({ executionId: EXECUTION_A, state: failed }, deps);
}

describe('reportFailure', () => {
  it('writes a HIGH failure finding for the execution, naming the bucket', async () => {
    await report();

    expect(sentFindings()).toEqual([
      expect.objectContaining({
        Id: FAILURE_FINDING_ID,
        Severity: { Label: 'HIGH', Original: 'HIGH' },
        Types: ['Software and Configuration Checks/S3 Exposure Responder/Execution Failed'],
        Title: `S3 exposure responder failed: States.TaskFailed (bucket ${BUCKET})`,
        Resources: [
          expect.objectContaining({ Type: 'Other', Id: EXECUTION_A }),
          expect.objectContaining({ Type: 'AwsS3Bucket', Id: `arn:aws:s3:::${BUCKET}` }),
        ],
      }),
    ]);
  });

  it('emails the SOC and the operators about a bucket that may be public, with the cause summarised and no trace', async () => {
    await report();

    const emails = sentEmails();
    expect(emails).toEqual([
      expect.objectContaining({ Destination: { ToAddresses: [RECIPIENT, OPERATOR] } }),
    ]);
    const text = emails[0]?.Content?.Simple?.Body?.Text?.Data ?? '';
    expect(text).toContain('the classifier broke');
    expect(text).not.toContain('at classify');
  });

  it('records a bucket it failed on before any incident as could not be assessed, response FAILED', async () => {
    await report();

    const [incident] = await deps.store.listIncidents();
    expect(incident).toMatchObject({
      bucket: BUCKET,
      status: 'OPEN',
      response: 'FAILED',
      executionId: EXECUTION_A,
      verdict: {
        severity: 'MEDIUM',
        effectivelyPublic: false,
        unknown: [expect.objectContaining({ part: 'bucket' })],
      },
      events: [expect.objectContaining({ eventName: 'PutBucketPolicy' })],
    });
  });

  it("marks this execution's open incident FAILED", async () => {
    await deps.store.putIncident(makeIncident({ bucket: BUCKET, executionId: EXECUTION_A }));

    await report();

    const saved = await deps.store.getIncident(INCIDENT_ID);
    expect(saved?.response).toBe('FAILED');
    expect(saved?.history.at(-1)).toEqual({
      at: '2024-05-14T11:00:00.000Z',
      what: 'response failed: States.TaskFailed',
    });
  });

  it('leaves an incident held by another execution as it is', async () => {
    await deps.store.putIncident(makeIncident({ bucket: BUCKET, executionId: EXECUTION_B }));

    await report();

    expect((await deps.store.getIncident(INCIDENT_ID))?.response).toBe('PENDING');
  });

  it('gives up the lease, so the next event for the bucket takes it at once with the waiting events', async () => {
    await report();

    const next = await registeredState('put-bucket-public-access-block.json', deps, {
      executionId: EXECUTION_B,
    });

    expect(next.registration).toEqual({ role: 'owner', holder: null });
    expect((await deps.store.getLease(bucketRef(BUCKET)))?.pending.map((e) => e.eventID)).toEqual([
      'cd849c53-7932-4d49-934a-269d29776789',
      '334c9e50-d847-42d8-b382-a6bcf4f3fea2',
    ]);
  });

  it('says in its output what it did', async () => {
    await expect(report()).resolves.toMatchObject({
      failureReport: [
        'failure finding written',
        'recipients and operators notified',
        'incident recorded as FAILED and lease given up',
      ],
    });
  });

  it('still emails the operators when Security Hub refuses the failure finding', async () => {
    deps.mocks.securityHub.on(BatchImportFindingsCommand).rejects(throttled());

    const output = await report();

    expect(sentEmails()).toHaveLength(1);
    expect(output).toMatchObject({
      failureReport: [
        'failure finding written failed (TooManyRequestsException: Rate exceeded)',
        'recipients and operators notified',
        'incident recorded as FAILED and lease given up',
      ],
    });
  });

  it('still writes the failure finding when the email cannot be sent', async () => {
    deps.mocks.ses.on(SendEmailCommand).rejects(throttled());

    await report();

    expect(sentFindings()).toHaveLength(1);
  });

  it('throws FailureNotReportedError when neither the finding nor the email goes out', async () => {
    deps.mocks.securityHub.on(BatchImportFindingsCommand).rejects(throttled());
    deps.mocks.ses.on(SendEmailCommand).rejects(throttled());

    await expect(report()).rejects.toHaveProperty('name', 'FailureNotReportedError');
  });

  it("links the operators to the bucket in the bucket's own Region", async () => {
    const child = await registeredState('delete-account-public-access-block.json', deps, {
      fanOut: { bucket: 'acme-eu', region: 'eu-west-1' },
    });

    await report({ ...child, error: ERROR });

    const text = sentEmails()[0]?.Content?.Simple?.Body?.Text?.Data ?? '';
    expect(text).toContain('/s3/buckets/acme-eu?region=eu-west-1&tab=permissions');
  });

  it("names the bucket in the failure finding with the bucket's own Region", async () => {
    const child = await registeredState('delete-account-public-access-block.json', deps, {
      fanOut: { bucket: 'acme-eu', region: 'eu-west-1' },
    });

    await report({ ...child, error: ERROR });

    const finding = sentFindings()[0];
    expect(finding?.Region).toBe('us-east-1');
    expect(finding?.Resources).toContainEqual(
      expect.objectContaining({ Type: 'AwsS3Bucket', Region: 'eu-west-1' }),
    );
  });

  it('reports a failure of NormalizeEvent from the raw event, with no bucket', async () => {
    const raw = { ...readEvent('malformed/missing-bucket.json'), error: ERROR };

    const output = await report(raw);

    expect(sentFindings()).toEqual([
      expect.objectContaining({
        Id: FAILURE_FINDING_ID,
        Resources: [expect.objectContaining({ Type: 'Other', Id: EXECUTION_A })],
      }),
    ]);
    expect(sentEmails()).toEqual([expect.objectContaining({ Destination: { ToAddresses: [OPERATOR] } })]);
    expect(output).toMatchObject({
      failureReport: [expect.any(String), expect.any(String), 'no bucket to record on'],
    });
  });
});
