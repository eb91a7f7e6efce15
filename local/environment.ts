/**
 * The embedded default, assembled: the sandbox account, the incident store (the real DynamoDB
 * store on dynalite) and the workflow runner, all kept in one state folder so later commands
 * see what earlier ones did. One process at a time may open a state folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { approvalPageDeps, csrfSecretOf } from '../tasks/approval-page/deps.js';
import { handleFeedbackEvent } from '../tasks/email-feedback/handler.js';
import { evidenceBucketName } from '../tasks/remediate-exposure/backup.js';
import type { AwsClients } from '../tasks/shared/aws-clients.js';
import { type Clock, systemClock } from '../tasks/shared/clock.js';
import type { ResponderConfig } from '../tasks/shared/contracts.js';
import { logger } from '../tasks/shared/logger.js';
import { ApprovalStore } from '../tasks/shared/store/approval-store.js';
import { DynamoIncidentStore } from '../tasks/shared/store/dynamo-incident-store.js';
import { DEFAULT_TABLE_NAME } from '../tasks/shared/store/table.js';
import { storedTaskRuns } from '../tasks/shared/store/task-runs.js';
import type { ApprovalLinkSettings } from '../tasks/shared/task-deps.js';
import { localKeyRing } from './approval/keys.js';
import { type ApprovalServer, startApprovalServer } from './approval/server.js';
import { asFunction } from './call-ledger.js';
import { TASK_HANDLERS } from './handlers.js';
import { type RunnerOptions, type TaskHandlers, WorkflowRunner } from './runner.js';
import { SandboxAccount } from './sandbox/sandbox-account.js';
import { asSnsEvent, onEmailEvent } from './sandbox/ses.js';
import { type DescribedExecution, onDescribeExecution, onTaskCallback } from './sandbox/sfn.js';
import { emptyBucket, type WorldInput } from './sandbox/world.js';
import { ensureTable, type LocalDynamo, startLocalDynamo } from './store/local-dynamo.js';
import { injectStoreFaults } from './store/store-faults.js';
import { TaskTokenRegistry } from './task-tokens.js';

export interface EnvironmentOptions {
  /** The state folder: loaded from when it holds a world, written back by `save()`. */
  readonly stateDir: string;
  /** The account before anything happened, used when the state folder is empty. */
  readonly world: WorldInput;
  readonly config: ResponderConfig;
  readonly clock?: Clock;
  /** Where email goes as .eml files; default: the state folder's outbox/. */
  readonly outboxDir?: string;
  /** Replaces task handlers (tests inject failures this way). */
  readonly handlers?: Partial<TaskHandlers>;
  /** Retries after a write, short task timeouts (see the runner's harness). */
  readonly harness?: RunnerOptions['harness'];
  /** Another ASL file than the project's (see the runner's option). */
  readonly aslFile?: string;
}

const WORLD_FILE = 'world.json';
/** A readable copy of the incident records, written with the state (the store itself is dynamodb/). */
const INCIDENTS_EXPORT = 'incidents.json';

/** The real handlers, with those a test replaces. */
function withOverrides(handlers: TaskHandlers, overrides: Partial<TaskHandlers> = {}): TaskHandlers {
  const replaced = Object.entries(overrides).flatMap(([state, handler]) =>
    handler ? [[state, handler] as const] : [],
  );
  return { ...handlers, ...Object.fromEntries(replaced) };
}

/**
 * Backups go to the account's evidence bucket, as in AWS (where the stack creates it): private,
 * all four Block Public Access flags on, ACLs disabled.
 */
function ensureEvidenceBucket(sandbox: SandboxAccount, name: string): void {
  if (sandbox.world.buckets[name]) return;
  sandbox.world.buckets[name] = {
    ...emptyBucket(),
    publicAccessBlock: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
    ownershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    tags: { purpose: 's3-exposure-responder evidence' },
  };
}

