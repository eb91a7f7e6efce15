/**
 * What the scan branch's tasks share: the scan in the state, Macie's client for the bucket's
 * Region, and where a summary goes (the incident's own MACIE item, and the pending approval's
 * page). The scan runs as an execution of its own beside the owner (NotifyRecipients starts it),
 * so it never holds the bucket's lease and never delays the alert, the request or the fix.
 */

import type { Macie2Client } from '@aws-sdk/client-macie2';
import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import {
  type MacieScope,
  type MacieSummary,
  type ScanState,
  SEVERITIES,
  type Severity,
  type WorkflowState,
} from '../shared/contracts.js';
import { describeMacieSummary } from '../shared/describe.js';
import { InvalidInputError } from '../shared/errors.js';
import { SecurityHubNotEnabledError } from '../shared/findings/errors.js';
import { recordScanOnFinding } from '../shared/findings/workflow.js';
import type { TaskDeps } from '../shared/task-deps.js';
import { MacieScanError, macieErrorOf } from './errors.js';
import type { ListedObject } from './scope.js';
import { failedSummary } from './summary.js';

/** The scan a task of the branch works on. */
export function requireScan(state: WorkflowState, task: string): ScanState {
  if (!state.scan) throw new InvalidInputError(`${task} input: no scan in the state`);
  return state.scan;
}

/** Macie in the bucket's Region: a classification job reads buckets of its own Region only. */
export function macieFor(deps: TaskDeps, scan: ScanState): Macie2Client {
  return deps.clientsFor(scan.region).macie;
}

/**
 * The finding's severity once Macie found sensitive data in what is public: at least HIGH, and
 * CRITICAL when Macie rates a finding High. Null: the verdict's severity stands.
 */
export function severityWithMacie(verdict: Severity, summary: MacieSummary): Severity | null {
  if (summary.affectedObjects === 0) return null;
  const floor: Severity = summary.highestSeverity === 'High' ? 'CRITICAL' : 'HIGH';
  return SEVERITIES.indexOf(floor) < SEVERITIES.indexOf(verdict) ? floor : null;
}

/**
 * Records the summary on the incident (its own MACIE item), on the pending approval of this
 * incident (whose page shows the scan as it goes), and, once the scan has an outcome, as a note
 * on the finding, raising its severity when sensitive data was found. Security Hub's absence
 * does not stop it: the incident is the record.
 */
export async function recordSummary(deps: TaskDeps, scan: ScanState, summary: MacieSummary): Promise<void> {
  await deps.store.putMacieSummary(scan.incidentId, summary);
  const line = describeMacieSummary(summary);
  const pending = await deps.approvals?.pendingFor({ accountId: scan.accountId, bucket: scan.bucket });
  if (pending?.incidentId === scan.incidentId) await deps.approvals?.setMacie(pending.approvalId, line);
  if (summary.outcome === 'pending') return;
  const incident = await deps.store.getIncident(scan.incidentId);
  if (!incident?.findingId) return;
  const raised = severityWithMacie(incident.verdict.severity, summary);
  try {
    await recordScanOnFinding(deps, incident, incident.findingId, summary, raised ?? undefined);
  } catch (error) {
    if (!(error instanceof SecurityHubNotEnabledError)) throw error;
  }
}

/**
 * A Macie call's failure, named: a retryable one (throttling) is thrown for the state machine's
 * Retry; any other named one is recorded as the scan's outcome, and the scan ends (the run never
 * fails because of Macie). An error that is no AWS answer is thrown as it is.
 */
export async function scanFailed(
  deps: TaskDeps,
  state: WorkflowState,
  scan: ScanState,
  error: unknown,
  operation: string,
): Promise<WorkflowState> {
  const named = macieErrorOf(error, operation);
  if (!(named instanceof MacieScanError) || named.retryable) throw named;
  const summary = failedSummary(named, {
    scope: scan.scope,
    jobId: scan.jobId,
    startedAt: scan.startedAt,
    now: deps.clock.now().toISOString(),
  });
  await recordSummary(deps, scan, summary);
  return { ...state, scan: { ...scan, next: 'done', error: named.name } };
}

/** At most this many objects are listed for the estimate of what a job scans; beyond, none is given. */
export const ESTIMATE_LISTING_LIMIT = 10_000;

/**
 * The objects a scope may select, with their sizes (ListObjectsV2 under each prefix, or the
 * whole bucket), for the estimate of what the job scanned: Macie gives no byte total for a job.
 * Null when there are more than {@link ESTIMATE_LISTING_LIMIT}: no estimate beats a wrong one.
 */
export async function listScope(
  deps: TaskDeps,
  scan: ScanState,
  scope: MacieScope,
): Promise<ListedObject[] | null> {
  const s3 = deps.clientsFor(scan.region).s3;
  const listed = new Map<string, number>();
  for (const prefix of scope.prefixes.length > 0 ? scope.prefixes : ['']) {
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await s3.send(
        new ListObjectsV2Command({
          Bucket: scan.bucket,
          ExpectedBucketOwner: scan.accountId,
          ...(prefix ? { Prefix: prefix } : {}),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) listed.set(object.Key, object.Size ?? 0);
      }
      if (listed.size > ESTIMATE_LISTING_LIMIT) return null;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return [...listed].map(([key, size]) => ({ key, size }));
}
