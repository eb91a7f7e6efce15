/**
 * The approval page: one framework-free request handler behind both the Lambda function URL and
 * the local server on 127.0.0.1, which convert to and from {@link PageRequest} and
 * {@link PageResponse}.
 *
 * This page is a security control. GET and HEAD only read (mail scanners fetch links and run
 * their scripts); only a POST from the page itself, carrying a CSRF token bound to this approval
 * and recipient, can decide. The link's signature is checked before the record is read, so a
 * forged link never learns whether an approval exists. Every response, refusals included, is
 * audited once, and no audit entry or page holds the signature, the CSRF secret or a token.
 */

import { z } from 'zod';
import { STATUS_PURPOSE } from '../shared/approval/links.js';
import { codeMatches, MAX_CODE_FAILURES } from '../shared/approval/one-time-code.js';
import { type ApprovalDecision, ApprovalIdSchema, type ApprovalRecord } from '../shared/contracts.js';
import {
  constantTimeEqual,
  createCsrfToken,
  csrfCookieName,
  csrfSetCookie,
  readCookie,
  verifyCsrfToken,
} from './csrf.js';
import {
  describeApprovalState,
  renderDecisionPage,
  renderDonePage,
  renderReadOnlyPage,
  renderRedirectPage,
  renderRefusalPage,
  renderStatusPage,
  STYLE_SOURCE,
} from './render.js';

/** An HTTP request as both adapters hand it over. */
export interface PageRequest {
  method: string;
  /** The path alone, without the query. */
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string | undefined>;
  /** Lowercase names. The Lambda adapter joins `event.cookies` into `cookie`. */
  headers: Record<string, string | undefined>;
  /** The decoded body (the Lambda adapter undoes base64), or null. */
  body: string | null;
  sourceIp: string | null;
}

/** An HTTP response for the adapters to send as it is. */
export interface PageResponse {
  status: number;
  headers: Record<string, string>;
  /** Set-Cookie values. */
  cookies: string[];
  body: string;
}

