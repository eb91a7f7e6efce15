/**
 * The incident store's one DynamoDB table: its key schema and the keys of every kind of item.
 * The stack creates the table from these names; locally the same definition creates it on
 * dynalite. Every item kind is small on its own (no item nears DynamoDB's 400 KB limit): large
 * lists of an incident live in part items, see `incident-items.ts`.
 *
 * | item                          | pk                   | sk                          | retention        |
 * |-------------------------------|----------------------|-----------------------------|------------------|
 * | incident head                 | INCIDENT#<id>        | HEAD                        | kept (audit)     |
 * | incident part (large lists)   | INCIDENT#<id>        | PART#<gen>#<path>#<n>       | with its head    |
 * | a bucket's incidents, in order| BUCKET#<acct>#<b>    | INCIDENT#<seq>              | kept             |
 * | incident counter              | BUCKET#<acct>#<b>    | COUNTER                     | kept             |
 * | the open incident             | BUCKET#<acct>#<b>    | OPEN                        | until closed     |
 * | the bucket's lease            | BUCKET#<acct>#<b>    | LEASE                       | until released   |
 * | an event waiting on the lease | BUCKET#<acct>#<b>    | PENDING#<eventID>           | until recorded   |
 * | a failed call (attempt)       | BUCKET#<acct>#<b>    | ATTEMPT#<eventID>           | TTL 365 days     |
 * | an event's first registration | EVENT#<eventID>      | EVENT                       | TTL 30 days      |
 * | an exception                  | EXCEPTION            | ENTRY#<id>                  | kept (has expiry)|
 */

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';
/** DynamoDB deletes items whose `expiresAt` (epoch seconds) has passed. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** How long an event's registration is kept to recognise a redelivery (EventBridge retries within 24 h). */
export const EVENT_RETENTION_DAYS = 30;
/** How long a failed call is kept as evidence of an attempt. */
export const ATTEMPT_RETENTION_DAYS = 365;

/** The table name used when none is configured (locally, and the stack's default). */
export const DEFAULT_TABLE_NAME = 's3-exposure-incidents';

/** A bucket of one account, as the keys name it. */
interface BucketOf {
  readonly accountId: string;
  readonly bucket: string;
}

export const keys: {
  incidentHead: (incidentId: string) => { pk: string; sk: string };
  incidentPartPrefix: (generation: number) => string;
  incidentMacie: (incidentId: string) => { pk: string; sk: string };
  bucket: (ref: BucketOf) => string;
  bucketIncident: (ref: BucketOf, seq: number) => { pk: string; sk: string };
  counter: (ref: BucketOf) => { pk: string; sk: string };
  open: (ref: BucketOf) => { pk: string; sk: string };
  lease: (ref: BucketOf) => { pk: string; sk: string };
  pending: (ref: BucketOf, eventID: string) => { pk: string; sk: string };
  attempt: (ref: BucketOf, eventID: string) => { pk: string; sk: string };
  event: (eventID: string) => { pk: string; sk: string };
  exceptionPartition: string;
  exception: (id: string) => { pk: string; sk: string };
} = {
  incidentHead: (incidentId: string) => ({ pk: `INCIDENT#${incidentId}`, sk: 'HEAD' }),
  incidentPartPrefix: (generation: number) => `PART#${String(generation).padStart(8, '0')}#`,
  incidentMacie: (incidentId: string) => ({ pk: `INCIDENT#${incidentId}`, sk: 'MACIE' }),
  bucket: (ref: BucketOf) => `BUCKET#${ref.accountId}#${ref.bucket}`,
  bucketIncident: (ref: BucketOf, seq: number) => ({
    pk: keys.bucket(ref),
    sk: `INCIDENT#${String(seq).padStart(10, '0')}`,
  }),
  counter: (ref: BucketOf) => ({ pk: keys.bucket(ref), sk: 'COUNTER' }),
  open: (ref: BucketOf) => ({ pk: keys.bucket(ref), sk: 'OPEN' }),
  lease: (ref: BucketOf) => ({ pk: keys.bucket(ref), sk: 'LEASE' }),
  pending: (ref: BucketOf, eventID: string) => ({ pk: keys.bucket(ref), sk: `PENDING#${eventID}` }),
  attempt: (ref: BucketOf, eventID: string) => ({ pk: keys.bucket(ref), sk: `ATTEMPT#${eventID}` }),
  event: (eventID: string) => ({ pk: `EVENT#${eventID}`, sk: 'EVENT' }),
  exceptionPartition: 'EXCEPTION',
  exception: (id: string) => ({ pk: 'EXCEPTION', sk: `ENTRY#${id}` }),
} as const;

/** Epoch seconds `days` after `now`, for the TTL attribute. */
export function expiresAfterDays(now: Date, days: number): number {
  return Math.floor(now.getTime() / 1000) + days * 86_400;
}
