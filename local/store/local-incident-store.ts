import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  type Incident,
  type IncidentEvent,
  IncidentEventSchema,
  IncidentSchema,
} from '../../tasks/shared/contracts.js';
import { IncidentConflictError, LeaseLostError } from '../../tasks/shared/errors.js';
import type { ExceptionEntry } from '../../tasks/shared/exceptions.js';
import type {
  IncidentStore,
  RegisterInput,
  Registration,
  ReleaseOutcome,
} from '../../tasks/shared/incident-store.js';

const LeaseSchema = z.object({
  holder: z.string(),
  expiresAt: z.string(),
  pending: z.array(IncidentEventSchema),
});
type Lease = z.infer<typeof LeaseSchema>;

const StoreFileSchema = z.object({
  incidents: z.array(IncidentSchema).default([]),
  leases: z.record(z.string(), LeaseSchema).default({}),
  /** eventID -> the execution that registered it first. */
  events: z.record(z.string(), z.string()).default({}),
  attempts: z
    .array(z.object({ bucket: z.string(), event: IncidentEventSchema, errorCode: z.string() }))
    .default([]),
});
type StoreFile = z.infer<typeof StoreFileSchema>;

const FILE = 'incidents.json';

/** The id of a registry entry, which may be malformed (and is then still listed, to be reported). */
function entryId(entry: unknown): unknown {
  return typeof entry === 'object' && entry !== null && 'id' in entry ? entry.id : undefined;
}

/**
 * The incident store of the embedded default. Each operation runs to completion without
 * awaiting, so on Node's single thread it is atomic, as DynamoDB's conditional writes are in AWS.
 * The whole store is one JSON file in the state folder.
 */
export class LocalIncidentStore implements IncidentStore {
  #exceptions: unknown[] = [];

  private constructor(private readonly data: StoreFile) {}

  static empty(): LocalIncidentStore {
    return new LocalIncidentStore(StoreFileSchema.parse({}));
  }

  static async load(dir: string): Promise<LocalIncidentStore> {
    try {
      const text = await readFile(join(dir, FILE), 'utf8');
      return new LocalIncidentStore(StoreFileSchema.parse(JSON.parse(text)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return LocalIncidentStore.empty();
      throw error;
    }
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, FILE), `${JSON.stringify(this.data, null, 2)}\n`);
  }

  async register({ bucket, executionId, event, now, leaseSeconds }: RegisterInput): Promise<Registration> {
    const firstBy = this.data.events[event.eventID];
    if (firstBy !== undefined && firstBy !== executionId) return { role: 'duplicate', holder: firstBy };
    const isRetry = firstBy === executionId;
    this.data.events[event.eventID] = executionId;

    const lease = this.data.leases[bucket];
    const expiresAt = new Date(now.getTime() + leaseSeconds * 1000).toISOString();
    const addPending = (l: Lease) => {
      if (!isRetry || !l.pending.some((e) => e.eventID === event.eventID)) l.pending.push(event);
    };
    if (!lease) {
      this.data.leases[bucket] = { holder: executionId, expiresAt, pending: [event] };
      return { role: 'owner' };
    }
    if (lease.holder === executionId || new Date(lease.expiresAt) <= now) {
      // Ours already (a retried task), or reclaimed from an execution that outlived its lease:
      // the events waiting on it are kept for the new holder.
      lease.holder = executionId;
      lease.expiresAt = expiresAt;
      addPending(lease);
      return { role: 'owner' };
    }
    addPending(lease);
    return { role: 'joined', holder: lease.holder };
  }

  async pendingEvents(
    bucket: string,
    executionId: string,
    now: Date,
    leaseSeconds: number,
  ): Promise<IncidentEvent[]> {
    const lease = this.#heldLease(bucket, executionId);
    lease.expiresAt = new Date(now.getTime() + leaseSeconds * 1000).toISOString();
    return structuredClone(lease.pending);
  }

