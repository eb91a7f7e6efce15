/**
 * Replays a CloudTrail event on the sandbox: the change a successful call made, applied as the
 * real API call would have done (DESIGN.md section 5, `simulate`). A failed call (`errorCode`)
 * and an event that cannot change exposure change nothing. The event is taken as the truth: a
 * change it records is applied even where the sandbox's API would have refused it.
 */
import {
  type CloudTrailDetail,
  CloudTrailEventBridgeSchema,
  type ExposureEventName,
  isExposureEventName,
  parseExposureEvent,
} from '../../tasks/normalize-event/parse-event.js';
import {
  type Acl,
  type Grant,
  ObjectOwnershipSchema,
  type PublicAccessBlock,
  type Trigger,
} from '../../tasks/shared/contracts.js';
import { isObject, type JsonObject } from './json.js';
import { clearPolicy, storePolicy } from './policy.js';
import { isPublicAcl } from './public-evaluator.js';
import { aclOfRequest, field, firstString, withoutXmlns } from './request-params.js';
import type { SandboxAccount } from './sandbox-account.js';
import {
  bucketOwnerId,
  defaultCanonicalId,
  emptyBucket,
  type World,
  type WorldBucket,
  type WorldObject,
  worldIssues,
} from './world.js';

/** What replaying an event did. */
export interface ApplyResult {
  /** True when the world changed. */
  readonly applied: boolean;
  /** One line for people: what changed, or why nothing did. */
  readonly summary: string;
}

/** One successful exposure event, with what an applier needs from it. */
interface EventChange {
  readonly world: World;
  readonly trigger: Trigger;
  readonly detail: CloudTrailDetail;
  readonly params: JsonObject;
}

type Applier = (change: EventChange) => ApplyResult;

function applied(summary: string): ApplyResult {
  return { applied: true, summary };
}

function unchanged(summary: string): ApplyResult {
  return { applied: false, summary };
}

/** A grant as a person would say it: "AllUsers READ" (a group by the last part of its URI). */
function describeGrant(grant: Grant): string {
  const { URI, ID, EmailAddress, Type } = grant.Grantee;
  return `${URI?.split('/').pop() ?? ID ?? EmailAddress ?? Type} ${grant.Permission}`;
}

function describeAcl(acl: Acl | null): string {
  if (acl === null) return 'private (owner FULL_CONTROL)';
  return acl.Grants.length === 0 ? 'no grants' : acl.Grants.map(describeGrant).join(', ');
}

function describeFlags(flags: PublicAccessBlock | null): string {
  if (flags === null) return 'none (all off)';
  const on = Object.entries(flags)
    .filter(([, value]) => value)
    .map(([name]) => name);
  return on.length === 0 ? 'all four off' : `${on.join(', ')} on`;
}

/** Runs `apply` on the event's bucket, or says the sandbox does not have it. */
function onBucket(apply: (bucket: WorldBucket, name: string, change: EventChange) => ApplyResult): Applier {
  return (change) => {
    const name = change.trigger.bucket ?? '';
    const bucket = change.world.buckets[name];
    if (bucket === undefined)
      return unchanged(`${change.trigger.eventName}: bucket ${name} is not in the sandbox`);
    return apply(bucket, name, change);
  };
}

// ---- Bucket policy, ACL, Block Public Access, ownership, website ---------------------------

const putBucketPolicy = onBucket((bucket, name, { trigger }) => {
  const text = trigger.requested.policyText;
  let document: unknown;
  try {
    document = text === undefined ? undefined : JSON.parse(text);
  } catch {
    document = undefined;
  }
  if (text === undefined || !isObject(document))
    return unchanged(`PutBucketPolicy on ${name} carries no policy`);
  // The text is kept as CloudTrail recorded it; a policy logged as an object is serialised.
  storePolicy(bucket, document, text);
  return applied(`PutBucketPolicy: bucket ${name} has a new policy`);
});

const deleteBucketPolicy = onBucket((bucket, name) => {
  clearPolicy(bucket);
  return applied(`DeleteBucketPolicy: bucket ${name} has no policy`);
});

