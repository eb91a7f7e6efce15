import { BatchImportFindingsCommand, InvalidAccessException } from '@aws-sdk/client-securityhub';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../../tasks/shared/contracts.js';
import { type WorkflowState, WorkflowStateSchema } from '../../../tasks/shared/contracts.js';
import { writeFinding } from '../../../tasks/write-finding/handler.js';
import { INCIDENT_ID, makeIncident } from '../../support/incidents.js';
import { storeIncident } from '../../support/store.js';
import { ACCOUNT_ID, assessedState, makeDeps, stateFor, type TestDeps } from './support.js';

const FINDING_ID = `s3-exposure-responder/us-east-1/${ACCOUNT_ID}/${INCIDENT_ID}`;

let deps: TestDeps;
let incident: Incident;
let state: WorkflowState;

beforeEach(async () => {
  deps = await makeDeps();
  incident = makeIncident();
  await storeIncident(deps.store, incident);
  state = assessedState(await stateFor('put-object-acl-body.json', deps), incident);
  deps.mocks.securityHub
    .on(BatchImportFindingsCommand)
    .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
});

function sentFindings() {
  return deps.mocks.securityHub
    .commandCalls(BatchImportFindingsCommand)
    .flatMap((call) => call.args[0].input.Findings ?? []);
}

describe('writeFinding', () => {
  it("imports one finding with the incident's stable Id into the account's default product", async () => {
    await writeFinding(state, deps);

    expect(sentFindings()).toEqual([
      expect.objectContaining({
        Id: FINDING_ID,
        ProductArn: `arn:aws:securityhub:us-east-1:${ACCOUNT_ID}:product/${ACCOUNT_ID}/default`,
        AwsAccountId: ACCOUNT_ID,
        Severity: { Label: 'HIGH', Original: 'HIGH' },
        RecordState: 'ACTIVE',
        UpdatedAt: '2024-05-14T11:00:00.000Z',
      }),
    ]);
  });

  it('says in the state that the finding was written', async () => {
    const next = WorkflowStateSchema.parse(await writeFinding(state, deps));

    expect(next.finding).toEqual({ findingId: FINDING_ID, written: true, problem: null });
  });

  it('saves the finding Id on the incident, with a line of history', async () => {
    await writeFinding(state, deps);

    const saved = await deps.store.getIncident(INCIDENT_ID);
    expect(saved?.findingId).toBe(FINDING_ID);
    expect(saved?.history.at(-1)).toEqual({ at: '2024-05-14T11:00:00.000Z', what: 'finding created (NEW)' });
  });

  it('records a refresh when the incident already has its finding', async () => {
    await storeIncident(deps.store, { ...incident, findingId: FINDING_ID });

    await writeFinding(state, deps);

    const saved = await deps.store.getIncident(INCIDENT_ID);
    expect(saved?.history.at(-1)?.what).toBe('finding refreshed (HIGH)');
  });

  it('throws FindingImportError when Security Hub refuses the finding', async () => {
    deps.mocks.securityHub.on(BatchImportFindingsCommand).resolves({
      FailedCount: 1,
      SuccessCount: 0,
      FailedFindings: [{ Id: FINDING_ID, ErrorCode: 'InvalidInput', ErrorMessage: 'bad field' }],
    });

    await expect(writeFinding(state, deps)).rejects.toHaveProperty('name', 'FindingImportError');
    expect((await deps.store.getIncident(INCIDENT_ID))?.findingId).toBeNull();
  });

  it('throws SecurityHubNotEnabledError when the account is not subscribed', async () => {
    deps.mocks.securityHub.on(BatchImportFindingsCommand).rejects(
      new InvalidAccessException({
        message: `Account ${ACCOUNT_ID} is not subscribed to AWS Security Hub`,
        $metadata: { httpStatusCode: 401 },
      }),
    );

    await expect(writeFinding(state, deps)).rejects.toHaveProperty('name', 'SecurityHubNotEnabledError');
  });

  it('throws InvalidInputError, sending nothing, when the incident does not exist', async () => {
    const orphan = assessedState(state, makeIncident({ incidentId: 'inc-missing' }));

    await expect(writeFinding(orphan, deps)).rejects.toHaveProperty('name', 'InvalidInputError');
    expect(deps.mocks.securityHub.calls()).toEqual([]);
  });
});