export class LocalEnvironment {
  private constructor(
    readonly stateDir: string,
    readonly sandbox: SandboxAccount,
    readonly store: DynamoIncidentStore,
    readonly runner: WorkflowRunner,
    /** What the tasks are given here: sandbox clients, the store, the clock and the configuration. */
    readonly deps: RunnerOptions['deps'],
    /** The local DynamoDB (dynalite) holding the store: tests put items written by earlier versions. */
    readonly dynamo: LocalDynamo,
    /** Where approval requests wait for their decision (the sandbox's SendTaskSuccess answers them). */
    readonly taskTokens: TaskTokenRegistry,
    /** The approval page on 127.0.0.1. */
    readonly approvalServer: ApprovalServer,
  ) {}

  /** Whether a state folder already holds an account. */
  static holdsState(stateDir: string): boolean {
    return existsSync(join(stateDir, WORLD_FILE));
  }

  static async open(options: EnvironmentOptions): Promise<LocalEnvironment> {
    const clock = options.clock ?? systemClock;
    const outboxDir = options.outboxDir ?? join(options.stateDir, 'outbox');
    await mkdir(outboxDir, { recursive: true });
    const resume = LocalEnvironment.holdsState(options.stateDir);
    // The store first: it locks the state folder, so a second process stops here with a clear error.
    const dynamo = await startLocalDynamo({ dir: options.stateDir });
    try {
      await ensureTable(dynamo.client, DEFAULT_TABLE_NAME);
      const store = new DynamoIncidentStore({ client: dynamo.client, tableName: DEFAULT_TABLE_NAME });
      const sandbox = resume
        ? await SandboxAccount.load(options.stateDir, { clock, outboxDir })
        : SandboxAccount.fromWorld(options.world, { clock, outboxDir });
      // The world's `dynamodb` faults reach the store through its client, as AWS's errors would.
      injectStoreFaults(dynamo.client, () => sandbox.world);
      // The exception registry lives in the store; a new world's entries go in as they are.
      if (!resume) for (const entry of sandbox.world.exceptions) await store.putException(entry);
      const approvals = new ApprovalStore({ client: dynamo.client, tableName: DEFAULT_TABLE_NAME });
      const keyRing = await localKeyRing(options.stateDir);
      const server = await startApprovalServer((origin) =>
        approvalPageDeps({
          approvals,
          sfn: sandbox.clients().sfn,
          keyRing,
          clock,
          origin,
          csrfSecret: csrfSecretOf(keyRing),
        }),
      );
      return LocalEnvironment.#assemble(options, {
        clock,
        sandbox,
        store,
        dynamo,
        approvals,
        approvalLinks: { baseUrl: server.origin, keyRing },
        server,
      });
    } catch (error) {
      await dynamo.close();
      throw error;
    }
  }

  static #assemble(
    options: EnvironmentOptions,
    parts: {
      clock: Clock;
      sandbox: SandboxAccount;
      store: DynamoIncidentStore;
      dynamo: LocalDynamo;
      approvals: ApprovalStore;
      approvalLinks: ApprovalLinkSettings;
      server: ApprovalServer;
    },
  ): LocalEnvironment {
    const { clock, sandbox, store, dynamo, approvals, approvalLinks, server } = parts;
    const { accountId, region } = sandbox.world;
    ensureEvidenceBucket(
      sandbox,
      evidenceBucketName(options.config.remediation.evidenceBucket, accountId, region),
    );
    const byRegion = new Map<string, AwsClients>();
    const clientsFor = (r: string): AwsClients => {
      let clients = byRegion.get(r);
      if (!clients) {
        clients = sandbox.clients({ region: r });
        byRegion.set(r, clients);
      }
      return clients;
    };
    const deps = {
      clients: clientsFor(region),
      clientsFor,
      store,
      clock,
      config: options.config,
      partition: 'aws',
      region,
      accountId,
      approvals,
      approvalLinks,
      chat: sandbox.chatPoster(),
    };
    const taskTokens = new TaskTokenRegistry();
    onTaskCallback(sandbox, taskTokens);
    const runner = new WorkflowRunner({
      taskTokens,
      region,
      accountId,
      handlers: withOverrides(TASK_HANDLERS, options.handlers),
      taskRuns: (remainingTimeMs) =>
        storedTaskRuns({ client: dynamo.client, tableName: DEFAULT_TABLE_NAME, remainingTimeMs }),
      ...(options.harness ? { harness: options.harness } : {}),
      ...(options.aslFile ? { aslFile: options.aslFile } : {}),
      deps,
    });
    // Step Functions' StartExecution (account-level fan-out) runs a new local execution.
    sandbox.onStartExecution((request) => {
      void runner.start(JSON.parse(request.input), request.name);
    });
    // SES's bounces and complaints reach the email feedback function, as through the SNS topic.
    onEmailEvent(sandbox, (notification) => {
      const work = asFunction('EmailFeedback', () =>
        handleFeedbackEvent(asSnsEvent(notification, region, accountId), {
          ...deps,
          stateMachineArn: runner.stateMachineArn,
        }),
      ).catch((error: unknown) => {
        logger.error('email feedback failed', { error: error instanceof Error ? error.name : 'unknown' });
      });
      runner.background(work);
    });
    // Step Functions' DescribeExecution (the sweep asks whether a lease's holder still runs).
    onDescribeExecution(sandbox, (arn) => describeLocalExecution(runner, options.stateDir, arn));
    return new LocalEnvironment(options.stateDir, sandbox, store, runner, deps, dynamo, taskTokens, server);
  }

  /**
   * Writes the account (with the exception registry as the store holds it), a readable copy of
   * the incidents and every execution's history into the state folder.
   */
  async save(): Promise<void> {
    this.sandbox.world.exceptions = (await this.store.listExceptions()).filter(isRecord);
    await this.sandbox.save(this.stateDir);
    const incidents = await this.store.listIncidents();
    await writeFile(join(this.stateDir, INCIDENTS_EXPORT), `${JSON.stringify(incidents, null, 2)}\n`);
    const dir = join(this.stateDir, 'executions');
    await mkdir(dir, { recursive: true });
    for (const execution of this.runner.executions) {
      await writeFile(join(dir, `${execution.name}.json`), `${JSON.stringify(execution, null, 2)}\n`);
    }
  }
  #closed: Promise<void> | null = null;

  /** Saves, then stops the store and lets the state folder go for the next command (once). */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.runner.idle();
      try {
        await this.save();
      } finally {
        await this.approvalServer.close();
        await this.dynamo.close();
      }
    })();
    return this.#closed;
  }
}

