/**
 * The adapter that reads a bucket's current access configuration into a BucketAccessSnapshot.
 * It only talks to AWS and maps the answers; deciding what they mean is the classifier's job.
 */
import {
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketTaggingCommand,
  GetBucketWebsiteCommand,
  GetObjectAclCommand,
  GetPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand } from '@aws-sdk/client-s3-control';
import type { z } from 'zod';
import type { AwsClients } from '../shared/aws-clients.js';
import { errorName, isAccessDenied } from '../shared/aws-errors.js';
import {
  type Acl,
  AclSchema,
  type BucketAccessSnapshotInput,
  OwnershipControlsSchema,
  type PublicAccessBlock,
  type SnapshotPart,
  type UnreadablePart,
} from '../shared/contracts.js';
import { BucketNotFoundError, InvalidInputError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';

/** What to read, and how hard to push S3 while reading object ACLs. */
export interface ReadSnapshotOptions {
  /** The account that must own the bucket: sent as `ExpectedBucketOwner` on every S3 call. */
  readonly accountId: string;
  readonly bucket: string;
  /**
   * Objects whose ACLs are read as well.
   * @default []
   */
  readonly objectKeys?: readonly string[];
  /**
   * How many GetObjectAcl calls may be in flight at once.
   * @default 8
   */
  readonly objectAclConcurrency?: number;
}

const DEFAULT_OBJECT_ACL_CONCURRENCY = 8;

/** SDK v3 names of the errors that mean "read, and there is none" for a part. */
const NO_POLICY = ['NoSuchBucketPolicy'];
const NO_PUBLIC_ACCESS_BLOCK = ['NoSuchPublicAccessBlockConfiguration'];
const NO_OWNERSHIP_CONTROLS = ['OwnershipControlsNotFoundError'];
const NO_WEBSITE = ['NoSuchWebsiteConfiguration'];
const NO_TAGS = ['NoSuchTagSet'];

/** Some of the snapshot's fields, as one read (or the "none" answer) fills them. */
type SnapshotFields = Partial<
  Omit<BucketAccessSnapshotInput, 'accountId' | 'bucket' | 'objectKeys' | 'unreadable'>
>;

/** What one part contributed: the fields it filled, and what could not be read. */
interface Fragment {
  readonly fields: SnapshotFields;
  readonly unreadable: readonly UnreadablePart[];
}

/** The outcome of one call that did not fail the whole read. */
type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** The bucket and the owner every S3 call names. */
interface Target {
  readonly Bucket: string;
  readonly ExpectedBucketOwner: string;
}

/**
 * The error to record in `unreadable` for a failed call, or undefined when the failure must
 * stop the whole read. NoSuchKey only comes from object reads: the object was deleted, or its
 * multipart upload is not complete yet, which leaves nothing to assess but is not a failure.
 */
function unreadableError(error: unknown): string | undefined {
  if (isAccessDenied(error)) return 'AccessDenied';
  if (errorName(error) === 'NoSuchKey') return 'NoSuchKey';
  return undefined;
}

/**
 * Runs one call, turning the errors that mean "none" into `none.value` and the ones that mean
 * "could not read" into `{ ok: false }`. Anything else is rethrown unchanged.
 */
async function attempt<T>(
  call: () => Promise<T>,
  none?: { readonly errors: readonly string[]; readonly value: T },
): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    const name = errorName(error);
    if (none !== undefined && name !== undefined && none.errors.includes(name)) {
      return { ok: true, value: none.value };
    }
    const unreadable = unreadableError(error);
    if (unreadable === undefined) throw error;
    return { ok: false, error: unreadable };
  }
}

/** Reads one bucket-level part; an unreadable part fills no field, so it stays "not read". */
async function readPart(
  part: SnapshotPart,
  call: () => Promise<SnapshotFields>,
  none?: { readonly errors: readonly string[]; readonly value: SnapshotFields },
): Promise<Fragment> {
  const result = await attempt(call, none);
  return result.ok
    ? { fields: result.value, unreadable: [] }
    : { fields: {}, unreadable: [{ part, error: result.error }] };
}

/**
 * Checks an AWS answer against the snapshot contract. The SDK types every member as optional,
 * so this is where a malformed answer is caught, by name, instead of deep in the classifier.
 */
