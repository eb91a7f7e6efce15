import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { normalizeEvent } from '../../../tasks/normalize-event/handler.js';
import { EXECUTION_A, eventFor, makeDeps, OWN_ROLE, readEvent, stateFor, type TestDeps } from './support.js';

let deps: TestDeps;

/** The sample public-policy event, as another account's CloudTrail would deliver it. */
function fromAccount(account: string) {
  const event = z
    .looseObject({ detail: z.looseObject({}) })
    .parse(readEvent('put-bucket-policy-public.json'));
  return { ...event, account, detail: { ...event.detail, recipientAccountId: account } };
}

beforeEach(async () => {
  deps = await makeDeps();
});

describe('normalizeEvent', () => {
  it('turns a public bucket policy into an exposure of its bucket', async () => {
    const state = await stateFor('put-bucket-policy-public.json', deps);

    expect(state.intake).toEqual({ kind: 'exposure', reason: 'PutBucketPolicy on acme-public-assets' });
    expect(state.trigger).toMatchObject({
      eventID: 'cd849c53-7932-4d49-934a-269d29776789',
      bucket: 'acme-public-assets',
      scope: 'bucket',
      actor: { arn: 'arn:aws:iam::111122223333:user/dana.ops' },
    });
    expect(state.executionId).toBe(EXECUTION_A);
  });

  it('loads the deployment configuration into the state', async () => {
    const state = await stateFor('put-bucket-policy-public.json', deps);

    expect(state.config).toEqual(deps.config);
  });

  it('leaves the policy text out of the state', async () => {
    const state = await stateFor('put-bucket-policy-public.json', deps);

    expect(state.trigger?.requested).not.toHaveProperty('policyText');
    expect(JSON.stringify(state)).not.toContain('PublicReadGetObject');
  });

  it('ignores a failed call and records it in the store as an attempt', async () => {
    const state = await stateFor('failed-put-bucket-policy.json', deps);

    expect(state.intake).toEqual({
      kind: 'ignore',
      reason: 'failed call (AccessDenied): recorded as an attempt, nothing changed',
    });
    expect(await deps.store.listAttempts()).toEqual([
      {
        accountId: '111122223333',
        bucket: 'acme-reports',
        errorCode: 'AccessDenied',
        event: {
          eventID: 'f092b22d-1172-4b2e-93be-f753217270bd',
          eventName: 'PutBucketPolicy',
          actor: 'arn:aws:iam::111122223333:user/dana.ops',
          sourceIp: '203.0.113.24',
          time: '2024-05-14T10:31:18Z',
          keys: [],
          // What the call asked for, as a witness: the policy's meaning, never its text.
          requested: { publicAcl: false, publicPolicy: true },
        },
      },
    ]);
  });

  it('refuses an event from an account this deployment does not cover, and records it', async () => {
    const foreign = fromAccount('999988887777');

    const state = await normalizeEvent({ event: foreign, executionId: EXECUTION_A }, deps);

    expect(state.intake).toEqual({
      kind: 'ignore',
      reason:
        'event from account 999988887777, which this deployment does not cover (111122223333): refused and recorded',
    });
    expect(await deps.store.listAttempts()).toEqual([
      expect.objectContaining({ bucket: 'acme-public-assets', errorCode: 'AccountNotCovered' }),
    ]);
  });

  it('answers events of every account the configuration names', async () => {
    const multi = await makeDeps({ config: { accounts: ['111122223333', '999988887777'] } });
    const other = fromAccount('999988887777');

    const state = await normalizeEvent({ event: other, executionId: EXECUTION_A }, multi);

    expect(state.intake.kind).toBe('exposure');
  });

  it("ignores a change made through the responder's own role, recognised by its session issuer", async () => {
    const state = await stateFor('self-triggered-put-bucket-policy.json', deps);

    expect(state.trigger?.actor.sessionIssuerArn).toBe(OWN_ROLE);
    expect(state.intake).toEqual({ kind: 'ignore', reason: 'a change made by the responder itself' });
  });

  it('ignores a call that cannot change exposure, with no trigger', async () => {
    const state = await stateFor('irrelevant-get-object.json', deps);

    expect(state.intake).toEqual({ kind: 'ignore', reason: 'GetObject does not change exposure' });
    expect(state.trigger).toBeNull();
    expect(await deps.store.listAttempts()).toEqual([]);
  });

  it('hands an account-level change on for fan-out, keeping the event', async () => {
    const state = await stateFor('delete-account-public-access-block.json', deps);

    expect(state.intake.kind).toBe('account');
    expect(state.trigger).toMatchObject({ scope: 'account', bucket: null });
    expect(state.accountEvent).toEqual(readEvent('delete-account-public-access-block.json'));
  });

  it('scopes a fanned-out account change to its bucket, with a per-bucket eventID', async () => {
    const state = await stateFor('delete-account-public-access-block.json', deps, {
      fanOut: { bucket: 'acme-reports', region: 'eu-west-1' },
    });

    expect(state.intake).toEqual({
      kind: 'exposure',
      reason: 'DeleteAccountPublicAccessBlock on acme-reports',
    });
    expect(state.trigger).toMatchObject({
      scope: 'bucket',
      bucket: 'acme-reports',
      region: 'eu-west-1',
      eventID: '1ba375f8-7a4c-4da6-a5f1-ad3ad6bb8139/acme-reports',
    });
    expect(state).not.toHaveProperty('accountEvent');
  });

  it.each([
    ['missing-detail.json', 'MalformedEventError'],
    ['not-cloudtrail.json', 'MalformedEventError'],
    ['bad-time.json', 'MalformedEventError'],
    ['missing-bucket.json', 'MissingBucketError'],
  ])('rejects malformed/%s with %s', async (file, name) => {
    const input = { event: eventFor(`malformed/${file}`), executionId: EXECUTION_A };

    await expect(normalizeEvent(input, deps)).rejects.toHaveProperty('name', name);
  });

  it('rejects an input without an executionId as InvalidInputError', async () => {
    const input = { event: eventFor('put-bucket-policy-public.json') };

    await expect(normalizeEvent(input, deps)).rejects.toHaveProperty('name', 'InvalidInputError');
  });

  describe('an execution started by the sweep', () => {
    const sweepInput = (change: Record<string, unknown> = {}) => ({
      sweep: {
        bucket: 'acme-reports',
        region: 'eu-west-1',
        accountId: '111122223333',
        sweepId: 'sweep-20240514-a1',
        reason: 'public, and no open incident (its event was lost)',
        ...change,
      },
    });

    it('turns it into a trigger on the whole bucket, dated now, by the sweep', async () => {
      const state = await normalizeEvent({ event: sweepInput(), executionId: EXECUTION_A }, deps);

      expect(state.trigger).toEqual({
        eventID: 'sweep/sweep-20240514-a1/acme-reports',
        eventName: 'Sweep',
        eventTime: '2024-05-14T11:00:00.000Z',
        accountId: '111122223333',
        region: 'eu-west-1',
        bucket: 'acme-reports',
        keys: [],
        actor: {
          type: 'S3ExposureSweep',
          arn: null,
          principalId: 's3-exposure-sweep/sweep-20240514-a1',
          accountId: '111122223333',
          sessionIssuerArn: null,
        },
        sourceIp: null,
        userAgent: null,
        scope: 'bucket',
        requested: { publicAcl: false },
      });
    });

    it('says which sweep started it, on which bucket, and why', async () => {
      const state = await normalizeEvent({ event: sweepInput(), executionId: EXECUTION_A }, deps);

      expect(state.intake).toEqual({
        kind: 'exposure',
        reason: 'sweep sweep-20240514-a1 on acme-reports: public, and no open incident (its event was lost)',
      });
    });

    it('refuses a sweep of an account this deployment does not cover, and records it', async () => {
      const event = sweepInput({ accountId: '999988887777' });

      const state = await normalizeEvent({ event, executionId: EXECUTION_A }, deps);

      expect(state.intake.kind).toBe('ignore');
      expect(await deps.store.listAttempts()).toEqual([
        expect.objectContaining({ bucket: 'acme-reports', errorCode: 'AccountNotCovered' }),
      ]);
    });

    it('rejects a sweep input that names no bucket as a malformed event', async () => {
      const event = { sweep: { ...sweepInput().sweep, bucket: undefined } };

      await expect(normalizeEvent({ event, executionId: EXECUTION_A }, deps)).rejects.toHaveProperty(
        'name',
        'MalformedEventError',
      );
    });
  });
});
