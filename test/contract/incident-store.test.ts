/**
 * The incident store's contract, run against the real DynamoDB store on dynalite: leases and
 * events, incidents and their versions, large incidents in parts, exceptions, and races between
 * many overlapping executions.
 */
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { IncidentEvent } from '../../tasks/shared/contracts.js';
import type { DynamoIncidentStore } from '../../tasks/shared/store/dynamo-incident-store.js';
import {
  closedIncident,
  INCIDENT_BUCKET,
  INCIDENT_ID,
  makeIncident,
  objectAclVerdict,
  objectKeys,
} from '../support/incidents.js';
import { bucketRef, freshStore, testDynamo } from '../support/store.js';

const BUCKET = INCIDENT_BUCKET;
const A = 'arn:aws:states:us-east-1:111122223333:execution:s3-exposure-response:exec-a';
const B = 'arn:aws:states:us-east-1:111122223333:execution:s3-exposure-response:exec-b';
const LEASE_SECONDS = 900;
const T0 = new Date('2024-05-14T11:00:00.000Z');

function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

function event(eventID: string, keys: string[] = []): IncidentEvent {
  return {
    eventID,
    eventName: 'PutBucketPolicy',
    actor: 'arn:aws:iam::111122223333:user/dana.ops',
    sourceIp: '203.0.113.24',
    time: '2024-05-14T10:59:00Z',
    keys,
  };
}

let store: DynamoIncidentStore;

beforeEach(async () => {
  store = await freshStore();
});

function register(executionId: string, eventID: string, now: Date = T0, bucket = BUCKET) {
  return store.register({
    ref: bucketRef(bucket),
    executionId,
    event: event(eventID),
    now,
    leaseSeconds: LEASE_SECONDS,
  });
}

async function pendingIds(bucket = BUCKET): Promise<string[]> {
  return (await store.getLease(bucketRef(bucket)))?.pending.map((e) => e.eventID) ?? [];
}

