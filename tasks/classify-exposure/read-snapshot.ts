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
import { errorName, isRetryableAwsError, unreadableCode } from '../shared/aws-errors.js';
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
import { isBucketGone } from './bucket-region.js';

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
  /**
   * What a part still throttled, or failing with a 5xx or a network error, after the SDK's
   * retries does to the read. `'unreadable'` names it in `unreadable`, so a verdict is still
   * made and an alert still sent. `'throw'` fails the whole read with the SDK's error, for the
   * workflow's Retry: for a caller that may act only on a complete read (remediation), waiting
   * a little is better than giving up.
   * @default 'unreadable'
   */
  readonly transientFailures?: 'unreadable' | 'throw';
}

const DEFAULT_OBJECT_ACL_CONCURRENCY = 8;

/** SDK v3 names of the errors that mean "read, and there is none" for a part. */
const NO_POLICY = ['NoSuchBucketPolicy'];
const NO_PUBLIC_ACCESS_BLOCK = ['NoSuchPublicAccessBlockConfiguration'];
const NO_OWNERSHIP_CONTROLS = ['OwnershipControlsNotFoundError'];
const NO_WEBSITE = ['NoSuchWebsiteConfiguration'];
const NO_TAGS = ['NoSuchTagSet'];
/** S3's code for "the bucket named does not exist" on a request with a body to carry it. */
const NO_SUCH_BUCKET = 'NoSuchBucket';

/** Some of the snapshot's fields, as one read (or the "none" answer) fills them. */
type SnapshotFields = Partial<
  Omit<BucketAccessSnapshotInput, 'accountId' | 'bucket' | 'objectKeys' | 'unreadable'>
>;

/** How one call ended: answered (a value or "none"), or failed; and whether it named the bucket. */
type Call = { readonly namesBucket: boolean } & (
  | { readonly answered: true }
  | { readonly answered: false; readonly code: string; readonly error: unknown }
);
type FailedCall = Extract<Call, { readonly answered: false }>;

/** What one part contributed: the fields it filled, what could not be read, and its calls. */
interface Fragment {
  readonly fields: SnapshotFields;
  readonly unreadable: readonly UnreadablePart[];
  /** The part's calls, to tell a missing bucket from a missing answer. */
  readonly calls: readonly Call[];
}

/** The outcome of one call: a value, or the AWS failure that left it unread. */
type Attempt<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: string; readonly error: unknown };

/** The bucket and the owner every S3 call names. */
interface Target {
  readonly Bucket: string;
  readonly ExpectedBucketOwner: string;
}

/**
 * Runs one call, turning the errors that mean "none" into `none.value` and every other AWS
 * failure (refused, throttled, 5xx, network, NoSuchKey, NoSuchBucket) into `{ ok: false }` with
 * its code: one part that cannot be read must not hide what the others show. An error that is
 * no AWS answer (a bug, an answer outside the contract) is rethrown unchanged.
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
    const code = unreadableCode(error);
    if (code === undefined) throw error;
    return { ok: false, code, error };
  }
}

/** A call to the bucket, as it ended. */
function callOf(result: Attempt<unknown>): Call {
  return result.ok
    ? { namesBucket: true, answered: true }
    : { namesBucket: true, answered: false, code: result.code, error: result.error };
}

/** Reads one bucket-level part; an unreadable part fills no field, so it stays "not read". */
async function readPart(
  part: SnapshotPart,
  call: () => Promise<SnapshotFields>,
  none?: { readonly errors: readonly string[]; readonly value: SnapshotFields },
): Promise<Fragment> {
  const result = await attempt(call, none);
  const calls = [callOf(result)];
  return result.ok
    ? { fields: result.value, unreadable: [], calls }
    : { fields: {}, unreadable: [{ part, error: result.code }], calls };
}