const putBucketAcl = onBucket((bucket, name, { world, params }) => {
  const acl = aclOfRequest(params, bucketOwnerId(world, bucket));
  if (acl === null) return unchanged(`PutBucketAcl on ${name} carries no ACL`);
  bucket.acl = acl;
  return applied(`PutBucketAcl: bucket ${name} ACL is ${describeAcl(acl)}`);
});

const putBucketPublicAccessBlock = onBucket((bucket, name, { trigger }) => {
  const flags = trigger.requested.bpa;
  if (flags === undefined) return unchanged(`PutBucketPublicAccessBlock on ${name} carries no configuration`);
  bucket.publicAccessBlock = { ...flags };
  return applied(`PutBucketPublicAccessBlock: bucket ${name} Block Public Access ${describeFlags(flags)}`);
});

const deleteBucketPublicAccessBlock = onBucket((bucket, name) => {
  bucket.publicAccessBlock = null;
  return applied(`DeleteBucketPublicAccessBlock: bucket ${name} Block Public Access ${describeFlags(null)}`);
});

function putAccountPublicAccessBlock({ world, trigger }: EventChange): ApplyResult {
  const flags = trigger.requested.bpa;
  if (flags === undefined) return unchanged('PutAccountPublicAccessBlock carries no configuration');
  world.accountPublicAccessBlock = { ...flags };
  return applied(`PutAccountPublicAccessBlock: account Block Public Access ${describeFlags(flags)}`);
}

function deleteAccountPublicAccessBlock({ world }: EventChange): ApplyResult {
  world.accountPublicAccessBlock = null;
  return applied(`DeleteAccountPublicAccessBlock: account Block Public Access ${describeFlags(null)}`);
}

const putBucketOwnershipControls = onBucket((bucket, name, { trigger }) => {
  const ownership = ObjectOwnershipSchema.safeParse(trigger.requested.objectOwnership);
  if (!ownership.success) return unchanged(`PutBucketOwnershipControls on ${name} carries no known rule`);
  bucket.ownershipControls = { Rules: [{ ObjectOwnership: ownership.data }] };
  return applied(`PutBucketOwnershipControls: bucket ${name} Object Ownership is ${ownership.data}`);
});

const deleteBucketOwnershipControls = onBucket((bucket, name) => {
  bucket.ownershipControls = null;
  return applied(`DeleteBucketOwnershipControls: bucket ${name} has no ownership controls (ACLs enabled)`);
});

const putBucketWebsite = onBucket((bucket, name, { params }) => {
  const config = withoutXmlns(field(params, 'WebsiteConfiguration'));
  if (!isObject(config)) return unchanged(`PutBucketWebsite on ${name} carries no configuration`);
  bucket.website = config;
  return applied(`PutBucketWebsite: bucket ${name} serves a website`);
});

const deleteBucketWebsite = onBucket((bucket, name) => {
  bucket.website = null;
  return applied(`DeleteBucketWebsite: bucket ${name} serves no website`);
});

// ---- CreateBucket ------------------------------------------------------------------------

const ALL_BLOCKED: PublicAccessBlock = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};
const NONE_BLOCKED: PublicAccessBlock = {
  BlockPublicAcls: false,
  IgnorePublicAcls: false,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: false,
};

/**
 * Since April 2023 a new bucket has all four BPA flags on and BucketOwnerEnforced. A request
 * with a public ACL header can only have succeeded after the console's sequence (ownership
 * ObjectWriter, BPA off), so the bucket ends that way unless the request named an ownership.
 */
