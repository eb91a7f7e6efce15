/**
 * The reads outside ClassifyExposure and RemediateExposure, on the paths where each one reads
 * more than the bucket-level configuration:
 *
 * - One NoSuchBucket among a read's answers proves nothing (S3's bucket operations are eventually
 *   consistent): HeadBucket decides. The fan-out, the joining event during an approval, the
 *   verification and the sweep each take a bucket that is still there as still there.
 * - The sweep reads the ACLs of the objects an open incident is about, and asks GetBucketLocation
 *   where ListBuckets names no Region.
 */
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { asFunction, outsideAnyFunction } from '../../local/call-ledger.js';
import { sweepEnvironment } from '../../local/commands/sweep.js';
import type { LocalEnvironment } from '../../local/environment.js';
import type { StateHandler } from '../../local/runner.js';
import { ALL_USERS } from '../../local/sandbox/acl.js';
import type { Fault } from '../../local/sandbox/world.js';
import { sweepAccount } from '../../tasks/sweep/sweep.js';
import { verifyRemediation } from '../../tasks/verify-remediation/handler.js';
import { bucketRef } from '../support/store.js';
import {
  alertsIn,
  approveEnvironment,
  deliver,
  joinWhileApprovalWaits,
  modeConfig,
  openEnvironment,
  openState,
  PATHS,
  publicPolicyBehindAccountBlock,
  publicReadPolicy,
  publicWriteBucketAcl,
  run,
  sampleEvent,
  startUntilApprovalWaits,
  tempStateDir,
  world,
} from './support.js';

/** S3 answering one read of `bucket` as if it had just been deleted: a lagging replica's answer. */
function oneNoSuchBucket(bucket: string): Fault {
  return { service: 's3', operation: 'GetBucketTagging', error: 'NoSuchBucket', bucket, times: 1 };
}

/** The HeadBucket calls the sandbox answered for `bucket`, with their outcomes. */
function headBuckets(environment: LocalEnvironment, bucket: string): string[] {
  return environment.sandbox.calls
    .filter((c) => c.operation === 'HeadBucket' && (c.input as { Bucket?: string }).Bucket === bucket)
    .map((c) => c.outcome);
}

/** The GetBucketTagging calls of `bucket` that S3 answered NoSuchBucket: the fault was met. */
function noSuchBucketAnswers(environment: LocalEnvironment, bucket: string): number {
  return environment.sandbox.calls.filter(
    (c) =>
      c.operation === 'GetBucketTagging' &&
      c.outcome === 'NoSuchBucket' &&
      (c.input as { Bucket?: string }).Bucket === bucket,
  ).length;
}

