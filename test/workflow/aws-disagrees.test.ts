/**
 * Named scenarios where AWS and the responder read a bucket policy differently: the world's
 * `policyStatus` override makes the sandbox's GetBucketPolicyStatus answer what "AWS" says, and
 * the real classifier reads the policy on its own. DESIGN.md section 3: AWS's word decides
 * `policyPublic`; the disagreement is reported in the verdict's `unknown`, never hidden.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../local/defaults.js';
import type { World } from '../../local/sandbox/world.js';
import { PATHS, publicReadPolicy, run, sampleEvent, vpceOnlyPolicy, world } from './support.js';

const BUCKET = 'acme-reports';

const VPCE_ONLY_POLICY = vpceOnlyPolicy(BUCKET);
const PUBLIC_READ_POLICY = publicReadPolicy(BUCKET);

/** Reported, then RemediateExposure refuses to act and the failure is reported. */

const AWS_SAYS_PUBLIC =
  /GetBucketPolicyStatus says the policy is public; the local evaluator finds no public statement/;
const AWS_SAYS_NOT_PUBLIC =
  /GetBucketPolicyStatus says the policy is not public; the local evaluator disagrees: .*"PublicRead"/;
const NOT_ASSESSED = 'Effects/Data Exposure/S3 Access Not Fully Assessed';
const PUBLIC_ACCESS = 'Effects/Data Exposure/S3 Public Access';

/** PutBucketPolicy of `policy` on acme-reports, as CloudTrail delivers it. */
function putPolicy(policy: object) {
  return sampleEvent('put-bucket-policy-public', (e) => {
    e.detail.requestParameters.bucketName = BUCKET;
    e.detail.requestParameters.bucketPolicy = policy;
  });
}

function withoutMacie() {
  const config = defaultConfig();
  return { ...config, macie: { ...config.macie, when: 'never' as const } };
}

/** The sample account where AWS's GetBucketPolicyStatus says `isPublic` about acme-reports. */
function awsSays(isPublic: boolean | null): World {
  return world((w) => {
    const bucket = w.buckets[BUCKET];
    if (bucket === undefined) throw new Error(`the sample world has no ${BUCKET}`);
    bucket.policyStatus = isPublic === null ? null : { IsPublic: isPublic };
  });
}

