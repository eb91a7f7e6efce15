import { describe, expect, it } from 'vitest';
import { configurationLeftByFix } from '../../../local/rollback/applied-plan.js';
import { describeUndoStep, planUndo, type UndoStep } from '../../../local/rollback/inverse.js';
import type { BucketAccessSnapshotInput } from '../../../tasks/shared/contracts.js';
import { acl, BPA_ALL_OFF, bpa, canonicalGrant, PUBLIC_READ, policy } from '../../support/snapshots.js';
import {
  ANALYTICS,
  backedUp,
  DEPLOY,
  fixOf,
  KEY,
  LOG_GRANT,
  POLICY_TEXT,
  PUBLIC_GRANT,
  TLS_ONLY,
} from './fixtures.js';

const PREFER_BPA = { preferBlockPublicAccess: true, maxObjectKeys: 100 };
const PARTNER_GRANT = canonicalGrant('partner0canonical0id', 'READ');

/** The bucket as the fix left it, changed the way an owner would change it since. */
function since(
  backup: BucketAccessSnapshotInput,
  change: (left: BucketAccessSnapshotInput) => Partial<BucketAccessSnapshotInput> = () => ({}),
  settings?: typeof PREFER_BPA,
) {
  const { actions } = fixOf(backup, settings);
  const left = configurationLeftByFix(backup, actions);
  return { backup, applied: actions, now: { ...left, ...change(left) } };
}

/** Public through the policy alone. */
function policyOnly(overrides: Partial<BucketAccessSnapshotInput> = {}): BucketAccessSnapshotInput {
  return backedUp({ objectKeys: [], bucketAcl: acl(), objectAcls: {}, ...overrides });
}

function step<P extends UndoStep['part']>(steps: readonly UndoStep[], part: P) {
  const found = steps.find((s): s is Extract<UndoStep, { part: P }> => s.part === part);
  if (!found) throw new Error(`no ${part} step`);
  return found;
}

function statementsOf(policyText: string): Array<{ Sid?: string }> {
  return JSON.parse(policyText).Statement;
}

describe('planUndo: nothing changed since the fix', () => {
  it('puts the backed-up policy text back byte for byte', () => {
    const undo = planUndo(since(backedUp()));

    expect(step(undo.steps, 'bucketPolicy')).toMatchObject({ policyText: POLICY_TEXT, exact: true });
  });

  it('puts the backed-up bucket ACL and object ACL back', () => {
    const undo = planUndo(since(backedUp()));

    expect(step(undo.steps, 'bucketAcl').acl).toEqual(acl(LOG_GRANT, PUBLIC_GRANT));
    expect(step(undo.steps, 'objectAcls')).toMatchObject({ key: KEY, acl: acl(PUBLIC_GRANT), exact: true });
  });

  it('names exactly what the fix removed', () => {
    const undo = planUndo(since(backedUp()));

    expect(step(undo.steps, 'bucketPolicy').statements).toEqual(['statement 1 ("PublicRead")']);
    expect(step(undo.steps, 'bucketAcl').grants).toEqual([PUBLIC_GRANT]);
    expect(undo.alreadyUndone).toEqual([]);
    expect(undo.blocked).toEqual([]);
  });

  it('puts the whole policy back byte for byte when the fix deleted it', () => {
    const onlyPublic = JSON.stringify(policy(PUBLIC_READ), null, 2);
    const undo = planUndo(since(backedUp({ bucketPolicy: onlyPublic })));

    expect(step(undo.steps, 'bucketPolicy')).toMatchObject({ policyText: onlyPublic, exact: true });
  });

  it('deletes bucket Block Public Access the fix put on a bucket that had none', () => {
    const undo = planUndo(since(backedUp(), undefined, PREFER_BPA));

    expect(undo.steps).toEqual([
      {
        part: 'bucketPublicAccessBlock',
        configuration: null,
        flags: ['BlockPublicPolicy', 'RestrictPublicBuckets', 'IgnorePublicAcls', 'BlockPublicAcls'],
        exact: true,
      },
    ]);
  });

  it("puts back the flags as backed up when the bucket had some on: the owner's flag stays", () => {
    const undo = planUndo(
      since(backedUp({ bucketPublicAccessBlock: bpa({ BlockPublicAcls: true }) }), undefined, PREFER_BPA),
    );

    expect(step(undo.steps, 'bucketPublicAccessBlock')).toMatchObject({
      configuration: bpa({ BlockPublicAcls: true }),
      flags: ['BlockPublicPolicy', 'RestrictPublicBuckets', 'IgnorePublicAcls'],
    });
  });
});

