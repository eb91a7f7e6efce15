/**
 * The Lambda composition root: what a task function needs in AWS, built once per cold start
 * from its environment, and the `handler(event, context)` that runs a task with it.
 *
 * Environment (set by the stack):
 * - `TABLE_NAME`: the incident store's DynamoDB table.
 * - `RESPONDER_CONFIG` (the configuration document as JSON) or `RESPONDER_CONFIG_PARAMETER` (the
 *   name of an SSM parameter holding it); validated here, so a bad one fails at start naming the field.
 * - `STATE_MACHINE_ARN`: this state machine, for an account-level change that fans out.
 * - `EVIDENCE_BUCKET`: where backups go, unless the configuration names one.
 * - `OWN_ROLE_ARNS`: the responder's own roles that change buckets (comma-separated), added to
 *   the configuration's `ownRoleArns`: the stack knows them only once they exist, so they cannot
 *   be in the configuration document it writes.
 * - `APPROVAL_BASE_URL` and `APPROVAL_KEYS_SECRET`: the approval page and the keys its links are
 *   signed with (tasks that send approval or status links).
 * - `CHAT_WEBHOOKS_SECRET`: a Secrets Manager secret holding `{ "<channel>": "https://…" }`, the
 *   webhook URL of each chat channel the configuration names (tasks that post to chat).
 * The account, partition and Region come from the function's own ARN.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { loadKeyRing, secretsManagerKeyReader } from './approval/links.js';
import { type AwsClients, createAwsClients } from './aws-clients.js';
import { systemClock } from './clock.js';
import { parseConfig } from './config.js';
import type { ResponderConfig } from './contracts.js';
import { InvalidInputError } from './errors.js';
import { logger } from './logger.js';
import { type ChatPoster, webhookChatPoster } from './messages/chat.js';
import { ApprovalStore } from './store/approval-store.js';
import { DynamoIncidentStore } from './store/dynamo-incident-store.js';
import { storedTaskRuns } from './store/task-runs.js';
import type { Task } from './task.js';
import type { ApprovalLinkSettings, TaskDeps } from './task-deps.js';
import { parseOrThrow } from './validation.js';

export const LambdaEnvironmentSchema = z
  .object({
    TABLE_NAME: z.string().min(3),
    RESPONDER_CONFIG: z.string().min(2).optional(),
    RESPONDER_CONFIG_PARAMETER: z.string().min(1).optional(),
    STATE_MACHINE_ARN: z.string().startsWith('arn:').optional(),
    EVIDENCE_BUCKET: z.string().min(3).optional(),
    OWN_ROLE_ARNS: z.string().optional(),
    /** The approval page's URL (the endpoint's function URL): set for RequestApproval. */
    APPROVAL_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** The Secrets Manager secret with the chat channels' webhook URLs. */
    CHAT_WEBHOOKS_SECRET: z.string().min(1).optional(),
  })
  .refine((env) => (env.RESPONDER_CONFIG === undefined) !== (env.RESPONDER_CONFIG_PARAMETER === undefined), {
    message: 'set exactly one of RESPONDER_CONFIG and RESPONDER_CONFIG_PARAMETER',
    path: ['RESPONDER_CONFIG'],
  });
export type LambdaEnvironment = z.infer<typeof LambdaEnvironmentSchema>;

/** What stays the same for every invocation of one function instance. */
export interface LambdaRuntime {
  readonly clientsFor: (region: string) => AwsClients;
  readonly store: DynamoIncidentStore;
  readonly dynamodb: DynamoDBClient;
  readonly config: ResponderConfig;
  readonly stateMachineArn: string;
  readonly approvals: ApprovalStore;
  /**
   * Only where APPROVAL_BASE_URL is set: the link settings with the key ring read now. The ring
   * is read for every invocation (Secrets Manager answers from a five-minute cache), so a rotated
   * key lands without a cold start.
   */
  readonly approvalLinks?: () => Promise<ApprovalLinkSettings>;
  /** Only where CHAT_WEBHOOKS_SECRET is set. */
  readonly chat?: ChatPoster;
}

/** Account, partition and Region of the running function, from `arn:aws:lambda:us-east-1:111122223333:function:name`. */
export function functionIdentity(invokedFunctionArn: string): {
  partition: string;
  region: string;
  accountId: string;
} {
  const [arn, partition, service, region, accountId] = invokedFunctionArn.split(':');
  if (
    arn !== 'arn' ||
    service !== 'lambda' ||
    !partition ||
    !region ||
    !accountId ||
    !/^\d{12}$/.test(accountId)
  ) {
    throw new InvalidInputError(`the function ARN ${invokedFunctionArn} names no account and Region`);
  }
  return { partition, region, accountId };
}

async function readConfigDocument(env: LambdaEnvironment, ssm: () => SSMClient): Promise<unknown> {
  const [source, text] = env.RESPONDER_CONFIG
    ? ['RESPONDER_CONFIG', env.RESPONDER_CONFIG]
    : [
        `SSM parameter ${env.RESPONDER_CONFIG_PARAMETER}`,
        (
          await ssm().send(
            new GetParameterCommand({ Name: env.RESPONDER_CONFIG_PARAMETER, WithDecryption: true }),
          )
        ).Parameter?.Value,
      ];
  try {
    return JSON.parse(text ?? '');
  } catch (error) {
    throw new InvalidInputError(`configuration (${source}) is not JSON`, [], { cause: error });
  }
}

