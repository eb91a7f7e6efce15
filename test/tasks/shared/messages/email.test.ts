import { MessageRejected, SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { sendEmail } from '../../../../tasks/shared/messages/email.js';
import { EmailRejectedError, NoRecipientsError } from '../../../../tasks/shared/messages/errors.js';

const ses = mockClient(SESv2Client);
const client = new SESv2Client({ region: 'us-east-1' });

const EMAIL = {
  from: 's3-exposure-responder@acme.example',
  to: ['soc@acme.example', 'data-team@acme.example'],
  subject: '[HIGH] S3 bucket acme-reports is public',
  text: 'S3 bucket acme-reports in account 111122223333 (us-east-1) is public read.\n',
};

function sesError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

beforeEach(() => {
  ses.reset();
  ses.on(SendEmailCommand).resolves({ MessageId: '0100018f-message-id' });
});

describe('sendEmail', () => {
  it('sends one plain-text UTF-8 message to every recipient', async () => {
    await expect(sendEmail(client, EMAIL)).resolves.toEqual(['0100018f-message-id']);
    expect(ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input)).toEqual([
      {
        FromEmailAddress: EMAIL.from,
        Destination: { ToAddresses: EMAIL.to },
        Content: {
          Simple: {
            Subject: { Data: EMAIL.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: EMAIL.text, Charset: 'UTF-8' } },
          },
        },
      },
    ]);
  });

  it('sends each address once', async () => {
    await sendEmail(client, {
      ...EMAIL,
      to: ['soc@acme.example', 'SOC@acme.example ', 'data-team@acme.example'],
    });
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Destination?.ToAddresses).toEqual([
      'soc@acme.example',
      'data-team@acme.example',
    ]);
  });

  it('splits more than 50 recipients over several messages', async () => {
    const to = Array.from({ length: 120 }, (_, i) => `analyst-${i}@acme.example`);
    await sendEmail(client, { ...EMAIL, to });
    const batches = ses
      .commandCalls(SendEmailCommand)
      .map((c) => c.args[0].input.Destination?.ToAddresses ?? []);
    expect(batches.map((b) => b.length)).toEqual([50, 50, 20]);
    expect(batches.flat()).toEqual(to);
  });

  it('keeps the subject on one line', async () => {
    await sendEmail(client, { ...EMAIL, subject: '[HIGH] S3 bucket\r\nBcc: x@evil.example' });
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content?.Simple?.Subject?.Data).toBe(
      '[HIGH] S3 bucket Bcc: x@evil.example',
    );
  });

  it('never calls SES without recipients', async () => {
    const error = await sendEmail(client, { ...EMAIL, to: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoRecipientsError);
    expect(error).toMatchObject({ name: 'NoRecipientsError' });
    await expect(sendEmail(client, { ...EMAIL, to: ['  '] })).rejects.toBeInstanceOf(NoRecipientsError);
    expect(ses.calls()).toHaveLength(0);
  });

  it('maps MessageRejected to EmailRejectedError, keeping the cause', async () => {
    const cause = new MessageRejected({ message: 'Email address is not verified.', $metadata: {} });
    ses.on(SendEmailCommand).rejects(cause);
    const error = await sendEmail(client, EMAIL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmailRejectedError);
    expect(error).toMatchObject({ name: 'EmailRejectedError', code: 'MessageRejected', cause });
    expect(String(error)).toContain('Email address is not verified.');
  });

  it.each(['MailFromDomainNotVerifiedException', 'AccountSuspendedException', 'SendingPausedException'])(
    'maps %s to EmailRejectedError',
    async (name) => {
      ses.on(SendEmailCommand).rejects(sesError(name, 'refused'));
      await expect(sendEmail(client, EMAIL)).rejects.toMatchObject({
        name: 'EmailRejectedError',
        code: name,
      });
    },
  );

  it('rethrows throttling unchanged', async () => {
    const error = sesError('TooManyRequestsException', 'Maximum sending rate exceeded.');
    ses.on(SendEmailCommand).rejects(error);
    await expect(sendEmail(client, EMAIL)).rejects.toBe(error);
  });
});
