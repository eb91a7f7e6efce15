/**
 * DynamoDB on this machine: dynalite (the DynamoDB API on LevelDB, from the Architect project)
 * started in process on 127.0.0.1, in memory or persisted in a state folder. The incident store
 * runs against it with exactly the code that runs against the stack's table in AWS.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import dynalite from 'dynalite';
import { InvalidInputError, ResponderError } from '../../tasks/shared/errors.js';
import { PARTITION_KEY, SORT_KEY } from '../../tasks/shared/store/table.js';
import { recordCallsOf } from '../call-ledger.js';

/** Another process works on the same state folder: LevelDB allows one at a time. */
export class StateFolderInUseError extends ResponderError {
  override name = 'StateFolderInUseError';
}

export interface LocalDynamo {
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  /** Stops the server, closes LevelDB and lets the state folder go. */
  close(): Promise<void>;
}

const LOCK_FILE = 'store.lock';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file as {@link lockFolder} writes it: the holder's process id on one line. */
const LOCK_CONTENT = /^[1-9]\d*\n?$/;

/**
 * The process id in the lock file `file` of the state folder `dir`, or null when the file went
 * away meanwhile (its holder let the folder go). The holder creates the file and then writes its
 * id, so an empty file is read again for a moment.
 *
 * @throws InvalidInputError naming the file when it holds anything else: it is not a lock this
 * tool wrote, and taking it over could break whoever did.
 */
async function lockHolder(file: string, dir: string): Promise<number | null> {
  for (let attempt = 0; ; attempt++) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    if (LOCK_CONTENT.test(text)) return Number.parseInt(text, 10);
    if (text !== '' || attempt >= 20) {
      throw new InvalidInputError(
        `${file} is not a lock this tool wrote (a process id is expected, it holds ${JSON.stringify(text.slice(0, 40))}); if no s3-exposure command is using ${dir}, delete it`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Takes the state folder for this process, or says clearly who has it. A lock left by a process
 * that is gone (killed mid-run) is taken over.
 */
async function lockFolder(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = await lockHolder(file, dir);
      if (pid !== null && isRunning(pid)) {
        const who = pid === process.pid ? 'this process already' : `process ${pid}`;
        throw new StateFolderInUseError(
          `state folder ${dir} is in use (${who} has it open); wait for it to finish, or use another --state folder`,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new StateFolderInUseError(`state folder ${dir} is in use; use another --state folder`);
}

async function listen(server: ReturnType<typeof dynalite>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | null> {
  try {
    const answer = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return answer.Table?.TableStatus ?? null;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return null;
    throw error;
  }
}

/**
 * Creates the store's table unless it exists (a state folder from an earlier run has it), and
 * waits until it is ACTIVE: dynalite, like DynamoDB, answers "not found" while it is CREATING.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  if ((await tableStatus(client, tableName)) === null) await createTable(client, tableName);
  for (let attempt = 0; (await tableStatus(client, tableName)) !== 'ACTIVE'; attempt++) {
    if (attempt >= 100) throw new Error(`table ${tableName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: PARTITION_KEY, AttributeType: 'S' },
        { AttributeName: SORT_KEY, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
        { AttributeName: SORT_KEY, KeyType: 'RANGE' },
      ],
    }),
  );
}

/**
 * Starts dynalite: persisted under `dir/dynamodb` when a state folder is given (and locked for
 * this process), in memory otherwise.
 */
export async function startLocalDynamo(
  options: { dir?: string; region?: string } = {},
): Promise<LocalDynamo> {
  const unlock = options.dir ? await lockFolder(options.dir) : async () => {};
  const server = dynalite({
    ...(options.dir ? { path: join(options.dir, 'dynamodb') } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  let port: number;
  try {
    port = await listen(server);
  } catch (error) {
    await unlock();
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: options.region ?? 'us-east-1',
    // dynalite checks that requests are signed, not by whom.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // The SDK's own retries, with the pauses shortened as the sandbox's are (AWS waits longer).
    retryStrategy: new ConfiguredRetryStrategy(3, 1),
  });
  recordCallsOf(client.middlewareStack, 'dynamodb');
  let closed: Promise<void> | null = null;
  return {
    client,
    endpoint,
    close() {
      closed ??= (async () => {
        client.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await unlock();
      })();
      return closed;
    },
  };
}
