/**
 * One-time codes for high-risk approvals: six digits, sent apart from the link, so a forwarded
 * or leaked email alone cannot approve. Only a hash bound to the approval and the approver is
 * stored; a few wrong codes lock the request (it then expires unless asked again).
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

/** Wrong codes an approval tolerates before it can no longer be decided. */
export const MAX_CODE_FAILURES = 5;

export function newOneTimeCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** The stored form of a code: bound to the approval and the approver. */
export function codeHash(approvalId: string, approver: string, code: string): string {
  return createHash('sha256')
    .update(`otc-v1\n${approvalId}\n${approver.toLowerCase()}\n${code}`)
    .digest('hex');
}

/** Whether `code` is the approver's code, compared in constant time. */
export function codeMatches(
  approvalId: string,
  approver: string,
  code: string,
  stored: string | undefined,
): boolean {
  if (stored === undefined || !/^\d{6}$/.test(code)) return false;
  const given = Buffer.from(codeHash(approvalId, approver, code), 'hex');
  const expected = Buffer.from(stored, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The line a code is sent in: the one place a code appears in text. */
const SENT_CODE = /(Your one-time code: )\d{6}/g;

/** `text` with every sent one-time code replaced, for logs and outputs (the .eml keeps it). */
export function redactOneTimeCodes(text: string): string {
  return text.replace(SENT_CODE, '$1REDACTED');
}
