/**
 * An incident too large for one DynamoDB item through every path that reads or writes it. A
 * bucket with 90 objects whose ACLs let anyone read them, uncovered at once (Block Public Access
 * removed), makes an incident whose lists the store keeps in part items (`incident-items.ts`):
 * each read of it queries the parts, each write puts the new generation's parts and deletes the
 * old ones in batches. Each scenario asserts what the path did with the whole incident, so a
 * task that lost or mangled a part (or could not read or write one in AWS) fails here.
 */
import { describe, expect, it } from 'vitest';
import { decideByLink } from '../../local/approval/decide.js';
import type { LocalEnvironment } from '../../local/environment.js';
import type { StateHandler, TaskHandlers } from '../../local/runner.js';
import { ALL_USERS } from '../../local/sandbox/acl.js';
import type { World } from '../../local/sandbox/world.js';
import { classifyExposureTask } from '../../tasks/classify-exposure/handler.js';
import { registerIncident } from '../../tasks/register-incident/handler.js';
import { readBackup } from '../../tasks/remediate-exposure/backup.js';
import { reportFailure } from '../../tasks/report-failure/handler.js';
import type { Incident } from '../../tasks/shared/contracts.js';
import { splitRecord } from '../../tasks/shared/store/incident-items.js';
import { bucketRef } from '../support/store.js';
import {
  alertsIn,
  blockAllPublicAccess,
  deliver,
  exceptAndCloseOpenIncident,
  joinWhileApprovalWaits,
  modeConfig,
  objectAclKeys,
  openEnvironment,
  openState,
  PATHS,
  publicObjectKeys,
  publicObjectsBehindBlock,
  publicWriteBucketAcl,
  run,
  SAMPLE_OWNER_ID,
  type SampleEvent,
  sampleEvent,
  startUntilApprovalWaits,
  tempStateDir,
  world,
} from './support.js';

const BUCKET = 'acme-public-assets';
const ACCOUNT = '111122223333';
/** Under remediation.maxObjectKeys (100): each object's ACL is fixed on its own. */
const KEYS = Array.from({ length: 90 }, (_, i) => `exports/part-${String(i).padStart(4, '0')}.csv`);

/** Every object readable by anyone, masked by the bucket's Block Public Access until the event removes it. */
function publicObjects(w: World): void {
  publicObjectsBehindBlock(w, BUCKET, KEYS);
}

/** Block Public Access removed from the bucket: the 90 object ACLs are in force at once. */
function unblock(): SampleEvent {
  return sampleEvent('delete-bucket-public-access-block');
}

/** The incident as the store would write it: lists in part items (what makes every read a query). */
function expectStoredInParts(incident: Incident | null | undefined): void {
  if (!incident) throw new Error('no incident');
  const { version: _version, ...record } = incident;
  expect(splitRecord(record).parts.length).toBeGreaterThan(0);
}

/** Every object's way in, still on the incident after the path wrote it. */
function expectEveryObject(incident: Incident | null | undefined): void {
  expect(objectAclKeys(incident?.verdict.vectors)).toEqual(KEYS);
}

/** S3 writes to the bucket that S3 accepted. */
function bucketWrites(environment: LocalEnvironment) {
  return environment.sandbox.calls.filter(
    (c) =>
      c.service === 's3' &&
      /^(Put|Delete)/.test(c.operation) &&
      c.outcome === 'ok' &&
      (c.input as { Bucket?: string }).Bucket === BUCKET,
  );
}

/** A fresh state folder in mode approve on the world of 90 public objects (see openEnvironment). */
function openLarge(handlers: Partial<TaskHandlers> = {}): Promise<LocalEnvironment> {
  return openEnvironment({ config: modeConfig('approve'), world: world(publicObjects), handlers });
}

async function theIncident(environment: LocalEnvironment): Promise<Incident> {
  const incident = await environment.store.getLatestIncident(bucketRef(BUCKET));
  if (!incident) throw new Error(`no incident for ${BUCKET}`);
  return incident;
}

