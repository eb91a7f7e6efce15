import { SendTaskFailureCommand } from '@aws-sdk/client-sfn';
import { requireApproval } from '../shared/approval/settle.js';
import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { ApprovalSupersededError } from '../shared/errors.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { withHistory } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';

/** Step Functions' answers for a token whose task no longer waits. */
const WAIT_ENDED = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * SupersedeApproval: an event joined a bucket whose owner waits on an approval, and the exposure
 * now goes beyond the plan the approvers see. The pending approval ends SUPERSEDED (its page says
 * so), and the waiting RequestApproval fails with ApprovalSupersededError: the owner classifies
 * again with this event, alerts on the wider exposure, and asks once for the whole current plan.
 * Conditional: an approval decided, expired or superseded meanwhile is left as it is.
 */
export const supersedeApproval = defineTask(
  'SupersedeApproval',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const approvalId = state.registration?.supersede?.approvalId;
    const { approvals, record } = await requireApproval(deps, approvalId, 'SupersedeApproval');
    const now = deps.clock.now();
    // A retry finds it SUPERSEDED already (its own earlier attempt): it goes on to fail the wait.
    const closed = await approvals.close(record.approvalId, 'SUPERSEDED');
    if (closed?.status !== 'SUPERSEDED') {
      logger.info('approval no longer pending: not superseded', { approvalId: record.approvalId });
      return state;
    }
    // The owner answers again: the incident counts as unanswered until it has asked anew.
    const incident = await deps.store.getIncident(record.incidentId);
    if (incident && incident.response !== 'PENDING') {
      await deps.store.putIncident(
        withHistory(
          { ...incident, response: 'PENDING' },
          now,
          `approval ${record.approvalId} superseded: the exposure went beyond its plan`,
        ),
      );
    }
    const token = await approvals.getToken(record.approvalId);
    if (token) {
      const error = new ApprovalSupersededError(
        `the exposure of ${record.bucket} went beyond the plan of approval ${record.approvalId}`,
      );
      try {
        await deps.clients.sfn.send(
          new SendTaskFailureCommand({ taskToken: token, error: error.name, cause: error.message }),
        );
      } catch (failure) {
        // Only a wait that has ended (decided, timed out) is no failure: the owner goes on from
        // there. Anything else (throttling, a failing service) is retried: the owner must hear.
        if (!(failure instanceof Error) || !WAIT_ENDED.has(failure.name)) throw failure;
        logger.warn('superseded approval had no waiting task', {
          approvalId: record.approvalId,
          error: failure.name,
        });
      }
      await approvals.deleteToken(record.approvalId);
    }
    await approvals.audit(
      record.approvalId,
      {
        at: now.toISOString(),
        action: 'supersede',
        status: null,
        detail: `superseded: the exposure went beyond the plan (event ${state.trigger?.eventID ?? '?'})`,
        sourceIp: null,
        userAgent: null,
      },
      now,
    );
    logger.info('approval superseded', { bucket: record.bucket, approvalId: record.approvalId });
    return state;
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(supersedeApproval);
