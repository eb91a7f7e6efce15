import { describe, expect, it } from 'vitest';
import {
  AppliedPlanUnknownError,
  configurationLeftByFix,
  recoverAppliedActions,
} from '../../../local/rollback/applied-plan.js';
import { acl, bpa, PUBLIC_READ, policy } from '../../support/snapshots.js';
import { ANALYTICS, backedUp, DEPLOY, fixOf, KEY, LOG_GRANT, TLS_ONLY } from './fixtures.js';

describe('recoverAppliedActions', () => {
  it('recovers the surgical actions a fix applied from its backup and record', () => {
    const { actions, record } = fixOf(backedUp());

    expect(recoverAppliedActions(backedUp(), record)).toEqual(actions);
  });

  it('recovers a fix made with Block Public Access preferred', () => {
    const { actions, record } = fixOf(backedUp(), { preferBlockPublicAccess: true, maxObjectKeys: 100 });

    expect(recoverAppliedActions(backedUp(), record)).toEqual(actions);
  });

  it('recovers a fix that sent object ACLs to Block Public Access beyond the key limit', () => {
    const { actions, record } = fixOf(backedUp(), { preferBlockPublicAccess: false, maxObjectKeys: 0 });

    expect(actions.map((a) => a.kind)).toContain('putBucketPublicAccessBlock');
    expect(recoverAppliedActions(backedUp(), record)).toEqual(actions);
  });

  it('recovers only the changes for the ways in the fix addressed, not every public one', () => {
    const { actions, record } = fixOf(backedUp());
    const policyOnly = {
      plan: record.plan.slice(0, 1),
      addressed: record.addressed.filter((v) => v.source === 'bucketPolicy'),
    };

    expect(recoverAppliedActions(backedUp(), policyOnly)).toEqual(actions.slice(0, 1));
  });

  it('refuses when no recomputed plan reads as the recorded one', () => {
    const { record } = fixOf(backedUp());

    expect(() =>
      recoverAppliedActions(backedUp(), { ...record, plan: ['remove policy statement 7; keep the other 2'] }),
    ).toThrow(AppliedPlanUnknownError);
  });

  it('refuses a record whose backup is not the configuration the plan was made from', () => {
    const { record } = fixOf(backedUp());
    const other = backedUp({
      bucketPolicy: JSON.stringify(policy(DEPLOY, ANALYTICS, PUBLIC_READ, TLS_ONLY)),
    });

    expect(() => recoverAppliedActions(other, record)).toThrow(AppliedPlanUnknownError);
  });
});

describe('configurationLeftByFix', () => {
  it('is the backup with each action applied', () => {
    const { actions } = fixOf(backedUp());
    const left = configurationLeftByFix(backedUp(), actions);

    expect(JSON.parse(String(left.bucketPolicy))).toEqual(policy(DEPLOY, TLS_ONLY));
    expect(left.bucketAcl).toEqual(acl(LOG_GRANT));
    expect(left.objectAcls).toEqual({ [KEY]: acl() });
  });

  it('holds the flags the fix put', () => {
    const { actions } = fixOf(backedUp(), { preferBlockPublicAccess: true, maxObjectKeys: 100 });

    expect(configurationLeftByFix(backedUp(), actions).bucketPublicAccessBlock).toEqual(
      bpa({
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      }),
    );
  });

  it('has no policy when the fix deleted it', () => {
    const onlyPublic = backedUp({ bucketPolicy: JSON.stringify(policy(PUBLIC_READ)) });
    const { actions } = fixOf(onlyPublic);

    expect(configurationLeftByFix(onlyPublic, actions).bucketPolicy).toBeNull();
  });
});
