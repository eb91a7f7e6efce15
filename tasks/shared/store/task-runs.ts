/**
 * Each task runs once per input: Step Functions retries a Task after Lambda errors and timeouts
 * that can arrive after the function wrote, so a retry with the same input must find the first
 * attempt's answer instead of writing again. Powertools' idempotency utility keeps that answer
 * in the incident store's table, keyed by the Task state and a hash of its whole input (which
 * holds the execution id and the round, never the eventID alone).
 */

import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { ResponderError } from '../errors.js';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from './table.js';

/** How long a task's answer is kept for a retry to find: far longer than any retry schedule. */
export const TASK_RUN_RETENTION_SECONDS = 24 * 3600;

/**
 * Another attempt with the same input is still running (or died before its time ran out): the
 * state machine tries again later, when that attempt has finished or its time has passed.
 */
export class TaskInProgressError extends ResponderError {
  override name = 'TaskInProgressError';
}

/** Powertools' names for "the record could not be read or written" (its classes may be loaded twice). */
const RECORD_UNAVAILABLE: ReadonlySet<string> = new Set([
  'IdempotencyPersistenceLayerError',
  'IdempotencyInconsistentStateError',
  'IdempotencyItemNotFoundError',
]);

/** The store could not keep the record of a task's runs; the state machine tries the task again. */
export class TaskRunRecordError extends ResponderError {
  override name = 'TaskRunRecordError';
}

/** Runs `work` once per (state, input); a repeat gets the first answer. */
export interface TaskRuns {
  once<T>(state: string, input: unknown, work: () => Promise<T>): Promise<T>;
}

/**
 * Task runs recorded in the store's table (`pk` = `TASKRUN`, `sk` = `<state>#<hash of input>`,
 * expiring after a day). `remainingTimeMs` is the invocation's time left: an attempt that dies
 * holds its input only that long.
 */
export function storedTaskRuns(options: {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly remainingTimeMs: () => number;
}): TaskRuns {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    keyAttr: PARTITION_KEY,
    sortKeyAttr: SORT_KEY,
    staticPkValue: 'TASKRUN',
    expiryAttr: TTL_ATTRIBUTE,
    awsSdkV3Client: options.client,
  });
  return {
    async once<T>(state: string, input: unknown, work: () => Promise<T>): Promise<T> {
      const config = new IdempotencyConfig({ expiresAfterSeconds: TASK_RUN_RETENTION_SECONDS });
      config.registerLambdaContext({ getRemainingTimeInMillis: options.remainingTimeMs } as Context);
      // The answer is kept as it crosses to Step Functions: JSON (no undefined members, no Dates).
      const run = makeIdempotent(
        async (_input: unknown): Promise<T> => JSON.parse(JSON.stringify(await work())),
        {
          persistenceStore,
          config,
          keyPrefix: state,
        },
      );
      try {
        return await run(input);
      } catch (error) {
        if (error instanceof IdempotencyAlreadyInProgressError) {
          throw new TaskInProgressError(`${state}: an earlier attempt with the same input is still running`, {
            cause: error,
          });
        }
        // The record of the task's runs could not be read or written (the store throttled or
        // failed, or a conditional write was lost and its winner is gone): nothing was done, and
        // the task is worth another try.
        if (error instanceof Error && RECORD_UNAVAILABLE.has(error.name)) {
          throw new TaskRunRecordError(
            `${state}: the record of this task's runs is unavailable (${error.name})`,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
    },
  };
}
