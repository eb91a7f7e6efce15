/**
 * Internet messages (RFC 5322, the successor of RFC 822) as the sandbox's SES writes them into
 * the outbox: what a mail client would receive, so a person can open the file and click a link.
 */

/** The parts of a simple message. */
export interface SimpleMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly replyTo: readonly string[];
  readonly subject: string;
  readonly text: string | null;
  readonly html: string | null;
  readonly date: Date;
  readonly messageId: string;
}

const CRLF = '\r\n';

/** A header value with non-ASCII text as an RFC 2047 encoded word. */
function encodeHeader(value: string): string {
  // Header lines must be ASCII; CR and LF would start a new header.
  const clean = value.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(clean)
    ? clean
    : `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

function withCrlf(text: string): string {
  return text.replace(/\r?\n/g, CRLF);
}

function part(contentType: string, body: string): string {
  return [
    `Content-Type: ${contentType}; charset=UTF-8`,
    'Content-Transfer-Encoding: 8bit',
    '',
    withCrlf(body),
  ].join(CRLF);
}

/** The body and its Content-Type: plain text, HTML, or both as multipart/alternative. */
function bodyOf(message: SimpleMessage): string {
  const { text, html } = message;
  if (text !== null && html !== null) {
    const boundary = `=_sandbox_${message.messageId}`;
    return [
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      part('text/plain', text),
      `--${boundary}`,
      part('text/html', html),
      `--${boundary}--`,
      '',
    ].join(CRLF);
  }
  return html !== null && text === null ? part('text/html', html) : part('text/plain', text ?? '');
}

/** The message as `.eml` text. */
export function formatEml(message: SimpleMessage): string {
  const headers = [
    `From: ${encodeHeader(message.from)}`,
    `To: ${encodeHeader(message.to.join(', '))}`,
    ...(message.cc.length > 0 ? [`Cc: ${encodeHeader(message.cc.join(', '))}`] : []),
    ...(message.replyTo.length > 0 ? [`Reply-To: ${encodeHeader(message.replyTo.join(', '))}`] : []),
    `Subject: ${encodeHeader(message.subject)}`,
    `Date: ${message.date.toUTCString()}`,
    `Message-ID: <${message.messageId}@sandbox.email.amazonses.com>`,
    'MIME-Version: 1.0',
  ];
  return `${headers.join(CRLF)}${CRLF}${bodyOf(message)}`;
}

/** Plain text from HTML, for the outbox's `text` when a message has no text part. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

/** The headers and body of a raw message, for the outbox record. Headers are named in lower case. */
export function readRawMessage(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  let last: string | null = null;
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last !== null) {
      headers[last] = `${headers[last] ?? ''} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    headers[last] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}
