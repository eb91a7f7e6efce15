/**
 * Turns an EventBridge "AWS API Call via CloudTrail" event from S3 into a trigger: who acted,
 * when, on which bucket or keys, and what the request asked for. Pure: no AWS calls.
 *
 * The event is a trigger and a witness only. Request shapes vary (see
 * `reference/cloudtrail-s3-events.md`, section 3), so everything read from `requestParameters`
 * is read defensively, and the verdict always comes from re-reading the bucket's configuration.
 */
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';
import { type PublicAccessBlock, type Requested, type Trigger, TriggerSchema } from '../shared/contracts.js';
import { MalformedEventError, MissingBucketError } from './errors.js';

/** The CloudTrail eventNames that can change a bucket's or an object's exposure. */
export const EXPOSURE_EVENT_NAMES = [
  'PutBucketAcl',
  'PutObjectAcl',
  'PutObject',
  'CopyObject',
  'CreateMultipartUpload',
  'CompleteMultipartUpload',
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'PutBucketPublicAccessBlock',
  'DeleteBucketPublicAccessBlock',
  'PutAccountPublicAccessBlock',
  'DeleteAccountPublicAccessBlock',
  'PutBucketOwnershipControls',
  'DeleteBucketOwnershipControls',
  'CreateBucket',
  'PutBucketWebsite',
  'DeleteBucketWebsite',
] as const;
/** One of {@link EXPOSURE_EVENT_NAMES}. */
export type ExposureEventName = (typeof EXPOSURE_EVENT_NAMES)[number];

/** The `detail-type` EventBridge gives API calls recorded by CloudTrail. */
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
/** The envelope `source` of S3 events. */
export const S3_SOURCE = 'aws.s3';
/** The CloudTrail `eventSource` of S3 calls, s3-control account calls included. */
export const S3_EVENT_SOURCE = 's3.amazonaws.com';

/** Account-wide calls: they name no bucket. The eventName differs from the s3control API name. */
const ACCOUNT_EVENT_NAMES: ReadonlySet<string> = new Set<ExposureEventName>([
  'PutAccountPublicAccessBlock',
  'DeleteAccountPublicAccessBlock',
]);
/** Data events about one object: the key is in `requestParameters.key`. */
const OBJECT_EVENT_NAMES: ReadonlySet<string> = new Set<ExposureEventName>([
  'PutObjectAcl',
  'PutObject',
  'CopyObject',
  'CreateMultipartUpload',
  'CompleteMultipartUpload',
]);
const EXPOSURE_EVENT_NAME_SET: ReadonlySet<string> = new Set(EXPOSURE_EVENT_NAMES);

/** True when `eventName` is one of {@link EXPOSURE_EVENT_NAMES}. */
export function isExposureEventName(eventName: string): eventName is ExposureEventName {
  return EXPOSURE_EVENT_NAME_SET.has(eventName);
}

const UserIdentitySchema = z.looseObject({
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  sessionContext: z
    .looseObject({ sessionIssuer: z.looseObject({ arn: z.string().optional() }).optional() })
    .optional(),
});

/** Data events over a prefix selector carry `ARNPrefix` instead of `ARN`. */
const CloudTrailResourceSchema = z.looseObject({
  type: z.string().optional(),
  ARN: z.string().optional(),
  ARNPrefix: z.string().optional(),
  accountId: z.string().optional(),
});

/**
 * A CloudTrail record as EventBridge delivers it in `detail`. Loose: only what the trigger needs
 * is checked, and unknown fields pass through, since CloudTrail adds fields with new
 * eventVersions.
 */
