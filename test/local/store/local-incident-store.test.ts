import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalIncidentStore } from '../../../local/store/local-incident-store.js';
import type { IncidentEvent } from '../../../tasks/shared/contracts.js';
import { closedIncident, INCIDENT_BUCKET, INCIDENT_ID, makeIncident } from '../../support/incidents.js';

const BUCKET = INCIDENT_BUCKET;
const A = 'arn:aws:states:us-east-1:111122223333:execution:s3-exposure-response:exec-a';
const B = 'arn:aws:states:us-east-1:111122223333:execution:s3-exposure-response:exec-b';
const LEASE_SECONDS = 900;
const T0 = new Date('2024-05-14T11:00:00.000Z');

function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

function event(eventID: string): IncidentEvent {
  return {
    eventID,
    eventName: 'PutBucketPolicy',
    actor: 'arn:aws:iam::111122223333:user/dana.ops',
    sourceIp: '203.0.113.24',
    time: '2024-05-14T10:59:00Z',
    keys: [],
  };
}

let store: LocalIncidentStore;

beforeEach(() => {
  store = LocalIncidentStore.empty();
});

function register(executionId: string, eventID: string, now: Date = T0) {
  return store.register({
    bucket: BUCKET,
    executionId,
    event: event(eventID),
    now,
    leaseSeconds: LEASE_SECONDS,
  });
}

function pendingIds(): string[] {
  return store.lease(BUCKET)?.pending.map((e) => e.eventID) ?? [];
}

describe('LocalIncidentStore.register', () => {
  it('gives a free bucket to the first execution, for leaseSeconds', async () => {
    await expect(register(A, 'e1')).resolves.toEqual({ role: 'owner' });
    expect(store.lease(BUCKET)).toEqual({
      holder: A,
      expiresAt: '2024-05-14T11:15:00.000Z',
      pending: [event('e1')],
    });
  });

  it('lets another execution join a held bucket, leaving its event on the lease', async () => {
    await register(A, 'e1');

    await expect(register(B, 'e2', at(60))).resolves.toEqual({ role: 'joined', holder: A });
    expect(store.lease(BUCKET)?.holder).toBe(A);
    expect(pendingIds()).toEqual(['e1', 'e2']);
  });

  it('calls an event registered by another execution a duplicate, and changes nothing', async () => {
    await register(A, 'e1');

    await expect(register(B, 'e1', at(60))).resolves.toEqual({ role: 'duplicate', holder: A });
    expect(pendingIds()).toEqual(['e1']);
  });

  it('answers duplicate even when the first execution no longer holds the bucket', async () => {
    await register(A, 'e1');
    await store.acknowledgeEvents(BUCKET, A, ['e1']);
    await store.releaseLease(BUCKET, A);

    await expect(register(B, 'e1', at(60))).resolves.toEqual({ role: 'duplicate', holder: A });
    expect(store.lease(BUCKET)).toBeNull();
  });

  it('recognises a retry of the owner, renewing the lease without a second copy of the event', async () => {
    await register(A, 'e1');

    await expect(register(A, 'e1', at(60))).resolves.toEqual({ role: 'owner' });
    expect(store.lease(BUCKET)?.expiresAt).toBe('2024-05-14T11:16:00.000Z');
    expect(pendingIds()).toEqual(['e1']);
  });

  it('keeps a lease until the moment it expires', async () => {
    await register(A, 'e1');

    await expect(register(B, 'e2', at(LEASE_SECONDS - 1))).resolves.toEqual({ role: 'joined', holder: A });
  });

  it('hands an expired lease to the next execution with the events still waiting on it', async () => {
    await register(A, 'e1');

    await expect(register(B, 'e2', at(LEASE_SECONDS))).resolves.toEqual({ role: 'owner' });
    expect(store.lease(BUCKET)?.holder).toBe(B);
    expect(pendingIds()).toEqual(['e1', 'e2']);
  });

  it('keeps the leases of different buckets apart', async () => {
    await register(A, 'e1');

    const other = await store.register({
      bucket: 'acme-logs',
      executionId: B,
      event: event('e2'),
      now: T0,
      leaseSeconds: LEASE_SECONDS,
    });

    expect(other).toEqual({ role: 'owner' });
    expect(store.lease('acme-logs')?.holder).toBe(B);
  });
});

