/**
 * The approval page's dependencies in AWS and locally alike: the approval store, the signed-link
 * check, and the delivery of a decision to the waiting workflow (SendTaskSuccess with the stored
 * token, which is then forgotten). Only the HTTP adapters differ.
 */
import { createHmac } from 'node:crypto';
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { type KeyRing, keyOfRing, verifyApprovalLink } from '../shared/approval/links.js';
import type { Clock } from '../shared/clock.js';
import type { ApprovalOutcome, ApprovalRecord } from '../shared/contracts.js';
import { logger } from '../shared/logger.js';
import type { ApprovalStore } from '../shared/store/approval-store.js';
import type { ApprovalPageDeps } from './page.js';

export interface PageDepsInput {
  readonly approvals: ApprovalStore;
  readonly sfn: SFNClient;
  readonly keyRing: KeyRing;
  readonly clock: Clock;
  readonly origin: string;
  readonly csrfSecret: Buffer;
}

/** What the waiting RequestApproval task receives: the decision, bound to the plan by its hash. */
export function outcomeOf(record: ApprovalRecord): ApprovalOutcome {
  const d = record.decision;
  if (!d) throw new Error(`approval ${record.approvalId} has no decision to deliver`);
  return {
    approvalId: record.approvalId,
    decision: d.decision,
    approver: d.approver,
    by: d.by,
    at: d.at,
    planHash: record.plan.hash,
  };
}

/**
 * Tells the workflow the decision, then forgets the token. Throws when no task waits any more
 * (the token is gone, or Step Functions answers TaskTimedOut): the decision stays recorded.
 */
export async function deliverDecision(
  input: Pick<PageDepsInput, 'approvals' | 'sfn' | 'clock'>,
  record: ApprovalRecord,
) {
  const token = await input.approvals.getToken(record.approvalId);
  if (!token) throw new Error(`no task waits on approval ${record.approvalId} any more`);
  await input.sfn.send(
    new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(outcomeOf(record)) }),
  );
  await input.approvals.deleteToken(record.approvalId);
  const now = input.clock.now();
  await input.approvals.audit(
    record.approvalId,
    {
      at: now.toISOString(),
      action: 'deliver',
      status: null,
      detail: `${record.status} delivered to the workflow`,
      sourceIp: null,
      userAgent: null,
    },
    now,
  );
}

/**
 * The CSRF secret, derived from a link key: every instance of the endpoint has the same one
 * (the page is served by one instance and its form posted to another), and it is never stored.
 * Derived from the key the link names when the ring holds it, so a page served just before a
 * rotation and posted just after (or by an instance whose ring is a few minutes older) agree.
 */
export function csrfSecretOf(keyRing: KeyRing, linkKeyId?: string): Buffer {
  const key = (linkKeyId === undefined ? undefined : keyOfRing(keyRing, linkKeyId)) ?? keyRing.current;
  return createHmac('sha256', key.secret).update('approval-page csrf v1').digest();
}

export function approvalPageDeps(input: PageDepsInput): ApprovalPageDeps {
  const { approvals, keyRing, clock } = input;
  return {
    clock,
    origin: input.origin,
    csrfSecret: input.csrfSecret,
    verifyLink: (link, now) => verifyApprovalLink(link, keyRing, now),
    getApproval: (id) => approvals.get(id),
    decide: (id, decision) => approvals.decide(id, decision, clock.now()),
    recordCodeFailure: (id) => approvals.recordCodeFailure(id),
    deliverDecision: (record) => deliverDecision(input, record),
    audit: async (entry) => {
      if (entry.approvalId === null) {
        // Nothing to file it under (an unknown path or a malformed id): the log keeps it.
        logger.warn('approval page request refused', { status: entry.status, detail: entry.detail });
        return;
      }
      const { approvalId, ...rest } = entry;
      await approvals.audit(approvalId, rest, clock.now());
    },
  };
}