/** The answer of the signed-link check (see `tasks/shared/approval/links.ts`). */
export type LinkCheck =
  | { ok: true; approvalId: string; recipient: string; expiresAt: Date; keyId: string }
  | { ok: false; reason: 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' };

/** One line of the audit trail. */
export interface AuditEntry {
  at: string;
  approvalId: string | null;
  action: 'view' | 'decide' | 'refuse';
  status: number;
  /** A short fixed phrase: never a signature, token, secret or anything the person typed. */
  detail: string;
  sourceIp: string | null;
  userAgent: string | null;
}

/** Everything the handler talks to, passed in so both adapters and the tests choose. */
export interface ApprovalPageDeps {
  clock: { now(): Date };
  /** Verifies the signed link (another module implements it; inject it). */
  verifyLink(
    input: {
      approvalId: string;
      recipient: string | null;
      exp: string | null;
      sig: string | null;
      purpose?: string;
    },
    now: Date,
  ): LinkCheck;
  getApproval(approvalId: string): Promise<ApprovalRecord | null>;
  /** The one conditional write: first decision wins. 'decided' when this call decided; 'already' with the record when another came first or it is no longer PENDING or its deadline passed. */
  decide(
    approvalId: string,
    decision: ApprovalDecision,
  ): Promise<{ outcome: 'decided'; record: ApprovalRecord } | { outcome: 'already'; record: ApprovalRecord }>;
  /** Counts a one-time code try (high-risk buckets), before it is compared; returns how many there have been. */
  recordCodeFailure(approvalId: string): Promise<number>;
  /** Tells the workflow (SendTaskSuccess); throws if it could not. */
  deliverDecision(record: ApprovalRecord): Promise<void>;
  /** Append-only audit trail: every page view, refusal and decision. */
  audit(entry: AuditEntry): Promise<void>;
  /** The page's own origin, e.g. "https://abc.lambda-url.us-east-1.on.aws" or "http://127.0.0.1:8787": POST must carry this Origin. */
  origin: string;
  /** Secret used to bind CSRF tokens (HMAC) to the approval id and recipient. */
  csrfSecret: Buffer;
}

/** The largest form body accepted; the real one is a few hundred bytes. */
export const MAX_BODY_BYTES = 8 * 1024;
/** The same limit as `ApprovalDecisionSchema.reason`. */
export const MAX_REASON_CHARS = 1_000;
/**
 * User agents are kept for the record, not in full: a header can be as long as the client likes,
 * and the approval audit trail (`ApprovalAuditEntrySchema`) takes at most 300 characters.
 */
export const MAX_USER_AGENT_CHARS = 300;

/**
 * The Content-Security-Policy of every page: nothing loads, no script runs (there is no
 * `script-src`, so `default-src 'none'` forbids them), only our own stylesheet applies, forms
 * post only to this origin, and no other site can frame the page.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${STYLE_SOURCE}`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * Serves the approval page: `GET|HEAD /a/<id>` shows it, `POST /a/<id>` decides, `GET|HEAD
 * /a/<id>/done` shows the result. Errors of the dependencies (the store, the audit trail) are
 * thrown, not turned into pages: the adapter answers with {@link serverErrorResponse} and logs
 * them. A failed delivery to the workflow is the exception: the decision is already recorded,
 * so the person is told so and the failure is audited.
 */
export async function handleApprovalRequest(
  request: PageRequest,
  deps: ApprovalPageDeps,
): Promise<PageResponse> {
  const context: RequestContext = {
    now: deps.clock.now(),
    sourceIp: request.sourceIp,
    userAgent: userAgentOf(request),
  };
  const reply = await route(request, deps, context);
  await deps.audit({
    at: context.now.toISOString(),
    approvalId: reply.approvalId,
    action: reply.action,
    status: reply.status,
    detail: reply.detail,
    sourceIp: context.sourceIp,
    userAgent: context.userAgent,
  });
  return {
    status: reply.status,
    headers: { ...securityHeaders(reply.referrerPolicy ?? 'no-referrer'), ...reply.headers },
    cookies: reply.cookies ?? [],
    body: request.method === 'HEAD' ? '' : reply.body,
  };
}

/**
 * The 500 page an adapter sends when {@link handleApprovalRequest} throws, with the same
 * security headers. It promises nothing about the decision: the store may or may not hold it.
 */
export function serverErrorResponse(): PageResponse {
  return {
    status: 500,
    headers: securityHeaders('no-referrer'),
    cookies: [],
    body: renderRefusalPage(
      500,
      'Something went wrong',
      'Reload the page in a minute: it shows whether a decision was recorded.',
    ),
  };
}

interface RequestContext {
  readonly now: Date;
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
}

/** What to answer and what to audit about it. */
interface Reply {
  readonly status: number;
  readonly action: AuditEntry['action'];
  readonly approvalId: string | null;
  readonly detail: string;
  readonly body: string;
  readonly headers?: Record<string, string>;
  readonly cookies?: string[];
  /** See {@link securityHeaders}. */
  readonly referrerPolicy?: 'no-referrer' | 'same-origin';
}

/** A link that verified, for an approval that exists and a recipient among its approvers. */
interface OpenedLink {
  readonly record: ApprovalRecord;
  readonly recipient: string;
  /** `r`, `exp` and `sig` as they came, re-encoded: the form posts to it and the redirect keeps it. */
  readonly signedQuery: string;
}

/** The decision page, its result page, and the read-only status page chat messages link to. */
type Route = { readonly kind: 'page' | 'done' | 'status'; readonly id: string };

const PAGE_METHODS = ['GET', 'HEAD', 'POST'];
const READ_METHODS = ['GET', 'HEAD'];
const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
const FORM_FIELDS = ['csrf', 'decision', 'reason', 'intendedUntil', 'confirmBucket', 'code'] as const;
const DAY_MS = 24 * 60 * 60 * 1000;

async function route(request: PageRequest, deps: ApprovalPageDeps, context: RequestContext): Promise<Reply> {
  const matched = matchRoute(request.path);
  if (matched === null) {
    return refusal(404, null, 'Page not found', 'There is no page at this address.', 'no such route');
  }
  const approvalId = wellFormedId(matched.id);
  const allowed = matched.kind === 'page' ? PAGE_METHODS : READ_METHODS;
  if (!allowed.includes(request.method)) {
    return {
      ...refusal(
        405,
        approvalId,
        'Method not allowed',
        'This page does not answer that method.',
        'method not allowed',
      ),
      headers: { Allow: allowed.join(', ') },
    };
  }

  const opened = await openLink(request, matched.id, deps, context.now, matched.kind === 'status');
  if (!opened.ok) return opened.reply;
  if (matched.kind === 'status') return showStatus(request, opened.link, context.now);
  if (matched.kind === 'done') return showDone(request, opened.link, context.now);
  if (request.method === 'POST') return submitDecision(request, opened.link, deps, context);
  return showPage(request.method, opened.link, deps, context.now);
}

/** `/a/<id>`, `/a/<id>/done` or `/a/<id>/status`; the id is checked later, as part of the link. */
function matchRoute(path: string): Route | null {
  const match = /^\/a\/([^/]+)(?:\/(done|status))?$/.exec(path);
  const id = match?.[1];
  if (match === null || id === undefined) return null;
  return { kind: match[2] === 'done' ? 'done' : match[2] === 'status' ? 'status' : 'page', id };
}

/** The id for the audit trail when it has the form of one (it is not yet verified), else null. */
function wellFormedId(id: string): string | null {
  return ApprovalIdSchema.safeParse(id).success ? id : null;
}

/**
 * The checks every route makes, in this order: the link's signature (before anything is read,
 * so a forged link cannot probe for ids), the approval's existence, then the recipient: an
 * approver, or for a status link (signed for that purpose only) the chat channel it went to.
 */
async function openLink(
  request: PageRequest,
  id: string,
  deps: ApprovalPageDeps,
  now: Date,
  statusOnly: boolean,
): Promise<{ ok: true; link: OpenedLink } | { ok: false; reply: Reply }> {
  const approvalId = wellFormedId(id);
  const r = request.query.r ?? null;
  const exp = request.query.exp ?? null;
  const sig = request.query.sig ?? null;
  const invalid = (detail: string) => ({
    ok: false as const,
    reply: refusal(
      403,
      approvalId,
      'This link is not valid',
      'Open the link exactly as it came in the email.',
      detail,
    ),
  });
  if (approvalId === null) return invalid('link refused: malformed');

  const purpose = statusOnly ? STATUS_PURPOSE : undefined;
  const check = deps.verifyLink({ approvalId, recipient: r, exp, sig, ...(purpose ? { purpose } : {}) }, now);
  if (!check.ok) {
    if (check.reason === 'expired') {
      return {
        ok: false,
        reply: refusal(
          410,
          approvalId,
          'This link has expired',
          'The time to decide on this request has passed.',
          'link refused: expired',
        ),
      };
    }
    return invalid(`link refused: ${check.reason}`);
  }
  // A verifier that answered for another approval, or a link missing a part, is not this link.
  if (check.approvalId !== approvalId || r === null || exp === null || sig === null) {
    return invalid('link refused: malformed');
  }

  const record = await deps.getApproval(approvalId);
  if (record === null) {
    return {
      ok: false,
      reply: refusal(
        404,
        approvalId,
        'This request was not found',
        'There is no approval request for this link.',
        'approval not found',
      ),
    };
  }
  const recipient = check.recipient;
  // Links carry the address lowercased; approvers are compared the same way.
  if (
    !statusOnly &&
    !record.approvers.some((approver) => approver.toLowerCase() === recipient.toLowerCase())
  ) {
    return {
      ok: false,
      reply: refusal(
        403,
        approvalId,
        'This link is not valid',
        'This link was not sent to an approver of this request.',
        'recipient is not an approver',
      ),
    };
  }
  const signedQuery = new URLSearchParams({ r, exp, sig }).toString();
  return { ok: true, link: { record, recipient, signedQuery } };
}

/**
 * GET and HEAD of the page: read and render, never write. An open request gets the form and a
 * fresh CSRF cookie; a closed one (decided, expired, superseded) gets the facts read-only.
 */
function showPage(method: string, link: OpenedLink, deps: ApprovalPageDeps, now: Date): Reply {
  const { record } = link;
  const state = describeApprovalState(record, now);
  if (!state.open) {
    return {
      status: 200,
      action: 'view',
      approvalId: record.approvalId,
      detail: `${method} read-only page (${record.status})`,
      body: renderReadOnlyPage(record, state),
    };
  }
  const csrfToken = createCsrfToken(deps.csrfSecret, {
    approvalId: record.approvalId,
    recipient: link.recipient,
  });
  const bounds = intendedUntilBounds(now);
  return {
    status: 200,
    action: 'view',
    approvalId: record.approvalId,
    detail: `${method} decision page`,
    body: renderDecisionPage(record, {
      formAction: `/a/${record.approvalId}?${link.signedQuery}`,
      csrfToken,
      intendedUntilMin: utcDateText(bounds.earliest),
      intendedUntilMax: utcDateText(bounds.latest),
    }),
    cookies: [csrfSetCookie(deps.origin, record.approvalId, csrfToken)],
    referrerPolicy: 'same-origin',
  };
}

/** The status page of a chat message's link: the request as it stands, never a form. */
function showStatus(request: PageRequest, link: OpenedLink, now: Date): Reply {
  return {
    status: 200,
    action: 'view',
    approvalId: link.record.approvalId,
    detail: `${request.method} status page for ${link.recipient}`,
    body: renderStatusPage(link.record, describeApprovalState(link.record, now)),
  };
}

/** The result page. `delivery=pending` only changes a sentence, so it need not be signed. */
function showDone(request: PageRequest, link: OpenedLink, now: Date): Reply {
  return {
    status: 200,
    action: 'view',
    approvalId: link.record.approvalId,
    detail: `${request.method} done page`,
    body: renderDonePage(link.record, now, { deliveryPending: request.query.delivery === 'pending' }),
  };
}

/**
 * POST: the request's form, then its origin and CSRF token, then the approval's state, then the
 * fields, and only then the one conditional write. Any refusal leaves the approval untouched.
 */
async function submitDecision(
  request: PageRequest,
  link: OpenedLink,
  deps: ApprovalPageDeps,
  context: RequestContext,
): Promise<Reply> {
  const { record } = link;
  const approvalId = record.approvalId;
  const refuse = (status: number, title: string, reason: string, detail: string) =>
    refusal(status, approvalId, title, reason, detail);

  const body = request.body ?? '';
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
    return refuse(
      413,
      'The form is too large',
      'The form sent more than this page accepts.',
      'body too large',
    );
  }
  if (mediaType(request.headers['content-type']) !== FORM_CONTENT_TYPE) {
    return refuse(
      415,
      'The form could not be read',
      'Send the decision with the form on the approval page.',
      'wrong content type',
    );
  }
  const originRefusal = checkOrigin(request, deps.origin);
  if (originRefusal !== null) {
    return refuse(
      403,
      'This form was not sent from the approval page',
      'Open the link from the email and decide on that page.',
      originRefusal,
    );
  }

  const form = new URLSearchParams(body);
  const csrfRefusal = checkCsrf(request, form, deps, { approvalId, recipient: link.recipient });
  if (csrfRefusal !== null) {
    return refuse(
      403,
      'The form could not be verified',
      'Open the approval page again from the link in your email, then decide on it.',
      csrfRefusal,
    );
  }

  const state = describeApprovalState(record, context.now);
  if (!state.open) {
    return refuse(
      409,
      'This request can no longer be decided',
      state.headline,
      `not open (${record.status})`,
    );
  }

  const fields = parseDecisionForm(form, record, context.now);
  if (!fields.ok) return refuse(400, 'The decision could not be recorded', fields.reason, fields.detail);
  if (record.highRisk) {
    const codeRefusal = await checkOneTimeCode(record, link.recipient, fields.value.code, deps);
    if (codeRefusal !== null)
      return refuse(403, 'The decision could not be recorded', codeRefusal, 'one-time code refused');
  }

  const decision: ApprovalDecision = {
    decision: fields.value.decision,
    approver: link.recipient,
    by: 'person',
    at: context.now.toISOString(),
    sourceIp: context.sourceIp,
    userAgent: context.userAgent,
    reason: fields.value.reason,
    intendedUntil: fields.value.intendedUntil?.toISOString() ?? null,
  };
  const result = await deps.decide(approvalId, decision);
  if (result.outcome === 'already') {
    const after = describeApprovalState(result.record, context.now);
    const line = after.open ? 'Another decision is being recorded; reload the page.' : after.headline;
    return refuse(409, 'This request can no longer be decided', line, 'lost the race: already decided');
  }

  const delivery = await deliver(result.record, deps);
  const location = `/a/${approvalId}/done?${link.signedQuery}${delivery.ok ? '' : '&delivery=pending'}`;
  return {
    status: 303,
    action: 'decide',
    approvalId,
    detail: delivery.ok
      ? `decided ${decision.decision}`
      : `decided ${decision.decision}; delivery to the workflow failed (${delivery.errorName})`,
    body: renderRedirectPage(),
    headers: { Location: location },
  };
}

