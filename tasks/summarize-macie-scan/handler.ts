import {
  type Finding,
  GetFindingsCommand,
  ListFindingsCommand,
  type Macie2Client,
} from '@aws-sdk/client-macie2';
import { deliverDecision } from '../approval-page/deps.js';
import {
  listScope,
  macieFor,
  recordSummary,
  requireScan,
  scanFailed,
  severityWithMacie,
} from '../scan-with-macie/branch.js';
import { estimateScan } from '../scan-with-macie/scope.js';
import { summarizeScan } from '../scan-with-macie/summary.js';
import { decideAsTheSystem } from '../shared/approval/system-decision.js';
import type { Incident, MacieSummary, WorkflowState } from '../shared/contracts.js';
import { MacieErrorNameSchema, WorkflowStateSchema } from '../shared/contracts.js';
import { describeMacieSummary } from '../shared/describe.js';
import { InvalidInputError } from '../shared/errors.js';
import { consoleLinks } from '../shared/findings/finding.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { postToChannels } from '../shared/messages/chat.js';
import { sendEmail } from '../shared/messages/email.js';
import { requireIncident } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';
import type { TaskDeps } from '../shared/task-deps.js';

/** GetFindings takes at most 50 ids per call. */
const GET_FINDINGS_BATCH = 50;

