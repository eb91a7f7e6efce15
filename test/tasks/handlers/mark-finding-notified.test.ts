import { BatchUpdateFindingsCommand } from '@aws-sdk/client-securityhub';
import { beforeEach, describe, expect, it } from 'vitest';
import { markFindingNotified } from '../../../tasks/mark-finding-notified/handler.js';
import type { WorkflowState } from '../../../tasks/shared/contracts.js';
import { INCIDENT_ID, makeIncident } from '../../support/incidents.js';
import { storeIncident } from '../../support/store.js';
import { ACCOUNT_ID, assessedState, makeDeps, stateFor, type TestDeps } from './support.js';

const FINDING_ID = `s3-exposure-responder/us-east-1/${ACCOUNT_ID}/${INCIDENT_ID}`;
const PRODUCT_ARN = `arn:aws:securityhub:us-east-1:${ACCOUNT_ID}:product/${ACCOUNT_ID}/default`;

let deps: TestDeps;
let state: WorkflowState;

beforeEach(async () => {
  deps = await makeDeps();
  const incident = makeIncident({ findingId: FINDING_ID });
  await storeIncident(deps.store, incident);
  state = {
    ...assessedState(await stateFor('put-object-acl-body.json', deps), incident),
    finding: { findingId: FINDING_ID, written: true, problem: null },
  };
  deps.mocks.securityHub
    .on(BatchUpdateFindingsCommand)
    .resolves({ ProcessedFindings: [{ Id: FINDING_ID, ProductArn: PRODUCT_ARN }], UnprocessedFindings: [] });
});

function sentUpdates() {
  return deps.mocks.securityHub.commandCalls(BatchUpdateFindingsCommand).map((call) => call.args[0].input);
}

describe('markFindingNotified', () => {
  it('sets the finding workflow to NOTIFIED with a note naming the recipients and the mode', async () => {
    await markFindingNotified(state, deps);

    expect(sentUpdates()).toEqual([
      {
        FindingIdentifiers: [{ Id: FINDING_ID, ProductArn: PRODUCT_ARN }],
        Workflow: { Status: 'NOTIFIED' },
        Note: {
          Text: `Incident ${INCIDENT_ID}: Notified soc@example.com. Mode approve: the default mode is approve.`,
          UpdatedBy: 's3-exposure-responder',
        },
      },
    ]);
  });

  it("falls back to the incident's finding Id when the state carries none", async () => {
    const { finding: _finding, ...withoutFinding } = state;

    await markFindingNotified(withoutFinding, deps);

    expect(sentUpdates().map((input) => input.FindingIdentifiers)).toEqual([
      [{ Id: FINDING_ID, ProductArn: PRODUCT_ARN }],
    ]);
  });

  it("records the change in the incident's history", async () => {
    await markFindingNotified(state, deps);

    const saved = await deps.store.getIncident(INCIDENT_ID);
    expect(saved?.history.at(-1)).toEqual({
      at: '2024-05-14T11:00:00.000Z',
      what: 'finding workflow NOTIFIED',
    });
  });

  it('returns the state unchanged', async () => {
    await expect(markFindingNotified(state, deps)).resolves.toEqual(state);
  });

  it('calls nothing when there is no finding Id', async () => {
    await storeIncident(deps.store, makeIncident({ findingId: null }));
    const noFinding = { ...state, finding: { findingId: null, written: false, problem: 'not enabled' } };

    await expect(markFindingNotified(noFinding, deps)).resolves.toEqual(noFinding);
    expect(deps.mocks.securityHub.calls()).toEqual([]);
  });

  it('throws FindingUpdateError when Security Hub leaves the finding unprocessed', async () => {
    deps.mocks.securityHub.on(BatchUpdateFindingsCommand).resolves({
      ProcessedFindings: [],
      UnprocessedFindings: [
        {
          FindingIdentifier: { Id: FINDING_ID, ProductArn: PRODUCT_ARN },
          ErrorCode: 'FindingNotFound',
          ErrorMessage: 'not found',
        },
      ],
    });

    await expect(markFindingNotified(state, deps)).rejects.toHaveProperty('name', 'FindingUpdateError');
  });
});