/** The part of a saved execution (executions/<name>.json) that DescribeExecution answers with. */
const SavedExecutionSchema = z.object({
  executionId: z.string(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
  startedAt: z.iso.datetime(),
  stoppedAt: z.iso.datetime().nullable(),
});

/**
 * An execution of this process, or one an earlier command saved in the state folder. Only one
 * process at a time opens a state folder, so an execution of another process has ended; one
 * whose record is missing or unreadable (its process died before saving) does not exist, as
 * Step Functions says of an execution it does not know.
 */
async function describeLocalExecution(
  runner: WorkflowRunner,
  stateDir: string,
  arn: string,
): Promise<DescribedExecution | null> {
  const record =
    runner.executions.find((e) => e.executionId === arn) ?? (await savedExecution(stateDir, arn));
  if (!record) return null;
  return {
    status: record.status,
    startDate: new Date(record.startedAt),
    ...(record.stoppedAt ? { stopDate: new Date(record.stoppedAt) } : {}),
  };
}

async function savedExecution(
  stateDir: string,
  arn: string,
): Promise<z.infer<typeof SavedExecutionSchema> | null> {
  const name = arn.split(':').at(-1) ?? '';
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) return null;
  try {
    const text = await readFile(join(stateDir, 'executions', `${name}.json`), 'utf8');
    const saved = SavedExecutionSchema.safeParse(JSON.parse(text));
    return saved.success && saved.data.executionId === arn ? saved.data : null;
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
