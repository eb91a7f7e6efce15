import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { redactApprovalSecrets } from '../../tasks/shared/approval/redact.js';
import type { Incident } from '../../tasks/shared/contracts.js';
import { describeMacieSummary, exposureSummary } from '../../tasks/shared/describe.js';
import type { Decision } from '../approval/decider.js';
import { defaultConfig, defaultWorld } from '../defaults.js';
import { LocalEnvironment } from '../environment.js';
import { projectPath } from '../paths.js';
import { rollbackIncident } from '../rollback/rollback.js';
import type { OutboxEntry } from '../sandbox/operations.js';
import { type SimulationRun, simulate } from '../simulate.js';

type Event = {
  detail: { eventID: string; eventTime: string; requestParameters: Record<string, unknown> };
} & Record<string, unknown>;

function sample(name: string): Event {
  return JSON.parse(readFileSync(projectPath('events', `${name}.json`), 'utf8')) as Event;
}

/** A sample event as a new call: its own eventID, and optionally another bucket or policy. */
function variant(name: string, change: (event: Event) => void = () => {}): Event {
  const event = sample(name);
  event.detail.eventID = randomUUID();
  change(event);
  return event;
}

const OAC_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowCloudFrontServicePrincipal',
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::acme-site-origin/*',
      Condition: {
        StringEquals: { 'AWS:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE' },
      },
    },
  ],
};

const ANALYTICS_POLICY_MADE_PUBLIC = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'EtlWrites',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:role/etl' },
      Action: 's3:PutObject',
      Resource: 'arn:aws:s3:::acme-analytics/*',
    },
    {
      Sid: 'TlsOnly',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::acme-analytics', 'arn:aws:s3:::acme-analytics/*'],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: 'ShareDashboards',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::acme-analytics/*',
    },
  ],
};

interface Chapter {
  readonly title: string;
  readonly intro: string;
  readonly events: () => Event[];
  /** Mode approve for this chapter, and who answers: through the emailed link, over HTTP. */
  readonly approval?: { readonly decision: Extract<Decision, 'approve' | 'reject'>; readonly reason: string };
  /** Tell what the Macie scan the response started found (its path, scope and summary). */
  readonly scan?: boolean;
}

/** CreateBucket of `bucket` with a public canned ACL, as a new call. */
function publicNewBucket(bucket: string, acl: string): Event {
  return variant('create-bucket-public', (e) => {
    e.detail.requestParameters.bucketName = bucket;
    e.detail.requestParameters.Host = `${bucket}.s3.amazonaws.com`;
    e.detail.requestParameters['x-amz-acl'] = acl;
  });
}

