/**
 * The sandbox account (DESIGN.md section 4): a stateful, in-process stand-in for the AWS APIs the
 * responder calls, behind real SDK v3 clients. It keeps a call log, answers with AWS's errors,
 * and can inject faults and latency. Its state is a {@link World}, saved to and loaded from a
 * state folder between CLI commands.
 */

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Macie2Client } from '@aws-sdk/client-macie2';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { AwsCredentialIdentity, MetadataBearer, MiddlewareStack } from '@smithy/types';
import { z } from 'zod';
import { redactApprovalSecrets } from '../../tasks/shared/approval/redact.js';
import { type Clock, systemClock } from '../../tasks/shared/clock.js';
import { InvalidInputError } from '../../tasks/shared/errors.js';
import type { ChatPoster } from '../../tasks/shared/messages/chat.js';
import { recordCallsOf } from '../call-ledger.js';
import { AwsApiError } from './aws-error.js';
import { toServiceException } from './exceptions.js';
import { takeFault } from './faults.js';
import { attachSandbox } from './middleware.js';
import type {
  OperationContext,
  OutboxEntry,
  StartExecutionHandler,
  StartExecutionRequest,
} from './operations.js';
import { OPERATIONS, SERVICE_LABELS } from './services.js';
import {
  type FaultInput,
  FaultSchema,
  parseWorld,
  SANDBOX_SERVICES,
  type SandboxService,
  type World,
  type WorldInput,
} from './world.js';

/** How the sandbox runs. */
export interface SandboxOptions {
  /** "Now" for timestamps. @default systemClock */
  readonly clock?: Clock;
  /** Where SendEmail writes `.eml` files. @default none: messages are only recorded in `outbox` */
  readonly outboxDir?: string;
  /** Latency added to every call, in milliseconds. @default 0 */
  readonly latencyMs?: number;
}

/** How the clients of {@link SandboxAccount.clients} are built. */
export interface SandboxClientOptions {
  /** @default the world's region */
  readonly region?: string;
  /** Attempts per call, the first included, as the SDK counts them. @default 3 */
  readonly maxAttempts?: number;
  /** Delay between attempts, in milliseconds; tiny so tests stay fast. @default 1 */
  readonly retryDelayMs?: number;
}

/** Real SDK clients wired to the sandbox. A superset of the responder's `AwsClients`. */
export interface SandboxClients {
  readonly s3: S3Client;
  readonly s3Control: S3ControlClient;
  readonly securityHub: SecurityHubClient;
  readonly ses: SESv2Client;
  readonly sfn: SFNClient;
  readonly sts: STSClient;
  readonly macie: Macie2Client;
}

/** One line of `calls.jsonl`. */
export const CallRecordSchema = z.object({
  service: z.enum(SANDBOX_SERVICES),
  operation: z.string(),
  /** The command input, with bodies and streams replaced by a short description. */
  input: z.unknown(),
  /** "ok", or the error raised; "stale" or "<error> (stale)" when a stale fault answered (see FaultSchema). */
  outcome: z.string(),
  at: z.string(),
});
/** One call the sandbox answered (one per SDK attempt, so retries show). */
export type CallRecord = z.infer<typeof CallRecordSchema>;

const OutboxEntrySchema = z.object({
  channel: z.enum(['email', 'chat']),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  file: z.string().nullable(),
});

/** Signing runs before the sandbox answers, so the clients need credentials; these sign nothing real. */
const SANDBOX_CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'ASIASANDBOXEXAMPLE',
  secretAccessKey: 'sandbox-secret-access-key',
  sessionToken: 'sandbox-session-token',
};

const WORLD_FILE = 'world.json';
const CALLS_FILE = 'calls.jsonl';
const OUTBOX_FILE = 'outbox.jsonl';

/** A call input as the log keeps it: JSON data, with bodies and streams named, not copied. */
function loggable(value: unknown): unknown {
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (value instanceof Readable || value instanceof ReadableStream || value instanceof Blob)
    return '<stream>';
  if (value instanceof Date) return value.toISOString();
  // A message's signed approval links are the recipient's alone: the log shows them redacted.
  if (typeof value === 'string') return redactApprovalSecrets(value);
  if (Array.isArray(value)) return value.map(loggable);
  if (typeof value === 'function') return undefined;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== undefined && typeof item !== 'function')
        // A task token answers a waiting workflow: it never goes into a log, the call log included.
        .map(([key, item]) => [key, key === 'taskToken' ? '<task token>' : loggable(item)]),
    );
  }
  return value;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

