import { noteOnFinding, recordSettlement, requireApproval, tellEveryone } from '../shared/approval/settle.js';
import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { requireIncident } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';

/**
 * RecordRejection: an approver rejected the fix. Nothing changes on the bucket; the finding is
 * SUPPRESSED with the approver and the reason; "intended until DATE" registers an exception for
 * exactly the rejected ways in, with the approver as its owner, so the responder does not ask
 * again before then.
 */
export const recordRejection = defineTask(
  'RecordRejection',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const incident = await requireIncident(deps.store, state.assessment?.incidentId, 'RecordRejection');
    const { record } = await requireApproval(deps, state.approval?.approvalId, 'RecordRejection');
    // The wait's answer only names the approval; the record says what the approver decided. A
    // rejection the record does not hold (a forged answer with a leaked token) suppresses nothing.
    if (record.status !== 'REJECTED' || record.incidentId !== incident.incidentId) {
      throw new InvalidInputError(
        `approval ${record.approvalId} was not rejected for incident ${incident.incidentId} (status ${record.status}): nothing recorded`,
      );
    }
    const decision = record.decision;
    const now = deps.clock.now();
    const approver = decision?.approver ?? 'an approver';
    const reason = decision?.reason ? ` (${decision.reason})` : '';
    let exceptionId: string | null = null;
    if (decision?.intendedUntil && record.plan.vectors.length > 0) {
      exceptionId = `approval-${record.approvalId}`;
      await deps.store.putException({
        id: exceptionId,
        bucket: record.bucket,
        vectors: record.plan.vectors,
        owner: approver,
        reason: decision.reason ?? 'rejected on the approval page as intended',
        expiry: decision.intendedUntil,
        createdAt: now.toISOString(),
        createdBy: approver,
        source: 'registry',
      });
    }
    const intended = exceptionId
      ? `; intended until ${decision?.intendedUntil} (exception ${exceptionId})`
      : '';
    const what = `rejected by ${approver} at ${decision?.at ?? now.toISOString()}${reason}${intended}: nothing was changed`;
    const findingProblem = await noteOnFinding(deps, incident, 'SUPPRESSED', `Fix ${what}.`);
    const told = await tellEveryone(deps, state, record, {
      chatLine: `The fix was ${what}.`,
      subject: `Fix rejected: S3 bucket ${record.bucket} stays as it is`,
      text: `The fix for incident ${incident.incidentId} was ${what}.\n\nWhat is public: ${record.summary}`,
    });
    logger.info('approval rejected', { bucket: record.bucket, approvalId: record.approvalId });
    const rejected = {
      ...incident,
      response: 'REJECTED' as const,
      decision: {
        decision: 'REJECTED',
        by: approver,
        at: decision?.at ?? null,
        reason: decision?.reason ?? null,
      },
    };
    return recordSettlement(deps, state, rejected, what, {
      finding: findingProblem,
      told,
      notice: 'rejection notice',
    });
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(recordRejection);
