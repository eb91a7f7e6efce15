import { beforeEach, describe, expect, it } from 'vitest';
import {
  type ApprovalPageDeps,
  type AuditEntry,
  handleApprovalRequest,
  type LinkCheck,
  type PageRequest,
  type PageResponse,
} from '../../../tasks/approval-page/page.js';
import { codeHash } from '../../../tasks/shared/approval/one-time-code.js';
import { FixedClock } from '../../../tasks/shared/clock.js';
import type { ApprovalDecision, ApprovalRecord } from '../../../tasks/shared/contracts.js';
import { sampleApproval } from '../../support/approvals.js';

const NOW = '2025-03-04T12:00:00.000Z';
const ORIGIN = 'https://abc.lambda-url.us-east-1.on.aws';
const LOCAL_ORIGIN = 'http://127.0.0.1:8787';
const ID = '0123456789abcdef0123456789abcdef';
const OTHER_ID = '11112222333344445555666677778888';
const MISSING_ID = 'fedcba9876543210fedcba9876543210';
const HIGH_RISK_ID = 'aaaabbbbccccddddeeeeffff00001111';
const ALICES_CODE = '042917';
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const MALLORY = 'mallory@example.com';
/** Link expiry, in seconds: 2025-03-05T10:00:00Z, the record's deadline. */
const EXP = '1741168800';
const PAST_EXP = '1741000000';
const CSRF_SECRET = Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex');
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/135.0';
const SOURCE_IP = '198.51.100.7';

/**
 * The links "sent": what the fake verifier accepts, by hand. Signatures are opaque strings here;
 * the real HMAC lives in the links module and has its own tests.
 */
const SENT_LINKS = new Map<string, string>([
  [`${ID}|${ALICE}|${EXP}`, 'v1.k1.alice-signature'],
  [`${ID}|${BOB}|${EXP}`, 'v1.k1.bob-signature'],
  [`${ID}|${MALLORY}|${EXP}`, 'v1.k1.mallory-signature'],
  [`${ID}|${ALICE}|${PAST_EXP}`, 'v1.k1.old-signature'],
  [`${OTHER_ID}|${ALICE}|${EXP}`, 'v1.k1.other-signature'],
  [`${MISSING_ID}|${ALICE}|${EXP}`, 'v1.k1.missing-signature'],
  [`${HIGH_RISK_ID}|${ALICE}|${EXP}`, 'v1.k1.high-risk-signature'],
]);
const SIG = 'v1.k1.alice-signature';

function fakeVerifyLink(
  input: { approvalId: string; recipient: string | null; exp: string | null; sig: string | null },
  now: Date,
): LinkCheck {
  if (input.recipient === null || input.exp === null || input.sig === null)
    return { ok: false, reason: 'malformed' };
  if (!input.sig.startsWith('v1.k1.')) return { ok: false, reason: 'unknown-key' };
  if (SENT_LINKS.get(`${input.approvalId}|${input.recipient}|${input.exp}`) !== input.sig) {
    return { ok: false, reason: 'bad-signature' };
  }
  const expiresAt = new Date(Number(input.exp) * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, approvalId: input.approvalId, recipient: input.recipient, expiresAt, keyId: 'k1' };
}

function approvalRecord(overrides: Partial<Record<keyof ApprovalRecord, unknown>> = {}): ApprovalRecord {
  return sampleApproval({ approvalId: ID, approvers: [ALICE, BOB], ...overrides });
}

/** An in-memory approval store whose decide is a conditional write: the first decision wins. */
class FakeApprovals {
  readonly records = new Map<string, ApprovalRecord>();
  readonly reads: string[] = [];
  readonly decideCalls: { approvalId: string; decision: ApprovalDecision }[] = [];
  readonly delivered: ApprovalRecord[] = [];
  readonly audits: AuditEntry[] = [];
  deliveryError: Error | null = null;

  constructor(readonly clock: FixedClock) {}

  put(record: ApprovalRecord): void {
    this.records.set(record.approvalId, structuredClone(record));
  }

  get(approvalId: string): ApprovalRecord {
    const record = this.records.get(approvalId);
    if (record === undefined) throw new Error(`no record ${approvalId}`);
    return record;
  }