/**
 * A high-risk bucket's one-time code. Every try is counted in the store before the code is
 * compared (one atomic ADD each), so parallel guesses cannot get past the limit either.
 */
async function checkOneTimeCode(
  record: ApprovalRecord,
  recipient: string,
  code: string,
  deps: ApprovalPageDeps,
): Promise<string | null> {
  const locked =
    'Too many one-time code tries: this request can no longer be decided here. It expires unchanged; ask the operators for a new one.';
  if (record.codeFailures >= MAX_CODE_FAILURES) return locked;
  const tries = await deps.recordCodeFailure(record.approvalId);
  if (tries > MAX_CODE_FAILURES) return locked;
  if (codeMatches(record.approvalId, recipient, code.trim(), record.codeHashes[recipient.toLowerCase()]))
    return null;
  return tries >= MAX_CODE_FAILURES
    ? locked
    : `The one-time code is not right (${tries} of ${MAX_CODE_FAILURES} tries used). It came in a separate email.`;
}

/**
 * Tells the workflow. The decision is already recorded when this runs, so a failure here must
 * not look like a lost decision: it is reported to the caller, which audits it and tells the
 * person the decision is recorded and being delivered, instead of showing an error page that
 * invites a second attempt.
 */
async function deliver(
  record: ApprovalRecord,
  deps: ApprovalPageDeps,
): Promise<{ ok: true } | { ok: false; errorName: string }> {
  try {
    await deps.deliverDecision(record);
    return { ok: true };
  } catch (error) {
    // Only the error's name: its message could quote a task token.
    const name = error instanceof Error ? error.name : '';
    return { ok: false, errorName: /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : 'Error' };
  }
}