describe('register', () => {
  it('gives a free bucket to the first execution, for leaseSeconds', async () => {
    await expect(register(A, 'e1')).resolves.toEqual({ role: 'owner' });
    expect(await store.getLease(bucketRef(BUCKET))).toMatchObject({
      holder: A,
      expiresAt: '2024-05-14T11:15:00.000Z',
      pending: [event('e1')],
    });
  });

  it('lets another execution join a held bucket, leaving its event on the lease', async () => {
    await register(A, 'e1');

    await expect(register(B, 'e2', at(60))).resolves.toEqual({ role: 'joined', holder: A });
    expect((await store.getLease(bucketRef(BUCKET)))?.holder).toBe(A);
    expect(await pendingIds()).toEqual(['e1', 'e2']);
  });

  it('calls an event registered by another execution a duplicate, and changes nothing', async () => {
    await register(A, 'e1');

    await expect(register(B, 'e1', at(60))).resolves.toEqual({ role: 'duplicate', holder: A });
    expect(await pendingIds()).toEqual(['e1']);
  });

  it('answers duplicate even when the first execution no longer holds the bucket', async () => {
    await register(A, 'e1');
    await store.acknowledgeEvents(bucketRef(BUCKET), A, ['e1']);
    await store.releaseLease(bucketRef(BUCKET), A);

    await expect(register(B, 'e1', at(60))).resolves.toEqual({ role: 'duplicate', holder: A });
    expect(await store.getLease(bucketRef(BUCKET))).toBeNull();
  });

  it('recognises a retry of the owner, renewing the lease without a second copy of the event', async () => {
    await register(A, 'e1');

    await expect(register(A, 'e1', at(60))).resolves.toEqual({ role: 'owner' });
    expect((await store.getLease(bucketRef(BUCKET)))?.expiresAt).toBe('2024-05-14T11:16:00.000Z');
    expect(await pendingIds()).toEqual(['e1']);
  });

  it('does not hand an event over again when a joined execution retries after the holder recorded it', async () => {
    await register(A, 'e1');
    await register(B, 'e2', at(1));
    await store.acknowledgeEvents(bucketRef(BUCKET), A, ['e1', 'e2']);

    await expect(register(B, 'e2', at(2))).resolves.toEqual({ role: 'joined', holder: A });
    expect(await pendingIds()).toEqual([]);
  });

  it('keeps a lease until the moment it expires', async () => {
    await register(A, 'e1');

    await expect(register(B, 'e2', at(LEASE_SECONDS - 1))).resolves.toEqual({ role: 'joined', holder: A });
  });

  it('hands an expired lease to the next execution with the events still waiting on it', async () => {
    await register(A, 'e1');

    await expect(register(B, 'e2', at(LEASE_SECONDS))).resolves.toEqual({ role: 'owner' });
    expect((await store.getLease(bucketRef(BUCKET)))?.holder).toBe(B);
    expect(await pendingIds()).toEqual(['e1', 'e2']);
  });

  it('asked, keeps an expired lease with a holder that still runs, renewed, and the event joins', async () => {
    await register(A, 'e1');
    const asked: string[] = [];
    const registration = await store.register({
      ref: bucketRef(BUCKET),
      executionId: B,
      event: event('e2'),
      now: at(LEASE_SECONDS * 10),
      leaseSeconds: LEASE_SECONDS,
      holderStillRuns: async (holder) => {
        asked.push(holder);
        return true;
      },
    });

    expect(registration).toEqual({ role: 'joined', holder: A });
    expect(asked).toEqual([A]);
    const lease = await store.getLease(bucketRef(BUCKET));
    expect(lease?.holder).toBe(A);
    expect(lease?.expiresAt).toBe(at(LEASE_SECONDS * 11).toISOString());
    expect(await pendingIds()).toEqual(['e1', 'e2']);
    // The holder's own renewal works again.
    await expect(
      store.pendingEvents(bucketRef(BUCKET), A, at(LEASE_SECONDS * 10 + 1), LEASE_SECONDS),
    ).resolves.toHaveLength(2);
  });

  it('asked, takes an expired lease whose holder has ended, and never asks about a lease in force', async () => {
    await register(A, 'e1');
    const asked: string[] = [];
    const ask = async (holder: string) => {
      asked.push(holder);
      return false;
    };
    const input = {
      ref: bucketRef(BUCKET),
      executionId: B,
      leaseSeconds: LEASE_SECONDS,
      holderStillRuns: ask,
    };

    await expect(store.register({ ...input, event: event('e2'), now: at(1) })).resolves.toEqual({
      role: 'joined',
      holder: A,
    });
    expect(asked).toEqual([]);
    await expect(store.register({ ...input, event: event('e3'), now: at(LEASE_SECONDS) })).resolves.toEqual({
      role: 'owner',
    });
    expect(asked).toEqual([A]);
    expect((await store.getLease(bucketRef(BUCKET)))?.holder).toBe(B);
  });

  it('asked, takes a lease its holder gave up without asking: the holder may still be running its failure report', async () => {
    await register(A, 'e1');
    await store.abandonLease(bucketRef(BUCKET), A);
    const asked: string[] = [];
    const registration = await store.register({
      ref: bucketRef(BUCKET),
      executionId: B,
      event: event('e2'),
      now: at(1),
      leaseSeconds: LEASE_SECONDS,
      holderStillRuns: async (holder) => {
        asked.push(holder);
        return true;
      },
    });

    expect(registration).toEqual({ role: 'owner' });
    expect(asked).toEqual([]);
    expect(await pendingIds()).toEqual(['e1', 'e2']);
  });

  it('keeps the leases of different buckets apart', async () => {
    await register(A, 'e1');

    await expect(register(B, 'e2', T0, 'acme-logs')).resolves.toEqual({ role: 'owner' });
    expect((await store.getLease(bucketRef('acme-logs')))?.holder).toBe(B);
    expect(await pendingIds()).toEqual(['e1']);
  });
});

