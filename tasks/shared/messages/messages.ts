/**
 * Plain-text messages for people: the alert a SOC engineer reads at a glance, the notice that
 * an exposure ended, and the operators' failure notice. Pure: `email.ts` sends them.
 *
 * They name buckets, object keys, actors and source IPs, and link to the consoles; they never
 * carry task tokens, signed links, keys or object contents (every text is scrubbed at the end,
 * as a second line of defence against such values hiding in outside text). Each line of a body
 * is kept to one line ({@link singleLine}): an object key or an actor comes from outside, and a
 * line break in it must not start a line that reads as ours ("Approved: yes").
 */

import type { ExposureVerdict, Incident, IncidentEvent } from '../contracts.js';
import { describeMacieSummary, describeMitigation, exposureLabel } from '../describe.js';
import {
  closedWords,
  exposedObjectKeys,
  scrubSecrets,
  summarizeCause,
  truncateText,
} from '../findings/finding.js';
import { escapeHtml } from './html.js';

/** A message ready to send on any channel. */
export interface Message {
  readonly subject: string;
  readonly text: string;
  /** An HTML rendering for email, where one helps the reader act (the approval request). */
  readonly html?: string;
}

/** Where a reader goes next: the execution in the Step Functions console, and the bucket. */
export interface MessageLinks {
  readonly execution: string;
  readonly bucket: string;
}

/** At most this many object keys are listed in a message; the rest are counted. */
export const MAX_LISTED_KEYS = 20;
const MAX_LISTED_REASONS = 20;
const MAX_LISTED_FIXES = 20;
const MAX_LISTED_EVENTS = 10;
/** Subjects stay short: mail clients cut them anyway, and a bucket name is at most 63 characters. */
const MAX_SUBJECT = 160;