describe('an incident kept in part items', () => {
  it('auto: backs every object ACL up, fixes each one, verifies them all, and closes the incident', async () => {
    const simulation = await run([unblock()], { mode: 'auto', world: world(publicObjects), keepOpen: true });
    const [execution] = simulation.result.executions;
    const { environment } = simulation;

    expect(execution?.path).toEqual(PATHS.remediated);
    const incident = execution?.incident;
    expectStoredInParts(incident);
    expectEveryObject(incident);
    expect(incident).toMatchObject({
      status: 'CLOSED',
      closedReason: 'REMEDIATED',
      remediation: { verified: true, after: { summary: 'not public' } },
    });
    expect(incident?.remediation?.addressed).toHaveLength(KEYS.length);
    expect(publicObjectKeys(simulation.result.world, BUCKET)).toEqual([]);
    // The owner's own grant is what is left on each object.
    const someObject = simulation.result.world.buckets[BUCKET]?.objects[KEYS[7] ?? ''];
    expect(someObject?.acl).toMatchObject({ Owner: { ID: SAMPLE_OWNER_ID } });

    // Each object's ACL was read just before the fix, and put back without the public grant, once.
    const calls = environment.sandbox.calls;
    const acls = calls.filter((c) => c.operation === 'PutObjectAcl' && c.outcome === 'ok');
    expect(acls.map((c) => (c.input as { Key?: string }).Key).sort()).toEqual(KEYS);
    // The backup (every object's ACL as it was) is written before the first change.
    const backupAt = calls.findIndex((c) => c.operation === 'PutObject' && c.outcome === 'ok');
    expect(backupAt).toBeGreaterThan(-1);
    expect(backupAt).toBeLessThan(calls.indexOf(acls[0] as (typeof calls)[number]));
    const backup = await readBackup(
      environment.sandbox.clients().s3,
      incident?.remediation?.backup.location ?? '',
      ACCOUNT,
    );
    expect(Object.keys(backup.snapshot.objectAcls ?? {}).sort()).toEqual(KEYS);
    expect(JSON.stringify(backup.snapshot.objectAcls?.[KEYS[0] ?? ''])).toContain(ALL_USERS);
  });

  it('approve, rejected: the whole incident is kept as REJECTED, the finding suppressed, nothing changed', async () => {
    const environment = await openLarge();
    const { execution, link } = await startUntilApprovalWaits(environment, unblock());
    expectEveryObject(await theIncident(environment));

    const decided = await decideByLink(link, { decision: 'REJECTED', reason: 'a public dataset' });
    expect(decided.status).toBe(303);
    const record = await execution;

    expect(record.status).toBe('SUCCEEDED');
    expect(record.path).toEqual(
      expect.arrayContaining(['RequestApproval', 'RecordRejection', 'ReleaseLease']),
    );
    const incident = await theIncident(environment);
    expectStoredInParts(incident);
    expectEveryObject(incident);
    expect(incident).toMatchObject({
      status: 'OPEN',
      response: 'REJECTED',
      decision: { decision: 'REJECTED', reason: 'a public dataset' },
    });
    expect(incident.history.map((h) => h.what)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^approval .* requested from/),
        expect.stringMatching(/^rejected by/),
      ]),
    );
    const finding = environment.sandbox.world.securityHubFindings.find((f) => f.Id === incident.findingId);
    expect((finding?.Workflow as { Status?: string } | undefined)?.Status).toBe('SUPPRESSED');
    expect(bucketWrites(environment)).toEqual([]);
    expect(publicObjectKeys(environment.sandbox.world, BUCKET)).toHaveLength(KEYS.length);
    expect(environment.sandbox.outbox.filter((m) => m.subject.startsWith('Fix rejected'))).toHaveLength(1);
  });

  it('approve, expired: the whole incident is kept as EXPIRED, and everyone is told nothing changed', async () => {
    const environment = await openLarge();
    const { execution, link } = await startUntilApprovalWaits(environment, unblock());

    for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
    const record = await execution;

    expect(record.status).toBe('SUCCEEDED');
    expect(record.path).toEqual(
      expect.arrayContaining(['RequestApproval', 'ApprovalExpired', 'ReleaseLease']),
    );
    const incident = await theIncident(environment);
    expectStoredInParts(incident);
    expectEveryObject(incident);
    expect(incident).toMatchObject({ status: 'OPEN', response: 'EXPIRED' });
    const approvalId = new URL(link).pathname.split('/').at(-1) ?? '';
    expect((await environment.deps.approvals?.get(approvalId))?.status).toBe('EXPIRED');
    expect(bucketWrites(environment)).toEqual([]);
    expect(environment.sandbox.outbox.filter((m) => m.subject.startsWith('Approval expired'))).toHaveLength(
      1,
    );
  });

  it('approve, widened during the wait: the joining event reads every object of the plan and supersedes the request; the owner asks again', async () => {
    // The S3 calls each RegisterIncident made, in the order they ran.
    const registrations: { operation: string; input: unknown }[][] = [];
    const watched: StateHandler = async (payload, deps) => {
      const from = environment.sandbox.calls.length;
      try {
        return await registerIncident(payload, deps);
      } finally {
        registrations.push(environment.sandbox.calls.slice(from));
      }
    };
    // The owner's second classification waits until the test has seen what the supersession wrote.
    let classifications = 0;
    const reclassifying = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    const held: StateHandler = async (payload, deps) => {
      classifications++;
      if (classifications === 2) {
        reclassifying.resolve();
        await gate.promise;
      }
      return classifyExposureTask(payload, deps);
    };
    const environment = await openLarge({ RegisterIncident: watched, ClassifyExposure: held });
    try {
      const owner = await startUntilApprovalWaits(environment, unblock());
      const firstId = new URL(owner.link).pathname.split('/').at(-1) ?? '';
      expect((await theIncident(environment)).response).not.toBe('PENDING');

      // The bucket ACL now lets anyone write: beyond the plan, which is about object ACLs.
      const { joiner, askedAgain } = await joinWhileApprovalWaits(environment, publicWriteBucketAcl());
      await reclassifying.promise;

      expect(joiner.status).toBe('SUCCEEDED');
      expect(joiner.path).toEqual(expect.arrayContaining(['RegisterIncident', 'SupersedeApproval']));
      // The joining event named no object: the plan's 90 objects were read to compare with it.
      expect(registrations).toHaveLength(2);
      const objectReads = (registrations[1] ?? []).filter((c) => c.operation === 'GetObjectAcl');
      expect(objectReads.map((c) => (c.input as { Key?: string }).Key).sort()).toEqual(KEYS);
      expect((await environment.deps.approvals?.get(firstId))?.status).toBe('SUPERSEDED');
      // The whole incident, written back as unanswered until the owner has asked anew.
      const superseded = await theIncident(environment);
      expectStoredInParts(superseded);
      expectEveryObject(superseded);
      expect(superseded.response).toBe('PENDING');
      expect(superseded.history.at(-1)?.what).toMatch(new RegExp(`^approval ${firstId} superseded`));

      gate.resolve();
      await askedAgain;
      // Alerted on the wider exposure (public write), then one new request.
      expect(alertsIn(environment.sandbox.outbox).map((m) => m.subject)).toContainEqual(
        expect.stringMatching(/^\[CRITICAL\] S3 bucket acme-public-assets is public/),
      );
      expect(environment.sandbox.outbox.filter((m) => m.subject.startsWith('Decision needed'))).toHaveLength(
        2,
      );
      for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
      const record = await owner.execution;
      expect(record.path.filter((s) => s === 'RequestApproval')).toHaveLength(2);
      expect(bucketWrites(environment)).toEqual([]);
    } finally {
      gate.resolve();
    }
  });

  it('covered by an exception: the finding is SUPPRESSED and the whole incident kept, nothing changed', async () => {
    const stateDir = await tempStateDir();
    const first = await run([unblock()], { stateDir, mode: 'notify', world: world(publicObjects) });
    const vectors = first.result.executions[0]?.incident?.verdict.vectors ?? [];
    expect(vectors).toHaveLength(KEYS.length);
    const environment = await openState(stateDir);
    // The exception, and the open incident answered: a new episode shows the exception at work.
    await exceptAndCloseOpenIncident(environment.store, {
      id: 'exc-open-data',
      bucket: BUCKET,
      vectors,
      owner: 'data-team',
      reason: 'open data exports',
    });
    environment.sandbox.world.buckets[BUCKET] = {
      ...(environment.sandbox.world.buckets[BUCKET] as NonNullable<World['buckets'][string]>),
      publicAccessBlock: blockAllPublicAccess(),
    };
    await environment.close();

    const { result } = await run([unblock()], { stateDir, mode: 'auto' });
    const [execution] = result.executions;
    expect(execution?.path).toEqual(PATHS.suppressed);
    expectStoredInParts(execution?.incident);
    expectEveryObject(execution?.incident);
    expect(execution?.incident).toMatchObject({ status: 'OPEN', response: 'EXCEPTED' });
    expect(execution?.incident?.history.at(-1)?.what).toMatch(
      /^finding SUPPRESSED: covered by exception exc-open-data/,
    );
    expect(execution?.finding).toMatchObject({ Workflow: { Status: 'SUPPRESSED' } });
    expect(publicObjectKeys(result.world, BUCKET)).toHaveLength(KEYS.length);
  });

  it('a failure report neither Security Hub nor SES takes: the whole incident is kept as FAILED, and the run fails for the alarm', async () => {
    // SES refuses every message from the alert on; by the time the failure is reported, Security Hub fails too.
    const failingSecurityHub: StateHandler = async (payload, deps) => {
      environment.sandbox.injectFault({
        service: 'securityhub',
        operation: 'BatchImportFindings',
        error: 'ThrottlingException',
        times: 1000,
      });
      return reportFailure(payload, deps);
    };
    const environment = await openEnvironment({
      world: world((w) => {
        publicObjects(w);
        w.faults.push({
          service: 'ses',
          operation: 'SendEmail',
          error: 'TooManyRequestsException',
          times: 1000,
        });
      }),
      handlers: { ReportFailure: failingSecurityHub },
    });
    const record = await deliver(environment, unblock());

    expect(record.status).toBe('FAILED');
    expect(record.path).toEqual(expect.arrayContaining(['NotifyRecipients', 'MarkFindingNotified']));
    expect(record.path.slice(-2)).toEqual(['ReportFailure', 'FailureNotReported']);
    expect(record.error?.Error).toBe('FailureNotReportedError');
    const incident = await theIncident(environment);
    expectStoredInParts(incident);
    expectEveryObject(incident);
    expect(incident).toMatchObject({ status: 'OPEN', response: 'FAILED' });
    expect(incident.history.at(-1)?.what).toMatch(/^response failed/);
    // Nobody holds the bucket: the next event (or the sweep) answers it at once.
    expect(await environment.store.getLease(bucketRef(BUCKET))).toBeNull();
    expect(environment.sandbox.outbox).toEqual([]);
    // One failure finding was tried, and none was written: the finding is the incident's own.
    expect(environment.sandbox.world.securityHubFindings.map((f) => f.Id)).toEqual([incident.findingId]);
  });
});

