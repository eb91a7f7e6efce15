import { z } from 'zod';
import { ErrorInfoSchema, ResponderConfigSchema } from '../shared/contracts.js';
import { ResponderError } from '../shared/errors.js';
import { bucketConsoleUrl, buildFailureFinding, executionConsoleUrl } from '../shared/findings/finding.js';
import { importFindings } from '../shared/findings/security-hub.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { sendEmail } from '../shared/messages/email.js';
import { failureNotice } from '../shared/messages/messages.js';
import { withHistory } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';
import type { TaskDeps } from '../shared/task-deps.js';

/** Both ways of telling anyone failed: the execution ends in FailureNotReported, the alarm's case. */
export class FailureNotReportedError extends ResponderError {
  override name = 'FailureNotReportedError';
}

/**
 * Whatever the state was when the failure happened: the raw event when NormalizeEvent failed, the
 * workflow state later. Only what the report needs is read, and every part is optional.
 */
const InputSchema = z.object({
  executionId: z.string().min(1),
  state: z.looseObject({
    error: ErrorInfoSchema.optional(),
    config: ResponderConfigSchema.optional(),
    trigger: z
      .looseObject({ bucket: z.string().nullable(), accountId: z.string(), region: z.string() })
      .nullable()
      .optional(),
  }),
});

function outcomeOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function attempt(what: string, work: () => Promise<unknown>): Promise<{ ok: boolean; what: string }> {
  try {
    await work();
    return { ok: true, what };
  } catch (error) {
    logger.error('failure report step failed', {
      step: what,
      error: error instanceof Error ? error.name : 'unknown',
    });
    return { ok: false, what: `${what} failed (${outcomeOf(error)})` };
  }
}

async function recordOnIncident(
  deps: TaskDeps,
  bucket: string,
  executionId: string,
  error: string,
): Promise<void> {
  const open = await deps.store.getOpenIncident(bucket);
  if (open && open.executionId === executionId) {
    await deps.store.putIncident(
      withHistory({ ...open, response: 'FAILED' }, deps.clock.now(), `response failed: ${error}`),
    );
  }
  await deps.store.abandonLease(bucket, executionId);
}

/**
 * ReportFailure: the last resort of every failure path. Each way of telling is tried on its own
 * (failure finding, operators' email, the incident record, the lease), so one broken channel does
 * not silence the others; only when nobody could be told does it throw.
 */
export const reportFailure = defineTask(
  'ReportFailure',
  InputSchema,
  async ({ executionId, state }, deps) => {
    const config = state.config ?? deps.config;
    const error = state.error ?? { Error: 'UnknownError', Cause: 'the failed state gave no error' };
    const bucket = state.trigger?.bucket ?? null;
    const accountId = state.trigger?.accountId ?? deps.accountId;
    const region = state.trigger?.region ?? deps.region;
    const now = deps.clock.now();
    logger.error('execution failed', { executionId, bucket, error: error.Error });

    const finding = await attempt('failure finding written', () =>
      importFindings(deps.clients.securityHub, [
        buildFailureFinding({
          partition: deps.partition,
          region: deps.region,
          accountId,
          executionId,
          bucket,
          bucketRegion: region,
          error,
          now,
          consoleBaseUrl: config.consoleBaseUrl,
        }),
      ]),
    );
    const links = {
      execution: executionConsoleUrl(config.consoleBaseUrl, deps.region, executionId),
      bucket: bucket ? bucketConsoleUrl(config.consoleBaseUrl, region, bucket) : null,
    };
    const email = await attempt('operators notified', () =>
      sendEmail(deps.clients.ses, {
        from: config.sender,
        to: config.operators.email,
        ...failureNotice({ executionId, bucket, error, links }),
      }),
    );
    const record = bucket
      ? await attempt('incident marked FAILED and lease given up', () =>
          recordOnIncident(deps, bucket, executionId, error.Error),
        )
      : { ok: true, what: 'no bucket to record on' };
    if (!finding.ok && !email.ok) {
      throw new FailureNotReportedError(`could not report the failure: ${finding.what}; ${email.what}`);
    }
    return { ...state, failureReport: [finding.what, email.what, record.what] };
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(reportFailure);