describe('one NoSuchBucket among the answers: HeadBucket says the bucket is still there', () => {
  it('the account-level fan-out still starts an execution for the bucket', async () => {
    const simulation = await run([sampleEvent('delete-account-public-access-block')], {
      keepOpen: true,
      world: world((w) => {
        publicPolicyBehindAccountBlock(w, 'acme-logs');
        // Queued before the run: the fan-out's read of the bucket is the first to meet it.
        w.faults.push(oneNoSuchBucket('acme-logs'));
      }),
    });
    const { environment } = simulation;

    expect(simulation.result.executions[0]?.path).toEqual(PATHS.fannedOut);
    expect(noSuchBucketAnswers(environment, 'acme-logs')).toBe(1);
    expect(headBuckets(environment, 'acme-logs')).toEqual(['ok']);
    const children = environment.runner.executions.filter(
      (e) => (e.input as { fanOut?: { bucket?: string } }).fanOut?.bucket === 'acme-logs',
    );
    expect(children).toHaveLength(1);
    expect(children[0]?.path).toEqual(PATHS.reported);
    expect(simulation.incidents.find((i) => i.bucket === 'acme-logs')).toMatchObject({
      status: 'OPEN',
      response: 'NOTIFIED',
    });
  });

  it('a joining event during an approval still supersedes it, the bucket being there', async () => {
    const environment = await approveEnvironment();
    const owner = await startUntilApprovalWaits(environment, sampleEvent('put-bucket-policy-public'));
    // The owner waits and reads nothing: the joining event's read is the one to meet it.
    environment.sandbox.injectFault(oneNoSuchBucket('acme-public-assets'));

    const { joiner, askedAgain } = await joinWhileApprovalWaits(environment, publicWriteBucketAcl());
    await askedAgain;

    expect(noSuchBucketAnswers(environment, 'acme-public-assets')).toBe(1);
    expect(headBuckets(environment, 'acme-public-assets')).toEqual(['ok']);
    expect(joiner.status).toBe('SUCCEEDED');
    expect(joiner.path).toEqual(expect.arrayContaining(['RegisterIncident', 'SupersedeApproval']));
    const firstId = new URL(owner.link).pathname.split('/').at(-1) ?? '';
    expect((await environment.deps.approvals?.get(firstId))?.status).toBe('SUPERSEDED');
    for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
    expect((await owner.execution).path.filter((s) => s === 'RequestApproval')).toHaveLength(2);
  });

  it('the verification does not take the fix as done on a partial read: it reads again, then verifies', async () => {
    let verifications = 0;
    const faultFirst: StateHandler = async (payload, deps) => {
      verifications++;
      if (verifications === 1) environment.sandbox.injectFault(oneNoSuchBucket('acme-public-assets'));
      return verifyRemediation(payload, deps);
    };
    const environment = await openEnvironment({
      config: modeConfig('auto'),
      handlers: { VerifyRemediation: faultFirst },
    });
    const record = await deliver(environment, sampleEvent('put-bucket-policy-public'));

    expect(noSuchBucketAnswers(environment, 'acme-public-assets')).toBe(1);
    expect(headBuckets(environment, 'acme-public-assets')).toEqual(['ok']);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.path.filter((s) => s === 'VerifyRemediation')).toHaveLength(2);
    expect(record.path).toEqual(expect.arrayContaining(['WaitForConsistency', 'CloseIncident']));
    const incident = await environment.store.getLatestIncident(bucketRef('acme-public-assets'));
    expect(incident).toMatchObject({
      status: 'CLOSED',
      closedReason: 'REMEDIATED',
      remediation: { verified: true },
    });
    const verifying = incident?.history.filter((h) => /^verifi/.test(h.what)).map((h) => h.what);
    expect(verifying).toEqual([
      expect.stringMatching(/^verification 1: /),
      expect.stringMatching(/^verified after 2 read\(s\)/),
    ]);
  });

  it('the sweep checks the bucket and starts its execution, and reports nothing gone', async () => {
    const environment = await openState(await tempStateDir());
    const reports = environment.sandbox.world.buckets['acme-reports'];
    if (!reports) throw new Error('the sample world has no acme-reports');
    reports.policy = publicReadPolicy('acme-reports');
    environment.sandbox.injectFault(oneNoSuchBucket('acme-reports'));

    const { sweep: report, executions } = await sweepEnvironment(environment);

    expect(noSuchBucketAnswers(environment, 'acme-reports')).toBe(1);
    expect(headBuckets(environment, 'acme-reports')).toEqual(['ok']);
    expect(report.gone).toEqual([]);
    expect(report.failed).toEqual([]);
    expect(report.started.map((s) => s.bucket)).toEqual(['acme-reports']);
    expect(executions).toEqual([expect.objectContaining({ status: 'SUCCEEDED', path: [...PATHS.reported] })]);
  });
});

