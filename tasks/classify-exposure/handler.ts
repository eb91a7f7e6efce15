import { proposalFor } from '../remediate-exposure/proposal.js';
import {
  BucketAccessSnapshotSchema,
  type IncidentEvent,
  type WorkflowState,
  WorkflowStateSchema,
} from '../shared/contracts.js';
import { ChangeNotVisibleYetError } from '../shared/errors.js';
import { coverage } from '../shared/exceptions.js';
import { boundedObjectKeys, incidentKeys } from '../shared/incident-keys.js';
import { lambdaHandler } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import { bucketTrigger } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';
import { parseOrThrow } from '../shared/validation.js';
import { assess } from './assess.js';
import { classifyExposure, SCAN_LIMIT } from './classify.js';
import { handOver, roundsUsedUp } from './handover.js';
import { listObjectKeys } from './list-objects.js';
import { readBucketSnapshot } from './read-snapshot.js';
import { unseenChanges, withUnseen } from './unseen-changes.js';

/** Changes that can bring stored object ACLs back into force without naming any object. */
const UNCOVERS_OBJECT_ACLS = new Set([
  'PutBucketPublicAccessBlock',
  'DeleteBucketPublicAccessBlock',
  'PutAccountPublicAccessBlock',
  'DeleteAccountPublicAccessBlock',
  'PutBucketOwnershipControls',
  'DeleteBucketOwnershipControls',
]);

function keysOf(events: readonly IncidentEvent[]): Set<string> {
  return new Set(events.flatMap((e) => e.keys));
}

/**
 * ClassifyExposure: take the events waiting on the bucket, re-read the bucket's CURRENT
 * configuration (never the event's), classify it, and record what it means on the incident.
 * A deleted bucket throws BucketNotFoundError, which the workflow turns into a closed incident.
 */
export const classifyExposureTask = defineTask(
  'ClassifyExposure',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const trigger = bucketTrigger(state, 'ClassifyExposure');
    const { bucket, accountId, region } = trigger;
    const ref = { accountId, bucket };
    if (roundsUsedUp(state)) return handOver(deps, state, { ...ref, region });
    const now = deps.clock.now();
    const { limits, timings } = state.config;

    const events = await deps.store.pendingEvents(ref, state.executionId, now, timings.leaseSeconds);
    const [open, latest] = await Promise.all([
      deps.store.getOpenIncident(ref),
      deps.store.getLatestIncident(ref),
    ]);
    const clients = deps.clientsFor(region);

    // Besides the objects events named: the open incident's objects (found by listing the bucket,
    // named by no event), and a new listing's; at most limits.objectScanLimit of those.
    const others = open ? incidentKeys(open) : [];
    let scanGap: string | undefined;
    if (events.some((e) => UNCOVERS_OBJECT_ACLS.has(e.eventName)) && limits.objectScanLimit > 0) {
      const scan = await listObjectKeys(clients.s3, { bucket, accountId, limit: limits.objectScanLimit });
      others.push(...scan.keys);
      // A listing cut short by an error names that error; one stopped at the limit, the limit.
      if (scan.truncated) scanGap = scan.error ?? SCAN_LIMIT;
    }
    const named = keysOf([...(open?.events ?? []), ...events]);
    const { keys, cut } = boundedObjectKeys(named, others, limits.objectScanLimit);
    if (cut) scanGap ??= SCAN_LIMIT;
    const raw = await readBucketSnapshot(clients, {
      accountId,
      bucket,
      objectKeys: [...keys],
      objectAclConcurrency: limits.objectAclConcurrency,
    });
    if (scanGap !== undefined)
      raw.unreadable = [...(raw.unreadable ?? []), { part: 'objectAcls', error: scanGap }];
    const snapshot = parseOrThrow(BucketAccessSnapshotSchema, raw, `snapshot of ${bucket}`);
    const read = classifyExposure(snapshot);
    const unseen = unseenChanges(events, snapshot);
    // A bucket found public is answered now; one that looks private only because the read lags
    // an event is read again (the state machine's Retry) before it is called anything.
    if (unseen.length > 0 && !read.effectivelyPublic && !state.changeNotVisible) {
      throw new ChangeNotVisibleYetError(`${bucket}: ${unseen.map((u) => u.why).join('; ')}`);
    }
    const verdict = withUnseen(read, unseen);

    const [exceptions, incidents] = await Promise.all([
      deps.store.listExceptions(),
      deps.store.listIncidents(ref),
    ]);
    const { assessment, incident } = assess({
      coverage: coverage({
        bucket,
        verdict,
        entries: exceptions,
        now,
        ...(raw.tags ? { tags: raw.tags } : {}),
        settings: state.config.exceptions,
      }),
      remediatedAt: incidents
        .filter((i) => i.closedReason === 'REMEDIATED' && i.timings.containedAt)
        .map((i) => i.timings.containedAt ?? ''),
      verdict,
      open,
      latest,
      events,
      keyCount: keys.size,
      bucket,
      accountId,
      region,
      executionId: state.executionId,
      config: state.config,
      now,
    });
    if (incident) {
      // The plan a fix would follow, previewed now so the alert shows what would change and what it could break.
      const proposal = verdict.effectivelyPublic
        ? proposalFor(raw, verdict, state.config.remediation)
        : incident.proposal;
      await deps.store.putIncident({ ...incident, proposal });
    }
    await deps.store.acknowledgeEvents(
      ref,
      state.executionId,
      events.map((e) => e.eventID),
    );
    logger.info('bucket classified', {
      bucket,
      outcome: assessment.outcome,
      severity: assessment.severity,
      incidentId: assessment.incidentId,
    });
    // A new round: what earlier rounds of this execution found about the finding no longer holds.
    const next: WorkflowState = {
      ...state,
      round: (state.round ?? 0) + 1,
      changeNotVisible: undefined,
      approval: undefined,
      assessment,
      finding: undefined,
      findingError: undefined,
      close: undefined,
      lease: undefined,
    };
    if (assessment.outcome === 'notPublic') next.close = { reason: 'NOT_PUBLIC' };
    return next;
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(classifyExposureTask);