/** A part read from the account, not the bucket: its answer says nothing of the bucket's existence. */
async function aboutTheAccount(read: Promise<Fragment>): Promise<Fragment> {
  const fragment = await read;
  return { ...fragment, calls: fragment.calls.map((call) => ({ ...call, namesBucket: false })) };
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

/** Reads the ACL of every key; an object whose ACL could not be read is left out and named in `unreadable`. */
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
    else unreadable.push({ part: 'objectAcls', key, error: result.code });
  }
  return {
    fields: { objectAcls },
    unreadable,
    calls: results.map(({ result }) => callOf(result)),
  };
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
    aboutTheAccount(
      readPart(
        'accountPublicAccessBlock',
        async () => {
          const command = new GetAccountPublicAccessBlockCommand({ AccountId: target.ExpectedBucketOwner });
          const answer = await s3Control.send(command);
          return { accountPublicAccessBlock: toPublicAccessBlock(answer.PublicAccessBlockConfiguration) };
        },
        { errors: NO_PUBLIC_ACCESS_BLOCK, value: { accountPublicAccessBlock: null } },
      ),
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
 * Throws when the failed calls say more than "this part could not be read":
 * - the bucket is gone: every call naming it answered NoSuchBucket, or some did and HeadBucket
 *   confirms it. One NoSuchBucket among other answers is no proof (S3's bucket operations are
 *   eventually consistent), and taking it for one would close the incident with a "Resolved"
 *   mail while the bucket is still public; unconfirmed, it stays an unreadable part.
 * - S3 told nothing: every call naming the bucket still failed after the SDK's retries with
 *   throttling, a 5xx or a network error. A verdict made only of gaps is worth less than the
 *   workflow's Retry a little later, and the events stay pending for it.
 * - the caller asked for `transientFailures: 'throw'` and any call failed that way.
 */
async function throwUnlessAnswered(
  s3: S3Client,
  target: Target,
  calls: readonly Call[],
  transientFailures: 'unreadable' | 'throw',
): Promise<void> {
  const onBucket = calls.filter((call) => call.namesBucket);
  const missing = onBucket.filter(
    (call): call is FailedCall => !call.answered && call.code === NO_SUCH_BUCKET,
  );
  if (
    missing.length > 0 &&
    (missing.length === onBucket.length ||
      (await isBucketGone(s3, { bucket: target.Bucket, accountId: target.ExpectedBucketOwner })))
  ) {
    throw new BucketNotFoundError(target.Bucket, { cause: missing[0]?.error });
  }
  const transient = (call: Call): call is FailedCall => !call.answered && isRetryableAwsError(call.error);
  const first = calls.find(transient);
  const nothingAnswered = onBucket.length > 0 && onBucket.every(transient);
  if (first !== undefined && (nothingAnswered || transientFailures === 'throw')) throw first.error;
}

/**
 * Reads the current access configuration of one bucket: policy and its status, bucket ACL,
 * object ACLs, Block Public Access at bucket and account level, ownership, website and tags.
 *
 * Every read runs in parallel and every S3 call carries `ExpectedBucketOwner`. A part that does
 * not exist is null (`{}` for tags); a part whose read failed after the SDK's retries (refused,
 * throttled, 5xx, network, an unconfirmed NoSuchBucket) is left out and named in `unreadable`
 * with the error's code, as is an object that no longer exists (NoSuchKey).
 *
 * @throws BucketNotFoundError when the bucket is confirmed gone: every read naming it said
 *   NoSuchBucket, or HeadBucket with `ExpectedBucketOwner` says so.
 * @throws InvalidInputError when S3 answers outside the snapshot contract.
 * @throws the SDK's error, unchanged, when every read naming the bucket was throttled or failed
 *   with a 5xx or a network error (or any read was, with `transientFailures: 'throw'`), for the
 *   workflow's Retry.
 * @throws any error that is no AWS answer, unchanged.
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
    transientFailures = 'unreadable',
  } = options;
  const target: Target = { Bucket: bucket, ExpectedBucketOwner: accountId };
  // A part rejects only on an error that is no AWS answer, or an answer outside the contract.
  // allSettled rather than all: even then, the task ends only after every call it started has.
  const settled = await Promise.allSettled(startReads(clients, target, objectKeys, objectAclConcurrency));
  const thrown = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (thrown.length > 0) throw thrown[0];

  const fragments = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  await throwUnlessAnswered(
    clients.s3,
    target,
    fragments.flatMap((fragment) => fragment.calls),
    transientFailures,
  );
  const unreadable = fragments.flatMap((fragment) => fragment.unreadable);
  for (const { part, error } of unreadable) {
    logger.debug('snapshot part unreadable', { bucket, part, error });
  }
  const snapshot: BucketAccessSnapshotInput = { accountId, bucket, objectKeys: [...objectKeys], unreadable };
  // Parts never fill the same field, so the order of merging does not matter.
  for (const { fields } of fragments) Object.assign(snapshot, fields);
  return snapshot;
}