/** PutObjectAcl granting AllUsers READ on `bucket`/`key` (the sample data event, retargeted). */
function publicObjectAcl(bucket: string, key: string): Event {
  return variant('put-object-acl-grant-header', (e) => {
    e.detail.requestParameters.bucketName = bucket;
    e.detail.requestParameters.key = key;
    e.detail.requestParameters.Host = `${bucket}.s3.amazonaws.com`;
    (e.detail as Record<string, unknown>).resources = [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
      { accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
    ];
  });
}

const CHAPTERS: readonly Chapter[] = [
  {
    title: 'A bucket policy made public',
    intro: 'Someone gives Principal "*" s3:GetObject on acme-public-assets.',
    events: () => [variant('put-bucket-policy-public')],
  },
  {
    title: 'An object ACL made public',
    intro: 'A PutObjectAcl grants AllUsers READ on acme-reports/exports/customers.csv (a data event).',
    events: () => [variant('put-object-acl-grant-header')],
  },
  {
    title: 'A storm of events',
    intro: 'A script sets public-read on acme-logs 12 times, and EventBridge delivers 4 of them twice.',
    events: () => {
      const calls = Array.from({ length: 12 }, () => variant('put-bucket-acl-canned'));
      return [...calls, ...calls.slice(0, 4).map((e) => structuredClone(e))];
    },
  },
  {
    title: 'A bucket that is not public after all',
    intro:
      'acme-site-origin gets a CloudFront origin access control policy: a service principal, limited to one distribution.',
    events: () => [
      variant('put-bucket-policy-public', (e) => {
        e.detail.requestParameters.bucketName = 'acme-site-origin';
        e.detail.requestParameters.bucketPolicy = OAC_POLICY;
      }),
    ],
  },
  {
    title: 'The owner fixes it',
    intro: 'The public statement is removed: DeleteBucketPolicy on acme-public-assets.',
    events: () => [
      variant('delete-bucket-policy', (e) => {
        e.detail.requestParameters.bucketName = 'acme-public-assets';
      }),
    ],
  },
  {
    title: 'A surgical fix (acme-analytics is configured for auto)',
    intro:
      'A public-read statement is added to a policy that also holds an ETL role grant and a TLS-only Deny.',
    events: () => [
      variant('put-bucket-policy-public', (e) => {
        e.detail.requestParameters.bucketName = 'acme-analytics';
        e.detail.requestParameters.bucketPolicy = ANALYTICS_POLICY_MADE_PUBLIC;
      }),
    ],
  },
  {
    title: 'Ask first (mode approve): the approver approves on the page',
    intro:
      'A new bucket, acme-partner-drop, is created public-read-write. The approver gets one email with a signed link, opens the page and approves.',
    events: () => [publicNewBucket('acme-partner-drop', 'public-read-write')],
    approval: { decision: 'approve', reason: 'partners must upload through the portal, not anonymously' },
  },
  {
    title: 'Ask first: the approver rejects, as intended',
    intro: 'acme-press-kit is created public-read on purpose; the approver rejects the fix on the page.',
    events: () => [publicNewBucket('acme-press-kit', 'public-read')],
    approval: { decision: 'reject', reason: 'the press kit is meant to be public' },
  },
  {
    title: 'An exposed export holds card numbers: the Macie scan',
    intro:
      'A PutObjectAcl grants AllUsers READ on acme-crm-exports/exports/customers-2026-11.csv, a CRM export holding (test) card numbers. Beside the alert, Macie scans what became public: that object alone.',
    events: () => [publicObjectAcl('acme-crm-exports', 'exports/customers-2026-11.csv')],
    scan: true,
  },
];

/**
 * The Macie scan of `incident`: the execution the response started for it (`macie-…`), what it
 * scanned and found (incident.macie, in one line: types and counts, never a value), and what
 * that did to the finding and who was told.
 */
function describeScan(
  run: SimulationRun,
  incident: Incident,
  finding: AwsSecurityFinding | null,
  messages: readonly OutboxEntry[],
  write: (text: string) => void,
): void {
  const scan = run.environment.runner.executions.find(
    (e) =>
      e.name.startsWith('macie-') &&
      (e.input as { macieScan?: { incidentId?: string } } | null)?.macieScan?.incidentId ===
        incident.incidentId,
  );
  if (scan) write(`   Macie scan, an execution of its own: ${scan.path.join(' -> ')}\n`);
  const summary = incident.macie;
  if (!summary) {
    write('   no Macie scan recorded on the incident\n');
    return;
  }
  const objects = Object.keys(run.result.world.buckets[incident.bucket]?.objects ?? {}).length;
  if (summary.scope)
    write(
      `   scope: ${summary.scope.why} (${summary.objectsScanned ?? '?'} of the bucket's ${objects} objects)\n`,
    );
  write(`   incident.macie: ${describeMacieSummary(summary)}\n`);
  const label = finding?.Severity?.Label;
  const noted = finding?.Note?.Text?.includes(describeMacieSummary(summary))
    ? ', the Macie line in its note'
    : '';
  if (label && label !== incident.verdict.severity)
    write(`   the finding's severity raised from ${incident.verdict.severity} to ${label}${noted}\n`);
  const followUp = messages.find((m) => m.subject.includes('Sensitive data'));
  if (followUp) write(`   a follow-up went to ${followUp.to}: what was found and where, never the values\n`);
}

function endStates(paths: readonly string[][]): string {
  const counts = new Map<string, number>();
  for (const path of paths) {
    const end = path.at(-1) ?? '?';
    counts.set(end, (counts.get(end) ?? 0) + 1);
  }
  return [...counts].map(([end, n]) => `${n} x ${end}`).join(', ');
}

/** The last chapter: the owner meant it, and undoes the fix with one command. */
async function rollbackChapter(
  stateDir: string,
  number: number,
  write: (text: string) => void,
): Promise<void> {
  const environment = await LocalEnvironment.open({
    stateDir,
    world: defaultWorld(),
    config: defaultConfig(),
  });
  const incident = (await environment.store.listIncidents()).find((i) => i.remediation !== null);
  const result = incident
    ? await rollbackIncident(environment.deps, {
        incidentId: incident.incidentId,
        by: 'dana (data-platform)',
        exceptionDays: 7,
      })
    : null;
  await environment.close();
  if (!incident || !result) return;
  write(
    `\n${number}. The owner meant it: a rollback\n   npx s3-exposure rollback --incident ${incident.incidentId}\n`,
  );
  for (const part of result.restore.restored) write(`   restored: ${part}\n`);
  write(
    `   compared with the backup: ${result.comparison.sameMeaning ? 'same meaning' : result.comparison.differences.join('; ')}${result.comparison.policyBytesEqual ? ', policy identical to the byte' : ''}\n`,
  );
  if (result.exception)
    write(
      `   exception ${result.exception.id} until ${result.exception.expiry.slice(0, 10)}: the responder will not undo it again\n`,
    );
}

/**
 * `demo`: what `npm start` runs. A short story on the sample account, each chapter a real run of
 * the workflow (the ASL on aws-local-stepfunctions, the real handlers, the sandbox account).
 */
export async function runDemo(
  options: { state: string; fresh: boolean },
  write: (text: string) => void,
): Promise<void> {
  const stateDir = resolve(options.state);
  if (options.fresh) await rm(stateDir, { recursive: true, force: true });
  const config = defaultConfig();
  const world = defaultWorld();
  write('S3 Exposure Responder: the playbook on the embedded default (no AWS account needed)\n');
  write(`Sample account 111122223333 (samples/world.json), mode: ${config.modes.default}\n`);

  let sent = 0;
  for (const [index, chapter] of CHAPTERS.entries()) {
    const events = chapter.events();
    const run = await simulate({
      world,
      events,
      config,
      stateDir,
      ...(chapter.approval
        ? { mode: 'approve' as const, decision: chapter.approval.decision, reason: chapter.approval.reason }
        : {}),
    });
    write(`\n${index + 1}. ${chapter.title}\n   ${chapter.intro}\n`);
    const executions = run.result.executions;
    if (executions.length === 1) {
      write(`   path: ${executions[0]?.path.join(' -> ')}\n`);
    } else {
      write(`   ${executions.length} executions: ${endStates(executions.map((e) => e.path))}\n`);
      const longest = Math.max(...executions.map((e) => e.path.length));
      const shortest = Math.min(...executions.map((e) => e.path.length));
      write(`   states per execution: ${shortest} to ${longest}\n`);
    }
    const incidents = new Map(executions.flatMap((e) => (e.incident ? [[e.incident.incidentId, e]] : [])));
    if (incidents.size === 0) write('   no incident: nothing is public\n');
    for (const { incident, finding } of incidents.values()) {
      if (!incident) continue;
      write(
        `   incident ${incident.incidentId}: ${incident.status}${incident.closedReason ? ` (${incident.closedReason})` : ''}, ${exposureSummary(incident.verdict)}, ${incident.events.length} event(s)\n`,
      );
      for (const reason of incident.verdict.reasons.slice(0, 2)) write(`     why: ${reason.why}\n`);
      if (finding)
        write(
          `   Security Hub finding: ${finding.Workflow?.Status} / ${finding.RecordState}, severity ${finding.Severity?.Label}\n`,
        );
      for (const entry of incident.history.filter((h) => /approval|approved|rejected/.test(h.what)))
        write(`   ${redactApprovalSecrets(entry.what)}\n`);
      for (const change of incident.remediation?.plan ?? []) write(`   changed: ${change}\n`);
      if (incident.remediation) write(`   backup first: ${incident.remediation.backup.location}\n`);
      if (chapter.scan) describeScan(run, incident, finding, run.result.outbox.slice(sent), write);
      else if (incident.macie?.outcome === 'found')
        // The scan runs beside every response: what it found is why the finding's severity rose.
        write(
          `   Macie scan (beside the response, chapter 9 tells more): ${describeMacieSummary(incident.macie)}\n`,
        );
    }
    const outbox = run.result.outbox.slice(sent);
    sent = run.result.outbox.length;
    for (const message of outbox) write(`   ${message.channel} to ${message.to}: "${message.subject}"\n`);
  }
  await rollbackChapter(stateDir, CHAPTERS.length + 1, write);
  write(`\nWhere to look next:
  ${stateDir}/outbox/          the alerts, as .eml files
  ${stateDir}/incidents.json   a readable copy of the incident records (the store: dynamodb/)
  ${stateDir}/executions/      every execution's states, inputs and outputs
  ${stateDir}/world.json       the sandbox account now, Security Hub findings included
  npx s3-exposure simulate --help    run your own events (samples in events/)
  npx s3-exposure sweep              the backstop: check every bucket, answer what events missed
`);
}
