import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseExposureEvent } from '../normalize-event/parse-event.js';
import { chooseMode } from '../shared/config.js';
import {
  ErrorInfoSchema,
  type Incident,
  IncidentSchema,
  type ResponderConfig,
  ResponderConfigSchema,
  type Trigger,
  TriggerSchema,
} from '../shared/contracts.js';
import { ResponderError } from '../shared/errors.js';
import { bucketConsoleUrl, buildFailureFinding, executionConsoleUrl } from '../shared/findings/finding.js';
import { importFindings } from '../shared/findings/security-hub.js';
import { sha256Hex } from '../shared/hash.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { sendEmail } from '../shared/messages/email.js';
import { failureNotice } from '../shared/messages/messages.js';
import { incidentEventOf, withHistory } from '../shared/state-access.js';
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
    /** A failed alert or finding update that the response went on past (WasEveryoneTold?). */
    notifyError: ErrorInfoSchema.optional(),
    markError: ErrorInfoSchema.optional(),
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

/**
 * The record of a bucket the responder could not assess: no verdict could be made, so nothing
 * is known to be public or private (MEDIUM, "could not fully assess"), and the response FAILED,
 * which the next event or the sweep answers again.
 */
export function unassessedIncident(input: {
  readonly bucket: string;
  readonly accountId: string;
  readonly region: string;
  readonly executionId: string;
  readonly error: string;
  readonly trigger: Trigger | null;
  readonly config: ResponderConfig;
  readonly now: Date;
}): Incident {
  const at = input.now.toISOString();
  const why = `${input.error}: the response failed before the bucket could be assessed`;
  const chosen = chooseMode(input.config, input.bucket, 'MEDIUM');
  return IncidentSchema.parse({
    incidentId: `inc-${at.slice(0, 10).replaceAll('-', '')}-${randomUUID().slice(0, 8)}`,
    bucket: input.bucket,
    accountId: input.accountId,
    region: input.region,
    status: 'OPEN',
    closedReason: null,
    response: 'FAILED',
    events: input.trigger ? [incidentEventOf(input.trigger)] : [],
    verdict: {
      bucket: input.bucket,
      policyPublic: false,
      aclPublic: false,
      effectivelyPublic: false,
      publicRead: false,
      publicWrite: false,
      crossAccount: false,
      vectors: [],
      latent: [],
      reasons: [],
      mitigations: [],
      unknown: [{ part: 'bucket', why }],
      severity: 'MEDIUM',
      fingerprint: sha256Hex(`unassessed:${input.accountId}:${input.bucket}`),
    },
    mode: chosen.mode,
    modeReason: chosen.reason,
    macie: null,
    decision: null,
    remediation: null,
    findingId: null,
    timings: {
      eventTime: input.trigger?.eventTime ?? at,
      detectedAt: at,
      notifiedAt: null,
      containedAt: null,
    },
    previousIncidentId: null,
    executionId: input.executionId,
    history: [{ at, what: `could not assess: ${why}` }],
  });
}

/**
 * Leaves a record the SOC sees: the open incident's response is FAILED (answered again by the
 * next event or the sweep), or, when the failure came before any incident, a new one that says
 * the bucket could not be assessed. Then the lease is given up, with its waiting events.
 */
async function recordOnIncident(
  deps: TaskDeps,
  failure: Omit<Parameters<typeof unassessedIncident>[0], 'now'> & { readonly bucket: string },
): Promise<void> {
  const { executionId, error } = failure;
  const now = deps.clock.now();
  // The lease first: even when the incident cannot be written, the next event takes the bucket.
  await deps.store.abandonLease(failure, executionId);
  const open = await deps.store.getOpenIncident(failure);
  if (!open) {
    await deps.store.putIncident(unassessedIncident({ ...failure, now }));
  } else if (open.executionId === executionId) {
    await deps.store.putIncident(
      withHistory({ ...open, response: 'FAILED' }, now, `response failed: ${error}`),
    );
  }
}

/** The trigger of an exposure event as received, or null for one that cannot be read (malformed). */
function exposureOfRawEvent(raw: unknown): Trigger | null {
  try {
    const parsed = parseExposureEvent(raw);
    return parsed.kind === 'exposure' ? parsed.trigger : null;
  } catch {
    // A malformed event is what ReportFailure is often reporting: it names no bucket to tell about.
    return null;
  }
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
    const error = state.error ??
      state.notifyError ??
      state.markError ?? { Error: 'UnknownError', Cause: 'the failed state gave no error' };
    // NormalizeEvent failing on a well-formed event (the store down, say) leaves no trigger: the
    // event itself still names the bucket that may be public.
    const known = state.trigger ?? exposureOfRawEvent(state);
    const bucket = known?.bucket ?? null;
    const accountId = known?.accountId ?? deps.accountId;
    const region = known?.region ?? deps.region;
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
    // A bucket that may be public is the SOC's business whatever broke: they hear it with the operators.
    const to = bucket
      ? [...new Set([...config.recipients.email, ...config.operators.email])]
      : config.operators.email;
    const email = await attempt(bucket ? 'recipients and operators notified' : 'operators notified', () =>
      sendEmail(deps.clients.ses, {
        from: config.sender,
        to,
        ...failureNotice({ executionId, bucket, error, links }),
      }),
    );
    const trigger = TriggerSchema.safeParse(known);
    const record = bucket
      ? await attempt('incident recorded as FAILED and lease given up', () =>
          recordOnIncident(deps, {
            bucket,
            accountId,
            region,
            executionId,
            error: error.Error,
            trigger: trigger.success ? trigger.data : null,
            config,
          }),
        )
      : { ok: true, what: 'no bucket to record on' };
    if (!finding.ok && !email.ok) {
      throw new FailureNotReportedError(`could not report the failure: ${finding.what}; ${email.what}`);
    }
    // The Fail state that follows names this error and cause (ErrorPath/CausePath want text).
    const cause = typeof error.Cause === 'string' ? error.Cause : JSON.stringify(error.Cause ?? '');
    return {
      ...state,
      error: { Error: error.Error, Cause: cause },
      failureReport: [finding.what, email.what, record.what],
    };
  },
  // The last resort runs once per input while the store can record it, and runs anyway when it
  // cannot: a retry may then report twice, but never not at all.
  { evenWithoutRecord: true },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(reportFailure);
