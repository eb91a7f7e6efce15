import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { registerIncident } from '../../../tasks/register-incident/handler.js';
import { bucketRef } from '../../support/store.js';
import { EXECUTION_A, EXECUTION_B, makeDeps, registeredState, stateFor, type TestDeps } from './support.js';

const BUCKET = 'acme-public-assets';
const POLICY_EVENT = 'put-bucket-policy-public.json';
const BPA_EVENT = 'put-bucket-public-access-block.json';
const POLICY_EVENT_ID = 'cd849c53-7932-4d49-934a-269d29776789';
const BPA_EVENT_ID = '334c9e50-d847-42d8-b382-a6bcf4f3fea2';

let deps: TestDeps;

beforeEach(async () => {
  deps = await makeDeps();
});

async function pendingIds(): Promise<string[]> {
  return (await deps.store.getLease(bucketRef(BUCKET)))?.pending.map((e) => e.eventID) ?? [];
}

describe('registerIncident', () => {
  it("makes the first execution the bucket's owner", async () => {
    const state = await registeredState(POLICY_EVENT, deps);

    expect(state.registration).toEqual({ role: 'owner', holder: null });
    expect(await deps.store.getLease(bucketRef(BUCKET))).toMatchObject({
      holder: EXECUTION_A,
      expiresAt: '2024-05-14T11:15:00.000Z',
    });
    expect(await pendingIds()).toEqual([POLICY_EVENT_ID]);
  });

  it('lets a second execution with another event join, naming the holder', async () => {
    await registeredState(POLICY_EVENT, deps);

    const state = await registeredState(BPA_EVENT, deps, { executionId: EXECUTION_B });

    expect(state.registration).toEqual({ role: 'joined', holder: EXECUTION_A });
    expect((await deps.store.getLease(bucketRef(BUCKET)))?.holder).toBe(EXECUTION_A);
    expect(await pendingIds()).toEqual([POLICY_EVENT_ID, BPA_EVENT_ID]);
  });

  it('calls the same event from another execution a duplicate', async () => {
    await registeredState(POLICY_EVENT, deps);

    const state = await registeredState(POLICY_EVENT, deps, { executionId: EXECUTION_B });

    expect(state.registration).toEqual({ role: 'duplicate', holder: EXECUTION_A });
    expect(await pendingIds()).toEqual([POLICY_EVENT_ID]);
  });

  it('recognises a retry of the same execution as the owner, without a second pending event', async () => {
    const normalized = await stateFor(POLICY_EVENT, deps);
    await registerIncident(normalized, deps);

    const retried = await registerIncident(normalized, deps);

    expect(retried).toMatchObject({ registration: { role: 'owner', holder: null } });
    expect(await pendingIds()).toEqual([POLICY_EVENT_ID]);
  });

  it('reclaims an expired lease whose holder has ended, and keeps the events waiting on it', async () => {
    await registeredState(POLICY_EVENT, deps);
    deps.clock.advance(deps.config.timings.leaseSeconds * 1000);
    deps.mocks.sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION_A }).resolves({ status: 'FAILED' });

    const state = await registeredState(BPA_EVENT, deps, { executionId: EXECUTION_B });

    expect(state.registration).toEqual({ role: 'owner', holder: null });
    expect((await deps.store.getLease(bucketRef(BUCKET)))?.holder).toBe(EXECUTION_B);
    expect(await pendingIds()).toEqual([POLICY_EVENT_ID, BPA_EVENT_ID]);
  });

  it('keeps an expired lease whose holder still runs: the event joins, however old the lease', async () => {
    await registeredState(POLICY_EVENT, deps);
    deps.clock.advance(deps.config.timings.leaseSeconds * 1000 * 100);
    deps.mocks.sfn
      .on(DescribeExecutionCommand, { executionArn: EXECUTION_A })
      .resolves({ status: 'RUNNING' });

    const state = await registeredState(BPA_EVENT, deps, { executionId: EXECUTION_B });

    expect(state.registration).toEqual({ role: 'joined', holder: EXECUTION_A });
    expect((await deps.store.getLease(bucketRef(BUCKET)))?.holder).toBe(EXECUTION_A);
    expect(await pendingIds()).toEqual([POLICY_EVENT_ID, BPA_EVENT_ID]);
  });

  it('rejects a state without a bucket as InvalidInputError', async () => {
    const state = await stateFor('delete-account-public-access-block.json', deps);

    await expect(registerIncident(state, deps)).rejects.toHaveProperty('name', 'InvalidInputError');
  });
});
