import { randomBytes } from 'node:crypto';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { outcomeOf } from '../approval-page/deps.js';
import { evidenceBucketName } from '../remediate-exposure/backup.js';
import { postApprovalStatus } from '../shared/approval/chat-status.js';
import { chatRecipient, signApprovalLink } from '../shared/approval/links.js';
import { codeHash, newOneTimeCode } from '../shared/approval/one-time-code.js';
import {
  containsSensitiveData,
  decideAsTheSystem,
  SYSTEM_APPROVER,
} from '../shared/approval/system-decision.js';
import {
  type ApprovalRecord,
  type Incident,
  type WorkflowState,
  WorkflowStateSchema,
} from '../shared/contracts.js';
import { ApprovalSupersededError, ApprovalUndeliverableError, InvalidInputError } from '../shared/errors.js';
import { consoleLinks } from '../shared/findings/finding.js';
import { setFindingWorkflow } from '../shared/findings/workflow.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { APPROVAL_TAG, EMAIL_PURPOSE_TAG, sendEmail } from '../shared/messages/email.js';
import { approvalRequest } from '../shared/messages/messages.js';
import { bucketTrigger, requireIncident, withHistory } from '../shared/state-access.js';
import type { ApprovalStore } from '../shared/store/approval-store.js';
import { defineTask } from '../shared/task.js';
import type { ApprovalLinkSettings, TaskDeps } from '../shared/task-deps.js';
import { approvalRecord } from './request.js';

/** The Payload of a `.waitForTaskToken` invocation: the state, and the token to answer with. */
const InputSchema = z.object({ state: WorkflowStateSchema, taskToken: z.string().min(1) });

/** Mode approve is configured but the deployment cannot make approval links. */
export class ApprovalNotConfiguredError extends InvalidInputError {
  override name = 'ApprovalNotConfiguredError';
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
 * A retried attempt whose approval was settled meanwhile (with the earlier attempt's token): the
 * new token gets the same answer at once. An expired one waits out its timeout (ApprovalExpired).
 */
async function answerSettled(deps: TaskDeps, record: ApprovalRecord, taskToken: string): Promise<void> {
  if (record.status === 'APPROVED' || record.status === 'REJECTED') {
    await deps.clients.sfn.send(
      new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(outcomeOf(record)) }),
    );
  } else if (record.status === 'SUPERSEDED') {
    const error = new ApprovalSupersededError(`approval ${record.approvalId} was superseded`);
    await deps.clients.sfn.send(
      new SendTaskFailureCommand({ taskToken, error: error.name, cause: error.message }),
    );
  }
}

interface Sending {
  readonly deps: TaskDeps;
  readonly state: WorkflowState;
  readonly incident: Incident;
  readonly record: ApprovalRecord;
  readonly approvals: ApprovalStore;
  readonly links: ApprovalLinkSettings;
}

/**
 * Sends the request to each approver not sent to yet (a retry sends only the rest), each with
 * its own signed link; for a high-risk bucket, a one-time code in a message of its own, whose
 * hash is stored first. Returns the approvers it could not reach.
 */
async function sendRequests({ deps, state, incident, record, approvals, links }: Sending): Promise<string[]> {
  const consoleLinksOf = consoleLinks(incident, state.executionId, state.config.consoleBaseUrl);
  const failed: string[] = [];
  for (const approver of record.approvers.filter((a) => !record.sentTo.includes(a.toLowerCase()))) {
    const link = signApprovalLink(
      links.baseUrl,
      { approvalId: record.approvalId, recipient: approver, expiresAt: new Date(record.expiresAt) },
      links.keyRing,
    );
    const message = approvalRequest(incident, consoleLinksOf, { link, expiresAt: record.expiresAt });
    try {
      const tags = { [EMAIL_PURPOSE_TAG]: 'approval-request', [APPROVAL_TAG]: record.approvalId };
      await sendEmail(deps.clients.ses, { from: state.config.sender, to: [approver], ...message, tags });
      if (record.highRisk) {
        const code = newOneTimeCode();
        await approvals.setCodeHash(record.approvalId, approver, codeHash(record.approvalId, approver, code));
        await sendEmail(deps.clients.ses, {
          from: state.config.sender,
          to: [approver],
          subject: `One-time code for the decision on S3 bucket ${record.bucket}`,
          tags,
          text: `Your one-time code: ${code}\n\nThe approval page for ${record.bucket} (high-risk) asks for it with your decision. It is valid until ${record.expiresAt}, for this request only. Nobody from the responder will ever ask you for it.`,
        });
      }
      await approvals.markSent(record.approvalId, approver);
    } catch (error) {
      failed.push(`${approver} (${error instanceof Error ? error.name : String(error)})`);
    }
  }
  return failed;
}

/**
 * In mode approve the state machine skips MarkFindingNotified: the request moves the finding to
 * NOTIFIED as it goes out. A failure is returned and recorded, never thrown: the request stands,
 * the finding stays NEW (visible as unhandled), and the task that settles the approval writes
 * the finding's last word.
 */
async function markFindingNotified(
  deps: TaskDeps,
  state: WorkflowState,
  incident: Incident,
  record: ApprovalRecord,
): Promise<string | null> {
  const findingId = state.finding?.written ? (state.finding.findingId ?? incident.findingId) : null;
  if (!findingId) return null;
  const note = `Notified ${state.config.recipients.email.join(', ')}; approval requested from ${record.approvers.join(', ')} until ${record.expiresAt}. Mode ${incident.mode}: ${incident.modeReason}.`;
  try {
    await setFindingWorkflow(deps, incident, findingId, 'NOTIFIED', note);
    return null;
  } catch (error) {
    return error instanceof Error ? error.name : String(error);
  }
}