/** Control characters, and the Unicode line and paragraph separators that mail readers may break at. */
const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/gu;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` on one line: each control character is written out where it stands (a line break as
 * `\n`, others as `\u001b`), so it stays visible to the reader instead of breaking the line.
 */
export function singleLine(text: string): string {
  return text.replace(
    CONTROL_CHARACTERS,
    (c) => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function subjectLine(text: string): string {
  // One line: a newline in a subject would be a header injection in a raw message.
  return truncateText(scrubSecrets(singleLine(text.replace(/\s+/g, ' ').trim())), MAX_SUBJECT);
}

/** Each entry of `lines` is one line of the body: whatever outside text it holds stays on it. */
function finish(subject: string, lines: readonly string[]): Message {
  const text = lines.map(singleLine).join('\n');
  return { subject: subjectLine(subject), text: `${scrubSecrets(text).trimEnd()}\n` };
}

/** A section: a heading and bullet lines, at most `max` of them, then "and N more". */
function section(heading: string, items: readonly string[], max: number, noun: string): string[] {
  if (items.length === 0) return [];
  const lines = [heading, ...items.slice(0, max).map((item) => `  - ${item}`)];
  if (items.length > max) lines.push(`  - and ${items.length - max} more ${noun}`);
  lines.push('');
  return lines;
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** A duration as a person says it: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(milliseconds: number): string {
  if (!Number.isFinite(milliseconds) || milliseconds < 0) return 'unknown';
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

function exposurePhrase(v: ExposureVerdict): string {
  if (v.publicWrite) return v.publicRead ? 'is public (read and write)' : 'is public (write)';
  if (v.effectivelyPublic) return 'is public';
  if (v.crossAccount) return 'is shared with other accounts';
  if (v.unknown.length > 0) return 'could not be fully assessed';
  if (v.latent.length > 0) return 'has masked public settings';
  return 'is not public';
}

function describeEvent(event: IncidentEvent): string {
  const who = event.actor ?? 'an unknown caller';
  const from = event.sourceIp ? ` from ${event.sourceIp}` : '';
  const objects =
    event.keys.length > 0 ? ` (${event.keys.length} object${event.keys.length === 1 ? '' : 's'})` : '';
  return `${event.time} ${event.eventName} by ${who}${from}${objects}`;
}

function whatHappensNext(incident: Incident): string[] {
  switch (incident.mode) {
    case 'notify':
      return [
        'Notify only: nothing will be changed. Fix the bucket yourself with the steps above, or ask its owner to.',
      ];
    case 'approve':
      return [
        'Approval requests come in a later version; until then this mode behaves as notify: nothing will be',
        'changed. Fix the bucket yourself with the steps above, or ask its owner to.',
      ];
    case 'auto':
      return [
        'Automatic response: the responder backs up the current settings, applies the fixes above and checks',
        'that they worked. You will get the outcome.',
      ];
  }
}

function linkLines(links: { execution: string; bucket: string | null }): string[] {
  return [
    'Links:',
    `  Execution: ${links.execution}`,
    ...(links.bucket === null ? [] : [`  Bucket:    ${links.bucket}`]),
    '',
  ];
}

function where(incident: Incident): string {
  return `S3 bucket ${incident.bucket} in account ${incident.accountId} (${incident.region})`;
}

/**
 * The first alert of an exposure: what is public and why, who did it, the mode and what happens
 * next, and the links. When the Security Hub finding could not be written, pass the problem and
 * the alert says so ({@link securityHubUnavailableNote}).
 */
export function exposureAlert(
  incident: Incident,
  links: MessageLinks,
  options: { findingProblem?: string | null } = {},
): Message {
  const v = incident.verdict;
  const keys = exposedObjectKeys(incident);
  const lines = [
    `${where(incident)} ${v.effectivelyPublic ? `is ${exposureLabel(v)}` : exposurePhrase(v)}.`,
    `Severity: ${v.severity}`,
    '',
    ...section('What is public and why:', unique(v.reasons.map((r) => r.why)), MAX_LISTED_REASONS, 'reasons'),
    ...section(`Public objects (${keys.length}):`, keys, MAX_LISTED_KEYS, 'objects'),
    ...section(
      'Could not assess:',
      v.unknown.map((u) => `${u.part}${u.key ? ` "${u.key}"` : ''}: ${u.why}`),
      MAX_LISTED_REASONS,
      'parts',
    ),
    ...section(
      'What a fix would change:',
      incident.proposal?.changes ?? unique(v.mitigations.map(describeMitigation)),
      MAX_LISTED_FIXES,
      'fixes',
    ),
    ...section('Blast radius:', incident.proposal?.blastRadius ?? [], MAX_LISTED_FIXES, 'notes'),
    ...section('Who did it:', incident.events.map(describeEvent), MAX_LISTED_EVENTS, 'events'),
    'What happens next:',
    ...whatHappensNext(incident).map((line) => `  ${line}`),
    `  (mode ${incident.mode}: ${incident.modeReason})`,
    '',
    ...linkLines(links),
    ...(options.findingProblem ? [...securityHubUnavailableLines(options.findingProblem), ''] : []),
    `Incident ${incident.incidentId}`,
  ];
  return finish(`[${v.severity}] S3 bucket ${incident.bucket} ${exposurePhrase(v)}`, lines);
}

const RESOLVED_PHRASES = {
  REMEDIATED: 'was fixed',
  NOT_PUBLIC: 'is no longer public',
  BUCKET_DELETED: 'was deleted',
} as const;

function decisionLine(incident: Incident): string[] {
  const d = incident.decision;
  if (d === null) return [];
  const text = (key: string) => {
    const value = d[key];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  const decision = text('decision');
  if (decision === null) return [];
  const by = text('by');
  const at = text('at');
  const reason = text('reason');
  return [
    `Decision: ${decision}${by ? ` by ${by}` : ''}${at ? ` at ${at}` : ''}${reason ? ` (${truncateText(scrubSecrets(reason), 200)})` : ''}`,
  ];
}

/** What the responder changed, from what backup, and how to undo it. */
function remediationLines(incident: Incident): string[] {
  const r = incident.remediation;
  if (!r) return [];
  return [
    ...section('What the responder changed:', r.plan, MAX_LISTED_FIXES, 'changes'),
    `Before: ${r.before.summary}. After: ${r.after?.summary ?? 'not verified'}.`,
    `Backup of the previous configuration: ${r.backup.location}`,
    `To undo: s3-exposure rollback --incident ${incident.incidentId}`,
    '',
  ];
}

/**
 * The notice that an exposure ended: the bucket is not public any more, was fixed, or was
 * deleted, with the exposure window from the first event to containment (or `now`).
 */
export function resolvedNotice(incident: Incident, links: MessageLinks, now: Date = new Date()): Message {
  const v = incident.verdict;
  const phrase = incident.closedReason ? RESOLVED_PHRASES[incident.closedReason] : 'exposure ended';
  const start = incident.timings.eventTime;
  const end = incident.timings.containedAt ?? now.toISOString();
  const window = formatDuration(Date.parse(end) - Date.parse(start));
  const reasons = v.effectivelyPublic ? unique(v.reasons.map((r) => r.why)) : [];
  const lines = [
    `${where(incident)} ${phrase}. The incident is closed (${closedWords(incident)}).`,
    '',
    `Exposed from ${start} to ${end}${incident.timings.containedAt === null ? ' (now)' : ''}: ${window}.`,
    `Response: ${incident.response} (mode ${incident.mode})`,
    ...decisionLine(incident),
    // The incident's verdict may be the exposure it answered or the private reading that closed it.
    ...(v.effectivelyPublic ? [`Exposure: ${exposureLabel(v)} [${v.severity}]`] : []),
    '',
    ...section('What was public and why:', reasons, MAX_LISTED_REASONS, 'reasons'),
    ...section('Who changed it:', incident.events.map(describeEvent), MAX_LISTED_EVENTS, 'events'),
    ...remediationLines(incident),
    ...linkLines(links),
    `Incident ${incident.incidentId}`,
  ];
  return finish(`[${v.severity}] Resolved: S3 bucket ${incident.bucket} ${phrase}`, lines);
}

/** A failed execution, as the operators' notice needs it. */
export interface FailureNoticeInput {
  readonly executionId: string;
  readonly bucket: string | null;
  /** The `Catch` result: `{ Error, Cause }`; the cause is summarised, never dumped. */
  readonly error: { Error: string; Cause?: unknown };
  readonly links: { execution: string; bucket: string | null };
}

/** The operators' notice that an execution failed, and that an exposure may be unanswered. */
export function failureNotice(input: FailureNoticeInput): Message {
  // Scrubbed before it is shortened: a secret cut in half would no longer be recognised.
  const errorName = truncateText(scrubSecrets(input.error.Error || 'UnknownError'), 128);
  const lines = [
    'An execution of the S3 exposure responder failed.',
    '',
    `Execution: ${input.executionId}`,
    `Bucket:    ${input.bucket ?? 'not known (the failure came before the bucket was found)'}`,
    `Error:     ${errorName}`,
    `Cause:     ${summarizeCause(input.error.Cause, 500)}`,
    '',
    input.bucket === null
      ? 'An exposure may have gone unanswered: the execution history shows the event and the state that failed.'
      : `Bucket ${input.bucket} may still be exposed: check its permissions and the execution history.`,
    '',
    ...linkLines(input.links),
  ];
  return finish(
    `[HIGH] S3 exposure responder failed${input.bucket === null ? '' : ` on ${input.bucket}`}: ${errorName}`,
    lines,
  );
}

/**
 * The paragraph an alert appends when its Security Hub finding could not be written, so the
 * reader knows the email is the record to keep for now.
 */
export function securityHubUnavailableNote(problem: string): string {
  return securityHubUnavailableLines(problem).join('\n');
}

function securityHubUnavailableLines(problem: string): string[] {
  return [
    `Security Hub: the finding could not be written (${singleLine(truncateText(scrubSecrets(problem), 300))}).`,
    'The incident is recorded by the responder; this email stands in for the finding until Security Hub',
    'is enabled in this account and Region.',
  ];
}

/** The Macie scan as a request can tell it: it runs beside, so usually not finished yet. */
function macieStatus(incident: Incident): string {
  return incident.macie
    ? describeMacieSummary(incident.macie)
    : 'no result yet; the page shows the scan as it runs';
}

/**
 * The request for a decision: the alert itself, headed by the one "Review and decide" link of
 * this approver and the deadline in UTC. No decision can be made from the message: the link
 * opens a page that shows the plan and asks.
 */
export function approvalRequest(
  incident: Incident,
  links: MessageLinks,
  request: { readonly link: string; readonly expiresAt: string },
): Message {
  const alert = exposureAlert(incident, links);
  const deadline = `${request.expiresAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC`;
  const lines = [
    'A decision is needed: the responder will change nothing until an approver decides.',
    '',
    `Review and decide: ${request.link}`,
    `Deadline: ${deadline}; after it, nothing changes and you are told.`,
    `Sensitive data scan (Macie): ${macieStatus(incident)}.`,
    '',
    alert.text,
  ];
  return {
    subject: `Decision needed: ${alert.subject}`.slice(0, MAX_SUBJECT),
    text: lines.join('\n'),
    html: approvalRequestHtml(incident, request.link, deadline, alert.text),
  };
}

function htmlList(heading: string, items: readonly string[]): string {
  if (items.length === 0) return '';
  const shown = items.slice(0, MAX_LISTED_REASONS).map((item) => `<li>${escapeHtml(item)}</li>`);
  const more =
    items.length > MAX_LISTED_REASONS ? `<li>and ${items.length - MAX_LISTED_REASONS} more</li>` : '';
  return `<h2 style="font-size:16px">${escapeHtml(heading)}</h2><ul>${shown.join('')}${more}</ul>`;
}

/**
 * The approval request as HTML: the one "Review and decide" link, the deadline, what is public
 * and why, what a fix would change and what it could break, then the whole alert as text. No
 * form and no script: deciding happens on the page the link opens.
 */
function approvalRequestHtml(incident: Incident, link: string, deadline: string, alertText: string): string {
  const v = incident.verdict;
  return [
    '<!doctype html><html><body style="font-family:sans-serif;max-width:720px">',
    `<h1 style="font-size:20px">Decision needed: S3 bucket ${escapeHtml(incident.bucket)} (${escapeHtml(v.severity)})</h1>`,
    '<p>The responder will change nothing until an approver decides.</p>',
    `<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 16px;background:#0b5cad;color:#fff;text-decoration:none;border-radius:4px">Review and decide</a></p>`,
    `<p>Deadline: <strong>${escapeHtml(deadline)}</strong>; after it, nothing changes and you are told.</p>`,
    htmlList('What is public and why', unique(v.reasons.map((r) => r.why))),
    htmlList(
      'What the fix would change',
      incident.proposal?.changes ?? unique(v.mitigations.map(describeMitigation)),
    ),
    htmlList('Blast radius', incident.proposal?.blastRadius ?? []),
    `<p>Sensitive data scan (Macie): ${escapeHtml(macieStatus(incident))}.</p>`,
    `<pre style="white-space:pre-wrap;font-size:12px;color:#444">${escapeHtml(alertText)}</pre>`,
    '</body></html>',
  ].join('\n');
}
