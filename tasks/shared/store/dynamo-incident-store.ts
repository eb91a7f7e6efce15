/**
 * The incident store on DynamoDB: the stack's table in AWS, and the same code against dynalite
 * locally. Only single-item conditional writes (dynalite has no transactions), each one safe
 * to repeat, so a task that Step Functions runs again after it wrote finds the store as it left it.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  type Incident,
  type IncidentEvent,
  IncidentEventSchema,
  IncidentSchema,
  type MacieSummary,
  MacieSummarySchema,
} from '../contracts.js';
import { ConcurrentUpdateError, IncidentConflictError, LeaseLostError } from '../errors.js';
import { sha256Hex, stableStringify } from '../hash.js';
import type {
  Attempt,
  BucketRef,
  IncidentStore,
  LeaseView,
  RegisterInput,
  Registration,
  ReleaseOutcome,
} from '../incident-store.js';
import { joinRecord, type PartChunk, splitRecord } from './incident-items.js';
import {
  ATTEMPT_RETENTION_DAYS,
  EVENT_RETENTION_DAYS,
  expiresAfterDays,
  keys,
  TTL_ATTRIBUTE,
} from './table.js';

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

const MacieItemSchema = z.looseObject({ summary: MacieSummarySchema });
const HeadSchema = z.looseObject({
  record: z.record(z.string(), z.unknown()),
  version: z.number().int(),
  generation: z.number().int(),
  /** How many part items the generation has: most incidents have none, and need no query for them. */
  parts: z.number().int().default(1),
});
const LeaseItemSchema = z.object({ holder: z.string(), expiresAtMs: z.number(), seq: z.number().int() });
const PendingItemSchema = z.object({
  event: IncidentEventSchema,
  registeredBy: z.string(),
  order: z.number(),
});
const PartItemSchema = z.object({ path: z.string(), index: z.number().int(), items: z.array(z.unknown()) });
const RegistrationItemSchema = z.object({ executionId: z.string(), recorded: z.boolean().optional() });
const AttemptItemSchema = z.object({
  accountId: z.string(),
  bucket: z.string(),
  event: IncidentEventSchema,
  errorCode: z.string(),
});

/** DynamoDB's BatchWriteItem limit. */
const BATCH_SIZE = 25;
/** Conditional writes that lose a race are tried again this many times before giving up. */
const RACE_ATTEMPTS = 8;

export interface DynamoIncidentStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}

/** Events waiting on a lease, in the order they registered. */
function byOrder(a: { order: number; event: IncidentEvent }, b: { order: number; event: IncidentEvent }) {
  return a.order - b.order || a.event.eventID.localeCompare(b.event.eventID);
}