describe('accounts', () => {
  it('keeps the same bucket name of two accounts apart: leases, events and incidents', async () => {
    const ours = bucketRef(BUCKET);
    const theirs = bucketRef(BUCKET, '999988887777');
    await register(A, 'e1');
    await store.putIncident(makeIncident());

    await expect(
      store.register({
        ref: theirs,
        executionId: B,
        event: event('e2'),
        now: T0,
        leaseSeconds: LEASE_SECONDS,
      }),
    ).resolves.toEqual({ role: 'owner' });
    expect((await store.getLease(ours))?.holder).toBe(A);
    expect((await store.getLease(theirs))?.pending.map((e) => e.eventID)).toEqual(['e2']);
    expect(await store.getOpenIncident(theirs)).toBeNull();
    expect((await store.getOpenIncident(ours))?.incidentId).toBe(INCIDENT_ID);
  });
});

describe('pendingEvents and acknowledgeEvents', () => {
  it('returns the waiting events and renews the lease', async () => {
    await register(A, 'e1');

    await expect(store.pendingEvents(bucketRef(BUCKET), A, at(600), LEASE_SECONDS)).resolves.toEqual([
      event('e1'),
    ]);
    expect((await store.getLease(bucketRef(BUCKET)))?.expiresAt).toBe('2024-05-14T11:25:00.000Z');
  });

  it('keeps a renewed lease from being reclaimed at the first expiry', async () => {
    await register(A, 'e1');
    await store.pendingEvents(bucketRef(BUCKET), A, at(600), LEASE_SECONDS);

    await expect(register(B, 'e2', at(LEASE_SECONDS))).resolves.toEqual({ role: 'joined', holder: A });
  });

  it('leaves the events on the lease until they are acknowledged', async () => {
    await register(A, 'e1');
    await store.pendingEvents(bucketRef(BUCKET), A, T0, LEASE_SECONDS);

    expect(await pendingIds()).toEqual(['e1']);
  });

  it('removes only the acknowledged events, so one that joined meanwhile stays', async () => {
    await register(A, 'e1');
    const seen = await store.pendingEvents(bucketRef(BUCKET), A, T0, LEASE_SECONDS);
    await register(B, 'e2', at(1));

    await store.acknowledgeEvents(
      bucketRef(BUCKET),
      A,
      seen.map((e) => e.eventID),
    );

    expect(await pendingIds()).toEqual(['e2']);
  });

  it('acknowledges the same events twice without harm (a retried task)', async () => {
    await register(A, 'e1');
    await store.acknowledgeEvents(bucketRef(BUCKET), A, ['e1']);

    await expect(store.acknowledgeEvents(bucketRef(BUCKET), A, ['e1'])).resolves.toBeUndefined();
    expect(await pendingIds()).toEqual([]);
  });

  it('throws LeaseLostError, naming the new holder, to an execution whose lease was reclaimed', async () => {
    await register(A, 'e1');
    await register(B, 'e2', at(LEASE_SECONDS));

    await expect(
      store.pendingEvents(bucketRef(BUCKET), A, at(LEASE_SECONDS), LEASE_SECONDS),
    ).rejects.toMatchObject({
      name: 'LeaseLostError',
      bucket: BUCKET,
      holder: B,
    });
  });

  it('refuses to renew a lease given up after a failure: a task that outlived its timeout cannot take it back', async () => {
    await register(A, 'e1');
    await store.abandonLease(bucketRef(BUCKET), A);

    await expect(store.pendingEvents(bucketRef(BUCKET), A, at(1), LEASE_SECONDS)).rejects.toHaveProperty(
      'name',
      'LeaseLostError',
    );
    await expect(register(B, 'e2', at(2))).resolves.toEqual({ role: 'owner' });
  });

  it('throws LeaseLostError with no holder when the bucket has no lease', async () => {
    await expect(store.pendingEvents(bucketRef(BUCKET), A, T0, LEASE_SECONDS)).rejects.toMatchObject({
      name: 'LeaseLostError',
      holder: null,
    });
  });

  it('refuses an acknowledgement from an execution that does not hold the lease', async () => {
    await register(A, 'e1');

    await expect(store.acknowledgeEvents(bucketRef(BUCKET), B, ['e1'])).rejects.toHaveProperty(
      'name',
      'LeaseLostError',
    );
    expect(await pendingIds()).toEqual(['e1']);
  });

  it('pages through more waiting events than one query answer holds', async () => {
    await register(A, 'e0');
    const keys = objectKeys(40);
    // 300 events of 40 keys each: about 1.2 MB of items, more than one 1 MB query page.
    for (let i = 1; i <= 300; i++) {
      await store.register({
        ref: bucketRef(BUCKET),
        executionId: `${B}-${i}`,
        event: event(`e${i}`, keys),
        now: at(1),
        leaseSeconds: LEASE_SECONDS,
      });
    }

    const events = await store.pendingEvents(bucketRef(BUCKET), A, at(2), LEASE_SECONDS);

    expect(events).toHaveLength(301);
    expect(events.map((e) => e.eventID).slice(0, 3)).toEqual(['e0', 'e1', 'e2']);
  });
});

