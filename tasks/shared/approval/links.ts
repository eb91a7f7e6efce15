/**
 * Signed approval links. An approver gets one link per approval; the link names the approval,
 * the recipient and an expiry, and carries an HMAC-SHA256 signature over them, so the page that
 * records a decision can trust who was asked about what, and until when. The decision itself is
 * never in the URL: a link that a mail scanner or a proxy opens must not decide anything.
 *
 * Signatures name their key (`v1.<keyId>.<mac>`), so keys rotate without breaking links already
 * sent: the ring signs with its current key and still accepts the previous ones.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile as readFileFromDisk } from 'node:fs/promises';
import { getSecret as getPowertoolsSecret } from '@aws-lambda-powertools/parameters/secrets';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { parseOrThrow } from '../validation.js';

/** A key that signs links. The id goes into every signature, so it must stay URL-safe and short. */
export interface SigningKey {
  /** 1 to 32 characters of `[A-Za-z0-9_-]`. */
  readonly id: string;
  /** At least 32 random bytes: HMAC-SHA256 gains nothing from more, and loses from fewer. */
  readonly secret: Buffer;
}

/** The key that signs now, and the keys whose links must keep working until they expire. */
export interface KeyRing {
  readonly current: SigningKey;
  readonly previous: readonly SigningKey[];
}

/** What the link asserts. */
export interface ApprovalLinkClaims {
  /** 32 lowercase hex digits. */
  readonly approvalId: string;
  /**
   * The approver's email address, compared without regard to case; or, for a status link,
   * {@link chatRecipient} of the channel it was posted to.
   */
  readonly recipient: string;
  /** The link stops working at this instant (rounded down to the second). */
  readonly expiresAt: Date;
  /** What the link may be used for; a link signed for one purpose never verifies for another. @default 'approval-decision' */
  readonly purpose?: string;
}

/** The parts of a link as they arrive: the path's approval id and the query's `r`, `exp` and `sig`. */
export interface ApprovalLinkInput {
  readonly approvalId: string;
  readonly recipient: string | null;
  readonly exp: string | null;
  readonly sig: string | null;
  /** @default 'approval-decision' */
  readonly purpose?: string;
}

/** Why a link was refused. */
export type LinkRejection = 'malformed' | 'unknown-key' | 'bad-signature' | 'expired';

/** The answer about a link: what it asserts, or why it was refused. */
export type LinkCheck =
  | {
      readonly ok: true;
      readonly approvalId: string;
      /** Lowercased, as it was signed. */
      readonly recipient: string;
      readonly expiresAt: Date;
      readonly keyId: string;
    }
  | { readonly ok: false; readonly reason: LinkRejection };

/** Where {@link loadKeyRing} looks, and how it reads files and secrets (injected in tests). */
export interface KeyRingSources {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default reads the file as UTF-8 */
  readonly readFile?: (path: string) => Promise<string>;
  /** @default {@link secretsManagerKeyReader} */
  readonly getSecret?: (name: string) => Promise<string | undefined>;
}

const VERSION = 'v1';
const DEFAULT_PURPOSE = 'approval-decision';
/** Joins the signed fields; no field may contain it, so no two claims share a canonical string. */
const SEPARATOR = '\n';
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const MIN_SECRET_BYTES = 32;
const MAC_BYTES = 32;
/** Unpadded base64url of 32 bytes: 43 characters. */
const MAC_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** The same rule as `ApprovalIdSchema` in contracts.ts, kept here so links depend on nothing else. */
const APPROVAL_ID_PATTERN = /^[0-9a-f]{32}$/;
/** Whole seconds in canonical decimal (no sign, no leading zero), small enough for a Date. */
const EXP_PATTERN = /^(0|[1-9][0-9]{0,10})$/;
const MAX_EXP_SECONDS = 99_999_999_999;
const RecipientSchema = z.email().max(254);
/** A chat channel as a link's recipient: `chat:<channel name>` (status links only read). */
const CHAT_RECIPIENT_PATTERN = /^chat:[a-z0-9][a-z0-9-]{0,63}$/;
/** The purpose of a chat message's link: the approval's status, read-only, never a decision. */
export const STATUS_PURPOSE = 'approval-status';
/** The recipient a chat channel's status link is signed for. */
export function chatRecipient(channel: string): string {
  return `chat:${channel}`;
}

/** The environment variables {@link loadKeyRing} reads, in the order it tries them. */
const KEYS_ENV = 'APPROVAL_KEYS';
const KEYS_FILE_ENV = 'APPROVAL_KEYS_FILE';
const KEYS_SECRET_ENV = 'APPROVAL_KEYS_SECRET';
/** Secrets Manager is asked again at most every five minutes per container, so rotation lands. */
const SECRET_MAX_AGE_SECONDS = 300;

