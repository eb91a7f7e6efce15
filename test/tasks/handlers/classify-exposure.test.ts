import { GetObjectAclCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand } from '@aws-sdk/client-s3-control';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { classifyExposureTask } from '../../../tasks/classify-exposure/handler.js';
import {
  type Incident,
  type IncidentEvent,
  type WorkflowState,
  WorkflowStateSchema,
} from '../../../tasks/shared/contracts.js';
import {
  closedIncident,
  INCIDENT_ID,
  incidentEvents,
  makeIncident,
  objectAclVerdict,
} from '../../support/incidents.js';
import { bucketRef } from '../../support/store.js';
import {
  ACCOUNT_ID,
  type BucketSetup,
  EXECUTION_A,
  EXECUTION_B,
  makeDeps,
  mockAccountWithoutBlockPublicAccess,
  mockBucket,
  registeredState,
  s3Error,
  type TestDeps,
} from './support.js';

const BUCKET = 'acme-public-assets';
const POLICY_EVENT = 'put-bucket-policy-public.json';
const POLICY_EVENT_ID = 'cd849c53-7932-4d49-934a-269d29776789';
const BPA_EVENT = 'put-bucket-public-access-block.json';
/** A change toward private, on acme-reports: nothing for a read to lag behind. */
const DELETE_POLICY_EVENT = 'delete-bucket-policy.json';
const DELETE_POLICY_BUCKET = 'acme-reports';

let deps: TestDeps;

beforeEach(async () => {
  deps = await makeDeps();
  mockAccountWithoutBlockPublicAccess(deps.mocks);
});

function bucket(setup: Omit<BucketSetup, 'bucket'> = {}): void {
  mockBucket(deps.mocks, { bucket: BUCKET, ...setup });
}

async function classify(state: WorkflowState): Promise<WorkflowState> {
  return WorkflowStateSchema.parse(await classifyExposureTask(state, deps));
}

describe('classifyExposureTask: what it reads', () => {
  it('sends every S3 read with ExpectedBucketOwner', async () => {
    bucket({ publicPolicy: true });

    await classify(await registeredState(POLICY_EVENT, deps));

    const inputs = deps.mocks.s3.calls().map((call) => call.args[0].input);
    expect(inputs).toHaveLength(7);
    for (const input of inputs) {
      expect(input).toMatchObject({ Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT_ID });
    }
  });

  it('asks S3 Control for the Block Public Access of the bucket owner', async () => {
    bucket({ publicPolicy: true });

    await classify(await registeredState(POLICY_EVENT, deps));

    const calls = deps.mocks.s3Control.commandCalls(GetAccountPublicAccessBlockCommand);
    expect(calls.map((call) => call.args[0].input)).toEqual([{ AccountId: ACCOUNT_ID }]);
  });

  it('reads a fanned-out bucket with the clients of its own Region', async () => {
    mockBucket(deps.mocks, {
      bucket: 'acme-reports',
      ownership: 'BucketOwnerEnforced',
      listing: { keys: [], truncated: false },
    });
    const state = await registeredState('delete-account-public-access-block.json', deps, {
      fanOut: { bucket: 'acme-reports', region: 'eu-west-1' },
    });

    await classify(state);

    expect(deps.clientsFor.mock.calls).toEqual([['eu-west-1']]);
  });

  it('lists objects after a PutBucketPublicAccessBlock and reads the ACLs of the listed keys', async () => {
    bucket({
      listing: { keys: ['a.csv', 'b.csv'], truncated: false },
      objects: { 'a.csv': false, 'b.csv': true },
    });

    const state = await classify(await registeredState(BPA_EVENT, deps));

    const listed = deps.mocks.s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(listed).toEqual([{ Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT_ID, MaxKeys: 1000 }]);
    const read = deps.mocks.s3.commandCalls(GetObjectAclCommand).map((call) => call.args[0].input.Key);
    expect(read.sort()).toEqual(['a.csv', 'b.csv']);
    expect(state.assessment).toMatchObject({ outcome: 'public', keyCount: 2, vectorCount: 1 });
  });

  it('does not list objects after a bucket policy change', async () => {
    bucket({ publicPolicy: true });

    await classify(await registeredState(POLICY_EVENT, deps));

    expect(deps.mocks.s3.commandCalls(ListObjectsV2Command)).toEqual([]);
  });

  it('does not list objects when limits.objectScanLimit is 0', async () => {
    deps = await makeDeps({ config: { limits: { objectScanLimit: 0 } } });
    mockAccountWithoutBlockPublicAccess(deps.mocks);
    bucket({ listing: { keys: ['a.csv'], truncated: false } });

    await classify(await registeredState(BPA_EVENT, deps));

    expect(deps.mocks.s3.commandCalls(ListObjectsV2Command)).toEqual([]);
  });

  it('reports a bucket with more objects than limits.objectScanLimit as partial, naming ScanLimitReached', async () => {
    deps = await makeDeps({ config: { limits: { objectScanLimit: 2 } } });
    mockAccountWithoutBlockPublicAccess(deps.mocks);
    bucket({
      listing: { keys: ['a.csv', 'b.csv'], truncated: true },
      objects: { 'a.csv': false, 'b.csv': false },
    });

    const state = await classify(await registeredState(BPA_EVENT, deps));

    const listed = deps.mocks.s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(listed).toEqual([{ Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT_ID, MaxKeys: 2 }]);
    expect(state.assessment).toMatchObject({ outcome: 'partial', severity: 'MEDIUM' });
    const incident = await deps.store.getOpenIncident(bucketRef(BUCKET));
    expect(incident?.verdict.unknown).toContainEqual(
      expect.objectContaining({ part: 'objectAcls', why: expect.stringMatching(/^ScanLimitReached/) }),
    );
  });
});

