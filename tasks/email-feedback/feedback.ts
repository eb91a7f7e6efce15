/**
 * What SES tells afterwards about a message it accepted: a bounce (the address does not take
 * mail) or a complaint (the reader marked it as spam). SES publishes these through the
 * configuration set's event destination (an SNS topic, in the stack) as `eventType` events, or
 * through identity notifications as `notificationType` ones; both shapes are read.
 *
 * A bounced approval request must not let the approval expire quietly: the operators hear of it
 * at once, and when no approver is left who can be reached, the waiting request is ended
 * (ApprovalUndeliverableError), so the workflow reports the failure to everyone.
 */
import { SendTaskFailureCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import type { ApprovalRecord } from '../shared/contracts.js';
import { ApprovalUndeliverableError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import {
  APPROVAL_TAG,
  EMAIL_PURPOSE_TAG,
  FEEDBACK_NOTICE_PURPOSE,
  sendEmail,
} from '../shared/messages/email.js';
import type { ApprovalStore } from '../shared/store/approval-store.js';
import type { TaskDeps } from '../shared/task-deps.js';

const Recipients = z.array(z.looseObject({ emailAddress: z.string() }));

export const SesNotificationSchema = z.looseObject({
  eventType: z.string().optional(),
  notificationType: z.string().optional(),
  mail: z.looseObject({
    messageId: z.string(),
    timestamp: z.string().optional(),
    destination: z.array(z.string()).default([]),
    tags: z.record(z.string(), z.array(z.string())).default({}),
    commonHeaders: z.looseObject({ subject: z.string().optional() }).optional(),
  }),
  bounce: z
    .looseObject({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      bouncedRecipients: Recipients,
    })
    .optional(),
  complaint: z
    .looseObject({ complainedRecipients: Recipients, complaintFeedbackType: z.string().optional() })
    .optional(),
});
export type SesNotification = z.infer<typeof SesNotificationSchema>;

/** A bounce or a complaint, as the responder acts on it. */
export interface Feedback {
  readonly kind: 'bounce' | 'complaint';
  readonly messageId: string;
  readonly recipients: readonly string[];
  /** `Permanent/General`, `Transient/MailboxFull`, a complaint's feedback type… */
  readonly detail: string;
  readonly subject: string;
  readonly purpose: string | null;
  readonly approvalId: string | null;
}

/** The feedback a notification carries, or null for the kinds that need nothing (delivery, send…). */
export function feedbackOf(notification: SesNotification): Feedback | null {
  const type = (notification.eventType ?? notification.notificationType ?? '').toLowerCase();
  const tag = (name: string) => notification.mail.tags[name]?.[0] ?? null;
  const common = {
    messageId: notification.mail.messageId,
    subject: notification.mail.commonHeaders?.subject ?? '(no subject)',
    purpose: tag(EMAIL_PURPOSE_TAG),
    approvalId: tag(APPROVAL_TAG),
  };
  if (type === 'bounce' && notification.bounce) {
    const { bounceType, bounceSubType, bouncedRecipients } = notification.bounce;
    return {
      ...common,
      kind: 'bounce',
      recipients: bouncedRecipients.map((r) => r.emailAddress.toLowerCase()),
      detail: `${bounceType}/${bounceSubType ?? 'Undetermined'}`,
    };
  }
  if (type === 'complaint' && notification.complaint) {
    const { complainedRecipients, complaintFeedbackType } = notification.complaint;
    return {
      ...common,
      kind: 'complaint',
      recipients: complainedRecipients.map((r) => r.emailAddress.toLowerCase()),
      detail: complaintFeedbackType ?? 'complaint',
    };
  }
  return null;
}

/** Step Functions' answers for a token whose task no longer waits. */
const WAIT_ENDED = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** What the feedback changed about an approval, in one line for the operators. */
async function settleBouncedApproval(
  deps: TaskDeps,
  approvals: ApprovalStore,
  approvalId: string,
  feedback: Feedback,
): Promise<string | null> {
  const record = await approvals.get(approvalId);
  if (record?.status !== 'PENDING') return null;
  const bounced = feedback.recipients.filter((r) => record.approvers.some((a) => a.toLowerCase() === r));
  for (const approver of bounced) await approvals.markBounced(approvalId, approver);
  const now = deps.clock.now();
  await approvals.audit(
    approvalId,
    {
      at: now.toISOString(),
      action: 'undelivered',
      status: null,
      detail:
        `request to ${bounced.join(', ') || feedback.recipients.join(', ')} bounced (${feedback.detail})`.slice(
          0,
          500,
        ),
      sourceIp: null,
      userAgent: null,
    },
    now,
  );
  const gone = new Set([...record.bounced, ...bounced]);
  const reachable = record.approvers.filter((a) => !gone.has(a.toLowerCase()));
  if (reachable.length > 0) {
    return `Approval ${approvalId} (bucket ${record.bucket}) waits on ${reachable.join(', ')} until ${record.expiresAt}.`;
  }
  await endUndeliverable(deps, approvals, record);
  return `Approval ${approvalId} (bucket ${record.bucket}) has no approver left who can be reached: it was ended, and the workflow reports the failure; nothing on the bucket changed.`;
}

/** Ends a request nobody can receive: EXPIRED, and its wait failed with ApprovalUndeliverableError. */
async function endUndeliverable(
  deps: TaskDeps,
  approvals: ApprovalStore,
  record: ApprovalRecord,
): Promise<void> {
  const closed = await approvals.close(record.approvalId, 'EXPIRED');
  if (closed?.status !== 'EXPIRED') return;
  const token = await approvals.getToken(record.approvalId);
  if (!token) return;
  const error = new ApprovalUndeliverableError(
    `every approver's copy of approval request ${record.approvalId} bounced: ${record.approvers.join(', ')}`,
  );
  try {
    await deps.clients.sfn.send(
      new SendTaskFailureCommand({ taskToken: token, error: error.name, cause: error.message }),
    );
  } catch (failure) {
    // A wait that has ended (timed out, or answered meanwhile) needs no failure.
    if (!(failure instanceof Error) || !WAIT_ENDED.has(failure.name)) throw failure;
  }
  await approvals.deleteToken(record.approvalId);
}

/**
 * Acts on one bounce or complaint: an approval request's bounce is recorded on the approval (and
 * ends its wait when no approver is left), and the operators (or, without operators, the alert
 * recipients) are told. A bounce of that very notice is only logged, so two broken addresses
 * cannot mail each other forever. Returns what it told, for the log.
 */
export async function handleFeedback(deps: TaskDeps, feedback: Feedback): Promise<string> {
  const approval =
    feedback.kind === 'bounce' && feedback.approvalId && deps.approvals
      ? await settleBouncedApproval(deps, deps.approvals, feedback.approvalId, feedback)
      : null;
  if (feedback.purpose === FEEDBACK_NOTICE_PURPOSE) {
    logger.error('the notice about undelivered mail was itself not delivered', {
      kind: feedback.kind,
      detail: feedback.detail,
    });
    return 'not told: the notice itself bounced';
  }
  const config = deps.config;
  const to = config.operators.email.length > 0 ? config.operators.email : config.recipients.email;
  const what = feedback.kind === 'bounce' ? 'could not be delivered' : 'was marked as spam';
  await sendEmail(deps.clients.ses, {
    from: config.sender,
    to,
    subject: `Email from the S3 exposure responder ${what}: ${feedback.recipients.join(', ')}`,
    text: [
      `SES reports a ${feedback.kind} (${feedback.detail}) for ${feedback.recipients.join(', ')}.`,
      `Message: "${feedback.subject}" (SES message ${feedback.messageId})${feedback.purpose ? `, ${feedback.purpose}` : ''}.`,
      '',
      ...(approval ? [approval, ''] : []),
      feedback.kind === 'bounce'
        ? 'Fix the address in the configuration (recipients, operators or approvers); until then that person hears nothing from the responder.'
        : 'A complaint may make SES stop sending for this account: check that the address should receive these messages.',
    ].join('\n'),
    tags: { [EMAIL_PURPOSE_TAG]: FEEDBACK_NOTICE_PURPOSE },
  });
  return `told ${to.join(', ')}`;
}
