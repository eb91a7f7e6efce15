/** Scenario helpers: the real ASL, the real handlers, a sandbox account per test. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { latestApprovalLink } from '../../local/approval/decide.js';
import { defaultConfig, defaultWorld } from '../../local/defaults.js';
import { type EnvironmentOptions, LocalEnvironment } from '../../local/environment.js';
import type { ExecutionRecord } from '../../local/runner.js';
import { ALL_USERS } from '../../local/sandbox/acl.js';
import { applyEventToWorld } from '../../local/sandbox/apply-event.js';
import type { World } from '../../local/sandbox/world.js';
import { type SimulateOptions, simulate } from '../../local/simulate.js';
import type { Incident, ResponderConfig, ResponseMode } from '../../tasks/shared/contracts.js';
import type { IncidentStore } from '../../tasks/shared/incident-store.js';
import { bucketRef } from '../support/store.js';

export type SampleEvent = {
  detail: {
    eventID: string;
    eventTime: string;
    eventName: string;
    requestParameters: Record<string, unknown>;
  };
} & Record<string, unknown>;

/** A sample from events/ as a fresh call (its own eventID unless told otherwise). */
export function sampleEvent(name: string, change: (event: SampleEvent) => void = () => {}): SampleEvent {
  const event = JSON.parse(
    readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'),
  ) as SampleEvent;
  event.detail.eventID = randomUUID();
  change(event);
  return event;
}

export function onBucket(bucket: string): (event: SampleEvent) => void {
  return (event) => {
    event.detail.requestParameters.bucketName = bucket;
  };
}

export async function tempStateDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 's3-exposure-test-'));
}

/** The sample account, changed for one scenario. */
export function world(change: (w: World) => void = () => {}): World {
  const w = structuredClone(defaultWorld());
  change(w);
  return w;
}

/**
 * Runs events through the workflow on a fresh (or given) state folder. With `keepOpen` the
 * store stays readable until the test ends.
 */
export async function run(events: unknown[], options: Partial<SimulateOptions> = {}) {
  const simulation = await simulate({
    world: world(),
    config: defaultConfig(),
    events,
    stateDir: await tempStateDir(),
    ...options,
  });
  if (options.keepOpen) onTestFinished(() => simulation.environment.close());
  return simulation;
}

/** Opens a state folder to change it between runs; closed when the test ends, or before by the test. */
export async function openState(stateDir: string): Promise<LocalEnvironment> {
  const environment = await LocalEnvironment.open({ stateDir, world: world(), config: defaultConfig() });
  onTestFinished(() => environment.close());
  return environment;
}

const START = ['NormalizeEvent', 'IsEventActionable?'];
const OWN = [
  ...START,
  'RegisterIncident',
  'DoesThisExecutionOwnTheBucket?',
  'ClassifyExposure',
  'IsTheBucketPublic?',
];
const END = ['ReleaseLease', 'DidMoreEventsJoin?', 'WasEveryoneTold?', 'ResponseComplete'];
const REPORT = ['WriteFinding', 'NotifyRecipients', 'WasTheFindingWritten?'];

/** The paths of the workflow, by name, as the scenarios expect them. */
export const PATHS = {
  reported: [...OWN, ...REPORT, 'MarkFindingNotified', 'WhichResponseMode?', ...END],
  reportedWithoutFinding: [...OWN, ...REPORT, 'WhichResponseMode?', ...END],
  remediated: [
    ...OWN,
    ...REPORT,
    'MarkFindingNotified',
    'WhichResponseMode?',
    'RemediateExposure',
    'DidTheRemediationChangeAnything?',
    'VerifyRemediation',
    'IsTheExposureGone?',
    'CloseIncident',
    ...END,
  ],
  suppressed: [...OWN, 'SuppressFinding', ...END],
  notPublic: [...OWN, ...END],
  alreadyReported: [...OWN, ...END],
  closed: [...OWN, 'CloseIncident', ...END],
  bucketDeleted: [
    ...START,
    'RegisterIncident',
    'DoesThisExecutionOwnTheBucket?',
    'ClassifyExposure',
    'MarkBucketDeleted',
    'CloseIncident',
    ...END,
  ],
  joined: [...START, 'RegisterIncident', 'DoesThisExecutionOwnTheBucket?', 'JoinedOpenIncident'],
  ignored: [...START, 'IgnoreEvent'],
  malformed: ['NormalizeEvent', 'ReportFailure', 'ExecutionFailed'],
  fannedOut: [...START, 'FanOutAccountChange', 'AccountChangeFannedOut'],
} as const;

/** The sample configuration with `mode` for every bucket. */
export function modeConfig(mode: ResponseMode): ResponderConfig {
  return { ...defaultConfig(), modes: { default: mode, bySeverity: {}, byBucket: {} } };
}

/**
 * An environment on a fresh state folder (the sample world and configuration unless `options`
 * say otherwise); closed when the test ends, after any approval still waiting is let expire (a
 * failed expectation must not leave a run waiting a day).
 */
export async function openEnvironment(options: Partial<EnvironmentOptions> = {}): Promise<LocalEnvironment> {
  const environment = await LocalEnvironment.open({
    ...options,
    stateDir: options.stateDir ?? (await tempStateDir()),
    world: options.world ?? world(),
    config: options.config ?? defaultConfig(),
  });
  onTestFinished(async () => {
    for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
    await environment.runner.idle();
    await environment.close();
  });
  return environment;
}

/** A fresh state folder in mode approve for every bucket (see openEnvironment). */
export async function approveEnvironment(
  change: (config: ResponderConfig) => ResponderConfig = (config) => config,
): Promise<LocalEnvironment> {
  return openEnvironment({ config: change(modeConfig('approve')) });
}

