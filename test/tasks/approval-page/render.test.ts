import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type DecisionFormView,
  describeApprovalState,
  formatUtcHuman,
  renderDecisionPage,
  renderDonePage,
  renderReadOnlyPage,
  renderRefusalPage,
  STYLE_SOURCE,
} from '../../../tasks/approval-page/render.js';
import type { ApprovalRecord } from '../../../tasks/shared/contracts.js';
import { escapeHtml } from '../../../tasks/shared/messages/html.js';
import { sampleApproval } from '../../support/approvals.js';

const NOW = new Date('2025-03-04T12:00:00.000Z');

function approvalRecord(overrides: Partial<Record<keyof ApprovalRecord, unknown>> = {}): ApprovalRecord {
  return sampleApproval(overrides);
}

const FORM: DecisionFormView = {
  formAction: '/a/0123456789abcdef0123456789abcdef?r=alice%40example.com&exp=1741168800&sig=s1',
  csrfToken: 'c1.token',
  intendedUntilMin: '2025-03-05',
  intendedUntilMax: '2026-03-04',
};

const HOSTILE = '<script>alert("x")</script>';

/**
 * Anything a browser or a scanner could execute: a script element, or an event handler or
 * script URL inside a tag (escaped text has no `<`, so it cannot open one).
 */
const EXECUTABLE = /<script|<[^>]*\son[a-z]+\s*=|<[^>]*javascript:/i;

