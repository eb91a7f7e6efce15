/**
 * Mode approve through the real ASL: RequestApproval waits on a task token, the approver decides
 * on the real page over HTTP (GET the emailed link, POST the form), and the state machine takes
 * the branch the decision names. Nothing changes without an approval.
 */
import { describe, expect, it } from 'vitest';
import { approvalLinksIn } from '../../local/approval/decide.js';
import { run, sampleEvent } from './support.js';

const BUCKET = 'acme-public-assets';
const ASK = ['WhichResponseMode?', 'RequestApproval', 'WhatDidTheApproverDecide?'];

function publicPolicy() {
  return sampleEvent('put-bucket-policy-public');
}

function bucketWrites(
  calls: readonly { service: string; operation: string; input: unknown; outcome: string }[],
) {
  return calls.filter(
    (c) =>
      c.service === 's3' &&
      /^(Put|Delete)/.test(c.operation) &&
      c.outcome === 'ok' &&
      (c.input as { Bucket?: string }).Bucket === BUCKET,
  );
}

describe('mode approve', () => {
  it('approved through the page: fixes exactly the approved plan, then closes the incident', async () => {
    const { result, environment } = await run([publicPolicy()], {
      mode: 'approve',
      decision: 'approve',
      keepOpen: true,
    });
    const [execution] = result.executions;
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.path).toEqual(expect.arrayContaining([...ASK, 'RemediateExposure', 'CloseIncident']));
    expect(execution?.incident).toMatchObject({
      status: 'CLOSED',
      closedReason: 'REMEDIATED',
      decision: { decision: 'APPROVED' },
    });
    // One request to the approver, with one signed link to the local page.
    const requests = result.outbox.filter((m) => m.subject.startsWith('Decision needed'));
    expect(requests).toHaveLength(1);
    expect(approvalLinksIn(requests[0]?.text ?? '')).toEqual([
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/a\/[0-9a-f]{32}\?r=.*&exp=\d+&sig=v1\./),
    ]);
    expect(bucketWrites(environment.sandbox.calls).length).toBeGreaterThan(0);
  });

  it('rejected: changes nothing, and the finding is suppressed with the approver', async () => {
    const { result, environment } = await run([publicPolicy()], {
      mode: 'approve',
      decision: 'reject',
      keepOpen: true,
    });
    const [execution] = result.executions;
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.path).toEqual(expect.arrayContaining([...ASK, 'RecordRejection', 'ReleaseLease']));
    expect(execution?.path).not.toContain('RemediateExposure');
    expect(execution?.incident).toMatchObject({ status: 'OPEN', response: 'REJECTED' });
    expect(execution?.finding?.Workflow?.Status).toBe('SUPPRESSED');
    expect(bucketWrites(environment.sandbox.calls)).toEqual([]);
    expect(result.outbox.some((m) => m.subject.startsWith('Fix rejected'))).toBe(true);
  });

  it('expired: changes nothing, and the approvers and recipients are told', async () => {
    const { result, environment } = await run([publicPolicy()], {
      mode: 'approve',
      decision: 'expire',
      keepOpen: true,
    });
    const [execution] = result.executions;
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.path).toEqual(
      expect.arrayContaining(['WhichResponseMode?', 'RequestApproval', 'ApprovalExpired', 'ReleaseLease']),
    );
    expect(execution?.incident).toMatchObject({ status: 'OPEN', response: 'EXPIRED' });
    expect(bucketWrites(environment.sandbox.calls)).toEqual([]);
    expect(result.outbox.some((m) => m.subject.startsWith('Approval expired'))).toBe(true);
  });
});
