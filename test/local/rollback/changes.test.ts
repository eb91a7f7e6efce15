import { describe, expect, it } from 'vitest';
import { configurationLeftByFix } from '../../../local/rollback/applied-plan.js';
import { changesSinceFix } from '../../../local/rollback/changes.js';
import type { BucketAccessSnapshotInput } from '../../../tasks/shared/contracts.js';
import { acl, bpa, canonicalGrant, ownership, policy } from '../../support/snapshots.js';
import { ANALYTICS, backedUp, DEPLOY, fixOf, KEY, LOG_GRANT, TLS_ONLY } from './fixtures.js';

/** The configuration the fix left on the fixture bucket. */
function left(): BucketAccessSnapshotInput {
  return configurationLeftByFix(backedUp(), fixOf(backedUp()).actions);
}

describe('changesSinceFix', () => {
  it('finds nothing when the bucket is as the fix left it', () => {
    expect(changesSinceFix(left(), left())).toEqual([]);
  });

  it('finds nothing when the policy was only re-put in other formatting', () => {
    const now = { ...left(), bucketPolicy: JSON.stringify(policy(DEPLOY, TLS_ONLY), null, 4) };

    expect(changesSinceFix(left(), now)).toEqual([]);
  });

  it('names a statement added to the policy by its position and Sid', () => {
    const now = { ...left(), bucketPolicy: JSON.stringify(policy(DEPLOY, TLS_ONLY, ANALYTICS)) };

    expect(changesSinceFix(left(), now)).toEqual([
      'statement 2 ("Analytics") was added to the bucket policy',
    ]);
  });

  it('names a statement the fix left that was removed since', () => {
    const now = { ...left(), bucketPolicy: JSON.stringify(policy(DEPLOY)) };

    expect(changesSinceFix(left(), now)).toEqual([
      'statement 1 ("TlsOnly") of the bucket policy the fix left was removed',
    ]);
  });

  it('says the policy was deleted', () => {
    expect(changesSinceFix(left(), { ...left(), bucketPolicy: null })).toEqual([
      'the bucket policy the fix left was deleted',
    ]);
  });

  it('says the statements were put in another order', () => {
    const now = { ...left(), bucketPolicy: JSON.stringify(policy(TLS_ONLY, DEPLOY)) };

    expect(changesSinceFix(left(), now)).toEqual([
      'the statements of the bucket policy are in another order',
    ]);
  });

  it('names a grant added to the bucket ACL', () => {
    const now = { ...left(), bucketAcl: acl(LOG_GRANT, canonicalGrant('partner', 'READ')) };

    expect(changesSinceFix(left(), now)).toEqual([
      'the bucket ACL has a grant partner READ the fix did not leave',
    ]);
  });

  it('names a grant removed from an object ACL', () => {
    const now = { ...left(), objectAcls: { [KEY]: { ...acl(), Grants: [] } } };

    expect(changesSinceFix(left(), now)).toEqual([
      `the ACL of object "${KEY}" grant owner0canonical0id FULL_CONTROL the fix left was removed`,
    ]);
  });

  it('names each Block Public Access flag turned on since', () => {
    const now = {
      ...left(),
      bucketPublicAccessBlock: bpa({ BlockPublicPolicy: true, RestrictPublicBuckets: true }),
    };

    expect(changesSinceFix(left(), now)).toEqual([
      'bucket Block Public Access BlockPublicPolicy was turned on since the fix',
      'bucket Block Public Access RestrictPublicBuckets was turned on since the fix',
    ]);
  });

  it('does not count an all-off Block Public Access configuration as a change from none', () => {
    const now = { ...left(), bucketPublicAccessBlock: bpa({}) };

    expect(changesSinceFix(left(), now)).toEqual([]);
  });

  it('names a change of Object Ownership', () => {
    const now = { ...left(), ownershipControls: ownership('BucketOwnerEnforced') };

    expect(changesSinceFix(left(), now)).toEqual([
      'Object Ownership is BucketOwnerEnforced now; the fix left no ownership controls',
    ]);
  });

  it('says an object whose ACL the fix changed no longer exists', () => {
    const now: BucketAccessSnapshotInput = {
      ...left(),
      objectAcls: {},
      unreadable: [{ part: 'objectAcls', key: KEY, error: 'NoSuchKey' }],
    };

    expect(changesSinceFix(left(), now)).toEqual([`object "${KEY}" no longer exists`]);
  });

  it('counts a part it cannot read now as changed, naming the error', () => {
    const now: BucketAccessSnapshotInput = {
      ...left(),
      bucketAcl: undefined,
      unreadable: [{ part: 'bucketAcl', error: 'AccessDenied' }],
    };

    expect(changesSinceFix(left(), now)).toEqual([
      'the bucket ACL could not be read now (AccessDenied), so whether it changed is unknown',
    ]);
  });

  it('does not compare the parts the backup did not read', () => {
    const { ownershipControls: _unread, ...partial } = left();

    expect(
      changesSinceFix(partial, { ...left(), ownershipControls: ownership('BucketOwnerEnforced') }),
    ).toEqual([]);
  });
});