describe('releaseLease', () => {
  it('releases a lease with no waiting events, freeing the bucket', async () => {
    await register(A, 'e1');
    await store.acknowledgeEvents(bucketRef(BUCKET), A, ['e1']);

    await expect(store.releaseLease(bucketRef(BUCKET), A)).resolves.toBe('released');
    expect(await store.getLease(bucketRef(BUCKET))).toBeNull();
    await expect(register(B, 'e2', at(1))).resolves.toEqual({ role: 'owner' });
  });

  it('answers moreEvents and keeps the lease while events wait', async () => {
    await register(A, 'e1');
    await store.acknowledgeEvents(bucketRef(BUCKET), A, ['e1']);
    await register(B, 'e2', at(1));

    await expect(store.releaseLease(bucketRef(BUCKET), A)).resolves.toBe('moreEvents');
    expect((await store.getLease(bucketRef(BUCKET)))?.holder).toBe(A);
  });

  it('answers notHeld to an execution that does not hold the lease', async () => {
    await register(A, 'e1');

    await expect(store.releaseLease(bucketRef(BUCKET), B)).resolves.toBe('notHeld');
    expect((await store.getLease(bucketRef(BUCKET)))?.holder).toBe(A);
  });

  it('answers notHeld when the bucket has no lease', async () => {
    await expect(store.releaseLease(bucketRef(BUCKET), A)).resolves.toBe('notHeld');
  });
});

describe('abandonLease', () => {
  it('lets the next event take the bucket at once, with the waiting events', async () => {
    await register(A, 'e1');

    await expect(store.abandonLease(bucketRef(BUCKET), A)).resolves.toBe(true);

    await expect(register(B, 'e2', at(1))).resolves.toEqual({ role: 'owner' });
    expect(await pendingIds()).toEqual(['e1', 'e2']);
  });

  it('refuses to abandon a lease held by another execution', async () => {
    await register(A, 'e1');

    await expect(store.abandonLease(bucketRef(BUCKET), B)).resolves.toBe(false);
    await expect(register(B, 'e2', at(1))).resolves.toEqual({ role: 'joined', holder: A });
  });
});

describe('recordAttempt', () => {
  it('records a failed call once per eventID', async () => {
    await store.recordAttempt(bucketRef(BUCKET), event('e1'), 'AccessDenied');
    await store.recordAttempt(bucketRef(BUCKET), event('e1'), 'AccessDenied');

    expect(await store.listAttempts()).toEqual([
      { accountId: '111122223333', bucket: BUCKET, event: event('e1'), errorCode: 'AccessDenied' },
    ]);
  });

  it('takes no lease for an attempt', async () => {
    await store.recordAttempt(bucketRef(BUCKET), event('e1'), 'AccessDenied');

    expect(await store.getLease(bucketRef(BUCKET))).toBeNull();
  });

  it('lists the attempts of one bucket', async () => {
    await store.recordAttempt(bucketRef(BUCKET), event('e1'), 'AccessDenied');
    await store.recordAttempt(bucketRef('acme-logs'), event('e2'), 'AccessDenied');

    expect((await store.listAttempts(bucketRef('acme-logs'))).map((a) => a.event.eventID)).toEqual(['e2']);
  });
});