describe("the sweep's reads", () => {
  it('reads the ACL of the object an open incident is about: made private since (the event was lost), the sweep has it closed', async () => {
    const stateDir = await tempStateDir();
    const objectAcl = sampleEvent('put-object-acl-body');
    const first = await run([objectAcl], { stateDir });
    const key = 'reports/2024/q3-summary.csv';
    expect(first.result.executions[0]?.incident).toMatchObject({ status: 'OPEN', response: 'NOTIFIED' });
    expect(first.result.executions[0]?.incident?.verdict.vectors).toEqual([
      expect.objectContaining({ source: 'objectAcl', key }),
    ]);

    const environment = await openState(stateDir);
    // The object's ACL made private again; that call's event never arrived.
    const object = environment.sandbox.world.buckets['acme-reports']?.objects[key];
    if (!object?.acl) throw new Error(`no ACL on ${key}`);
    object.acl = { ...object.acl, Grants: object.acl.Grants.filter((g) => g.Grantee.URI !== ALL_USERS) };
    const from = environment.sandbox.calls.length;

    const { sweep: report, executions } = await sweepEnvironment(environment);

    // The sweep itself read the object's ACL (it is the first GetObjectAcl of this run).
    const objectReads = environment.sandbox.calls.slice(from).filter((c) => c.operation === 'GetObjectAcl');
    expect(objectReads[0]?.input).toMatchObject({ Bucket: 'acme-reports', Key: key });
    expect(report.started).toEqual([
      expect.objectContaining({ bucket: 'acme-reports', reasons: ['no-longer-public'] }),
    ]);
    expect(executions[0]).toMatchObject({ status: 'SUCCEEDED', path: [...PATHS.closed] });
    expect(await environment.store.getOpenIncident(bucketRef('acme-reports'))).toBeNull();
    expect(alertsIn(environment.sandbox.outbox).map((m) => m.subject)).toContainEqual(
      expect.stringMatching(/Resolved: S3 bucket acme-reports is no longer public/),
    );
  });

  it('asks GetBucketLocation where ListBuckets names no Region, and reads the bucket in its own Region', async () => {
    const environment = await openState(await tempStateDir());
    const reports = environment.sandbox.world.buckets['acme-reports'];
    if (!reports) throw new Error('the sample world has no acme-reports');
    reports.region = 'eu-west-1';
    reports.policy = publicReadPolicy('acme-reports');
    // S3 answers this sweep's ListBuckets without BucketRegion (it names it only on some answers).
    const clients = environment.sandbox.clients();
    const withoutRegions: InitializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
      const answer = await next(args);
      if (context.commandName === 'ListBucketsCommand') {
        const output = answer.output as { Buckets?: { BucketRegion?: string }[] };
        for (const bucket of output.Buckets ?? []) delete bucket.BucketRegion;
      }
      return answer;
    };
    clients.s3.middlewareStack.add(withoutRegions, { step: 'initialize', name: 'testWithoutRegions' });
    const deps = { ...environment.deps, clients, stateMachineArn: environment.runner.stateMachineArn };
    const from = environment.sandbox.calls.length;

    const report = await asFunction('Sweep', () => sweepAccount(deps, { sweepId: 'sweep-no-regions' }));
    await outsideAnyFunction(() => environment.runner.idle());

    const calls = environment.sandbox.calls.slice(from);
    const locations = calls.filter((c) => c.operation === 'GetBucketLocation');
    expect(locations.map((c) => (c.input as { Bucket?: string }).Bucket).sort()).toEqual(
      Object.keys(environment.sandbox.world.buckets).sort(),
    );
    expect(
      locations.every(
        (c) => (c.input as { ExpectedBucketOwner?: string }).ExpectedBucketOwner === '111122223333',
      ),
    ).toBe(true);
    expect(report.failed).toEqual([]);
    expect(report.started).toEqual([
      expect.objectContaining({ bucket: 'acme-reports', region: 'eu-west-1', reasons: ['no-incident'] }),
    ]);
    const incident = await environment.store.getOpenIncident(bucketRef('acme-reports'));
    expect(incident).toMatchObject({ region: 'eu-west-1', response: 'NOTIFIED' });
  });
});