  deps(origin: string = ORIGIN): ApprovalPageDeps {
    return {
      clock: this.clock,
      verifyLink: fakeVerifyLink,
      getApproval: async (approvalId) => {
        this.reads.push(approvalId);
        const record = this.records.get(approvalId);
        return record === undefined ? null : structuredClone(record);
      },
      recordCodeFailure: async (approvalId) => {
        const record = this.get(approvalId);
        this.records.set(approvalId, { ...record, codeFailures: record.codeFailures + 1 });
        return record.codeFailures + 1;
      },
      decide: async (approvalId, decision) => {
        this.decideCalls.push({ approvalId, decision });
        // Let every request in flight reach this point before any write lands.
        await new Promise((resolve) => setImmediate(resolve));
        const record = this.get(approvalId);
        const open = record.status === 'PENDING' && this.clock.now() < new Date(record.expiresAt);
        if (!open) return { outcome: 'already', record: structuredClone(record) };
        const decided: ApprovalRecord = {
          ...record,
          status: decision.decision,
          decision,
          version: record.version + 1,
        };
        this.records.set(approvalId, decided);
        return { outcome: 'decided', record: structuredClone(decided) };
      },
      deliverDecision: async (record) => {
        if (this.deliveryError !== null) throw this.deliveryError;
        this.delivered.push(record);
      },
      audit: async (entry) => {
        this.audits.push(entry);
      },
      origin,
      csrfSecret: CSRF_SECRET,
    };
  }
}

let clock: FixedClock;
let store: FakeApprovals;

beforeEach(() => {
  clock = new FixedClock(NOW);
  store = new FakeApprovals(clock);
  store.put(approvalRecord());
  store.put(approvalRecord({ approvalId: OTHER_ID, approvers: [ALICE] }));
  store.put(
    approvalRecord({
      approvalId: HIGH_RISK_ID,
      approvers: [ALICE],
      highRisk: true,
      codeHashes: { [ALICE.toLowerCase()]: codeHash(HIGH_RISK_ID, ALICE, ALICES_CODE) },
    }),
  );
});

function linkQuery(recipient = ALICE, sig = SIG, exp = EXP): Record<string, string | undefined> {
  return { r: recipient, exp, sig };
}

function request(overrides: Partial<PageRequest> = {}): PageRequest {
  return {
    method: 'GET',
    path: `/a/${ID}`,
    query: linkQuery(),
    headers: { 'user-agent': USER_AGENT },
    body: null,
    sourceIp: SOURCE_IP,
    ...overrides,
  };
}

function handle(req: PageRequest, origin: string = ORIGIN): Promise<PageResponse> {
  return handleApprovalRequest(req, store.deps(origin));
}

/** The CSRF token a GET set as a cookie, checked to be the one in the form as well. */
function tokenOf(response: PageResponse): string {
  const cookie = response.cookies[0] ?? '';
  const token = /^(?:__Host-)?csrf-[0-9a-f]{32}=([^;]+);/.exec(cookie)?.[1];
  if (token === undefined) throw new Error(`no CSRF cookie in ${JSON.stringify(response.cookies)}`);
  expect(response.body).toContain(`<input type="hidden" name="csrf" value="${token}">`);
  return token;
}

