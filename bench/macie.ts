/**
 * The Macie scan's cost for an object-level exposure: a bucket of 10,000 objects, one of them
 * made public by its ACL. The real workflow runs once on the sandbox (simulate): its scan
 * execution plans the scope from the incident's verdict (planScan) and starts the job, and the
 * sandbox's Macie records the keys and bytes each job scanned. A whole-bucket job of the same
 * bucket (samplingPercentage 100, no size cap), started through the same sandbox Macie, is the
 * yardstick. Issue 11's goal: the scoped job scans at most 0.1% of the bytes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateClassificationJobCommand, DescribeClassificationJobCommand } from '@aws-sdk/client-macie2';
import { defaultConfig, defaultWorld } from '../local/defaults.js';
import { projectPath } from '../local/paths.js';
import type { MacieJob } from '../local/sandbox/macie-world.js';
import type { WorldObject } from '../local/sandbox/world.js';
import { simulate } from '../local/simulate.js';
import { describeMacieSummary } from '../tasks/shared/describe.js';

const BUCKET = 'acme-bench-exports';
const OBJECTS = 10_000;
/** The exposed object: one export among the 10,000, picked once. */
const EXPOSED_INDEX = 4217;
/** Issue 11's goal: the scoped job scans at most this share of the whole bucket's bytes. */
const GOAL_PERCENT = 0.1;

/** A small deterministic generator (mulberry32), so every run measures the same bucket. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The key of object `i`: monthly export folders, 100 parts each. */
function keyOf(i: number): string {
  const month = Math.floor(i / 100);
  const year = 2018 + Math.floor(month / 12);
  return `exports/${year}/${String(1 + (month % 12)).padStart(2, '0')}/part-${String(i).padStart(5, '0')}.csv`;
}

/** 10,000 objects given by `size` (4 KiB to 16 MiB, log-uniform): no bodies, so the run stays fast. */
function benchObjects(): Record<string, WorldObject> {
  const next = random(11);
  const objects: Record<string, WorldObject> = {};
  for (let i = 0; i < OBJECTS; i++) {
    objects[keyOf(i)] = { size: Math.round(4096 * 2 ** (12 * next())), contentType: 'text/csv', acl: null };
  }
  return objects;
}

/** PutObjectAcl granting AllUsers READ on the exposed object (the events/ sample, retargeted). */
async function exposingEvent(key: string): Promise<unknown> {
  const text = await readFile(projectPath('events', 'put-object-acl-grant-header.json'), 'utf8');
  const event = JSON.parse(text) as {
    detail: {
      eventID: string;
      requestParameters: Record<string, unknown>;
      resources: Array<{ ARN: string }>;
    };
  };
  event.detail.eventID = randomUUID();
  event.detail.requestParameters.bucketName = BUCKET;
  event.detail.requestParameters.key = key;
  event.detail.requestParameters.Host = `${BUCKET}.s3.amazonaws.com`;
  event.detail.resources = [
    { ...event.detail.resources[0], ARN: `arn:aws:s3:::${BUCKET}/${key}` },
    { ...event.detail.resources[1], ARN: `arn:aws:s3:::${BUCKET}` },
  ];
  return event;
}

function bytes(n: number): string {
  const unit = n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(2)} MiB`;
  return `${n.toLocaleString('en-US')} bytes (${unit})`;
}

export async function benchMacie(): Promise<void> {
  const world = defaultWorld();
  const objects = benchObjects();
  const exposedKey = keyOf(EXPOSED_INDEX);
  // Only the bench's bucket (and the evidence bucket the environment adds).
  const template = world.buckets['acme-reports'];
  if (!template) throw new Error('the sample world has no acme-reports');
  world.buckets = { [BUCKET]: { ...structuredClone(template), objects } };
  const stateDir = await mkdtemp(join(tmpdir(), 's3-exposure-bench-macie-'));
  const start = performance.now();
  const run = await simulate({
    world,
    config: defaultConfig(),
    events: [await exposingEvent(exposedKey)],
    stateDir,
    keepOpen: true,
  });
  const ms = performance.now() - start;
  const { environment } = run;
  try {
    const incident = run.result.executions[0]?.incident;
    const scoped: MacieJob | undefined = environment.sandbox.world.macie?.jobs[0];
    if (!incident || !scoped || environment.sandbox.world.macie?.jobs.length !== 1) {
      throw new Error(
        `expected one incident and one Macie job, got ${incident ? 'an incident' : 'no incident'} and ${environment.sandbox.world.macie?.jobs.length ?? 0} job(s)`,
      );
    }

    // The yardstick: every object of the same bucket, through the same sandbox Macie.
    const macie = environment.sandbox.clients().macie;
    const { jobId } = await macie.send(
      new CreateClassificationJobCommand({
        clientToken: `bench-whole-bucket-${randomUUID()}`,
        jobType: 'ONE_TIME',
        name: `bench whole bucket ${BUCKET}`,
        s3JobDefinition: {
          bucketDefinitions: [{ accountId: environment.sandbox.world.accountId, buckets: [BUCKET] }],
        },
        samplingPercentage: 100,
      }),
    );
    const described = await macie.send(new DescribeClassificationJobCommand({ jobId }));
    const whole = environment.sandbox.world.macie?.jobs.find((j) => j.jobId === jobId);
    if (!whole) throw new Error('the whole-bucket job was not recorded');

    const ratio = (scoped.scan.bytes / whole.scan.bytes) * 100;
    const sizes = Object.values(objects).map((o) => o.size ?? 0);
    const largest = Math.max(...sizes);
    console.log(
      `Macie scan of one exposed object in a ${OBJECTS.toLocaleString('en-US')}-object bucket (the workflow, ${ms.toFixed(0)} ms locally):`,
    );
    const summary = incident.macie;
    console.log(
      `  scope (planScan): ${summary?.scope ? `${summary.scope.kind}, ${summary.scope.why}` : 'none'}`,
    );
    console.log(
      `  incident.macie: ${summary ? describeMacieSummary(summary) : 'no scan summary on the incident'}`,
    );
    console.log(
      `  exposed object (${exposedKey}): ${scoped.scan.keys.length} object(s) scanned of ${scoped.scan.eligibleObjects} in scope, ${bytes(scoped.scan.bytes)}`,
    );
    console.log(
      `  whole bucket (samplingPercentage 100, no size cap; job ${described.jobStatus}): ${whole.scan.keys.length.toLocaleString('en-US')} objects, ${bytes(whole.scan.bytes)}`,
    );
    console.log(
      `  ratio: ${ratio.toFixed(4)}% of the bytes, ${((scoped.scan.keys.length / whole.scan.keys.length) * 100).toFixed(2)}% of the objects; goal at most ${GOAL_PERCENT}%: ${ratio <= GOAL_PERCENT ? 'met' : 'NOT met'}`,
    );
    console.log(
      `  (the largest object in the bucket, ${bytes(largest)}, alone would be ${((largest / whole.scan.bytes) * 100).toFixed(4)}%)`,
    );
  } finally {
    await environment.close();
  }
}
