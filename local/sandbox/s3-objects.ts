/**
 * S3 object operations: object ACLs, listing, and the small uploads and downloads the
 * responder and the sandbox Macie need. Bodies are kept as text.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import type {
  GetObjectAclCommandInput,
  GetObjectAclCommandOutput,
  GetObjectCommandInput,
  GetObjectCommandOutput,
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  PutObjectAclCommandInput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { aclOrDefault, ownerOnlyAcl } from './acl.js';
import { AwsApiError } from './aws-error.js';
import { type Answer, type OperationTable, operation } from './operations.js';
import { aclFromRequest, aclsDisabled, checkAclAllowed, requireBucket, requireObject } from './s3-common.js';
import type { WorldObject } from './world.js';

type Empty = Record<string, never>;

const getObjectAcl = operation((input: GetObjectAclCommandInput, ctx): Answer<GetObjectAclCommandOutput> => {
  const ref = requireBucket(ctx, input);
  const object = requireObject(ref, input.Key);
  const acl = aclsDisabled(ref) ? ownerOnlyAcl(ref.ownerId) : aclOrDefault(object.acl, ref.ownerId);
  return { Owner: acl.Owner, Grants: acl.Grants };
});

const putObjectAcl = operation((input: PutObjectAclCommandInput, ctx): Empty => {
  const ref = requireBucket(ctx, input);
  const object = requireObject(ref, input.Key);
  const acl = aclFromRequest(input, ref.ownerId);
  if (acl === null) {
    throw new AwsApiError('MissingSecurityHeader', 'Your request was missing a required header');
  }
  checkAclAllowed(ctx, ref, acl);
  object.acl = acl;
  return {};
});

// ---- Listing -----------------------------------------------------------------------------

const MAX_KEYS = 1000;

function encodeToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (encodeToken(key) !== token) {
    throw new AwsApiError('InvalidArgument', 'The continuation token provided is incorrect');
  }
  return key;
}

/** An object's storage size: its body's UTF-8 bytes, or the `size` that stands for it. */
export function byteLength(object: WorldObject): number {
  return object.body !== undefined ? Buffer.byteLength(object.body, 'utf8') : (object.size ?? 0);
}

function etagOf(object: WorldObject): string {
  return `"${createHash('md5')
    .update(object.body ?? `size:${object.size ?? 0}`)
    .digest('hex')}"`;
}

function listEntry(key: string, object: WorldObject) {
  return {
    Key: key,
    Size: byteLength(object),
    ETag: etagOf(object),
    StorageClass: 'STANDARD' as const,
    ...(object.lastModified !== undefined ? { LastModified: new Date(object.lastModified) } : {}),
  };
}

const listObjectsV2 = operation(
  (input: ListObjectsV2CommandInput, ctx): Answer<ListObjectsV2CommandOutput> => {
    const ref = requireBucket(ctx, input);
    if (input.Delimiter !== undefined)
      throw new Error('sandbox does not model S3.ListObjectsV2 with Delimiter');
    const prefix = input.Prefix ?? '';
    const after =
      input.ContinuationToken !== undefined ? decodeToken(input.ContinuationToken) : input.StartAfter;
    const maxKeys = Math.min(Math.max(input.MaxKeys ?? MAX_KEYS, 0), MAX_KEYS);
    const matching = Object.entries(ref.bucket.objects)
      .filter(([key]) => key.startsWith(prefix) && (after === undefined || key > after))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const page = matching.slice(0, maxKeys);
    const last = page.at(-1)?.[0];
    const truncated = matching.length > page.length && last !== undefined;
    return {
      Name: ref.name,
      Prefix: prefix,
      MaxKeys: maxKeys,
      KeyCount: page.length,
      IsTruncated: truncated,
      ...(input.ContinuationToken !== undefined ? { ContinuationToken: input.ContinuationToken } : {}),
      ...(truncated ? { NextContinuationToken: encodeToken(last) } : {}),
      Contents: page.map(([key, object]) => listEntry(key, object)),
    };
  },
);

// ---- Upload and download -----------------------------------------------------------------

/** The request body as text: the SDK accepts strings, bytes, Blobs and streams. */
async function bodyText(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  if (body instanceof Blob) return body.text();
  if (body instanceof Readable || body instanceof ReadableStream) return text(body);
  throw new AwsApiError('InvalidArgument', 'The request body is of a type S3 does not accept');
}

const putObject = operation(
  async (input: PutObjectCommandInput, ctx): Promise<Answer<PutObjectCommandOutput>> => {
    const ref = requireBucket(ctx, input);
    const acl = aclFromRequest(input, ref.ownerId);
    if (acl !== null) checkAclAllowed(ctx, ref, acl);
    const object: WorldObject = {
      body: await bodyText(input.Body),
      // A new upload replaces the object and its ACL; without one the ACL is the private default.
      acl,
      lastModified: ctx.now.toISOString(),
      ...(input.ContentType !== undefined ? { contentType: input.ContentType } : {}),
    };
    ref.bucket.objects[input.Key ?? ''] = object;
    return { ETag: etagOf(object) };
  },
);

const getObject = operation((input: GetObjectCommandInput, ctx): Answer<GetObjectCommandOutput> => {
  const ref = requireBucket(ctx, input);
  const object = requireObject(ref, input.Key);
  // An object given only a `size` stands for a large one: its content is not modelled.
  const bytes = Buffer.from(object.body ?? '', 'utf8');
  return {
    Body: sdkStreamMixin(Readable.from([bytes])),
    ContentLength: byteLength(object),
    ContentType: object.contentType ?? 'binary/octet-stream',
    ETag: etagOf(object),
    ...(object.lastModified !== undefined ? { LastModified: new Date(object.lastModified) } : {}),
  };
});

/** Object-level S3 operations by command name. */
export const S3_OBJECT_OPERATIONS: OperationTable = {
  GetObjectAcl: getObjectAcl,
  PutObjectAcl: putObjectAcl,
  ListObjectsV2: listObjectsV2,
  PutObject: putObject,
  GetObject: getObject,
};