/**
 * The link an approver receives: `<baseUrl>/a/<approvalId>?r=<recipient>&exp=<seconds>&sig=…`,
 * signed with the ring's current key. Throws InvalidInputError for claims that could not be
 * verified later (a bad id, address, expiry or purpose) or a base URL that is not plain http(s).
 */
export function signApprovalLink(baseUrl: string, claims: ApprovalLinkClaims, ring: KeyRing): string {
  const base = linkBase(baseUrl);
  const key = usableKey(ring.current, 'the current signing key');
  if (!APPROVAL_ID_PATTERN.test(claims.approvalId)) {
    throw new InvalidInputError('approval link: approvalId must be 32 lowercase hex digits');
  }
  const recipient = normalizedRecipient(claims.recipient);
  if (recipient === undefined) {
    throw new InvalidInputError('approval link: recipient must be an email address or chat:<channel>');
  }
  const exp = expirySeconds(claims.expiresAt);
  const purpose = checkedPurpose(claims.purpose);
  const mac = computeMac(key, [claims.approvalId, recipient, String(exp), purpose]);
  const sig = `${VERSION}.${key.id}.${mac.toString('base64url')}`;
  const page = purpose === STATUS_PURPOSE ? '/status' : '';
  return `${base}/a/${claims.approvalId}${page}?r=${encodeURIComponent(recipient)}&exp=${exp}&sig=${sig}`;
}

/**
 * Checks a link as it arrived. The order matters: the form first ('malformed'), then the key
 * ('unknown-key'), then the MAC ('bad-signature'), and only then the expiry ('expired'), so a
 * forged link never learns whether its expiry would have passed. Links signed with a previous
 * key of the ring still verify; links of a key removed from the ring do not.
 */
export function verifyApprovalLink(input: ApprovalLinkInput, ring: KeyRing, now: Date): LinkCheck {
  const purpose = checkedPurpose(input.purpose);
  const parsed = parseLinkInput(input);
  if (parsed === undefined) return { ok: false, reason: 'malformed' };

  const found = [ring.current, ...ring.previous].find((key) => key.id === parsed.keyId);
  if (found === undefined) return { ok: false, reason: 'unknown-key' };
  const key = usableKey(found, 'signing key');

  const expected = computeMac(key, [parsed.approvalId, parsed.recipient, parsed.exp, purpose]);
  // Both are 32 bytes by now (the MAC was checked for its length when parsed); the length test
  // stays so timingSafeEqual can never throw, and it compares every byte whatever differs.
  const matches = expected.length === parsed.mac.length && timingSafeEqual(expected, parsed.mac);
  if (!matches) return { ok: false, reason: 'bad-signature' };

  const expiresAt = new Date(Number(parsed.exp) * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, approvalId: parsed.approvalId, recipient: parsed.recipient, expiresAt, keyId: key.id };
}

/**
 * A `sig` parameter starts after the start of the text, a delimiter, or an encoded `&` or `?`
 * (`%26`, `%3F`, JSON's `\u0026`, and the same encoded twice). A plain value (`sig=…`) ends at a
 * delimiter of URLs, JSON, HTML or prose; an encoded one (`sig%3D…`) also at the next `%`.
 */
const PLAIN_SIG = /(?<=(?:^|[^A-Za-z0-9_]|%26|%3F|u0026|%2526|%253F)sig=)[^&#\s"'<>\\()[\]{},;`]+/gi;
const ENCODED_SIG =
  /(?<=(?:^|[^A-Za-z0-9_]|%26|%3F|u0026|%2526|%253F)sig%(?:25)*3D)[^%&#\s"'<>\\()[\]{},;`]+/gi;

/**
 * Replaces the value of every `sig` query parameter in `text` (plain, JSON-escaped, in HTML
 * attributes, or URL-encoded as `sig%3D…`) with `REDACTED`, so logs, reports and previews can
 * show a link without the part that makes it work. Running it twice changes nothing more.
 */
export function redactSignedLinks(text: string): string {
  return text.replace(ENCODED_SIG, 'REDACTED').replace(PLAIN_SIG, 'REDACTED');
}

/**
 * Parses a key ring from its JSON form
 * (`{"current":{"id":"k2","secret":"<base64>"},"previous":[{"id":"k1","secret":"<base64>"}]}`).
 * Throws InvalidInputError naming `source` and the first bad field; the messages never hold a
 * secret, nor any of the text (a JSON syntax error would quote it, so its cause is dropped).
 */
export function parseKeyRing(text: string, source: string): KeyRing {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`key ring from ${source}: not JSON`);
  }
  // A lone key (`{ "id", "secret" }`, what Secrets Manager can generate) is a ring of one.
  const lone = SigningKeySchema.safeParse(json);
  if (lone.success) return { current: lone.data, previous: [] };
  return parseOrThrow(KeyRingSchema, json, `key ring from ${source}`);
}