/**
 * Tells the chat channels not told yet (a retry posts only to the rest) that a decision is
 * needed, with a link to the read-only status page. Returns the channels not reached.
 */
async function postRequestToChat(
  deps: TaskDeps,
  state: WorkflowState,
  record: ApprovalRecord,
  approvals: ApprovalStore,
): Promise<string[]> {
  const untold = state.config.chat.channels
    .map((c) => c.name)
    .filter((name) => !record.sentTo.includes(chatRecipient(name)));
  if (untold.length === 0) return [];
  const { posted, failed } = await postApprovalStatus(
    deps,
    state.config,
    record,
    {
      subject: `Decision needed: S3 bucket ${record.bucket} is public (${record.severity})`,
      lines: [
        record.summary,
        `The responder changes nothing until an approver decides from the link in their email.`,
      ],
    },
    untold,
  );
  for (const name of posted) await approvals.markSent(record.approvalId, chatRecipient(name));
  return failed;
}

/**
 * RequestApproval: asks the approvers to decide on exactly the incident's current plan, and waits
 * (Step Functions' `.waitForTaskToken`) until the page answers with their decision or the
 * approval's time runs out. The token is stored apart from the record and never logged.
 *
 * Safe to run again (a retry has a new token and the same state): it finds the approval it asked
 * for in this round, waits on it with the new token, holds the bucket again, and sends only to
 * the approvers not reached yet; one settled meanwhile answers the new token at once.
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

    const earlierId = await approvals.findRequest(incident.incidentId, state.executionId, round);
    const earlier = earlierId ? await approvals.get(earlierId) : null;
    if (earlier && earlier.status !== 'PENDING') {
      await answerSettled(deps, earlier, taskToken);
      return {};
    }
    let record = earlier;
    if (record) {
      await approvals.bindToken(record.approvalId, taskToken, record.expiresAt);
    } else {
      record = approvalRecord({
        approvalId: randomBytes(16).toString('hex'),
        incident,
        config: state.config,
        executionId: state.executionId,
        backupLocation: `s3://${evidenceBucketName(state.config.remediation.evidenceBucket, accountId, deps.region)}/`,
        now,
      });
      await approvals.create(record, taskToken, round, now);
    }
    // The scan may have found sensitive data before this request existed: with
    // containOnSensitiveData that decides at once, as it would have had the request been waiting.
    if (containsSensitiveData(state.config.macie.containOnSensitiveData, incident.macie) && incident.macie) {
      const answer = await decideAsTheSystem(approvals, record.approvalId, incident.macie, now);
      if (answer.outcome === 'decided') {
        await answerSettled(deps, answer.record, taskToken);
        await approvals.deleteToken(record.approvalId);
        await deps.store.putIncident(
          withHistory(
            incident,
            now,
            `approval ${record.approvalId} decided by the system: ${SYSTEM_APPROVER}`,
          ),
        );
        return {};
      }
    }
    // The bucket stays this execution's for the whole wait, and a little after.
    await deps.store.pendingEvents(
      { accountId, bucket },
      state.executionId,
      now,
      state.config.timings.approvalTtlSeconds + state.config.timings.leaseSeconds,
    );

    // The finding moves to NOTIFIED while the requests go out, not in a round trip before them.
    const [failed, markProblem] = await Promise.all([
      sendRequests({ deps, state, incident, record, approvals, links: approvalLinks }),
      markFindingNotified(deps, state, incident, record),
    ]);
    const chatFailed = await postRequestToChat(deps, state, record, approvals);
    const sent = record.approvers.filter((a) => !failed.some((f) => f.startsWith(`${a} (`)));
    if (failed.length > 0 && state.config.operators.email.length > 0) {
      // An approver who never gets the request cannot decide: the operators hear of it at once.
      await sendEmail(deps.clients.ses, {
        from: state.config.sender,
        to: state.config.operators.email,
        subject: `Approval request for S3 bucket ${bucket} could not be delivered`,
        text: `The approval request ${record.approvalId} for incident ${incident.incidentId} (${region}) could not be sent to: ${failed.join(', ')}.\nIt expires at ${record.expiresAt}; until someone decides, nothing changes.`,
      }).catch(() => undefined);
    }
    // NotifyRecipients left approvers out (their request holds the alert): one who is also an alert
    // recipient and was not reached has not heard of the exposure, so the request fails loudly.
    const recipients = new Set(state.config.recipients.email.map((r) => r.toLowerCase()));
    const unalerted = record.approvers.filter(
      (a) => recipients.has(a.toLowerCase()) && failed.some((f) => f.startsWith(`${a} (`)),
    );
    if (sent.length === 0 || unalerted.length > 0) {
      await approvals.close(record.approvalId, 'EXPIRED');
      await approvals.deleteToken(record.approvalId);
      throw new ApprovalUndeliverableError(`the request could not be sent to: ${failed.join(', ')}`);
    }
    await approvals.audit(
      record.approvalId,
      {
        at: now.toISOString(),
        action: 'request',
        status: null,
        detail:
          `asked ${sent.join(', ')} until ${record.expiresAt}${failed.length ? `; not delivered to ${failed.join(', ')}` : ''}`.slice(
            0,
            500,
          ),
        sourceIp: null,
        userAgent: null,
      },
      now,
    );
    let asked = withHistory(
      incident,
      now,
      `approval ${record.approvalId} requested from ${sent.join(', ')} until ${record.expiresAt}`,
    );
    if (chatFailed.length > 0) asked = withHistory(asked, now, `chat not reached: ${chatFailed.join(', ')}`);
    asked = withHistory(
      asked,
      now,
      markProblem ? `finding not moved to NOTIFIED: ${markProblem}` : 'finding workflow NOTIFIED',
    );
    await deps.store.putIncident(asked);
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