describe('LocalIncidentStore.pendingEvents and acknowledgeEvents', () => {
  it('returns the waiting events and renews the lease', async () => {
    await register(A, 'e1');

    await expect(store.pendingEvents(BUCKET, A, at(600), LEASE_SECONDS)).resolves.toEqual([event('e1')]);
    expect(store.lease(BUCKET)?.expiresAt).toBe('2024-05-14T11:25:00.000Z');
  });

  it('keeps a renewed lease from being reclaimed at the first expiry', async () => {
    await register(A, 'e1');
    await store.pendingEvents(BUCKET, A, at(600), LEASE_SECONDS);

    await expect(register(B, 'e2', at(LEASE_SECONDS))).resolves.toEqual({ role: 'joined', holder: A });
  });

  it('leaves the events on the lease until they are acknowledged', async () => {
    await register(A, 'e1');
    await store.pendingEvents(BUCKET, A, T0, LEASE_SECONDS);

    expect(pendingIds()).toEqual(['e1']);
  });

  it('removes only the acknowledged events, so one that joined meanwhile stays', async () => {
    await register(A, 'e1');
    const seen = await store.pendingEvents(BUCKET, A, T0, LEASE_SECONDS);
    await register(B, 'e2', at(1));

    await store.acknowledgeEvents(
      BUCKET,
      A,
      seen.map((e) => e.eventID),
    );

    expect(pendingIds()).toEqual(['e2']);
  });

  it('returns copies: changing them does not change the lease', async () => {
    await register(A, 'e1');
    const [first] = await store.pendingEvents(BUCKET, A, T0, LEASE_SECONDS);
    if (first) first.eventID = 'changed';

    expect(pendingIds()).toEqual(['e1']);
  });

  it('throws LeaseLostError, naming the new holder, to an execution whose lease was reclaimed', async () => {
    await register(A, 'e1');
    await register(B, 'e2', at(LEASE_SECONDS));

    await expect(store.pendingEvents(BUCKET, A, at(LEASE_SECONDS), LEASE_SECONDS)).rejects.toMatchObject({
      name: 'LeaseLostError',
      bucket: BUCKET,
      holder: B,
    });
  });

  it('throws LeaseLostError with no holder when the bucket has no lease', async () => {
    await expect(store.pendingEvents(BUCKET, A, T0, LEASE_SECONDS)).rejects.toMatchObject({
      name: 'LeaseLostError',
      holder: null,
    });
  });

  it('refuses an acknowledgement from an execution that does not hold the lease', async () => {
    await register(A, 'e1');

    await expect(store.acknowledgeEvents(BUCKET, B, ['e1'])).rejects.toHaveProperty('name', 'LeaseLostError');
    expect(pendingIds()).toEqual(['e1']);
  });
});

describe('LocalIncidentStore.releaseLease', () => {
  it('releases a lease with no waiting events, freeing the bucket', async () => {
    await register(A, 'e1');
    await store.acknowledgeEvents(BUCKET, A, ['e1']);

    await expect(store.releaseLease(BUCKET, A)).resolves.toBe('released');
    expect(store.lease(BUCKET)).toBeNull();
    await expect(register(B, 'e2', at(1))).resolves.toEqual({ role: 'owner' });
  });

  it('answers moreEvents and keeps the lease while events wait', async () => {
    await register(A, 'e1');
    await store.acknowledgeEvents(BUCKET, A, ['e1']);
    await register(B, 'e2', at(1));

    await expect(store.releaseLease(BUCKET, A)).resolves.toBe('moreEvents');
    expect(store.lease(BUCKET)?.holder).toBe(A);
  });

  it('answers notHeld to an execution that does not hold the lease', async () => {
    await register(A, 'e1');

    await expect(store.releaseLease(BUCKET, B)).resolves.toBe('notHeld');
    expect(store.lease(BUCKET)?.holder).toBe(A);
  });

  it('answers notHeld when the bucket has no lease', async () => {
    await expect(store.releaseLease(BUCKET, A)).resolves.toBe('notHeld');
  });
});

describe('LocalIncidentStore.abandonLease', () => {
  it('lets the next event take the bucket at once, with the waiting events', async () => {
    await register(A, 'e1');

    await expect(store.abandonLease(BUCKET, A)).resolves.toBe(true);

    await expect(register(B, 'e2', at(1))).resolves.toEqual({ role: 'owner' });
    expect(pendingIds()).toEqual(['e1', 'e2']);
  });

  it('refuses to abandon a lease held by another execution', async () => {
    await register(A, 'e1');

    await expect(store.abandonLease(BUCKET, B)).resolves.toBe(false);
    await expect(register(B, 'e2', at(1))).resolves.toEqual({ role: 'joined', holder: A });
  });
});

describe('LocalIncidentStore.recordAttempt', () => {
  it('records a failed call once per eventID', async () => {
    await store.recordAttempt(BUCKET, event('e1'), 'AccessDenied');
    await store.recordAttempt(BUCKET, event('e1'), 'AccessDenied');

    expect(store.attempts()).toEqual([{ bucket: BUCKET, event: event('e1'), errorCode: 'AccessDenied' }]);
  });

  it('takes no lease for an attempt', async () => {
    await store.recordAttempt(BUCKET, event('e1'), 'AccessDenied');

    expect(store.lease(BUCKET)).toBeNull();
  });
});

