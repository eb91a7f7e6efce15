/**
 * How a sandbox Macie job runs: what it selects when it starts, how its status follows the
 * sandbox clock, and the findings it publishes when it completes.
 */

import type { Scoping } from '@aws-sdk/client-macie2';
import { type DetectorSettings, detectSensitiveData, MANAGED_DATA_IDENTIFIERS } from './macie-detectors.js';
import { sensitiveDataFinding } from './macie-findings.js';
import { inScope, sampleKeys } from './macie-scoping.js';
import { emptyMacieWorld, type MacieJob, type MacieScan, type MacieWorld } from './macie-world.js';
import type { OperationContext } from './operations.js';
import { byteLength } from './s3-objects.js';
import { bucketOwnerId, type WorldBucket, type WorldObject } from './world.js';

/** The world's Macie state, created with its defaults the first time something is stored. */
export function macieState(ctx: OperationContext): MacieWorld {
  ctx.world.macie ??= emptyMacieWorld();
  return ctx.world.macie;
}

/** The objects of `bucket` a job's scoping and sampling select, and their bytes. */
export function selectObjects(
  name: string,
  bucket: WorldBucket,
  scoping: Scoping | undefined,
  samplingPercentage: number,
  jobId: string,
): MacieScan {
  const eligible = Object.entries(bucket.objects)
    .filter(([key, object]) =>
      inScope(scoping, { key, size: byteLength(object), lastModified: object.lastModified }),
    )
    .map(([key]) => key);
  const keys = sampleKeys(eligible, samplingPercentage, jobId);
  const bytes = keys.reduce((sum, key) => {
    const object = bucket.objects[key];
    return sum + (object === undefined ? 0 : byteLength(object));
  }, 0);
  return { bucket: name, eligibleObjects: eligible.length, keys, bytes };
}

/** The managed data identifiers a job uses, by its selector (RECOMMENDED and ALL: every one modelled). */
function managedIdsOf(job: MacieJob): string[] {
  const modelled = Object.keys(MANAGED_DATA_IDENTIFIERS);
  switch (job.managedDataIdentifierSelector) {
    case 'INCLUDE':
      return job.managedDataIdentifierIds;
    case 'EXCLUDE':
      return modelled.filter((id) => !job.managedDataIdentifierIds.includes(id));
    case 'NONE':
      return [];
    default:
      return modelled;
  }
}

function detectorSettings(macie: MacieWorld, job: MacieJob): DetectorSettings {
  return {
    managedIds: managedIdsOf(job),
    custom: job.customDataIdentifierIds.flatMap((id) => {
      const identifier = macie.customDataIdentifiers[id];
      return identifier === undefined ? [] : [{ id, identifier }];
    }),
    allowLists: job.allowListIds.flatMap((id) => {
      const list = macie.allowLists[id];
      return list === undefined ? [] : [list];
    }),
  };
}

/** CSV and TSV objects are tables: a keyword in a column's name is in proximity of its values. */
function isTabular(key: string, object: WorldObject): boolean {
  return /\.(csv|tsv)$/i.test(key) || /^text\/(csv|tab-separated-values)/.test(object.contentType ?? '');
}

/** Analyses the job's keys as they are now; an object given only a `size` holds nothing to find. */
function publishFindings(ctx: OperationContext, macie: MacieWorld, job: MacieJob): void {
  const bucket = ctx.world.buckets[job.scan.bucket];
  if (bucket === undefined) return;
  const settings = detectorSettings(macie, job);
  for (const key of job.scan.keys) {
    const object = bucket.objects[key];
    if (object?.body === undefined) continue;
    const detections = detectSensitiveData({ text: object.body, tabular: isTabular(key, object) }, settings);
    const finding = sensitiveDataFinding(
      job,
      { key, size: byteLength(object), contentType: object.contentType, lastModified: object.lastModified },
      detections,
      {
        id: ctx.newId().replace(/-/g, ''),
        now: ctx.now.toISOString(),
        accountId: ctx.world.accountId,
        region: ctx.region,
        ownerId: bucketOwnerId(ctx.world, bucket),
      },
    );
    if (finding !== null) macie.findings.push(finding);
  }
}

/**
 * Moves every RUNNING job whose time is up to its end status, publishing the findings of those
 * that complete. Every Macie call runs it first, so a job's status follows the sandbox clock.
 */
export function advanceJobs(ctx: OperationContext): void {
  const macie = ctx.world.macie;
  if (macie === undefined) return;
  for (const job of macie.jobs) {
    if (job.jobStatus !== 'RUNNING' || job.runsUntil === null) continue;
    if (Date.parse(job.runsUntil) > ctx.now.getTime()) continue;
    job.jobStatus = job.endStatus;
    job.runsUntil = null;
    if (job.jobStatus === 'COMPLETE') publishFindings(ctx, macie, job);
  }
}