describe('incidents', () => {
  it('keeps at most one OPEN incident per bucket', async () => {
    await store.putIncident(makeIncident());

    await expect(store.putIncident(makeIncident({ incidentId: 'inc-second' }))).rejects.toHaveProperty(
      'name',
      'IncidentConflictError',
    );
    expect((await store.listIncidents()).map((i) => i.incidentId)).toEqual([INCIDENT_ID]);
  });

  it('replaces the version that was read, and returns the next version', async () => {
    const first = await store.putIncident(makeIncident());

    const second = await store.putIncident({ ...first, response: 'NOTIFIED' });

    expect([first.version, second.version]).toEqual([1, 2]);
    expect(await store.listIncidents()).toEqual([makeIncident({ response: 'NOTIFIED', version: 2 })]);
  });

  it('refuses a write based on a version that is no longer current (ConcurrentUpdateError)', async () => {
    const read = await store.putIncident(makeIncident());
    await store.putIncident({ ...read, response: 'NOTIFIED' });

    await expect(store.putIncident({ ...read, response: 'FAILED' })).rejects.toHaveProperty(
      'name',
      'ConcurrentUpdateError',
    );
    expect((await store.getIncident(INCIDENT_ID))?.response).toBe('NOTIFIED');
  });

  it('refuses to create an incident that already exists (a retried create reads it first)', async () => {
    await store.putIncident(makeIncident());

    await expect(store.putIncident(makeIncident())).rejects.toHaveProperty('name', 'ConcurrentUpdateError');
    expect(await store.listIncidents()).toHaveLength(1);
  });

  it('opens a new incident once the earlier one is closed', async () => {
    await store.putIncident(closedIncident('NOT_PUBLIC'));

    await store.putIncident(makeIncident({ incidentId: 'inc-second', previousIncidentId: INCIDENT_ID }));

    expect((await store.getOpenIncident(bucketRef(BUCKET)))?.incidentId).toBe('inc-second');
  });

  it('frees the bucket for a new incident when the open one closes', async () => {
    const open = await store.putIncident(makeIncident());
    await store.putIncident({ ...open, status: 'CLOSED', closedReason: 'NOT_PUBLIC' });

    await store.putIncident(makeIncident({ incidentId: 'inc-second' }));

    expect((await store.getOpenIncident(bucketRef(BUCKET)))?.incidentId).toBe('inc-second');
  });

  it('returns no open incident when the only one is closed', async () => {
    await store.putIncident(closedIncident('REMEDIATED'));

    await expect(store.getOpenIncident(bucketRef(BUCKET))).resolves.toBeNull();
  });

  it('returns the most recent incident of a bucket, open or closed', async () => {
    await store.putIncident(closedIncident('NOT_PUBLIC'));
    await store.putIncident(closedIncident('REMEDIATED', { incidentId: 'inc-second' }));
    await store.putIncident(makeIncident({ bucket: 'acme-logs', incidentId: 'inc-other-bucket' }));

    await expect(store.getLatestIncident(bucketRef(BUCKET))).resolves.toMatchObject({
      incidentId: 'inc-second',
    });
  });

  it('lists incidents in the order they were created, of every bucket or of one', async () => {
    await store.putIncident(closedIncident('NOT_PUBLIC'));
    await store.putIncident(makeIncident({ bucket: 'acme-logs', incidentId: 'inc-other-bucket' }));
    await store.putIncident(makeIncident({ incidentId: 'inc-second' }));

    expect((await store.listIncidents()).map((i) => i.incidentId)).toEqual([
      INCIDENT_ID,
      'inc-other-bucket',
      'inc-second',
    ]);
    expect((await store.listIncidents(bucketRef(BUCKET))).map((i) => i.incidentId)).toEqual([
      INCIDENT_ID,
      'inc-second',
    ]);
  });

  it('returns no latest incident for a bucket that never had one', async () => {
    await expect(store.getLatestIncident(bucketRef('acme-logs'))).resolves.toBeNull();
  });

  it('finds an incident by id', async () => {
    await store.putIncident(makeIncident());

    await expect(store.getIncident(INCIDENT_ID)).resolves.toEqual(makeIncident({ version: 1 }));
  });

  it('returns null for an unknown incident id', async () => {
    await store.putIncident(makeIncident());

    await expect(store.getIncident('inc-unknown')).resolves.toBeNull();
  });
});