/** Null when the Origin is ours (and Sec-Fetch-Site, when sent, agrees), else the audit detail. */
function checkOrigin(request: PageRequest, ownOrigin: string): string | null {
  const origin = request.headers.origin;
  if (origin === undefined) return 'origin missing';
  if (origin !== new URL(ownOrigin).origin) return 'foreign origin';
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return 'not same-origin (sec-fetch-site)';
  return null;
}

/** Null when the cookie and the field carry the same token, valid for this approval and recipient. */
function checkCsrf(
  request: PageRequest,
  form: URLSearchParams,
  deps: ApprovalPageDeps,
  binding: { approvalId: string; recipient: string },
): string | null {
  const cookie = readCookie(request.headers.cookie, csrfCookieName(deps.origin, binding.approvalId));
  if (cookie === null || cookie === '') return 'csrf cookie missing';
  const fields = form.getAll('csrf');
  const field = fields[0];
  if (field === undefined || field === '' || fields.length > 1) return 'csrf field missing';
  if (!constantTimeEqual(cookie, field)) return 'csrf token mismatch';
  if (!verifyCsrfToken(deps.csrfSecret, field, binding)) return 'csrf token invalid';
  return null;
}

type ParsedForm =
  | {
      ok: true;
      value: {
        decision: ApprovalDecision['decision'];
        reason: string | null;
        intendedUntil: Date | null;
        code: string;
      };
    }
  | { ok: false; reason: string; detail: string };

