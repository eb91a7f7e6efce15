import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { beforeEach, describe, expect, it } from 'vitest';
import { notifyRecipients } from '../../../tasks/notify-recipients/handler.js';
import type { Incident } from '../../../tasks/shared/contracts.js';
import { type WorkflowState, WorkflowStateSchema } from '../../../tasks/shared/contracts.js';
import { INCIDENT_ID, makeIncident } from '../../support/incidents.js';
import { storeIncident } from '../../support/store.js';
import { assessedState, makeDeps, RECIPIENT, stateFor, type TestDeps } from './support.js';

const FINDING_ERROR = {
  Error: 'SecurityHubNotEnabledError',
  Cause: JSON.stringify({
    errorType: 'SecurityHubNotEnabledError',
    errorMessage: 'Security Hub is not enabled for this account and Region',
    trace: ['at importFindings'],
  }),
};

const PROBLEM = 'SecurityHubNotEnabledError: Security Hub is not enabled for this account and Region';

let deps: TestDeps;
let incident: Incident;
let state: WorkflowState;

beforeEach(async () => {
  deps = await makeDeps();
  incident = makeIncident({ mode: 'notify', modeReason: 'the default mode is notify' });
  await storeIncident(deps.store, incident);
  state = assessedState(await stateFor('put-object-acl-body.json', deps), incident);
  deps.mocks.ses.on(SendEmailCommand).resolves({ MessageId: 'message-1' });
});

function sentEmails() {
  return deps.mocks.ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input);
}

function sentText(): string {
  return sentEmails()[0]?.Content?.Simple?.Body?.Text?.Data ?? '';
}

describe('notifyRecipients', () => {
  it('sends one alert to the configured recipients from the configured sender', async () => {
    await notifyRecipients(state, deps);

    const emails = sentEmails();
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      FromEmailAddress: 's3-exposure-responder@example.com',
      Destination: { ToAddresses: [RECIPIENT] },
      Content: { Simple: { Subject: { Data: '[HIGH] S3 bucket acme-reports is public' } } },
    });
    expect(sentText()).toContain(`Incident ${INCIDENT_ID}`);
  });

  it('marks the incident NOTIFIED at the time of the alert', async () => {
    await notifyRecipients(state, deps);

    const saved = await deps.store.getIncident(INCIDENT_ID);
    expect(saved?.response).toBe('NOTIFIED');
    expect(saved?.timings.notifiedAt).toBe('2024-05-14T11:00:00.000Z');
    expect(saved?.history.at(-1)?.what).toMatch(/^alert sent to soc@example\.com/);
  });

  it('keeps the first notifiedAt when the alert goes out again', async () => {
    await storeIncident(deps.store, makeIncident({ timings: { notifiedAt: '2024-05-14T10:00:00.000Z' } }));

    await notifyRecipients(state, deps);

    expect((await deps.store.getIncident(INCIDENT_ID))?.timings.notifiedAt).toBe('2024-05-14T10:00:00.000Z');
  });

  it('keeps the finding step of the state when the finding was written', async () => {
    const written = { ...state, finding: { findingId: 'finding-1', written: true, problem: null } };

    const next = WorkflowStateSchema.parse(await notifyRecipients(written, deps));

    expect(next.finding).toEqual({ findingId: 'finding-1', written: true, problem: null });
  });

  it('says in the alert that the finding could not be written', async () => {
    await notifyRecipients({ ...state, findingError: FINDING_ERROR }, deps);

    expect(sentText()).toContain('SecurityHubNotEnabledError');
    expect(sentText()).not.toContain('at importFindings');
  });

  it('records in the state that the finding was not written, and why', async () => {
    const next = WorkflowStateSchema.parse(
      await notifyRecipients({ ...state, findingError: FINDING_ERROR }, deps),
    );

    expect(next.finding).toEqual({ findingId: null, written: false, problem: PROBLEM });
    expect(next.findingError).toBeUndefined();
  });

  it("records the missing finding in the incident's history", async () => {
    await notifyRecipients({ ...state, findingError: FINDING_ERROR }, deps);

    const history = (await deps.store.getIncident(INCIDENT_ID))?.history.map((h) => h.what);
    expect(history).toContain(`finding not written: ${PROBLEM}`);
  });

  it('throws EmailRejectedError and leaves the incident PENDING when SES rejects the message', async () => {
    const rejected = new Error('Email address is not verified.');
    rejected.name = 'MessageRejected';
    deps.mocks.ses.on(SendEmailCommand).rejects(rejected);

    await expect(notifyRecipients(state, deps)).rejects.toHaveProperty('name', 'EmailRejectedError');
    expect((await deps.store.getIncident(INCIDENT_ID))?.response).toBe('PENDING');
  });
});

describe('notifyRecipients in mode approve', () => {
  it('leaves the approvers out: their one message is the approval request, which holds the alert', async () => {
    deps = await makeDeps({ config: { approval: { approvers: { default: ['approver@example.com'] } } } });
    deps.mocks.ses.on(SendEmailCommand).resolves({ MessageId: 'message-1' });
    const asking = makeIncident();
    await storeIncident(deps.store, asking);
    const approveState = assessedState(await stateFor('put-object-acl-body.json', deps), asking);
    const recipientsAndApprover = {
      ...approveState,
      config: { ...approveState.config, recipients: { email: [RECIPIENT, 'approver@example.com'] } },
    };

    await notifyRecipients(recipientsAndApprover, deps);

    expect(sentEmails().map((e) => e.Destination?.ToAddresses)).toEqual([[RECIPIENT]]);
  });
});
