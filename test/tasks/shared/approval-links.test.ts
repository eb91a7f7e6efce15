import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ApprovalLinkInput,
  chatRecipient,
  generateKeyRing,
  type KeyRing,
  type LinkCheck,
  loadKeyRing,
  parseKeyRing,
  redactSignedLinks,
  type SigningKey,
  STATUS_PURPOSE,
  secretsManagerKeyReader,
  serializeKeyRing,
  signApprovalLink,
  verifyApprovalLink,
} from '../../../tasks/shared/approval/links.js';
import { InvalidInputError } from '../../../tasks/shared/errors.js';
import { linkPartsOf } from '../../support/approval-links.js';

const BASE_URL = 'https://approve.acme.example';
const APPROVAL_ID = '0123456789abcdef0123456789abcdef';
const OTHER_APPROVAL_ID = 'fedcba9876543210fedcba9876543210';
const RECIPIENT = 'Alice.Admin@Acme.example';
const NOW = new Date('2026-01-01T00:00:00.000Z');
const EXPIRES_AT = new Date('2026-01-02T00:00:00.000Z');
const EXP = '1767312000';

const K1: SigningKey = { id: 'k1', secret: Buffer.alloc(32, 0x11) };
const K2: SigningKey = { id: 'k2', secret: Buffer.alloc(32, 0x22) };
const K3: SigningKey = { id: 'k3', secret: Buffer.alloc(32, 0x33) };
const RING_K1: KeyRing = { current: K1, previous: [] };
/** K1 rotated out for K2, still accepted. */
const RING_K2_AFTER_K1: KeyRing = { current: K2, previous: [K1] };
/** K1 removed altogether. */
const RING_K3_AFTER_K2: KeyRing = { current: K3, previous: [K2] };

const CLAIMS = { approvalId: APPROVAL_ID, recipient: RECIPIENT, expiresAt: EXPIRES_AT };

function signed(ring: KeyRing = RING_K1, purpose?: string): ApprovalLinkInput {
  return linkPartsOf(signApprovalLink(BASE_URL, { ...CLAIMS, purpose }, ring));
}

/** The signature's MAC, written here independently of the module, over the documented fields. */
function referenceMac(key: SigningKey, fields: readonly string[]): string {
  return createHmac('sha256', key.secret).update(fields.join('\n')).digest('base64url');
}

function macOf(sig: string | null): string {
  return (sig ?? '').split('.')[2] ?? '';
}

/** The MAC with one character changed to another base64url character. */
function withCharChanged(mac: string, index: number): string {
  const char = mac[index] === 'A' ? 'B' : 'A';
  return `${mac.slice(0, index)}${char}${mac.slice(index + 1)}`;
}

const VALID: LinkCheck = {
  ok: true,
  approvalId: APPROVAL_ID,
  recipient: 'alice.admin@acme.example',
  expiresAt: EXPIRES_AT,
  keyId: 'k1',
};

