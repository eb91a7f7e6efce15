/**
 * Where incidents, leases and the events behind them live: DynamoDB in AWS, the state folder
 * locally. Every operation is atomic, because executions of one bucket overlap.
 */
import type { Incident, IncidentEvent } from './contracts.js';
import type { ExceptionEntry } from './exceptions.js';

/** What registering an event told this execution. */
export type Registration =
  | { readonly role: 'owner' }
  /** Another live execution holds the bucket; this event now waits on its lease. */
  | { readonly role: 'joined'; readonly holder: string }
  /** Another execution already registered this very event (a duplicate delivery). */
  | { readonly role: 'duplicate'; readonly holder: string };

export type ReleaseOutcome = 'released' | 'moreEvents' | 'notHeld';

export interface RegisterInput {
  readonly bucket: string;
  readonly executionId: string;
  readonly event: IncidentEvent;
  readonly now: Date;
  readonly leaseSeconds: number;
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
    bucket: string,
    executionId: string,
    now: Date,
    leaseSeconds: number,
  ): Promise<IncidentEvent[]>;
  /** Removes events from the lease once they are recorded where they belong. */
  acknowledgeEvents(bucket: string, executionId: string, eventIDs: readonly string[]): Promise<void>;
  /** Lets the bucket go, unless events joined since the owner last looked ("moreEvents"). */
  releaseLease(bucket: string, executionId: string): Promise<ReleaseOutcome>;
  /**
   * Gives up a lease after a failure: the events waiting on it stay, and the next event for the
   * bucket takes them over at once instead of waiting for the lease to expire.
   */
  abandonLease(bucket: string, executionId: string): Promise<boolean>;
  /** A failed call (errorCode) is kept as an attempt: evidence, not a change. */
  recordAttempt(bucket: string, event: IncidentEvent, errorCode: string): Promise<void>;
  getOpenIncident(bucket: string): Promise<Incident | null>;
  /** The most recent incident of a bucket, open or closed. */
  getLatestIncident(bucket: string): Promise<Incident | null>;
  getIncident(incidentId: string): Promise<Incident | null>;
  /** Creates or replaces an incident; at most one OPEN incident per bucket. */
  putIncident(incident: Incident): Promise<void>;
  /** Incidents, oldest first; of one bucket when `bucket` is given. */
  listIncidents(filter?: { readonly bucket?: string }): Promise<Incident[]>;
  /** The exception registry as stored: entries are validated by the reader, so a malformed one is reported. */
  listExceptions(): Promise<unknown[]>;
  putException(entry: ExceptionEntry): Promise<void>;
  removeException(id: string): Promise<boolean>;
}