async function openPage(options: { id?: string; recipient?: string; sig?: string; origin?: string } = {}) {
  const id = options.id ?? ID;
  const response = await handle(
    request({ path: `/a/${id}`, query: linkQuery(options.recipient, options.sig) }),
    options.origin,
  );
  expect(response.status).toBe(200);
  return tokenOf(response);
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** A POST exactly as the page's form sends it, unless `overrides` say otherwise. */
function decisionPost(
  token: string,
  fields: Record<string, string>,
  overrides: Partial<PageRequest> & { cookieName?: string; origin?: string } = {},
): PageRequest {
  // The cookie is the approval's own: the one the path names.
  const approvalId = /^\/a\/([0-9a-f]{32})/.exec(overrides.path ?? '')?.[1] ?? ID;
  const { cookieName = `__Host-csrf-${approvalId}`, origin = ORIGIN, ...rest } = overrides;
  return request({
    method: 'POST',
    headers: {
      'user-agent': USER_AGENT,
      'content-type': 'application/x-www-form-urlencoded',
      origin,
      'sec-fetch-site': 'same-origin',
      cookie: `theme=dark; ${cookieName}=${token}`,
    },
    body: form({ csrf: token, ...fields }),
    ...rest,
  });
}

function headersWith(
  token: string,
  changes: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return {
    'user-agent': USER_AGENT,
    'content-type': 'application/x-www-form-urlencoded',
    origin: ORIGIN,
    cookie: `__Host-csrf-${ID}=${token}`,
    ...changes,
  };
}

function lastAudit(): AuditEntry | undefined {
  return store.audits.at(-1);
}

describe('GET /a/<id>', () => {
  it('shows the plan and the form, and sets the CSRF cookie the form also carries', async () => {
    const response = await handle(request());
    expect(response.status).toBe(200);
    expect(response.body).toContain('example-public-bucket');
    expect(response.body).toContain('Remove statement 0 (PublicRead) from the bucket policy');
    expect(response.body).toContain('value="APPROVED"');
    expect(response.body).toContain(`action="/a/${ID}?r=alice%40example.com&amp;exp=${EXP}&amp;sig=${SIG}"`);
    expect(response.cookies).toHaveLength(1);
    expect(response.cookies[0]).toMatch(
      new RegExp(
        `^__Host-csrf-${ID}=c1\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+; Path=/; Secure; HttpOnly; SameSite=Strict$`,
      ),
    );
    tokenOf(response);
  });

  it('audits a view and decides nothing', async () => {
    await handle(request());
    expect(store.audits).toEqual([
      {
        at: NOW,
        approvalId: ID,
        action: 'view',
        status: 200,
        detail: 'GET decision page',
        sourceIp: SOURCE_IP,
        userAgent: USER_AGENT,
      },
    ]);
    expect(store.decideCalls).toEqual([]);
  });

  it('decides nothing when a mail scanner fetches the link, however often', async () => {
    const scanner = {
      'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel; +http://www.barracuda.com)',
    };
    for (const method of ['GET', 'HEAD', 'GET']) {
      await handle(request({ method, headers: scanner, query: { ...linkQuery(), decision: 'APPROVED' } }));
    }
    expect(store.decideCalls).toEqual([]);
    expect(store.delivered).toEqual([]);
    expect(store.get(ID).status).toBe('PENDING');
  });

  it('keeps at most 300 characters of a user agent', async () => {
    await handle(request({ headers: { 'user-agent': `Mozilla/5.0 ${'z'.repeat(1000)}` } }));
    expect(lastAudit()?.userAgent).toHaveLength(300);
  });

  it('uses a cookie without the __Host- prefix and Secure on the local http server', async () => {
    const response = await handle(request(), LOCAL_ORIGIN);
    expect(response.cookies).toEqual([
      expect.stringMatching(new RegExp(`^csrf-${ID}=[^;]+; Path=/; HttpOnly; SameSite=Strict$`)),
    ]);
  });

  it('names the cookie after the approval, so two requests open side by side keep their own', async () => {
    const first = await handle(request());
    const second = await handle(
      request({ path: `/a/${HIGH_RISK_ID}`, query: linkQuery(ALICE, 'v1.k1.high-risk-signature') }),
    );
    expect(first.cookies[0]).toMatch(new RegExp(`^__Host-csrf-${ID}=`));
    expect(second.cookies[0]).toMatch(new RegExp(`^__Host-csrf-${HIGH_RISK_ID}=`));
  });

  it('shows a decided request read-only, naming who decided, when and why, without a form or cookie', async () => {
    store.put(
      approvalRecord({
        status: 'APPROVED',
        decision: {
          decision: 'APPROVED',
          approver: BOB,
          by: 'person',
          at: '2025-03-04T11:00:00.000Z',
          sourceIp: null,
          userAgent: null,
          reason: 'not meant to be public',
          intendedUntil: null,
        },
      }),
    );
    const response = await handle(request());
    expect(response.status).toBe(200);
    expect(response.body).toContain(
      'Already decided: APPROVED by bob@example.com at 2025-03-04T11:00:00.000Z (not meant to be public)',
    );
    expect(response.body).not.toContain('<form');
    expect(response.cookies).toEqual([]);
  });

  it('shows a request past its deadline as expired, even while still PENDING', async () => {
    store.put(approvalRecord({ expiresAt: '2025-03-04T11:59:00.000Z' }));
    const response = await handle(request());
    expect(response.body).toContain('Expired at 2025-03-04T11:59:00.000Z');
    expect(response.body).not.toContain('<form');
  });

  it('shows a superseded request without a link to the newer one', async () => {
    store.put(approvalRecord({ status: 'SUPERSEDED', supersededBy: OTHER_ID }));
    const response = await handle(request());
    expect(response.body).toContain('Superseded by a newer request');
    expect(response.body).not.toContain('href');
  });
});

describe('HEAD /a/<id>', () => {
  it('answers like GET without a body, and changes nothing', async () => {
    const before = structuredClone(store.get(ID));
    const head = await handle(request({ method: 'HEAD' }));
    const get = await handle(request());
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers).toEqual(get.headers);
    expect(store.get(ID)).toEqual(before);
    expect(store.decideCalls).toEqual([]);
    expect(store.audits.map((entry) => entry.action)).toEqual(['view', 'view']);
  });
});

