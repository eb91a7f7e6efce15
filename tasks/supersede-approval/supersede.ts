/**
 * When an event joins a bucket whose owner waits on an approval: does the exposure now go beyond
 * the plan the approvers are looking at? Only then is their request replaced (superseded), so a
 * storm of events that add nothing new never disturbs a pending decision.
 */

import type { ApprovalRecord, ExposureVerdict, Vector } from '../shared/contracts.js';
import { stableStringify } from '../shared/hash.js';

/** The ways in the verdict has that the approval's plan does not. */
export function beyondThePlan(verdict: ExposureVerdict, record: ApprovalRecord): Vector[] {
  const planned = new Set(record.plan.vectors.map((v) => stableStringify(v)));
  return verdict.vectors.filter((v) => !planned.has(stableStringify(v)));
}

/**
 * The earliest time the approval may be superseded: `recheckSeconds` after it was requested, so a
 * storm causes at most one supersession per window (each new request starts a new window).
 */
export function supersedeNotBefore(record: ApprovalRecord, recheckSeconds: number): Date {
  return new Date(Date.parse(record.requestedAt) + recheckSeconds * 1000);
}
