import { SendTaskFailureCommand } from '@aws-sdk/client-sfn';
import { requireApproval } from '../shared/approval/settle.js';
import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { ApprovalSupersededError } from '../shared/errors.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { defineTask } from '../shared/task.js';

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
    const closed = await approvals.close(record.approvalId, 'SUPERSEDED');
    if (closed?.status !== 'SUPERSEDED' || closed.version !== record.version + 1) {
      logger.info('approval no longer pending: not superseded', { approvalId: record.approvalId });
      return state;
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
        // The wait ended already (decided or timed out): the owner goes on from there.
        logger.warn('superseded approval had no waiting task', {
          approvalId: record.approvalId,
          error: failure instanceof Error ? failure.name : 'unknown',
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
