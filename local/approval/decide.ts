/**
 * Deciding an approval the way a person does: open the emailed link (GET: the page and its CSRF
 * cookie), then submit the form (POST with the cookie, the form's token and the page's Origin).
 * Real HTTP requests to the real page; `simulate --decision` and the demo use it, and so do tests.
 */
import type { OutboxEntry } from '../sandbox/operations.js';

/** The approval links in a message (the first one per approval id). */
export function approvalLinksIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s"'<>]+\/a\/[0-9a-f]{32}\?[^\s"'<>]+/g)].map((m) => m[0]);
}

/** The newest approval link sent to `recipient` (or to anyone), from the outbox. */
export function latestApprovalLink(outbox: readonly OutboxEntry[], recipient?: string): string | null {
  for (const entry of [...outbox].reverse()) {
    if (recipient && !entry.to.toLowerCase().includes(recipient.toLowerCase())) continue;
    const [link] = approvalLinksIn(entry.text);
    if (link) return link;
  }
  return null;
}

export interface DecisionInput {
  readonly decision: 'APPROVED' | 'REJECTED';
  readonly reason?: string;
  /** YYYY-MM-DD: with REJECTED, "intended until" this day. */
  readonly intendedUntil?: string;
  /** For high-risk buckets: the bucket name, typed, and the one-time code from the other email. */
  readonly confirmBucket?: string;
  readonly code?: string;
}

/** What the page answered: the status of the POST and the page it led to. */
export interface DecisionAnswer {
  readonly status: number;
  readonly page: string;
}

function formValue(html: string, name: string): string | null {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return match?.[1]?.replaceAll('&amp;', '&') ?? null;
}

/** Opens the link and submits the decision, following the redirect to the result page. */
export async function decideByLink(link: string, input: DecisionInput): Promise<DecisionAnswer> {
  const url = new URL(link);
  const page = await fetch(url, { redirect: 'manual' });
  const html = await page.text();
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const form = new URLSearchParams({ csrf: formValue(html, 'csrf') ?? '', decision: input.decision });
  if (input.reason) form.set('reason', input.reason);
  if (input.intendedUntil) form.set('intendedUntil', input.intendedUntil);
  if (input.confirmBucket) form.set('confirmBucket', input.confirmBucket);
  if (input.code) form.set('code', input.code);
  const posted = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url.origin, cookie },
    body: form.toString(),
  });
  const location = posted.headers.get('location');
  if (posted.status !== 303 || !location) return { status: posted.status, page: await posted.text() };
  const done = await fetch(new URL(location, url), { headers: { cookie } });
  return { status: posted.status, page: await done.text() };
}