export const CloudTrailDetailSchema = z.looseObject({
  eventVersion: z.string().optional(),
  eventSource: z.string().min(1),
  eventName: z.string().min(1),
  eventTime: z.iso.datetime().optional(),
  awsRegion: z.string().min(1).optional(),
  userIdentity: UserIdentitySchema,
  sourceIPAddress: z.string().optional(),
  userAgent: z.string().optional(),
  // Account-level BPA events before 2019 had no requestParameters at all (StreamAlert #1016).
  requestParameters: z.record(z.string(), z.unknown()).nullish(),
  responseElements: z.unknown().optional(),
  additionalEventData: z.unknown().optional(),
  errorCode: z.string().nullish(),
  errorMessage: z.string().nullish(),
  resources: z.array(CloudTrailResourceSchema).optional(),
  recipientAccountId: z.string().min(1).optional(),
  requestID: z.string().optional(),
  eventID: z.string().min(1),
  eventType: z.string().optional(),
});
/** The parsed CloudTrail record. */
export type CloudTrailDetail = z.infer<typeof CloudTrailDetailSchema>;

/**
 * The envelope alone. Checked first so that a non-CloudTrail event is reported by its
 * `detail-type`, not by the dozen CloudTrail fields its `detail` lacks.
 */
const CloudTrailEnvelopeSchema = EventBridgeSchema.extend({
  'detail-type': z.literal(CLOUDTRAIL_DETAIL_TYPE),
});

/**
 * A whole EventBridge CloudTrail event. It extends Powertools' `EventBridgeSchema` rather than
 * using `EventBridgeEnvelope`, which returns only `detail`: the envelope's id, account, region
 * and time are needed too.
 */
export const CloudTrailEventBridgeSchema = CloudTrailEnvelopeSchema.extend({
  detail: CloudTrailDetailSchema,
});
/** The parsed EventBridge CloudTrail event. */
export type CloudTrailEventBridgeEvent = z.infer<typeof CloudTrailEventBridgeSchema>;

/**
 * The three answers: an exposure event to classify, a failed call to record as an attempt (the
 * configuration did not change), or an event outside {@link EXPOSURE_EVENT_NAMES}.
 */
export const ParsedEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('exposure'), trigger: TriggerSchema }),
  z.object({
    kind: z.literal('attempt'),
    trigger: TriggerSchema,
    errorCode: z.string().min(1),
    errorMessage: z.string().nullable(),
  }),
  z.object({ kind: z.literal('irrelevant'), eventName: z.string() }),
]);
/** The result of {@link parseExposureEvent}. */
export type ParsedEvent = z.infer<typeof ParsedEventSchema>;

/**
 * Parses an EventBridge event into a {@link ParsedEvent}.
 *
 * @throws MalformedEventError when the input is not an EventBridge CloudTrail event or lacks a
 *   field the trigger needs (the message and `field` name it).
 * @throws MissingBucketError when an exposure event names no bucket anywhere.
 */
export function parseExposureEvent(raw: unknown): ParsedEvent {
  const envelope = CloudTrailEnvelopeSchema.safeParse(raw);
  if (!envelope.success) throw malformed(envelope.error, raw);
  const parsed = CloudTrailEventBridgeSchema.safeParse(raw);
  if (!parsed.success) throw malformed(parsed.error, raw);
  const event = parsed.data;
  const { detail } = event;

  // A well-formed CloudTrail event from another service, or a call that cannot change exposure,
  // is not an error: a broad rule or a replay may send it, and it is simply not ours.
  if (
    event.source !== S3_SOURCE ||
    detail.eventSource !== S3_EVENT_SOURCE ||
    !isExposureEventName(detail.eventName)
  ) {
    return { kind: 'irrelevant', eventName: detail.eventName };
  }
  const trigger = buildTrigger(event, detail.eventName);
  if (detail.errorCode) {
    return {
      kind: 'attempt',
      trigger,
      errorCode: detail.errorCode,
      errorMessage: detail.errorMessage ?? null,
    };
  }
  return { kind: 'exposure', trigger };
}