describe('a large incident', () => {
  const keys = objectKeys(1_000);
  const large = () =>
    makeIncident({
      verdict: objectAclVerdict(keys),
      events: keys.map((key, i) => ({ ...event(`e${i}`, [key]), eventName: 'PutObjectAcl' })),
    });

  it('is stored whole although it is larger than one DynamoDB item may be', async () => {
    expect(Buffer.byteLength(JSON.stringify(large()))).toBeGreaterThan(400 * 1024);

    await store.putIncident(large());

    expect(await store.getIncident(INCIDENT_ID)).toEqual({ ...large(), version: 1 });
  });

  it('keeps every item of it far below the 400 KB limit', async () => {
    await store.putIncident(large());
    const head = await (await documents()).send(
      new GetCommand({ TableName: store.tableName, Key: { pk: `INCIDENT#${INCIDENT_ID}`, sk: 'HEAD' } }),
    );

    expect(Buffer.byteLength(JSON.stringify(head.Item))).toBeLessThan(32 * 1024);
  });

  it('leaves no parts of an earlier version behind when it is replaced', async () => {
    const first = await store.putIncident(large());
    const second = await store.putIncident({ ...first, verdict: objectAclVerdict(keys.slice(0, 500)) });

    const again = await store.getIncident(INCIDENT_ID);

    expect(again?.verdict.vectors).toHaveLength(500);
    expect(again?.version).toBe(second.version);
    expect(await partCount(store)).toBeLessThan(await partCountOf(large()));
  });
});

describe('exceptions', () => {
  const entry = {
    id: 'exc-1',
    bucket: BUCKET,
    vectors: [{ source: 'bucketPolicy', access: 'read', principal: '*', statementHash: 'abc', key: null }],
    owner: 'web-team',
    reason: 'public website',
    expiry: '2030-01-01T00:00:00Z',
    source: 'registry',
  };

  it('lists entries in the order they were added, replacing one put again under its id', async () => {
    await store.putException(entry);
    await store.putException({ ...entry, id: 'exc-2' });
    await store.putException({ ...entry, reason: 'still a website' });

    expect(await store.listExceptions()).toEqual([
      { ...entry, reason: 'still a website' },
      { ...entry, id: 'exc-2' },
    ]);
  });

  it('keeps a malformed entry, so the reader can report it', async () => {
    await store.putException({ bucket: BUCKET, note: 'no id, no vectors' });

    expect(await store.listExceptions()).toEqual([{ bucket: BUCKET, note: 'no id, no vectors' }]);
  });

  it('removes an entry by id, and says whether there was one', async () => {
    await store.putException(entry);

    await expect(store.removeException('exc-1')).resolves.toBe(true);
    await expect(store.removeException('exc-1')).resolves.toBe(false);
    expect(await store.listExceptions()).toEqual([]);
  });
});