/**
 * Builds the runtime from the environment: the configuration validated (a bad one throws
 * InvalidInputError naming the field), clients for each Region made once and kept.
 */
export async function createLambdaRuntime(
  environment: NodeJS.ProcessEnv,
  options: { readonly ssm?: () => SSMClient; readonly dynamodb?: DynamoDBClient } = {},
): Promise<LambdaRuntime> {
  const env = parseOrThrow(LambdaEnvironmentSchema, environment, 'function environment');
  const parsed = parseConfig(await readConfigDocument(env, options.ssm ?? (() => new SSMClient({}))));
  const withEvidence: ResponderConfig =
    env.EVIDENCE_BUCKET && !parsed.remediation.evidenceBucket
      ? { ...parsed, remediation: { ...parsed.remediation, evidenceBucket: env.EVIDENCE_BUCKET } }
      : parsed;
  const ownRoles = (env.OWN_ROLE_ARNS ?? '').split(',').filter((arn) => arn.startsWith('arn:'));
  const config: ResponderConfig = {
    ...withEvidence,
    ownRoleArns: [...new Set([...withEvidence.ownRoleArns, ...ownRoles])],
  };
  const byRegion = new Map<string, AwsClients>();
  const clientsFor = (region: string): AwsClients => {
    let clients = byRegion.get(region);
    if (!clients) {
      clients = createAwsClients({ region });
      byRegion.set(region, clients);
    }
    return clients;
  };
  const dynamodb = options.dynamodb ?? new DynamoDBClient({});
  const baseUrl = env.APPROVAL_BASE_URL;
  const approvalLinks = baseUrl
    ? async () => ({ baseUrl, keyRing: await loadKeyRing({ env: environment }) })
    : undefined;
  // Read once now, so a missing or broken key ring fails the function's start, not a request.
  await approvalLinks?.();
  const chatSecret = env.CHAT_WEBHOOKS_SECRET;
  const readSecret = secretsManagerKeyReader();
  const chat = chatSecret ? webhookChatPoster(() => readSecret(chatSecret)) : undefined;
  return {
    clientsFor,
    dynamodb,
    store: new DynamoIncidentStore({ client: dynamodb, tableName: env.TABLE_NAME }),
    approvals: new ApprovalStore({ client: dynamodb, tableName: env.TABLE_NAME }),
    ...(approvalLinks ? { approvalLinks } : {}),
    ...(chat ? { chat } : {}),
    config,
    stateMachineArn: env.STATE_MACHINE_ARN ?? '',
  };
}

/** The dependencies of one invocation: the runtime, seen from the function's own account and Region. */
export async function depsFor(
  runtime: LambdaRuntime,
  context: Pick<Context, 'invokedFunctionArn' | 'getRemainingTimeInMillis'>,
): Promise<TaskDeps> {
  const { partition, region, accountId } = functionIdentity(context.invokedFunctionArn);
  return {
    clients: runtime.clientsFor(region),
    clientsFor: runtime.clientsFor,
    store: runtime.store,
    clock: systemClock,
    config: runtime.config,
    accountId,
    region,
    partition,
    stateMachineArn: runtime.stateMachineArn,
    approvals: runtime.approvals,
    ...(runtime.approvalLinks ? { approvalLinks: await runtime.approvalLinks() } : {}),
    ...(runtime.chat ? { chat: runtime.chat } : {}),
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
    taskRuns: storedTaskRuns({
      client: runtime.dynamodb,
      tableName: runtime.store.tableName,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    }),
  };
}

let runtime: Promise<LambdaRuntime> | undefined;

/**
 * This instance's runtime, built on first use and kept for the life of the instance. A build
 * that failed is not kept: the next invocation tries again (a secret readable only now, a
 * throttled read), and fails with the same named error while the cause remains.
 */
export function currentRuntime(): Promise<LambdaRuntime> {
  if (!runtime) {
    const building = createLambdaRuntime(process.env);
    runtime = building;
    building.catch(() => {
      if (runtime === building) runtime = undefined;
    });
  }
  return runtime;
}

// In Lambda, the runtime is built during the function's init, so a bad configuration shows in
// the init log at once; every invocation then fails with the same named error.
if (process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined) {
  currentRuntime().catch((error: unknown) => {
    logger.error('function configuration refused', {
      error: error instanceof Error ? error.message : 'unknown',
    });
  });
}

/**
 * The Lambda entry point of a task: the Step Functions payload in, the task's output back.
 * Errors leave as thrown, so Lambda reports `{ errorType: error.name, errorMessage }` and the
 * state machine's Retry and Catch match the name.
 */
export function lambdaHandler<In, Out>(
  task: Task<In, Out>,
): (event: unknown, context: Context) => Promise<Out> {
  return async (event, context) => {
    logger.addContext(context);
    logger.appendKeys({ state: task.state });
    const deps = await depsFor(await currentRuntime(), context);
    try {
      return await task(event, deps);
    } catch (error) {
      logger.error('task failed', { error: error instanceof Error ? error.name : 'unknown' });
      throw error;
    }
  };
}