/** The JSON form {@link parseKeyRing} reads, secrets in base64. Holds secrets: never log it. */
export function serializeKeyRing(ring: KeyRing): string {
  const plain = (key: SigningKey) => ({ id: key.id, secret: key.secret.toString('base64') });
  return JSON.stringify({ current: plain(ring.current), previous: ring.previous.map(plain) });
}

/** A fresh ring of one random 32-byte key, for local runs; a random id unless one is given. */
export function generateKeyRing(id: string = `local-${randomBytes(4).toString('hex')}`): KeyRing {
  if (!KEY_ID_PATTERN.test(id)) {
    throw new InvalidInputError('key ring: a key id is 1 to 32 characters of A-Z a-z 0-9 _ -');
  }
  return { current: { id, secret: randomBytes(MIN_SECRET_BYTES) }, previous: [] };
}

/**
 * Loads the key ring from the first that is set (empty counts as unset): `APPROVAL_KEYS` (the
 * JSON itself), `APPROVAL_KEYS_FILE` (a path to it), `APPROVAL_KEYS_SECRET` (a Secrets Manager
 * secret name or ARN holding it). Throws InvalidInputError when none is set or the ring is bad.
 */
export async function loadKeyRing(options: KeyRingSources = {}): Promise<KeyRing> {
  const env = options.env ?? process.env;
  const inline = nonEmpty(env[KEYS_ENV]);
  if (inline !== undefined) return parseKeyRing(inline, `env ${KEYS_ENV}`);

  const path = nonEmpty(env[KEYS_FILE_ENV]);
  if (path !== undefined) {
    const readFile = options.readFile ?? ((file: string) => readFileFromDisk(file, 'utf8'));
    let text: string;
    try {
      text = await readFile(path);
    } catch (error) {
      throw new InvalidInputError(`key ring file ${path} (${KEYS_FILE_ENV}) cannot be read`, [], {
        cause: error,
      });
    }
    return parseKeyRing(text, `file ${path} (${KEYS_FILE_ENV})`);
  }

  const secretName = nonEmpty(env[KEYS_SECRET_ENV]);
  if (secretName !== undefined) {
    const getSecret = options.getSecret ?? secretsManagerKeyReader();
    const text = await getSecret(secretName);
    if (text === undefined) {
      throw new InvalidInputError(`key ring secret ${secretName} (${KEYS_SECRET_ENV}) has no value`);
    }
    return parseKeyRing(text, `secret ${secretName} (${KEYS_SECRET_ENV})`);
  }

  throw new InvalidInputError(
    `no approval link keys: set ${KEYS_ENV} (the key ring JSON), ${KEYS_FILE_ENV} (a path to it) or ${KEYS_SECRET_ENV} (a Secrets Manager secret holding it)`,
  );
}

/**
 * Reads a secret's text through Powertools Parameters, cached for five minutes, so a warm
 * function does not ask Secrets Manager on every call. Nothing is sent until it is called.
 */
export function secretsManagerKeyReader(
  options: { readonly forceFetch?: boolean } = {},
): (name: string) => Promise<string | undefined> {
  return async (name) => {
    const value = await getPowertoolsSecret(name, {
      maxAge: SECRET_MAX_AGE_SECONDS,
      ...(options.forceFetch ? { forceFetch: true } : {}),
    });
    if (value === undefined || typeof value === 'string') return value;
    return Buffer.from(value).toString('utf8');
  };
}

/**
 * The key a link's `sig` names, read without checking the link (`v1.<keyId>.<mac>`); undefined
 * when it names none in the one form a signer makes.
 */
export function keyIdOfSignature(sig: string | null | undefined): string | undefined {
  const [version, keyId] = (sig ?? '').split('.');
  return version === VERSION && keyId !== undefined && KEY_ID_PATTERN.test(keyId) ? keyId : undefined;
}

/** The ring's key with this id, current or previous. */
export function keyOfRing(ring: KeyRing, keyId: string): SigningKey | undefined {
  return [ring.current, ...ring.previous].find((key) => key.id === keyId);
}

const KeyIdSchema = z.string().regex(KEY_ID_PATTERN, 'a key id is 1 to 32 characters of A-Z a-z 0-9 _ -');

