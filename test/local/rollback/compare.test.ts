import { describe, expect, it } from 'vitest';
import { compareSnapshots } from '../../../local/rollback/compare.js';
import {
  ALL_USERS,
  acl,
  BUCKET,
  bpa,
  groupGrant,
  LOG_DELIVERY,
  ownership,
  PUBLIC_READ,
  policy,
  privateSnapshot,
} from '../../support/snapshots.js';

/** The policy as it was backed up: compact, keys in the usual order. */
const POLICY_TEXT = JSON.stringify(policy(PUBLIC_READ));
/** The same policy in other words: indented, keys in another order. */
const REFORMATTED = `{
  "Statement": [
    {
      "Resource": "arn:aws:s3:::${BUCKET}/*",
      "Action": "s3:GetObject",
      "Principal": "*",
      "Effect": "Allow",
      "Sid": "PublicRead"
    }
  ],
  "Version": "2012-10-17"
}`;

/** A bucket as it was before the remediation: a public policy, a logging grant, an object ACL. */
function backedUp() {
  return privateSnapshot({
    objectKeys: ['reports/q3.csv'],
    bucketPolicy: POLICY_TEXT,
    bucketAcl: acl(groupGrant(LOG_DELIVERY, 'WRITE')),
    objectAcls: { 'reports/q3.csv': acl(groupGrant(ALL_USERS, 'READ')) },
    bucketPublicAccessBlock: bpa({ IgnorePublicAcls: true }),
    ownershipControls: ownership('ObjectWriter'),
  });
}

describe('compareSnapshots', () => {
  it('finds a restore identical in every part the same in meaning, its policy equal to the byte', () => {
    expect(compareSnapshots(backedUp(), backedUp())).toEqual({
      sameMeaning: true,
      policyBytesEqual: true,
      differences: [],
    });
  });

  it('finds a reformatted policy with its keys in another order the same in meaning', () => {
    const comparison = compareSnapshots(backedUp(), { ...backedUp(), bucketPolicy: REFORMATTED });

    expect(comparison.sameMeaning).toBe(true);
    expect(comparison.differences).toEqual([]);
  });

  it('does not call a reformatted policy equal to the byte', () => {
    const comparison = compareSnapshots(backedUp(), { ...backedUp(), bucketPolicy: REFORMATTED });

    expect(comparison.policyBytesEqual).toBe(false);
  });

  it('calls the policy equal to the byte when neither has one', () => {
    const none = { ...backedUp(), bucketPolicy: null };

    expect(compareSnapshots(none, none).policyBytesEqual).toBe(true);
  });

  it('lists a bucket ACL with a grant more than the backup as a difference', () => {
    const now = {
      ...backedUp(),
      bucketAcl: acl(groupGrant(LOG_DELIVERY, 'WRITE'), groupGrant(ALL_USERS, 'READ')),
    };

    expect(compareSnapshots(backedUp(), now)).toMatchObject({
      sameMeaning: false,
      differences: ['bucketAcl differs from the backup'],
    });
  });

  it('lists an object ACL that differs from the backup', () => {
    const now = { ...backedUp(), objectAcls: { 'reports/q3.csv': acl() } };

    expect(compareSnapshots(backedUp(), now).differences).toEqual(['objectAcls differs from the backup']);
  });

  it('lists a Block Public Access flag that differs from the backup', () => {
    const now = {
      ...backedUp(),
      bucketPublicAccessBlock: bpa({ IgnorePublicAcls: true, BlockPublicPolicy: true }),
    };

    expect(compareSnapshots(backedUp(), now)).toMatchObject({
      sameMeaning: false,
      differences: ['bucketPublicAccessBlock differs from the backup'],
    });
  });

  it('lists Object Ownership that differs from the backup', () => {
    const now = { ...backedUp(), ownershipControls: ownership('BucketOwnerEnforced') };

    expect(compareSnapshots(backedUp(), now).differences).toEqual([
      'ownershipControls differs from the backup',
    ]);
  });

  it('lists a policy that differs in meaning, and says its bytes differ', () => {
    const now = { ...backedUp(), bucketPolicy: JSON.stringify(policy({ ...PUBLIC_READ, Action: 's3:*' })) };

    expect(compareSnapshots(backedUp(), now)).toEqual({
      sameMeaning: false,
      policyBytesEqual: false,
      differences: ['bucketPolicy differs from the backup'],
    });
  });

  it('lists a policy deleted since the backup as a difference', () => {
    const now = { ...backedUp(), bucketPolicy: null };

    expect(compareSnapshots(backedUp(), now).differences).toEqual(['bucketPolicy differs from the backup']);
  });

  it('lists every part that differs, in the order of the parts', () => {
    const now = {
      ...backedUp(),
      bucketAcl: acl(),
      bucketPublicAccessBlock: null,
      bucketPolicy: null,
    };

    expect(compareSnapshots(backedUp(), now).differences).toEqual([
      'bucketPolicy differs from the backup',
      'bucketAcl differs from the backup',
      'bucketPublicAccessBlock differs from the backup',
    ]);
  });

  it('does not compare the parts the backup did not read', () => {
    const { bucketAcl: _acl, bucketPublicAccessBlock: _bpa, ...partial } = backedUp();
    const now = {
      ...backedUp(),
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      bucketPublicAccessBlock: null,
    };

    expect(compareSnapshots(partial, now)).toMatchObject({ sameMeaning: true, differences: [] });
  });

  it('ignores the parts that are not access configuration (tags, website, policy status)', () => {
    const now = {
      ...backedUp(),
      tags: { owner: 'web-team' },
      website: { IndexDocument: { Suffix: 'index.html' } },
      policyStatus: { IsPublic: true },
    };

    expect(compareSnapshots(backedUp(), now).sameMeaning).toBe(true);
  });
});