describe('AWS and the responder disagree about a bucket policy', () => {
  it('control: AWS and the responder agree that a policy limited to one VPC endpoint is not public', async () => {
    const { result } = await run([putPolicy(VPCE_ONLY_POLICY)], { world: awsSays(null) });
    expect(result.executions[0]).toMatchObject({ path: PATHS.notPublic, incident: null, finding: null });
    expect(result.outbox).toEqual([]);
  });

  it('AWS says public, our reading does not: an incident opens on AWS’s word, HIGH, and the finding says we disagree', async () => {
    // Without the Macie scan, whose finding of card numbers would raise the severity on its own.
    const { result } = await run([putPolicy(VPCE_ONLY_POLICY)], {
      world: awsSays(true),
      config: withoutMacie(),
    });
    const [execution] = result.executions;
    expect(execution?.path).toEqual(PATHS.reported);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.incident).toMatchObject({
      bucket: BUCKET,
      status: 'OPEN',
      response: 'NOTIFIED',
      mode: 'notify',
      verdict: {
        policyPublic: true,
        effectivelyPublic: true,
        publicRead: true,
        publicWrite: false,
        severity: 'HIGH',
        vectors: [{ source: 'bucketPolicy', access: 'read', principal: '*', key: null }],
        unknown: [{ part: 'policyStatus', why: expect.stringMatching(AWS_SAYS_PUBLIC) }],
        // No statement to remove: only Block Public Access fixes a policy we cannot point into.
        mitigations: [
          {
            kind: 'setBucketPublicAccessBlock',
            flags: { BlockPublicPolicy: true, RestrictPublicBuckets: true },
          },
        ],
      },
    });
    expect(execution?.incident?.verdict.reasons).toContainEqual(
      expect.objectContaining({
        source: 'bucketPolicy',
        statement: null,
        why: expect.stringMatching(/GetBucketPolicyStatus reports the policy public/),
      }),
    );
    expect(execution?.finding).toMatchObject({
      Workflow: { Status: 'NOTIFIED' },
      Severity: { Label: 'HIGH' },
      Types: [PUBLIC_ACCESS, NOT_ASSESSED],
      Description: expect.stringMatching(
        /Could not assess[\s\S]*policyStatus: GetBucketPolicyStatus says the policy is public/,
      ),
    });
    expect(result.outbox).toEqual([
      expect.objectContaining({
        to: 'soc@example.com',
        subject: expect.stringMatching(/^\[HIGH\].*acme-reports/),
      }),
    ]);
    expect(result.outbox[0]?.text).toMatch(AWS_SAYS_PUBLIC);
  });

  it("AWS says public, our reading does not, in auto mode: AWS's word decides, Block Public Access ends it, verified", async () => {
    const simulation = await run([putPolicy(VPCE_ONLY_POLICY)], { world: awsSays(true), mode: 'auto' });
    const [execution] = simulation.result.executions;
    expect(execution?.path).toEqual(PATHS.remediated);
    expect(execution?.status).toBe('SUCCEEDED');
    // No statement can be named, so the fix is the bucket's Block Public Access; the policy stays.
    expect(simulation.result.world.buckets[BUCKET]?.policy).toEqual(VPCE_ONLY_POLICY);
    expect(simulation.result.world.buckets[BUCKET]?.publicAccessBlock).toMatchObject({
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(execution?.incident).toMatchObject({
      status: 'CLOSED',
      closedReason: 'REMEDIATED',
      remediation: { verified: true },
    });
    expect(execution?.incident?.verdict.unknown).toEqual([expect.objectContaining({ part: 'policyStatus' })]);
  });

  it('AWS says not public, our reading says public: reported as not fully assessed, MEDIUM, with our reading in the finding', async () => {
    const { result } = await run([putPolicy(PUBLIC_READ_POLICY)], { world: awsSays(false) });
    const [execution] = result.executions;
    expect(execution?.path).toEqual(PATHS.reported);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.incident).toMatchObject({
      bucket: BUCKET,
      status: 'OPEN',
      response: 'NOTIFIED',
      verdict: {
        policyPublic: false,
        effectivelyPublic: false,
        publicRead: false,
        publicWrite: false,
        severity: 'MEDIUM',
        vectors: [],
        latent: [],
        mitigations: [],
        unknown: [{ part: 'policyStatus', why: expect.stringMatching(AWS_SAYS_NOT_PUBLIC) }],
      },
    });
    expect(execution?.finding).toMatchObject({
      Workflow: { Status: 'NOTIFIED' },
      Severity: { Label: 'MEDIUM' },
      Types: [NOT_ASSESSED],
      Title: `S3 bucket ${BUCKET}: could not fully assess`,
      Description: expect.stringMatching(
        /policyStatus: GetBucketPolicyStatus says the policy is not public; the local evaluator disagrees/,
      ),
    });
    expect(result.outbox).toEqual([
      expect.objectContaining({
        to: 'soc@example.com',
        subject: expect.stringMatching(/^\[MEDIUM\].*acme-reports/),
      }),
    ]);
    expect(result.outbox[0]?.text).toMatch(AWS_SAYS_NOT_PUBLIC);
  });

  it('AWS says not public, our reading says public, in auto mode: nothing is changed on a disagreement', async () => {
    const simulation = await run([putPolicy(PUBLIC_READ_POLICY)], { world: awsSays(false), mode: 'auto' });
    const [execution] = simulation.result.executions;
    expect(execution?.path).toEqual(PATHS.reported);
    expect(execution?.incident).toMatchObject({ status: 'OPEN', response: 'NOTIFIED', mode: 'auto' });
    expect(simulation.result.world.buckets[BUCKET]?.policy).toEqual(PUBLIC_READ_POLICY);
    const writes = simulation.environment.sandbox.calls.filter(
      (c) => (c.service === 's3' || c.service === 's3control') && /^(Put|Delete)/.test(c.operation),
    );
    expect(writes).toEqual([]);
  });
});
