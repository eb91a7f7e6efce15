/**
 * What RequestApproval asks: who decides, about exactly which plan, until when. Pure: the handler
 * stores the record and sends the messages.
 */

import type { ApprovalRecord, Incident, ResponderConfig, Severity } from '../shared/contracts.js';
import { describeMacieSummary, exposureSummary } from '../shared/describe.js';
import { sha256Hex, stableStringify } from '../shared/hash.js';

/**
 * The approvers of a bucket's exposure: the bucket's own list, else the severity's, else the
 * default; with none configured, the alert recipients decide (a request nobody receives would
 * only ever expire).
 */
export function approversFor(config: ResponderConfig, bucket: string, severity: Severity): string[] {
  const { approvers } = config.approval;
  const chosen = approvers.byBucket[bucket] ?? approvers.bySeverity[severity] ?? approvers.default;
  return chosen.length > 0 ? [...chosen] : [...config.recipients.email];
}

/** The hash that binds a decision to the plan its approver saw: the mitigations and the ways in they close. */
export function planHash(plan: Pick<ApprovalRecord['plan'], 'mitigations' | 'vectors'>): string {
  return sha256Hex(stableStringify({ mitigations: plan.mitigations, vectors: plan.vectors }));
}

export interface ApprovalRequestInput {
  readonly approvalId: string;
  readonly incident: Incident;
  readonly config: ResponderConfig;
  readonly executionId: string;
  readonly backupLocation: string | null;
  readonly now: Date;
}

/** The approval record for the incident's current exposure, PENDING until its deadline. */
export function approvalRecord(input: ApprovalRequestInput): ApprovalRecord {
  const { incident, config, now } = input;
  const v = incident.verdict;
  const plan = {
    vectors: v.vectors,
    mitigations: v.mitigations,
    changes: incident.proposal?.changes ?? [],
    blastRadius: incident.proposal?.blastRadius ?? [],
  };
  return {
    approvalId: input.approvalId,
    incidentId: incident.incidentId,
    executionId: input.executionId,
    bucket: incident.bucket,
    accountId: incident.accountId,
    region: incident.region,
    summary: exposureSummary(v),
    reasons: [...new Set(v.reasons.map((r) => r.why))],
    severity: v.severity,
    plan: { hash: planHash(plan), ...plan },
    backupLocation: input.backupLocation,
    approvers: approversFor(config, incident.bucket, v.severity),
    highRisk: config.approval.highRiskBuckets.includes(incident.bucket),
    // Filled in by the handler for a high-risk bucket: the codes are random, and sent.
    codeHashes: {},
    codeFailures: 0,
    sentTo: [],
    bounced: [],
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + config.timings.approvalTtlSeconds * 1000).toISOString(),
    status: 'PENDING',
    decision: null,
    supersededBy: null,
    // The scan runs beside the request: what it has said so far; it updates the page as it goes.
    macie: incident.macie ? describeMacieSummary(incident.macie) : null,
    version: 0,
  };
}