describe('refusals', () => {
  type Case = {
    name: string;
    status: number;
    text: string;
    build: (token: string) => PageRequest;
  };
  const cases: Case[] = [
    {
      name: 'a forged signature',
      status: 403,
      text: 'This link is not valid',
      build: () => request({ query: linkQuery(ALICE, 'v1.k1.forged') }),
    },
    {
      name: 'a key the verifier does not know',
      status: 403,
      text: 'This link is not valid',
      build: () => request({ query: linkQuery(ALICE, 'v9.k7.whatever') }),
    },
    {
      name: 'a link without its signature',
      status: 403,
      text: 'This link is not valid',
      build: () => request({ query: { r: ALICE, exp: EXP } }),
    },
    {
      name: 'an approval id that is not 32 hex digits',
      status: 403,
      text: 'This link is not valid',
      build: () => request({ path: '/a/NOT-AN-ID' }),
    },
    {
      name: 'an expired link',
      status: 410,
      text: 'This link has expired',
      build: () => request({ query: linkQuery(ALICE, 'v1.k1.old-signature', PAST_EXP) }),
    },
    {
      name: 'a validly signed link to an approval that does not exist',
      status: 404,
      text: 'This request was not found',
      build: () => request({ path: `/a/${MISSING_ID}`, query: linkQuery(ALICE, 'v1.k1.missing-signature') }),
    },
    {
      name: 'a validly signed link for someone who is not an approver',
      status: 403,
      text: 'This link was not sent to an approver of this request.',
      build: () => request({ query: linkQuery(MALLORY, 'v1.k1.mallory-signature') }),
    },
    {
      name: 'a POST with a forged signature',
      status: 403,
      text: 'This link is not valid',
      build: (token) =>
        decisionPost(token, { decision: 'APPROVED' }, { query: linkQuery(ALICE, 'v1.k1.forged') }),
    },
    {
      name: 'a POST without the CSRF cookie',
      status: 403,
      text: 'The form could not be verified',
      build: (token) => decisionPost(token, { decision: 'APPROVED' }, { cookieName: 'other' }),
    },
    {
      name: 'a POST whose form token differs from the cookie',
      status: 403,
      text: 'The form could not be verified',
      build: (token) =>
        decisionPost(
          token,
          { decision: 'APPROVED' },
          { body: form({ csrf: `${token}x`, decision: 'APPROVED' }) },
        ),
    },
    {
      name: 'a POST without the form token',
      status: 403,
      text: 'The form could not be verified',
      build: (token) =>
        decisionPost(token, { decision: 'APPROVED' }, { body: form({ decision: 'APPROVED' }) }),
    },
    {
      name: 'a POST from a foreign Origin',
      status: 403,
      text: 'This form was not sent from the approval page',
      build: (token) => decisionPost(token, { decision: 'APPROVED' }, { origin: 'https://evil.example' }),
    },
    {
      name: 'a POST from the same host over http',
      status: 403,
      text: 'This form was not sent from the approval page',
      build: (token) =>
        decisionPost(token, { decision: 'APPROVED' }, { origin: 'http://abc.lambda-url.us-east-1.on.aws' }),
    },
    {
      name: 'a POST without an Origin',
      status: 403,
      text: 'This form was not sent from the approval page',
      build: (token) =>
        decisionPost(token, { decision: 'APPROVED' }, { headers: headersWith(token, { origin: undefined }) }),
    },
    {
      name: 'a POST whose Origin is "null" (a sandboxed frame)',
      status: 403,
      text: 'This form was not sent from the approval page',
      build: (token) => decisionPost(token, { decision: 'APPROVED' }, { origin: 'null' }),
    },
    {
      name: 'a POST the browser marks cross-site',
      status: 403,
      text: 'This form was not sent from the approval page',
      build: (token) =>
        decisionPost(
          token,
          { decision: 'APPROVED' },
          { headers: headersWith(token, { 'sec-fetch-site': 'cross-site' }) },
        ),
    },
    {
      name: 'a POST body over 8 KB',
      status: 413,
      text: 'The form is too large',
      build: (token) => decisionPost(token, { decision: 'APPROVED', reason: 'x'.repeat(8 * 1024) }),
    },
    {
      name: 'a POST as JSON',
      status: 415,
      text: 'The form could not be read',
      build: (token) =>
        decisionPost(
          token,
          {},
          {
            headers: headersWith(token, { 'content-type': 'application/json' }),
            body: JSON.stringify({ csrf: token, decision: 'APPROVED' }),
          },
        ),
    },
    {
      name: 'a POST as text/plain (what a cross-site form may send without a preflight)',
      status: 415,
      text: 'The form could not be read',
      build: (token) =>
        decisionPost(
          token,
          { decision: 'APPROVED' },
          { headers: headersWith(token, { 'content-type': 'text/plain' }) },
        ),
    },
    {
      name: 'a decision other than APPROVED or REJECTED',
      status: 400,
      text: 'Choose Approve or Reject.',
      build: (token) => decisionPost(token, { decision: 'approved' }),
    },
    {
      name: 'no decision at all',
      status: 400,
      text: 'Choose Approve or Reject.',
      build: (token) => decisionPost(token, {}),
    },
    {
      name: 'the decision sent twice',
      status: 400,
      text: 'The form sent a field more than once.',
      build: (token) =>
        decisionPost(token, {}, { body: `csrf=${token}&decision=REJECTED&decision=APPROVED` }),
    },
    {
      name: 'a reason over 1000 characters',
      status: 400,
      text: 'The reason is longer than 1000 characters.',
      build: (token) => decisionPost(token, { decision: 'APPROVED', reason: 'y'.repeat(1001) }),
    },
    {
      name: 'an intended-until date in the past',
      status: 400,
      text: 'The intended-until date must be in the future, within one year.',
      build: (token) => decisionPost(token, { decision: 'REJECTED', intendedUntil: '2025-03-04' }),
    },
    {
      name: 'an intended-until date more than a year ahead',
      status: 400,
      text: 'The intended-until date must be in the future, within one year.',
      build: (token) => decisionPost(token, { decision: 'REJECTED', intendedUntil: '2026-03-05' }),
    },
    {
      name: 'an intended-until date that does not exist',
      status: 400,
      text: 'The intended-until date is not a date (YYYY-MM-DD).',
      build: (token) => decisionPost(token, { decision: 'REJECTED', intendedUntil: '2025-02-30' }),
    },
    {
      name: 'an intended-until date with an approval',
      status: 400,
      text: 'An intended-until date goes with a rejection only; clear it to approve.',
      build: (token) => decisionPost(token, { decision: 'APPROVED', intendedUntil: '2025-06-01' }),
    },
  ];

  it.each(cases)(
    'refuses $name with $status, leaving the approval untouched',
    async ({ status, text, build }) => {
      const token = await openPage();
      const before = structuredClone(store.get(ID));
      const response = await handle(build(token));
      expect(response.status).toBe(status);
      expect(response.body).toContain(text);
      expect(response.cookies).toEqual([]);
      expect(store.decideCalls).toEqual([]);
      expect(store.get(ID)).toEqual(before);
      expect(lastAudit()).toMatchObject({ action: 'refuse', status });
    },
  );

  it('checks the signature before reading the record, so a forged link cannot probe for ids', async () => {
    const forged = await handle(
      request({ path: `/a/${MISSING_ID}`, query: linkQuery(ALICE, 'v1.k1.forged') }),
    );
    const existing = await handle(request({ query: linkQuery(ALICE, 'v1.k1.forged') }));
    expect(forged.status).toBe(403);
    expect(forged.body).toBe(existing.body);
    expect(store.reads).toEqual([]);
  });

  it('refuses a token issued for another approval, though it is valid there', async () => {
    const foreign = await openPage({ id: OTHER_ID, sig: 'v1.k1.other-signature' });
    const response = await handle(decisionPost(foreign, { decision: 'APPROVED' }));
    expect(response.status).toBe(403);
    expect(lastAudit()).toMatchObject({ action: 'refuse', status: 403, detail: 'csrf token invalid' });
    expect(store.decideCalls).toEqual([]);
  });

  it("refuses another approver's token with this approver's link", async () => {
    const bobs = await openPage({ recipient: BOB, sig: 'v1.k1.bob-signature' });
    const response = await handle(decisionPost(bobs, { decision: 'APPROVED' }));
    expect(response.status).toBe(403);
    expect(store.decideCalls).toEqual([]);
  });

  it('refuses a high-risk decision without the typed bucket name', async () => {
    const token = await openPage({ id: HIGH_RISK_ID, sig: 'v1.k1.high-risk-signature' });
    const response = await handle(
      decisionPost(
        token,
        { decision: 'APPROVED' },
        { path: `/a/${HIGH_RISK_ID}`, query: linkQuery(ALICE, 'v1.k1.high-risk-signature') },
      ),
    );
    expect(response.status).toBe(400);
    expect(response.body).toContain('This bucket is high-risk: type its name exactly to confirm.');
    expect(store.decideCalls).toEqual([]);
  });

  it('refuses a high-risk decision with a different bucket name typed', async () => {
    const token = await openPage({ id: HIGH_RISK_ID, sig: 'v1.k1.high-risk-signature' });
    const response = await handle(
      decisionPost(
        token,
        { decision: 'REJECTED', confirmBucket: 'Example-Public-Bucket' },
        { path: `/a/${HIGH_RISK_ID}`, query: linkQuery(ALICE, 'v1.k1.high-risk-signature') },
      ),
    );
    expect(response.status).toBe(400);
    expect(store.decideCalls).toEqual([]);
  });

  it('answers 409 to a POST on a request already decided, without writing', async () => {
    const token = await openPage();
    store.put(
      approvalRecord({
        status: 'REJECTED',
        decision: {
          decision: 'REJECTED',
          approver: BOB,
          by: 'person',
          at: '2025-03-04T11:30:00.000Z',
          sourceIp: null,
          userAgent: null,
          reason: null,
          intendedUntil: null,
        },
      }),
    );
    const response = await handle(decisionPost(token, { decision: 'APPROVED' }));
    expect(response.status).toBe(409);
    expect(response.body).toContain(
      'Already decided: REJECTED by bob@example.com at 2025-03-04T11:30:00.000Z',
    );
    expect(store.decideCalls).toEqual([]);
  });

  it('answers 404 to a path that is not the page', async () => {
    const response = await handle(request({ path: `/a/${ID}/other` }));
    expect(response.status).toBe(404);
    expect(lastAudit()).toMatchObject({ action: 'refuse', status: 404, approvalId: null });
  });

  it('answers 405 with Allow to a method the page does not take', async () => {
    const put = await handle(request({ method: 'PUT' }));
    const postDone = await handle(request({ method: 'POST', path: `/a/${ID}/done` }));
    expect([put.status, put.headers.Allow]).toEqual([405, 'GET, HEAD, POST']);
    expect([postDone.status, postDone.headers.Allow]).toEqual([405, 'GET, HEAD']);
    expect(store.decideCalls).toEqual([]);
  });
});

