import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  InvalidAccessException,
} from '@aws-sdk/client-securityhub';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { beforeEach, describe, expect, it } from 'vitest';
import { closeIncident } from '../../../tasks/close-incident/handler.js';
import type { WorkflowState } from '../../../tasks/shared/workflow-state.js';
import { INCIDENT_ID, makeIncident } from '../../support/incidents.js';
import { ACCOUNT_ID, assessedState, makeDeps, RECIPIENT, stateFor, type TestDeps } from './support.js';

const FINDING_ID = `s3-exposure-responder/us-east-1/${ACCOUNT_ID}/${INCIDENT_ID}`;
const PRODUCT_ARN = `arn:aws:securityhub:us-east-1:${ACCOUNT_ID}:product/${ACCOUNT_ID}/default`;
const NOW = '2024-05-14T11:00:00.000Z';

let deps: TestDeps;
let state: WorkflowState;

beforeEach(async () => {
  deps = makeDeps();
  const incident = makeIncident({ findingId: FINDING_ID });
  await deps.store.putIncident(incident);
  state = { ...assessedState(await stateFor('put-object-acl-body.json', deps), incident), close: { reason: 'BUCKET_DELETED' } };
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
    expect(saved).toMatchObject({ status: 'CLOSED', closedReason: 'BUCKET_DELETED', timings: { containedAt: NOW } });
    expect(await deps.store.getOpenIncident('acme-reports')).toBeNull();
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

    const updates = deps.mocks.securityHub.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input);
    expect(updates).toEqual([
      {
        FindingIdentifiers: [{ Id: FINDING_ID, ProductArn: PRODUCT_ARN }],
        Workflow: { Status: 'RESOLVED' },
        Note: { Text: `Incident ${INCIDENT_ID}: Closed: bucket deleted.`, UpdatedBy: 's3-exposure-responder' },
      },
    ]);
  });

  it('re-imports the finding with RecordState ARCHIVED', async () => {
    await closeIncident(state, deps);

    const findings = deps.mocks.securityHub
      .commandCalls(BatchImportFindingsCommand)
      .flatMap((c) => c.args[0].input.Findings ?? []);
    expect(findings).toEqual([expect.objectContaining({ Id: FINDING_ID, RecordState: 'ARCHIVED', UpdatedAt: NOW })]);
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

  it('rethrows any other Security Hub error and leaves the incident open', async () => {
    const throttled = new Error('Rate exceeded');
    throttled.name = 'TooManyRequestsException';
    deps.mocks.securityHub.on(BatchUpdateFindingsCommand).rejects(throttled);

    await expect(closeIncident(state, deps)).rejects.toHaveProperty('name', 'TooManyRequestsException');
    expect((await deps.store.getIncident(INCIDENT_ID))?.status).toBe('OPEN');
  });

  it('calls Security Hub not at all when the incident has no finding', async () => {
    await deps.store.putIncident(makeIncident({ findingId: null }));

    await closeIncident(state, deps);

    expect(deps.mocks.securityHub.calls()).toEqual([]);
    expect(await history()).toContain('no finding to resolve');
  });

  it('does nothing when the bucket has no open incident', async () => {
    await deps.store.putIncident(makeIncident({ status: 'CLOSED', closedReason: 'NOT_PUBLIC' }));

    await expect(closeIncident(state, deps)).resolves.toEqual(state);
    expect(deps.mocks.securityHub.calls()).toEqual([]);
    expect(deps.mocks.ses.calls()).toEqual([]);
  });
});
