/**
 * Stale reads: S3's bucket configuration is eventually consistent, so a read just after a change
 * can still return the configuration from before it. The sandbox plays this with `stale` faults
 * (the read answers from the world before the event was replayed); the event is the witness the
 * classifier checks the read against (tasks/classify-exposure/unseen-changes.ts).
 */
import { describe, expect, it } from 'vitest';
import type { FaultInput } from '../../local/sandbox/world.js';
import { PATHS, publicReadPolicy, run, sampleEvent, vpceOnlyPolicy, world } from './support.js';

const BUCKET = 'acme-reports';

function putPolicy(policy: object) {
  return sampleEvent('put-bucket-policy-public', (e) => {
    e.detail.requestParameters.bucketName = BUCKET;
    e.detail.requestParameters.bucketPolicy = policy;
  });
}

const PUBLIC_READ = publicReadPolicy(BUCKET);
const VPCE_ONLY = vpceOnlyPolicy(BUCKET);

/** Both reads that decide "is the policy public" answer from before the event, `times` times. */
function stalePolicyReads(times: number): FaultInput[] {
  return ['GetBucketPolicy', 'GetBucketPolicyStatus'].map((operation) => ({
    service: 's3' as const,
    operation,
    bucket: BUCKET,
    stale: true,
    times,
  }));
}

function worldWithFaults(faults: FaultInput[]) {
  return world((w) => {
    w.faults.push(...(faults as typeof w.faults));
  });
}

describe('a read that lags the event', () => {
  it('reads again when the reads do not show a public policy the event put yet, and then alerts HIGH', async () => {
    const { result, environment } = await run([putPolicy(PUBLIC_READ)], {
      world: worldWithFaults(stalePolicyReads(1)),
      keepOpen: true,
    });
    const [execution] = result.executions;
    // The stale read really answered (the policy from before: none), and ClassifyExposure was retried.
    const stale = environment.sandbox.calls.filter((c) => c.outcome.endsWith('(stale)'));
    expect(stale.map((c) => `${c.operation} ${c.outcome}`).sort()).toEqual([
      'GetBucketPolicy NoSuchBucketPolicy (stale)',
      'GetBucketPolicyStatus NoSuchBucketPolicy (stale)',
    ]);
    expect(execution?.path.filter((s) => s === 'ClassifyExposure')).toHaveLength(2);
    expect(execution?.path).not.toContain('ChangeStillNotVisible');
    expect(execution?.incident).toMatchObject({ verdict: { severity: 'HIGH', effectivelyPublic: true } });
    expect(result.outbox.some((m) => m.subject.includes(BUCKET))).toBe(true);
  });

  it('alerts "could not fully assess" (MEDIUM, unseen) when the reads never show the change', async () => {
    const { result } = await run([putPolicy(PUBLIC_READ)], {
      world: worldWithFaults(stalePolicyReads(100)),
    });
    const [execution] = result.executions;
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.path).toContain('ChangeStillNotVisible');
    const verdict = execution?.incident?.verdict;
    expect(verdict?.severity).toBe('MEDIUM');
    expect(verdict?.unknown).toEqual([
      expect.objectContaining({
        part: 'bucketPolicy',
        kind: 'unseen',
        why: expect.stringMatching(
          /PutBucketPolicy of .* put a public policy; the policy read is not public/,
        ),
      }),
    ]);
    expect(result.outbox.filter((m) => m.subject.includes(BUCKET))).toHaveLength(1);
  });

  it('control: a stale read after a policy that is not public holds nothing up', async () => {
    const { result } = await run([putPolicy(VPCE_ONLY)], { world: worldWithFaults(stalePolicyReads(1)) });
    const [execution] = result.executions;
    expect(execution?.path).toEqual(PATHS.notPublic);
    expect(result.outbox).toEqual([]);
  });
});
