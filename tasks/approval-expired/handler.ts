import { outcomeOf } from '../approval-page/deps.js';
import { approvalOfRound, noteOnFinding, recordSettlement, tellEveryone } from '../shared/approval/settle.js';
import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { requireIncident } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';

/**
 * ApprovalExpired: nobody decided before the deadline (RequestApproval timed out). Nothing
 * changes; the approval ends EXPIRED and its token is forgotten; the approvers, the recipients
 * and the finding are told. A decision recorded in time whose delivery to the workflow failed
 * is acted on instead (the state machine goes on to WhatDidTheApproverDecide?).
 */
export const approvalExpired = defineTask(
  'ApprovalExpired',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const incident = await requireIncident(deps.store, state.assessment?.incidentId, 'ApprovalExpired');
    const { approvals, record } = await approvalOfRound(deps, state, incident, 'ApprovalExpired');
    const now = deps.clock.now();
    const ended = (await approvals.close(record.approvalId, 'EXPIRED')) ?? record;
    await approvals.deleteToken(record.approvalId);
    if (ended.status === 'APPROVED' || ended.status === 'REJECTED') {
      // Decided in time (the store takes no decision after the deadline), but never delivered:
      // SendTaskSuccess failed after the decision was recorded. It is acted on now.
      await approvals.audit(
        record.approvalId,
        {
          at: now.toISOString(),
          action: 'deliver',
          status: null,
          detail: `${ended.status} recorded in time but not delivered: acted on when the wait ended`,
          sourceIp: null,
          userAgent: null,
        },
        now,
      );
      logger.warn('approval decided in time but not delivered: acting on it', {
        approvalId: record.approvalId,
      });
      return { ...state, approval: outcomeOf(ended) } satisfies WorkflowState;
    }
    const what = `approval ${record.approvalId} expired at ${record.expiresAt} with no decision: nothing was changed`;
    await approvals.audit(
      record.approvalId,
      {
        at: now.toISOString(),
        action: 'expire',
        status: null,
        detail: what,
        sourceIp: null,
        userAgent: null,
      },
      now,
    );
    const findingProblem = await noteOnFinding(
      deps,
      incident,
      'NOTIFIED',
      `Approval expired: nothing was changed.`,
    );
    const told = await tellEveryone(deps, state, record, {
      chatLine: `Nobody decided before the deadline; nothing was changed.`,
      subject: `Approval expired: S3 bucket ${record.bucket} is still public`,
      text: `Nobody decided on the fix for incident ${incident.incidentId} before ${record.expiresAt}; nothing was changed.\n\nWhat is public: ${record.summary}\n\nThe next change to the bucket asks again.`,
    });
    logger.info('approval expired', { bucket: record.bucket, approvalId: record.approvalId });
    return recordSettlement(deps, state, { ...incident, response: 'EXPIRED' }, what, {
      finding: findingProblem,
      told,
      notice: 'expiry notice',
    });
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(approvalExpired);
