import { describe, expect, it } from 'vitest';
import { classifyExposure } from '../../../tasks/classify-exposure/classify.js';
import {
  requestedPolicyIsPublic,
  unseenChanges,
  withUnseen,
} from '../../../tasks/classify-exposure/unseen-changes.js';
import {
  type BucketAccessSnapshotInput,
  BucketAccessSnapshotSchema,
  type IncidentEvent,
} from '../../../tasks/shared/contracts.js';
import {
  ALL_USERS,
  acl,
  bpa,
  groupGrant,
  OWNER_ACCOUNT,
  ownership,
  PUBLIC_READ,
  policy,
  privateSnapshot,
} from '../../support/snapshots.js';

function event(eventName: string, time: string, requested: IncidentEvent['requested'], keys: string[] = []) {
  return { eventID: `${eventName}-${time}`, eventName, actor: null, sourceIp: null, time, keys, requested };
}

function unseenIn(snapshot: BucketAccessSnapshotInput, events: IncidentEvent[]) {
  const parsed = BucketAccessSnapshotSchema.parse(snapshot);
  return unseenChanges(events, parsed).map((u) => `${u.part}${u.key ? `/${u.key}` : ''}`);
}

const T1 = '2026-11-29T10:00:00Z';
const T2 = '2026-11-29T10:00:05Z';

describe('unseenChanges: what an event changed toward public that the read does not show', () => {
  it('judges a requested policy by what it means, not by its text', () => {
    expect(requestedPolicyIsPublic(JSON.stringify(policy(PUBLIC_READ)), OWNER_ACCOUNT)).toBe(true);
    expect(
      requestedPolicyIsPublic(
        JSON.stringify(policy({ ...PUBLIC_READ, Principal: { AWS: OWNER_ACCOUNT } })),
        OWNER_ACCOUNT,
      ),
    ).toBe(false);
    expect(requestedPolicyIsPublic('not json', OWNER_ACCOUNT)).toBe(false);
  });

  it('names a public policy the read does not show, and not one it shows', () => {
    const put = event('PutBucketPolicy', T1, { publicAcl: false, publicPolicy: true });
    expect(unseenIn(privateSnapshot(), [put])).toEqual(['bucketPolicy']);
    expect(unseenIn(privateSnapshot({ bucketPolicy: policy(PUBLIC_READ) }), [put])).toEqual([]);
  });

  it('takes the newest event of a part, whatever order the deliveries came in', () => {
    const put = event('PutBucketPolicy', T1, { publicAcl: false, publicPolicy: true });
    const deleted = event('DeleteBucketPolicy', T2, { publicAcl: false });
    expect(unseenIn(privateSnapshot(), [deleted, put])).toEqual([]);
  });

  it('skips a part the read could not reach: it is an unknown already', () => {
    const put = event('PutBucketPolicy', T1, { publicAcl: false, publicPolicy: true });
    const snapshot = privateSnapshot({
      bucketPolicy: undefined,
      unreadable: [{ part: 'bucketPolicy', error: 'AccessDenied' }],
    });
    expect(unseenIn(snapshot, [put])).toEqual([]);
  });

  it('names public ACL grants the bucket and object ACLs read do not hold', () => {
    const bucketAcl = event('PutBucketAcl', T1, { publicAcl: true });
    const objectAcl = event('PutObjectAcl', T1, { publicAcl: true }, ['exports/a.csv']);
    const snapshot = privateSnapshot({
      objectKeys: ['exports/a.csv'],
      objectAcls: { 'exports/a.csv': acl() },
    });
    expect(unseenIn(snapshot, [bucketAcl, objectAcl])).toEqual(['bucketAcl', 'objectAcls/exports/a.csv']);
    const shown = privateSnapshot({
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      objectKeys: ['exports/a.csv'],
      objectAcls: { 'exports/a.csv': acl(groupGrant(ALL_USERS, 'READ')) },
    });
    expect(unseenIn(shown, [bucketAcl, objectAcl])).toEqual([]);
  });

  it('names Block Public Access turned off (or deleted) while the read still has it on, never the reverse', () => {
    const off = event('PutBucketPublicAccessBlock', T1, {
      publicAcl: false,
      bpa: {
        BlockPublicAcls: false,
        IgnorePublicAcls: false,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: true,
      },
    });
    const allOn = bpa({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(unseenIn(privateSnapshot({ bucketPublicAccessBlock: allOn }), [off])).toEqual([
      'bucketPublicAccessBlock',
    ]);
    const deleted = event('DeleteBucketPublicAccessBlock', T1, { publicAcl: false });
    expect(unseenIn(privateSnapshot({ bucketPublicAccessBlock: allOn }), [deleted])).toEqual([
      'bucketPublicAccessBlock',
    ]);
    const on = event('PutBucketPublicAccessBlock', T1, {
      publicAcl: false,
      bpa: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(unseenIn(privateSnapshot({ bucketPublicAccessBlock: bpa({}) }), [on])).toEqual([]);
  });

  it('names ACLs enabled while the read still says BucketOwnerEnforced', () => {
    const enabled = event('PutBucketOwnershipControls', T1, {
      publicAcl: false,
      objectOwnership: 'ObjectWriter',
    });
    expect(
      unseenIn(privateSnapshot({ ownershipControls: ownership('BucketOwnerEnforced') }), [enabled]),
    ).toEqual(['ownershipControls']);
    expect(unseenIn(privateSnapshot({ ownershipControls: ownership('ObjectWriter') }), [enabled])).toEqual(
      [],
    );
  });

  it('makes a verdict with unseen changes at least MEDIUM and keeps a higher one', () => {
    const put = event('PutBucketPolicy', T1, { publicAcl: false, publicPolicy: true });
    const parsed = BucketAccessSnapshotSchema.parse(privateSnapshot());
    const verdict = classifyExposure(parsed);
    const unseen = unseenChanges([put], parsed);
    expect(withUnseen(verdict, unseen)).toMatchObject({ severity: 'MEDIUM', unknown: [{ kind: 'unseen' }] });
    expect(withUnseen({ ...verdict, severity: 'CRITICAL' }, unseen).severity).toBe('CRITICAL');
    expect(withUnseen(verdict, [])).toBe(verdict);
  });
});