/**
 * The decision fields, checked against the record and the clock. Each message is fixed text
 * shown to the person (never an echo of what was sent); the audit gets the field's name.
 */
export function parseDecisionForm(form: URLSearchParams, record: ApprovalRecord, now: Date): ParsedForm {
  const repeated = FORM_FIELDS.find((name) => form.getAll(name).length > 1);
  if (repeated !== undefined) {
    return {
      ok: false,
      reason: 'The form sent a field more than once.',
      detail: `repeated field ${repeated}`,
    };
  }
  const parsed = decisionFormSchema(record, now).safeParse({
    decision: form.get('decision') ?? undefined,
    reason: form.get('reason') ?? '',
    intendedUntil: form.get('intendedUntil') ?? '',
    confirmBucket: form.get('confirmBucket') ?? '',
    code: form.get('code') ?? '',
  });
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    reason: issue?.message ?? 'The form is not valid.',
    detail: `invalid field ${String(issue?.path[0] ?? 'form')}`,
  };
}

/**
 * The form's rules. The reason's line breaks are counted as one character each (browsers send
 * CRLF, and `maxlength` counts one), so the page's limit and ours agree.
 */
function decisionFormSchema(record: ApprovalRecord, now: Date) {
  const bounds = intendedUntilBounds(now);
  return z
    .object({
      decision: z.enum(['APPROVED', 'REJECTED'], { error: 'Choose Approve or Reject.' }),
      reason: z
        .string()
        .transform((text) => text.replaceAll('\r\n', '\n').trim())
        .pipe(
          z
            .string()
            .max(MAX_REASON_CHARS, { error: `The reason is longer than ${MAX_REASON_CHARS} characters.` }),
        )
        .transform((text) => (text === '' ? null : text)),
      intendedUntil: z.string().transform((text, ctx) => {
        const trimmed = text.trim();
        if (trimmed === '') return null;
        const date = parseUtcDate(trimmed);
        if (date === null) {
          ctx.addIssue({ code: 'custom', message: 'The intended-until date is not a date (YYYY-MM-DD).' });
          return z.NEVER;
        }
        if (date.getTime() < bounds.earliest.getTime() || date.getTime() > bounds.latest.getTime()) {
          ctx.addIssue({
            code: 'custom',
            message: 'The intended-until date must be in the future, within one year.',
          });
          return z.NEVER;
        }
        return date;
      }),
      confirmBucket: z.string(),
      code: z.string().max(32, { error: 'The one-time code is six digits.' }),
    })
    .superRefine((form, ctx) => {
      if (form.decision === 'APPROVED' && form.intendedUntil !== null) {
        ctx.addIssue({
          code: 'custom',
          path: ['intendedUntil'],
          message: 'An intended-until date goes with a rejection only; clear it to approve.',
        });
      }
      if (record.highRisk && form.confirmBucket.trim() !== record.bucket) {
        ctx.addIssue({
          code: 'custom',
          path: ['confirmBucket'],
          message: 'This bucket is high-risk: type its name exactly to confirm.',
        });
      }
    });
}

