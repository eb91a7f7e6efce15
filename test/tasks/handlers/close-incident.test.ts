import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  InvalidAccessException,
} from '@aws-sdk/client-securityhub';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { beforeEach, describe, expect, it } from 'vitest';
import { closeIncident } from '../../../tasks/close-incident/handler.js';
import type { WorkflowState } from '../../../tasks/shared/contracts.js';
import { INCIDENT_ID, makeIncident } from '../../support/incidents.js';
import { bucketRef, storeIncident } from '../../support/store.js';
import {
  ACCOUNT_ID,
  assessedState,
  EXECUTION_B,
  makeDeps,
  RECIPIENT,
  registeredState,
  stateFor,
  type TestDeps,
} from './support.js';

const FINDING_ID = `s3-exposure-responder/us-east-1/${ACCOUNT_ID}/${INCIDENT_ID}`;
const PRODUCT_ARN = `arn:aws:securityhub:us-east-1:${ACCOUNT_ID}:product/${ACCOUNT_ID}/default`;
const NOW = '2024-05-14T11:00:00.000Z';
const BUCKET = 'acme-reports';
const EVENT = 'put-object-acl-body.json';
const EVENT_ID = 'b2e265ef-3f32-4836-ae5c-00469bffa301';

let deps: TestDeps;
let state: WorkflowState;

beforeEach(async () => {
  deps = await makeDeps();
  const incident = makeIncident({ findingId: FINDING_ID });
  await storeIncident(deps.store, incident);
  // The event that led here still waits on the lease: ClassifyExposure could not read a deleted bucket.
  const registered = await registeredState(EVENT, deps);
  state = { ...assessedState(registered, incident), close: { reason: 'BUCKET_DELETED' } };
  deps.mocks.securityHub
    .on(BatchUpdateFindingsCommand)
    .resolves({ ProcessedFindings: [{ Id: FINDING_ID, ProductArn: PRODUCT_ARN }], UnprocessedFindings: [] });
  deps.mocks.securityHub
    .on(BatchImportFindingsCommand)
    .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
  deps.mocks.ses.on(SendEmailCommand).resolves({ MessageId: 'message-1' });
});

function notSubscribed(): InvalidAccessException {
  return new InvalidAccessException({
    message: `Account ${ACCOUNT_ID} is not subscribed to AWS Security Hub`,
    $metadata: { httpStatusCode: 401 },
  });
}

async function history(): Promise<string[]> {
  return (await deps.store.getIncident(INCIDENT_ID))?.history.map((h) => h.what) ?? [];
}