function parseAnswer<S extends z.ZodType>(schema: S, answer: unknown, operation: string): z.output<S> {
  const result = schema.safeParse(answer);
  if (result.success) return result.data;
  throw new InvalidInputError(
    `${operation} returned an answer outside the snapshot contract`,
    result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    { cause: result.error },
  );
}

/** `{ Owner, Grants }` of a GetBucketAcl or GetObjectAcl answer: no `$metadata`, no request charges. */
function toAcl(answer: { readonly Owner?: unknown; readonly Grants?: unknown }, operation: string): Acl {
  return parseAnswer(AclSchema, { Owner: answer.Owner, Grants: answer.Grants }, operation);
}

/** The four Block Public Access flags; S3 leaves out a flag that is off. */
function toPublicAccessBlock(
  configuration: Partial<Record<keyof PublicAccessBlock, boolean>> | undefined,
): PublicAccessBlock {
  return {
    BlockPublicAcls: configuration?.BlockPublicAcls ?? false,
    IgnorePublicAcls: configuration?.IgnorePublicAcls ?? false,
    BlockPublicPolicy: configuration?.BlockPublicPolicy ?? false,
    RestrictPublicBuckets: configuration?.RestrictPublicBuckets ?? false,
  };
}

/** A TagSet as a map; a tag without a value is kept with an empty one. */
function toTags(tagSet: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const { Key, Value } of tagSet ?? []) {
    if (Key !== undefined) tags[Key] = Value ?? '';
  }
  return tags;
}

/**
 * Calls `fn` on every item with at most `limit` calls in flight, and returns the results in the
 * order of `items`. After a call fails no new call starts, and the first failure is rethrown.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }
  const results = new Array<R>(items.length);
  // One iterator shared by every worker: each item is taken exactly once, in order.
  const queue = items.entries();
  let failed = false;
  const worker = async (): Promise<void> => {
    for (const [index, item] of queue) {
      if (failed) return;
      try {
        results[index] = await fn(item, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Reads the ACL of every key; deleted and refused objects are left out and named in `unreadable`. */
async function readObjectAcls(
  s3: S3Client,
  target: Target,
  keys: readonly string[],
  concurrency: number,
): Promise<Fragment> {
  const results = await mapWithConcurrency(keys, concurrency, async (key) => ({
    key,
    result: await attempt(async () =>
      toAcl(await s3.send(new GetObjectAclCommand({ ...target, Key: key })), 'GetObjectAcl'),
    ),
  }));
  const objectAcls: Record<string, Acl> = {};
  const unreadable: UnreadablePart[] = [];
  for (const { key, result } of results) {
    if (result.ok) objectAcls[key] = result.value;
    else unreadable.push({ part: 'objectAcls', key, error: result.error });
  }
  return { fields: { objectAcls }, unreadable };
}

