import { classifyExposure } from '../classify-exposure/classify.js';
import { readBucketSnapshot } from '../classify-exposure/read-snapshot.js';
import type { AwsClients } from '../shared/aws-clients.js';
import {
  type BucketAccessSnapshot,
  type BucketAccessSnapshotInput,
  BucketAccessSnapshotSchema,
  type ExposureVerdict,
  type Incident,
} from '../shared/contracts.js';
import { incidentKeys } from '../shared/incident-keys.js';
import { parseOrThrow } from '../shared/validation.js';

/** Reads the bucket again and classifies it: never act, or call a change done, on a stale verdict. */
export async function rereadIncidentBucket(
  clients: AwsClients,
  incident: Incident,
  objectAclConcurrency: number,
): Promise<{ raw: BucketAccessSnapshotInput; snapshot: BucketAccessSnapshot; verdict: ExposureVerdict }> {
  const raw = await readBucketSnapshot(clients, {
    accountId: incident.accountId,
    bucket: incident.bucket,
    objectKeys: incidentKeys(incident),
    objectAclConcurrency,
    // Just before acting, a throttled read is retried by the state machine rather than taken as
    // a gap: a gap would block the fix (RemediationBlockedError) where a retry lets it go ahead.
    transientFailures: 'throw',
  });
  const snapshot = parseOrThrow(BucketAccessSnapshotSchema, raw, `snapshot of ${incident.bucket}`);
  return { raw, snapshot, verdict: classifyExposure(snapshot) };
}
