import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { evidenceBucketName } from '../remediate-exposure/backup.js';
import { signApprovalLink } from '../shared/approval/links.js';
import { codeHash, newOneTimeCode } from '../shared/approval/one-time-code.js';
import { WorkflowStateSchema } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { consoleLinks } from '../shared/findings/finding.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { sendEmail } from '../shared/messages/email.js';
import { approvalRequest } from '../shared/messages/messages.js';
import { bucketTrigger, requireIncident, withHistory } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';
import type { TaskDeps } from '../shared/task-deps.js';
import { approvalRecord } from './request.js';

/** The Payload of a `.waitForTaskToken` invocation: the state, and the token to answer with. */
const InputSchema = z.object({ state: WorkflowStateSchema, taskToken: z.string().min(1) });

/** Mode approve is configured but the deployment cannot make approval links. */
export class ApprovalNotConfiguredError extends InvalidInputError {
  override name = 'ApprovalNotConfiguredError';
}

/** No approver could be sent the request: it would only ever expire. */
export class ApprovalUndeliverableError extends InvalidInputError {
  override name = 'ApprovalUndeliverableError';
}

function approvalDeps(deps: TaskDeps) {
  const { approvals, approvalLinks } = deps;
  if (!approvals || !approvalLinks) {
    throw new ApprovalNotConfiguredError(
      'mode approve needs the approval page: set APPROVAL_BASE_URL and the approval keys (APPROVAL_KEYS_SECRET)',
    );
  }
  return { approvals, approvalLinks };
}

/**
 * RequestApproval: asks the approvers to decide on exactly the incident's current plan, and waits
 * (Step Functions' `.waitForTaskToken`) until the page answers with their decision or the
 * approval's time runs out. The token is stored apart from the record and never logged.
 *
 * Retried (a new token, the same input otherwise), it finds the approval it already asked for in
 * this round and waits on it with the new token, without asking again.
 */
export const requestApproval = defineTask(
  'RequestApproval',
  InputSchema,
  async ({ state, taskToken }, deps) => {
    const { approvals, approvalLinks } = approvalDeps(deps);
    const { accountId, bucket, region } = bucketTrigger(state, 'RequestApproval');
    const incident = await requireIncident(deps.store, state.assessment?.incidentId, 'RequestApproval');
    const round = state.round ?? 0;
    const now = deps.clock.now();

    const earlier = await approvals.findRequest(incident.incidentId, state.executionId, round);
    if (earlier) {
      await approvals.bindToken(earlier, taskToken);
      logger.info('approval request found again: waiting on it', { bucket, approvalId: earlier });
      return {};
    }

    const asked = approvalRecord({
      approvalId: randomBytes(16).toString('hex'),
      incident,
      config: state.config,
      executionId: state.executionId,
      backupLocation: `s3://${evidenceBucketName(state.config.remediation.evidenceBucket, accountId, deps.region)}/`,
      now,
    });
    // A high-risk bucket also needs a one-time code, sent apart from the link: only its hash is kept.
    const codes = new Map(asked.highRisk ? asked.approvers.map((a) => [a, newOneTimeCode()] as const) : []);
    const record = {
      ...asked,
      codeHashes: Object.fromEntries(
        [...codes].map(([approver, code]) => [
          approver.toLowerCase(),
          codeHash(asked.approvalId, approver, code),
        ]),
      ),
    };
    await approvals.create(record, taskToken, round, now);
    // The bucket stays this execution's for the whole wait, and a little after.
    await deps.store.pendingEvents(
      { accountId, bucket },
      state.executionId,
      now,
      state.config.timings.approvalTtlSeconds + state.config.timings.leaseSeconds,
    );

    const links = consoleLinks(incident, state.executionId, state.config.consoleBaseUrl);
    const sent: string[] = [];
    const failed: string[] = [];
    for (const approver of record.approvers) {
      const link = signApprovalLink(
        approvalLinks.baseUrl,
        { approvalId: record.approvalId, recipient: approver, expiresAt: new Date(record.expiresAt) },
        approvalLinks.keyRing,
      );
      const message = approvalRequest(incident, links, { link, expiresAt: record.expiresAt });
      try {
        await sendEmail(deps.clients.ses, { from: state.config.sender, to: [approver], ...message });
        const code = codes.get(approver);
        if (code !== undefined) {
          await sendEmail(deps.clients.ses, {
            from: state.config.sender,
            to: [approver],
            subject: `One-time code for the decision on S3 bucket ${bucket}`,
            text: `Your one-time code: ${code}\n\nThe approval page for ${bucket} (high-risk) asks for it with your decision. It is valid until ${record.expiresAt}, for this request only. Nobody from the responder will ever ask you for it.`,
          });
        }
        sent.push(approver);
      } catch (error) {
        failed.push(`${approver} (${error instanceof Error ? error.name : String(error)})`);
      }
    }
    if (failed.length > 0 && state.config.operators.email.length > 0) {
      // An approver who never gets the request cannot decide: the operators hear of it at once.
      await sendEmail(deps.clients.ses, {
        from: state.config.sender,
        to: state.config.operators.email,
        subject: `Approval request for S3 bucket ${bucket} could not be delivered`,
        text: `The approval request ${record.approvalId} for incident ${incident.incidentId} (${region}) could not be sent to: ${failed.join(', ')}.\nIt expires at ${record.expiresAt}; until someone decides, nothing changes.`,
      }).catch(() => undefined);
    }
    if (sent.length === 0) {
      await approvals.close(record.approvalId, 'EXPIRED');
      await approvals.deleteToken(record.approvalId);
      throw new ApprovalUndeliverableError(`no approver could be sent the request: ${failed.join(', ')}`);
    }
    await approvals.audit(
      record.approvalId,
      {
        at: now.toISOString(),
        action: 'request',
        status: null,
        detail: `asked ${sent.join(', ')} until ${record.expiresAt}${failed.length ? `; not delivered to ${failed.join(', ')}` : ''}`,
        sourceIp: null,
        userAgent: null,
      },
      now,
    );
    await deps.store.putIncident(
      withHistory(
        incident,
        now,
        `approval ${record.approvalId} requested from ${sent.join(', ')} until ${record.expiresAt}`,
      ),
    );
    logger.info('approval requested', {
      bucket,
      incidentId: incident.incidentId,
      approvalId: record.approvalId,
    });
    return {};
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(requestApproval);
