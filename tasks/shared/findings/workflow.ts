/** The finding calls every task makes the same way, with the deployment's partition and Region. */
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import type { Incident } from '../contracts.js';
import type { TaskDeps } from '../task-deps.js';
import { buildExposureFinding, GENERATOR_ID, productArnFor, workflowNote } from './finding.js';
import { updateFindingWorkflow } from './security-hub.js';

type FindingDeps = Pick<TaskDeps, 'clients' | 'partition' | 'region'>;

/** The incident's finding as it stands now, linked to the execution writing it. */
export function exposureFindingFor(
  deps: FindingDeps,
  incident: Incident,
  context: { executionId: string; consoleBaseUrl: string; now: Date },
): AwsSecurityFinding {
  return buildExposureFinding(incident, { partition: deps.partition, region: deps.region, ...context });
}

/** Sets the finding's Workflow.Status with a note (only BatchUpdateFindings may change either). */
export async function setFindingWorkflow(
  deps: FindingDeps,
  incident: Incident,
  findingId: string,
  status: 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED',
  text: string,
): Promise<void> {
  const note = workflowNote(incident, text, GENERATOR_ID);
  await updateFindingWorkflow(
    deps.clients.securityHub,
    { id: findingId, productArn: productArnFor(deps.partition, deps.region, incident.accountId) },
    { status, note: note.Text, updatedBy: note.UpdatedBy },
  );
}