function buildTrigger(event: CloudTrailEventBridgeEvent, eventName: ExposureEventName): Trigger {
  const { detail } = event;
  const params = detail.requestParameters ?? {};
  const scope = scopeOf(eventName);
  let bucket: string | null = null;
  if (scope !== 'account') {
    bucket = findBucket(params, detail.resources ?? []);
    if (bucket === null) throw new MissingBucketError(detail.eventID, eventName);
  }
  const identity = detail.userIdentity;
  return {
    eventID: detail.eventID,
    eventName,
    eventTime: detail.eventTime ?? event.time,
    accountId: detail.recipientAccountId ?? event.account,
    region: detail.awsRegion ?? event.region,
    bucket,
    keys: scope === 'object' ? findKeys(params) : [],
    actor: {
      type: identity.type ?? 'Unknown',
      arn: identity.arn ?? null,
      principalId: identity.principalId ?? null,
      accountId: identity.accountId ?? null,
      sessionIssuerArn: identity.sessionContext?.sessionIssuer?.arn ?? null,
    },
    sourceIp: detail.sourceIPAddress ?? null,
    userAgent: detail.userAgent ?? null,
    scope,
    requested: requestedChange(params),
  };
}

function scopeOf(eventName: ExposureEventName): Trigger['scope'] {
  if (ACCOUNT_EVENT_NAMES.has(eventName)) return 'account';
  if (OBJECT_EVENT_NAMES.has(eventName)) return 'object';
  return 'bucket';
}

/** Builds the error from zod's issues; the first issue's path is the field callers route on. */
function malformed(error: z.ZodError, raw: unknown): MalformedEventError {
  const [first] = error.issues;
  const field = first ? formatPath(first.path) : '(event)';
  // zod words a missing field as a type mismatch ("expected nonoptional"); say it plainly.
  const shown = error.issues
    .slice(0, 3)
    .map(
      (issue) =>
        `${formatPath(issue.path)}: ${valueAt(raw, issue.path) === undefined ? 'missing' : issue.message}`,
    );
  const more = error.issues.length > shown.length ? ` (and ${error.issues.length - shown.length} more)` : '';
  return new MalformedEventError(
    field,
    `not a usable EventBridge CloudTrail event: ${shown.join('; ')}${more}`,
    { cause: error },
  );
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const part of path) {
    if (Array.isArray(value) && typeof part === 'number') value = value[part];
    else if (isObject(value) && typeof part === 'string') value = value[part];
    else return undefined;
  }
  return value;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(event)';
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

// ---- Reading requestParameters defensively ----

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Header and element names arrive in several spellings: `Host`/`host`, `x_amz_grant_read`, `permission`. */
function normalizeKey(key: string): string {
  return key.toLowerCase().replaceAll('_', '-');
}

/** Reads a field by name, comparing names case-insensitively and `_` as `-`. */
function field(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const wanted = normalizeKey(name);
  for (const [key, value] of Object.entries(object)) {
    if (normalizeKey(key) === wanted) return value;
  }
  return undefined;
}

