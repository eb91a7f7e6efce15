/**
 * Classifier throughput: validation plus classification of many snapshots in one process, and
 * the whole `classify --snapshot -` command on a large array. Prints figures; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseSnapshots } from '../local/commands/classify.js';
import { classifyExposure } from '../tasks/classify-exposure/classify.js';
import type { BucketAccessSnapshotInput } from '../tasks/shared/contracts.js';
import {
  ALL_USERS,
  acl,
  bpa,
  groupGrant,
  OTHER_ACCOUNT,
  PUBLIC_READ,
  policy,
  privateSnapshot,
  publicReadWith,
} from '../test/support/snapshots.js';

/** A mix of shapes seen in real accounts, some large (20 statements, 50 object ACLs). */
function snapshotMix(count: number): BucketAccessSnapshotInput[] {
  const shapes: Array<(i: number) => BucketAccessSnapshotInput> = [
    (i) => privateSnapshot({ bucket: `private-${i}` }),
    (i) => privateSnapshot({ bucket: `website-${i}`, bucketPolicy: JSON.stringify(policy(PUBLIC_READ)) }),
    (i) =>
      privateSnapshot({
        bucket: `vpce-${i}`,
        bucketPolicy: policy(publicReadWith({ StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }), {
          Sid: 'Tls',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      }),
    (i) =>
      privateSnapshot({
        bucket: `big-policy-${i}`,
        bucketPolicy: policy(
          ...Array.from({ length: 20 }, (_, n) => ({
            Sid: `Partner${n}`,
            Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:role/r${n}` },
            Action: ['s3:GetObject', 's3:ListBucket'],
            Condition: { IpAddress: { 'aws:SourceIp': [`203.0.${n}.0/24`] } },
          })),
        ),
      }),
    (i) => {
      const keys = Array.from({ length: 50 }, (_, n) => `objects/${i}/${n}.csv`);
      return privateSnapshot({
        bucket: `objects-${i}`,
        objectKeys: keys,
        objectAcls: Object.fromEntries(
          keys.map((k, n) => [k, n % 10 === 0 ? acl(groupGrant(ALL_USERS, 'READ')) : acl()]),
        ),
        bucketPublicAccessBlock: bpa({ BlockPublicAcls: true }),
      });
    },
  ];
  return Array.from({ length: count }, (_, i) =>
    (shapes[i % shapes.length] as (i: number) => BucketAccessSnapshotInput)(i),
  );
}

function perSecond(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
}

export function benchClassify(): void {
  const count = 10_000;
  const input = snapshotMix(count);
  // Warm up the JIT so the figure is the steady state.
  parseSnapshots(input.slice(0, 500)).snapshots.map(classifyExposure);

  let start = performance.now();
  const { snapshots } = parseSnapshots(input);
  const parseMs = performance.now() - start;
  start = performance.now();
  const verdicts = snapshots.map(classifyExposure);
  const classifyMs = performance.now() - start;
  const publicCount = verdicts.filter((v) => v.effectivelyPublic).length;
  console.log(`classify (in process), ${count.toLocaleString('en-US')} snapshots, ${publicCount} public:`);
  console.log(`  validate  ${parseMs.toFixed(0)} ms  ${perSecond(count, parseMs)}`);
  console.log(`  classify  ${classifyMs.toFixed(0)} ms  ${perSecond(count, classifyMs)}`);
  console.log(`  heap used after: ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);

  const cliCount = 5_000;
  const text = JSON.stringify(snapshotMix(cliCount));
  const bin = fileURLToPath(new URL('../bin/s3-exposure.js', import.meta.url));
  start = performance.now();
  const result = spawnSync(process.execPath, [bin, 'classify', '--snapshot', '-'], {
    input: text,
    encoding: 'utf8',
    maxBuffer: 1024 ** 3,
  });
  const cliMs = performance.now() - start;
  if (result.status !== 0) throw new Error(`classify failed: ${result.stderr}`);
  console.log(
    `classify --snapshot - (the whole command, ${(text.length / 2 ** 20).toFixed(1)} MiB in, ${(result.stdout.length / 2 ** 20).toFixed(1)} MiB out), ${cliCount.toLocaleString('en-US')} snapshots: ${cliMs.toFixed(0)} ms  ${perSecond(cliCount, cliMs)}`,
  );
}
