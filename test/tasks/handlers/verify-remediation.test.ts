import { beforeEach, describe, expect, it } from 'vitest';
import { rereadIncidentBucket } from '../../../tasks/remediate-exposure/reread.js';
import type { Incident } from '../../../tasks/shared/contracts.js';
import { type WorkflowState, WorkflowStateSchema } from '../../../tasks/shared/contracts.js';
import { verifyRemediation } from '../../../tasks/verify-remediation/handler.js';
import { INCIDENT_ID, makeIncident } from '../../support/incidents.js';
import { BUCKET, type BucketNow, bucketIs as programBucket } from './remediated-bucket.js';
import { ACCOUNT_ID, assessedState, makeDeps, REGION, stateFor, type TestDeps } from './support.js';

const EVENT = 'put-object-acl-body.json';
const NOW = '2024-05-14T11:00:00.000Z';
const BACKUP = `s3://s3-exposure-evidence-${ACCOUNT_ID}-${REGION}/backups/${BUCKET}/${INCIDENT_ID}/2024-05-14T10-59-00.000Z.json`;
let deps: TestDeps;
let incident: Incident;
let state: WorkflowState;

/** Programs the bucket's answers on this test's mocks. */
function bucketIs(now: BucketNow): void {
  programBucket(deps.mocks, now);
}

/**
 * An incident remediated a moment ago: its verdict is the real classifier's on the public
 * policy, and the remediation set out to close every way in of it.
 */
async function remediatedIncident(): Promise<Incident> {
  bucketIs({ policy: 'mixed' });
  const { verdict } = await rereadIncidentBucket(deps.clients, makeIncident(), 8);
  return makeIncident({
    verdict,
    mode: 'auto',
    remediation: {
      plan: ['remove policy statement 0 ("PublicRead"); keep the other 1'],
      backup: { location: BACKUP },
      before: { summary: 'public read [HIGH], 1 way in', vectors: verdict.vectors },
      after: null,
      addressed: verdict.vectors,
      verified: false,
      rollback: null,
    },
  });
}

/** The state RemediateExposure leaves, after `attempts` reads that did not yet see the change. */
function afterRemediation(base: WorkflowState, attempts: number): WorkflowState {
  return {
    ...base,
    remediation: { outcome: 'applied', backupLocation: BACKUP, actions: 1, vectorsLeft: 0 },
    verification: { verified: false, stillPublic: true, attempts },
  };
}

async function verify(): Promise<WorkflowState> {
  return WorkflowStateSchema.parse(await verifyRemediation(state, deps));
}

async function saved(): Promise<Incident | null> {
  return deps.store.getIncident(INCIDENT_ID);
}

beforeEach(async () => {
  deps = await makeDeps();
  incident = await remediatedIncident();
  await deps.store.putIncident(incident);
  state = afterRemediation(assessedState(await stateFor(EVENT, deps), incident), 0);
});

describe('verifyRemediation', () => {
  describe('when the fixed ways in are gone and nothing public is left', () => {
    beforeEach(() => bucketIs({ policy: 'partnerOnly' }));

    it('says verified, not public, after one read, and closes as REMEDIATED', async () => {
      const next = await verify();

      expect(next.verification).toEqual({ verified: true, stillPublic: false, attempts: 1 });
      expect(next.close).toEqual({ reason: 'REMEDIATED' });
    });

    it('marks the incident REMEDIATED with the reading after the change', async () => {
      await verify();

      expect(await saved()).toMatchObject({
        response: 'REMEDIATED',
        remediation: {
          after: { summary: 'not public; shared with other accounts', vectors: [] },
          verified: true,
        },
      });
    });

    it('keeps the rest of the remediation record as it was', async () => {
      await verify();

      expect((await saved())?.remediation).toMatchObject({
        plan: incident.remediation?.plan,
        backup: { location: BACKUP },
        before: incident.remediation?.before,
        addressed: incident.remediation?.addressed,
      });
    });

    it('records the verification in the history', async () => {
      await verify();

      expect((await saved())?.history.at(-1)).toEqual({
        at: NOW,
        what: 'verified after 1 read(s): not public; shared with other accounts',
      });
    });

    it('only reads the bucket', async () => {
      await verify();

      const names = deps.mocks.s3.calls().map((call) => call.args[0].constructor.name);
      expect(names.filter((name) => !name.startsWith('Get') && name !== 'ListObjectsV2Command')).toEqual([]);
    });
  });

  describe('when a fixed way in is still visible', () => {
    beforeEach(async () => {
      bucketIs({ policy: 'mixed' });
      state = afterRemediation(state, 2);
    });

    it('says not verified and counts this read', async () => {
      const next = await verify();

      expect(next.verification).toEqual({ verified: false, stillPublic: true, attempts: 3 });
    });

    it('does not close the incident', async () => {
      const next = await verify();

      expect(next.close).toBeUndefined();
    });

    it('leaves the remediation unverified, with no reading after', async () => {
      await verify();

      expect((await saved())?.remediation).toMatchObject({ verified: false, after: null });
      expect((await saved())?.response).toBe(incident.response);
    });

    it('records how many fixed ways in are still visible', async () => {
      await verify();

      expect((await saved())?.history.at(-1)?.what).toBe(
        'verification 3: 1 fixed way(s) in still visible (public read [HIGH], 1 way in)',
      );
    });
  });

  describe('when the policy cannot be read after the change', () => {
    beforeEach(() => bucketIs({ policyDenied: true }));

    it('does not call a partial read verified', async () => {
      const next = WorkflowStateSchema.parse(await verifyRemediation(state, deps));

      expect(next.verification).toMatchObject({ verified: false });
      expect(next.close).toBeUndefined();
    });
  });

  describe('when the fixed ways in are gone but the bucket is public another way', () => {
    beforeEach(() => bucketIs({ policy: 'partnerOnly', publicBucketAcl: true }));

    it('says verified and still public', async () => {
      const next = await verify();

      expect(next.verification).toEqual({ verified: true, stillPublic: true, attempts: 1 });
    });

    it('does not close the incident', async () => {
      const next = await verify();

      expect(next.close).toBeUndefined();
    });

    it('does not mark the incident REMEDIATED', async () => {
      await verify();

      expect((await saved())?.response).toBe(incident.response);
    });

    it('records the new way in as the reading after, and keeps the verdict acted on', async () => {
      await verify();

      const after = await saved();
      expect(after?.remediation?.after).toEqual({
        summary: 'public read [HIGH], 1 way in',
        vectors: [
          { source: 'bucketAcl', access: 'read', principal: 'AllUsers', statementHash: null, key: null },
        ],
      });
      expect(after?.remediation?.verified).toBe(true);
      expect(after?.verdict).toEqual(incident.verdict);
    });
  });
});
