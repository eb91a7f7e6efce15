/**
 * CSRF tokens for the approval form: a signed double-submit cookie. The page puts one token in a
 * cookie and the same token in a hidden field; a POST must carry both, equal, and the token must
 * verify for this approval and recipient. The token is an HMAC over the approval id, the
 * recipient and a random nonce, and carries its nonce, so it is checked without server state,
 * and a token minted for one approval or one recipient is worthless for another.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a token is bound to. */
export interface CsrfBinding {
  readonly approvalId: string;
  readonly recipient: string;
}

const VERSION = 'c1';
const NONCE_BYTES = 16;
/** Unpadded base64url of 16 bytes (the nonce) and of 32 bytes (the HMAC-SHA256). */
const NONCE_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const MAC_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** The cookie name browsers accept only with `Secure`, `Path=/` and no `Domain` (no cookie tossing). */
const HOST_COOKIE = '__Host-csrf';
/** On plain http (the local server) browsers refuse `Secure` cookies, so the prefix cannot be used. */
const PLAIN_COOKIE = 'csrf';

/**
 * A fresh token for `binding`: `c1.<nonce>.<mac>`. The nonce is random unless given (tests pin
 * it); the secret never leaves this module's HMAC.
 */
export function createCsrfToken(
  secret: Buffer,
  binding: CsrfBinding,
  nonce: Buffer = randomBytes(NONCE_BYTES),
): string {
  const encodedNonce = nonce.toString('base64url');
  return `${VERSION}.${encodedNonce}.${mac(secret, binding, encodedNonce).toString('base64url')}`;
}

/**
 * Whether `token` was made by {@link createCsrfToken} with this secret for exactly this binding.
 * Anything not in the one form a signer makes is refused before any HMAC is computed; the MAC
 * itself is compared in constant time.
 */
export function verifyCsrfToken(secret: Buffer, token: string, binding: CsrfBinding): boolean {
  const [version, encodedNonce, encodedMac, ...rest] = token.split('.');
  if (version !== VERSION || encodedNonce === undefined || encodedMac === undefined || rest.length > 0) {
    return false;
  }
  if (!NONCE_PATTERN.test(encodedNonce) || !MAC_PATTERN.test(encodedMac)) return false;
  const given = Buffer.from(encodedMac, 'base64url');
  // Only the spelling a signer makes: 43 characters carry two spare bits.
  if (given.toString('base64url') !== encodedMac) return false;
  const expected = mac(secret, binding, encodedNonce);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Compares two strings in time that depends only on their lengths, never on where they differ.
 * Lengths are not secret here (every token has the same length).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The cookie's name for an approval's page served from `origin`: `__Host-csrf-<approvalId>` on
 * https, `csrf-<approvalId>` on http. One per approval, so an approver with two requests open
 * side by side (a storm across buckets) can decide both: one page's cookie never replaces the
 * other's.
 */
export function csrfCookieName(origin: string, approvalId: string): string {
  return `${isPlainHttp(origin) ? PLAIN_COOKIE : HOST_COOKIE}-${approvalId}`;
}

/**
 * The Set-Cookie value carrying `token`. HttpOnly because no script ever needs it (the page has
 * none); SameSite=Strict so a post from another site arrives without it; a session cookie,
 * because the link's own expiry already bounds how long it is worth anything.
 */
export function csrfSetCookie(origin: string, approvalId: string, token: string): string {
  const name = csrfCookieName(origin, approvalId);
  return isPlainHttp(origin)
    ? `${name}=${token}; Path=/; HttpOnly; SameSite=Strict`
    : `${name}=${token}; Path=/; Secure; HttpOnly; SameSite=Strict`;
}

/**
 * The value of the first cookie called `name` in a Cookie header, or null. Browsers send the
 * most specific path first; ours always use `Path=/`, and a tossed cookie cannot verify anyway.
 */
export function readCookie(cookieHeader: string | undefined, name: string): string | null {
  if (cookieHeader === undefined) return null;
  for (const pair of cookieHeader.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0) continue;
    if (pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return null;
}

/** Newline-separated fields under a label: ids and addresses never hold a newline, nonces cannot. */
function mac(secret: Buffer, binding: CsrfBinding, encodedNonce: string): Buffer {
  return createHmac('sha256', secret)
    .update(
      ['approval-page-csrf', VERSION, binding.approvalId, binding.recipient, encodedNonce].join('\n'),
      'utf8',
    )
    .digest();
}

function isPlainHttp(origin: string): boolean {
  return origin.startsWith('http://');
}