describe('the Macie scan of an incident kept in part items', () => {
  /** The scan NotifyRecipients started beside the response. */
  function theScan(environment: LocalEnvironment) {
    const scans = environment.runner.executions.filter((e) => e.name.startsWith('macie-'));
    expect(scans).toHaveLength(1);
    return scans[0];
  }

  /** The run of the 90 objects in notify mode, with Macie failing as `fault` says. */
  function runWithMacie(error: string, message: string) {
    return run([unblock()], {
      mode: 'notify',
      keepOpen: true,
      world: world((w) => {
        publicObjects(w);
        w.faults.push({
          service: 'macie2',
          operation: 'DescribeClassificationJob',
          error,
          message,
          times: 1000,
        });
      }),
    });
  }

  it('Macie refusing to describe the job: the scan records MacieAccessDeniedError on the incident and the finding', async () => {
    const simulation = await runWithMacie('AccessDeniedException', 'not authorized to perform this action');
    const scan = theScan(simulation.environment);

    expect(scan?.status).toBe('SUCCEEDED');
    expect(scan?.path.filter((s) => s === 'CheckMacieScan')).toHaveLength(1);
    expect(scan?.path.slice(-3)).toEqual(['CheckMacieScan', 'IsTheScanDone?', 'ScanRecorded']);
    const incident = await theIncident(simulation.environment);
    expectStoredInParts(incident);
    expectEveryObject(incident);
    expect(incident.macie).toMatchObject({ outcome: 'failed', error: 'MacieAccessDeniedError' });
    expect(incident.macie?.reason).toContain('DescribeClassificationJob');
    const finding = simulation.result.world.securityHubFindings.find((f) => f.Id === incident.findingId);
    expect(finding?.UserDefinedFields).toMatchObject({ macieOutcome: 'failed' });
    expect((finding?.Note as { Text?: string } | undefined)?.Text).toMatch(/^Incident .*\n(.*\n)*Macie/);
  });

  it('Macie throttling for good: RecordScanFailure records MacieThrottledError on the incident and the finding', async () => {
    const simulation = await runWithMacie('ThrottlingException', 'Rate exceeded');
    const scan = theScan(simulation.environment);

    expect(scan?.status).toBe('SUCCEEDED');
    // The first try and four retries, then the failure is recorded.
    expect(scan?.path.filter((s) => s === 'CheckMacieScan')).toHaveLength(5);
    expect(scan?.path.slice(-2)).toEqual(['RecordScanFailure', 'ScanRecorded']);
    const incident = await theIncident(simulation.environment);
    expectStoredInParts(incident);
    expectEveryObject(incident);
    expect(incident.macie).toMatchObject({ outcome: 'failed', error: 'MacieThrottledError' });
    expect(incident.macie?.reason).toContain('DescribeClassificationJob: ThrottlingException');
    const finding = simulation.result.world.securityHubFindings.find((f) => f.Id === incident.findingId);
    expect(finding?.UserDefinedFields).toMatchObject({ macieOutcome: 'failed' });
  });
});
