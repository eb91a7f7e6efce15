/**
 * The email adapter: one plain-text message through SES v2. The client is passed in (a real
 * one, a sandbox-backed one, or an `aws-sdk-client-mock`).
 */
import { type SESv2Client, SendEmailCommand, type SendEmailCommandOutput } from '@aws-sdk/client-sesv2';
import { EmailRejectedError, NoRecipientsError } from './errors.js';

/**
 * SES errors a retry will not fix. Throttling (TooManyRequestsException, LimitExceededException)
 * and service errors are not listed: they are rethrown unchanged for the workflow's retriers.
 */
const REJECTIONS = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
]);

/** The tags our messages carry, so their bounces and complaints can be traced to what they were for. */
export const EMAIL_PURPOSE_TAG = 'purpose';
export const APPROVAL_TAG = 'approval';
/** The purpose of the operators' notice about undelivered mail: its own bounce is only logged. */
export const FEEDBACK_NOTICE_PURPOSE = 'feedback-notice';

/** SES takes at most 50 recipients per message. */
export const MAX_RECIPIENTS_PER_MESSAGE = 50;

/** A plain-text email. */
export interface Email {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** An HTML part beside the text (multipart/alternative); the text stays the full message. */
  readonly html?: string;
  /**
   * SES message tags (names and values of A-Z a-z 0-9 _ -): they come back with the message's
   * bounce and complaint events, which is how the email feedback finds what a message was for.
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Sends an email (`Content.Simple`, UTF-8: the text, and the HTML part when given) to every
 * recipient and returns the SES message ids: one message per 50 recipients, so usually one id.
 * Recipients are de-duplicated
 * (case-insensitively). Throws {@link NoRecipientsError} without calling SES when there is no
 * recipient, and {@link EmailRejectedError} when SES refuses the message for good.
 */
export async function sendEmail(ses: SESv2Client, email: Email): Promise<string[]> {
  const seen = new Set<string>();
  const recipients = email.to
    .map((address) => address.trim())
    .filter((address) => {
      const key = address.toLowerCase();
      if (address === '' || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  if (recipients.length === 0) throw new NoRecipientsError(email.subject);

  // A subject is one header line: a newline in it would be an injection, not a line break.
  const subject = email.subject.replace(/\s+/g, ' ').trim();
  const messageIds: string[] = [];
  for (let start = 0; start < recipients.length; start += MAX_RECIPIENTS_PER_MESSAGE) {
    let response: SendEmailCommandOutput;
    try {
      response = await ses.send(
        new SendEmailCommand({
          FromEmailAddress: email.from,
          Destination: { ToAddresses: recipients.slice(start, start + MAX_RECIPIENTS_PER_MESSAGE) },
          ...(email.tags
            ? { EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })) }
            : {}),
          Content: {
            Simple: {
              Subject: { Data: subject, Charset: 'UTF-8' },
              Body: {
                Text: { Data: email.text, Charset: 'UTF-8' },
                ...(email.html ? { Html: { Data: email.html, Charset: 'UTF-8' } } : {}),
              },
            },
          },
        }),
      );
    } catch (error) {
      if (error instanceof Error && REJECTIONS.has(error.name)) {
        throw new EmailRejectedError(error.name, error.message, { cause: error });
      }
      throw error;
    }
    if (response.MessageId) messageIds.push(response.MessageId);
  }
  return messageIds;
}