// The messages below are fixed text: an issue must never echo the value it rejects.
const SecretSchema = z.string({ error: 'a secret is a base64 string' }).transform((text, ctx) => {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: 'a secret is a base64 string' });
    return z.NEVER;
  }
  const secret = Buffer.from(text, 'base64');
  if (secret.length < MIN_SECRET_BYTES) {
    ctx.addIssue({ code: 'custom', message: `a secret has at least ${MIN_SECRET_BYTES} bytes` });
    return z.NEVER;
  }
  return secret;
});

const SigningKeySchema = z.strictObject({ id: KeyIdSchema, secret: SecretSchema });

const KeyRingSchema = z
  .strictObject({ current: SigningKeySchema, previous: z.array(SigningKeySchema).default([]) })
  .superRefine((ring, ctx) => {
    const seen = new Set([ring.current.id]);
    ring.previous.forEach((key, index) => {
      if (seen.has(key.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['previous', index, 'id'],
          message: `duplicate key id ${key.id}`,
        });
      }
      seen.add(key.id);
    });
  });

interface ParsedLink {
  readonly approvalId: string;
  readonly recipient: string;
  readonly exp: string;
  readonly keyId: string;
  readonly mac: Buffer;
}

/** The link's parts, or undefined when any is missing or not in the one form a signer makes. */
function parseLinkInput(input: ApprovalLinkInput): ParsedLink | undefined {
  if (!APPROVAL_ID_PATTERN.test(input.approvalId)) return undefined;
  const recipient = input.recipient === null ? undefined : normalizedRecipient(input.recipient);
  if (recipient === undefined) return undefined;
  if (input.exp === null || !EXP_PATTERN.test(input.exp)) return undefined;
  if (input.sig === null) return undefined;
  const [version, keyId, encodedMac, ...rest] = input.sig.split('.');
  if (version !== VERSION || keyId === undefined || encodedMac === undefined || rest.length > 0)
    return undefined;
  if (!KEY_ID_PATTERN.test(keyId) || !MAC_PATTERN.test(encodedMac)) return undefined;
  const mac = Buffer.from(encodedMac, 'base64url');
  // 43 characters carry two spare bits: only the encoding a signer makes is accepted, so no
  // second spelling of one signature verifies.
  if (mac.length !== MAC_BYTES || mac.toString('base64url') !== encodedMac) return undefined;
  return { approvalId: input.approvalId, recipient, exp: input.exp, keyId, mac };
}

/** HMAC-SHA256 over the version, key id and fields, one per line. */
function computeMac(key: SigningKey, fields: readonly string[]): Buffer {
  return createHmac('sha256', key.secret)
    .update([VERSION, key.id, ...fields].join(SEPARATOR), 'utf8')
    .digest();
}

/**
 * The address (or chat recipient) lowercased, or undefined when it is neither (which also keeps
 * the separator out).
 */
function normalizedRecipient(recipient: string): string | undefined {
  const lower = recipient.toLowerCase();
  if (lower.includes(SEPARATOR)) return undefined;
  return RecipientSchema.safeParse(lower).success || CHAT_RECIPIENT_PATTERN.test(lower) ? lower : undefined;
}

function checkedPurpose(purpose: string = DEFAULT_PURPOSE): string {
  if (purpose.length === 0 || purpose.includes(SEPARATOR)) {
    throw new InvalidInputError('approval link: a purpose is non-empty and on one line');
  }
  return purpose;
}

function expirySeconds(expiresAt: Date): number {
  const seconds = Math.floor(expiresAt.getTime() / 1000);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_EXP_SECONDS) {
    throw new InvalidInputError('approval link: expiresAt must be a valid date after 1970');
  }
  return seconds;
}

/**
 * The key as given, or InvalidInputError when it cannot sign. The message names the key by its
 * id once the id is known to be one (a swapped id and secret would otherwise show the secret).
 */
function usableKey(key: SigningKey, role: string): SigningKey {
  if (!KEY_ID_PATTERN.test(key.id)) {
    throw new InvalidInputError(`${role}: a key id is 1 to 32 characters of A-Z a-z 0-9 _ -`);
  }
  if (key.secret.length < MIN_SECRET_BYTES) {
    throw new InvalidInputError(`${role} ${key.id}: a secret has at least ${MIN_SECRET_BYTES} bytes`);
  }
  return key;
}

/** The base URL without a trailing slash, or InvalidInputError unless it is plain http(s). */
function linkBase(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new InvalidInputError('approval link: the base URL is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidInputError(`approval link: the base URL is ${url.protocol}, not http(s)`);
  }
  if (baseUrl.includes('?') || baseUrl.includes('#') || url.username !== '' || url.password !== '') {
    throw new InvalidInputError(
      `approval link: base URL ${url.origin} may not have a query, fragment or credentials`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
