import { describe, expect, it } from 'vitest';
import { consoleLinks } from '../../../../tasks/shared/findings/finding.js';
import {
  approvalRequest,
  exposureAlert,
  failureNotice,
  formatDuration,
  type Message,
  resolvedNotice,
  securityHubUnavailableNote,
  singleLine,
} from '../../../../tasks/shared/messages/messages.js';
import {
  closedIncident,
  DANA,
  DANA_IP,
  EXECUTION_ID,
  INCIDENT_BUCKET,
  INCIDENT_ID,
  incidentEvents,
  makeIncident,
  makeVerdict,
  objectAclVerdict,
  objectKeys,
  TERRAFORM,
  TERRAFORM_IP,
} from '../../../support/incidents.js';

const LINKS = consoleLinks(makeIncident(), EXECUTION_ID, 'https://console.aws.amazon.com');

function expectNoSecrets(message: Message): void {
  expect(`${message.subject}\n${message.text}`).not.toMatch(/token|X-Amz-Signature/i);
}

describe('exposureAlert', () => {
  it('starts the subject with the severity and says the bucket is public', () => {
    expect(exposureAlert(makeIncident(), LINKS).subject).toBe(
      `[HIGH] S3 bucket ${INCIDENT_BUCKET} is public`,
    );
  });

  it('says when anyone can write', () => {
    const verdict = makeVerdict({
      vectors: [
        { source: 'bucketPolicy', access: 'read', principal: '*', statementHash: 'a', key: null },
        { source: 'bucketPolicy', access: 'write', principal: '*', statementHash: 'a', key: null },
      ],
      severity: 'CRITICAL',
    });
    const alert = exposureAlert(makeIncident({ verdict }), LINKS);
    expect(alert.subject).toBe(`[CRITICAL] S3 bucket ${INCIDENT_BUCKET} is public (read and write)`);
    expect(alert.text).toContain('is public read and write.');
  });

  it('states what is public and why, and what would fix it', () => {
    const { text } = exposureAlert(makeIncident(), LINKS);
    expect(text).toContain(
      `S3 bucket ${INCIDENT_BUCKET} in account 111122223333 (us-east-1) is public read.`,
    );
    expect(text).toContain('  - statement 0 ("PublicRead") allows public access: Principal "*" is everyone');
    expect(text).toContain('  - remove policy statement 0 ("PublicRead")');
  });

  it('names who did it, from where and when', () => {
    const { text } = exposureAlert(makeIncident(), LINKS);
    expect(text).toContain(`  - 2025-03-04T10:15:02Z PutBucketPolicy by ${DANA} from ${DANA_IP}`);
    expect(text).toContain(
      `  - 2025-03-04T10:15:09Z PutObjectAcl by ${TERRAFORM} from ${TERRAFORM_IP} (2 objects)`,
    );
  });

  it('says nothing will be changed in notify mode', () => {
    const { text } = exposureAlert(
      makeIncident({ mode: 'notify', modeReason: 'bucket acme-reports is configured for notify' }),
      LINKS,
    );
    expect(text).toMatch(/notify only: nothing will be changed/i);
    expect(text).toContain('(mode notify: bucket acme-reports is configured for notify)');
  });

  it('says approve mode behaves as notify until approvals arrive', () => {
    const { text } = exposureAlert(makeIncident({ mode: 'approve' }), LINKS);
    expect(text.replace(/\s+/g, ' ')).toMatch(
      /approval requests come in a later version; until then this mode behaves as notify: nothing will be changed/i,
    );
  });

  it('links to the execution and the bucket', () => {
    const { text } = exposureAlert(makeIncident(), LINKS);
    expect(text).toContain(`Execution: ${LINKS.execution}`);
    expect(text).toContain(`Bucket:    ${LINKS.bucket}`);
    expect(text).toContain(`Incident ${INCIDENT_ID}`);
  });

  it('lists at most 20 object keys, then counts the rest', () => {
    const keys = objectKeys(45);
    const { text } = exposureAlert(makeIncident({ verdict: objectAclVerdict(keys) }), LINKS);
    expect(text).toContain('Public objects (45):');
    expect(text).toContain(`  - ${keys[19]}\n  - and 25 more objects`);
    expect(text).not.toContain(`  - ${keys[20]}\n`);
    expect(text).toContain('  - and 25 more reasons');
  });

  it('contains no tokens or signed links, even from outside text', () => {
    const verdict = makeVerdict({
      reasons: [
        {
          source: 'bucketPolicy',
          statement: 0,
          sid: 'S',
          why: `see https://x.example/get?X-Amz-Signature=deadbeef and ${'AQB'.repeat(100)}`,
        },
      ],
    });
    const alert = exposureAlert(makeIncident({ verdict }), LINKS);
    expectNoSecrets(alert);
    expect(alert.text).not.toContain('deadbeef');
    expectNoSecrets(exposureAlert(makeIncident(), LINKS));
  });

  it('appends the Security Hub note when the finding could not be written', () => {
    const problem = 'SecurityHubNotEnabledError: Security Hub is not enabled for this account and Region';
    const { text } = exposureAlert(makeIncident(), LINKS, { findingProblem: problem });
    expect(text).toContain(securityHubUnavailableNote(problem));
    expect(exposureAlert(makeIncident(), LINKS).text).not.toContain('Security Hub:');
  });

  it('keeps the subject on one line', () => {
    const alert = exposureAlert(makeIncident({ bucket: 'acme-reports' }), LINKS);
    expect(alert.subject).not.toMatch(/[\r\n]/);
  });

  it('writes a line break in an object key as \\n, so the key cannot forge a line of its own', () => {
    const key = 'reports/q3.csv\nApproved: yes';
    const { text } = exposureAlert(makeIncident({ verdict: objectAclVerdict([key]) }), LINKS);
    expect(text.split('\n')).not.toContain('Approved: yes');
    expect(text).toContain('  - reports/q3.csv\\nApproved: yes');
  });

  it('keeps an actor with a carriage return and line feed on its event line', () => {
    const [first] = incidentEvents();
    if (first === undefined) throw new Error('the fixture has events');
    const event = { ...first, actor: 'mallory\r\nDecision: APPROVED by the SOC' };
    const { text } = exposureAlert(makeIncident({ events: [event] }), LINKS);
    expect(text.split('\n').filter((line) => line.includes('Decision: APPROVED'))).toEqual([
      `  - 2025-03-04T10:15:02Z PutBucketPolicy by mallory\\r\\nDecision: APPROVED by the SOC from ${DANA_IP}`,
    ]);
  });

  it('keeps the Security Hub problem on its line of the note', () => {
    const { text } = exposureAlert(makeIncident(), LINKS, { findingProblem: 'denied\nApproved: yes' });
    expect(text).toContain('Security Hub: the finding could not be written (denied\\nApproved: yes).');
    expect(text.split('\n')).not.toContain('Approved: yes');
  });
});

