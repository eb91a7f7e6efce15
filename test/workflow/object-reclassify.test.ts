/**
 * Object ACLs found by listing the bucket (Block Public Access removed: no event names the
 * objects) stay part of the incident when the bucket is classified again. A later event that
 * names no object (a private PutBucketAcl, the sweep's own trigger, a joining event that
 * supersedes an approval) must read those objects again, or the incident would be called over,
 * or the new plan would leave them out, while anyone can still read them.
 */
import { describe, expect, it } from 'vitest';
import { decideByLink, latestApprovalLink } from '../../local/approval/decide.js';
import { sweepEnvironment } from '../../local/commands/sweep.js';
import { ALL_USERS } from '../../local/sandbox/acl.js';
import type { World } from '../../local/sandbox/world.js';
import { bucketRef } from '../support/store.js';
import {
  alertsIn,
  approveEnvironment,
  joinWhileApprovalWaits,
  objectAclKeys,
  openState,
  PATHS,
  publicObjectKeys,
  publicObjectsBehindBlock,
  publicWriteBucketAcl,
  run,
  type SampleEvent,
  sampleEvent,
  startUntilApprovalWaits,
  tempStateDir,
  world,
} from './support.js';

const BUCKET = 'acme-public-assets';
const KEYS = ['exports/a.csv', 'exports/b.csv', 'exports/c.csv'];

/** Three objects anyone may read, masked by the bucket's Block Public Access until it is removed. */
function publicObjects(w: World): void {
  publicObjectsBehindBlock(w, BUCKET, KEYS);
}

/** Block Public Access removed: the object ACLs are in force, found by listing the bucket. */
function unblock(): SampleEvent {
  return sampleEvent('delete-bucket-public-access-block');
}

/** The bucket's own ACL set to private: names no object. */
function privateBucketAcl(): SampleEvent {
  return sampleEvent('put-bucket-acl-canned', (event) => {
    event.detail.requestParameters.bucketName = BUCKET;
    event.detail.requestParameters['x-amz-acl'] = ['private'];
  });
}

function resolvedMails(outbox: readonly { subject: string }[]): string[] {
  return alertsIn(outbox)
    .map((m) => m.subject)
    .filter((s) => s.includes('Resolved'));
}

/** Makes every object's ACL private again, as a call whose event never arrived would. */
function makeObjectsPrivate(w: World): void {
  for (const object of Object.values(w.buckets[BUCKET]?.objects ?? {})) {
    if (object.acl)
      object.acl = { ...object.acl, Grants: object.acl.Grants.filter((g) => g.Grantee.URI !== ALL_USERS) };
  }
}