describe('closeIncident', () => {
  it('closes the open incident with the reason and the time of containment', async () => {
    await closeIncident(state, deps);

    const saved = await deps.store.getIncident(INCIDENT_ID);
    expect(saved).toMatchObject({
      status: 'CLOSED',
      closedReason: 'BUCKET_DELETED',
      timings: { containedAt: NOW },
    });
    expect(await deps.store.getOpenIncident(bucketRef(BUCKET))).toBeNull();
  });

  it('records the events waiting on the lease on the closed incident', async () => {
    await closeIncident(state, deps);

    const saved = await deps.store.getIncident(INCIDENT_ID);
    expect(saved?.events.map((e) => e.eventID)).toContain(EVENT_ID);
  });

  it('takes the recorded events off the lease', async () => {
    await closeIncident(state, deps);

    expect((await deps.store.getLease(bucketRef(BUCKET)))?.pending).toEqual([]);
  });

  it('throws LeaseLostError, closing nothing, when another execution holds the lease', async () => {
    const other = assessedState(await stateFor(EVENT, deps, { executionId: EXECUTION_B }), makeIncident());

    await expect(closeIncident(other, deps)).rejects.toHaveProperty('name', 'LeaseLostError');
    expect((await deps.store.getIncident(INCIDENT_ID))?.status).toBe('OPEN');
    expect(deps.mocks.ses.calls()).toEqual([]);
  });

  it('closes as NOT_PUBLIC when the state names no reason', async () => {
    const { close: _close, ...noReason } = state;

    await closeIncident(noReason, deps);

    expect((await deps.store.getIncident(INCIDENT_ID))?.closedReason).toBe('NOT_PUBLIC');
  });

  it('resolves the finding first, then archives it', async () => {
    await closeIncident(state, deps);

    const names = deps.mocks.securityHub.calls().map((call) => call.args[0].constructor.name);
    expect(names).toEqual(['BatchUpdateFindingsCommand', 'BatchImportFindingsCommand']);
  });

  it('sets the finding workflow to RESOLVED with a note saying why', async () => {
    await closeIncident(state, deps);

    const updates = deps.mocks.securityHub
      .commandCalls(BatchUpdateFindingsCommand)
      .map((c) => c.args[0].input);
    expect(updates).toEqual([
      {
        FindingIdentifiers: [{ Id: FINDING_ID, ProductArn: PRODUCT_ARN }],
        Workflow: { Status: 'RESOLVED' },
        Note: {
          Text: expect.stringMatching(
            new RegExp(`^Incident ${INCIDENT_ID}: Closed: bucket deleted\\. Exposed .+ to .+ \\(.+\\)\\.$`),
          ),
          UpdatedBy: 's3-exposure-responder',
        },
      },
    ]);
  });

  it('re-imports the finding with RecordState ARCHIVED', async () => {
    await closeIncident(state, deps);

    const findings = deps.mocks.securityHub
      .commandCalls(BatchImportFindingsCommand)
      .flatMap((c) => c.args[0].input.Findings ?? []);
    expect(findings).toEqual([expect.objectContaining({ Id: FINDING_ID, RecordState: 'ARCHIVED' })]);
  });

  it('sends the closing notice to the recipients', async () => {
    await closeIncident(state, deps);

    const emails = deps.mocks.ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input);
    expect(emails).toEqual([
      expect.objectContaining({
        Destination: { ToAddresses: [RECIPIENT] },
        Content: {
          Simple: expect.objectContaining({
            Subject: { Data: '[HIGH] Resolved: S3 bucket acme-reports was deleted', Charset: 'UTF-8' },
          }),
        },
      }),
    ]);
  });

  it('records the steps in the history', async () => {
    await closeIncident(state, deps);

    expect((await history()).slice(-3)).toEqual([
      'closed: bucket deleted',
      'finding RESOLVED and ARCHIVED',
      `closing notice sent to ${RECIPIENT}`,
    ]);
  });

  it('records a Security Hub that is not enabled in the history instead of failing', async () => {
    deps.mocks.securityHub.on(BatchUpdateFindingsCommand).rejects(notSubscribed());

    await closeIncident(state, deps);

    expect(await history()).toContainEqual(
      expect.stringMatching(/^finding not resolved: Security Hub is not enabled/),
    );
    expect((await deps.store.getIncident(INCIDENT_ID))?.status).toBe('CLOSED');
    expect(deps.mocks.ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('passes throttling on as AwsTransientError, for the state machine to retry, and leaves the incident open', async () => {
    const throttled = new Error('Rate exceeded');
    throttled.name = 'TooManyRequestsException';
    deps.mocks.securityHub.on(BatchUpdateFindingsCommand).rejects(throttled);

    await expect(closeIncident(state, deps)).rejects.toMatchObject({
      name: 'AwsTransientError',
      code: 'TooManyRequestsException',
      cause: throttled,
    });
    expect((await deps.store.getIncident(INCIDENT_ID))?.status).toBe('OPEN');
  });

  it('calls Security Hub not at all when the incident has no finding', async () => {
    await storeIncident(deps.store, makeIncident({ findingId: null }));

    await closeIncident(state, deps);

    expect(deps.mocks.securityHub.calls()).toEqual([]);
    expect(await history()).toContain('no finding to resolve');
  });

  it('calls nothing when the bucket has no open incident', async () => {
    await storeIncident(deps.store, makeIncident({ status: 'CLOSED', closedReason: 'NOT_PUBLIC' }));

    await expect(closeIncident(state, deps)).resolves.toEqual(state);
    expect(deps.mocks.securityHub.calls()).toEqual([]);
    expect(deps.mocks.ses.calls()).toEqual([]);
  });

  it('still takes the waiting events off the lease when there is no open incident', async () => {
    await storeIncident(deps.store, makeIncident({ status: 'CLOSED', closedReason: 'NOT_PUBLIC' }));

    await closeIncident(state, deps);

    expect((await deps.store.getLease(bucketRef(BUCKET)))?.pending).toEqual([]);
  });
});