/**
 * The range an "intended until" date (00:00 UTC of the day) may take: after now, and no more
 * than one year ahead. `earliest` is the first such midnight; `latest` the last.
 */
function intendedUntilBounds(now: Date): { earliest: Date; latest: Date } {
  const tomorrow = new Date(now.getTime() + DAY_MS);
  const earliest = new Date(
    Date.UTC(tomorrow.getUTCFullYear(), tomorrow.getUTCMonth(), tomorrow.getUTCDate()),
  );
  const inOneYear = new Date(now.getTime());
  inOneYear.setUTCFullYear(inOneYear.getUTCFullYear() + 1);
  const latest = new Date(
    Date.UTC(inOneYear.getUTCFullYear(), inOneYear.getUTCMonth(), inOneYear.getUTCDate()),
  );
  return { earliest, latest };
}

/** `YYYY-MM-DD` as 00:00 UTC of that day, or null for anything else (2025-02-30 included). */
function parseUtcDate(text: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  const sameDay =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return sameDay ? date : null;
}

function utcDateText(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The media type without parameters, lowercased: `application/x-www-form-urlencoded; charset=UTF-8` counts. */
function mediaType(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function userAgentOf(request: PageRequest): string | null {
  const agent = request.headers['user-agent'];
  return agent === undefined || agent === '' ? null : agent.slice(0, MAX_USER_AGENT_CHARS);
}

function refusal(
  status: number,
  approvalId: string | null,
  title: string,
  reason: string,
  detail: string,
): Reply {
  return { status, action: 'refuse', approvalId, detail, body: renderRefusalPage(status, title, reason) };
}

/**
 * The headers of every response. The decision page alone says `Referrer-Policy: same-origin`
 * instead of `no-referrer`: under `no-referrer` browsers send `Origin: null` with the form's
 * POST (Fetch, "append a request Origin header"), and the POST must carry our Origin.
 * `same-origin` still sends no referrer to any other site, so the signed link stays home.
 */
function securityHeaders(referrerPolicy: 'no-referrer' | 'same-origin'): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Referrer-Policy': referrerPolicy,
    'X-Robots-Tag': 'noindex, nofollow',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  };
}