describe('classifyExposureTask: the objects an open incident found by listing the bucket', () => {
  const FOUND = ['exports/a.csv', 'exports/b.csv', 'exports/c.csv'];

  /** Open on acme-reports, public through the ACLs of FOUND, which no event named. */
  async function openOnListedObjects(): Promise<void> {
    await deps.store.putIncident(
      makeIncident({
        bucket: DELETE_POLICY_BUCKET,
        response: 'NOTIFIED',
        events: [{ ...(incidentEvents()[0] as IncidentEvent), eventName: 'DeleteBucketPublicAccessBlock' }],
        verdict: objectAclVerdict(FOUND, DELETE_POLICY_BUCKET),
      }),
    );
  }

  function objectAclReads(): string[] {
    return deps.mocks.s3
      .commandCalls(GetObjectAclCommand)
      .map((call) => call.args[0].input.Key ?? '')
      .sort();
  }

  it('reads their ACLs again on an event that names no object: still public, the incident stays open', async () => {
    await openOnListedObjects();
    mockBucket(deps.mocks, {
      bucket: DELETE_POLICY_BUCKET,
      objects: { 'exports/a.csv': true, 'exports/b.csv': true, 'exports/c.csv': true },
    });

    const state = await classify(await registeredState(DELETE_POLICY_EVENT, deps));

    expect(objectAclReads()).toEqual(FOUND);
    expect(state.assessment).toMatchObject({
      outcome: 'alreadyReported',
      incidentId: INCIDENT_ID,
      keyCount: 3,
    });
    expect(state.close).toBeUndefined();
  });

  it('reads at most limits.objectScanLimit of them, and names ScanLimitReached instead of calling the rest private', async () => {
    deps = await makeDeps({ config: { limits: { objectScanLimit: 2 } } });
    mockAccountWithoutBlockPublicAccess(deps.mocks);
    await openOnListedObjects();
    mockBucket(deps.mocks, {
      bucket: DELETE_POLICY_BUCKET,
      objects: { 'exports/a.csv': false, 'exports/b.csv': false, 'exports/c.csv': false },
    });

    const state = await classify(await registeredState(DELETE_POLICY_EVENT, deps));

    expect(objectAclReads()).toEqual(['exports/a.csv', 'exports/b.csv']);
    expect(state.assessment).toMatchObject({ outcome: 'partial', keyCount: 2 });
    expect(state.close).toBeUndefined();
    const incident = await deps.store.getOpenIncident(bucketRef(DELETE_POLICY_BUCKET));
    expect(incident?.verdict.unknown).toContainEqual(
      expect.objectContaining({ part: 'objectAcls', why: expect.stringMatching(/^ScanLimitReached/) }),
    );
  });
});

