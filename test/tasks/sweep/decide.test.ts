import { describe, expect, it } from 'vitest';
import type { ExposureVerdict, IncidentResponse, Vector } from '../../../tasks/shared/contracts.js';
import { type BucketFacts, decideBucket } from '../../../tasks/sweep/decide.js';

const NOW = new Date('2024-05-14T12:00:00.000Z');
const LATER = '2024-05-14T12:10:00.000Z';
const EARLIER = '2024-05-14T11:50:00.000Z';

const POLICY_READ: Vector = {
  source: 'bucketPolicy',
  access: 'read',
  principal: '*',
  statementHash: 'h-public-read',
  key: null,
};
const ACL_WRITE: Vector = {
  source: 'bucketAcl',
  access: 'write',
  principal: 'AllUsers',
  statementHash: null,
  key: null,
};

/** A verdict with every field stated: private, fully read, unless changed. */
function verdict(change: Partial<ExposureVerdict> = {}): ExposureVerdict {
  return {
    bucket: 'acme-data',
    policyPublic: false,
    aclPublic: false,
    effectivelyPublic: false,
    publicRead: false,
    publicWrite: false,
    crossAccount: false,
    vectors: [],
    latent: [],
    reasons: [],
    mitigations: [],
    unknown: [],
    severity: 'INFORMATIONAL',
    fingerprint: 'fp',
    ...change,
  };
}

const PUBLIC = verdict({
  policyPublic: true,
  effectivelyPublic: true,
  publicRead: true,
  vectors: [POLICY_READ],
});
const UNREADABLE = verdict({
  unknown: [{ part: 'bucketAcl', why: 'AccessDenied: could not be read', kind: 'unread' }],
});
const ONLY_A_DELETED_OBJECT = verdict({
  unknown: [
    { part: 'objectAcls', key: 'gone.csv', why: 'NoSuchKey: the object no longer exists', kind: 'gone' },
  ],
});
const LATENT_ONLY = verdict({ latent: [POLICY_READ], severity: 'LOW' });

function open(response: IncidentResponse, vectors: Vector[] = [POLICY_READ]) {
  return { response, vectors };
}

function lease(change: Partial<NonNullable<BucketFacts['lease']>> = {}) {
  return { expiresAt: LATER, pending: 0, holderRunning: true, ...change };
}

function decide(facts: Partial<BucketFacts>) {
  return decideBucket({ verdict: verdict(), open: null, lease: null, now: NOW, ...facts });
}

describe('decideBucket', () => {
  it.each<[string, Partial<BucketFacts>, string[]]>([
    ['a private bucket with no incident: nothing', {}, []],
    [
      'a public bucket with no open incident (its event was lost): reported',
      { verdict: PUBLIC },
      ['no-incident'],
    ],
    [
      'a bucket that could not be fully read, with no open incident: handed over',
      { verdict: UNREADABLE },
      ['no-incident'],
    ],
    ['a deleted object is no gap in the read: nothing', { verdict: ONLY_A_DELETED_OBJECT }, []],
    [
      'the open incident, answered, names this exposure: nothing',
      { verdict: PUBLIC, open: open('NOTIFIED') },
      [],
    ],
    ['an excepted exposure, as excepted: nothing', { verdict: PUBLIC, open: open('EXCEPTED') }, []],
    [
      'the open incident failed to answer: answered again',
      { verdict: PUBLIC, open: open('FAILED') },
      ['unanswered'],
    ],
    [
      'the open incident stayed PENDING with nobody holding it: answered',
      { verdict: PUBLIC, open: open('PENDING') },
      ['unanswered'],
    ],
    [
      'an unanswered incident on a bucket no longer public: handed over (to close)',
      { open: open('FAILED') },
      ['unanswered'],
    ],
    [
      'public in a way the open incident does not name: reported',
      { verdict: { ...PUBLIC, vectors: [POLICY_READ, ACL_WRITE] }, open: open('NOTIFIED') },
      ['wider'],
    ],
    [
      'narrower than the open incident: nothing new to tell',
      { verdict: PUBLIC, open: open('NOTIFIED', [POLICY_READ, ACL_WRITE]) },
      [],
    ],
    [
      'an open incident on a bucket no longer public: handed over to close it',
      { open: open('NOTIFIED') },
      ['no-longer-public'],
    ],
    [
      'an open incident on a bucket that could not be read: nothing',
      { verdict: UNREADABLE, open: open('NOTIFIED', []) },
      [],
    ],
    ['latent ways in only: nothing started', { verdict: LATENT_ONLY }, []],
  ])('%s', (_name, facts, reasons) => {
    expect(decide(facts)).toEqual({ reasons, reclaim: false, inProgress: false });
  });

  it('leaves a bucket alone while a running execution holds its lease, public or not', () => {
    expect(decide({ verdict: PUBLIC, lease: lease({ pending: 2 }) })).toEqual({
      reasons: [],
      reclaim: false,
      inProgress: true,
    });
  });

  it('leaves a running holder alone when its lease ran out with no event waiting', () => {
    expect(decide({ verdict: PUBLIC, lease: lease({ expiresAt: EARLIER }) }).inProgress).toBe(true);
  });

  it('takes back the lease of an ended holder and answers the events waiting on it', () => {
    expect(decide({ lease: lease({ holderRunning: false, pending: 1 }) })).toEqual({
      reasons: ['stranded-events'],
      reclaim: true,
      inProgress: false,
    });
  });

  it('takes back a lease that ran out with events waiting, though its holder still runs', () => {
    expect(decide({ lease: lease({ expiresAt: EARLIER, pending: 1 }) })).toEqual({
      reasons: ['stranded-events'],
      reclaim: true,
      inProgress: false,
    });
  });

  it('takes back the lease of an ended holder with no event waiting, and starts nothing for it', () => {
    expect(decide({ lease: lease({ holderRunning: false }) })).toEqual({
      reasons: [],
      reclaim: true,
      inProgress: false,
    });
  });

  it("leaves an ended holder's lease that ran out with nothing waiting: it is free already", () => {
    expect(decide({ lease: lease({ holderRunning: false, expiresAt: EARLIER }) })).toEqual({
      reasons: [],
      reclaim: false,
      inProgress: false,
    });
  });

  it('gives every reason that holds: stranded events and an unanswered incident', () => {
    const facts = {
      verdict: PUBLIC,
      open: open('FAILED'),
      lease: lease({ holderRunning: false, pending: 1 }),
    };

    expect(decide(facts).reasons).toEqual(['stranded-events', 'unanswered']);
  });
});
