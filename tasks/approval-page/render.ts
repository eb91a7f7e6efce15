/**
 * The approval page's HTML, as pure functions from plain data to text. Every value that comes
 * from a record or a request goes through {@link escapeHtml}; the pages carry no script, no
 * event handler and no external resource, so a mail scanner that runs page JavaScript finds
 * nothing to run, and the Content-Security-Policy can forbid scripts outright.
 */

import { createHash } from 'node:crypto';
import type { ApprovalDecision, ApprovalRecord } from '../shared/contracts.js';
import { escapeHtml } from '../shared/messages/html.js';

/**
 * The only style on any page. Its hash goes into the Content-Security-Policy, so no other inline
 * style (an injected one included) applies.
 */
export const STYLESHEET = [
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f6;color:#111}',
  'main{max-width:46rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border:1px solid #ddd}',
  'h1{font-size:1.4rem;margin-top:0}h2{font-size:1.1rem;margin-bottom:.25rem}',
  'dt{font-weight:600}dd{margin:0 0 .5rem 0}code{overflow-wrap:anywhere}',
  'label{display:block;font-weight:600;margin-top:1rem}',
  'textarea,input[type=text]{width:100%;box-sizing:border-box;font:inherit}',
  'fieldset{margin-top:1rem;border:1px solid #ccc}',
  '.actions{margin-top:1.5rem;display:flex;gap:1rem}',
  '.actions button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}',
  '.approve{background:#0a6b2d;color:#fff;border:0}.reject{background:#a3161a;color:#fff;border:0}',
  '.status{font-size:1.1rem;font-weight:600}.small{color:#555;font-size:.9rem}',
].join('');

/** The CSP source that allows {@link STYLESHEET} and nothing else: `'sha256-<base64>'`. */
export const STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLESHEET, 'utf8').digest('base64')}'`;

/** Whether a decision can still be made here, and if not, the one line that says why. */
export type ApprovalState =
  | { readonly open: true }
  | { readonly open: false; readonly headline: string; readonly detail: string | null };