/** Header values come as a string or as an array of strings; other values are ignored. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/** A repeated XML element that occurred once is a JSON object, not an array. */
function toArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`, in any partition. */
const S3_ARN = /^arn:aws[a-z-]*:s3:::([^/]+)/;

/**
 * A virtual-host-style S3 endpoint: `<bucket>.s3[-fips|-accelerate][.dualstack][.<region>|-<region>]
 * .amazonaws.com[.cn]`. Path-style hosts (`s3.<region>.amazonaws.com`) name no bucket, and
 * s3-control, access-point and website hosts must not be read as one.
 */
const VIRTUAL_HOST =
  /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3(?:-fips|-accelerate)?(?:\.dualstack)?(?:[.-](?:[a-z]{2}(?:-gov)?-[a-z]+-\d+|external-1))?\.amazonaws\.com(?:\.cn)?$/;

/** `bucketName` first; it is sometimes `""` (the AWS doc sample), so then resources, then host. */
function findBucket(
  params: JsonObject,
  resources: readonly z.infer<typeof CloudTrailResourceSchema>[],
): string | null {
  const named = strings(field(params, 'bucketName')).find((name) => name.length > 0);
  if (named !== undefined) return named;
  for (const resource of resources) {
    const arn = resource.ARN ?? resource.ARNPrefix;
    const bucket = arn === undefined ? undefined : S3_ARN.exec(arn)?.[1];
    if (bucket) return bucket;
  }
  for (const host of strings(field(params, 'host'))) {
    const bucket = VIRTUAL_HOST.exec(host.trim().toLowerCase().replace(/:\d+$/, ''))?.[1];
    if (bucket) return bucket;
  }
  return null;
}

function findKeys(params: JsonObject): string[] {
  return [...new Set(strings(field(params, 'key')).filter((key) => key.length > 0))];
}

function requestedChange(params: JsonObject): Requested {
  const requested: Requested = { publicAcl: findPublicAclRequest(params) !== null };
  const bpa = requestedPublicAccessBlock(params);
  if (bpa) requested.bpa = bpa;
  const objectOwnership = requestedObjectOwnership(params);
  if (objectOwnership !== undefined) requested.objectOwnership = objectOwnership;
  const policyText = requestedPolicyText(params);
  if (policyText !== undefined) requested.policyText = policyText;
  return requested;
}

/** The two groups that make an ACL grant public. */
export type PublicGroup = 'AllUsers' | 'AuthenticatedUsers';

/** Why a request counts as asking for a public ACL: the first piece of evidence found. */
export interface PublicAclEvidence {
  /** Where it was found: canned ACL header, grant header, ACL body, or the substring fallback. */
  readonly via: 'canned-acl' | 'grant-header' | 'body-grant' | 'substring';
  readonly group: PublicGroup;
  /** Human-readable, for example `x-amz-acl: public-read` or `READ to AllUsers`. */
  readonly detail: string;
}

const PUBLIC_CANNED_ACLS: ReadonlyMap<string, PublicGroup> = new Map([
  ['public-read', 'AllUsers'],
  ['public-read-write', 'AllUsers'],
  ['authenticated-read', 'AuthenticatedUsers'],
]);
const GRANT_HEADER = /^x-amz-grant-(?:read|write|read-acp|write-acp|full-control)$/;
const PUBLIC_GROUP_URI =
  /^https?:\/\/acs\.amazonaws\.com\/groups\/global\/(allusers|authenticatedusers)\/?$/i;
const PUBLIC_GROUP_SUBSTRING = /acs\.amazonaws\.com\/groups\/global\/(allusers|authenticatedusers)/i;

function publicGroup(uri: string): PublicGroup | null {
  const match = PUBLIC_GROUP_URI.exec(uri.trim());
  if (!match?.[1]) return null;
  return match[1].toLowerCase() === 'allusers' ? 'AllUsers' : 'AuthenticatedUsers';
}

/**
 * Finds whether the request itself asked for an AllUsers or AuthenticatedUsers grant, through a
 * canned ACL (`x-amz-acl`), a grant header (`x-amz-grant-*`, top level or nested under
 * `AccessControlList`), a grant in the `AccessControlPolicy` body, or, as StreamAlert does, the
 * group URI anywhere in `requestParameters`. Returns the first evidence found, or null.
 */
export function findPublicAclRequest(requestParameters: Readonly<JsonObject>): PublicAclEvidence | null {
  // PutObjectAcl fixtures nest the grant headers under a top-level AccessControlList; the ACL
  // body's own AccessControlList sits under AccessControlPolicy and is read below.
  const nested = field(requestParameters, 'AccessControlList');
  const headerMaps = isObject(nested) ? [requestParameters, nested] : [requestParameters];
  for (const headers of headerMaps) {
    const evidence = cannedAclEvidence(headers) ?? grantHeaderEvidence(headers);
    if (evidence) return evidence;
  }
  return bodyGrantEvidence(requestParameters) ?? substringEvidence(requestParameters);
}

function cannedAclEvidence(headers: JsonObject): PublicAclEvidence | null {
  for (const value of strings(field(headers, 'x-amz-acl'))) {
    const group = PUBLIC_CANNED_ACLS.get(value.trim().toLowerCase());
    if (group) return { via: 'canned-acl', group, detail: `x-amz-acl: ${value.trim()}` };
  }
  return null;
}

/** Values look like `uri=http://…/AllUsers` or `id="…", uri="…"`: comma lists, maybe quoted. */
function grantHeaderEvidence(headers: JsonObject): PublicAclEvidence | null {
  for (const [name, value] of Object.entries(headers)) {
    const header = normalizeKey(name);
    if (!GRANT_HEADER.test(header)) continue;
    for (const item of strings(value).flatMap((text) => text.split(','))) {
      const equals = item.indexOf('=');
      if (equals < 0) continue;
      const type = item.slice(0, equals).trim().toLowerCase();
      const grantee = item
        .slice(equals + 1)
        .trim()
        .replace(/^["']|["']$/g, '');
      const group = type === 'uri' ? publicGroup(grantee) : null;
      if (group) return { via: 'grant-header', group, detail: `${header}: uri=${grantee}` };
    }
  }
  return null;
}

function bodyGrantEvidence(params: JsonObject): PublicAclEvidence | null {
  const policy = field(params, 'AccessControlPolicy');
  const list = isObject(policy) ? field(policy, 'AccessControlList') : undefined;
  if (!isObject(list)) return null;
  for (const grant of toArray(field(list, 'Grant') ?? field(list, 'Grants'))) {
    if (!isObject(grant)) continue;
    const grantee = field(grant, 'Grantee');
    const uri = isObject(grantee) ? strings(field(grantee, 'URI'))[0] : undefined;
    const group = uri === undefined ? null : publicGroup(uri);
    if (!group) continue;
    // One fixture spells "permission" in lower case; `field` compares names case-insensitively.
    const permission = strings(field(grant, 'Permission'))[0]?.trim().toUpperCase() || 'UNKNOWN';
    return { via: 'body-grant', group, detail: `${permission} to ${group}` };
  }
  return null;
}

/**
 * Last resort for shapes nobody has documented. The policy is left out: a policy never names
 * the ACL group URIs, and a condition string that did should not count as an ACL grant.
 */
function substringEvidence(params: JsonObject): PublicAclEvidence | null {
  const searched = Object.fromEntries(
    Object.entries(params).filter(([key]) => normalizeKey(key) !== 'bucketpolicy'),
  );
  const match = PUBLIC_GROUP_SUBSTRING.exec(JSON.stringify(searched));
  if (!match?.[1]) return null;
  const group: PublicGroup = match[1].toLowerCase() === 'allusers' ? 'AllUsers' : 'AuthenticatedUsers';
  return { via: 'substring', group, detail: `${group} group URI found in requestParameters` };
}

/** A flag left out of the request is off: the call replaces the whole configuration. */
function requestedPublicAccessBlock(params: JsonObject): PublicAccessBlock | undefined {
  const config = field(params, 'PublicAccessBlockConfiguration');
  if (!isObject(config)) return undefined;
  return {
    BlockPublicAcls: isTrue(field(config, 'BlockPublicAcls')),
    IgnorePublicAcls: isTrue(field(config, 'IgnorePublicAcls')),
    BlockPublicPolicy: isTrue(field(config, 'BlockPublicPolicy')),
    RestrictPublicBuckets: isTrue(field(config, 'RestrictPublicBuckets')),
  };
}

/** XML-to-JSON conversion may leave booleans as text. */
function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

/** From the OwnershipControls body (`Rule` an object or an array), else CreateBucket's header. */
function requestedObjectOwnership(params: JsonObject): string | undefined {
  const controls = field(params, 'OwnershipControls');
  if (isObject(controls)) {
    for (const rule of toArray(field(controls, 'Rule'))) {
      const ownership = isObject(rule) ? strings(field(rule, 'ObjectOwnership'))[0] : undefined;
      if (ownership) return ownership;
    }
  }
  return strings(field(params, 'x-amz-object-ownership')).find((value) => value.length > 0);
}

/** `bucketPolicy` arrives parsed or as JSON text; either way the trigger carries text. */
function requestedPolicyText(params: JsonObject): string | undefined {
  const policy = field(params, 'bucketPolicy');
  if (typeof policy === 'string') return policy.length > 0 ? policy : undefined;
  if (isObject(policy)) return JSON.stringify(policy);
  return undefined;
}
