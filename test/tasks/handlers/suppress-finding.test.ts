import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  InvalidAccessException,
} from '@aws-sdk/client-securityhub';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../../tasks/shared/contracts.js';
import { type WorkflowState, WorkflowStateSchema } from '../../../tasks/shared/contracts.js';
import { ExceptionEntrySchema } from '../../../tasks/shared/exceptions.js';
import { suppressFinding } from '../../../tasks/suppress-finding/handler.js';
import { INCIDENT_BUCKET, INCIDENT_ID, makeIncident } from '../../support/incidents.js';
import { ACCOUNT_ID, assessedState, makeDeps, stateFor, type TestDeps } from './support.js';

const FINDING_ID = `s3-exposure-responder/us-east-1/${ACCOUNT_ID}/${INCIDENT_ID}`;
const PRODUCT_ARN = `arn:aws:securityhub:us-east-1:${ACCOUNT_ID}:product/${ACCOUNT_ID}/default`;
const NOW = '2024-05-14T11:00:00.000Z';
const EVENT = 'put-object-acl-body.json';
const EXCEPTION_ID = 'exc-reports-website';
const COVERED_BY = `exception ${EXCEPTION_ID} (owner web-team: public quarterly reports; until 2099-01-01T00:00:00.000Z)`;

let deps: TestDeps;
let incident: Incident;
let state: WorkflowState;

/** The state ClassifyExposure leaves when an exception covers the whole exposure. */
function exceptedState(base: WorkflowState, exceptionId: string): WorkflowState {
  const assessed = assessedState(base, incident);
  if (!assessed.assessment) throw new Error('assessedState gave no assessment');
  return { ...assessed, assessment: { ...assessed.assessment, outcome: 'excepted', exceptionId } };
}

function notSubscribed(): InvalidAccessException {
  return new InvalidAccessException({
    message: `Account ${ACCOUNT_ID} is not subscribed to AWS Security Hub`,
    $metadata: { httpStatusCode: 401 },
  });
}

async function suppress(): Promise<WorkflowState> {
  return WorkflowStateSchema.parse(await suppressFinding(state, deps));
}

async function saved(): Promise<Incident | null> {
  return deps.store.getIncident(INCIDENT_ID);
}

beforeEach(async () => {
  deps = await makeDeps();
  incident = makeIncident({ response: 'EXCEPTED' });
  await deps.store.putIncident(incident);
  await deps.store.putException(
    ExceptionEntrySchema.parse({
      id: EXCEPTION_ID,
      bucket: INCIDENT_BUCKET,
      vectors: incident.verdict.vectors,
      owner: 'web-team',
      reason: 'public quarterly reports',
      expiry: '2099-01-01T00:00:00.000Z',
    }),
  );
  state = exceptedState(await stateFor(EVENT, deps), EXCEPTION_ID);
  deps.mocks.securityHub
    .on(BatchImportFindingsCommand)
    .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
  deps.mocks.securityHub
    .on(BatchUpdateFindingsCommand)
    .resolves({ ProcessedFindings: [{ Id: FINDING_ID, ProductArn: PRODUCT_ARN }], UnprocessedFindings: [] });
});

describe('suppressFinding', () => {
  it('imports the finding first, then updates its workflow', async () => {
    await suppress();

    const names = deps.mocks.securityHub.calls().map((call) => call.args[0].constructor.name);
    expect(names).toEqual(['BatchImportFindingsCommand', 'BatchUpdateFindingsCommand']);
  });

  it("imports the exposure as an active finding with the incident's stable Id", async () => {
    await suppress();

    const findings = deps.mocks.securityHub
      .commandCalls(BatchImportFindingsCommand)
      .flatMap((call) => call.args[0].input.Findings ?? []);
    expect(findings).toEqual([
      expect.objectContaining({ Id: FINDING_ID, ProductArn: PRODUCT_ARN, RecordState: 'ACTIVE' }),
    ]);
  });

  it('sets the finding SUPPRESSED with a note naming the exception, its owner, reason and expiry', async () => {
    await suppress();

    const updates = deps.mocks.securityHub
      .commandCalls(BatchUpdateFindingsCommand)
      .map((call) => call.args[0].input);
    expect(updates).toEqual([
      {
        FindingIdentifiers: [{ Id: FINDING_ID, ProductArn: PRODUCT_ARN }],
        Workflow: { Status: 'SUPPRESSED' },
        Note: {
          Text: `Incident ${INCIDENT_ID}: Suppressed: covered by ${COVERED_BY}.`,
          UpdatedBy: 's3-exposure-responder',
        },
      },
    ]);
  });

  it('names the exception by its id alone when the registry no longer has it', async () => {
    state = exceptedState(state, 'exc-gone');

    await suppress();

    const [update] = deps.mocks.securityHub.commandCalls(BatchUpdateFindingsCommand);
    expect(update?.args[0].input.Note?.Text).toBe(
      `Incident ${INCIDENT_ID}: Suppressed: covered by exception exc-gone.`,
    );
  });

  it('says in the state that the finding was written', async () => {
    const next = await suppress();

    expect(next.finding).toEqual({ findingId: FINDING_ID, written: true, problem: null });
  });

  it('saves the finding Id on the incident, with the exception in the history', async () => {
    await suppress();

    const after = await saved();
    expect(after?.findingId).toBe(FINDING_ID);
    expect(after?.history.at(-1)).toEqual({ at: NOW, what: `finding SUPPRESSED: covered by ${COVERED_BY}` });
  });

  it('changes nothing on the bucket', async () => {
    await suppress();

    expect(deps.mocks.s3.calls()).toEqual([]);
  });

  describe('when Security Hub is not enabled', () => {
    beforeEach(async () => {
      deps.mocks.securityHub.on(BatchImportFindingsCommand).rejects(notSubscribed());
    });

    it('does not throw, and says in the state that the finding was not written and why', async () => {
      const next = await suppress();

      expect(next.finding).toEqual({
        findingId: null,
        written: false,
        problem: expect.stringMatching(/^Security Hub is not enabled for this account and Region: /),
      });
    });

    it('records on the incident that the finding was not written, naming the exception', async () => {
      await suppress();

      expect((await saved())?.history.at(-1)).toEqual({
        at: NOW,
        what: expect.stringMatching(
          new RegExp(
            `^finding not written \\(Security Hub is not enabled.*\\); covered by exception ${EXCEPTION_ID} \\(owner web-team`,
          ),
        ),
      });
    });

    it('leaves the incident without a finding Id', async () => {
      await suppress();

      expect((await saved())?.findingId).toBeNull();
    });

    it('sends no workflow update', async () => {
      await suppress();

      expect(deps.mocks.securityHub.commandCalls(BatchUpdateFindingsCommand)).toEqual([]);
    });
  });

  it('passes throttling on as AwsTransientError, recording nothing', async () => {
    const throttled = new Error('Rate exceeded');
    throttled.name = 'TooManyRequestsException';
    deps.mocks.securityHub.on(BatchUpdateFindingsCommand).rejects(throttled);

    await expect(suppressFinding(state, deps)).rejects.toMatchObject({
      name: 'AwsTransientError',
      code: 'TooManyRequestsException',
      cause: throttled,
    });
    expect((await saved())?.history).toEqual(incident.history);
  });
});