describe('singleLine', () => {
  it('writes line feeds, carriage returns and tabs as \\n, \\r and \\t', () => {
    expect(singleLine('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
  });

  it('writes other control characters and the Unicode line separators as \\u escapes', () => {
    expect(singleLine('a\u001bb\u0085c\u2028d\u2029e')).toBe('a\\u001bb\\u0085c\\u2028d\\u2029e');
  });

  it('leaves ordinary text, non-ASCII letters included, as it is', () => {
    expect(singleLine('données/rapport été.csv')).toBe('données/rapport été.csv');
  });
});

describe('resolvedNotice', () => {
  it('says the bucket is no longer public, with the exposure window', () => {
    const notice = resolvedNotice(closedIncident('NOT_PUBLIC'), LINKS);
    expect(notice.subject).toBe(`[HIGH] Resolved: S3 bucket ${INCIDENT_BUCKET} is no longer public`);
    expect(notice.text).toContain('Exposed from 2025-03-04T10:15:02Z to 2025-03-04T11:20:32Z: 1 h 5 min.');
    expect(notice.text).toContain(`Execution: ${LINKS.execution}`);
    expectNoSecrets(notice);
  });

  it('says when the bucket was deleted', () => {
    const notice = resolvedNotice(closedIncident('BUCKET_DELETED'), LINKS);
    expect(notice.subject).toBe(`[HIGH] Resolved: S3 bucket ${INCIDENT_BUCKET} was deleted`);
    expect(notice.text).toContain('The incident is closed (bucket deleted).');
  });

  it('counts the window to now when containment was not recorded', () => {
    const incident = closedIncident('NOT_PUBLIC', { timings: { containedAt: null } });
    const { text } = resolvedNotice(incident, LINKS, new Date('2025-03-04T10:45:02Z'));
    expect(text).toContain('Exposed from 2025-03-04T10:15:02Z to 2025-03-04T10:45:02.000Z (now): 30 min.');
  });

  it('leaves no part of a task token in a decision reason cut to 200 characters', () => {
    const reason = `${'word '.repeat(30)}${'AQB'.repeat(100)}`;
    const incident = closedIncident('REMEDIATED', { decision: { decision: 'APPROVED', reason } });
    expect(resolvedNotice(incident, LINKS).text).not.toContain('AQBAQBAQB');
  });

  it('names the decision and who made it', () => {
    const incident = closedIncident('REMEDIATED', {
      decision: { decision: 'APPROVED', by: 'sam.lee@acme.example', at: '2025-03-04T11:19:58Z' },
    });
    const notice = resolvedNotice(incident, LINKS);
    expect(notice.subject).toBe(`[HIGH] Resolved: S3 bucket ${INCIDENT_BUCKET} was fixed`);
    expect(notice.text).toContain('Decision: APPROVED by sam.lee@acme.example at 2025-03-04T11:19:58Z');
  });
});

describe('failureNotice', () => {
  const input = {
    executionId: EXECUTION_ID,
    bucket: INCIDENT_BUCKET,
    error: {
      Error: 'States.TaskFailed',
      Cause: JSON.stringify({
        errorType: 'AccessDenied',
        errorMessage: 'Access Denied when reading the bucket policy',
        trace: ['AccessDenied: Access Denied', '    at readBucketSnapshot (/var/task/index.mjs:1:2)'],
      }),
    },
    links: { execution: LINKS.execution, bucket: LINKS.bucket },
  };

  it('names the error and a short cause for operators', () => {
    const notice = failureNotice(input);
    expect(notice.subject).toBe(
      `[HIGH] S3 exposure responder failed on ${INCIDENT_BUCKET}: States.TaskFailed`,
    );
    expect(notice.text).toContain('Error:     States.TaskFailed');
    expect(notice.text).toContain('Cause:     Access Denied when reading the bucket policy');
    expect(notice.text).not.toContain('readBucketSnapshot');
    expect(notice.text).toContain(`Bucket ${INCIDENT_BUCKET} may still be exposed`);
    expect(notice.text).toContain(`Execution: ${LINKS.execution}`);
    expectNoSecrets(notice);
  });

  it('works before the bucket is known', () => {
    const notice = failureNotice({
      ...input,
      bucket: null,
      links: { execution: LINKS.execution, bucket: null },
    });
    expect(notice.subject).toBe('[HIGH] S3 exposure responder failed: States.TaskFailed');
    expect(notice.text).toContain('Bucket:    not known');
    expect(notice.text).not.toContain('Bucket:    https');
  });

  it('shortens a huge cause', () => {
    const notice = failureNotice({ ...input, error: { Error: 'Error', Cause: 'a '.repeat(10_000) } });
    expect(notice.text.length).toBeLessThan(2000);
  });
});

describe('formatDuration', () => {
  it.each([
    [45_000, '45 s'],
    [12 * 60_000, '12 min'],
    [(3 * 60 + 5) * 60_000, '3 h 5 min'],
    [52 * 60 * 60_000, '2 d 4 h'],
    [-1, 'unknown'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('approvalRequest', () => {
  const LINK =
    'https://page.example/a/0123456789abcdef0123456789abcdef?r=a%40example.com&exp=1900000000&sig=v1.k1.x';

  it('leads with the one link and the deadline in UTC, then the whole alert', () => {
    const { subject, text } = approvalRequest(makeIncident(), LINKS, {
      link: LINK,
      expiresAt: '2026-11-30T10:00:00.000Z',
    });

    expect(subject).toMatch(/^Decision needed: /);
    expect(text.split('\n').slice(0, 4)).toEqual([
      'A decision is needed: the responder will change nothing until an approver decides.',
      '',
      `Review and decide: ${LINK}`,
      'Deadline: 2026-11-30 10:00:00 UTC; after it, nothing changes and you are told.',
    ]);
    expect(text).toContain(exposureAlert(makeIncident(), LINKS).text);
  });

  it('escapes everything it puts into the HTML part, the link included', () => {
    const base = makeIncident();
    const hostile = makeIncident({
      verdict: {
        ...base.verdict,
        reasons: [{ source: 'bucketPolicy', statement: 0, sid: null, why: '<script>alert("x")</script>' }],
      },
    });

    const { html } = approvalRequest(hostile, LINKS, { link: LINK, expiresAt: '2026-11-30T10:00:00.000Z' });

    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain(`href="${LINK.replaceAll('&', '&amp;')}"`);
  });
});
