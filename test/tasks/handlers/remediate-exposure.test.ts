import { PutBucketAclCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { BackupFailedError } from '../../../tasks/remediate-exposure/backup.js';
import { RemediationBlockedError, remediateExposure } from '../../../tasks/remediate-exposure/handler.js';
import { rereadIncidentBucket } from '../../../tasks/remediate-exposure/reread.js';
import type { Incident } from '../../../tasks/shared/contracts.js';
import { type WorkflowState, WorkflowStateSchema } from '../../../tasks/shared/contracts.js';
import { INCIDENT_ID, makeIncident } from '../../support/incidents.js';
import { OWNER_CANONICAL, ownerGrant } from '../../support/snapshots.js';
import { storeIncident } from '../../support/store.js';
import {
  BUCKET,
  type BucketNow,
  MIXED_POLICY,
  PARTNER_ONLY,
  bucketIs as programBucket,
} from './remediated-bucket.js';
import { ACCOUNT_ID, assessedState, makeDeps, REGION, s3Error, stateFor, type TestDeps } from './support.js';

const EVENT = 'put-object-acl-body.json';
const EVIDENCE = `s3-exposure-evidence-${ACCOUNT_ID}-${REGION}`;
const OWNED = { Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT_ID };
/** Commands that change the bucket (the backup's PutObject is not one). */
const BUCKET_WRITES = new Set([
  'PutBucketPolicyCommand',
  'DeleteBucketPolicyCommand',
  'PutBucketAclCommand',
  'PutObjectAclCommand',
  'PutPublicAccessBlockCommand',
]);

let deps: TestDeps;
let state: WorkflowState;

/** Programs the bucket's answers on this test's mocks. */
function bucketIs(now: BucketNow): void {
  programBucket(deps.mocks, now);
}

/**
 * The decision: the incident holds the real classifier's verdict on the bucket as it was, and
 * the state points at it, as ClassifyExposure leaves it.
 */
async function decided(then: BucketNow): Promise<Incident> {
  bucketIs(then);
  const { verdict } = await rereadIncidentBucket(deps.clients, makeIncident(), 8);
  const incident = makeIncident({ verdict, mode: 'auto' });
  await storeIncident(deps.store, incident);
  state = assessedState(await stateFor(EVENT, deps), incident);
  return incident;
}

function sentNames(): string[] {
  return deps.mocks.s3.calls().map((call) => call.args[0].constructor.name);
}

function bucketWrites(): string[] {
  return sentNames().filter((name) => BUCKET_WRITES.has(name));
}

async function remediate(): Promise<WorkflowState> {
  return WorkflowStateSchema.parse(await remediateExposure(state, deps));
}

async function saved(): Promise<Incident | null> {
  return deps.store.getIncident(INCIDENT_ID);
}

beforeEach(async () => {
  deps = await makeDeps();
  await decided({ policy: 'mixed', publicBucketAcl: true });
});

describe('remediateExposure', () => {
  describe('when the bucket is no longer public just before acting', () => {
    beforeEach(() => bucketIs({ policy: 'partnerOnly' }));

    it('returns outcome notPublic and closes as NOT_PUBLIC', async () => {
      const next = await remediate();

      expect(next.remediation).toEqual({
        outcome: 'notPublic',
        backupLocation: null,
        actions: 0,
        vectorsLeft: 0,
      });
      expect(next.close).toEqual({ reason: 'NOT_PUBLIC' });
    });

    it('sends no write and no backup', async () => {
      await remediate();

      expect(sentNames().filter((name) => /^(Put|Delete)/.test(name))).toEqual([]);
    });

    it('records on the incident that nothing was changed', async () => {
      await remediate();

      expect((await saved())?.history.at(-1)?.what).toBe(
        'found not public just before acting: nothing changed',
      );
    });
  });

  describe('when a part cannot be read just before acting', () => {
    beforeEach(() => bucketIs({ policy: 'mixed', aclDenied: true }));

    it('throws RemediationBlockedError naming the part', async () => {
      const error = await remediateExposure(state, deps).then(
        () => null,
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(RemediationBlockedError);
      expect(error).toHaveProperty('name', 'RemediationBlockedError');
      expect(error).toHaveProperty('message', expect.stringMatching(/\(bucketAcl\): nothing changed$/));
    });

    it('sends no write and no backup', async () => {
      await expect(remediateExposure(state, deps)).rejects.toBeInstanceOf(RemediationBlockedError);

      expect(sentNames().filter((name) => /^(Put|Delete)/.test(name))).toEqual([]);
    });

    it('does not take a private-looking partial read for "not public"', async () => {
      bucketIs({ aclDenied: true });

      await expect(remediateExposure(state, deps)).rejects.toBeInstanceOf(RemediationBlockedError);
    });
  });

  describe('when the bucket is still public as decided', () => {
    beforeEach(() => bucketIs({ policy: 'mixed', publicBucketAcl: true }));

    it('writes the backup before any change to the bucket', async () => {
      await remediate();

      const names = sentNames().filter((name) => name === 'PutObjectCommand' || BUCKET_WRITES.has(name));
      expect(names).toEqual(['PutObjectCommand', 'PutBucketPolicyCommand', 'PutBucketAclCommand']);
    });

    it('backs up to the evidence bucket of the account, under the bucket and incident', async () => {
      await remediate();

      const puts = deps.mocks.s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
      expect(puts).toEqual([
        expect.objectContaining({
          Bucket: EVIDENCE,
          ExpectedBucketOwner: ACCOUNT_ID,
          Key: expect.stringMatching(new RegExp(`^backups/${BUCKET}/${INCIDENT_ID}/`)),
        }),
      ]);
    });

    it('backs up the policy text exactly as it was read just before acting', async () => {
      await remediate();

      const [put] = deps.mocks.s3.commandCalls(PutObjectCommand);
      const body = put?.args[0].input.Body;
      expect(typeof body === 'string' ? JSON.parse(body) : null).toMatchObject({
        format: 's3-exposure-backup/1',
        incidentId: INCIDENT_ID,
        snapshot: { bucket: BUCKET, bucketPolicy: MIXED_POLICY },
      });
    });

    it('removes only the public statement from the policy, owned by the account', async () => {
      await remediate();

      const policies = deps.mocks.s3.commandCalls(PutBucketPolicyCommand).map((call) => call.args[0].input);
      expect(policies).toEqual([{ ...OWNED, Policy: PARTNER_ONLY }]);
    });

    it('removes only the public grant from the bucket ACL, keeping the owner', async () => {
      await remediate();

      const acls = deps.mocks.s3.commandCalls(PutBucketAclCommand).map((call) => call.args[0].input);
      expect(acls).toEqual([
        { ...OWNED, AccessControlPolicy: { Owner: { ID: OWNER_CANONICAL }, Grants: [ownerGrant] } },
      ]);
    });

    it('says in the state that the changes were applied and are to be verified', async () => {
      const next = await remediate();

      expect(next.remediation).toEqual({
        outcome: 'applied',
        backupLocation: expect.stringMatching(
          new RegExp(`^s3://${EVIDENCE}/backups/${BUCKET}/${INCIDENT_ID}/`),
        ),
        actions: 2,
        vectorsLeft: 0,
      });
      expect(next.verification).toEqual({ verified: false, stillPublic: true, attempts: 0 });
    });

    it('records the plan, the backup, the reading before and what it addressed, not yet verified', async () => {
      const incident = await saved();
      const next = await remediate();

      expect((await saved())?.remediation).toEqual({
        plan: [
          expect.stringMatching(/^remove policy statement .*PublicRead.*; keep the other 1$/),
          expect.stringMatching(/^remove the bucket ACL .*AllUsers.*; keep the owner and the other 1 grant$/),
        ],
        backup: { location: next.remediation?.backupLocation },
        before: { summary: 'public read [HIGH], 2 ways in', vectors: incident?.verdict.vectors },
        after: null,
        addressed: incident?.verdict.vectors,
        verified: false,
        rollback: null,
      });
    });

    it('records the backup and the changes in the history', async () => {
      const next = await remediate();

      expect((await saved())?.history.slice(-2).map((h) => h.what)).toEqual([
        `backup written to ${next.remediation?.backupLocation}`,
        'remediation applied (applied: putBucketPolicy; applied: putBucketAcl)',
      ]);
    });
  });

  describe('when too little of the task’s time is left', () => {
    it('changes nothing and throws TaskTimeRunningOutError, for the state machine to run it again', async () => {
      bucketIs({ policy: 'mixed', publicBucketAcl: true });

      // Started with five minutes; 5 s left by the time the backup is written: less than 15 s.
      const times = [300_000];
      const remainingTimeMs = () => times.shift() ?? 5_000;

      await expect(remediateExposure(state, { ...deps, remainingTimeMs })).rejects.toHaveProperty(
        'name',
        'TaskTimeRunningOutError',
      );
      expect(bucketWrites()).toEqual([]);
    });

    it('keeps a quarter of a short invocation in hand, not 15 s it never had', async () => {
      bucketIs({ policy: 'mixed', publicBucketAcl: true });
      const times = [4_000];
      const remainingTimeMs = () => times.shift() ?? 1_500;

      await remediateExposure(state, { ...deps, remainingTimeMs });

      expect(bucketWrites().length).toBeGreaterThan(0);
    });
  });

  describe('when S3 refuses a change part way through the plan', () => {
    beforeEach(() => {
      bucketIs({ policy: 'mixed', publicBucketAcl: true });
      deps.mocks.s3.on(PutBucketAclCommand).rejects(s3Error('AccessDenied', 403));
    });

    it('throws RemediationApplyError', async () => {
      await expect(remediateExposure(state, deps)).rejects.toHaveProperty('name', 'RemediationApplyError');
    });

    it('records on the incident each change that landed before it stopped', async () => {
      await expect(remediateExposure(state, deps)).rejects.toThrow();

      expect((await saved())?.history.at(-1)?.what).toMatch(
        /^remediation partly applied before it stopped: remove policy statement/,
      );
    });
  });

  describe('when the backup cannot be written', () => {
    beforeEach(async () => {
      bucketIs({ policy: 'mixed', publicBucketAcl: true });
      deps.mocks.s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));
    });

    it('throws BackupFailedError', async () => {
      await expect(remediateExposure(state, deps)).rejects.toBeInstanceOf(BackupFailedError);
    });

    it('changes nothing on the bucket', async () => {
      await expect(remediateExposure(state, deps)).rejects.toThrow();

      expect(bucketWrites()).toEqual([]);
    });

    it('records no remediation on the incident', async () => {
      await expect(remediateExposure(state, deps)).rejects.toThrow();

      expect((await saved())?.remediation).toBeNull();
    });
  });

  describe('when a way in appeared since the decision', () => {
    beforeEach(async () => {
      await decided({ policy: 'mixed' });
      bucketIs({ policy: 'mixed', publicBucketAcl: true });
    });

    it('fixes only the ways in that were decided: the new bucket ACL grant stays', async () => {
      await remediate();

      expect(bucketWrites()).toEqual(['PutBucketPolicyCommand']);
    });

    it('returns outcome applied with the new way in left', async () => {
      const next = await remediate();

      expect(next.remediation).toMatchObject({ outcome: 'applied', actions: 1, vectorsLeft: 1 });
    });

    it('records only the decided ways in as addressed', async () => {
      const incident = await saved();

      await remediate();

      expect((await saved())?.remediation?.addressed).toEqual(incident?.verdict.vectors);
    });
  });

  describe('when only ways in that were not decided are left', () => {
    beforeEach(async () => {
      await decided({ policy: 'mixed' });
      bucketIs({ policy: 'partnerOnly', publicBucketAcl: true });
    });

    it('returns outcome newVectorsOnly, with no backup and no change', async () => {
      const next = await remediate();

      expect(next.remediation).toEqual({
        outcome: 'newVectorsOnly',
        backupLocation: null,
        actions: 0,
        vectorsLeft: 1,
      });
      expect(sentNames().filter((name) => /^(Put|Delete)/.test(name))).toEqual([]);
    });
  });
});
