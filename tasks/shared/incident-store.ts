/**
 * Where incidents, leases and the events behind them live: one DynamoDB table, the stack's in
 * AWS and the same code on dynalite locally (`store/dynamo-incident-store.ts`). Every operation
 * is a conditional write or a read, because executions of one bucket overlap, and every one is
 * safe to repeat, because Step Functions runs a task again after it may have written.
 */
import type { Incident, IncidentEvent, MacieSummary } from './contracts.js';

/** What registering an event told this execution. */
export type Registration =
  | { readonly role: 'owner' }
  /** Another live execution holds the bucket; this event now waits on its lease. */
  | { readonly role: 'joined'; readonly holder: string }
  /** Another execution already registered this very event (a duplicate delivery). */
  | { readonly role: 'duplicate'; readonly holder: string };

export type ReleaseOutcome = 'released' | 'moreEvents' | 'notHeld';

/**
 * A bucket of one account. Incidents, leases, waiting events and attempts are kept by account
 * and bucket: a bucket deleted and re-created by another account is another bucket.
 */
export interface BucketRef {
  readonly accountId: string;
  readonly bucket: string;
}

/** A bucket's lease as stored, for the CLI, the console and tests. */
export interface LeaseView {
  readonly holder: string;
  readonly expiresAt: string;
  /** Raised by every registration; the holder's release is conditional on it. */
  readonly seq: number;
  /** Events waiting on the lease, in the order they registered. */
  readonly pending: IncidentEvent[];
}

/** A failed call (CloudTrail `errorCode`), kept as evidence: somebody tried. */
export interface Attempt {
  readonly accountId: string;
  readonly bucket: string;
  readonly event: IncidentEvent;
  readonly errorCode: string;
}

export interface RegisterInput {
  readonly ref: BucketRef;
  readonly executionId: string;
  readonly event: IncidentEvent;
  readonly now: Date;
  readonly leaseSeconds: number;
  /**
   * Asked about the holder of a lease past its expiry: a holder that still runs keeps the bucket
   * (its lease is renewed for it and this event joins), however old its lease. Without it, an
   * expired lease is taken over.
   */
  readonly holderStillRuns?: (holder: string) => Promise<boolean>;
}

export interface IncidentStore {
  /**
   * Records the event once (idempotent on its eventID), then either takes the bucket's lease
   * (free, expired, or already ours: a retried task recognises itself) or leaves the event on the
   * holder's lease for it to pick up. Nothing is lost either way.
   */
  register(input: RegisterInput): Promise<Registration>;
  /**
   * The events waiting on the lease (they stay there until acknowledged, so a task that fails
   * and is retried sees them again), and renews the lease. Throws LeaseLostError when another
   * execution reclaimed the lease meanwhile.
   */
  pendingEvents(
    ref: BucketRef,
    executionId: string,
    now: Date,
    leaseSeconds: number,
  ): Promise<IncidentEvent[]>;
  /** Removes events from the lease once they are recorded where they belong. */
  acknowledgeEvents(ref: BucketRef, executionId: string, eventIDs: readonly string[]): Promise<void>;
  /** Lets the bucket go, unless events joined since the owner last looked ("moreEvents"). */
  releaseLease(ref: BucketRef, executionId: string): Promise<ReleaseOutcome>;
  /**
   * Gives up a lease after a failure: the events waiting on it stay, and the next event for the
   * bucket takes them over at once instead of waiting for the lease to expire.
   */
  abandonLease(ref: BucketRef, executionId: string): Promise<boolean>;
  /** The bucket's lease and the events waiting on it, or null when nobody holds it. */
  getLease(ref: BucketRef): Promise<LeaseView | null>;
  /** A failed call (errorCode) is kept as an attempt: evidence, not a change. */
  recordAttempt(ref: BucketRef, event: IncidentEvent, errorCode: string): Promise<void>;
  /** Attempts recorded, oldest first; of one bucket when given. */
  listAttempts(ref?: BucketRef): Promise<Attempt[]>;
  getOpenIncident(ref: BucketRef): Promise<Incident | null>;
  /** The most recent incident of a bucket, open or closed. */
  getLatestIncident(ref: BucketRef): Promise<Incident | null>;
  getIncident(incidentId: string): Promise<Incident | null>;
  /**
   * Creates (version 0) or replaces the version that was read, and returns the incident with its
   * new version. A lost race throws ConcurrentUpdateError; a second OPEN incident for a bucket
   * throws IncidentConflictError.
   */
  putIncident(incident: Incident): Promise<Incident>;
  /**
   * Records the Macie scan's summary of an incident (`incident.macie` when it is read). Kept in an
   * item of its own: the scan runs beside the owner, and a write of its own never races the
   * owner's versioned writes of the incident (a lost race there would repeat the owner's work).
   */
  putMacieSummary(incidentId: string, summary: MacieSummary): Promise<void>;
  /** The Macie scan's summary of an incident as recorded now, or null (one read). */
  getMacieSummary(incidentId: string): Promise<MacieSummary | null>;
  /** Incidents, oldest first; of one bucket when `ref` is given. */
  listIncidents(ref?: BucketRef): Promise<Incident[]>;
  /** The exception registry as stored: entries are validated by the reader, so a malformed one is reported. */
  listExceptions(): Promise<unknown[]>;
  /** Adds or replaces an entry (by id); the world file's entries go in as they are, malformed or not. */
  putException(entry: unknown): Promise<void>;
  removeException(id: string): Promise<boolean>;
}