describe('LocalIncidentStore incidents', () => {
  it('keeps at most one OPEN incident per bucket', async () => {
    await store.putIncident(makeIncident());

    await expect(store.putIncident(makeIncident({ incidentId: 'inc-second' }))).rejects.toHaveProperty(
      'name',
      'IncidentConflictError',
    );
    expect((await store.listIncidents()).map((i) => i.incidentId)).toEqual([INCIDENT_ID]);
  });

  it('replaces an incident put again under the same id', async () => {
    await store.putIncident(makeIncident());

    await store.putIncident(makeIncident({ response: 'NOTIFIED' }));

    expect(await store.listIncidents()).toEqual([makeIncident({ response: 'NOTIFIED' })]);
  });

  it('opens a new incident once the earlier one is closed', async () => {
    await store.putIncident(closedIncident('NOT_PUBLIC'));

    await store.putIncident(makeIncident({ incidentId: 'inc-second', previousIncidentId: INCIDENT_ID }));

    expect((await store.getOpenIncident(BUCKET))?.incidentId).toBe('inc-second');
  });

  it('returns no open incident when the only one is closed', async () => {
    await store.putIncident(closedIncident('REMEDIATED'));

    await expect(store.getOpenIncident(BUCKET)).resolves.toBeNull();
  });

  it('returns the most recent incident of a bucket, open or closed', async () => {
    await store.putIncident(closedIncident('NOT_PUBLIC'));
    await store.putIncident(closedIncident('REMEDIATED', { incidentId: 'inc-second' }));
    await store.putIncident(makeIncident({ bucket: 'acme-logs', incidentId: 'inc-other-bucket' }));

    await expect(store.getLatestIncident(BUCKET)).resolves.toMatchObject({ incidentId: 'inc-second' });
  });

  it('returns no latest incident for a bucket that never had one', async () => {
    await expect(store.getLatestIncident('acme-logs')).resolves.toBeNull();
  });

  it('finds an incident by id', async () => {
    await store.putIncident(makeIncident());

    await expect(store.getIncident(INCIDENT_ID)).resolves.toEqual(makeIncident());
  });

  it('returns null for an unknown incident id', async () => {
    await store.putIncident(makeIncident());

    await expect(store.getIncident('inc-unknown')).resolves.toBeNull();
  });

  it('returns copies: changing one does not change the store', async () => {
    await store.putIncident(makeIncident());
    const read = await store.getOpenIncident(BUCKET);
    if (read) read.status = 'CLOSED';

    expect((await store.getOpenIncident(BUCKET))?.status).toBe('OPEN');
  });

  it('keeps a copy of what was put: changing the original later does not change the store', async () => {
    const incident = makeIncident();
    await store.putIncident(incident);
    incident.history.push({ at: T0.toISOString(), what: 'changed outside' });

    expect((await store.getIncident(INCIDENT_ID))?.history).toHaveLength(1);
  });
});

describe('LocalIncidentStore.save and load', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'incident-store-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads what it saved: incidents, leases, events and attempts', async () => {
    await store.putIncident(makeIncident());
    await register(A, 'e1');
    await store.recordAttempt(BUCKET, event('e0'), 'AccessDenied');
    await store.save(dir);

    const loaded = await LocalIncidentStore.load(dir);

    expect(await loaded.listIncidents()).toEqual([makeIncident()]);
    expect(loaded.lease(BUCKET)).toEqual(store.lease(BUCKET));
    expect(loaded.attempts()).toEqual(store.attempts());
    await expect(
      loaded.register({
        bucket: BUCKET,
        executionId: B,
        event: event('e1'),
        now: at(1),
        leaseSeconds: LEASE_SECONDS,
      }),
    ).resolves.toEqual({ role: 'duplicate', holder: A });
  });

  it('writes the store as one JSON file, incidents.json', async () => {
    await store.putIncident(makeIncident());
    await store.save(dir);

    const text = await readFile(join(dir, 'incidents.json'), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ incidents: [{ incidentId: INCIDENT_ID }] });
  });

  it('creates the folder when it does not exist', async () => {
    const nested = join(dir, 'state', 'nested');

    await store.save(nested);

    expect((await LocalIncidentStore.load(nested)).lease(BUCKET)).toBeNull();
    await expect(readFile(join(nested, 'incidents.json'), 'utf8')).resolves.toContain('"incidents"');
  });

  it('starts empty when there is no file yet', async () => {
    const loaded = await LocalIncidentStore.load(dir);

    await expect(loaded.listIncidents()).resolves.toEqual([]);
  });

  it('refuses a file that is not JSON', async () => {
    await writeFile(join(dir, 'incidents.json'), '{ not json');

    await expect(LocalIncidentStore.load(dir)).rejects.toBeInstanceOf(SyntaxError);
  });
});
