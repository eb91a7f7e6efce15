/**
 * What the sweep does with one bucket, from what it read: nothing, or hand the bucket to the
 * workflow (and why), first taking back a lease whose holder can no longer answer the events
 * waiting on it. Pure: the sweep reads the bucket, the store and Step Functions, and acts.
 */
import { couldNotFullyAssess } from '../classify-exposure/assess.js';
import type { ExposureVerdict, IncidentResponse, Vector } from '../shared/contracts.js';

/** Why the sweep starts an execution for a bucket. */
export type SweepReason =
  /** Events wait on a lease whose holder has ended, or whose lease ran out. */
  | 'stranded-events'
  /** The open incident was never answered: its response FAILED, or stayed PENDING. */
  | 'unanswered'
  /** Public (or not fully assessed) with no open incident: the event that exposed it was lost. */
  | 'no-incident'
  /** Public in ways the open incident does not name: the event that widened it was lost. */
  | 'wider'
  /** An open incident on a bucket no longer public: the event that ended the exposure was lost. */
  | 'no-longer-public';

/** Each reason in words, for the execution's intake, the CLI and the logs. */
export const SWEEP_REASONS: Readonly<Record<SweepReason, string>> = {
  'stranded-events': 'events wait on a lease whose holder has ended or whose lease ran out',
  unanswered: 'the open incident was never answered',
  'no-incident': 'public (or not fully assessed) with no open incident: its event was lost',
  wider: 'public in ways the open incident does not name: the event that widened it was lost',
  'no-longer-public': 'no longer public, but the incident is open: the event that ended it was lost',
};

/** What the sweep knows about one bucket. */
export interface BucketFacts {
  /** The bucket read now (with the open incident's object keys). */
  readonly verdict: ExposureVerdict;
  readonly open: { readonly response: IncidentResponse; readonly vectors: readonly Vector[] } | null;
  readonly lease: {
    readonly expiresAt: string;
    /** Events waiting on the lease. */
    readonly pending: number;
    /** Whether Step Functions says the holder's execution is RUNNING. */
    readonly holderRunning: boolean;
  } | null;
  readonly now: Date;
}

export interface BucketDecision {
  /** Why an execution starts for the bucket; none starts when empty. */
  readonly reasons: SweepReason[];
  /**
   * The lease is stranded: give it up first (as its holder), so the next registration (the new
   * execution's, or the next event's) takes it with the events waiting on it.
   */
  readonly reclaim: boolean;
  /** A running execution holds the bucket: it re-reads the bucket and answers what it finds. */
  readonly inProgress: boolean;
}

/** A vector as a comparable value: the same way in, read twice, gives the same string. */
function vectorKey(v: Vector): string {
  return JSON.stringify([v.source, v.access, v.principal, v.statementHash, v.key]);
}

/** True when `now` names a way in that `recorded` does not. */
function isWider(now: readonly Vector[], recorded: readonly Vector[]): boolean {
  const known = new Set(recorded.map(vectorKey));
  return now.some((v) => !known.has(vectorKey(v)));
}

/**
 * Decides for one bucket. A running holder is left alone (it answers whatever joins it). A lease
 * is stranded when its holder has ended while it still holds (or with events waiting), or when it
 * ran out with events waiting: it is given up, and an execution starts if events wait. An ended
 * holder's lease that ran out with nothing waiting is free already: nothing to take back. Then the incident: an unanswered one is answered again
 * (closed, if the bucket is no longer public); a public bucket with no open incident, or public
 * in new ways, is reported; an open incident on a bucket no longer public is closed. A narrower
 * exposure than the incident names starts nothing: nothing new to tell. Latent ways in never
 * start an execution; the sweep only reports them.
 */
export function decideBucket(facts: BucketFacts): BucketDecision {
  const { verdict, open, lease, now } = facts;
  let stranded = false;
  let waiting = false;
  if (lease !== null) {
    const expired = Date.parse(lease.expiresAt) <= now.getTime();
    waiting = lease.pending > 0;
    if (lease.holderRunning && !(expired && waiting))
      return { reasons: [], reclaim: false, inProgress: true };
    stranded = waiting || !expired;
  }
  const reasons: SweepReason[] = waiting ? ['stranded-events'] : [];
  const exposed = verdict.effectivelyPublic || couldNotFullyAssess(verdict);
  if (open && (open.response === 'FAILED' || open.response === 'PENDING')) reasons.push('unanswered');
  else if (exposed && !open) reasons.push('no-incident');
  else if (exposed && open && isWider(verdict.vectors, open.vectors)) reasons.push('wider');
  else if (!exposed && open) reasons.push('no-longer-public');
  return { reasons, reclaim: stranded, inProgress: false };
}