/**
 * The records of a `.jsonl` file of the state folder, each checked against `schema`.
 *
 * @throws InvalidInputError naming the file and the line that is not JSON or not a record.
 */
async function readJsonLines<T>(file: string, schema: z.ZodType<T>): Promise<T[]> {
  if (!existsSync(file)) return [];
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  return lines.map((line, index) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new InvalidInputError(`${file} line ${index + 1} is not JSON`, [], { cause: error });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidInputError(`${file} line ${index + 1} is not a valid record`);
    return parsed.data;
  });
}

function jsonLines(records: readonly unknown[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join('');
}

/** A sandbox AWS account. Build one with {@link SandboxAccount.fromWorld} or {@link SandboxAccount.load}. */
export class SandboxAccount {
  /** The live state; operations and `applyEventToWorld` change it in place. */
  readonly world: World;
  /** Every call answered, in order. */
  readonly calls: CallRecord[] = [];
  /** Every message sent (SES) or posted (chat), in order. */
  readonly outbox: OutboxEntry[] = [];
  /** Every execution started through StartExecution. */
  readonly executions: StartExecutionRequest[] = [];
  /** Latency added to every call, in milliseconds. */
  latencyMs: number;
  readonly outboxDir: string | null;
  readonly #clock: Clock;
  #startExecution: StartExecutionHandler | null = null;
  /** The world before the last replayed event: what a stale read answers from. */
  #beforeLastChange: World | null = null;

  private constructor(world: World, options: SandboxOptions) {
    this.world = world;
    this.#clock = options.clock ?? systemClock;
    this.outboxDir = options.outboxDir ?? null;
    this.latencyMs = options.latencyMs ?? 0;
  }

  /**
   * A sandbox starting from `world` (validated, defaults applied, copied).
   *
   * @throws InvalidInputError naming every bad field of the world.
   */
  static fromWorld(world: WorldInput, options: SandboxOptions = {}): SandboxAccount {
    return new SandboxAccount(parseWorld(structuredClone(world)), options);
  }

  /**
   * The sandbox saved in a state folder by {@link SandboxAccount.save}.
   *
   * @throws InvalidInputError when the folder holds no valid world.
   */
  static async load(dir: string, options: SandboxOptions = {}): Promise<SandboxAccount> {
    const file = join(dir, WORLD_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new InvalidInputError(`cannot read ${file}: ${errorName(error)}`, [], { cause: error });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new InvalidInputError(`${file} is not JSON`, [], { cause: error });
    }
    const sandbox = new SandboxAccount(parseWorld(data, file), options);
    sandbox.calls.push(...(await readJsonLines(join(dir, CALLS_FILE), CallRecordSchema)));
    sandbox.outbox.push(...(await readJsonLines(join(dir, OUTBOX_FILE), OutboxEntrySchema)));
    return sandbox;
  }

  /** Writes `world.json`, `calls.jsonl` and `outbox.jsonl` into the state folder `dir`. */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, WORLD_FILE), `${JSON.stringify(this.toJSON(), null, 2)}\n`, 'utf8');
    await writeFile(join(dir, CALLS_FILE), jsonLines(this.calls), 'utf8');
    // The .eml files hold the real links; this index of them does not.
    await writeFile(join(dir, OUTBOX_FILE), redactApprovalSecrets(jsonLines(this.outbox)), 'utf8');
  }

  /** A copy of the current state, in the world-file shape. */
  toJSON(): World {
    return structuredClone(this.world);
  }

  /** Queues a fault (see {@link FaultSchema}); faults apply in the order queued. */
  injectFault(fault: FaultInput): void {
    const parsed = FaultSchema.safeParse(fault);
    if (!parsed.success) {
      throw new InvalidInputError(`invalid fault: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    this.world.faults.push(parsed.data);
  }

  /**
   * Keeps the world as it is now for stale reads (see {@link FaultSchema}); `applyEventToWorld`
   * calls it before it changes anything. Kept in memory only: a loaded state folder has none,
   * and a stale read then answers from the present.
   */
  rememberBeforeChange(): void {
    this.#beforeLastChange = structuredClone(this.world);
  }

  /** Registers the workflow runner that StartExecution hands executions to. */
  onStartExecution(handler: StartExecutionHandler): void {
    this.#startExecution = handler;
  }

  /** Real SDK clients whose every call the sandbox answers (see middleware.ts). */
  clients(options: SandboxClientOptions = {}): SandboxClients {
    const region = options.region ?? this.world.region;
    const maxAttempts = options.maxAttempts ?? 3;
    // A fresh strategy per client: retry capacity is per strategy, and tests should not share it.
    const config = () => ({
      region,
      credentials: SANDBOX_CREDENTIALS,
      maxAttempts,
      retryStrategy: new ConfiguredRetryStrategy(maxAttempts, options.retryDelayMs ?? 1),
    });
    const clients = {
      s3: new S3Client(config()),
      s3Control: new S3ControlClient(config()),
      securityHub: new SecurityHubClient(config()),
      ses: new SESv2Client(config()),
      sfn: new SFNClient(config()),
      sts: new STSClient(config()),
      macie: new Macie2Client(config()),
    };
    const respond = (service: SandboxService) => (operation: string, input: unknown, requestId: string) =>
      this.invoke(service, operation, input, { region, requestId });
    const services: [{ middlewareStack: MiddlewareStack<object, MetadataBearer> }, SandboxService][] = [
      [clients.s3, 's3'],
      [clients.s3Control, 's3control'],
      [clients.securityHub, 'securityhub'],
      [clients.ses, 'ses'],
      [clients.sfn, 'sfn'],
      [clients.sts, 'sts'],
      [clients.macie, 'macie2'],
    ];
    for (const [client, service] of services) {
      attachSandbox(client.middlewareStack, respond(service));
      recordCallsOf(client.middlewareStack, service);
    }
    return clients;
  }

  /** A chat poster whose every post the sandbox answers (a JSON file in the outbox). */
  chatPoster(): ChatPoster {
    return {
      post: async (post) => {
        await this.invoke('chat', 'PostMessage', post);
      },
    };
  }

  /**
   * Answers one call as `service` would: after any latency, with an injected fault's error or
   * the operation's answer. Errors are the service's SDK exceptions.
   *
   * @throws Error "sandbox does not model …" for an operation the sandbox lacks.
   */
  async invoke(
    service: SandboxService,
    operation: string,
    input: unknown,
    call: { readonly region?: string; readonly requestId?: string } = {},
  ): Promise<object> {
    const at = this.#clock.now();
    const fault = takeFault(this.world, service, operation, input);
    const delay = this.latencyMs + (fault?.latencyMs ?? 0);
    if (delay > 0) await sleep(delay);
    // A stale read answers from a copy of the world before the last change, so nothing it does
    // reaches the remembered world; its outcome says "stale" (and the error, if it raised one).
    const stale = fault?.stale === true && this.#beforeLastChange !== null;
    const outcome = (what: string) => (stale ? (what === 'ok' ? 'stale' : `${what} (stale)`) : what);
    try {
      if (fault?.error !== undefined) {
        throw new AwsApiError(fault.error, fault.message ?? `${fault.error} (injected fault)`);
      }
      const run = OPERATIONS[service][operation];
      if (run === undefined)
        throw new Error(`sandbox does not model ${SERVICE_LABELS[service]}.${operation}`);
      const context = this.#context(call.region ?? this.world.region);
      const output = await run(
        input,
        stale ? { ...context, world: structuredClone(this.#beforeLastChange as World) } : context,
      );
      this.#log(service, operation, input, outcome('ok'), at);
      return output;
    } catch (error) {
      if (!(error instanceof AwsApiError)) {
        this.#log(service, operation, input, outcome(errorName(error)), at);
        throw error;
      }
      this.#log(service, operation, input, outcome(error.code), at);
      throw toServiceException(service, error, call.requestId ?? randomUUID());
    }
  }

  #context(region: string): OperationContext {
    return {
      world: this.world,
      now: this.#clock.now(),
      region,
      outboxDir: this.outboxDir,
      outbox: this.outbox,
      startExecution: this.#startExecution,
      executions: this.executions,
      newId: () => randomUUID(),
    };
  }

  #log(service: SandboxService, operation: string, input: unknown, outcome: string, at: Date): void {
    this.calls.push({ service, operation, input: loggable(input), outcome, at: at.toISOString() });
  }
}