describe('POST /a/<id>', () => {
  it('approves: one conditional write with the decision, delivery, and 303 to the done page', async () => {
    const token = await openPage();
    const response = await handle(decisionPost(token, { decision: 'APPROVED' }));

    expect(response.status).toBe(303);
    expect(response.headers.Location).toBe(`/a/${ID}/done?r=alice%40example.com&exp=${EXP}&sig=${SIG}`);
    expect(store.decideCalls).toEqual([
      {
        approvalId: ID,
        decision: {
          decision: 'APPROVED',
          approver: ALICE,
          by: 'person',
          at: NOW,
          sourceIp: SOURCE_IP,
          userAgent: USER_AGENT,
          reason: null,
          intendedUntil: null,
        },
      },
    ]);
    expect(store.delivered.map((record) => [record.approvalId, record.status])).toEqual([[ID, 'APPROVED']]);
    expect(lastAudit()).toMatchObject({ action: 'decide', status: 303, detail: 'decided APPROVED' });
  });

  it('rejects with a reason and an intended-until date (00:00 UTC of that day)', async () => {
    const token = await openPage();
    const response = await handle(
      decisionPost(token, {
        decision: 'REJECTED',
        reason: '  Public website;\r\nmoving to CloudFront  ',
        intendedUntil: '2025-06-01',
      }),
    );
    expect(response.status).toBe(303);
    expect(store.decideCalls.map((call) => call.decision)).toEqual([
      expect.objectContaining({
        decision: 'REJECTED',
        reason: 'Public website;\nmoving to CloudFront',
        intendedUntil: '2025-06-01T00:00:00.000Z',
      }),
    ]);
  });

  it('accepts a 1000-character reason whose line breaks arrived as CRLF', async () => {
    const token = await openPage();
    const reason = `${'a'.repeat(499)}\r\n${'b'.repeat(500)}`;
    const response = await handle(decisionPost(token, { decision: 'APPROVED', reason }));
    expect(response.status).toBe(303);
    expect(store.decideCalls[0]?.decision.reason).toHaveLength(1000);
  });

  it('accepts an intended-until date exactly one year ahead', async () => {
    const token = await openPage();
    const response = await handle(decisionPost(token, { decision: 'REJECTED', intendedUntil: '2026-03-04' }));
    expect(response.status).toBe(303);
  });

  it('decides a high-risk bucket once its name is typed and the one-time code given', async () => {
    const token = await openPage({ id: HIGH_RISK_ID, sig: 'v1.k1.high-risk-signature' });
    const response = await handle(
      decisionPost(
        token,
        { decision: 'APPROVED', confirmBucket: 'example-public-bucket', code: ALICES_CODE },
        { path: `/a/${HIGH_RISK_ID}`, query: linkQuery(ALICE, 'v1.k1.high-risk-signature') },
      ),
    );
    expect(response.status).toBe(303);
    expect(store.get(HIGH_RISK_ID).status).toBe('APPROVED');
  });

  it('refuses a wrong one-time code, counts it, and locks the request after five', async () => {
    const token = await openPage({ id: HIGH_RISK_ID, sig: 'v1.k1.high-risk-signature' });
    const post = (code: string) =>
      handle(
        decisionPost(
          token,
          { decision: 'APPROVED', confirmBucket: 'example-public-bucket', code },
          { path: `/a/${HIGH_RISK_ID}`, query: linkQuery(ALICE, 'v1.k1.high-risk-signature') },
        ),
      );
    for (let attempt = 1; attempt <= 5; attempt++) {
      const refused = await post('000000');
      expect(refused.status).toBe(403);
    }
    expect(store.get(HIGH_RISK_ID).codeFailures).toBe(5);
    // Even the right code is refused now: guessing cannot go on.
    const locked = await post(ALICES_CODE);
    expect(locked.status).toBe(403);
    expect(locked.body).toMatch(/Too many one-time code tries/);
    expect(store.get(HIGH_RISK_ID).status).toBe('PENDING');
  });

  it('works on the local http server with its own origin and cookie name', async () => {
    const token = await openPage({ origin: LOCAL_ORIGIN });
    const response = await handle(
      decisionPost(token, { decision: 'APPROVED' }, { cookieName: `csrf-${ID}`, origin: LOCAL_ORIGIN }),
      LOCAL_ORIGIN,
    );
    expect(response.status).toBe(303);
  });

  it('lets only the first of two simultaneous decisions win: one 303, one 409', async () => {
    const alices = await openPage();
    const bobs = await openPage({ recipient: BOB, sig: 'v1.k1.bob-signature' });
    const [approve, reject] = await Promise.all([
      handle(decisionPost(alices, { decision: 'APPROVED' })),
      handle(decisionPost(bobs, { decision: 'REJECTED' }, { query: linkQuery(BOB, 'v1.k1.bob-signature') })),
    ]);

    expect(store.decideCalls).toHaveLength(2);
    expect([approve?.status, reject?.status]).toEqual([303, 409]);
    expect(reject?.body).toContain(
      'Already decided: APPROVED by alice@example.com at 2025-03-04T12:00:00.000Z',
    );
    expect(store.get(ID).decision?.approver).toBe(ALICE);
    expect(store.delivered).toHaveLength(1);
  });

  it('keeps a decision whose delivery failed, and the done page says it is being delivered', async () => {
    const token = await openPage();
    const failure = new Error('Task token AAAAKgAAAAIAAAAAAAAAA is invalid');
    failure.name = 'TaskTimedOut';
    store.deliveryError = failure;

    const response = await handle(decisionPost(token, { decision: 'APPROVED' }));
    expect(response.status).toBe(303);
    expect(store.get(ID).status).toBe('APPROVED');
    expect(lastAudit()).toMatchObject({
      action: 'decide',
      status: 303,
      detail: 'decided APPROVED; delivery to the workflow failed (TaskTimedOut)',
    });
    expect(JSON.stringify(store.audits)).not.toContain('AAAAKgAAAAIAAAAAAAAAA');

    const location = new URL(response.headers.Location ?? '', ORIGIN);
    const done = await handle(
      request({ path: location.pathname, query: Object.fromEntries(location.searchParams) }),
    );
    expect(done.status).toBe(200);
    expect(done.body).toContain(
      'The decision is recorded and is being delivered to the remediation workflow.',
    );
  });

  it('shows the recorded decision on the done page it redirects to', async () => {
    const token = await openPage();
    const response = await handle(decisionPost(token, { decision: 'APPROVED', reason: 'close it' }));
    const location = new URL(response.headers.Location ?? '', ORIGIN);
    const done = await handle(
      request({ path: location.pathname, query: Object.fromEntries(location.searchParams) }),
    );
    expect(done.status).toBe(200);
    expect(done.body).toContain(
      'Recorded: APPROVED by alice@example.com at 2025-03-04T12:00:00.000Z (close it)',
    );
    expect(done.body).not.toContain('being delivered');
    expect(lastAudit()).toMatchObject({ action: 'view', status: 200, detail: 'GET done page' });
  });

  it('verifies the link of the done page too', async () => {
    const done = await handle(request({ path: `/a/${ID}/done`, query: linkQuery(ALICE, 'v1.k1.forged') }));
    expect(done.status).toBe(403);
  });
});