describe('escapeHtml', () => {
  it('turns a script element into inert text', () => {
    expect(escapeHtml(HOSTILE)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('escapes both quote characters, so a value cannot leave its attribute', () => {
    expect(escapeHtml(`" onmouseover='x'`)).toBe('&quot; onmouseover=&#39;x&#39;');
  });

  it('escapes an ampersand first, so an entity in the text is shown, not interpreted', () => {
    expect(escapeHtml('Tom & Jerry &amp; &lt;')).toBe('Tom &amp; Jerry &amp;amp; &amp;lt;');
  });

  it('leaves ordinary text alone', () => {
    expect(escapeHtml('alice@example.com s3://bucket/key')).toBe('alice@example.com s3://bucket/key');
  });
});

describe('formatUtcHuman', () => {
  it('spells a UTC instant out with the weekday, to the minute', () => {
    expect(formatUtcHuman(new Date('2025-03-04T14:05:59.000Z'))).toBe('Tuesday 4 March 2025 at 14:05 UTC');
  });

  it('pads hours and minutes', () => {
    expect(formatUtcHuman(new Date('2026-01-01T03:07:00.000Z'))).toBe('Thursday 1 January 2026 at 03:07 UTC');
  });
});

describe('describeApprovalState', () => {
  it('is open for a PENDING request before its deadline', () => {
    expect(describeApprovalState(approvalRecord(), NOW)).toEqual({ open: true });
  });

  it('reads a PENDING request past its deadline as expired', () => {
    const state = describeApprovalState(approvalRecord(), new Date('2025-03-05T10:00:00.000Z'));
    expect(state).toMatchObject({
      open: false,
      headline: 'Expired at 2025-03-05T10:00:00.000Z (Wednesday 5 March 2025 at 10:00 UTC)',
    });
  });

  it('names who decided, when, and why', () => {
    const record = approvalRecord({
      status: 'APPROVED',
      decision: {
        decision: 'APPROVED',
        approver: 'bob@example.com',
        by: 'person',
        at: '2025-03-04T11:00:00.000Z',
        sourceIp: null,
        userAgent: null,
        reason: 'not meant to be public',
        intendedUntil: null,
      },
    });
    expect(describeApprovalState(record, NOW)).toEqual({
      open: false,
      headline:
        'Already decided: APPROVED by bob@example.com at 2025-03-04T11:00:00.000Z (not meant to be public)',
      detail: null,
    });
  });

  it('adds the intended-until date of a rejection', () => {
    const record = approvalRecord({
      status: 'REJECTED',
      decision: {
        decision: 'REJECTED',
        approver: 'system',
        by: 'system',
        at: '2025-03-04T11:00:00.000Z',
        sourceIp: null,
        userAgent: null,
        reason: null,
        intendedUntil: '2025-06-01T00:00:00.000Z',
      },
    });
    expect(describeApprovalState(record, NOW)).toEqual({
      open: false,
      headline: 'Already decided: REJECTED by system at 2025-03-04T11:00:00.000Z',
      detail: 'The exposure is intended until 2025-06-01T00:00:00.000Z.',
    });
  });

  it('says a superseded request was replaced, naming the newer one without a link', () => {
    const record = approvalRecord({ status: 'SUPERSEDED', supersededBy: 'fedcba9876543210fedcba9876543210' });
    expect(describeApprovalState(record, NOW)).toEqual({
      open: false,
      headline: 'Superseded by a newer request',
      detail: 'The newer request is fedcba9876543210fedcba9876543210; use the link in its email.',
    });
  });
});

describe('renderDecisionPage', () => {
  it('shows every fact a person decides on', () => {
    const html = renderDecisionPage(
      approvalRecord({ macie: 'No sensitive data found in 120 objects' }),
      FORM,
    );
    for (const text of [
      'example-public-bucket',
      '111122223333',
      'eu-west-1',
      'HIGH',
      'Anyone on the internet can read objects.',
      'Statement 0 (PublicRead) allows s3:GetObject to &quot;*&quot;',
      'Remove statement 0 (PublicRead) from the bucket policy',
      's3://evidence-bucket/backups/example-public-bucket/2025-03-04.json',
      'The website www.example.com serves images from this bucket',
      'No sensitive data found in 120 objects',
      '2025-03-05T10:00:00.000Z',
      'Wednesday 5 March 2025 at 10:00 UTC',
      'plan-hash-1',
    ]) {
      expect(html).toContain(text);
    }
  });

  it('says "not scanned" when Macie has no status yet', () => {
    expect(renderDecisionPage(approvalRecord({ macie: null }), FORM)).toContain(
      '<dt>Macie</dt><dd>not scanned</dd>',
    );
  });

  it('has a plain form posting to the signed link, with both decisions, a reason, a date and the token', () => {
    const html = renderDecisionPage(approvalRecord(), FORM);
    expect(html).toContain(
      '<form method="post" action="/a/0123456789abcdef0123456789abcdef?r=alice%40example.com&amp;exp=1741168800&amp;sig=s1">',
    );
    expect(html).toContain('<button type="submit" class="approve" name="decision" value="APPROVED">');
    expect(html).toContain('<button type="submit" class="reject" name="decision" value="REJECTED">');
    expect(html).toContain('<textarea id="reason" name="reason" maxlength="1000" rows="4"></textarea>');
    expect(html).toContain(
      '<input type="date" id="intendedUntil" name="intendedUntil" min="2025-03-05" max="2026-03-04">',
    );
    expect(html).toContain('<input type="hidden" name="csrf" value="c1.token">');
    expect(html).not.toContain('confirmBucket');
  });

  it('makes Enter do nothing: the first submit button is a disabled one', () => {
    const html = renderDecisionPage(approvalRecord(), FORM);
    const firstButton = /<button[^>]*>/.exec(html)?.[0];
    expect(firstButton).toContain('disabled');
    expect(firstButton).not.toContain('name="decision"');
  });

  it('asks for the typed bucket name on a high-risk bucket', () => {
    const html = renderDecisionPage(approvalRecord({ highRisk: true }), FORM);
    expect(html).toContain('<input type="text" id="confirmBucket" name="confirmBucket" required');
    expect(html).toContain('Type its name, <code>example-public-bucket</code>, to confirm');
  });

  it('escapes every value from the record', () => {
    const html = renderDecisionPage(
      approvalRecord({
        summary: HOSTILE,
        reasons: [HOSTILE],
        macie: HOSTILE,
        backupLocation: HOSTILE,
        plan: { hash: HOSTILE, vectors: [], mitigations: [], changes: [HOSTILE], blastRadius: [HOSTILE] },
        region: '"><img src=x onerror=alert(1)>',
      }),
      { ...FORM, csrfToken: '"><script>x</script>' },
    );
    expect(html).not.toMatch(EXECUTABLE);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('carries no script of any kind', () => {
    expect(renderDecisionPage(approvalRecord({ highRisk: true }), FORM)).not.toMatch(EXECUTABLE);
  });

  it('styles itself only with the stylesheet the Content-Security-Policy names by hash', () => {
    const html = renderDecisionPage(approvalRecord(), FORM);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1] ?? '');
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256')
      .update(styles[0] ?? '', 'utf8')
      .digest('base64');
    expect(STYLE_SOURCE).toBe(`'sha256-${hash}'`);
    expect(html).not.toContain('style=');
  });
});

describe('renderReadOnlyPage', () => {
  it('shows the state line and the facts without a form', () => {
    const record = approvalRecord({ status: 'SUPERSEDED' });
    const state = describeApprovalState(record, NOW);
    if (state.open) throw new Error('a superseded request is not open');
    const html = renderReadOnlyPage(record, state);
    expect(html).toContain('Superseded by a newer request');
    expect(html).toContain('example-public-bucket');
    expect(html).not.toContain('<form');
    expect(html).not.toContain('href');
    expect(html).not.toMatch(EXECUTABLE);
  });

  it('escapes the decider and the reason', () => {
    const record = approvalRecord({
      status: 'REJECTED',
      decision: {
        decision: 'REJECTED',
        approver: 'eve"<b>@example.com',
        by: 'person',
        at: '2025-03-04T11:00:00.000Z',
        sourceIp: null,
        userAgent: null,
        reason: HOSTILE,
        intendedUntil: null,
      },
    });
    const state = describeApprovalState(record, NOW);
    if (state.open) throw new Error('a decided request is not open');
    const html = renderReadOnlyPage(record, state);
    expect(html).toContain('REJECTED by eve&quot;&lt;b&gt;@example.com');
    expect(html).not.toMatch(EXECUTABLE);
  });
});

describe('renderDonePage', () => {
  const approved = approvalRecord({
    status: 'APPROVED',
    decision: {
      decision: 'APPROVED',
      approver: 'alice@example.com',
      by: 'person',
      at: '2025-03-04T12:00:00.000Z',
      sourceIp: null,
      userAgent: null,
      reason: null,
      intendedUntil: null,
    },
  });

  it('confirms the recorded decision', () => {
    const html = renderDonePage(approved, NOW, { deliveryPending: false });
    expect(html).toContain('Recorded: APPROVED by alice@example.com at 2025-03-04T12:00:00.000Z');
    expect(html).not.toContain('being delivered');
  });

  it('says a decision whose delivery failed is recorded and being delivered', () => {
    const html = renderDonePage(approved, NOW, { deliveryPending: true });
    expect(html).toContain('The decision is recorded and is being delivered to the remediation workflow.');
  });

  it('does not claim a decision on a request nobody decided', () => {
    const html = renderDonePage(approvalRecord({ status: 'EXPIRED' }), NOW, { deliveryPending: true });
    expect(html).toContain('Expired at 2025-03-05T10:00:00.000Z');
    expect(html).not.toContain('Recorded:');
    expect(html).not.toContain('being delivered');
  });
});

describe('renderRefusalPage', () => {
  it('shows the status and one escaped line', () => {
    const html = renderRefusalPage(403, 'This link is not valid', HOSTILE);
    expect(html).toContain('<h1>This link is not valid</h1>');
    expect(html).toContain('HTTP 403');
    expect(html).not.toMatch(EXECUTABLE);
  });
});
