/** The finding calls every task makes the same way, with the deployment's partition and Region. */
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import type { Incident, MacieSummary, Severity } from '../contracts.js';
import type { IncidentStore } from '../incident-store.js';
import type { TaskDeps } from '../task-deps.js';
import {
  buildExposureFinding,
  GENERATOR_ID,
  MACIE_NOTE_PREFIX,
  macieNoteLine,
  productArnFor,
  workflowNote,
} from './finding.js';
import { currentNote, updateFindingWorkflow } from './security-hub.js';

type FindingDeps = Pick<TaskDeps, 'clients' | 'partition' | 'region'>;

/** The incident's finding as it stands now, linked to the execution writing it. */
export function exposureFindingFor(
  deps: FindingDeps,
  incident: Incident,
  context: { executionId: string; consoleBaseUrl: string; now: Date },
): AwsSecurityFinding {
  return buildExposureFinding(incident, { partition: deps.partition, region: deps.region, ...context });
}

/**
 * Puts the Macie scan's result on the finding without moving its workflow: its line in the note
 * (added to the note as it stands, replacing an earlier scan's line), the outcome in
 * UserDefinedFields, and the severity raised when given. Only BatchUpdateFindings may change
 * these after the import.
 */
export async function recordScanOnFinding(
  deps: FindingDeps,
  incident: Incident,
  findingId: string,
  summary: MacieSummary,
  severityLabel?: Severity,
): Promise<void> {
  const finding = {
    id: findingId,
    productArn: productArnFor(deps.partition, deps.region, incident.accountId),
  };
  const current = await currentNote(deps.clients.securityHub, finding);
  const kept = (current ?? `Incident ${incident.incidentId}`)
    .split('\n')
    .filter((line) => !line.startsWith(MACIE_NOTE_PREFIX));
  await updateFindingWorkflow(deps.clients.securityHub, finding, {
    note: [...kept, macieNoteLine(summary)].join('\n'),
    updatedBy: GENERATOR_ID,
    userDefinedFields: {
      macieOutcome: summary.outcome,
      ...(summary.jobId ? { macieJobId: summary.jobId } : {}),
      ...(summary.highestSeverity ? { macieSeverity: summary.highestSeverity } : {}),
    },
    ...(severityLabel ? { severityLabel } : {}),
  });
}

/**
 * Sets the finding's Workflow.Status with a note (only BatchUpdateFindings may change either).
 * The note keeps the Macie scan's line: the scan runs beside, so its summary is read again here
 * rather than trusted from an incident read before the scan ended.
 */
export async function setFindingWorkflow(
  deps: FindingDeps & { readonly store?: Pick<IncidentStore, 'getMacieSummary'> },
  incident: Incident,
  findingId: string,
  status: 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED',
  text: string,
): Promise<void> {
  const macie = (await deps.store?.getMacieSummary(incident.incidentId)) ?? incident.macie;
  const note = workflowNote({ ...incident, macie }, text, GENERATOR_ID);
  await updateFindingWorkflow(
    deps.clients.securityHub,
    { id: findingId, productArn: productArnFor(deps.partition, deps.region, incident.accountId) },
    { status, note: note.Text, updatedBy: note.UpdatedBy },
  );
}
