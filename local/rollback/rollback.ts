import { setFindingWorkflow } from '../../tasks/shared/findings/workflow.js';
/**
 * Rollback: put back the configuration a remediation backed up, check that it is back, and
 * register an exception for exactly the ways in it re-creates, so the responder does not undo the
 * owner's decision again. What S3 refuses to restore is reported with the reason.
 */

import { classifyExposure } from '../../tasks/classify-exposure/classify.js';
import { readBucketSnapshot } from '../../tasks/classify-exposure/read-snapshot.js';
import { type RestoreResult, restoreSnapshot } from '../../tasks/remediate-exposure/apply.js';
import { readBackup } from '../../tasks/remediate-exposure/backup.js';
import type { AwsClients } from '../../tasks/shared/aws-clients.js';
import type { Clock } from '../../tasks/shared/clock.js';
import { BucketAccessSnapshotSchema, type Incident } from '../../tasks/shared/contracts.js';
import { InvalidInputError } from '../../tasks/shared/errors.js';
import type { ExceptionEntry } from '../../tasks/shared/exceptions.js';
import { SecurityHubNotEnabledError } from '../../tasks/shared/findings/errors.js';
import { stableStringify } from '../../tasks/shared/hash.js';
import type { IncidentStore } from '../../tasks/shared/incident-store.js';
import { withHistory } from '../../tasks/shared/state-access.js';
import { type Comparison, compareSnapshots } from './compare.js';

export interface RollbackDeps {
  readonly clients: AwsClients;
  readonly clientsFor: (region: string) => AwsClients;
  readonly store: IncidentStore;
  readonly clock: Clock;
  readonly partition: string;
  readonly region: string;
}

export interface RollbackResult {
  readonly incident: Incident;
  readonly restore: RestoreResult;
  readonly comparison: Comparison;
  readonly exception: ExceptionEntry | null;
  readonly findingNote: string;
}

async function noteOnFinding(deps: RollbackDeps, incident: Incident, text: string): Promise<string> {
  if (!incident.findingId) return 'no finding to update';
  try {
    await setFindingWorkflow(deps, incident, incident.findingId, 'SUPPRESSED', text);
    return 'finding SUPPRESSED with the rollback noted';
  } catch (error) {
    if (error instanceof SecurityHubNotEnabledError) return `finding not updated: ${error.message}`;
    throw error;
  }
}

/** Rolls an incident's remediation back. `by` is the caller's identity; `exceptionDays` how long the exception lasts. */
export async function rollbackIncident(
  deps: RollbackDeps,
  input: { incidentId: string; by: string; exceptionDays: number },
): Promise<RollbackResult> {
  const incident = await deps.store.getIncident(input.incidentId);
  if (!incident) throw new InvalidInputError(`no incident ${input.incidentId}`);
  const remediation = incident.remediation;
  if (!remediation)
    throw new InvalidInputError(`incident ${input.incidentId} has no remediation to roll back`);
  if (remediation.rollback) {
    throw new InvalidInputError(
      `incident ${input.incidentId} was already rolled back by ${remediation.rollback.by} at ${remediation.rollback.at}`,
    );
  }

  const backup = await readBackup(deps.clients.s3, remediation.backup.location, incident.accountId);
  const target = { bucket: incident.bucket, accountId: incident.accountId };
  const bucketClients = deps.clientsFor(incident.region);
  const restore = await restoreSnapshot(bucketClients.s3, backup.snapshot, target);
  const now = await readBucketSnapshot(bucketClients, {
    ...target,
    objectKeys: Object.keys(backup.snapshot.objectAcls ?? {}),
  });
  const comparison = compareSnapshots(backup.snapshot, now);

  const at = deps.clock.now();
  // The exception covers exactly the ways in that are back: a part S3 refused to restore is not.
  const before = new Set(remediation.before.vectors.map((v) => stableStringify(v)));
  const back = classifyExposure(BucketAccessSnapshotSchema.parse(now)).vectors.filter((v) =>
    before.has(stableStringify(v)),
  );
  const exception: ExceptionEntry | null =
    back.length > 0
      ? {
          id: `rollback-${incident.incidentId}`,
          bucket: incident.bucket,
          vectors: back,
          owner: input.by,
          reason: `rolled back incident ${incident.incidentId}: the exposure was restored on purpose`,
          expiry: new Date(at.getTime() + input.exceptionDays * 86_400_000).toISOString(),
          createdAt: at.toISOString(),
          createdBy: input.by,
          source: 'rollback',
        }
      : null;
  if (exception) await deps.store.putException(exception);

  const refused = restore.refused.map((r) => `${r.part}${r.key ? ` "${r.key}"` : ''}: ${r.why}`);
  const text = [
    `Rolled back by ${input.by} at ${at.toISOString()} from ${remediation.backup.location}.`,
    comparison.sameMeaning
      ? 'The configuration is back as it was.'
      : `Differences: ${comparison.differences.join('; ')}.`,
    refused.length > 0 ? `S3 refused: ${refused.join('; ')}.` : '',
    exception ? `Exception ${exception.id} until ${exception.expiry}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const findingNote = await noteOnFinding(deps, incident, text);
  let updated: Incident = {
    ...incident,
    remediation: {
      ...remediation,
      rollback: {
        by: input.by,
        at: at.toISOString(),
        restored: restore.restored,
        refused: restore.refused,
        identical: comparison.sameMeaning && comparison.policyBytesEqual,
        exceptionId: exception?.id ?? null,
      },
    },
  };
  updated = withHistory(updated, at, text);
  updated = withHistory(updated, at, findingNote);
  await deps.store.putIncident(updated);
  return { incident: updated, restore, comparison, exception, findingNote };
}
