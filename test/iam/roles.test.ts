/**
 * Each function's synthesized role against what its code sent in the whole test suite (the call
 * ledger, `local/call-ledger.ts`), both ways: nothing sent that the role lacks, nothing granted
 * that no test sent. This file runs after every other test file (vitest.config.ts), so a run of
 * it alone, or beside a few files, sees too small a ledger and says so.
 *
 * Secrets Manager's GetSecretValue of the key ring and the chat webhooks is the one call of the
 * code not read from the ledger: locally they are handed in, and
 * `test/tasks/shared/lambda.test.ts` shows that a function reads the secret its environment
 * names. So a role may read exactly the secrets its environment names, and, for the key ring's
 * rotation function (whose calls are in the ledger), the secret it rotates.
 *
 * Beside the code, the Lambda service acts with the role: it writes the function's logs, and
 * sends a failed asynchronous invocation to the queue the function's EventInvokeConfig names
 * (OnFailure). So a role may send to exactly the queues its failed invocations go to.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsFor, IAM_ACTIONS, type SdkCall } from '../../infra/iam-actions.js';
import { CALL_LEDGER_ENV } from '../../local/call-ledger.js';
import { defaultConfig } from '../../local/defaults.js';
import {
  actionsOf,
  ofType,
  referencedId,
  type Synthesized,
  statementsOfRole,
  synthesize,
  variablesOf,
} from '../infra/support.js';

/** The environment variables that name a secret the function reads. */
const SECRET_VARIABLES = ['APPROVAL_KEYS_SECRET', 'CHAT_WEBHOOKS_SECRET'];
/** What the Lambda service itself needs of every role: writing the function's own log group. */
const PLATFORM_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** What the Lambda service needs to send a failed asynchronous invocation to an SQS destination. */
const QUEUE_DESTINATION_ACTIONS = ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];

/** The ledger: the calls each function sent, by function name. */
function readLedger(): Map<string, Set<string>> {
  const dir = process.env[CALL_LEDGER_ENV];
  const ledger = new Map<string, Set<string>>();
  if (!dir) return ledger;
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const [fn, call] = line.split(' ');
      if (!fn || !call) continue;
      const calls = ledger.get(fn) ?? new Set<string>();
      calls.add(call);
      ledger.set(fn, calls);
    }
  }
  return ledger;
}

let synth: Synthesized;
let ledger: Map<string, Set<string>>;

beforeAll(() => {
  // Chat channels, so the functions that post get the webhooks' secret: the widest grants.
  synth = synthesize({
    config: { ...defaultConfig(), chat: { channels: [{ name: 'soc', kind: 'slack' }] } },
  });
  ledger = readLedger();
});

/** The function's synthesized resource and the statements of its role. */
function roleOf(name: string) {
  const fn = synth.stack.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  const resource = synth.resources[synth.idOf(fn.function)];
  return { resource, statements: statementsOfRole(synth.resources, synth.idOf(fn.role)) };
}

/** The queues (logical ids) the function's failed asynchronous invocations go to (EventInvokeConfig OnFailure). */
function failureQueuesOf(name: string): string[] {
  const fn = synth.stack.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  const id = synth.idOf(fn.function);
  return Object.values(ofType(synth.resources, 'AWS::Lambda::EventInvokeConfig')).flatMap((config) => {
    if (referencedId(config.Properties?.FunctionName) !== id) return [];
    const destination = (config.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } })
      ?.OnFailure?.Destination;
    const queue = referencedId(destination);
    return queue ? [queue] : [];
  });
}

/** The resources of a statement, as logical ids where they reference one. */
function resourcesOf(statement: Record<string, unknown>): string[] {
  const resource = statement.Resource;
  return (Array.isArray(resource) ? resource : [resource]).map((arn) => referencedId(arn) ?? String(arn));
}

/** A statement that only lets the Lambda service send a failed invocation to the function's own destination. */
function isFailureDestination(statement: Record<string, unknown>, queues: readonly string[]): boolean {
  return (
    actionsOf(statement).every((action) => QUEUE_DESTINATION_ACTIONS.includes(action)) &&
    resourcesOf(statement).every((resource) => queues.includes(resource))
  );
}

