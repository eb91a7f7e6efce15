/**
 * Rollback: undo exactly what a remediation changed, and register an exception for exactly the
 * ways in that come back, so the responder does not undo the owner's decision again.
 *
 * The bucket is read first and compared with what the fix left (the backup with the applied
 * plan). If the owner changed something since, the rollback shows it and refuses unless forced;
 * forced, it still writes only the inverse of the fix, and the owner's changes stay. What S3
 * refuses to put back is reported with the reason.
 */
import { classifyExposure } from '../../tasks/classify-exposure/classify.js';
import { readBucketSnapshot } from '../../tasks/classify-exposure/read-snapshot.js';
import type { RestoreResult } from '../../tasks/remediate-exposure/apply.js';
import { readBackup } from '../../tasks/remediate-exposure/backup.js';
import type { AwsClients } from '../../tasks/shared/aws-clients.js';
import type { Clock } from '../../tasks/shared/clock.js';
import { BucketAccessSnapshotSchema, type Incident } from '../../tasks/shared/contracts.js';
import { InvalidInputError, ResponderError } from '../../tasks/shared/errors.js';
import type { ExceptionEntry } from '../../tasks/shared/exceptions.js';
import { SecurityHubNotEnabledError } from '../../tasks/shared/findings/errors.js';
import { setFindingWorkflow } from '../../tasks/shared/findings/workflow.js';
import { stableStringify } from '../../tasks/shared/hash.js';
import type { IncidentStore } from '../../tasks/shared/incident-store.js';
import { withHistory } from '../../tasks/shared/state-access.js';
import { configurationLeftByFix, recoverAppliedActions } from './applied-plan.js';
import { changesSinceFix } from './changes.js';
import { type Comparison, compareSnapshots } from './compare.js';
import { describeUndoStep, planUndo } from './inverse.js';
import { writeUndo } from './write-undo.js';

/**
 * The bucket changed since the fix and the rollback was not forced: nothing was changed. The
 * message lists the changes, one per line.
 */
export class ChangedSinceFixError extends ResponderError {
  override name = 'ChangedSinceFixError';
  constructor(
    readonly incidentId: string,
    readonly bucket: string,
    /** What differs from the configuration the fix left, in plain words. */
    readonly changes: readonly string[],
  ) {
    super(
      [
        `rollback of incident ${incidentId} refused: ${bucket} changed since the fix, and nothing was changed now`,
        ...changes.map((c) => `  - ${c}`),
        'Run it again with --force to undo only the fix and keep these changes.',
      ].join('\n'),
    );
  }
}

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
  /** What was put back (`restored`), what S3 refused, and what needed no write (`leftAlone`). */
  readonly restore: RestoreResult;
  /** The bucket after the rollback against the backup: the same only when nothing else changed. */
  readonly comparison: Comparison;
  /** The writes made, in plain words. */
  readonly undone: readonly string[];
  /** Changes made since the fix, kept (only with `force`; empty when there were none). */
  readonly kept: readonly string[];
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

function partName(part: { part: string; key?: string }): string {
  return `${part.part}${part.key ? ` "${part.key}"` : ''}`;
}

/**
 * Rolls an incident's remediation back: the inverse of the changes it applied, nothing else.
 * `by` is the caller's identity; `exceptionDays` how long the exception lasts; `force` undoes
 * the fix even when the bucket changed since (the changes are kept).
 *
 * @throws InvalidInputError when there is no such incident, no remediation, or it was rolled back.
 * @throws AppliedPlanUnknownError when what the fix changed cannot be known exactly.
 * @throws ChangedSinceFixError when the bucket changed since the fix and `force` is not set.
 */
export async function rollbackIncident(
  deps: RollbackDeps,
  input: { incidentId: string; by: string; exceptionDays: number; force?: boolean },
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
  const applied = recoverAppliedActions(backup.snapshot, remediation);
  const target = { bucket: incident.bucket, accountId: incident.accountId };
  const bucketClients = deps.clientsFor(incident.region);
  const read = () =>
    readBucketSnapshot(bucketClients, {
      ...target,
      objectKeys: Object.keys(backup.snapshot.objectAcls ?? {}),
    });

  // Read and compare before writing anything: the owner may have meant what changed since.
  const present = await read();
  const kept = changesSinceFix(configurationLeftByFix(backup.snapshot, applied), present);
  if (kept.length > 0 && !input.force)
    throw new ChangedSinceFixError(incident.incidentId, incident.bucket, kept);

  const undo = planUndo({ backup: backup.snapshot, applied, now: present });
  const written = await writeUndo(bucketClients.s3, undo.steps, target);
  const restore: RestoreResult = {
    restored: written.restored,
    refused: [...undo.blocked, ...written.refused],
    leftAlone: undo.alreadyUndone.map((a) => ({ ...a })),
  };
  const undone = undo.steps.map(describeUndoStep);
  const after = await read();
  const comparison = compareSnapshots(backup.snapshot, after);

  const at = deps.clock.now();
  // The exception covers exactly the ways in the fix closed that are open again: a part S3
  // refused to restore is not, and ways in the fix never touched need their own decision.
  const addressed = new Set(remediation.addressed.map((v) => stableStringify(v)));
  const back = classifyExposure(BucketAccessSnapshotSchema.parse(after)).vectors.filter((v) =>
    addressed.has(stableStringify(v)),
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

  const refused = restore.refused.map((r) => `${partName(r)}: ${r.why}`);
  const text = [
    `Rolled back by ${input.by} at ${at.toISOString()} from ${remediation.backup.location}.`,
    undone.length > 0 ? `Undone: ${undone.join('; ')}.` : 'Nothing of the fix was left to undo.',
    restore.leftAlone.length > 0
      ? `Already undone: ${restore.leftAlone.map((l) => `${partName(l)}: ${l.why}`).join('; ')}.`
      : '',
    kept.length > 0 ? `Kept the changes made since the fix (forced): ${kept.join('; ')}.` : '',
    comparison.sameMeaning
      ? 'The configuration is back as it was.'
      : `Differences from the backup: ${comparison.differences.join('; ')}.`,
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
  return { incident: updated, restore, comparison, undone, kept, exception, findingNote };
}