describe('planUndo: the owner changed the policy since the fix', () => {
  it("re-adds our statement in its place and keeps the owner's statement added at the end", () => {
    const undo = planUndo(
      since(backedUp(), () => ({ bucketPolicy: JSON.stringify(policy(DEPLOY, TLS_ONLY, ANALYTICS)) })),
    );

    const put = step(undo.steps, 'bucketPolicy');
    expect(put.exact).toBe(false);
    expect(statementsOf(put.policyText).map((s) => s.Sid)).toEqual([
      'DeployRole',
      'PublicRead',
      'TlsOnly',
      'Analytics',
    ]);
  });

  it('puts our statement after the statement it followed in the backup, wherever that moved', () => {
    const undo = planUndo(
      since(backedUp(), () => ({ bucketPolicy: JSON.stringify(policy(ANALYTICS, TLS_ONLY, DEPLOY)) })),
    );

    expect(statementsOf(step(undo.steps, 'bucketPolicy').policyText).map((s) => s.Sid)).toEqual([
      'Analytics',
      'TlsOnly',
      'DeployRole',
      'PublicRead',
    ]);
  });

  it("re-adds our statement exactly as it was written in the backup, and the owner's as they are now", () => {
    const owners = policy(DEPLOY, TLS_ONLY, ANALYTICS);
    const undo = planUndo(since(backedUp(), () => ({ bucketPolicy: JSON.stringify(owners) })));

    const statements = statementsOf(step(undo.steps, 'bucketPolicy').policyText);
    expect(statements[1]).toEqual(JSON.parse(POLICY_TEXT).Statement[1]);
    expect(statements.filter((s) => s.Sid !== 'PublicRead')).toEqual(owners.Statement);
  });

  it('puts a policy of only our statement when the owner deleted the policy since', () => {
    const undo = planUndo(since(backedUp(), () => ({ bucketPolicy: null })));

    expect(JSON.parse(step(undo.steps, 'bucketPolicy').policyText)).toEqual(policy(PUBLIC_READ));
  });

  it('writes no policy when our statement is in it again', () => {
    const undo = planUndo(
      since(backedUp(), () => ({ bucketPolicy: JSON.stringify(policy(PUBLIC_READ, DEPLOY, TLS_ONLY)) })),
    );

    expect(undo.steps.map((s) => s.part)).not.toContain('bucketPolicy');
    expect(undo.alreadyUndone).toEqual([
      { part: 'bucketPolicy', why: 'the statements the fix removed are in the policy again' },
    ]);
  });

  it('still puts the ACLs back as backed up when only the policy changed', () => {
    const undo = planUndo(since(backedUp(), () => ({ bucketPolicy: null })));

    expect(step(undo.steps, 'bucketAcl')).toMatchObject({ acl: acl(LOG_GRANT, PUBLIC_GRANT), exact: true });
  });
});

