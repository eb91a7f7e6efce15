import { hasUnreadParts } from '../classify-exposure/assess.js';
import type { ApprovalRecord, Incident } from '../shared/contracts.js';
import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { exposureSummary } from '../shared/describe.js';
import { ensureTimeFor, InvalidInputError, ResponderError } from '../shared/errors.js';
import { lambdaHandler } from '../shared/lambda.js';
import { bucketTrigger, requireIncident, withHistory } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';
import type { TaskDeps } from '../shared/task-deps.js';
import { applyPlan } from './apply.js';
import { evidenceBucketName, writeBackup } from './backup.js';
import { describeAction, planRemediation } from './plan.js';
import { rereadIncidentBucket } from './reread.js';

/** The bucket could not be fully read just before acting: the responder never acts on a partial view. */
export class RemediationBlockedError extends ResponderError {
  override name = 'RemediationBlockedError';
}

/**
 * RemediateExposure: classify again just before writing, plan the smallest change for the
 * mitigations that were decided and still exist, back the whole configuration up (or change
 * nothing), and apply the plan with ExpectedBucketOwner. Verification follows in its own state.
 */
export const remediateExposure = defineTask(
  'RemediateExposure',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const startedWithMs = deps.remainingTimeMs?.();
    const { bucket, region } = bucketTrigger(state, 'RemediateExposure');
    const current = await requireIncident(deps.store, state.assessment?.incidentId, 'RemediateExposure');
    const approved = await approvedPlan(deps, state);
    const decided = approved ? withApproval(current, approved, deps.clock.now()) : current;
    const now = deps.clock.now();
    const settings = state.config.remediation;
    const { raw, snapshot, verdict } = await rereadIncidentBucket(
      deps.clientsFor(region),
      decided,
      state.config.limits.objectAclConcurrency,
    );

    // Checked first: a part that could not be read is not evidence that the bucket is private.
    if (hasUnreadParts(verdict)) {
      throw new RemediationBlockedError(
        `bucket ${bucket} could not be fully read just before acting (${verdict.unknown.map((u) => u.part).join(', ')}): nothing changed`,
      );
    }
    if (!verdict.effectivelyPublic) {
      await deps.store.putIncident(
        withHistory(decided, now, 'found not public just before acting: nothing changed'),
      );
      return {
        ...state,
        remediation: { outcome: 'notPublic', backupLocation: null, actions: 0, vectorsLeft: 0 },
        close: { reason: 'NOT_PUBLIC' },
      } satisfies WorkflowState;
    }
    const plan = planRemediation({
      snapshot,
      policyText: typeof raw.bucketPolicy === 'string' ? raw.bucketPolicy : null,
      verdict,
      // After an approval, exactly the ways in the approver saw; in auto mode, the decided verdict's.
      approvedVectors: approved?.plan.vectors ?? decided.verdict.vectors,
      settings,
    });
    if (plan.actions.length === 0) {
      await deps.store.putIncident(
        withHistory(
          decided,
          now,
          `nothing decided is left to fix; new ways in need a new decision (${exposureSummary(verdict)})`,
        ),
      );
      return {
        ...state,
        remediation: {
          outcome: 'newVectorsOnly',
          backupLocation: null,
          actions: 0,
          vectorsLeft: plan.vectorsLeft.length,
        },
      } satisfies WorkflowState;
    }

    const location = await writeBackup(deps.clients.s3, {
      evidenceBucket: evidenceBucketName(settings.evidenceBucket, decided.accountId, deps.region),
      accountId: decided.accountId,
      incidentId: decided.incidentId,
      executionId: state.executionId,
      snapshot: raw,
      now,
    });
    let incident: Incident = {
      ...decided,
      remediation: {
        plan: plan.actions.map(describeAction),
        backup: { location },
        before: { summary: exposureSummary(verdict), vectors: verdict.vectors },
        after: null,
        addressed: plan.vectorsAddressed,
        verified: false,
        rollback: null,
      },
    };
    incident = await deps.store.putIncident(withHistory(incident, now, `backup written to ${location}`));

    ensureTimeFor('apply the fix', deps.remainingTimeMs, startedWithMs);
    const landed: string[] = [];
    const target = { bucket, accountId: decided.accountId };
    let applied: Awaited<ReturnType<typeof applyPlan>>;
    try {
      applied = await applyPlan(deps.clientsFor(region).s3, plan, target, (done) =>
        landed.push(describeAction(done.action)),
      );
    } catch (error) {
      // A fix cut short (S3 refused a change, or a call still failing after retries) is recorded
      // change by change, so the incident, a retry and a rollback know the bucket's real state.
      if (landed.length > 0) {
        const what = `remediation partly applied before it stopped: ${landed.join('; ')}`;
        await deps.store.putIncident(withHistory(incident, deps.clock.now(), what));
      }
      throw error;
    }
    const done = applied.map((a) => `${a.outcome}: ${a.error ?? a.action.kind}`).join('; ');
    // A change that landed after the task's time ran out may follow a failure report: say so.
    const late = (deps.remainingTimeMs?.() ?? 1) <= 0 ? ' after the task had run out of time' : '';
    await deps.store.putIncident(
      withHistory(incident, deps.clock.now(), `remediation applied${late} (${done})`),
    );
    return {
      ...state,
      remediation: {
        outcome: 'applied',
        backupLocation: location,
        actions: applied.length,
        vectorsLeft: plan.vectorsLeft.length,
      },
      verification: { verified: false, stillPublic: true, attempts: 0 },
    } satisfies WorkflowState;
  },
);

/**
 * The approved plan, when this round's fix follows an approval: the record must say APPROVED for
 * the very plan the decision names (its hash), or nothing is changed.
 */
async function approvedPlan(deps: TaskDeps, state: WorkflowState): Promise<ApprovalRecord | null> {
  const outcome = state.approval;
  if (outcome?.decision !== 'APPROVED') return null;
  const record = await deps.approvals?.get(outcome.approvalId);
  if (
    record?.status !== 'APPROVED' ||
    record.plan.hash !== outcome.planHash ||
    record.incidentId !== state.assessment?.incidentId
  ) {
    throw new InvalidInputError(
      `approval ${outcome.approvalId} does not approve this plan (status ${record?.status ?? 'unknown'}): nothing changed`,
    );
  }
  return record;
}

/** The incident with the approver's decision on it. */
function withApproval(incident: Incident, record: ApprovalRecord, now: Date): Incident {
  const d = record.decision;
  const updated: Incident = {
    ...incident,
    response: 'APPROVED',
    decision: { decision: 'APPROVED', by: d?.approver ?? null, at: d?.at ?? null, reason: d?.reason ?? null },
  };
  return withHistory(updated, now, `fix approved by ${d?.approver ?? 'an approver'} at ${d?.at ?? '?'}`);
}

/** The Lambda entry point. */
export const handler = lambdaHandler(remediateExposure);