/** Every finding of the job: ListFindings filtered to it, page by page, then GetFindings. */
async function findingsOf(macie: Macie2Client, jobId: string): Promise<Finding[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await macie.send(
      new ListFindingsCommand({
        findingCriteria: { criterion: { 'classificationDetails.jobId': { eq: [jobId] } } },
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    ids.push(...(page.findingIds ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const findings: Finding[] = [];
  for (let start = 0; start < ids.length; start += GET_FINDINGS_BATCH) {
    const answer = await macie.send(
      new GetFindingsCommand({ findingIds: ids.slice(start, start + GET_FINDINGS_BATCH) }),
    );
    findings.push(...(answer.findings ?? []));
  }
  return findings;
}

/**
 * With `macie.containOnSensitiveData`, sensitive data found decides this incident's pending
 * approval as the system: the same conditional write a person makes (the first decision wins),
 * recorded as such, then delivered to the waiting request. Returns what happened, or null.
 */
async function containAsTheSystem(
  deps: TaskDeps,
  incident: Incident,
  summary: MacieSummary,
): Promise<string | null> {
  const approvals = deps.approvals;
  if (!approvals || summary.affectedObjects === 0) return null;
  const pending = await approvals.pendingFor(incident);
  if (pending?.incidentId !== incident.incidentId) return null;
  const now = deps.clock.now();
  const answer = await decideAsTheSystem(approvals, pending.approvalId, summary, now);
  if (answer.outcome !== 'decided') return null;
  try {
    await deliverDecision({ approvals, sfn: deps.clients.sfn, clock: deps.clock }, answer.record);
  } catch (error) {
    // Recorded in time: the wait's end acts on it (ApprovalExpired hands it on), as for a person.
    logger.warn('system decision recorded but not delivered yet', {
      approvalId: pending.approvalId,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
  return `The pending approval ${pending.approvalId} was approved by the system (macie.containOnSensitiveData): the fix follows.`;
}

/** The follow-up to the recipients (and the approvers of a pending request): what the scan found. */
async function tellWhatWasFound(
  deps: TaskDeps,
  state: WorkflowState,
  incident: Incident,
  summary: MacieSummary,
  contained: string | null,
): Promise<void> {
  const raised = severityWithMacie(incident.verdict.severity, summary) ?? incident.verdict.severity;
  const line = describeMacieSummary(summary);
  const subject =
    summary.outcome === 'found'
      ? `[${raised}] Sensitive data in exposed S3 bucket ${incident.bucket}`
      : `[${incident.verdict.severity}] Macie scan of exposed S3 bucket ${incident.bucket} incomplete`;
  const keys = summary.affectedKeys.slice(0, 20);
  const links = consoleLinks(incident, state.executionId, state.config.consoleBaseUrl);
  const text = [
    `${line}.`,
    '',
    ...(summary.scope ? [`What was scanned: ${summary.scope.why}`] : []),
    ...(keys.length > 0
      ? [
          'Objects with sensitive data:',
          ...keys.map((k) => `  ${k}`),
          ...(summary.affectedObjects > keys.length
            ? [`  and ${summary.affectedObjects - keys.length} more`]
            : []),
        ]
      : []),
    ...Object.entries(summary.categories).map(([category, count]) => `  ${category}: ${count}`),
    '',
    contained ?? `Incident ${incident.incidentId} (response ${incident.response}, mode ${incident.mode}).`,
    `Bucket: ${links.bucket}`,
  ].join('\n');
  const approvers = (await deps.approvals?.pendingFor(incident))?.approvers ?? [];
  await sendEmail(deps.clients.ses, {
    from: state.config.sender,
    to: [...state.config.recipients.email, ...approvers],
    subject,
    text,
  });
  const failed = await postToChannels(deps.chat, state.config.chat.channels, {
    subject,
    lines: [line],
    facts: [
      { name: 'Bucket', value: incident.bucket },
      { name: 'Incident', value: incident.incidentId },
    ],
    link: { label: 'Open the bucket', url: links.bucket },
  });
  if (failed.length > 0) logger.warn('Macie follow-up not posted to chat', { failed });
}

/**
 * SummarizeMacieScan: the job's findings (ListFindings, GetFindings), summarized on the incident
 * as Macie names them, never a value; the finding's note (and severity, when sensitive data was
 * found); the pending approval's page; a follow-up to the recipients; and, when configured, the
 * system's decision to contain.
 */
export const summarizeMacieScan = defineTask(
  'SummarizeMacieScan',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const scan = requireScan(state, 'SummarizeMacieScan');
    const { jobId, startedAt, scope } = scan;
    if (!jobId || !startedAt || !scope)
      throw new InvalidInputError('SummarizeMacieScan input: the scan has no job');
    let findings: Finding[];
    try {
      findings = await findingsOf(macieFor(deps, scan), jobId);
    } catch (error) {
      return scanFailed(deps, state, scan, error, 'ListFindings');
    }
    const listed = await listScope(deps, scan, scope).catch(() => null);
    const estimate = listed ? estimateScan(scope, listed) : null;
    const summarized = summarizeScan({
      scope,
      job: {
        jobId,
        status: scan.status ?? 'COMPLETE',
        runErrors: scan.runErrors,
        startedAt,
        now: deps.clock.now().toISOString(),
        incomplete: scan.incomplete,
      },
      findings,
      scanned: estimate
        ? { objects: estimate.objects, bytes: estimate.bytes, bytesSource: 'estimate' }
        : { objects: null, bytes: null, bytesSource: null },
    });
    // A named failure met on the way (PAUSED: the monthly quota) is recorded with the summary.
    const metOnTheWay = MacieErrorNameSchema.safeParse(scan.error);
    const summary: MacieSummary =
      metOnTheWay.success && summarized.error === null
        ? { ...summarized, error: metOnTheWay.data }
        : summarized;
    await recordSummary(deps, scan, summary);
    const incident = await requireIncident(deps.store, scan.incidentId, 'SummarizeMacieScan');
    const contained = state.config.macie.containOnSensitiveData
      ? await containAsTheSystem(deps, incident, summary)
      : null;
    // What needs a reader: sensitive data, or a scan that could not finish. "Nothing found" and
    // Macie's own failures are on the incident and the finding, without another message.
    if (summary.outcome === 'found' || summary.outcome === 'incomplete') {
      await tellWhatWasFound(deps, state, incident, summary, contained);
    }
    logger.info('Macie scan summarized', {
      incidentId: incident.incidentId,
      jobId,
      outcome: summary.outcome,
    });
    return { ...state, scan: { ...scan, next: 'done' } };
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(summarizeMacieScan);