  async acknowledgeEvents(bucket: string, executionId: string, eventIDs: readonly string[]): Promise<void> {
    const lease = this.#heldLease(bucket, executionId);
    const done = new Set(eventIDs);
    lease.pending = lease.pending.filter((e) => !done.has(e.eventID));
  }

  #heldLease(bucket: string, executionId: string): Lease {
    const lease = this.data.leases[bucket];
    if (!lease || lease.holder !== executionId) throw new LeaseLostError(bucket, lease?.holder ?? null);
    return lease;
  }

  async releaseLease(bucket: string, executionId: string): Promise<ReleaseOutcome> {
    const lease = this.data.leases[bucket];
    if (!lease || lease.holder !== executionId) return 'notHeld';
    if (lease.pending.length > 0) return 'moreEvents';
    delete this.data.leases[bucket];
    return 'released';
  }

  async abandonLease(bucket: string, executionId: string): Promise<boolean> {
    const lease = this.data.leases[bucket];
    if (!lease || lease.holder !== executionId) return false;
    lease.expiresAt = new Date(0).toISOString();
    return true;
  }

  async recordAttempt(bucket: string, event: IncidentEvent, errorCode: string): Promise<void> {
    if (!this.data.attempts.some((a) => a.event.eventID === event.eventID)) {
      this.data.attempts.push({ bucket, event, errorCode });
    }
  }

  async getOpenIncident(bucket: string): Promise<Incident | null> {
    return structuredClone(
      this.data.incidents.find((i) => i.bucket === bucket && i.status === 'OPEN') ?? null,
    );
  }

  async getLatestIncident(bucket: string): Promise<Incident | null> {
    const ofBucket = this.data.incidents.filter((i) => i.bucket === bucket);
    return structuredClone(ofBucket.at(-1) ?? null);
  }

  async getIncident(incidentId: string): Promise<Incident | null> {
    return structuredClone(this.data.incidents.find((i) => i.incidentId === incidentId) ?? null);
  }

  async putIncident(incident: Incident): Promise<void> {
    const open = this.data.incidents.find(
      (i) => i.bucket === incident.bucket && i.status === 'OPEN' && i.incidentId !== incident.incidentId,
    );
    if (open && incident.status === 'OPEN') {
      throw new IncidentConflictError(
        `bucket ${incident.bucket} already has open incident ${open.incidentId}`,
      );
    }
    const index = this.data.incidents.findIndex((i) => i.incidentId === incident.incidentId);
    const copy = IncidentSchema.parse(structuredClone(incident));
    if (index >= 0) this.data.incidents[index] = copy;
    else this.data.incidents.push(copy);
  }

  async listIncidents(filter: { readonly bucket?: string } = {}): Promise<Incident[]> {
    const { bucket } = filter;
    return structuredClone(
      bucket ? this.data.incidents.filter((i) => i.bucket === bucket) : this.data.incidents,
    );
  }

  /**
   * Locally the exception registry is the world file's `exceptions` list: the environment hands
   * the sandbox's list in, so both show the same entries.
   */
  attachExceptions(entries: unknown[]): void {
    this.#exceptions = entries;
  }

  async listExceptions(): Promise<unknown[]> {
    return structuredClone(this.#exceptions);
  }

  async putException(entry: ExceptionEntry): Promise<void> {
    const index = this.#exceptions.findIndex((e) => entryId(e) === entry.id);
    if (index >= 0) this.#exceptions[index] = structuredClone(entry);
    else this.#exceptions.push(structuredClone(entry));
  }

  async removeException(id: string): Promise<boolean> {
    const index = this.#exceptions.findIndex((e) => entryId(e) === id);
    if (index < 0) return false;
    this.#exceptions.splice(index, 1);
    return true;
  }

  /** Attempts recorded (failed calls), for the CLI and tests. */
  attempts(): StoreFile['attempts'] {
    return structuredClone(this.data.attempts);
  }

  /** The current lease of a bucket, for tests and the console. */
  lease(bucket: string): Lease | null {
    return structuredClone(this.data.leases[bucket] ?? null);
  }
}