describe('every response', () => {
  /** One of each kind of answer the handler gives. */
  async function oneOfEach(): Promise<[string, PageResponse][]> {
    const token = await openPage();
    const responses: [string, PageResponse][] = [
      ['page', await handle(request())],
      ['head', await handle(request({ method: 'HEAD' }))],
      ['forged', await handle(request({ query: linkQuery(ALICE, 'v1.k1.forged') }))],
      ['expired', await handle(request({ query: linkQuery(ALICE, 'v1.k1.old-signature', PAST_EXP) }))],
      ['not found', await handle(request({ path: '/favicon.ico' }))],
      ['method', await handle(request({ method: 'DELETE' }))],
      ['bad field', await handle(decisionPost(token, { decision: 'MAYBE', reason: 'secret plans' }))],
      [
        'foreign',
        await handle(decisionPost(token, { decision: 'APPROVED' }, { origin: 'https://evil.example' })),
      ],
      ['decided', await handle(decisionPost(token, { decision: 'APPROVED', reason: 'secret plans' }))],
      ['again', await handle(decisionPost(token, { decision: 'REJECTED' }))],
      ['done', await handle(request({ path: `/a/${ID}/done` }))],
    ];
    expect(responses.map(([, response]) => response.status)).toEqual([
      200, 200, 403, 410, 404, 405, 400, 403, 303, 409, 200,
    ]);
    return responses;
  }

  it('carries the security headers', async () => {
    for (const [name, response] of await oneOfEach()) {
      const referrerPolicy = name === 'page' || name === 'head' ? 'same-origin' : 'no-referrer';
      expect({ name, ...response.headers }).toMatchObject({
        name,
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'Referrer-Policy': referrerPolicy,
        'X-Robots-Tag': 'noindex, nofollow',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Content-Security-Policy': expect.stringMatching(
          /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/,
        ),
      });
    }
  });

  it('is audited once, and no audit entry holds the signature, a token, the secret or what was typed', async () => {
    const responses = await oneOfEach();
    expect(store.audits).toHaveLength(responses.length + 1);
    const trail = JSON.stringify(store.audits);
    for (const secret of [
      SIG,
      'alice-signature',
      CSRF_SECRET.toString('hex'),
      CSRF_SECRET.toString('base64'),
      'c1.',
      'secret plans',
    ]) {
      expect(trail).not.toContain(secret);
    }
  });

  it('keeps the signature and tokens out of every refusal page', async () => {
    for (const [, response] of await oneOfEach()) {
      if (response.status < 400) continue;
      expect(response.body).not.toContain('signature');
      expect(response.body).not.toContain('c1.');
    }
  });
});
