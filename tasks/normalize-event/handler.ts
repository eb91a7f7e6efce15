import { z } from 'zod';
import { requestedPolicyIsPublic } from '../classify-exposure/unseen-changes.js';
import { MacieScanRequestSchema, type Trigger, type WorkflowState } from '../shared/contracts.js';
import { lambdaHandler } from '../shared/lambda.js';
import { incidentEventOf } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';
import { type ParsedEvent, parseExposureEvent } from './parse-event.js';

const InputSchema = z.object({ event: z.unknown(), executionId: z.string().min(1) });

/** An execution started by an account-level fan-out carries the bucket it is about. */
const FanOutSchema = z.object({ fanOut: z.object({ bucket: z.string().min(3), region: z.string().min(1) }) });

/**
 * An execution started by the sweep (tasks/sweep) carries the bucket it found unanswered and why:
 * its event was lost, or its response failed, so the sweep stands in as the trigger.
 */
const SweepSchema = z.object({
  sweep: z.object({
    bucket: z.string().min(3),
    region: z.string().min(1),
    accountId: z.string().min(1),
    sweepId: z.string().min(1).max(128),
    reason: z.string().min(1).max(500),
  }),
});

/** A sweep's trigger: the whole bucket, now, by the sweep; the classifier re-reads it as for any event. */
function sweepTrigger(sweep: z.infer<typeof SweepSchema>['sweep'], now: Date): Trigger {
  const { bucket, region, accountId, sweepId } = sweep;
  return {
    eventID: `sweep/${sweepId}/${bucket}`,
    eventName: 'Sweep',
    eventTime: now.toISOString(),
    accountId,
    region,
    bucket,
    keys: [],
    actor: {
      type: 'S3ExposureSweep',
      arn: null,
      principalId: `s3-exposure-sweep/${sweepId}`,
      accountId,
      sessionIssuerArn: null,
    },
    sourceIp: null,
    userAgent: null,
    scope: 'bucket',
    requested: { publicAcl: false },
  };
}

/** Where an account-level event's attempt is kept: it names no bucket. */
const ACCOUNT_LEVEL = '(account)';

/** The code an event from an account this deployment does not cover is recorded under. */
export const NOT_COVERED = 'AccountNotCovered';

function isOwnChange(trigger: Trigger, ownRoleArns: readonly string[]): boolean {
  const { arn, sessionIssuerArn } = trigger.actor;
  return ownRoleArns.some((own) => own === sessionIssuerArn || own === arn);
}

/**
 * NormalizeEvent: the EventBridge event to a trigger, plus the configuration the rest of the
 * workflow reads from the state. A malformed event throws a named error (MalformedEventError,
 * MissingBucketError) that the state machine reports.
 */
export const normalizeEvent = defineTask(
  'NormalizeEvent',
  InputSchema,
  async ({ event, executionId }, deps): Promise<WorkflowState> => {
    const base = { executionId, config: deps.config };
    const scan = MacieScanRequestSchema.safeParse(event);
    if (scan.success) {
      const request = scan.data.macieScan;
      return {
        ...base,
        intake: { kind: 'scan', reason: `Macie scan of incident ${request.incidentId} (${request.bucket})` },
        trigger: null,
        scan: {
          ...request,
          next: 'start',
          jobId: null,
          startedAt: null,
          scope: null,
          pollSeconds: deps.config.macie.pollSeconds,
          incomplete: null,
          error: null,
          status: null,
          checks: 0,
          runErrors: false,
        },
      } satisfies WorkflowState;
    }
    const sweep = SweepSchema.safeParse(event);
    const parsed: ParsedEvent = sweep.success
      ? { kind: 'exposure', trigger: sweepTrigger(sweep.data.sweep, deps.clock.now()) }
      : parseExposureEvent(event);

    if (parsed.kind === 'irrelevant') {
      return {
        ...base,
        intake: { kind: 'ignore', reason: `${parsed.eventName} does not change exposure` },
        trigger: null,
      } satisfies WorkflowState;
    }
    // The policy text may be 20 KB: the incident keeps the event as evidence, the state does not need it.
    const { policyText, ...requested } = parsed.trigger.requested;
    // What the policy means is kept, so a read that does not show it yet is noticed (unseen-changes.ts).
    if (policyText !== undefined)
      requested.publicPolicy = requestedPolicyIsPublic(policyText, parsed.trigger.accountId);
    let trigger: Trigger = { ...parsed.trigger, requested };

    if (parsed.kind === 'attempt') {
      await deps.store.recordAttempt(
        { accountId: trigger.accountId, bucket: trigger.bucket ?? ACCOUNT_LEVEL },
        incidentEventOf(trigger),
        parsed.errorCode,
      );
      return {
        ...base,
        intake: {
          kind: 'ignore',
          reason: `failed call (${parsed.errorCode}): recorded as an attempt, nothing changed`,
        },
        trigger,
      } satisfies WorkflowState;
    }
    const covered = deps.config.accounts.length > 0 ? deps.config.accounts : [deps.accountId];
    if (!covered.includes(trigger.accountId)) {
      // Recorded where the SOC can find it, but never an incident: the bucket is not ours to judge.
      await deps.store.recordAttempt(
        { accountId: trigger.accountId, bucket: trigger.bucket ?? ACCOUNT_LEVEL },
        incidentEventOf(trigger),
        NOT_COVERED,
      );
      return {
        ...base,
        intake: {
          kind: 'ignore',
          reason: `event from account ${trigger.accountId}, which this deployment does not cover (${covered.join(', ')}): refused and recorded`,
        },
        trigger,
      } satisfies WorkflowState;
    }
    if (isOwnChange(trigger, deps.config.ownRoleArns)) {
      return {
        ...base,
        intake: { kind: 'ignore', reason: 'a change made by the responder itself' },
        trigger,
      } satisfies WorkflowState;
    }

    const fanOut = FanOutSchema.safeParse(event);
    if (trigger.scope === 'account' && fanOut.success) {
      // One execution per bucket: the eventID is per bucket too, so each is registered once.
      trigger = {
        ...trigger,
        bucket: fanOut.data.fanOut.bucket,
        region: fanOut.data.fanOut.region,
        scope: 'bucket',
        eventID: `${trigger.eventID}/${fanOut.data.fanOut.bucket}`,
      };
    } else if (trigger.scope === 'account') {
      return {
        ...base,
        intake: {
          kind: 'account',
          reason: `${trigger.eventName} changes Block Public Access for the whole account`,
        },
        trigger,
        // parseExposureEvent accepted it, so it is an object: kept for the fan-out.
        accountEvent: z.record(z.string(), z.unknown()).parse(event),
      } satisfies WorkflowState;
    }
    return {
      ...base,
      intake: {
        kind: 'exposure',
        reason: sweep.success
          ? `sweep ${sweep.data.sweep.sweepId} on ${trigger.bucket}: ${sweep.data.sweep.reason}`
          : `${trigger.eventName} on ${trigger.bucket}`,
      },
      trigger,
    } satisfies WorkflowState;
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(normalizeEvent);