describe('classifyExposureTask: what it records', () => {
  it('opens an incident for a public bucket, with the mode and why it was chosen', async () => {
    bucket({ publicPolicy: true });

    const state = await classify(await registeredState(POLICY_EVENT, deps));

    const incident = await deps.store.getOpenIncident(bucketRef(BUCKET));
    expect(state.assessment).toMatchObject({
      outcome: 'public',
      severity: 'HIGH',
      incidentId: incident?.incidentId,
    });
    expect(incident).toMatchObject({
      status: 'OPEN',
      response: 'PENDING',
      mode: 'notify',
      modeReason: 'the default mode is notify',
      executionId: EXECUTION_A,
      previousIncidentId: null,
      timings: { eventTime: '2024-05-14T09:21:07Z', detectedAt: '2024-05-14T11:00:00.000Z' },
    });
    expect(incident?.events.map((e) => e.eventID)).toEqual([POLICY_EVENT_ID]);
  });

  it('names the closed earlier incident of the bucket as the previous one', async () => {
    await deps.store.putIncident(closedIncident('NOT_PUBLIC', { bucket: BUCKET }));
    bucket({ publicPolicy: true });

    await classify(await registeredState(POLICY_EVENT, deps));

    const incident = await deps.store.getOpenIncident(bucketRef(BUCKET));
    expect(incident?.previousIncidentId).toBe(INCIDENT_ID);
    expect(incident?.incidentId).not.toBe(INCIDENT_ID);
  });

  /** The first execution's answer, as NotifyRecipients leaves it (or `response` when told). */
  async function answered(state: WorkflowState, response: Incident['response'] = 'NOTIFIED') {
    const incident = await deps.store.getIncident(state.assessment?.incidentId ?? '');
    if (incident) await deps.store.putIncident({ ...incident, response });
    await deps.store.releaseLease(bucketRef(BUCKET), EXECUTION_A);
  }

  it('records the same exposure again as alreadyReported, appending the event to the open incident', async () => {
    bucket({ publicPolicy: true });
    const first = await classify(await registeredState(POLICY_EVENT, deps));
    await answered(first);

    const again = await classify(
      await registeredState(POLICY_EVENT, deps, { executionId: EXECUTION_B, eventID: 'redelivered-1' }),
    );

    expect(again.assessment).toMatchObject({
      outcome: 'alreadyReported',
      incidentId: first.assessment?.incidentId,
    });
    const incidents = await deps.store.listIncidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.events.map((e) => e.eventID)).toEqual([POLICY_EVENT_ID, 'redelivered-1']);
    expect(incidents[0]?.executionId).toBe(EXECUTION_B);
  });

  it.each(['PENDING', 'FAILED'] as const)(
    'answers the same exposure again when its incident was left %s: the SOC was never told',
    async (response) => {
      bucket({ publicPolicy: true });
      const first = await classify(await registeredState(POLICY_EVENT, deps));
      await answered(first, response);

      const again = await classify(
        await registeredState(POLICY_EVENT, deps, { executionId: EXECUTION_B, eventID: 'redelivered-1' }),
      );

      expect(again.assessment).toMatchObject({ outcome: 'public', incidentId: first.assessment?.incidentId });
      const incident = await deps.store.getIncident(first.assessment?.incidentId ?? '');
      expect(incident?.response).toBe('PENDING');
      expect(incident?.history.at(-1)?.what).toMatch(
        new RegExp(`not answered yet \\(response ${response}\\)`),
      );
    },
  );

  it('finds an open incident not public any more, and asks for it to close as NOT_PUBLIC', async () => {
    // The incident's events name two objects, so their ACLs are read again too.
    await deps.store.putIncident(makeIncident({ bucket: DELETE_POLICY_BUCKET }));
    mockBucket(deps.mocks, {
      bucket: DELETE_POLICY_BUCKET,
      ownership: 'BucketOwnerEnforced',
      objects: { 'reports/q3.csv': false, 'reports/q4.csv': false },
    });

    const state = await classify(await registeredState(DELETE_POLICY_EVENT, deps));

    expect(state.assessment).toMatchObject({ outcome: 'notPublic', incidentId: INCIDENT_ID });
    expect(state.close).toEqual({ reason: 'NOT_PUBLIC' });
    const incident = await deps.store.getIncident(INCIDENT_ID);
    expect(incident?.history.at(-1)?.what).toMatch(/^found not public/);
  });

  it('writes no incident for a private bucket that had none', async () => {
    mockBucket(deps.mocks, { bucket: DELETE_POLICY_BUCKET, ownership: 'BucketOwnerEnforced' });

    const state = await classify(await registeredState(DELETE_POLICY_EVENT, deps));

    expect(state.assessment).toMatchObject({ outcome: 'notPublic', incidentId: null });
    expect(await deps.store.listIncidents()).toEqual([]);
  });

  it('does not call a bucket private while the read lags an event that made it public', async () => {
    bucket({ ownership: 'BucketOwnerEnforced' });
    const state = await registeredState(POLICY_EVENT, deps);

    await expect(classify(state)).rejects.toThrow(
      expect.objectContaining({
        name: 'ChangeNotVisibleYetError',
        message: expect.stringMatching(/put a public policy/),
      }),
    );
    expect(await deps.store.listIncidents()).toEqual([]);
    // The events wait for the read that will show them.
    expect((await deps.store.getLease(bucketRef(BUCKET)))?.pending).toHaveLength(1);
  });

  it('reports a change still not visible after the retries as unseen: could not fully assess, MEDIUM', async () => {
    bucket({ ownership: 'BucketOwnerEnforced' });

    const state = await classify({ ...(await registeredState(POLICY_EVENT, deps)), changeNotVisible: true });

    expect(state.assessment).toMatchObject({ outcome: 'partial', severity: 'MEDIUM' });
    expect(state.changeNotVisible).toBeUndefined();
    const [incident] = await deps.store.listIncidents();
    expect(incident?.verdict.unknown).toEqual([
      expect.objectContaining({ part: 'bucketPolicy', kind: 'unseen' }),
    ]);
  });

  it('takes the recorded events off the lease', async () => {
    bucket({ publicPolicy: true });

    await classify(await registeredState(POLICY_EVENT, deps));

    expect((await deps.store.getLease(bucketRef(BUCKET)))?.pending).toEqual([]);
  });
});