describe('signApprovalLink', () => {
  it('builds <base>/a/<id>?r=&exp=&sig= with the documented v1 canonical string', () => {
    const mac = referenceMac(K1, [
      'v1',
      'k1',
      APPROVAL_ID,
      'alice.admin@acme.example',
      EXP,
      'approval-decision',
    ]);
    expect(signApprovalLink(BASE_URL, CLAIMS, RING_K1)).toBe(
      `${BASE_URL}/a/${APPROVAL_ID}?r=alice.admin%40acme.example&exp=${EXP}&sig=v1.k1.${mac}`,
    );
  });

  it('puts no decision in the URL', () => {
    const link = signApprovalLink(BASE_URL, CLAIMS, RING_K1);
    expect([...new URL(link).searchParams.keys()]).toEqual(['r', 'exp', 'sig']);
    expect(link).not.toMatch(/approve=|reject=|decision/i);
  });

  it.each([
    ['a trailing slash', `${BASE_URL}/`, `${BASE_URL}/a/`],
    ['a path', `${BASE_URL}/approvals`, `${BASE_URL}/approvals/a/`],
    ['a path and trailing slashes', `${BASE_URL}/approvals//`, `${BASE_URL}/approvals/a/`],
    ['plain http (local runs)', 'http://localhost:8080', 'http://localhost:8080/a/'],
  ])('accepts a base URL with %s', (_name, baseUrl, prefix) => {
    expect(signApprovalLink(baseUrl, CLAIMS, RING_K1).startsWith(`${prefix}${APPROVAL_ID}?`)).toBe(true);
  });

  it.each([
    ['a query', `${BASE_URL}/?x=1`],
    ['an empty query', `${BASE_URL}/?`],
    ['a fragment', `${BASE_URL}/#top`],
    ['credentials', 'https://user:pw@approve.acme.example'],
    ['another scheme', 'ftp://approve.acme.example'],
    ['no scheme', 'approve.acme.example'],
  ])('refuses a base URL with %s', (_name, baseUrl) => {
    expect(() => signApprovalLink(baseUrl, CLAIMS, RING_K1)).toThrow(InvalidInputError);
  });

  it.each([
    ['an approval id in upper case', { approvalId: APPROVAL_ID.toUpperCase() }],
    ['a short approval id', { approvalId: APPROVAL_ID.slice(1) }],
    ['a recipient that is not an address', { recipient: 'alice' }],
    ['a recipient with a newline', { recipient: 'alice@acme.example\nbob@acme.example' }],
    ['an invalid date', { expiresAt: new Date('nonsense') }],
    ['an expiry before 1970', { expiresAt: new Date(-1000) }],
    ['an empty purpose', { purpose: '' }],
    ['a purpose with the separator', { purpose: 'approval\ndecision' }],
  ])('refuses claims with %s', (_name, change) => {
    expect(() => signApprovalLink(BASE_URL, { ...CLAIMS, ...change }, RING_K1)).toThrow(InvalidInputError);
  });

  it('refuses to sign with a current key whose secret is shorter than 32 bytes, without showing it', () => {
    const weak: KeyRing = {
      current: { id: 'weak', secret: Buffer.from('short-secret-value') },
      previous: [],
    };
    expect(() => signApprovalLink(BASE_URL, CLAIMS, weak)).toThrow(/weak.*32 bytes/);
    expect(() => signApprovalLink(BASE_URL, CLAIMS, weak)).not.toThrow(/short-secret-value/);
  });
});