describe('object ACLs found by listing the bucket, classified again', () => {
  it('notify: a private PutBucketAcl leaves the incident open on the 3 objects, and no "Resolved" mail goes out', async () => {
    const simulation = await run([unblock(), privateBucketAcl()], {
      serial: true,
      mode: 'notify',
      world: world(publicObjects),
      keepOpen: true,
    });
    const [first, second] = simulation.result.executions;
    expect(first?.path).toEqual(PATHS.reported);
    expect(objectAclKeys(first?.incident?.verdict.vectors)).toEqual(KEYS);

    expect(publicObjectKeys(simulation.result.world, BUCKET)).toEqual(KEYS);
    // The same exposure again: recorded, no new alert, nothing closed.
    expect(second?.path).toEqual(PATHS.alreadyReported);
    const incident = await simulation.environment.store.getLatestIncident(bucketRef(BUCKET));
    expect(incident).toMatchObject({ status: 'OPEN', closedReason: null, response: 'NOTIFIED' });
    expect(incident?.verdict.effectivelyPublic).toBe(true);
    expect(objectAclKeys(incident?.verdict.vectors)).toEqual(KEYS);
    expect(resolvedMails(simulation.result.outbox)).toEqual([]);
  });

  it('the sweep leaves such an incident open while the objects are public, and has it closed once they are private', async () => {
    const stateDir = await tempStateDir();
    const first = await run([unblock()], { stateDir, mode: 'notify', world: world(publicObjects) });
    expect(objectAclKeys(first.result.executions[0]?.incident?.verdict.vectors)).toEqual(KEYS);

    const environment = await openState(stateDir);
    const from = environment.sandbox.calls.length;
    const untouched = await sweepEnvironment(environment);

    // The sweep read the incident's objects itself, found them public, and started nothing.
    const objectReads = environment.sandbox.calls
      .slice(from)
      .filter((c) => c.operation === 'GetObjectAcl')
      .map((c) => (c.input as { Key?: string }).Key)
      .sort();
    expect(objectReads).toEqual(KEYS);
    expect(untouched.sweep.public).toContain(BUCKET);
    expect(untouched.sweep.started.filter((s) => s.bucket === BUCKET)).toEqual([]);
    expect(await environment.store.getOpenIncident(bucketRef(BUCKET))).toMatchObject({
      response: 'NOTIFIED',
    });
    expect(resolvedMails(environment.sandbox.outbox)).toEqual([]);

    // The objects made private; the calls' events never arrived.
    makeObjectsPrivate(environment.sandbox.world);
    const swept = await sweepEnvironment(environment);

    expect(swept.sweep.started).toEqual([
      expect.objectContaining({ bucket: BUCKET, reasons: ['no-longer-public'] }),
    ]);
    expect(swept.executions[0]).toMatchObject({ status: 'SUCCEEDED', path: [...PATHS.closed] });
    expect(await environment.store.getOpenIncident(bucketRef(BUCKET))).toBeNull();
    expect(resolvedMails(environment.sandbox.outbox)).toEqual([
      expect.stringMatching(/Resolved: S3 bucket acme-public-assets is no longer public/),
    ]);
  });

  it('approve, superseded: the new request still plans the object ACLs, and the approved fix makes them private', async () => {
    const environment = await approveEnvironment();
    // The world of this environment: the three objects behind Block Public Access.
    publicObjects(environment.sandbox.world);
    const owner = await startUntilApprovalWaits(environment, unblock());
    const firstId = new URL(owner.link).pathname.split('/').at(-1) ?? '';
    const first = await environment.deps.approvals?.get(firstId);
    expect(objectAclKeys(first?.plan.vectors)).toEqual(KEYS);

    // The bucket ACL lets anyone write as well: beyond a plan about object ACLs.
    const { joiner, askedAgain } = await joinWhileApprovalWaits(environment, publicWriteBucketAcl());
    await askedAgain;
    expect(joiner.path).toEqual(expect.arrayContaining(['RegisterIncident', 'SupersedeApproval']));
    expect((await environment.deps.approvals?.get(firstId))?.status).toBe('SUPERSEDED');

    const secondLink = latestApprovalLink(environment.sandbox.outbox) ?? '';
    expect(secondLink).not.toBe(owner.link);
    const secondId = new URL(secondLink).pathname.split('/').at(-1) ?? '';
    const second = await environment.deps.approvals?.get(secondId);
    // The wider plan: the bucket ACL, and still the three objects.
    expect(second?.plan.vectors).toEqual(
      expect.arrayContaining([expect.objectContaining({ source: 'bucketAcl' })]),
    );
    expect(objectAclKeys(second?.plan.vectors)).toEqual(KEYS);
    for (const key of KEYS) expect(second?.plan.changes.join('\n')).toContain(key);

    expect((await decideByLink(secondLink, { decision: 'APPROVED' })).status).toBe(303);
    const record = await owner.execution;
    expect(record.status).toBe('SUCCEEDED');
    const incident = await environment.store.getLatestIncident(bucketRef(BUCKET));
    expect(incident).toMatchObject({ status: 'CLOSED', closedReason: 'REMEDIATED' });
    expect(publicObjectKeys(environment.sandbox.world, BUCKET)).toEqual([]);
  });
});