/** What the decision form needs beyond the record: where it posts, its token and its date limits. */
export interface DecisionFormView {
  /** The page's own path and signed query: the POST is link-verified like the GET. */
  readonly formAction: string;
  readonly csrfToken: string;
  /** The earliest and latest "intended until" dates accepted, as YYYY-MM-DD (UTC). */
  readonly intendedUntilMin: string;
  readonly intendedUntilMax: string;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * A UTC instant as a person reads it, "Tuesday 4 March 2025 at 14:05 UTC". Spelled out by hand,
 * not through Intl, so the text does not change with the runtime's ICU data.
 */
export function formatUtcHuman(date: Date): string {
  const day = DAYS[date.getUTCDay()] ?? '';
  const month = MONTHS[date.getUTCMonth()] ?? '';
  const hours = String(date.getUTCHours()).padStart(2, '0');
  const minutes = String(date.getUTCMinutes()).padStart(2, '0');
  return `${day} ${date.getUTCDate()} ${month} ${date.getUTCFullYear()} at ${hours}:${minutes} UTC`;
}

/** One decision as a line: "APPROVED by alice@example.com at 2025-03-04T14:05:00.000Z (reason)". */
export function decisionSummary(decision: ApprovalDecision): string {
  const reason = decision.reason === null ? '' : ` (${decision.reason})`;
  return `${decision.decision} by ${decision.approver} at ${decision.at}${reason}`;
}

/**
 * Whether `record` can still be decided at `now`: PENDING and before its deadline. Otherwise the
 * line the read-only page and the 409 page show: who decided and when, or that it expired or
 * was superseded. A PENDING record past its deadline reads as expired, whatever the sweep has
 * not yet written.
 */
export function describeApprovalState(record: ApprovalRecord, now: Date): ApprovalState {
  const expired = () => ({
    open: false as const,
    headline: `Expired at ${record.expiresAt} (${formatUtcHuman(new Date(record.expiresAt))})`,
    detail: 'Nothing was decided on this request; the responder follows its rule for unanswered requests.',
  });
  switch (record.status) {
    case 'PENDING':
      return now.getTime() >= Date.parse(record.expiresAt) ? expired() : { open: true };
    case 'EXPIRED':
      return expired();
    case 'SUPERSEDED':
      return {
        open: false,
        headline: 'Superseded by a newer request',
        detail:
          record.supersededBy === null
            ? 'Use the link in the newer email.'
            : `The newer request is ${record.supersededBy}; use the link in its email.`,
      };
    case 'APPROVED':
    case 'REJECTED': {
      const decision = record.decision;
      if (decision === null)
        return { open: false, headline: `Already decided: ${record.status}`, detail: null };
      return {
        open: false,
        headline: `Already decided: ${decisionSummary(decision)}`,
        detail:
          decision.intendedUntil === null
            ? null
            : `The exposure is intended until ${decision.intendedUntil}.`,
      };
    }
  }
}

/** The page where a person decides: what is public and why, what will change, and the form. */
export function renderDecisionPage(record: ApprovalRecord, view: DecisionFormView): string {
  return renderDocument(
    `Decide: fix public bucket ${record.bucket}`,
    [
      '<h1>A public S3 bucket: approve or reject the fix</h1>',
      `<p>The S3 bucket <code>${escapeHtml(record.bucket)}</code> is public. The responder has planned a fix and waits for your decision.</p>`,
      renderFacts(record),
      renderPlan(record),
      renderForm(record, view),
      `<p class="small">Plan ${escapeHtml(record.plan.hash)}. Approving approves exactly this plan; a wider exposure starts a new request.</p>`,
    ].join('\n'),
  );
}

/** The same facts without a form, for a request that can no longer be decided here. */
export function renderReadOnlyPage(
  record: ApprovalRecord,
  state: Extract<ApprovalState, { open: false }>,
): string {
  return renderDocument(
    `Public bucket ${record.bucket}: no decision needed`,
    [
      '<h1>This request can no longer be decided</h1>',
      renderStatus(state),
      renderFacts(record),
      renderPlan(record),
    ].join('\n'),
  );
}

/**
 * The status page a chat message links to: the same facts, read-only, whoever opens it. Deciding
 * takes an approver's own link, so the channel's members see the request but cannot answer it.
 */
export function renderStatusPage(record: ApprovalRecord, state: ApprovalState): string {
  const status = state.open
    ? [
        `<p class="status">Waiting for a decision until ${escapeHtml(record.expiresAt)} (${escapeHtml(formatUtcHuman(new Date(record.expiresAt)))}).</p>`,
        '<p>The approvers decide from the link in their own email; this page cannot decide.</p>',
      ].join('\n')
    : renderStatus(state);
  return renderDocument(
    `Public bucket ${record.bucket}: approval status`,
    ['<h1>Approval request: status</h1>', status, renderFacts(record), renderPlan(record)].join('\n'),
  );
}

/**
 * The page after a decision (the POST-redirect-GET target), showing the record as it is now.
 * When delivery to the workflow failed, it says the decision is recorded and on its way, so
 * nobody decides twice.
 */
export function renderDonePage(
  record: ApprovalRecord,
  now: Date,
  options: { readonly deliveryPending: boolean },
): string {
  const state = describeApprovalState(record, now);
  const decision = record.decision;
  let body: string[];
  if (state.open) {
    body = [
      '<h1>No decision recorded yet</h1>',
      '<p>Open the link in your email to see the request and decide.</p>',
    ];
  } else if ((record.status === 'APPROVED' || record.status === 'REJECTED') && decision !== null) {
    body = [
      '<h1>Decision recorded</h1>',
      `<p class="status">Recorded: ${escapeHtml(decisionSummary(decision))}</p>`,
      options.deliveryPending
        ? '<p>The decision is recorded and is being delivered to the remediation workflow. You do not need to decide again.</p>'
        : '<p>The remediation workflow acts on it. You can close this page.</p>',
    ];
  } else {
    body = ['<h1>This request can no longer be decided</h1>', renderStatus(state)];
  }
  return renderDocument(
    `Public bucket ${record.bucket}: decision`,
    [
      ...body,
      `<p class="small">Bucket <code>${escapeHtml(record.bucket)}</code> in account ${escapeHtml(record.accountId)}.</p>`,
    ].join('\n'),
  );
}

/** A refusal: the status, a title and one line saying why. Holds nothing from the request. */
export function renderRefusalPage(status: number, title: string, reason: string): string {
  return renderDocument(
    title,
    [
      `<h1>${escapeHtml(title)}</h1>`,
      `<p>${escapeHtml(reason)}</p>`,
      `<p class="small">HTTP ${status}</p>`,
    ].join('\n'),
  );
}

/** The body of the 303 after a decision; browsers follow the Location header instead. */
export function renderRedirectPage(): string {
  return renderDocument(
    'Decision recorded',
    '<h1>Decision recorded</h1>\n<p>Continuing to the result page.</p>',
  );
}

function renderDocument(title: string, main: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex, nofollow">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLESHEET}</style>`,
    '</head>',
    '<body>',
    '<main>',
    main,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function renderStatus(state: Extract<ApprovalState, { open: false }>): string {
  const detail = state.detail === null ? '' : `\n<p>${escapeHtml(state.detail)}</p>`;
  return `<p class="status">${escapeHtml(state.headline)}</p>${detail}`;
}

function renderFacts(record: ApprovalRecord): string {
  const deadline = new Date(record.expiresAt);
  const fact = (term: string, value: string) => `<dt>${term}</dt><dd>${value}</dd>`;
  return [
    '<dl>',
    fact('Bucket', `<code>${escapeHtml(record.bucket)}</code>`),
    fact('Account', escapeHtml(record.accountId)),
    fact('Region', escapeHtml(record.region)),
    fact('Severity', escapeHtml(record.severity)),
    fact('Macie', escapeHtml(record.macie ?? 'not scanned')),
    fact(
      'Deadline',
      `<time datetime="${escapeHtml(record.expiresAt)}">${escapeHtml(formatUtcHuman(deadline))}</time> (${escapeHtml(record.expiresAt)})`,
    ),
    '</dl>',
  ].join('\n');
}

function renderPlan(record: ApprovalRecord): string {
  return [
    '<h2>Why it is public</h2>',
    `<p>${escapeHtml(record.summary)}</p>`,
    renderList('ul', record.reasons, 'No reasons recorded.'),
    '<h2>Exactly what will change</h2>',
    renderList('ol', record.plan.changes, 'No changes listed.'),
    '<h2>Where the backup goes</h2>',
    `<p>${record.backupLocation === null ? 'No backup location recorded.' : `<code>${escapeHtml(record.backupLocation)}</code>`}</p>`,
    '<h2>Blast radius</h2>',
    renderList('ul', record.plan.blastRadius, 'Nothing known to depend on this access.'),
  ].join('\n');
}

function renderList(tag: 'ul' | 'ol', items: readonly string[], empty: string): string {
  if (items.length === 0) return `<p>${escapeHtml(empty)}</p>`;
  return `<${tag}>${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</${tag}>`;
}

/**
 * A plain form, no script. Its first submit button is a disabled, hidden one: pressing Enter in
 * a text field submits through the first button, and a disabled one makes Enter do nothing, so
 * typing the bucket name and pressing Enter never approves by accident.
 */
function renderForm(record: ApprovalRecord, view: DecisionFormView): string {
  const confirm = record.highRisk
    ? [
        `<label for="confirmBucket">This bucket is marked high-risk. Type its name, <code>${escapeHtml(record.bucket)}</code>, to confirm</label>`,
        '<input type="text" id="confirmBucket" name="confirmBucket" required autocomplete="off" autocapitalize="off" spellcheck="false">',
        '<label for="code">The one-time code from the separate email</label>',
        '<input type="text" id="code" name="code" required inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code">',
      ]
    : [];
  return [
    `<form method="post" action="${escapeHtml(view.formAction)}">`,
    '<button type="submit" disabled hidden tabindex="-1" aria-hidden="true">No default action</button>',
    `<input type="hidden" name="csrf" value="${escapeHtml(view.csrfToken)}">`,
    ...confirm,
    '<label for="reason">Reason (optional, at most 1000 characters)</label>',
    '<textarea id="reason" name="reason" maxlength="1000" rows="4"></textarea>',
    '<fieldset>',
    '<legend>Only if you reject</legend>',
    '<label for="intendedUntil">The exposure is intended until (optional; 00:00 UTC on this date, within a year)</label>',
    `<input type="date" id="intendedUntil" name="intendedUntil" min="${escapeHtml(view.intendedUntilMin)}" max="${escapeHtml(view.intendedUntilMax)}">`,
    '</fieldset>',
    '<div class="actions">',
    '<button type="submit" class="approve" name="decision" value="APPROVED">Approve the fix</button>',
    '<button type="submit" class="reject" name="decision" value="REJECTED">Reject</button>',
    '</div>',
    '</form>',
  ].join('\n');
}
