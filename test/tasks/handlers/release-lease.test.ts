import { beforeEach, describe, expect, it } from 'vitest';
import { releaseLease } from '../../../tasks/release-lease/handler.js';
import { WorkflowStateSchema } from '../../../tasks/shared/contracts.js';
import { bucketRef } from '../../support/store.js';
import { EXECUTION_A, EXECUTION_B, makeDeps, registeredState, stateFor, type TestDeps } from './support.js';

const BUCKET = 'acme-public-assets';
const POLICY_EVENT = 'put-bucket-policy-public.json';
const BPA_EVENT = 'put-bucket-public-access-block.json';

let deps: TestDeps;

beforeEach(async () => {
  deps = await makeDeps();
});

/** Registers the policy event for execution A and records its events, as ClassifyExposure does. */
async function ownedAndClassified() {
  const state = await registeredState(POLICY_EVENT, deps);
  const events = await deps.store.pendingEvents(bucketRef(BUCKET), EXECUTION_A, deps.clock.now(), 900);
  await deps.store.acknowledgeEvents(
    bucketRef(BUCKET),
    EXECUTION_A,
    events.map((e) => e.eventID),
  );
  return state;
}

async function release(state: unknown) {
  return WorkflowStateSchema.parse(await releaseLease(state, deps));
}

describe('releaseLease', () => {
  it('lets the bucket go when no event waits', async () => {
    const state = await ownedAndClassified();

    const next = await release(state);

    expect(next.lease).toEqual({ outcome: 'released' });
    expect(await deps.store.getLease(bucketRef(BUCKET))).toBeNull();
  });

  it('keeps the lease and answers moreEvents when another event joined', async () => {
    const state = await ownedAndClassified();
    await registeredState(BPA_EVENT, deps, { executionId: EXECUTION_B });

    const next = await release(state);

    expect(next.lease).toEqual({ outcome: 'moreEvents' });
    expect((await deps.store.getLease(bucketRef(BUCKET)))?.holder).toBe(EXECUTION_A);
  });

  it('answers notHeld when another execution holds the lease, and leaves it alone', async () => {
    await ownedAndClassified();
    const other = await stateFor(POLICY_EVENT, deps, { executionId: EXECUTION_B });

    const next = await release(other);

    expect(next.lease).toEqual({ outcome: 'notHeld' });
    expect((await deps.store.getLease(bucketRef(BUCKET)))?.holder).toBe(EXECUTION_A);
  });

  it('answers moreEvents while the events it read are not yet recorded', async () => {
    const state = await registeredState(POLICY_EVENT, deps);

    const next = await release(state);

    expect(next.lease).toEqual({ outcome: 'moreEvents' });
  });

  it('answers notHeld when the bucket has no lease', async () => {
    const next = await release(await stateFor(POLICY_EVENT, deps));

    expect(next.lease).toEqual({ outcome: 'notHeld' });
  });
});