describe('races between overlapping executions', () => {
  it('gives one bucket to exactly one of 50 executions registering at once; every event waits on its lease', async () => {
    const roles = await Promise.all(Array.from({ length: 50 }, (_, i) => register(`${A}-${i}`, `e${i}`)));

    expect(roles.filter((r) => r.role === 'owner')).toHaveLength(1);
    expect(roles.filter((r) => r.role === 'joined')).toHaveLength(49);
    expect((await pendingIds()).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `e${i}`).sort());
  });

  it('names one first registration when the same event is delivered 20 times at once', async () => {
    const roles = await Promise.all(
      Array.from({ length: 20 }, (_, i) => register(`${A}-${i}`, 'same-event')),
    );

    expect(roles.filter((r) => r.role !== 'duplicate')).toHaveLength(1);
    expect(await pendingIds()).toEqual(['same-event']);
  });

  it('never strands an event that joins while the holder lets go: it is answered or handed on', async () => {
    // Many rounds of: the holder acknowledges and releases while another execution joins.
    for (let round = 0; round < 30; round++) {
      const holder = `${A}-holder-${round}`;
      const joiner = `${B}-joiner-${round}`;
      await expect(register(holder, `h${round}`)).resolves.toEqual({ role: 'owner' });
      await store.acknowledgeEvents(bucketRef(BUCKET), holder, [`h${round}`]);

      const [joined, released] = await Promise.all([
        register(joiner, `j${round}`, at(1)),
        store.releaseLease(bucketRef(BUCKET), holder),
      ]);

      if (released === 'released') {
        // The holder let go: the joiner took the lease itself, or must find it free now.
        const lease = await store.getLease(bucketRef(BUCKET));
        expect(joined.role === 'owner' || lease === null).toBe(true);
        if (joined.role === 'joined') throw new Error(`round ${round}: event stranded on a released lease`);
      } else {
        expect(released).toBe('moreEvents');
        expect(await pendingIds()).toContain(`j${round}`);
      }
      // Whoever holds the bucket now finishes the round.
      const lease = await store.getLease(bucketRef(BUCKET));
      if (lease) {
        await store.acknowledgeEvents(
          bucketRef(BUCKET),
          lease.holder,
          lease.pending.map((e) => e.eventID),
        );
        await expect(store.releaseLease(bucketRef(BUCKET), lease.holder)).resolves.toBe('released');
      }
    }
  });

  it('lets one of two writers of the same incident version win; the other is told to read again', async () => {
    const read = await store.putIncident(makeIncident());

    const outcomes = await Promise.allSettled([
      store.putIncident({ ...read, response: 'NOTIFIED' }),
      store.putIncident({ ...read, response: 'FAILED' }),
    ]);

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const lost = outcomes.find((o) => o.status === 'rejected');
    expect(lost?.status === 'rejected' && lost.reason.name).toBe('ConcurrentUpdateError');
  });

  it('opens one incident when two executions open one for the same bucket at once', async () => {
    const outcomes = await Promise.allSettled([
      store.putIncident(makeIncident({ incidentId: 'inc-a' })),
      store.putIncident(makeIncident({ incidentId: 'inc-b' })),
    ]);

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect((await store.listIncidents()).filter((i) => i.status === 'OPEN')).toHaveLength(1);
  });
});

async function documents(): Promise<DynamoDBDocumentClient> {
  return DynamoDBDocumentClient.from((await testDynamo()).client);
}

/** The sort keys of an incident's items, read straight from the table. */
async function itemKeys(s: DynamoIncidentStore): Promise<string[]> {
  const answer = await (await documents()).send(
    new QueryCommand({
      TableName: s.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `INCIDENT#${INCIDENT_ID}` },
      ProjectionExpression: 'sk',
    }),
  );
  return (answer.Items ?? []).map((item) => String(item.sk));
}

async function partCount(s: DynamoIncidentStore): Promise<number> {
  return (await itemKeys(s)).filter((k) => k.startsWith('PART#')).length;
}

async function partCountOf(incident: ReturnType<typeof makeIncident>): Promise<number> {
  const other = await freshStore();
  await other.putIncident(incident);
  return partCount(other);
}