/** Every read of the snapshot, started at once. */
function startReads(
  clients: Pick<AwsClients, 's3' | 's3Control'>,
  target: Target,
  objectKeys: readonly string[],
  concurrency: number,
): Promise<Fragment>[] {
  const { s3, s3Control } = clients;
  return [
    // The text is kept exactly as S3 returned it, so a backup restores the same bytes.
    readPart(
      'bucketPolicy',
      async () => ({ bucketPolicy: (await s3.send(new GetBucketPolicyCommand(target))).Policy ?? null }),
      { errors: NO_POLICY, value: { bucketPolicy: null } },
    ),
    // GetBucketPolicyStatus also fails with NoSuchBucketPolicy when there is no policy: not public.
    readPart(
      'policyStatus',
      async () => {
        const answer = await s3.send(new GetBucketPolicyStatusCommand(target));
        return { policyStatus: { IsPublic: answer.PolicyStatus?.IsPublic ?? false } };
      },
      { errors: NO_POLICY, value: { policyStatus: { IsPublic: false } } },
    ),
    readPart('bucketAcl', async () => ({
      bucketAcl: toAcl(await s3.send(new GetBucketAclCommand(target)), 'GetBucketAcl'),
    })),
    readPart(
      'bucketPublicAccessBlock',
      async () => {
        const answer = await s3.send(new GetPublicAccessBlockCommand(target));
        return { bucketPublicAccessBlock: toPublicAccessBlock(answer.PublicAccessBlockConfiguration) };
      },
      { errors: NO_PUBLIC_ACCESS_BLOCK, value: { bucketPublicAccessBlock: null } },
    ),
    readPart(
      'accountPublicAccessBlock',
      async () => {
        const command = new GetAccountPublicAccessBlockCommand({ AccountId: target.ExpectedBucketOwner });
        const answer = await s3Control.send(command);
        return { accountPublicAccessBlock: toPublicAccessBlock(answer.PublicAccessBlockConfiguration) };
      },
      { errors: NO_PUBLIC_ACCESS_BLOCK, value: { accountPublicAccessBlock: null } },
    ),
    readPart(
      'ownershipControls',
      async () => {
        const answer = await s3.send(new GetBucketOwnershipControlsCommand(target));
        const rules = { Rules: answer.OwnershipControls?.Rules };
        return {
          ownershipControls: parseAnswer(OwnershipControlsSchema, rules, 'GetBucketOwnershipControls'),
        };
      },
      { errors: NO_OWNERSHIP_CONTROLS, value: { ownershipControls: null } },
    ),
    readPart(
      'website',
      async () => {
        const { $metadata: _metadata, ...website } = await s3.send(new GetBucketWebsiteCommand(target));
        return { website };
      },
      { errors: NO_WEBSITE, value: { website: null } },
    ),
    readPart(
      'tags',
      async () => ({ tags: toTags((await s3.send(new GetBucketTaggingCommand(target))).TagSet) }),
      { errors: NO_TAGS, value: { tags: {} } },
    ),
    readObjectAcls(s3, target, objectKeys, concurrency),
  ];
}

/**
 * The error that ends a read in which some calls failed. A missing bucket wins over anything
 * else, so the workflow closes the incident instead of retrying a read that cannot succeed;
 * otherwise the first failure is rethrown unchanged for the workflow's Retry.
 */
function readFailure(bucket: string, failures: readonly unknown[]): unknown {
  const missing = failures.find((error) => errorName(error) === 'NoSuchBucket');
  return missing === undefined ? failures[0] : new BucketNotFoundError(bucket, { cause: missing });
}

/**
 * Reads the current access configuration of one bucket: policy and its status, bucket ACL,
 * object ACLs, Block Public Access at bucket and account level, ownership, website and tags.
 *
 * Every read runs in parallel and every S3 call carries `ExpectedBucketOwner`. A part that does
 * not exist is null (`{}` for tags); a part S3 refuses to show is left out and named in
 * `unreadable`, as is an object that no longer exists.
 *
 * @throws BucketNotFoundError when the bucket does not exist.
 * @throws InvalidInputError when S3 answers outside the snapshot contract.
 * @throws the SDK's error, unchanged, for any other failure (throttling, 5xx).
 */
export async function readBucketSnapshot(
  clients: Pick<AwsClients, 's3' | 's3Control'>,
  options: ReadSnapshotOptions,
): Promise<BucketAccessSnapshotInput> {
  const {
    accountId,
    bucket,
    objectKeys = [],
    objectAclConcurrency = DEFAULT_OBJECT_ACL_CONCURRENCY,
  } = options;
  const target: Target = { Bucket: bucket, ExpectedBucketOwner: accountId };
  // allSettled rather than all: every read has finished, so a missing bucket can be told apart
  // from a throttled read whichever answered first.
  const settled = await Promise.allSettled(startReads(clients, target, objectKeys, objectAclConcurrency));
  const failures = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (failures.length > 0) throw readFailure(bucket, failures);

  const fragments = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const unreadable = fragments.flatMap((fragment) => fragment.unreadable);
  for (const { part, error } of unreadable) {
    logger.debug('snapshot part unreadable', { bucket, part, error });
  }
  const snapshot: BucketAccessSnapshotInput = { accountId, bucket, objectKeys: [...objectKeys], unreadable };
  // Parts never fill the same field, so the order of merging does not matter.
  for (const { fields } of fragments) Object.assign(snapshot, fields);
  return snapshot;
}
