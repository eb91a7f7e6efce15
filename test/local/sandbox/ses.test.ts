import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageRejected, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejection, START, testSandbox, testWorld } from './support.js';

let outboxDir: string;

beforeEach(async () => {
  outboxDir = await mkdtemp(join(tmpdir(), 'sandbox-outbox-'));
});

afterEach(async () => {
  await rm(outboxDir, { recursive: true, force: true });
});

function setup() {
  const sandbox = testSandbox(testWorld(), { outboxDir });
  return { sandbox, ses: sandbox.clients().ses };
}

function simpleEmail(to: string[], subject = 'Approve: make acme-reports private') {
  return new SendEmailCommand({
    FromEmailAddress: 's3-exposure@example.com',
    Destination: { ToAddresses: to },
    Content: {
      Simple: {
        Subject: { Data: subject },
        Body: { Text: { Data: 'Open http://127.0.0.1:8787/approve/abc to decide.\nThanks' } },
      },
    },
  });
}

describe('SES v2 SendEmail into the outbox', () => {
  it('writes an RFC 822 .eml file and records it in the outbox', async () => {
    const { sandbox, ses } = setup();
    const out = await ses.send(simpleEmail(['owner@example.com', 'Sec Lead <lead@example.com>']));
    expect(out.MessageId).toMatch(/\S+/);
    const files = await readdir(outboxDir);
    expect(files).toHaveLength(1);
    const [file] = files;
    const eml = await readFile(join(outboxDir, file ?? ''), 'utf8');
    expect(eml).toContain('From: s3-exposure@example.com\r\n');
    expect(eml).toContain('To: owner@example.com, Sec Lead <lead@example.com>\r\n');
    expect(eml).toContain('Subject: Approve: make acme-reports private\r\n');
    expect(eml).toContain(`Date: ${new Date(START).toUTCString()}\r\n`);
    expect(eml).toContain(`Message-ID: <${out.MessageId}@`);
    expect(eml).toContain('Content-Type: text/plain; charset=UTF-8\r\n');
    expect(eml).toContain('\r\n\r\nOpen http://127.0.0.1:8787/approve/abc to decide.\r\nThanks');
    expect(sandbox.outbox).toEqual([
      {
        channel: 'email',
        to: 'owner@example.com, Sec Lead <lead@example.com>',
        subject: 'Approve: make acme-reports private',
        text: 'Open http://127.0.0.1:8787/approve/abc to decide.\nThanks',
        file: join(outboxDir, file ?? ''),
      },
    ]);
  });

  it('encodes a non-ASCII subject as an RFC 2047 word', async () => {
    const { ses } = setup();
    await ses.send(simpleEmail(['owner@example.com'], 'Bucket öffentlich'));
    const [file] = await readdir(outboxDir);
    const eml = await readFile(join(outboxDir, file ?? ''), 'utf8');
    expect(eml).toContain(`Subject: =?UTF-8?B?${Buffer.from('Bucket öffentlich').toString('base64')}?=`);
  });

  it('answers MessageRejected for an invalid recipient and writes nothing', async () => {
    const { sandbox, ses } = setup();
    const error = await rejection(ses.send(simpleEmail(['not-an-address'])));
    expect(error).toBeInstanceOf(MessageRejected);
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(await readdir(outboxDir)).toEqual([]);
    expect(sandbox.outbox).toEqual([]);
  });

  it('answers BadRequestException without a sender', async () => {
    const { ses } = setup();
    const error = await rejection(
      ses.send(
        new SendEmailCommand({
          Destination: { ToAddresses: ['owner@example.com'] },
          Content: { Simple: { Subject: { Data: 'x' }, Body: { Text: { Data: 'y' } } } },
        }),
      ),
    );
    expect(error.name).toBe('BadRequestException');
  });

  it('writes a raw message as given', async () => {
    const { sandbox, ses } = setup();
    const raw = 'From: a@example.com\r\nTo: b@example.com\r\nSubject: Raw one\r\n\r\nBody text\r\n';
    await ses.send(new SendEmailCommand({ Content: { Raw: { Data: Buffer.from(raw) } } }));
    const [file] = await readdir(outboxDir);
    expect(await readFile(join(outboxDir, file ?? ''), 'utf8')).toBe(raw);
    expect(sandbox.outbox[0]).toMatchObject({
      to: 'b@example.com',
      subject: 'Raw one',
      text: 'Body text\r\n',
    });
  });

  it('records the message without a file when the sandbox has no outbox folder', async () => {
    const sandbox = testSandbox();
    await sandbox.clients().ses.send(simpleEmail(['owner@example.com']));
    expect(sandbox.outbox[0]?.file).toBeNull();
  });
});
