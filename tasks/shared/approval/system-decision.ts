/**
 * The decision the system makes with `macie.containOnSensitiveData`: sensitive data found in what
 * is public approves the pending fix. It goes through the same conditional write as a person's
 * (the first decision wins), recorded as the system's.
 */
import type { ApprovalDecision, MacieSummary } from '../contracts.js';
import { describeMacieSummary } from '../describe.js';
import type { ApprovalStore, DecideOutcome } from '../store/approval-store.js';

/** Who the audit trail and the finding name as the approver. */
export const SYSTEM_APPROVER = 'system: Amazon Macie found sensitive data';

/** Whether the configuration and the scan call for the system to decide. */
export function containsSensitiveData(
  containOnSensitiveData: boolean,
  summary: MacieSummary | null,
): boolean {
  return containOnSensitiveData && (summary?.affectedObjects ?? 0) > 0;
}

/** Decides the approval as the system (the first decision wins) and audits it when it did. */
export async function decideAsTheSystem(
  approvals: ApprovalStore,
  approvalId: string,
  summary: MacieSummary,
  now: Date,
): Promise<DecideOutcome> {
  const decision = systemDecision(summary, now);
  const answer = await approvals.decide(approvalId, decision, now);
  if (answer.outcome === 'decided') {
    await approvals.audit(
      approvalId,
      {
        at: now.toISOString(),
        action: 'decide',
        status: null,
        detail: `APPROVED by the system: ${decision.reason ?? ''}`.slice(0, 500),
        sourceIp: null,
        userAgent: null,
      },
      now,
    );
  }
  return answer;
}

function systemDecision(summary: MacieSummary, now: Date): ApprovalDecision {
  return {
    decision: 'APPROVED',
    approver: SYSTEM_APPROVER,
    by: 'system',
    at: now.toISOString(),
    sourceIp: null,
    userAgent: null,
    reason: describeMacieSummary(summary).slice(0, 1_000),
    intendedUntil: null,
  };
}