/**
 * The secrets (logical ids) whose rotation schedule names the function: Secrets Manager gives a
 * rotation function the secret's id in each invocation, not in its environment.
 */
function secretsRotatedBy(name: string): string[] {
  const fn = synth.stack.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  const id = synth.idOf(fn.function);
  return Object.values(ofType(synth.resources, 'AWS::SecretsManager::RotationSchedule')).flatMap(
    (schedule) => {
      if (referencedId(schedule.Properties?.RotationLambdaARN) !== id) return [];
      const secret = referencedId(schedule.Properties?.SecretId);
      return secret ? [secret] : [];
    },
  );
}

/** The secret ids (logical ids, or ARNs as given) a function's environment names. */
function secretsNamedBy(resource: ReturnType<typeof roleOf>['resource']): string[] {
  const variables = variablesOf(resource);
  return SECRET_VARIABLES.flatMap((name) => {
    const value = variables[name];
    if (value === undefined) return [];
    return [referencedId(value) ?? String(value)];
  });
}

describe('the call ledger', () => {
  it('holds the calls of every function the stack deploys (run the whole suite)', () => {
    const silent = [...synth.stack.functions.keys()].filter((name) => !ledger.has(name));
    expect(silent, `no calls recorded for ${silent.join(', ')}: was the whole suite run?`).toEqual([]);
  });

  it('names only functions the stack deploys, and only calls the IAM table knows', () => {
    const unknownFunctions = [...ledger.keys()].filter((name) => !synth.stack.functions.has(name));
    expect(unknownFunctions).toEqual([]);
    const unmapped = [...ledger.entries()].flatMap(([fn, calls]) =>
      [...calls].filter((call) => !(call in IAM_ACTIONS)).map((call) => `${fn} ${call}`),
    );
    expect(unmapped, 'calls infra/iam-actions.ts has no IAM action for').toEqual([]);
  });
});

describe("each function's role", () => {
  const names = () => [...synth.stack.functions.keys()];

  it('grants every action its code sent in the suite', () => {
    const missing = names().flatMap((name) => {
      const granted = new Set(roleOf(name).statements.flatMap(actionsOf));
      const sent = [...(ledger.get(name) ?? [])].filter((call): call is SdkCall => call in IAM_ACTIONS);
      return actionsFor(sent)
        .filter((action) => !granted.has(action))
        .map((action) => `${name}: ${action}`);
    });
    expect(missing).toEqual([]);
  });

  it('grants nothing its code did not send in the suite', () => {
    const extra = names().flatMap((name) => {
      const { resource, statements: all } = roleOf(name);
      const queues = failureQueuesOf(name);
      const statements = all.filter((statement) => !isFailureDestination(statement, queues));
      const sent = [...(ledger.get(name) ?? [])].filter((call): call is SdkCall => call in IAM_ACTIONS);
      const needed = new Set([
        ...actionsFor(sent),
        ...PLATFORM_ACTIONS,
        ...(secretsNamedBy(resource).length > 0 ? ['secretsmanager:GetSecretValue'] : []),
      ]);
      return [...new Set(statements.flatMap(actionsOf))]
        .filter((action) => !needed.has(action))
        .map((action) => `${name}: ${action}`);
    });
    expect(extra).toEqual([]);
  });

  it('sends to a queue only where its failed asynchronous invocations go', () => {
    for (const name of names()) {
      const queues = failureQueuesOf(name);
      const sendable = roleOf(name)
        .statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('sqs:')))
        .flatMap(resourcesOf);
      expect([...new Set(sendable)].sort(), name).toEqual([...new Set(queues)].sort());
    }
  });

  it('reads exactly the secrets its environment names, or that it rotates', () => {
    for (const name of names()) {
      const { resource, statements } = roleOf(name);
      const readable = statements
        .filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'))
        .flatMap((statement) =>
          Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource],
        )
        .map((arn) => referencedId(arn) ?? String(arn));
      const named = [...secretsNamedBy(resource), ...secretsRotatedBy(name)];
      expect([...new Set(readable)].sort(), name).toEqual([...new Set(named)].sort());
    }
  });
});