describe('classifyExposureTask: failures', () => {
  it('throws BucketNotFoundError when the bucket does not exist', async () => {
    deps.mocks.s3.onAnyCommand().rejects(s3Error('NoSuchBucket'));

    const state = await registeredState(POLICY_EVENT, deps);

    await expect(classifyExposureTask(state, deps)).rejects.toHaveProperty('name', 'BucketNotFoundError');
  });

  it('leaves the events on the lease when the read fails, for the retry to see them again', async () => {
    deps.mocks.s3.onAnyCommand().rejects(s3Error('SlowDown', 503));
    const state = await registeredState(POLICY_EVENT, deps);

    await expect(classifyExposureTask(state, deps)).rejects.toMatchObject({
      name: 'AwsTransientError',
      code: 'SlowDown',
    });
    expect((await deps.store.getLease(bucketRef(BUCKET)))?.pending.map((e) => e.eventID)).toEqual([
      POLICY_EVENT_ID,
    ]);
  });

  it('throws LeaseLostError, reading nothing, when another execution reclaimed the lease', async () => {
    bucket({ publicPolicy: true });
    const stale = await registeredState(POLICY_EVENT, deps);
    deps.clock.advance(deps.config.timings.leaseSeconds * 1000);
    // The holder's lease ran out and Step Functions says it has ended: the next event reclaims it.
    deps.mocks.sfn.on(DescribeExecutionCommand).resolves({ status: 'TIMED_OUT' });
    await registeredState(BPA_EVENT, deps, { executionId: EXECUTION_B });

    await expect(classifyExposureTask(stale, deps)).rejects.toMatchObject({
      name: 'LeaseLostError',
      holder: EXECUTION_B,
    });
    expect(deps.mocks.s3.calls()).toEqual([]);
  });
});
