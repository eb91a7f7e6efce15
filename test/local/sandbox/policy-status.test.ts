/**
 * The world's per-bucket `policyStatus` override: what AWS says about a bucket's policy where the
 * sandbox's own evaluator would say otherwise. It answers GetBucketPolicyStatus and decides
 * BlockPublicPolicy's refusal alike, through the real S3Client.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyEventToWorld } from '../../../local/sandbox/apply-event.js';
import { SandboxAccount } from '../../../local/sandbox/sandbox-account.js';
import type { WorldInput } from '../../../local/sandbox/world.js';
import { LOG_DELIVERY, PRIVATE_POLICY, PUBLIC_POLICY, rejection, testSandbox, testWorld } from './support.js';

const EventSchema = z.looseObject({
  detail: z.looseObject({ requestParameters: z.record(z.string(), z.unknown()) }),
});

/** The test world with acme-reports' override set (or left out for undefined). */
function worldWith(
  policyStatus: { IsPublic: boolean } | null | undefined,
  blockPublicPolicy = false,
): WorldInput {
  const world = testWorld();
  const reports = world.buckets?.['acme-reports'];
  if (reports === undefined) throw new Error('the test world has no acme-reports');
  if (policyStatus !== undefined) reports.policyStatus = policyStatus;
  if (blockPublicPolicy) reports.publicAccessBlock = { BlockPublicPolicy: true };
  return world;
}

async function isPublic(s3: S3Client): Promise<boolean | undefined> {
  return (await s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'acme-reports' }))).PolicyStatus?.IsPublic;
}

function putPolicy(s3: S3Client, policy: unknown) {
  return s3.send(new PutBucketPolicyCommand({ Bucket: 'acme-reports', Policy: JSON.stringify(policy) }));
}

describe('GetBucketPolicyStatus with the world override', () => {
  it('answers the evaluator when the bucket has no override', async () => {
    const { s3 } = testSandbox(worldWith(undefined)).clients();
    expect(await isPublic(s3)).toBe(false);
    await putPolicy(s3, PUBLIC_POLICY);
    expect(await isPublic(s3)).toBe(true);
  });

  it('answers the evaluator when the override is null', async () => {
    const { s3 } = testSandbox(worldWith(null)).clients();
    await putPolicy(s3, PUBLIC_POLICY);
    expect(await isPublic(s3)).toBe(true);
  });

  it('says public where the evaluator reads the policy as not public (override true)', async () => {
    const { s3 } = testSandbox(worldWith({ IsPublic: true })).clients();
    expect(await isPublic(s3)).toBe(true);
  });

  it('says not public where the evaluator reads the policy as public (override false)', async () => {
    const { s3 } = testSandbox(worldWith({ IsPublic: false })).clients();
    await putPolicy(s3, PUBLIC_POLICY);
    expect(await isPublic(s3)).toBe(false);
  });

  it('still answers NoSuchBucketPolicy when the bucket has no policy: there is no status to override', async () => {
    const { s3 } = testSandbox(worldWith({ IsPublic: true })).clients();
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: 'acme-reports' }));
    const error = await rejection(isPublic(s3));
    expect(error.name).toBe('NoSuchBucketPolicy');
  });

  it('keeps the override through a policy deleted and put again: AWS’s word until the world changes it', async () => {
    const sandbox = testSandbox(worldWith({ IsPublic: true }));
    const { s3 } = sandbox.clients();
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: 'acme-reports' }));
    await putPolicy(s3, PRIVATE_POLICY);
    expect(await isPublic(s3)).toBe(true);
    expect(sandbox.world.buckets['acme-reports']?.policyStatus).toEqual({ IsPublic: true });
  });

  it('keeps the override when a CloudTrail event is replayed on the bucket', async () => {
    const sandbox = testSandbox(worldWith({ IsPublic: false }));
    const event = EventSchema.parse(
      JSON.parse(
        readFileSync(new URL('../../../events/put-bucket-policy-public.json', import.meta.url), 'utf8'),
      ),
    );
    event.detail.requestParameters.bucketName = 'acme-reports';
    expect(applyEventToWorld(sandbox, event).applied).toBe(true);
    expect(await isPublic(sandbox.clients().s3)).toBe(false);
  });

  it('survives the state folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-state-'));
    try {
      await testSandbox(worldWith({ IsPublic: true })).save(dir);
      const loaded = await SandboxAccount.load(dir);
      expect(loaded.world.buckets['acme-reports']?.policyStatus).toEqual({ IsPublic: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Block Public Access refusals, by the sandbox’s own reading', () => {
  it('BlockPublicPolicy refuses a policy the override calls public, though the evaluator would not', async () => {
    const sandbox = testSandbox(worldWith({ IsPublic: true }, true));
    const error = await rejection(putPolicy(sandbox.clients().s3, { ...PRIVATE_POLICY, Id: 'changed' }));
    expect(error.name).toBe('AccessDenied');
    expect(sandbox.world.buckets['acme-reports']?.policy).toEqual(PRIVATE_POLICY);
  });

  it('BlockPublicPolicy accepts a policy the override calls not public, though the evaluator would refuse it', async () => {
    const sandbox = testSandbox(worldWith({ IsPublic: false }, true));
    await putPolicy(sandbox.clients().s3, PUBLIC_POLICY);
    expect(sandbox.world.buckets['acme-reports']?.policy).toEqual(PUBLIC_POLICY);
  });

  it('BlockPublicPolicy with no override refuses what the evaluator calls public', async () => {
    const sandbox = testSandbox(worldWith(undefined, true));
    const error = await rejection(putPolicy(sandbox.clients().s3, PUBLIC_POLICY));
    expect(error.name).toBe('AccessDenied');
  });

  it('BlockPublicAcls refuses a grant to AuthenticatedUsers (public too)', async () => {
    const sandbox = testSandbox({ ...testWorld(), accountPublicAccessBlock: { BlockPublicAcls: true } });
    const error = await rejection(
      sandbox
        .clients()
        .s3.send(new PutBucketAclCommand({ Bucket: 'acme-reports', ACL: 'authenticated-read' })),
    );
    expect(error.name).toBe('AccessDenied');
    expect(sandbox.world.buckets['acme-reports']?.acl).toBeNull();
  });

  it('BlockPublicAcls accepts a grant to LogDelivery (not public)', async () => {
    const sandbox = testSandbox({ ...testWorld(), accountPublicAccessBlock: { BlockPublicAcls: true } });
    const s3 = sandbox.clients().s3;
    await s3.send(new PutBucketAclCommand({ Bucket: 'acme-reports', GrantWrite: `uri="${LOG_DELIVERY}"` }));
    const grants = sandbox.world.buckets['acme-reports']?.acl?.Grants ?? [];
    expect(grants).toEqual([{ Grantee: { Type: 'Group', URI: LOG_DELIVERY }, Permission: 'WRITE' }]);
  });
});
