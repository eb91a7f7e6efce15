/**
 * Named scenarios: the real ASL on aws-local-stepfunctions, the real handlers and the sandbox
 * account. Each asserts the exact path of states and the side effects.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { onBucket, openState, PATHS, run, sampleEvent, tempStateDir, world } from './support.js';

const ACL_READ = {
  Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' },
  Permission: 'READ',
};

describe('workflow scenarios', () => {
  it('a public bucket policy: finding NEW then NOTIFIED, one alert', async () => {
    const { result } = await run([sampleEvent('put-bucket-policy-public')]);
    const [execution] = result.executions;
    expect(execution?.path).toEqual(PATHS.reported);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.incident).toMatchObject({
      bucket: 'acme-public-assets',
      status: 'OPEN',
      response: 'NOTIFIED',
      mode: 'notify',
      verdict: { effectivelyPublic: true, severity: 'HIGH' },
    });
    expect(execution?.incident?.timings.notifiedAt).toEqual(expect.any(String));
    expect(execution?.finding).toMatchObject({
      Id: execution?.incident?.findingId,
      Workflow: { Status: 'NOTIFIED' },
      RecordState: 'ACTIVE',
      Severity: { Label: 'HIGH' },
      Resources: [expect.objectContaining({ Type: 'AwsS3Bucket', Id: 'arn:aws:s3:::acme-public-assets' })],
    });
    expect(result.outbox).toEqual([
      expect.objectContaining({
        channel: 'email',
        to: 'soc@example.com',
        subject: expect.stringMatching(/^\[HIGH\].*acme-public-assets/),
      }),
    ]);
    expect(readFileSync(result.outbox[0]?.file ?? '', 'utf8')).toMatch(/^Subject: \[HIGH\]/m);
  });

  it('a public object ACL: the object is a resource of the finding', async () => {
    const { result } = await run([sampleEvent('put-object-acl-grant-header')]);
    const [execution] = result.executions;
    expect(execution?.path).toEqual(PATHS.reported);
    expect(execution?.incident?.verdict.vectors).toEqual([
      expect.objectContaining({ source: 'objectAcl', key: 'exports/customers.csv', access: 'read' }),
    ]);
    expect(execution?.finding?.Resources?.map((r) => r.Type)).toEqual(['AwsS3Bucket', 'AwsS3Object']);
  });

  it('a bucket that is not public after all: no incident, no finding, no alert', async () => {
    const { result } = await run([
      sampleEvent('put-bucket-policy-public', (e) => {
        e.detail.requestParameters.bucketName = 'acme-site-origin';
        e.detail.requestParameters.bucketPolicy = {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'cloudfront.amazonaws.com' },
              Action: 's3:GetObject',
              Resource: 'arn:aws:s3:::acme-site-origin/*',
            },
          ],
        };
      }),
    ]);
    expect(result.executions[0]).toMatchObject({
      path: PATHS.notPublic,
      status: 'SUCCEEDED',
      incident: null,
      finding: null,
    });
    expect(result.outbox).toEqual([]);
    expect(result.world.securityHubFindings).toEqual([]);
  });

  it('a failed call is recorded as an attempt and changes nothing', async () => {
    const simulation = await run([sampleEvent('failed-put-bucket-policy')], { keepOpen: true });
    expect(simulation.result.executions[0]).toMatchObject({
      path: PATHS.ignored,
      status: 'SUCCEEDED',
      incident: null,
    });
    expect(await simulation.environment.store.listAttempts()).toEqual([
      expect.objectContaining({ bucket: 'acme-reports', errorCode: 'AccessDenied' }),
    ]);
    expect(simulation.result.world.buckets['acme-reports']?.policy).toBeNull();
  });

  it("a change made by the responder's own role is ignored", async () => {
    const { result } = await run([sampleEvent('self-triggered-put-bucket-policy')]);
    expect(result.executions[0]).toMatchObject({ path: PATHS.ignored, incident: null });
    expect(result.outbox).toEqual([]);
  });

  it('an event that is not about exposure is ignored', async () => {
    const { result } = await run([sampleEvent('irrelevant-get-object')]);
    expect(result.executions[0]).toMatchObject({ path: PATHS.ignored, incident: null });
  });

  it.each(['missing-bucket', 'not-cloudtrail', 'missing-detail', 'bad-time'])(
    'a malformed event (%s) ends in a failure finding, an operators’ email and a Fail state',
    async (name) => {
      const event = JSON.parse(
        readFileSync(new URL(`../../events/malformed/${name}.json`, import.meta.url), 'utf8'),
      );
      const simulation = await run([event]);
      const [execution] = simulation.result.executions;
      expect(execution).toMatchObject({ path: PATHS.malformed, status: 'FAILED', incident: null });
      // The execution fails with the real error, as the console and the alarm show it.
      expect(simulation.records[0]?.error).toMatchObject({
        Error: expect.stringMatching(/^(MalformedEventError|MissingBucketError)$/),
        Cause: expect.stringContaining('errorMessage'),
      });
      const failureFindings = simulation.result.world.securityHubFindings.filter((f) =>
        f.Types?.some((t) => t.startsWith('Software and Configuration Checks')),
      );
      expect(failureFindings).toHaveLength(1);
      expect(failureFindings[0]?.Description).toMatch(/Malformed|MissingBucket/);
      expect(simulation.result.outbox).toEqual([expect.objectContaining({ to: 'cloud-ops@example.com' })]);
    },
  );

  it('the exposure ends: the incident closes, the finding is RESOLVED and ARCHIVED, a notice goes out', async () => {
    const stateDir = await tempStateDir();
    await run([sampleEvent('put-bucket-policy-public')], { stateDir });
    const { result } = await run([sampleEvent('delete-bucket-policy', onBucket('acme-public-assets'))], {
      stateDir,
    });
    const [execution] = result.executions;
    expect(execution?.path).toEqual(PATHS.closed);
    expect(execution?.incident).toMatchObject({
      status: 'CLOSED',
      closedReason: 'NOT_PUBLIC',
      events: [expect.anything(), expect.anything()],
    });
    expect(execution?.incident?.timings.containedAt).toEqual(expect.any(String));
    expect(execution?.finding).toMatchObject({ Workflow: { Status: 'RESOLVED' }, RecordState: 'ARCHIVED' });
    expect(result.outbox.map((m) => m.subject)).toEqual([
      expect.stringMatching(/is public/),
      expect.stringMatching(/Resolved: S3 bucket acme-public-assets is no longer public/),
    ]);
  });

  it('the same exposure again: recorded on the open incident without a new alert or finding', async () => {
    const stateDir = await tempStateDir();
    await run([sampleEvent('put-bucket-policy-public')], { stateDir });
    const { result } = await run([sampleEvent('put-bucket-policy-public')], { stateDir });
    expect(result.executions[0]?.path).toEqual(PATHS.alreadyReported);
    expect(result.executions[0]?.incident?.events).toHaveLength(2);
    expect(result.outbox).toHaveLength(1);
    expect(result.world.securityHubFindings).toHaveLength(1);
  });

  it('a wider exposure on an open incident: a new alert, and the finding refreshed to CRITICAL', async () => {
    const stateDir = await tempStateDir();
    await run([sampleEvent('put-bucket-policy-public')], { stateDir });
    const widen = sampleEvent('put-bucket-acl-canned', (e) => {
      e.detail.requestParameters.bucketName = 'acme-public-assets';
      e.detail.requestParameters['x-amz-acl'] = ['public-read-write'];
    });
    const { result } = await run([widen], { stateDir });
    const [execution] = result.executions;
    expect(execution?.path).toEqual(PATHS.reported);
    expect(execution?.incident?.verdict.severity).toBe('CRITICAL');
    expect(execution?.finding?.Severity?.Label).toBe('CRITICAL');
    expect(result.world.securityHubFindings).toHaveLength(1);
    expect(result.outbox.map((m) => m.subject)).toEqual([
      expect.stringMatching(/^\[HIGH\]/),
      expect.stringMatching(/^\[CRITICAL\]/),
    ]);
  });

  it('a new episode after the incident closed is a new incident that names the previous one', async () => {
    const stateDir = await tempStateDir();
    const first = await run([sampleEvent('put-bucket-policy-public')], { stateDir });
    await run([sampleEvent('delete-bucket-policy', onBucket('acme-public-assets'))], { stateDir });
    const { result } = await run([sampleEvent('put-bucket-policy-public')], { stateDir });
    const previous = first.result.executions[0]?.incident;
    const next = result.executions[0]?.incident;
    expect(next?.incidentId).not.toBe(previous?.incidentId);
    expect(next?.previousIncidentId).toBe(previous?.incidentId);
    expect(result.executions[0]?.finding?.RelatedFindings).toEqual([
      expect.objectContaining({ Id: previous?.findingId }),
    ]);
  });

  it('a bucket deleted meanwhile: the open incident closes as BUCKET_DELETED', async () => {
    const stateDir = await tempStateDir();
    await run([sampleEvent('put-bucket-policy-public')], { stateDir });
    const environment = await openState(stateDir);
    delete environment.sandbox.world.buckets['acme-public-assets'];
    await environment.close();
    const { result } = await run([sampleEvent('put-bucket-acl-canned', onBucket('acme-public-assets'))], {
      stateDir,
    });
    const [execution] = result.executions;
    expect(execution?.path).toEqual(PATHS.bucketDeleted);
    expect(execution?.incident).toMatchObject({ status: 'CLOSED', closedReason: 'BUCKET_DELETED' });
  });

  it('a bucket that never existed ends without an incident', async () => {
    const { result } = await run([sampleEvent('put-bucket-acl-canned', onBucket('acme-never-was'))]);
    expect(result.executions[0]).toMatchObject({
      path: PATHS.bucketDeleted,
      status: 'SUCCEEDED',
      incident: null,
    });
  });

  it('Security Hub not enabled: the alert still goes out and says so; the incident records it', async () => {
    const { result } = await run([sampleEvent('put-bucket-policy-public')], {
      world: world((w) => {
        w.services.securityHub = 'disabled';
      }),
    });
    const [execution] = result.executions;
    expect(execution?.path).toEqual(PATHS.reportedWithoutFinding);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.incident?.findingId).toBeNull();
    expect(execution?.incident?.history.map((h) => h.what)).toContainEqual(
      expect.stringMatching(/finding not written: SecurityHubNotEnabledError/),
    );
    expect(result.outbox[0]?.text).toMatch(/Security Hub/);
  });

  // f7454ab: with both failed there is no $.finding, and a Choice comparing it ends the run with
  // States.Runtime before ReportFailure. Each mode goes its own way after WhichResponseMode?.
  it.each([
    ['notify', 'ReleaseLease'],
    ['auto', 'RemediateExposure'],
    ['approve', 'RequestApproval'],
  ] as const)(
    'neither a finding nor an alert could be written (mode %s): the response goes on to %s, and the run ends in ReportFailure for the alarm',
    async (mode, next) => {
      const simulation = await run([sampleEvent('put-bucket-policy-public')], {
        mode,
        world: world((w) => {
          w.faults.push(
            {
              service: 'securityhub',
              operation: 'BatchImportFindings',
              error: 'InternalException',
              times: 1000,
            },
            { service: 'ses', operation: 'SendEmail', error: 'AccessDeniedException', times: 1000 },
          );
        }),
      });
      const [execution] = simulation.result.executions;
      const path = execution?.path ?? [];
      const chose = path.indexOf('WasTheFindingWritten?');
      expect(path.slice(chose - 1, chose + 3)).toEqual([
        'NotifyRecipients',
        'WasTheFindingWritten?',
        'WhichResponseMode?',
        next,
      ]);
      // Neither channel works, so even the failure report fails: the failed execution is the signal.
      expect(path.slice(-2)).toEqual(['ReportFailure', 'FailureNotReported']);
      expect(execution?.status).toBe('FAILED');
      expect(simulation.records[0]?.error?.Error).toBe('FailureNotReportedError');
      expect(execution?.incident?.response).toBe('FAILED');
    },
  );

  it('throttling that the SDK retries away leaves the path unchanged', async () => {
    const simulation = await run([sampleEvent('put-bucket-policy-public')], {
      world: world((w) => {
        w.faults.push({ service: 's3', operation: 'GetBucketAcl', error: 'SlowDown', times: 2 });
      }),
    });
    expect(simulation.result.executions[0]?.path).toEqual(PATHS.reported);
    const acl = simulation.environment.sandbox.calls.filter((c) => c.operation === 'GetBucketAcl');
    expect(acl.map((c) => c.outcome)).toEqual(['SlowDown', 'SlowDown', 'ok']);
  });

  it('a part that stays unreadable (GetBucketPolicy failing for good): reported, naming the part, the SOC alerted', async () => {
    const simulation = await run([sampleEvent('put-bucket-policy-public')], {
      world: world((w) => {
        w.faults.push({ service: 's3', operation: 'GetBucketPolicy', error: 'InternalError', times: 1000 });
      }),
    });
    const [execution] = simulation.result.executions;
    expect(execution?.path).toEqual(PATHS.reported);
    // GetBucketPolicyStatus still answers, and AWS's word is that the policy is public: HIGH.
    expect(execution?.incident?.verdict).toMatchObject({
      severity: 'HIGH',
      unknown: expect.arrayContaining([
        { part: 'bucketPolicy', why: 'InternalError: could not be read', kind: 'unread' },
      ]),
    });
    // A part AWS would not let us read is the operators' to fix: they get the alert too.
    expect(simulation.result.outbox.map((m) => [m.to, m.subject])).toEqual([
      ['soc@example.com, cloud-ops@example.com', expect.stringMatching(/^\[HIGH\]/)],
    ]);
  });

  it('a lone NoSuchBucket among the reads is not "bucket deleted": the incident stays open, no all-clear', async () => {
    const stateDir = await tempStateDir();
    await run([sampleEvent('put-bucket-policy-public')], { stateDir });
    const environment = await openState(stateDir);
    environment.sandbox.world.faults.push({
      service: 's3',
      operation: 'GetBucketTagging',
      error: 'NoSuchBucket',
      times: 1,
    });
    await environment.close();

    const { result } = await run([sampleEvent('put-bucket-acl-canned', onBucket('acme-public-assets'))], {
      stateDir,
    });

    const [execution] = result.executions;
    expect(execution?.path).not.toContain('MarkBucketDeleted');
    expect(execution?.incident).toMatchObject({ status: 'OPEN' });
    expect(result.outbox.map((m) => m.subject)).not.toContainEqual(expect.stringMatching(/Resolved/));
  });

  it('every read failing for good: retried, then the SOC and the operators hear the bucket could not be assessed', async () => {
    const reads = [
      'GetBucketPolicy',
      'GetBucketPolicyStatus',
      'GetBucketAcl',
      'GetPublicAccessBlock',
      'GetBucketOwnershipControls',
      'GetBucketWebsite',
      'GetBucketTagging',
    ];
    const simulation = await run([sampleEvent('put-bucket-policy-public')], {
      world: world((w) => {
        for (const operation of reads)
          w.faults.push({ service: 's3', operation, error: 'InternalError', times: 1000 });
      }),
    });
    const [execution] = simulation.result.executions;
    expect(execution?.status).toBe('FAILED');
    expect(execution?.path.filter((s) => s === 'ClassifyExposure').length).toBeGreaterThan(1);
    expect(execution?.path.slice(-2)).toEqual(['ReportFailure', 'ExecutionFailed']);
    // An incident the SOC sees: could not be assessed, response FAILED (answered again later).
    expect(execution?.incident).toMatchObject({
      status: 'OPEN',
      response: 'FAILED',
      verdict: { severity: 'MEDIUM', unknown: [expect.objectContaining({ part: 'bucket' })] },
    });
    expect(simulation.result.outbox).toEqual([
      expect.objectContaining({
        to: expect.stringContaining('soc@example.com'),
        subject: expect.stringMatching(/failed on acme-public-assets/),
      }),
    ]);
    expect(simulation.result.outbox[0]?.to).toContain('cloud-ops@example.com');
    // The lease was given up and the response counts as unanswered: once S3 is back, the next
    // event answers it at once, with an alert.
    const environment = await openState(simulation.stateDir);
    environment.sandbox.world.faults.length = 0;
    await environment.close();
    const next = await run([sampleEvent('put-bucket-policy-public')], { stateDir: simulation.stateDir });
    expect(next.result.executions[0]?.path).toEqual(PATHS.reported);
    expect(next.result.executions[0]?.incident).toMatchObject({
      response: 'NOTIFIED',
      verdict: { severity: 'HIGH' },
    });
  });

  it('an account-level Block Public Access removal fans out: one execution per bucket that becomes public', async () => {
    const simulation = await run([sampleEvent('delete-account-public-access-block')], {
      world: world((w) => {
        w.accountPublicAccessBlock = {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        };
        const logs = w.buckets['acme-logs'];
        if (logs) logs.acl = { Owner: { ID: 'owner' }, Grants: [ACL_READ] } as never;
      }),
    });
    expect(simulation.result.executions[0]?.path).toEqual(PATHS.fannedOut);
    const children = simulation.records.length === 1 ? simulation.environment.runner.executions.slice(1) : [];
    const reported = children.filter(
      (c) => c.path.at(-1) === 'ResponseComplete' && c.path.includes('WriteFinding'),
    );
    expect(reported).toHaveLength(1);
    expect(simulation.incidents.map((i) => i.bucket)).toEqual(['acme-logs']);
  });
});