export class DynamoIncidentStore implements IncidentStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  /** The table this store writes to. */
  readonly tableName: string;
  /** Orders events that register within the same millisecond in this process. */
  #tick = 0;
  /** Part counts of versions this store read or wrote, so replacing a small incident needs no query. */
  readonly #partsSeen = new Map<string, number>();

  constructor(options: DynamoIncidentStoreOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#table = options.tableName;
    this.tableName = options.tableName;
  }

  // ---- leases and events --------------------------------------------------------------

  async register({
    ref,
    executionId,
    event,
    now,
    leaseSeconds,
    holderStillRuns,
  }: RegisterInput): Promise<Registration> {
    const registration = await this.#claimEvent(event.eventID, executionId, now);
    if (registration.executionId !== executionId) {
      return { role: 'duplicate', holder: registration.executionId };
    }
    // A retried task whose event the holder already recorded must not hand it over again.
    if (!registration.recorded) {
      await this.#put({
        ...keys.pending(ref, event.eventID),
        event,
        registeredBy: executionId,
        order: now.getTime() * 1000 + (this.#tick++ % 1000),
      });
    }
    return this.#takeOrJoin(ref, executionId, now, leaseSeconds, holderStillRuns);
  }

  /** The event's first registration: this execution's, or the one that registered it before. */
  async #claimEvent(
    eventID: string,
    executionId: string,
    now: Date,
  ): Promise<z.infer<typeof RegistrationItemSchema>> {
    try {
      // An update, not a put: a retry must keep what the holder wrote since (`recorded`).
      const item = await this.#update(keys.event(eventID), {
        UpdateExpression: 'SET executionId = :me, #ttl = if_not_exists(#ttl, :ttl)',
        ConditionExpression: 'attribute_not_exists(pk) OR executionId = :me',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':me': executionId,
          ':ttl': expiresAfterDays(now, EVENT_RETENTION_DAYS),
        },
        ReturnValues: 'ALL_NEW',
      });
      return RegistrationItemSchema.parse(item);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = await this.#get(keys.event(eventID));
      const parsed = RegistrationItemSchema.safeParse(item);
      if (!parsed.success) throw new ConcurrentUpdateError(`event ${eventID} registration changed meanwhile`);
      return parsed.data;
    }
  }

  /**
   * Takes the lease when it is free, ours, or expired (and, when asked, its holder no longer
   * runs); otherwise tells the holder that an event joined by raising the lease's sequence
   * number (the holder's release is conditional on it).
   */
  async #takeOrJoin(
    ref: BucketRef,
    executionId: string,
    now: Date,
    leaseSeconds: number,
    holderStillRuns: RegisterInput['holderStillRuns'],
  ): Promise<Registration> {
    const values = { ':me': executionId, ':now': now.getTime(), ':one': 1 };
    const exp = now.getTime() + leaseSeconds * 1000;
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      try {
        await this.#update(keys.lease(ref), {
          UpdateExpression: 'SET holder = :me, expiresAtMs = :exp ADD seq :one',
          // A lease its holder gave up (abandonLease: expiry 0) is free at once; one that merely ran
          // out is free only when nobody asks whether its holder still runs.
          ConditionExpression: holderStillRuns
            ? 'attribute_not_exists(holder) OR holder = :me OR expiresAtMs = :given'
            : 'attribute_not_exists(holder) OR holder = :me OR expiresAtMs <= :now',
          ExpressionAttributeValues: holderStillRuns
            ? { ':me': executionId, ':exp': exp, ':one': 1, ':given': 0 }
            : { ...values, ':exp': exp },
        });
        return { role: 'owner' };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      try {
        const answer = await this.#update(keys.lease(ref), {
          UpdateExpression: 'ADD seq :one',
          ConditionExpression: 'attribute_exists(holder) AND holder <> :me AND expiresAtMs > :now',
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        });
        return { role: 'joined', holder: LeaseItemSchema.parse(answer).holder };
      } catch (error) {
        // The lease was let go or expired between the two writes: try to take it again.
        if (!isConditionFailure(error)) throw error;
      }
      if (holderStillRuns) {
        const settled = await this.#settleExpiredLease(ref, executionId, exp, now, holderStillRuns);
        if (settled) return settled;
      }
    }
    throw new ConcurrentUpdateError(`the lease on bucket ${ref.bucket} kept changing; try again`);
  }

  /**
   * A lease past its expiry: the holder keeps it while its execution runs (renewed for it, and
   * this event joins); one that has ended loses it to this execution. Null when the lease changed
   * meanwhile (the caller tries again).
   */
  async #settleExpiredLease(
    ref: BucketRef,
    executionId: string,
    exp: number,
    now: Date,
    holderStillRuns: (holder: string) => Promise<boolean>,
  ): Promise<Registration | null> {
    const lease = await this.getLease(ref);
    if (!lease || lease.holder === executionId) return null;
    const runs = await holderStillRuns(lease.holder);
    try {
      if (runs) {
        await this.#update(keys.lease(ref), {
          UpdateExpression: 'SET expiresAtMs = :exp ADD seq :one',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': lease.holder, ':exp': exp, ':one': 1 },
        });
        return { role: 'joined', holder: lease.holder };
      }
      await this.#update(keys.lease(ref), {
        UpdateExpression: 'SET holder = :me, expiresAtMs = :exp ADD seq :one',
        ConditionExpression: 'holder = :holder AND expiresAtMs <= :now',
        ExpressionAttributeValues: {
          ':holder': lease.holder,
          ':me': executionId,
          ':now': now.getTime(),
          ':exp': exp,
          ':one': 1,
        },
      });
      return { role: 'owner' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return null;
    }
  }

  async pendingEvents(
    ref: BucketRef,
    executionId: string,
    now: Date,
    leaseSeconds: number,
  ): Promise<IncidentEvent[]> {
    try {
      // Only a lease still in force is renewed: one given up after a failure (or run out) stays
      // given up, so a task that outlived its timeout cannot take the bucket back.
      await this.#update(keys.lease(ref), {
        UpdateExpression: 'SET expiresAtMs = :exp',
        ConditionExpression: 'holder = :me AND expiresAtMs > :now',
        ExpressionAttributeValues: {
          ':me': executionId,
          ':now': now.getTime(),
          ':exp': now.getTime() + leaseSeconds * 1000,
        },
      });
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new LeaseLostError(ref.bucket, (await this.getLease(ref))?.holder ?? null);
    }
    return (await this.#pendingItems(ref)).map((p) => p.event);
  }

  async #pendingItems(ref: BucketRef, limit?: number): Promise<z.infer<typeof PendingItemSchema>[]> {
    const items = await this.#query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.bucket(ref), ':prefix': 'PENDING#' },
      },
      limit,
    );
    return items.map((item) => PendingItemSchema.parse(item)).sort(byOrder);
  }

  async acknowledgeEvents(ref: BucketRef, executionId: string, eventIDs: readonly string[]): Promise<void> {
    const lease = await this.getLease(ref);
    if (!lease || lease.holder !== executionId) throw new LeaseLostError(ref.bucket, lease?.holder ?? null);
    const done = new Set(eventIDs);
    const pending = (await this.#pendingItems(ref)).filter((p) => done.has(p.event.eventID));
    const expiresAt = expiresAfterDays(new Date(), EVENT_RETENTION_DAYS);
    await this.#batchWrite(
      pending.flatMap((p) => [
        { DeleteRequest: { Key: keys.pending(ref, p.event.eventID) } },
        {
          PutRequest: {
            Item: {
              ...keys.event(p.event.eventID),
              executionId: p.registeredBy,
              recorded: true,
              [TTL_ATTRIBUTE]: expiresAt,
            },
          },
        },
      ]),
    );
  }

  async releaseLease(ref: BucketRef, executionId: string): Promise<ReleaseOutcome> {
    const lease = await this.getLease(ref);
    if (!lease || lease.holder !== executionId) return 'notHeld';
    if ((await this.#pendingItems(ref, 1)).length > 0) return 'moreEvents';
    try {
      await this.#send(
        new DeleteCommand({
          TableName: this.#table,
          Key: keys.lease(ref),
          ConditionExpression: 'holder = :me AND seq = :seq',
          ExpressionAttributeValues: { ':me': executionId, ':seq': lease.seq },
        }),
      );
      return 'released';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // An event joined after the look at the pending events: answer it before letting go.
      const now = await this.getLease(ref);
      return now?.holder === executionId ? 'moreEvents' : 'notHeld';
    }
  }

  async abandonLease(ref: BucketRef, executionId: string): Promise<boolean> {
    try {
      await this.#update(keys.lease(ref), {
        UpdateExpression: 'SET expiresAtMs = :zero',
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: { ':me': executionId, ':zero': 0 },
      });
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getLease(ref: BucketRef): Promise<LeaseView | null> {
    const item = await this.#get(keys.lease(ref));
    const parsed = LeaseItemSchema.safeParse(item);
    if (!parsed.success) return null;
    const pending = await this.#pendingItems(ref);
    return {
      holder: parsed.data.holder,
      expiresAt: new Date(parsed.data.expiresAtMs).toISOString(),
      seq: parsed.data.seq,
      pending: pending.map((p) => p.event),
    };
  }

  async recordAttempt(
    ref: BucketRef,
    event: IncidentEvent,
    errorCode: string,
    now = new Date(),
  ): Promise<void> {
    try {
      await this.#put(
        {
          ...keys.attempt(ref, event.eventID),
          accountId: ref.accountId,
          bucket: ref.bucket,
          event,
          errorCode,
          [TTL_ATTRIBUTE]: expiresAfterDays(now, ATTEMPT_RETENTION_DAYS),
        },
        { ConditionExpression: 'attribute_not_exists(pk)' },
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async listAttempts(ref?: BucketRef): Promise<Attempt[]> {
    const items = ref
      ? await this.#query({
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.bucket(ref), ':prefix': 'ATTEMPT#' },
        })
      : await this.#scan({
          FilterExpression: 'begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':prefix': 'ATTEMPT#' },
        });
    return items
      .map((item) => AttemptItemSchema.parse(item))
      .sort((a, b) => a.event.time.localeCompare(b.event.time));
  }

  // ---- incidents ----------------------------------------------------------------------

  async getIncident(incidentId: string): Promise<Incident | null> {
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const [item, macie] = await Promise.all([
        this.#get(keys.incidentHead(incidentId)),
        this.#get(keys.incidentMacie(incidentId)),
      ]);
      if (!item) return null;
      const head = HeadSchema.parse(item);
      const parts = head.parts > 0 ? await this.#parts(incidentId, head.generation) : [];
      this.#partsSeen.set(`${incidentId}#${head.version}`, head.parts);
      const record = joinRecord(head.record, parts);
      // A writer replaced the generation while its parts were read: read the new one.
      if (record) {
        // The scan's own item is the word on `macie`, whatever copy the head holds.
        const summary = macie ? MacieItemSchema.parse(macie).summary : undefined;
        return IncidentSchema.parse({
          ...record,
          ...(summary ? { macie: summary } : {}),
          version: head.version,
        });
      }
    }
    throw new ConcurrentUpdateError(`incident ${incidentId} kept changing while it was read`);
  }

  async #parts(incidentId: string, generation: number): Promise<PartChunk[]> {
    const items = await this.#query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.incidentHead(incidentId).pk,
        ':prefix': keys.incidentPartPrefix(generation),
      },
    });
    return items.map((item) => PartItemSchema.parse(item));
  }

  async getOpenIncident(ref: BucketRef): Promise<Incident | null> {
    const pointer = await this.#get(keys.open(ref));
    const incidentId = typeof pointer?.incidentId === 'string' ? pointer.incidentId : null;
    if (!incidentId) return null;
    const incident = await this.getIncident(incidentId);
    return incident?.status === 'OPEN' ? incident : null;
  }

  async getLatestIncident(ref: BucketRef): Promise<Incident | null> {
    const ids = await this.#incidentIds(ref);
    for (const id of ids.reverse()) {
      const incident = await this.getIncident(id);
      if (incident) return incident;
    }
    return null;
  }

  /**
   * Incident ids in the order they were created: one bucket's (a query), or every bucket's (a
   * scan, for the CLI and the console). An index entry whose incident was never written (its
   * writer failed in between) is skipped when the incident is read.
   */
  async #incidentIds(ref?: BucketRef): Promise<string[]> {
    const items = ref
      ? await this.#query({
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.bucket(ref), ':prefix': 'INCIDENT#' },
        })
      : (
          await this.#scan({
            FilterExpression: 'begins_with(pk, :bucket) AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':bucket': 'BUCKET#', ':prefix': 'INCIDENT#' },
          })
        ).sort(
          (a, b) =>
            Number(a.createdAtMs) - Number(b.createdAtMs) ||
            String(a.pk).localeCompare(String(b.pk)) ||
            String(a.sk).localeCompare(String(b.sk)),
        );
    const ids = items.flatMap((item) => (typeof item.incidentId === 'string' ? [item.incidentId] : []));
    return [...new Set(ids)];
  }

  async listIncidents(ref?: BucketRef): Promise<Incident[]> {
    const ids = await this.#incidentIds(ref);
    const incidents = await Promise.all(ids.map((id) => this.getIncident(id)));
    return incidents.filter((i): i is Incident => i !== null);
  }

  async putMacieSummary(incidentId: string, summary: MacieSummary): Promise<void> {
    await this.#put({ ...keys.incidentMacie(incidentId), summary: MacieSummarySchema.parse(summary) });
  }

  async getMacieSummary(incidentId: string): Promise<MacieSummary | null> {
    const item = await this.#get(keys.incidentMacie(incidentId));
    return item ? MacieItemSchema.parse(item).summary : null;
  }

  async putIncident(incident: Incident): Promise<Incident> {
    const checked = IncidentSchema.parse(incident);
    const { version: stored, ...record } = checked;
    const next = stored + 1;
    if (stored === 0) await this.#indexNewIncident(checked);
    // Unknown for a version this process did not read: look for its parts to be safe.
    const previousParts = this.#partsSeen.get(`${checked.incidentId}#${stored}`) ?? 1;
    const { head, parts } = splitRecord(record);
    await this.#writeParts(checked.incidentId, next, parts);
    try {
      await this.#put(
        {
          ...keys.incidentHead(checked.incidentId),
          record: head,
          bucket: checked.bucket,
          status: checked.status,
          version: next,
          generation: next,
          parts: parts.length,
        },
        stored === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :stored', ExpressionAttributeValues: { ':stored': stored } },
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await this.#deleteParts(checked.incidentId, next);
      throw new ConcurrentUpdateError(
        `incident ${checked.incidentId} changed since version ${stored} was read`,
        { cause: error },
      );
    }
    if (stored > 0 && previousParts > 0) await this.#deleteParts(checked.incidentId, stored);
    if (checked.status === 'CLOSED') await this.#releaseOpenPointer(checked);
    this.#partsSeen.delete(`${checked.incidentId}#${stored}`);
    this.#partsSeen.set(`${checked.incidentId}#${next}`, parts.length);
    return { ...checked, version: next };
  }

  /**
   * A new incident: its place in the bucket's list first, then the bucket's one OPEN slot, so
   * a head is never written that the bucket's reads cannot find.
   */
  async #indexNewIncident(incident: Incident): Promise<void> {
    const counter = await this.#update(keys.counter(incident), {
      UpdateExpression: 'ADD n :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    });
    const seq = z.object({ n: z.number().int() }).parse(counter).n;
    await this.#put({
      ...keys.bucketIncident(incident, seq),
      incidentId: incident.incidentId,
      // Lists across buckets come out in the order incidents were created, whatever the clock said.
      createdAtMs: Date.now(),
    });
    if (incident.status === 'OPEN') await this.#claimOpenPointer(incident);
  }

  async #claimOpenPointer(incident: Incident): Promise<void> {
    const values = { ':me': incident.incidentId };
    try {
      await this.#put(
        { ...keys.open(incident), incidentId: incident.incidentId },
        {
          ConditionExpression: 'attribute_not_exists(pk) OR incidentId = :me',
          ExpressionAttributeValues: values,
        },
      );
      return;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const holder = await this.#get(keys.open(incident));
    const otherId = typeof holder?.incidentId === 'string' ? holder.incidentId : null;
    const other = otherId ? await this.getIncident(otherId) : null;
    if (other?.status === 'OPEN') {
      throw new IncidentConflictError(
        `bucket ${incident.bucket} already has open incident ${other.incidentId}`,
      );
    }
    // The slot names an incident that closed (or was never written): take it over, unless it moved.
    try {
      await this.#put(
        { ...keys.open(incident), incidentId: incident.incidentId },
        { ConditionExpression: 'incidentId = :other', ExpressionAttributeValues: { ':other': otherId } },
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new ConcurrentUpdateError(`the open incident of bucket ${incident.bucket} changed meanwhile`);
    }
  }

  async #releaseOpenPointer(incident: Incident): Promise<void> {
    try {
      await this.#send(
        new DeleteCommand({
          TableName: this.#table,
          Key: keys.open(incident),
          ConditionExpression: 'incidentId = :me',
          ExpressionAttributeValues: { ':me': incident.incidentId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async #writeParts(incidentId: string, generation: number, parts: readonly PartChunk[]): Promise<void> {
    const pk = keys.incidentHead(incidentId).pk;
    const prefix = keys.incidentPartPrefix(generation);
    await this.#batchWrite(
      parts.map((part) => ({
        PutRequest: {
          Item: { pk, sk: `${prefix}${part.path}#${String(part.index).padStart(6, '0')}`, ...part },
        },
      })),
    );
  }

  async #deleteParts(incidentId: string, generation: number): Promise<void> {
    const items = await this.#query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.incidentHead(incidentId).pk,
        ':prefix': keys.incidentPartPrefix(generation),
      },
      ProjectionExpression: 'pk, sk',
    });
    await this.#batchWrite(items.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })));
  }

  // ---- exceptions ---------------------------------------------------------------------

  async listExceptions(): Promise<unknown[]> {
    const items = await this.#query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.exceptionPartition },
    });
    return items
      .sort((a, b) => Number(a.addedAtMs) - Number(b.addedAtMs) || String(a.sk).localeCompare(String(b.sk)))
      .map((item) => item.entry);
  }

  async putException(entry: unknown, now = new Date()): Promise<void> {
    const id = exceptionItemId(entry);
    const existing = await this.#get(keys.exception(id));
    await this.#put({
      ...keys.exception(id),
      entry,
      addedAtMs: typeof existing?.addedAtMs === 'number' ? existing.addedAtMs : now.getTime(),
    });
  }

  async removeException(id: string): Promise<boolean> {
    const answer = await this.#send(
      new DeleteCommand({ TableName: this.#table, Key: keys.exception(id), ReturnValues: 'ALL_OLD' }),
    );
    return answer.Attributes !== undefined;
  }

  // ---- DynamoDB calls -----------------------------------------------------------------

  #send: DynamoDBDocumentClient['send'] = (command) => this.#doc.send(command);

  async #get(key: Key): Promise<Item | undefined> {
    const answer = await this.#send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    return answer.Item;
  }

  async #put(
    item: Item & Key,
    condition: { ConditionExpression?: string; ExpressionAttributeValues?: Item } = {},
  ): Promise<void> {
    await this.#send(new PutCommand({ TableName: this.#table, Item: item, ...condition }));
  }

  async #update(
    key: Key,
    update: {
      UpdateExpression: string;
      ConditionExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues: Item;
      ReturnValues?: 'ALL_NEW' | 'UPDATED_NEW';
    },
  ): Promise<Item | undefined> {
    const answer = await this.#send(new UpdateCommand({ TableName: this.#table, Key: key, ...update }));
    return answer.Attributes;
  }

  /** Every page of a query, read strongly consistent; at most `limit` items when given. */
  async #query(input: Omit<QueryCommandInput, 'TableName'>, limit?: number): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#send(
        new QueryCommand({
          TableName: this.#table,
          ConsistentRead: true,
          ...input,
          ...(limit ? { Limit: limit } : {}),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && (limit === undefined || items.length < limit));
    return items;
  }

  async #scan(input: Omit<ScanCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#send(
        new ScanCommand({
          TableName: this.#table,
          ConsistentRead: true,
          ...input,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Writes in batches of 25, sending again whatever DynamoDB left unprocessed (throttling). */
  async #batchWrite(requests: readonly NonNullable<BatchRequest>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_SIZE) {
      let batch = requests.slice(i, i + BATCH_SIZE);
      for (let attempt = 0; batch.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
        if (attempt >= RACE_ATTEMPTS) {
          throw new ConcurrentUpdateError(
            `DynamoDB left ${batch.length} writes unprocessed after ${attempt} tries`,
          );
        }
        const answer = await this.#send(new BatchWriteCommand({ RequestItems: { [this.#table]: batch } }));
        batch = (answer.UnprocessedItems?.[this.#table] ?? []) as NonNullable<BatchRequest>[];
      }
    }
  }
}

type BatchRequest = NonNullable<
  ConstructorParameters<typeof BatchWriteCommand>[0]['RequestItems']
>[string][number];

/**
 * The registry key of an entry. A malformed entry (no string id) is kept under a hash of its
 * content, so it is still listed and reported, never silently dropped.
 */
export function exceptionItemId(entry: unknown): string {
  const id = typeof entry === 'object' && entry !== null && 'id' in entry ? entry.id : undefined;
  return typeof id === 'string' && id.length > 0 ? id : `~${sha256Hex(stableStringify(entry)).slice(0, 16)}`;
}
