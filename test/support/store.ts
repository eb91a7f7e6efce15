/**
 * The incident store for tests: the real DynamoDB store on an in-memory dynalite, one server per
 * test worker and a new table per store, so tests never see each other's items.
 */
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { ensureTable, type LocalDynamo, startLocalDynamo } from '../../local/store/local-dynamo.js';
import type { Incident } from '../../tasks/shared/contracts.js';
import type { IncidentStore } from '../../tasks/shared/incident-store.js';
import { DynamoIncidentStore } from '../../tasks/shared/store/dynamo-incident-store.js';

let server: Promise<LocalDynamo> | null = null;

afterAll(async () => {
  const running = server;
  server = null;
  if (running) await (await running).close();
});

/** The worker's dynalite, started on first use. */
export function testDynamo(): Promise<LocalDynamo> {
  server ??= startLocalDynamo();
  return server;
}

/** A store on a table of its own. */
export async function freshStore(): Promise<DynamoIncidentStore> {
  const { client } = await testDynamo();
  const tableName = `test-${randomUUID()}`;
  await ensureTable(client, tableName);
  return new DynamoIncidentStore({ client, tableName });
}

/**
 * Stores a fixture over whatever version of it the store holds, as a test's "the incident is
 * now like this" (a task never does this: it writes the version it read).
 */
export async function storeIncident(store: IncidentStore, incident: Incident): Promise<Incident> {
  const current = await store.getIncident(incident.incidentId);
  return store.putIncident({ ...incident, version: current?.version ?? 0 });
}

/** The sample account's bucket, as the store keys it (by account and bucket). */
export function bucketRef(bucket: string, accountId = '111122223333'): { accountId: string; bucket: string } {
  return { accountId, bucket };
}
