/**
 * A request SES accepted but could not deliver (a bounce, from SES's mailbox simulator) must not
 * let the approval expire quietly: the operators hear of it at once, and when no approver is left
 * who can be reached, the wait ends in ApprovalUndeliverableError and the run reports the failure.
 */
import { describe, expect, it, vi } from 'vitest';
import { decideByLink, latestApprovalLink } from '../../local/approval/decide.js';
import type { LocalEnvironment } from '../../local/environment.js';
import { applyEventToWorld } from '../../local/sandbox/apply-event.js';
import { approveEnvironment, sampleEvent } from './support.js';

const BOUNCE = 'bounce@simulator.amazonses.com';

function environmentWithApprovers(approvers: string[]): Promise<LocalEnvironment> {
  return approveEnvironment((config) => ({
    ...config,
    approval: { ...config.approval, approvers: { default: approvers, bySeverity: {}, byBucket: {} } },
  }));
}

function start(environment: LocalEnvironment) {
  const event = sampleEvent('put-bucket-policy-public');
  applyEventToWorld(environment.sandbox, event);
  return environment.runner.start(event);
}

describe('an approval request that bounces', () => {
  it('to every approver: the wait ends at once in ReportFailure, and the operators hear why', async () => {
    const environment = await environmentWithApprovers([BOUNCE]);
    const execution = await start(environment);

    expect(execution.status).toBe('FAILED');
    expect(execution.path).toEqual(
      expect.arrayContaining(['RequestApproval', 'ReportFailure', 'ExecutionFailed']),
    );
    expect(execution.error?.Error).toBe('ApprovalUndeliverableError');
    const notice = environment.sandbox.outbox.find((m) => m.subject.includes('could not be delivered'));
    expect(notice?.to).toContain('cloud-ops@example.com');
    expect(notice?.text).toContain('no approver left who can be reached');
    const approvalId = /Approval ([0-9a-f]{32})/.exec(notice?.text ?? '')?.[1] ?? '';
    const record = await environment.deps.approvals?.get(approvalId);
    expect(record).toMatchObject({ status: 'EXPIRED', bounced: [BOUNCE] });
    const audit = await environment.deps.approvals?.listAudit(approvalId);
    expect(audit?.map((a) => a.action)).toContain('undelivered');
  });

  it('to one of two approvers: the operators hear of it, and the other still decides', async () => {
    const environment = await environmentWithApprovers([BOUNCE, 'security-lead@example.com']);
    const waiting = new Promise<void>((resolve) => environment.taskTokens.onWait(() => resolve()));
    const running = start(environment);
    await waiting;
    // The bounce arrives after SES accepted the message.
    const notice = await vi.waitFor(() => {
      const found = environment.sandbox.outbox.find((m) => m.subject.includes('could not be delivered'));
      if (!found) throw new Error('no notice yet');
      return found;
    });
    expect(notice.text).toContain('waits on security-lead@example.com');

    const link = latestApprovalLink(environment.sandbox.outbox, 'security-lead@example.com');
    expect((await decideByLink(link ?? '', { decision: 'APPROVED' })).status).toBe(303);
    const execution = await running;
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.path).toContain('RemediateExposure');
  });
});
