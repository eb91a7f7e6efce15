/**
 * The approval store on dynalite: one conditional write decides, whoever comes first; a decision
 * after the deadline, or after the approval expired, is refused; the token is kept apart from the
 * record and forgotten once settled.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { ensureTable } from '../../local/store/local-dynamo.js';
import type { ApprovalDecision, ApprovalRecord } from '../../tasks/shared/contracts.js';
import { ApprovalStore } from '../../tasks/shared/store/approval-store.js';
import { testDynamo } from '../support/store.js';

const T0 = new Date('2026-11-29T10:00:00.000Z');
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:s3-exposure-response:exec-a';

function record(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    approvalId: randomUUID().replaceAll('-', ''),
    incidentId: 'inc-20261129-0001',
    executionId: EXECUTION,
    bucket: 'acme-public-assets',
    accountId: '111122223333',
    region: 'us-east-1',
    summary: 'public read [HIGH], 1 way in',
    reasons: ['statement "PublicRead" allows s3:GetObject to everyone'],
    severity: 'HIGH',
    plan: {
      hash: 'h1',
      vectors: [],
      mitigations: [],
      changes: ['remove statement "PublicRead"'],
      blastRadius: [],
    },
    backupLocation: 's3://evidence/',
    approvers: ['approver@example.com'],
    highRisk: false,
    codeHashes: {},
    codeFailures: 0,
    sentTo: [],
    bounced: [],
    requestedAt: T0.toISOString(),
    expiresAt: new Date(T0.getTime() + 3_600_000).toISOString(),
    status: 'PENDING',
    decision: null,
    supersededBy: null,
    macie: null,
    version: 0,
    ...overrides,
  };
}

function decision(kind: 'APPROVED' | 'REJECTED', approver = 'approver@example.com'): ApprovalDecision {
  return {
    decision: kind,
    approver,
    by: 'person',
    at: T0.toISOString(),
    sourceIp: '127.0.0.1',
    userAgent: 'test',
    reason: null,
    intendedUntil: null,
  };
}

let approvals: ApprovalStore;

beforeEach(async () => {
  const { client } = await testDynamo();
  const tableName = `test-${randomUUID()}`;
  await ensureTable(client, tableName);
  approvals = new ApprovalStore({ client, tableName });
});

describe('the approval store', () => {
  it('keeps the token apart from the record, and finds a request again by execution and round', async () => {
    const r = record();
    await approvals.create(r, 'token-1', 3, T0);

    expect(await approvals.get(r.approvalId)).toEqual(r);
    expect(JSON.stringify(await approvals.get(r.approvalId))).not.toContain('token-1');
    expect(await approvals.getToken(r.approvalId)).toBe('token-1');
    expect(await approvals.findRequest(r.incidentId, EXECUTION, 3)).toBe(r.approvalId);
    expect(await approvals.findRequest(r.incidentId, EXECUTION, 4)).toBeNull();
  });

  it('lets exactly one of twenty simultaneous decisions win', async () => {
    const r = record();
    await approvals.create(r, 'token', 0, T0);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        approvals.decide(r.approvalId, decision(i % 2 ? 'APPROVED' : 'REJECTED', `a${i}@example.com`), T0),
      ),
    );

    const winners = answers.filter((a) => a.outcome === 'decided');
    expect(winners).toHaveLength(1);
    const stored = await approvals.get(r.approvalId);
    expect(stored?.decision).toEqual(winners[0]?.record.decision);
    for (const loser of answers.filter((a) => a.outcome === 'already')) {
      expect(loser.record.decision).toEqual(stored?.decision);
    }
  });

  it('refuses a decision after the deadline and leaves the approval pending', async () => {
    const r = record();
    await approvals.create(r, 'token', 0, T0);

    const late = await approvals.decide(r.approvalId, decision('APPROVED'), new Date(r.expiresAt));

    expect(late.outcome).toBe('already');
    expect((await approvals.get(r.approvalId))?.status).toBe('PENDING');
  });

  it('expires a pending approval, and then refuses a decision', async () => {
    const r = record();
    await approvals.create(r, 'token', 0, T0);

    expect((await approvals.close(r.approvalId, 'EXPIRED'))?.status).toBe('EXPIRED');
    expect((await approvals.decide(r.approvalId, decision('APPROVED'), T0)).outcome).toBe('already');
  });

  it('does not expire an approval decided first: the decision stays', async () => {
    const r = record();
    await approvals.create(r, 'token', 0, T0);
    await approvals.decide(r.approvalId, decision('REJECTED'), T0);

    expect((await approvals.close(r.approvalId, 'EXPIRED'))?.status).toBe('REJECTED');
  });

  it('forgets the token, and keeps the audit trail in order', async () => {
    const r = record();
    await approvals.create(r, 'token', 0, T0);
    await approvals.deleteToken(r.approvalId);
    const entry = {
      action: 'view' as const,
      status: 200,
      detail: 'page shown',
      sourceIp: null,
      userAgent: null,
    };
    await approvals.audit(r.approvalId, { ...entry, at: '2026-11-29T10:00:01.000Z' }, T0);
    await approvals.audit(r.approvalId, { ...entry, at: '2026-11-29T10:00:02.000Z', action: 'decide' }, T0);

    expect(await approvals.getToken(r.approvalId)).toBeNull();
    expect((await approvals.listAudit(r.approvalId)).map((e) => e.action)).toEqual(['view', 'decide']);
  });
});