describe('planUndo: the owner changed ACLs or Block Public Access since the fix', () => {
  it('re-adds the removed grant and keeps the grant the owner added to the bucket ACL', () => {
    const undo = planUndo(since(backedUp(), () => ({ bucketAcl: acl(LOG_GRANT, PARTNER_GRANT) })));

    expect(step(undo.steps, 'bucketAcl')).toEqual({
      part: 'bucketAcl',
      acl: acl(LOG_GRANT, PARTNER_GRANT, PUBLIC_GRANT),
      grants: [PUBLIC_GRANT],
      exact: false,
    });
  });

  it('writes no object ACL when the object holds the removed grant again', () => {
    const undo = planUndo(
      since(backedUp(), () => ({ objectAcls: { [KEY]: acl(PARTNER_GRANT, PUBLIC_GRANT) } })),
    );

    expect(undo.steps.map((s) => s.part)).not.toContain('objectAcls');
    expect(undo.alreadyUndone).toEqual([expect.objectContaining({ part: 'objectAcls', key: KEY })]);
  });

  it('turns off only the flags the fix turned on, and keeps the one the owner turned on since', () => {
    const backup = policyOnly({ bucketPublicAccessBlock: BPA_ALL_OFF });
    const undo = planUndo(
      since(
        backup,
        (left) => ({
          bucketPublicAccessBlock: {
            ...bpa({}),
            ...(left.bucketPublicAccessBlock ?? {}),
            BlockPublicAcls: true,
          },
        }),
        PREFER_BPA,
      ),
    );

    expect(undo.steps).toEqual([
      {
        part: 'bucketPublicAccessBlock',
        configuration: bpa({ BlockPublicAcls: true }),
        flags: ['BlockPublicPolicy', 'RestrictPublicBuckets'],
        exact: false,
      },
    ]);
  });

  it('leaves a flag of the fix the owner turned off since, and turns off the rest', () => {
    const undo = planUndo(
      since(
        policyOnly(),
        () => ({ bucketPublicAccessBlock: bpa({ RestrictPublicBuckets: true }) }),
        PREFER_BPA,
      ),
    );

    expect(step(undo.steps, 'bucketPublicAccessBlock')).toEqual({
      part: 'bucketPublicAccessBlock',
      configuration: BPA_ALL_OFF,
      flags: ['RestrictPublicBuckets'],
      exact: false,
    });
  });

  it('writes no Block Public Access when every flag of the fix is off again', () => {
    const undo = planUndo(since(policyOnly(), () => ({ bucketPublicAccessBlock: null }), PREFER_BPA));

    expect(undo.steps).toEqual([]);
    expect(undo.alreadyUndone).toEqual([expect.objectContaining({ part: 'bucketPublicAccessBlock' })]);
  });

  it('turns Block Public Access off before it puts the policy and the ACLs back', () => {
    const backup = backedUp({ bucketPublicAccessBlock: BPA_ALL_OFF });
    const { actions } = fixOf(backup, PREFER_BPA);
    const surgical = fixOf(backup).actions;
    const undo = planUndo({
      backup,
      applied: [...surgical, ...actions],
      now: configurationLeftByFix(backup, [...surgical, ...actions]),
    });

    expect(undo.steps.map((s) => s.part)).toEqual([
      'bucketPublicAccessBlock',
      'bucketPolicy',
      'bucketAcl',
      'objectAcls',
    ]);
  });
});

describe('planUndo: parts that cannot be read now', () => {
  it('does not undo an object ACL whose object was deleted, and says so', () => {
    const undo = planUndo(
      since(backedUp(), () => ({
        objectAcls: {},
        unreadable: [{ part: 'objectAcls', key: KEY, error: 'NoSuchKey' }],
      })),
    );

    expect(undo.steps.map((s) => s.part)).not.toContain('objectAcls');
    expect(undo.blocked).toEqual([
      { part: 'objectAcls', key: KEY, error: 'NoSuchKey', why: 'the object no longer exists' },
    ]);
  });

  it('does not write a bucket ACL it could not read now', () => {
    const undo = planUndo(
      since(backedUp(), () => ({
        bucketAcl: undefined,
        unreadable: [{ part: 'bucketAcl', error: 'AccessDenied' }],
      })),
    );

    expect(undo.steps.map((s) => s.part)).not.toContain('bucketAcl');
    expect(undo.blocked).toEqual([
      expect.objectContaining({
        part: 'bucketAcl',
        error: 'AccessDenied',
        why: expect.stringMatching(/could not be read/),
      }),
    ]);
  });
});

describe('describeUndoStep', () => {
  it('says a policy comes back byte for byte when nothing changed', () => {
    const undo = planUndo(since(backedUp()));

    expect(describeUndoStep(step(undo.steps, 'bucketPolicy'))).toBe(
      'put back policy statement 1 ("PublicRead"), the policy text as backed up, byte for byte',
    );
  });

  it('says which flags are turned off and that later changes are kept', () => {
    expect(
      describeUndoStep({
        part: 'bucketPublicAccessBlock',
        configuration: bpa({ BlockPublicAcls: true }),
        flags: ['BlockPublicPolicy'],
        exact: false,
      }),
    ).toBe('turn off bucket Block Public Access BlockPublicPolicy, keeping what changed since the fix');
  });
});
