import { describe, expect, it } from 'vitest';
import { feedbackOf, handleFeedback, SesNotificationSchema } from '../../../tasks/email-feedback/feedback.js';
import { makeDeps } from '../handlers/support.js';

const MAIL = {
  messageId: '0100018c-aaaa',
  destination: ['approver@example.com'],
  tags: { purpose: ['approval-request'], approval: ['0123456789abcdef0123456789abcdef'] },
  commonHeaders: { subject: 'Decision needed: S3 bucket acme' },
};

describe('feedbackOf', () => {
  it('reads a bounce from event publishing (eventType) and from identity notifications (notificationType)', () => {
    const bounce = {
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [{ emailAddress: 'Approver@Example.com' }],
    };
    for (const shape of [{ eventType: 'Bounce' }, { notificationType: 'Bounce' }]) {
      expect(feedbackOf(SesNotificationSchema.parse({ ...shape, mail: MAIL, bounce }))).toEqual({
        kind: 'bounce',
        messageId: '0100018c-aaaa',
        recipients: ['approver@example.com'],
        detail: 'Permanent/General',
        subject: 'Decision needed: S3 bucket acme',
        purpose: 'approval-request',
        approvalId: '0123456789abcdef0123456789abcdef',
      });
    }
  });

  it('reads a complaint, and needs nothing for deliveries and sends', () => {
    const complaint = {
      complainedRecipients: [{ emailAddress: 'soc@example.com' }],
      complaintFeedbackType: 'abuse',
    };
    expect(
      feedbackOf(SesNotificationSchema.parse({ eventType: 'Complaint', mail: MAIL, complaint })),
    ).toMatchObject({
      kind: 'complaint',
      recipients: ['soc@example.com'],
      detail: 'abuse',
    });
    expect(feedbackOf(SesNotificationSchema.parse({ eventType: 'Delivery', mail: MAIL }))).toBeNull();
  });
});

describe('handleFeedback', () => {
  it('tells the operators of a bounce, tagging the notice so that its own bounce is not told again', async () => {
    const deps = await makeDeps({ config: { operators: { email: ['ops@example.com'] } } });
    deps.mocks.ses.onAnyCommand().resolves({ MessageId: 'm-1' });
    const feedback = {
      kind: 'bounce' as const,
      messageId: 'x',
      recipients: ['soc@example.com'],
      detail: 'Permanent/General',
      subject: 'alert',
      purpose: null,
      approvalId: null,
    };

    expect(await handleFeedback(deps, feedback)).toBe('told ops@example.com');
    const sent = deps.mocks.ses.calls()[0]?.args[0].input as { EmailTags?: unknown; Destination?: unknown };
    expect(sent.Destination).toEqual({ ToAddresses: ['ops@example.com'] });
    expect(sent.EmailTags).toEqual([{ Name: 'purpose', Value: 'feedback-notice' }]);

    expect(await handleFeedback(deps, { ...feedback, purpose: 'feedback-notice' })).toBe(
      'not told: the notice itself bounced',
    );
    expect(deps.mocks.ses.calls()).toHaveLength(1);
  });
});
