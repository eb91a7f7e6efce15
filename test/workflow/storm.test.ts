/**
 * Coalescing: storms of events for one bucket, duplicate deliveries, out-of-order arrival,
 * events that join while the owner works, and a bucket with 1,000 affected objects.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../../local/defaults.js';
import { LocalEnvironment } from '../../local/environment.js';
import type { StateHandler } from '../../local/runner.js';
import { applyEventToWorld } from '../../local/sandbox/apply-event.js';
import { notifyRecipients } from '../../tasks/notify-recipients/handler.js';
import { releaseLease } from '../../tasks/release-lease/handler.js';
import { bucketRef } from '../support/store.js';
import { openState, PATHS, run, sampleEvent, tempStateDir, world } from './support.js';

const STATE_LIMIT_BYTES = 256 * 1024;

describe('event storms', () => {
  it('40 calls, 10 duplicate deliveries, out of order: one incident, one finding, one alert', async () => {
    const calls = Array.from({ length: 40 }, (_, i) =>
      sampleEvent('put-bucket-acl-canned', (e) => {
        e.detail.eventTime = new Date(Date.UTC(2026, 10, 24, 10, 0, i)).toISOString();
      }),
    );
    // Delivered newest first, and the first ten twice.
    const deliveries = [...calls].reverse().concat(calls.slice(0, 10).map((e) => structuredClone(e)));
    const { result } = await run(deliveries);

    const owners = result.executions.filter((e) => e.path.includes('ClassifyExposure'));
    const joined = result.executions.filter((e) => e.path.at(-1) === 'JoinedOpenIncident');
    expect(owners).toHaveLength(1);
    expect(joined).toHaveLength(49);
    for (const execution of joined) expect(execution.path).toEqual(PATHS.joined);
    expect(Math.max(...joined.map((e) => e.path.length))).toBeLessThanOrEqual(5);
    expect(result.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);

    const incidentIds = new Set(result.executions.map((e) => e.incident?.incidentId));
    expect(incidentIds.size).toBe(1);
    const incident = result.executions[0]?.incident;
    expect(incident?.events.map((e) => e.eventID).sort()).toEqual(calls.map((e) => e.detail.eventID).sort());
    // The earliest call, though it arrived among the last, is when the exposure began.
    expect(incident?.timings.eventTime).toBe(calls[0]?.detail.eventTime);
    expect(result.world.securityHubFindings).toHaveLength(1);
    expect(result.outbox).toHaveLength(1);
  });

  it('an event that joins while the owner works is classified again before the owner ends', async () => {
    const stateDir = await tempStateDir();
    const environmentRef: { current?: LocalEnvironment } = {};
    const late = sampleEvent('put-object-acl-grant-header', (e) => {
      e.detail.requestParameters.bucketName = 'acme-public-assets';
      e.detail.requestParameters.key = 'index.html';
    });
    let lateRun: Promise<unknown> | undefined;
    // While the owner is about to notify, another call makes an object public and its event arrives.
    const notifyThenLetOneIn: StateHandler = async (input, deps) => {
      const environment = environmentRef.current;
      if (!lateRun && environment) {
        applyEventToWorld(environment.sandbox, late);
        lateRun = environment.runner.start(late);
        await lateRun;
      }
      return notifyRecipients(input, deps);
    };
    const environment = await LocalEnvironment.open({
      stateDir,
      world: world(),
      config: defaultConfig(),
      handlers: { NotifyRecipients: notifyThenLetOneIn },
    });
    onTestFinished(() => environment.close());
    environmentRef.current = environment;
    const first = sampleEvent('put-bucket-policy-public');
    applyEventToWorld(environment.sandbox, first);
    const owner = await environment.runner.start(first);
    await environment.runner.idle();

    const joined = environment.runner.executions.find((e) => e !== owner);
    expect(joined?.path).toEqual(PATHS.joined);
    expect(owner.path).toEqual([
      ...PATHS.reported.slice(0, -2),
      'ClassifyExposure',
      'IsTheBucketPublic?',
      'WriteFinding',
      'NotifyRecipients',
      'WasTheFindingWritten?',
      'MarkFindingNotified',
      'WhichResponseMode?',
      'ReleaseLease',
      'DidMoreEventsJoin?',
      'WasEveryoneTold?',
      'ResponseComplete',
    ]);
    const [incident] = await environment.store.listIncidents();
    expect(incident?.events.map((e) => e.eventID)).toContain(late.detail.eventID);
    expect(incident?.verdict.vectors.map((v) => v.source).sort()).toEqual(['bucketPolicy', 'objectAcl']);
    expect(await environment.store.getLease(bucketRef('acme-public-assets'))).toBeNull();
  });

  it('a lease left by an execution that died is reclaimed once it expires, with its waiting events', async () => {
    const stateDir = await tempStateDir();
    const environment = await openState(stateDir);
    const orphan = {
      eventID: 'orphaned-event',
      eventName: 'PutBucketAcl',
      actor: null,
      sourceIp: null,
      time: '2026-11-24T09:00:00Z',
      keys: [],
    };
    await environment.store.register({
      ref: bucketRef('acme-public-assets'),
      executionId: 'arn:aws:states:us-east-1:111122223333:execution:s3-exposure-response:died',
      event: orphan,
      now: new Date(Date.now() - 3_600_000),
      leaseSeconds: 900,
    });
    await environment.close();
    const { result } = await run([sampleEvent('put-bucket-policy-public')], { stateDir });
    expect(result.executions[0]?.path).toEqual(PATHS.reported);
    expect(result.executions[0]?.incident?.events.map((e) => e.eventID)).toContain('orphaned-event');
  });
});

describe('state size', () => {
  it('1,000 affected objects: every state input and output stays under 256 KB', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `exports/part-${String(i).padStart(4, '0')}.csv`);
    const publicRead = {
      Owner: { ID: 'owner' },
      Grants: [
        {
          Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' },
          Permission: 'READ',
        },
      ],
    };
    const simulation = await run([sampleEvent('delete-bucket-public-access-block')], {
      world: world((w) => {
        const bucket = w.buckets['acme-public-assets'];
        if (!bucket) throw new Error('sample world changed');
        bucket.publicAccessBlock = {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        };
        bucket.objects = Object.fromEntries(keys.map((k) => [k, { size: 10, acl: publicRead as never }]));
      }),
    });
    const [execution] = simulation.result.executions;
    expect(execution?.path).toEqual(PATHS.reported);
    expect(execution?.incident?.verdict.vectors).toHaveLength(1000);
    const record = simulation.records[0];
    let largest = 0;
    for (const step of record?.steps ?? []) {
      for (const value of [step.input, step.output]) {
        const size = Buffer.byteLength(JSON.stringify(value ?? null));
        largest = Math.max(largest, size);
        expect(size, `${step.name}`).toBeLessThan(STATE_LIMIT_BYTES);
      }
    }
    expect(largest).toBeGreaterThan(0);
  });
});

describe('bounded loops', () => {
  it('an execution that used up its rounds hands the bucket to a fresh execution, losing no event', async () => {
    // Two rounds at most: every event that joins makes the owner classify again.
    const config = { ...defaultConfig(), limits: { ...defaultConfig().limits, maxRounds: 2 } };
    const stateDir = await tempStateDir();
    const environmentRef: { current?: LocalEnvironment } = {};
    const lateEvents = Array.from({ length: 3 }, () => sampleEvent('put-bucket-policy-public'));
    let joined = 0;
    // Each time the owner is about to let the bucket go, one more event arrives and joins it.
    const joinThenRelease: StateHandler = async (input, deps) => {
      const environment = environmentRef.current;
      const late = lateEvents[joined];
      if (environment && late) {
        joined++;
        await environment.runner.start(late);
      }
      return releaseLease(input, deps);
    };
    const environment = await LocalEnvironment.open({
      stateDir,
      world: world(),
      config,
      handlers: { ReleaseLease: joinThenRelease },
    });
    onTestFinished(() => environment.close());
    environmentRef.current = environment;
    const first = sampleEvent('put-bucket-policy-public');
    applyEventToWorld(environment.sandbox, first);
    const owner = await environment.runner.start(first);
    await environment.runner.idle();

    expect(owner.path.filter((s) => s === 'ClassifyExposure')).toHaveLength(3);
    expect(owner.path.at(-1)).toBe('HandedOverToFreshExecution');
    const successor = environment.runner.executions.find((e) => e.name.startsWith('handover-'));
    expect(successor?.status).toBe('SUCCEEDED');
    const [incident] = await environment.store.listIncidents();
    for (const late of lateEvents)
      expect(incident?.events.map((e) => e.eventID)).toContain(late.detail.eventID);
    expect(await environment.store.getLease(bucketRef('acme-public-assets'))).toBeNull();
  });
});
