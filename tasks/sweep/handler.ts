/**
 * The sweep as a Lambda function, for the stack to run on a schedule (EventBridge Scheduler).
 *
 * No state machine calls it, so it is no `defineTask`: a Task's run never sees the Lambda
 * context, and the sweep needs the time left to stop cleanly before its timeout (the buckets it
 * did not reach wait for the next sweep, and the answer says so). It builds the same
 * dependencies with the same composition root (`createLambdaRuntime`, `depsFor`).
 *
 * Input, every field optional: `{ "sweepId": "…", "maxBuckets": N, "concurrency": N }`. Give the
 * schedule's `<aws.scheduler.scheduled-time>` as `sweepId`: it is the same on every retry of one
 * scheduled run, so a retried invocation starts no execution twice.
 */
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { currentRuntime, depsFor } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { parseOrThrow } from '../shared/validation.js';
import { newSweepId, type SweepReport, sweepAccount } from './sweep.js';

const InputSchema = z.object({
  sweepId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'up to 100 letters, digits and . _ : -')
    .optional(),
  maxBuckets: z.number().int().min(1).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
});

/** Kept back from the function's timeout: buckets being read finish, and the answer is returned. */
export const DEADLINE_MARGIN_MS = 60_000;

/** How many entries of each list the answer carries (the counts are whole). */
const LISTED = 50;

/** The Lambda's answer: the counts, and the first entries of each list. */
export function summarizeSweep(report: SweepReport) {
  const first = <T>(items: readonly T[]): T[] => items.slice(0, LISTED);
  return {
    sweepId: report.sweepId,
    accountId: report.accountId,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    bucketsListed: report.bucketsListed,
    bucketsChecked: report.bucketsChecked,
    truncated: report.truncated,
    counts: {
      public: report.public.length,
      notFullyAssessed: report.notFullyAssessed.length,
      started: report.started.length,
      reclaimed: report.reclaimed.length,
      inProgress: report.inProgress.length,
      latent: report.latent.length,
      gone: report.gone.length,
      failed: report.failed.length,
    },
    started: first(report.started).map(({ bucket, reasons, executionArn }) => ({
      bucket,
      reasons,
      executionArn,
    })),
    reclaimed: first(report.reclaimed),
    latent: first(report.latent).map(({ bucket }) => bucket),
    failed: first(report.failed),
  };
}

/** The Lambda's answer. */
export type SweepSummary = ReturnType<typeof summarizeSweep>;

/** The Lambda entry point: sweeps the function's own account. */
export async function handler(event: unknown, context: Context): Promise<SweepSummary> {
  logger.addContext(context);
  const input = parseOrThrow(InputSchema, event ?? {}, 'sweep input');
  const deps = await depsFor(await currentRuntime(), context);
  const now = deps.clock.now();
  const report = await sweepAccount(deps, {
    sweepId: input.sweepId ?? newSweepId(now),
    stopAt: new Date(now.getTime() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS),
    ...(input.maxBuckets === undefined ? {} : { maxBuckets: input.maxBuckets }),
    ...(input.concurrency === undefined ? {} : { concurrency: input.concurrency }),
  });
  if (report.truncated)
    logger.warn('sweep truncated', { sweepId: report.sweepId, checked: report.bucketsChecked });
  return summarizeSweep(report);
}