describe('verifyApprovalLink', () => {
  it('accepts a link it signed and returns the claims, the recipient lowercased', () => {
    expect(verifyApprovalLink(signed(), RING_K1, NOW)).toEqual(VALID);
  });

  it('accepts the recipient in another case (addresses are compared without case)', () => {
    const parts = signed();
    expect(verifyApprovalLink({ ...parts, recipient: 'ALICE.ADMIN@ACME.EXAMPLE' }, RING_K1, NOW)).toEqual(
      VALID,
    );
  });

  it.each<[string, Partial<ApprovalLinkInput>]>([
    ['another recipient', { recipient: 'mallory@acme.example' }],
    ['another approval id', { approvalId: OTHER_APPROVAL_ID }],
    ['a later expiry', { exp: String(Number(EXP) + 86_400) }],
    ['an earlier expiry', { exp: String(Number(EXP) - 1) }],
  ])('refuses a link with %s as bad-signature', (_name, change) => {
    expect(verifyApprovalLink({ ...signed(), ...change }, RING_K1, NOW)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses a link signed for another purpose', () => {
    expect(verifyApprovalLink(signed(RING_K1, 'approval-view'), RING_K1, NOW)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyApprovalLink({ ...signed(), purpose: 'approval-view' }, RING_K1, NOW)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('accepts a link signed for a named purpose when checked for that purpose', () => {
    const parts = { ...signed(RING_K1, 'approval-view'), purpose: 'approval-view' };
    expect(verifyApprovalLink(parts, RING_K1, NOW)).toEqual(VALID);
  });

  it("refuses one key's MAC relabelled with another key's id", () => {
    const parts = signed(RING_K1);
    const relabelled = { ...parts, sig: `v1.k2.${macOf(parts.sig)}` };
    expect(verifyApprovalLink(relabelled, RING_K2_AFTER_K1, NOW)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses a key id the ring does not hold as unknown-key', () => {
    const parts = signed(RING_K1);
    expect(verifyApprovalLink({ ...parts, sig: `v1.k9.${macOf(parts.sig)}` }, RING_K1, NOW)).toEqual({
      ok: false,
      reason: 'unknown-key',
    });
  });

  it('keeps accepting links of the previous key after rotation', () => {
    expect(verifyApprovalLink(signed(RING_K1), RING_K2_AFTER_K1, NOW)).toEqual(VALID);
  });

  it('signs with the current key after rotation', () => {
    expect(verifyApprovalLink(signed(RING_K2_AFTER_K1), RING_K2_AFTER_K1, NOW)).toEqual({
      ...VALID,
      keyId: 'k2',
    });
  });

  it('refuses links of a key removed from the ring as unknown-key', () => {
    expect(verifyApprovalLink(signed(RING_K1), RING_K3_AFTER_K2, NOW)).toEqual({
      ok: false,
      reason: 'unknown-key',
    });
  });

  it('refuses a link whose expiry has passed', () => {
    const later = new Date(EXPIRES_AT.getTime() + 60_000);
    expect(verifyApprovalLink(signed(), RING_K1, later)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a link at the very second it expires, and accepts it a millisecond before', () => {
    expect(verifyApprovalLink(signed(), RING_K1, EXPIRES_AT)).toEqual({ ok: false, reason: 'expired' });
    const justBefore = new Date(EXPIRES_AT.getTime() - 1);
    expect(verifyApprovalLink(signed(), RING_K1, justBefore)).toEqual(VALID);
  });

  it('rounds a sub-second expiry down, so a link never lives longer than asked', () => {
    const expiresAt = new Date(EXPIRES_AT.getTime() + 999);
    const parts = linkPartsOf(signApprovalLink(BASE_URL, { ...CLAIMS, expiresAt }, RING_K1));
    expect(parts.exp).toBe(EXP);
  });

  it('checks the signature before the expiry, so a forged expired link is bad-signature', () => {
    const parts = signed();
    const forged = { ...parts, sig: `v1.k1.${withCharChanged(macOf(parts.sig), 10)}` };
    const later = new Date(EXPIRES_AT.getTime() + 60_000);
    expect(verifyApprovalLink(forged, RING_K1, later)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['the first', 0],
    ['a middle', 21],
    ['the second-to-last', 41],
  ])('refuses a MAC with %s character changed as bad-signature', (_name, index) => {
    const parts = signed();
    const tampered = { ...parts, sig: `v1.k1.${withCharChanged(macOf(parts.sig), index)}` };
    expect(verifyApprovalLink(tampered, RING_K1, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a second spelling of the same MAC (the spare low bits of the last character)', () => {
    const parts = signed();
    const mac = macOf(parts.sig);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(mac.slice(-1));
    const respelled = `${mac.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
    expect(verifyApprovalLink({ ...parts, sig: `v1.k1.${respelled}` }, RING_K1, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('answers the same for MACs wrong in the first and in the last byte (every byte is compared)', () => {
    const parts = signed();
    const mac = Buffer.from(macOf(parts.sig), 'base64url');
    const flip = (index: number) => {
      const copy = Buffer.from(mac);
      copy[index] = (copy[index] ?? 0) ^ 0xff;
      return verifyApprovalLink({ ...parts, sig: `v1.k1.${copy.toString('base64url')}` }, RING_K1, NOW);
    };
    expect(flip(0)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(flip(31)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('answers malformed, without throwing, for a MAC of another length', () => {
    const parts = signed();
    const longer = Buffer.concat([Buffer.from(macOf(parts.sig), 'base64url'), Buffer.from([0])]);
    expect(() =>
      verifyApprovalLink({ ...parts, sig: `v1.k1.${longer.toString('base64url')}` }, RING_K1, NOW),
    ).not.toThrow();
    expect(
      verifyApprovalLink({ ...parts, sig: `v1.k1.${longer.toString('base64url')}` }, RING_K1, NOW),
    ).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  const SIG = signed().sig ?? '';
  const MAC = macOf(SIG);
  it.each<[string, Partial<ApprovalLinkInput>]>([
    ['no signature', { sig: null }],
    ['an empty signature', { sig: '' }],
    ['a truncated signature', { sig: SIG.slice(0, -1) }],
    ['a signature cut after the key id', { sig: 'v1.k1' }],
    ['a signature cut to half its MAC', { sig: SIG.slice(0, SIG.length - 20) }],
    ['another version', { sig: `v2.k1.${MAC}` }],
    ['an extra part', { sig: `${SIG}.x` }],
    ['an empty key id', { sig: `v1..${MAC}` }],
    ['a key id with a space', { sig: `v1.k 1.${MAC}` }],
    ['a key id of 33 characters', { sig: `v1.${'k'.repeat(33)}.${MAC}` }],
    ['a MAC in standard base64', { sig: `v1.k1.${Buffer.from(MAC, 'base64url').toString('base64')}` }],
    ['a MAC with a character outside base64url', { sig: `v1.k1.${MAC.slice(0, -1)}!` }],
    ['no recipient', { recipient: null }],
    ['an empty recipient', { recipient: '' }],
    ['a recipient that is not an address', { recipient: 'alice' }],
    ['a recipient with a newline', { recipient: 'alice.admin@acme.example\n' }],
    ['no expiry', { exp: null }],
    ['an empty expiry', { exp: '' }],
    ['a fractional expiry', { exp: `${EXP}.5` }],
    ['a negative expiry', { exp: `-${EXP}` }],
    ['an expiry with a leading zero', { exp: `0${EXP}` }],
    ['an expiry in exponent form', { exp: '1.767312e9' }],
    ['an expiry that is not a number', { exp: 'tomorrow' }],
    ['an expiry past year 5000', { exp: '999999999999' }],
    ['an approval id in upper case', { approvalId: APPROVAL_ID.toUpperCase() }],
    ['an approval id of 31 digits', { approvalId: APPROVAL_ID.slice(1) }],
    ['an approval id that is not hex', { approvalId: `${APPROVAL_ID.slice(1)}g` }],
  ])('answers malformed for %s', (_name, change) => {
    expect(verifyApprovalLink({ ...signed(), ...change }, RING_K1, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
});

describe('redactSignedLinks', () => {
  const LINK = signApprovalLink(BASE_URL, CLAIMS, RING_K1);
  const SIG = linkPartsOf(LINK).sig ?? '';
  const REDACTED_LINK = LINK.replace(SIG, 'REDACTED');

  it.each([
    ['plain text', `Approve at ${LINK} before noon.`, `Approve at ${REDACTED_LINK} before noon.`],
    ['a JSON document', JSON.stringify({ link: LINK }), JSON.stringify({ link: REDACTED_LINK })],
    [
      'JSON with & escaped as \\u0026',
      JSON.stringify({ link: LINK }).replaceAll('&', '\\u0026'),
      JSON.stringify({ link: REDACTED_LINK }).replaceAll('&', '\\u0026'),
    ],
    [
      'JSON inside a JSON string',
      JSON.stringify({ body: JSON.stringify({ link: LINK }) }),
      JSON.stringify({ body: JSON.stringify({ link: REDACTED_LINK }) }),
    ],
    [
      'an HTML attribute',
      `<a href="${LINK.replaceAll('&', '&amp;')}">Review</a>`,
      `<a href="${REDACTED_LINK.replaceAll('&', '&amp;')}">Review</a>`,
    ],
    [
      'a URL-encoded link inside another URL',
      `https://tracker.example/click?u=${encodeURIComponent(LINK)}&id=7`,
      `https://tracker.example/click?u=${encodeURIComponent(REDACTED_LINK)}&id=7`,
    ],
    [
      'a link encoded twice',
      encodeURIComponent(encodeURIComponent(LINK)),
      encodeURIComponent(encodeURIComponent(REDACTED_LINK)),
    ],
    ['a markdown link', `[review](${LINK})`, `[review](${REDACTED_LINK})`],
    [
      'a link where sig is the first parameter',
      'https://x.example/a/1?sig=v1.k1.abc',
      'https://x.example/a/1?sig=REDACTED',
    ],
    [
      'a garbled signature with percent escapes',
      'https://x.example/a/1?exp=1&sig=v1%2Ek1%2Eabc%2B&r=a',
      'https://x.example/a/1?exp=1&sig=REDACTED&r=a',
    ],
  ])('redacts the signature in %s', (_name, text, expected) => {
    expect(redactSignedLinks(text)).toBe(expected);
    expect(redactSignedLinks(text)).not.toContain(macOf(SIG));
  });

  it('redacts every link in a text', () => {
    const other = signApprovalLink(BASE_URL, { ...CLAIMS, approvalId: OTHER_APPROVAL_ID }, RING_K1);
    const redacted = redactSignedLinks(`${LINK}\n${other}`);
    expect(redacted.match(/sig=REDACTED/g)).toHaveLength(2);
  });

  it('leaves other parameters, and words that only contain "sig", alone', () => {
    const text = 'https://x.example/?design=blue&signal=1&exp=5 and the sig= parameter, or mysig=abc';
    expect(redactSignedLinks(text)).toBe(text);
  });

  it('is idempotent', () => {
    const texts = [
      `Approve at ${LINK}`,
      JSON.stringify({ link: LINK }),
      `<a href="${LINK.replaceAll('&', '&amp;')}">`,
      encodeURIComponent(LINK),
      encodeURIComponent(encodeURIComponent(LINK)),
    ];
    for (const text of texts) {
      const once = redactSignedLinks(text);
      expect(redactSignedLinks(once)).toBe(once);
    }
  });
});

describe('parseKeyRing', () => {
  const SECRET_A = Buffer.alloc(32, 0xa1).toString('base64');
  const SECRET_B = Buffer.alloc(40, 0xb2).toString('base64');
  const SHORT = Buffer.from('sixteen-byte-key').toString('base64');
  const SOURCE = 'env APPROVAL_KEYS';

  it('reads the current key and the previous ones, secrets decoded from base64', () => {
    const ring = parseKeyRing(
      JSON.stringify({ current: { id: 'k2', secret: SECRET_B }, previous: [{ id: 'k1', secret: SECRET_A }] }),
      SOURCE,
    );
    expect(ring).toEqual({
      current: { id: 'k2', secret: Buffer.alloc(40, 0xb2) },
      previous: [{ id: 'k1', secret: Buffer.alloc(32, 0xa1) }],
    });
  });

  it('takes a ring without "previous" as one without previous keys', () => {
    expect(
      parseKeyRing(JSON.stringify({ current: { id: 'k1', secret: SECRET_A } }), SOURCE).previous,
    ).toEqual([]);
  });

  it('reads back what serializeKeyRing writes', () => {
    const ring = { current: K2, previous: [K1] };
    expect(parseKeyRing(serializeKeyRing(ring), SOURCE)).toEqual(ring);
  });

  it.each<[string, string, string, string]>([
    ['text that is not JSON', `{"current":{"id":"k1","secret":"${SHORT}"`, 'not JSON', SHORT],
    ['no current key', JSON.stringify({ previous: [] }), 'current', ''],
    [
      'a key id with a dot',
      JSON.stringify({ current: { id: 'k.1', secret: SECRET_A } }),
      'current.id',
      SECRET_A,
    ],
    ['an empty key id', JSON.stringify({ current: { id: '', secret: SECRET_A } }), 'current.id', SECRET_A],
    ['a secret too short', JSON.stringify({ current: { id: 'k1', secret: SHORT } }), 'current.secret', SHORT],
    [
      'a secret that is not base64',
      JSON.stringify({ current: { id: 'k1', secret: 'not base64 but a passphrase!' } }),
      'current.secret',
      'passphrase',
    ],
    [
      'a secret that is a number',
      JSON.stringify({ current: { id: 'k1', secret: 12345 } }),
      'current.secret',
      '12345',
    ],
    [
      'a previous key too short',
      JSON.stringify({ current: { id: 'k2', secret: SECRET_B }, previous: [{ id: 'k1', secret: SHORT }] }),
      'previous[0].secret',
      SHORT,
    ],
    [
      'a duplicate key id',
      JSON.stringify({ current: { id: 'k1', secret: SECRET_B }, previous: [{ id: 'k1', secret: SECRET_A }] }),
      'previous[0].id',
      SECRET_A,
    ],
    [
      'a misspelt field',
      JSON.stringify({ current: { id: 'k2', secret: SECRET_B }, previus: [{ id: 'k1', secret: SECRET_A }] }),
      'previus',
      SECRET_A,
    ],
  ])('refuses %s, naming the source and the field and never the secret', (_name, text, field, secret) => {
    let error: unknown;
    try {
      parseKeyRing(text, SOURCE);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    const message = error instanceof Error ? error.message : '';
    expect(message).toContain(SOURCE);
    expect(message).toContain(field);
    if (secret !== '') {
      expect(message).not.toContain(secret);
      expect(JSON.stringify(error instanceof InvalidInputError ? error.issues : [])).not.toContain(secret);
    }
  });
});

describe('generateKeyRing', () => {
  it('makes a ring of one 32-byte key that signs links it then verifies', () => {
    const ring = generateKeyRing('local-1');
    expect(ring.current.id).toBe('local-1');
    expect(ring.current.secret).toHaveLength(32);
    expect(ring.previous).toEqual([]);
    const parts = linkPartsOf(signApprovalLink(BASE_URL, CLAIMS, ring));
    expect(verifyApprovalLink(parts, ring, NOW)).toEqual({ ...VALID, keyId: 'local-1' });
  });

  it('makes a new secret and a valid id each time when no id is given', () => {
    const a = generateKeyRing();
    const b = generateKeyRing();
    expect(a.current.secret.equals(b.current.secret)).toBe(false);
    expect(a.current.id).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    expect(parseKeyRing(serializeKeyRing(a), 'generated')).toEqual(a);
  });

  it('refuses a key id that could not appear in a signature', () => {
    expect(() => generateKeyRing('k.1')).toThrow(InvalidInputError);
  });
});

describe('loadKeyRing', () => {
  const INLINE = serializeKeyRing({ current: K1, previous: [] });
  const IN_FILE = serializeKeyRing({ current: K2, previous: [] });
  const IN_SECRET = serializeKeyRing({ current: K3, previous: [] });
  const readFile = vi.fn(async (_path: string) => IN_FILE);
  const getSecret = vi.fn(async (_name: string): Promise<string | undefined> => IN_SECRET);

  beforeEach(() => {
    readFile.mockClear();
    getSecret.mockClear();
  });

  const ALL = {
    APPROVAL_KEYS: INLINE,
    APPROVAL_KEYS_FILE: '/etc/approval-keys.json',
    APPROVAL_KEYS_SECRET: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:approval-keys',
  };

  it('prefers APPROVAL_KEYS over the file and the secret', async () => {
    const ring = await loadKeyRing({ env: ALL, readFile, getSecret });
    expect(ring.current.id).toBe('k1');
    expect(readFile).not.toHaveBeenCalled();
    expect(getSecret).not.toHaveBeenCalled();
  });

  it('reads APPROVAL_KEYS_FILE when APPROVAL_KEYS is unset or empty', async () => {
    const ring = await loadKeyRing({ env: { ...ALL, APPROVAL_KEYS: '' }, readFile, getSecret });
    expect(ring.current.id).toBe('k2');
    expect(readFile).toHaveBeenCalledWith('/etc/approval-keys.json');
    expect(getSecret).not.toHaveBeenCalled();
  });

  it('reads APPROVAL_KEYS_SECRET when neither of the others is set', async () => {
    const ring = await loadKeyRing({
      env: { APPROVAL_KEYS_SECRET: ALL.APPROVAL_KEYS_SECRET },
      readFile,
      getSecret,
    });
    expect(ring.current.id).toBe('k3');
    expect(getSecret).toHaveBeenCalledWith(ALL.APPROVAL_KEYS_SECRET);
    expect(readFile).not.toHaveBeenCalled();
  });

  it('names the three variables when none is set', async () => {
    await expect(loadKeyRing({ env: {}, readFile, getSecret })).rejects.toThrow(
      /APPROVAL_KEYS\b.*APPROVAL_KEYS_FILE.*APPROVAL_KEYS_SECRET/,
    );
  });

  it('refuses a secret without a value, naming the secret', async () => {
    getSecret.mockResolvedValueOnce(undefined);
    await expect(loadKeyRing({ env: { APPROVAL_KEYS_SECRET: 'approval-keys' }, getSecret })).rejects.toThrow(
      /approval-keys.*no value/,
    );
  });

  it('refuses a file it cannot read, naming the path', async () => {
    readFile.mockRejectedValueOnce(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }));
    await expect(loadKeyRing({ env: { APPROVAL_KEYS_FILE: '/nope.json' }, readFile })).rejects.toThrow(
      /\/nope\.json/,
    );
  });

  it('names the file when its ring is bad, without the secret', async () => {
    const short = Buffer.from('sixteen-byte-key').toString('base64');
    readFile.mockResolvedValueOnce(JSON.stringify({ current: { id: 'k1', secret: short } }));
    const failure = loadKeyRing({ env: { APPROVAL_KEYS_FILE: '/etc/keys.json' }, readFile });
    await expect(failure).rejects.toThrow(/file \/etc\/keys\.json.*current\.secret/);
    await expect(failure).rejects.not.toThrow(short);
  });
});

describe('secretsManagerKeyReader', () => {
  const secretsManager = mockClient(SecretsManagerClient);

  beforeEach(() => {
    secretsManager.reset();
  });

  it('reads the secret string once and serves it from the five-minute cache after', async () => {
    // A name used by no other test: the Powertools provider's cache outlives a test.
    const name = 'approval-keys-cache-test';
    secretsManager.on(GetSecretValueCommand, { SecretId: name }).resolves({ SecretString: '{"ring":1}' });
    const read = secretsManagerKeyReader();
    await expect(read(name)).resolves.toBe('{"ring":1}');
    await expect(read(name)).resolves.toBe('{"ring":1}');
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: name },
    ]);
  });

  it('decodes a binary secret as UTF-8', async () => {
    const name = 'approval-keys-binary-test';
    secretsManager
      .on(GetSecretValueCommand, { SecretId: name })
      .resolves({ SecretBinary: new TextEncoder().encode('{"ring":2}') });
    await expect(secretsManagerKeyReader()(name)).resolves.toBe('{"ring":2}');
  });
});

describe('status links for chat channels', () => {
  const claims = { approvalId: APPROVAL_ID, recipient: chatRecipient('soc-slack'), expiresAt: EXPIRES_AT };

  it('point at the status page and verify only for the status purpose', () => {
    const link = signApprovalLink(BASE_URL, { ...claims, purpose: STATUS_PURPOSE }, RING_K1);
    const url = new URL(link);
    expect(url.pathname).toBe(`/a/${APPROVAL_ID}/status`);
    const input = {
      approvalId: APPROVAL_ID,
      recipient: url.searchParams.get('r'),
      exp: url.searchParams.get('exp'),
      sig: url.searchParams.get('sig'),
    };
    expect(verifyApprovalLink({ ...input, purpose: STATUS_PURPOSE }, RING_K1, NOW)).toMatchObject({
      ok: true,
      recipient: 'chat:soc-slack',
    });
    expect(verifyApprovalLink(input, RING_K1, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuse a channel name that is not one', () => {
    expect(() =>
      signApprovalLink(
        BASE_URL,
        { ...claims, recipient: 'chat:Soc Slack', purpose: STATUS_PURPOSE },
        RING_K1,
      ),
    ).toThrow(InvalidInputError);
  });
});

describe('a lone key, as Secrets Manager generates it', () => {
  it('is read as a ring of one, and signs links that verify', () => {
    const secret = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01';
    const ring = parseKeyRing(JSON.stringify({ id: 'k1', secret }), 'test');
    expect(ring.current.id).toBe('k1');
    expect(ring.previous).toEqual([]);
    const url = new URL(signApprovalLink(BASE_URL, CLAIMS, ring));
    const check = verifyApprovalLink(
      {
        approvalId: APPROVAL_ID,
        recipient: url.searchParams.get('r'),
        exp: url.searchParams.get('exp'),
        sig: url.searchParams.get('sig'),
      },
      ring,
      NOW,
    );
    expect(check.ok).toBe(true);
  });

  it('still refuses a lone key whose secret is too short', () => {
    expect(() => parseKeyRing(JSON.stringify({ id: 'k1', secret: 'c2hvcnQ=' }), 'test')).toThrow(
      InvalidInputError,
    );
  });
});