/** Replays the event on the sandbox, runs its execution, and waits for everything it started. */
export async function deliver(environment: LocalEnvironment, event: unknown): Promise<ExecutionRecord> {
  applyEventToWorld(environment.sandbox, event);
  const record = await environment.runner.start(event);
  await environment.runner.idle();
  return record;
}

/** Resolves when the next approval request waits (its email sent). */
export function nextApprovalWait(environment: LocalEnvironment): Promise<void> {
  return new Promise((resolve) => environment.taskTokens.onWait(() => resolve()));
}

/**
 * Replays `event` on the sandbox and starts its execution; returns once its approval request
 * waits, with the execution and the emailed link.
 */
export async function startUntilApprovalWaits(
  environment: LocalEnvironment,
  event: unknown,
): Promise<{ execution: Promise<ExecutionRecord>; link: string }> {
  applyEventToWorld(environment.sandbox, event);
  const waiting = nextApprovalWait(environment);
  const execution = environment.runner.start(event);
  await waiting;
  const link = latestApprovalLink(environment.sandbox.outbox);
  if (!link) throw new Error('no approval link was emailed');
  return { execution, link };
}

/**
 * Replays `event`, which joins the open incident while its approval waits, and runs its
 * execution; `askedAgain` resolves when the next approval request waits.
 */
export async function joinWhileApprovalWaits(
  environment: LocalEnvironment,
  event: unknown,
): Promise<{ joiner: ExecutionRecord; askedAgain: Promise<void> }> {
  applyEventToWorld(environment.sandbox, event);
  const askedAgain = nextApprovalWait(environment);
  const joiner = await environment.runner.start(event);
  return { joiner, askedAgain };
}

/** The put-bucket-acl-body sample with its grant made WRITE: the bucket ACL lets anyone write as well. */
export function publicWriteBucketAcl(): SampleEvent {
  return JSON.parse(
    JSON.stringify(sampleEvent('put-bucket-acl-body')).replace('"Permission":"READ"', '"Permission":"WRITE"'),
  ) as SampleEvent;
}

/** Registers an exception for `vectors` on `bucket` and closes its open incident: the next episode meets the exception. */
export async function exceptAndCloseOpenIncident(
  store: IncidentStore,
  exception: {
    id: string;
    bucket: string;
    vectors: Incident['verdict']['vectors'];
    owner: string;
    reason: string;
  },
): Promise<void> {
  await store.putException({ ...exception, expiry: '2099-01-01T00:00:00.000Z', source: 'registry' });
  const open = await store.getOpenIncident(bucketRef(exception.bucket));
  if (open) await store.putIncident({ ...open, status: 'CLOSED', closedReason: 'NOT_PUBLIC' });
}

/** Principal "*" may read the bucket's objects, no condition: public by the reference and the classifier. */
export function publicReadPolicy(bucket: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PublicRead',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
    ],
  };
}

/** All four Block Public Access settings on, as a fresh object. */
export function blockAllPublicAccess() {
  return {
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  };
}

/** The account's Block Public Access on, masking a public-read policy on `bucket` until an event removes it. */
export function publicPolicyBehindAccountBlock(w: World, bucket: string): void {
  const target = w.buckets[bucket];
  if (!target) throw new Error(`the sample world has no ${bucket}`);
  w.accountPublicAccessBlock = blockAllPublicAccess();
  target.policy = publicReadPolicy(bucket);
}

/** The sample account's canonical id: objects it owns are the bucket owner's, so their ACLs can be fixed. */
export const SAMPLE_OWNER_ID = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';

/** `keys` in `bucket`, each readable by anyone through its ACL, masked by the bucket's Block Public Access until it is removed. */
export function publicObjectsBehindBlock(w: World, bucket: string, keys: readonly string[]): void {
  const target = w.buckets[bucket];
  if (!target) throw new Error(`the sample world has no ${bucket}`);
  target.publicAccessBlock = blockAllPublicAccess();
  const acl = {
    Owner: { ID: SAMPLE_OWNER_ID },
    Grants: [{ Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' }],
  };
  target.objects = Object.fromEntries(
    keys.map((key) => [key, { size: 10, acl: structuredClone(acl) }]),
  ) as never;
}

/** The objects of `bucket` whose ACL still lets anyone in, as the sandbox holds them now, sorted. */
export function publicObjectKeys(w: World, bucket: string): string[] {
  return Object.entries(w.buckets[bucket]?.objects ?? {})
    .filter(([, object]) => JSON.stringify(object.acl ?? null).includes(ALL_USERS))
    .map(([key]) => key)
    .sort();
}

/** The objects an incident (or a plan) names as public through their ACL, sorted. */
export function objectAclKeys(vectors: Incident['verdict']['vectors'] | undefined): string[] {
  return (vectors ?? []).flatMap((v) => (v.source === 'objectAcl' && v.key ? [v.key] : [])).sort();
}

/** Principal "*" limited to one VPC endpoint: not public by the reference, nor by the classifier. */
export function vpceOnlyPolicy(bucket: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadThroughVpce',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
        Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } },
      },
    ],
  };
}

/** The messages that are alerts and notices, without the Macie scan's follow-ups (a branch of its own). */
export function alertsIn<T extends { readonly subject: string }>(outbox: readonly T[]): T[] {
  return outbox.filter((m) => !/Sensitive data in exposed|Macie scan of exposed/.test(m.subject));
}

/** The executions that respond to events, without the Macie scans NotifyRecipients starts beside them. */
export function responseExecutions<T extends { readonly name: string }>(executions: readonly T[]): T[] {
  return executions.filter((e) => !e.name.startsWith('macie-'));
}
