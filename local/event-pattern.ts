/**
 * A small EventBridge event-pattern matcher, so the rule's pattern can be tested against the
 * sample events locally (no matcher exists on npm). It supports what our rule uses: exact values,
 * nested objects, `$or`, `exists`, `prefix` and `anything-but`. Any other operator throws rather
 * than silently not matching, so a pattern this cannot judge never passes a test by accident.
 *
 * Semantics follow the EventBridge user guide (*Event patterns*, *Content filtering*, *Arrays in
 * event patterns*, *Comparison operators*) and the README of aws/event-ruler, the matching
 * library EventBridge documents its patterns with:
 * - every field named in the pattern must match; fields the pattern does not name are ignored;
 * - a leaf is an array of alternatives; it matches when any alternative matches;
 * - when the event value is an array, it matches when any of its elements matches (arrays are
 *   flattened; an array of objects matches a nested pattern when one element matches all of it);
 * - `"$or": [p1, p2, ...]`, at any object level, matches when any sub-pattern matches there
 *   (AND with the fields beside it); it needs at least two sub-patterns, or EventBridge reads
 *   `$or` as a plain field name, so anything else throws here;
 * - `exists` looks at leaf values only: `{ "exists": true }` needs one (a string, number,
 *   boolean or null, alone or in an array), `{ "exists": false }` matches a field that has none:
 *   absent, an object (an intermediate node) or an array without leaves;
 * - every other matcher needs a leaf value to be present.
 */
import { EXPOSURE_EVENT_NAMES, type ExposureEventName } from '../tasks/normalize-event/parse-event.js';
import { InvalidInputError } from '../tasks/shared/errors.js';

/**
 * Object uploads that can carry an ACL in their request headers. Without one the new object
 * gets the private default ACL (or none under BucketOwnerEnforced), so the rule drops them: on
 * a busy bucket they are nearly all the data events. `CompleteMultipartUpload` is not here: the
 * ACL was set by `CreateMultipartUpload`, its own request carries none, and it is when the object
 * appears, so it always starts an execution.
 */
export const ACL_CARRYING_UPLOADS = [
  'PutObject',
  'CopyObject',
  'CreateMultipartUpload',
] as const satisfies readonly ExposureEventName[];

/**
 * The request headers that set an object ACL, as CloudTrail names them in `requestParameters`
 * (S3 API reference, PutObject; `reference/cloudtrail-s3-events.md` section 3). A value may be a
 * string or an array of strings; `exists` matches both.
 */
export const ACL_HEADERS = [
  'x-amz-acl',
  'x-amz-grant-read',
  'x-amz-grant-write',
  'x-amz-grant-read-acp',
  'x-amz-grant-write-acp',
  'x-amz-grant-full-control',
] as const;

/** Every other exposure call matches on its name alone, CreateBucket included (as before). */
const ALWAYS_MATCHED: readonly string[] = EXPOSURE_EVENT_NAMES.filter(
  (name) => !(ACL_CARRYING_UPLOADS as readonly string[]).includes(name),
);

type ExistsLeaf = readonly [{ readonly exists: true }];

/** The shape of {@link EXPOSURE_EVENT_PATTERN}; everything is read-only so nobody edits the shared constant. */
export interface ExposureEventPattern {
  readonly source: readonly string[];
  readonly 'detail-type': readonly string[];
  readonly detail: {
    readonly eventSource: readonly string[];
    readonly $or: readonly [
      { readonly eventName: readonly string[] },
      {
        readonly eventName: readonly string[];
        readonly requestParameters: { readonly $or: readonly { readonly [header: string]: ExistsLeaf }[] };
      },
    ];
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * The EventBridge rule pattern for exposure-relevant S3 API calls: every bucket- and
 * account-level exposure call, PutObjectAcl and CompleteMultipartUpload by name, and the three
 * uploads only when the request carries an ACL header. It says nothing about `errorCode`, on
 * purpose: failed calls are recorded as attempts (a BPA rejection shows up as a failed call), and
 * a failed upload with an ACL header matches like a successful one. The CDK rule uses this same
 * constant.
 *
 * Size: 1 + 6 `$or` combinations, and well under the 2,048-character pattern quota (both checked
 * by test/infra/event-pattern.test.ts).
 */
export const EXPOSURE_EVENT_PATTERN: ExposureEventPattern = deepFreeze({
  source: ['aws.s3'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['s3.amazonaws.com'],
    $or: [
      { eventName: [...ALWAYS_MATCHED] },
      {
        eventName: [...ACL_CARRYING_UPLOADS],
        requestParameters: {
          $or: ACL_HEADERS.map((header) => ({ [header]: [{ exists: true }] as const })),
        },
      },
    ],
  },
} as const);

type JsonObject = Record<string, unknown>;

/** Keys EventBridge reserves for matchers: a `$or` sub-pattern using one is not read as `$or`. */
const MATCHER_NAMES: ReadonlySet<string> = new Set([
  'exists',
  'prefix',
  'suffix',
  'anything-but',
  'numeric',
  'cidr',
  'equals-ignore-case',
  'wildcard',
]);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True when `event` matches the EventBridge `pattern`.
 *
 * @throws InvalidInputError when the pattern uses an unsupported operator or is not a pattern
 *   (a leaf that is not an array, or a `$or` that is not a list of two or more sub-patterns).
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new InvalidInputError('an event pattern must be a JSON object');
  return isObject(event) && matchObject(pattern, event, '');
}

function matchObject(pattern: JsonObject, event: JsonObject, path: string): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === '$or') return matchOr(rule, event, path);
    const fieldPath = path ? `${path}.${key}` : key;
    const value = Object.hasOwn(event, key) ? event[key] : undefined;
    return matchField(rule, value, fieldPath);
  });
}

