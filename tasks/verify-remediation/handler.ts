import { hasUnreadParts } from '../classify-exposure/assess.js';
import { rereadIncidentBucket } from '../remediate-exposure/reread.js';
import type { Incident } from '../shared/contracts.js';
import { type WorkflowState, WorkflowStateSchema } from '../shared/contracts.js';
import { exposureSummary } from '../shared/describe.js';
import { stableStringify } from '../shared/hash.js';
import { lambdaHandler } from '../shared/lambda.js';
import { bucketTrigger, requireIncident, withHistory } from '../shared/state-access.js';
import { defineTask } from '../shared/task.js';

/**
 * VerifyRemediation: read the bucket again and check that every way in the remediation fixed is
 * gone. S3 configuration reads are eventually consistent, so the workflow waits and re-reads a
 * bounded number of times before it calls the remediation failed and escalates.
 */
export const verifyRemediation = defineTask(
  'VerifyRemediation',
  WorkflowStateSchema,
  async (state, deps): Promise<WorkflowState> => {
    const { region } = bucketTrigger(state, 'VerifyRemediation');
    const incident = await requireIncident(deps.store, state.assessment?.incidentId, 'VerifyRemediation');
    const attempts = (state.verification?.attempts ?? 0) + 1;
    const { verdict } = await rereadIncidentBucket(
      deps.clientsFor(region),
      incident,
      state.config.limits.objectAclConcurrency,
    );

    const fixed = new Set((incident.remediation?.addressed ?? []).map((v) => stableStringify(v)));
    const remaining = verdict.vectors.filter((v) => fixed.has(stableStringify(v)));
    // A partial read proves nothing: a fixed way in may only look gone because its part could not be read.
    const verified = remaining.length === 0 && !hasUnreadParts(verdict);
    const now = deps.clock.now();
    const summary = exposureSummary(verdict);

    if (!verified) {
      await deps.store.putIncident(
        withHistory(
          incident,
          now,
          `verification ${attempts}: ${remaining.length} fixed way(s) in still visible (${summary})`,
        ),
      );
      return {
        ...state,
        verification: { verified: false, stillPublic: true, attempts },
      } satisfies WorkflowState;
    }
    const updated: Incident = withHistory(
      {
        ...incident,
        // The verdict stays the one acted on: a new way in must make ClassifyExposure see a change.
        response: verdict.effectivelyPublic ? incident.response : 'REMEDIATED',
        remediation: incident.remediation && {
          ...incident.remediation,
          after: { summary, vectors: verdict.vectors },
          verified: true,
        },
      },
      now,
      `verified after ${attempts} read(s): ${summary}`,
    );
    await deps.store.putIncident(updated);
    const next: WorkflowState = {
      ...state,
      verification: { verified: true, stillPublic: verdict.effectivelyPublic, attempts },
    };
    if (!verdict.effectivelyPublic) next.close = { reason: 'REMEDIATED' };
    return next;
  },
);

/** The Lambda entry point. */
export const handler = lambdaHandler(verifyRemediation);