function createBucket({ world, trigger, detail, params }: EventChange): ApplyResult {
  const name = trigger.bucket ?? '';
  if (world.buckets[name] !== undefined) return unchanged(`CreateBucket: bucket ${name} already exists`);
  const ownerId = defaultCanonicalId(world.accountId);
  const acl = aclOfRequest(params, ownerId);
  const publicAcl = acl !== null && isPublicAcl(acl);
  const requested = ObjectOwnershipSchema.safeParse(trigger.requested.objectOwnership);
  const ownership = requested.success ? requested.data : publicAcl ? 'ObjectWriter' : 'BucketOwnerEnforced';
  const region =
    firstString(field(params, 'CreateBucketConfiguration'), 'LocationConstraint') ?? detail.awsRegion;
  const bucket: WorldBucket = {
    ...emptyBucket(),
    acl,
    publicAccessBlock: publicAcl ? { ...NONE_BLOCKED } : { ...ALL_BLOCKED },
    ownershipControls: { Rules: [{ ObjectOwnership: ownership }] },
    createdAt: trigger.eventTime,
    ...(region !== undefined && region !== world.region ? { region } : {}),
  };
  world.buckets[name] = bucket;
  return applied(
    `CreateBucket: bucket ${name} created, ACL ${describeAcl(acl)}, ${ownership}, ` +
      `Block Public Access ${describeFlags(bucket.publicAccessBlock)}`,
  );
}

// ---- Objects -----------------------------------------------------------------------------

function keyOf(trigger: Trigger): string | undefined {
  return trigger.keys[0];
}

