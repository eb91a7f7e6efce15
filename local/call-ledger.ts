/**
 * The call ledger: which AWS calls each deployed function's code sent while the test suite ran.
 * The IAM check (`test/iam/`) reads it and holds every synthesized role to it both ways:
 * nothing sent that the role lacks, nothing granted that no test sent.
 *
 * Whatever runs a function's code locally says which function it is (`asFunction`: the runner
 * for each Task state, the approval server for the page, the email feedback and sweep entry
 * points), and every local SDK client (the sandbox's and dynalite's) carries a middleware that
 * notes `<function> <service>:<Operation>` for the function running now, found through
 * AsyncLocalStorage. A call counts when it is sent, whatever it answers: an injected fault still
 * proves the code sends it.
 *
 * Nothing is written unless CALL_LEDGER_DIR names a folder (the test suite's global setup sets
 * it); each process appends each pair it has not noted yet to a file of its own there.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MiddlewareStack } from '@smithy/types';

/** The environment variable naming the ledger's folder. */
export const CALL_LEDGER_ENV = 'CALL_LEDGER_DIR';

const running = new AsyncLocalStorage<string>();
const noted = new Set<string>();

/**
 * Runs `work` as the deployed function `name`: a Task state's name, or `ApprovalPage`, `Sweep`,
 * `EmailFeedback` (the keys of `ResponderStack.functions`).
 */
export function asFunction<T>(name: string, work: () => T): T {
  return running.run(name, work);
}

/**
 * Runs `work` as no function: a test standing in for someone else (a person, another tool)
 * changing the account while a function runs; what it sends is not the function's.
 */
export function outsideAnyFunction<T>(work: () => T): T {
  return running.exit(work);
}

/** Notes that function `name` sent `call` (`<service>:<Operation>`, as `infra/iam-actions.ts` keys it). */
export function recordSentCall(name: string, call: string): void {
  const dir = process.env[CALL_LEDGER_ENV];
  if (!dir) return;
  const line = `${name} ${call}`;
  if (noted.has(line)) return;
  noted.add(line);
  appendFileSync(join(dir, `calls-${process.pid}.txt`), `${line}\n`);
}

/**
 * The DocumentClient's commands as the DynamoDB operations they send (`PutCommand` sends
 * PutItem), so the ledger uses DynamoDB's own names.
 */
const DOCUMENT_CLIENT_OPERATIONS: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchWrite: 'BatchWriteItem',
  BatchGet: 'BatchGetItem',
  TransactWrite: 'TransactWriteItems',
  TransactGet: 'TransactGetItems',
};

/** Adds the recording middleware to a client: every command it sends is noted for the running function. */
export function recordCallsOf<Input extends object, Output extends object>(
  stack: MiddlewareStack<Input, Output>,
  service: string,
): void {
  stack.add(
    (next, context) => async (args) => {
      const name = running.getStore();
      if (name !== undefined) {
        const command = (context.commandName ?? '').replace(/Command$/, '');
        const operation = service === 'dynamodb' ? (DOCUMENT_CLIENT_OPERATIONS[command] ?? command) : command;
        recordSentCall(name, `${service}:${operation}`);
      }
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: 'callLedgerMiddleware', override: true },
  );
}
