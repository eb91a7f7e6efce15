/**
 * The embedded default, assembled: the sandbox account, the incident store and the workflow
 * runner, all kept in one state folder so later commands see what earlier ones did.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { evidenceBucketName } from '../tasks/remediate-exposure/backup.js';
import type { AwsClients } from '../tasks/shared/aws-clients.js';
import { type Clock, systemClock } from '../tasks/shared/clock.js';
import type { ResponderConfig } from '../tasks/shared/config.js';
import { TASK_HANDLERS } from './handlers.js';
import { type RunnerOptions, type TaskHandlers, WorkflowRunner } from './runner.js';
import { SandboxAccount } from './sandbox/sandbox-account.js';
import { emptyBucket, type WorldInput } from './sandbox/world.js';
import { LocalIncidentStore } from './store/local-incident-store.js';

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
}

const WORLD_FILE = 'world.json';

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
    readonly store: LocalIncidentStore,
    readonly runner: WorkflowRunner,
    /** What the tasks are given here: sandbox clients, the store, the clock and the configuration. */
    readonly deps: RunnerOptions['deps'],
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
    const sandbox = resume
      ? await SandboxAccount.load(options.stateDir, { clock, outboxDir })
      : SandboxAccount.fromWorld(options.world, { clock, outboxDir });
    const store = resume ? await LocalIncidentStore.load(options.stateDir) : LocalIncidentStore.empty();
    store.attachExceptions(sandbox.world.exceptions);
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
    };
    const runner = new WorkflowRunner({
      region,
      accountId,
      handlers: withOverrides(TASK_HANDLERS, options.handlers),
      deps,
    });
    // Step Functions' StartExecution (account-level fan-out) runs a new local execution.
    sandbox.onStartExecution((request) => {
      void runner.start(JSON.parse(request.input), request.name);
    });
    return new LocalEnvironment(options.stateDir, sandbox, store, runner, deps);
  }

  /** Writes the account, the incidents and every execution's history into the state folder. */
  async save(): Promise<void> {
    await this.sandbox.save(this.stateDir);
    await this.store.save(this.stateDir);
    const dir = join(this.stateDir, 'executions');
    await mkdir(dir, { recursive: true });
    for (const execution of this.runner.executions) {
      await writeFile(join(dir, `${execution.name}.json`), `${JSON.stringify(execution, null, 2)}\n`);
    }
  }
}