function bytesIn(detail: CloudTrailDetail): number | undefined {
  const value = field(detail.additionalEventData, 'bytesTransferredIn');
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** The object a CopyObject copied, when the sandbox has it: `bucket/key`, maybe URL-encoded. */
function copySource(world: World, params: JsonObject): WorldObject | undefined {
  const source = firstString(params, 'x-amz-copy-source');
  if (source === undefined) return undefined;
  const path = decodeURIComponent(source.replace(/^\//, '').replace(/\?versionId=.*$/, ''));
  const slash = path.indexOf('/');
  if (slash < 0) return undefined;
  return world.buckets[path.slice(0, slash)]?.objects[path.slice(slash + 1)];
}

/** Writes an object as an upload does: a new object replaces the old one and its ACL. */
function writeObject(bucket: WorldBucket, key: string, object: WorldObject): void {
  bucket.objects[key] = object;
}

function uploadedContent(change: EventChange): Pick<WorldObject, 'body' | 'size' | 'contentType'> {
  const source =
    change.trigger.eventName === 'CopyObject' ? copySource(change.world, change.params) : undefined;
  if (source !== undefined) {
    const { body, size, contentType } = source;
    return {
      ...(body !== undefined ? { body } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(contentType !== undefined ? { contentType } : {}),
    };
  }
  const size = bytesIn(change.detail);
  return size !== undefined && size > 0 ? { size } : { body: '' };
}

const putObject = onBucket((bucket, name, change) => {
  const key = keyOf(change.trigger);
  if (key === undefined) return unchanged(`${change.trigger.eventName} on ${name} names no key`);
  const acl = aclOfRequest(change.params, bucketOwnerId(change.world, bucket));
  writeObject(bucket, key, { ...uploadedContent(change), acl, lastModified: change.trigger.eventTime });
  return applied(`${change.trigger.eventName}: object ${name}/${key} written, ACL ${describeAcl(acl)}`);
});

function uploadIdOf(value: unknown): string | null {
  return (
    firstString(value, 'uploadId') ??
    firstString(field(value, 'InitiateMultipartUploadResult'), 'UploadId') ??
    null
  );
}

const createMultipartUpload = onBucket((bucket, name, { world, trigger, detail, params }) => {
  const key = keyOf(trigger);
  if (key === undefined) return unchanged(`CreateMultipartUpload on ${name} names no key`);
  const uploadId = uploadIdOf(detail.responseElements);
  const acl = aclOfRequest(params, bucketOwnerId(world, bucket));
  world.multipartUploads = world.multipartUploads.filter((u) => uploadId === null || u.uploadId !== uploadId);
  world.multipartUploads.push({ bucket: name, key, uploadId, acl });
  // The object appears only when the upload completes.
  return applied(`CreateMultipartUpload: upload of ${name}/${key} started, ACL ${describeAcl(acl)}`);
});

const completeMultipartUpload = onBucket((bucket, name, change) => {
  const { world, trigger, params } = change;
  const key = keyOf(trigger);
  if (key === undefined) return unchanged(`CompleteMultipartUpload on ${name} names no key`);
  const uploadId = uploadIdOf(params);
  const index = world.multipartUploads.findIndex(
    (u) =>
      u.bucket === name &&
      u.key === key &&
      (uploadId === null || u.uploadId === null || u.uploadId === uploadId),
  );
  const pending = world.multipartUploads[index];
  if (pending !== undefined) world.multipartUploads.splice(index, 1);
  const acl = pending?.acl ?? null;
  writeObject(bucket, key, { body: '', acl, lastModified: trigger.eventTime });
  return applied(`CompleteMultipartUpload: object ${name}/${key} written, ACL ${describeAcl(acl)}`);
});

const putObjectAcl = onBucket((bucket, name, { world, trigger, params }) => {
  const key = keyOf(trigger);
  const object = key === undefined ? undefined : bucket.objects[key];
  if (key === undefined || object === undefined) {
    return unchanged(`PutObjectAcl: object ${name}/${key ?? ''} is not in the sandbox`);
  }
  const acl = aclOfRequest(params, bucketOwnerId(world, bucket));
  if (acl === null) return unchanged(`PutObjectAcl on ${name}/${key} carries no ACL`);
  object.acl = acl;
  return applied(`PutObjectAcl: object ${name}/${key} ACL is ${describeAcl(acl)}`);
});

/** One applier per exposure event; the compiler checks that none is missing. */
const APPLIERS: Readonly<Record<ExposureEventName, Applier>> = {
  PutBucketAcl: putBucketAcl,
  PutObjectAcl: putObjectAcl,
  PutObject: putObject,
  CopyObject: putObject,
  CreateMultipartUpload: createMultipartUpload,
  CompleteMultipartUpload: completeMultipartUpload,
  PutBucketPolicy: putBucketPolicy,
  DeleteBucketPolicy: deleteBucketPolicy,
  PutBucketPublicAccessBlock: putBucketPublicAccessBlock,
  DeleteBucketPublicAccessBlock: deleteBucketPublicAccessBlock,
  PutAccountPublicAccessBlock: putAccountPublicAccessBlock,
  DeleteAccountPublicAccessBlock: deleteAccountPublicAccessBlock,
  PutBucketOwnershipControls: putBucketOwnershipControls,
  DeleteBucketOwnershipControls: deleteBucketOwnershipControls,
  CreateBucket: createBucket,
  PutBucketWebsite: putBucketWebsite,
  DeleteBucketWebsite: deleteBucketWebsite,
};

/**
 * Applies the change a successful CloudTrail event made to the sandbox's world. Never throws
 * for a bad event: the workflow reports malformed events, so here they simply change nothing.
 * Neither does an event whose change the world file cannot hold (a policy Effect "Maybe", a
 * 64-character bucket name): the summary says why it was not applied.
 */
export function applyEventToWorld(sandbox: SandboxAccount, event: unknown): ApplyResult {
  let parsed: ReturnType<typeof parseExposureEvent>;
  try {
    parsed = parseExposureEvent(event);
  } catch (error) {
    return unchanged(`not applied: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (parsed.kind === 'irrelevant') return unchanged(`${parsed.eventName} does not change exposure`);
  if (parsed.kind === 'attempt') {
    return unchanged(`${parsed.trigger.eventName} failed with ${parsed.errorCode}: nothing changed`);
  }
  // parseExposureEvent accepted the event, so the full schema does too.
  const { detail } = CloudTrailEventBridgeSchema.parse(event);
  const trigger = parsed.trigger;
  if (!isExposureEventName(trigger.eventName))
    return unchanged(`${trigger.eventName} does not change exposure`);
  const change = { world: sandbox.world, trigger, detail, params: detail.requestParameters ?? {} };
  const apply = APPLIERS[trigger.eventName];
  // Tried on a copy first: the world is saved in the state folder, and one that breaks the
  // world schema could never be loaded again. The live world is changed only by a change that
  // passed, so objects a running execution holds stay the world's own.
  const trialWorld = structuredClone(sandbox.world);
  const trial = apply({ ...change, world: trialWorld });
  if (!trial.applied) return trial;
  const issues = worldIssues(trialWorld);
  if (issues.length > 0) {
    return unchanged(
      `${trigger.eventName} not applied: the sandbox cannot hold what it records (${issues.join('; ')})`,
    );
  }
  sandbox.rememberBeforeChange();
  return apply(change);
}