/** `$or` matches the object it sits in when any of its sub-patterns does. */
function matchOr(rule: unknown, event: JsonObject, path: string): boolean {
  const where = path ? `pattern field "${path}"` : 'the pattern';
  if (!Array.isArray(rule) || rule.length < 2 || !rule.every(isObject)) {
    throw new InvalidInputError(`${where}: "$or" must be a list of at least two sub-patterns`);
  }
  for (const sub of rule) {
    const reserved = Object.keys(sub).find((key) => MATCHER_NAMES.has(key));
    if (Object.keys(sub).length === 0 || reserved !== undefined) {
      throw new InvalidInputError(
        `${where}: a "$or" sub-pattern must name fields (${reserved ? `"${reserved}" is a matcher` : 'it is empty'})`,
      );
    }
  }
  return rule.some((sub) => matchObject(sub, event, path));
}

function matchField(rule: unknown, value: unknown, path: string): boolean {
  if (isObject(rule)) {
    // A nested pattern. EventBridge flattens the event, so an array of objects matches when one
    // element matches the whole nested pattern, and a field that is absent or not an object has
    // no subfields: only `exists: false` can match there.
    const objects = objectsIn(value);
    if (objects.length === 0) return matchObject(rule, {}, path);
    return objects.some((item) => matchObject(rule, item, path));
  }
  if (!Array.isArray(rule)) {
    throw new InvalidInputError(`pattern field "${path}" must be an array of values or a nested object`);
  }
  return rule.some((alternative) => matchAlternative(alternative, value, path));
}

function matchAlternative(alternative: unknown, value: unknown, path: string): boolean {
  if (isObject(alternative)) return matchOperator(alternative, value, path);
  if (Array.isArray(alternative)) {
    throw new InvalidInputError(`pattern field "${path}": an alternative cannot be an array`);
  }
  return leafValues(value).some((item) => item === alternative);
}

function matchOperator(operator: JsonObject, value: unknown, path: string): boolean {
  const entries = Object.entries(operator);
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined) {
    throw new InvalidInputError(`pattern field "${path}" has an operator object with ${entries.length} keys`);
  }
  const [name, argument] = entry;
  switch (name) {
    case 'exists':
      if (typeof argument !== 'boolean') {
        throw new InvalidInputError(`pattern field "${path}": "exists" takes true or false`);
      }
      // EventBridge's `exists` applies to leaves: an object is not a leaf value.
      return leafValues(value).length > 0 === argument;
    case 'prefix':
      if (typeof argument !== 'string') {
        throw new InvalidInputError(`pattern field "${path}": "prefix" takes a string`);
      }
      return leafValues(value).some((item) => typeof item === 'string' && item.startsWith(argument));
    case 'anything-but':
      return matchAnythingBut(argument, value, path);
    default:
      throw new InvalidInputError(`pattern field "${path}": operator "${name}" is not supported`);
  }
}

/** `anything-but` takes a value, a list of values, or `{ "prefix": "..." }`; absent fields never match. */
function matchAnythingBut(argument: unknown, value: unknown, path: string): boolean {
  const values = leafValues(value);
  if (values.length === 0) return false;
  if (isObject(argument)) {
    const prefix = argument.prefix;
    if (Object.keys(argument).length !== 1 || typeof prefix !== 'string') {
      throw new InvalidInputError(
        `pattern field "${path}": "anything-but" supports only { "prefix": "..." }`,
      );
    }
    return values.some((item) => typeof item !== 'string' || !item.startsWith(prefix));
  }
  const excluded = Array.isArray(argument) ? argument : [argument];
  if (excluded.some((item) => isObject(item) || Array.isArray(item))) {
    throw new InvalidInputError(`pattern field "${path}": "anything-but" takes scalar values`);
  }
  return values.some((item) => !excluded.includes(item));
}

/** A field's leaf values: a scalar (null included) is one; arrays are flattened; objects are not leaves. */
function leafValues(value: unknown): unknown[] {
  if (value === undefined || isObject(value)) return [];
  return Array.isArray(value) ? value.flatMap(leafValues) : [value];
}

/** A field's objects, for a nested pattern: the object itself, or the objects in an array. */
function objectsIn(value: unknown): JsonObject[] {
  if (isObject(value)) return [value];
  return Array.isArray(value) ? value.flatMap(objectsIn) : [];
}
