/**
 * A small EventBridge event-pattern matcher, so the rule's pattern can be tested against the
 * sample events locally (no matcher exists on npm). It supports what our rule uses: exact values,
 * nested objects, `exists`, `prefix` and `anything-but`. Any other operator throws rather than
 * silently not matching, so a pattern this cannot judge never passes a test by accident.
 *
 * Semantics follow the EventBridge user guide (*Event patterns*, *Content filtering*):
 * - every field named in the pattern must match; fields the pattern does not name are ignored;
 * - a leaf is an array of alternatives; it matches when any alternative matches;
 * - when the event value is an array, it matches when any of its elements matches;
 * - every matcher except `{ "exists": false }` needs the field to be present.
 */
import { EXPOSURE_EVENT_NAMES } from '../tasks/normalize-event/parse-event.js';
import { InvalidInputError } from '../tasks/shared/errors.js';

/** The shape of {@link EXPOSURE_EVENT_PATTERN}; arrays are read-only so nobody edits the shared constant. */
export interface ExposureEventPattern {
  readonly source: readonly string[];
  readonly 'detail-type': readonly string[];
  readonly detail: {
    readonly eventSource: readonly string[];
    readonly eventName: readonly string[];
  };
}

/**
 * The EventBridge rule pattern for exposure-relevant S3 API calls. Failed calls are matched on
 * purpose: they are recorded as attempts (a BPA rejection shows up as a failed call). The CDK
 * rule uses this same constant.
 */
export const EXPOSURE_EVENT_PATTERN: ExposureEventPattern = Object.freeze({
  source: Object.freeze(['aws.s3']),
  'detail-type': Object.freeze(['AWS API Call via CloudTrail']),
  detail: Object.freeze({
    eventSource: Object.freeze(['s3.amazonaws.com']),
    eventName: Object.freeze([...EXPOSURE_EVENT_NAMES]),
  }),
});

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True when `event` matches the EventBridge `pattern`.
 *
 * @throws InvalidInputError when the pattern uses an unsupported operator or is not a pattern
 *   (a leaf that is not an array, for example).
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new InvalidInputError('an event pattern must be a JSON object');
  return matchObject(pattern, event, '');
}

function matchObject(pattern: JsonObject, event: unknown, path: string): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const fieldPath = path ? `${path}.${key}` : key;
    const value = isObject(event) && Object.hasOwn(event, key) ? event[key] : undefined;
    return matchField(rule, value, fieldPath);
  });
}

function matchField(rule: unknown, value: unknown, path: string): boolean {
  if (isObject(rule)) {
    // A nested pattern: an array of objects matches when any element does, as EventBridge
    // flattens arrays.
    if (Array.isArray(value)) return value.some((item) => isObject(item) && matchObject(rule, item, path));
    return isObject(value) && matchObject(rule, value, path);
  }
  if (!Array.isArray(rule)) {
    throw new InvalidInputError(`pattern field "${path}" must be an array of values or a nested object`);
  }
  return rule.some((alternative) => matchAlternative(alternative, value, path));
}

function matchAlternative(alternative: unknown, value: unknown, path: string): boolean {
  if (isObject(alternative)) return matchOperator(alternative, value, path);
  if (value === undefined) return false;
  if (Array.isArray(value)) return value.some((item) => item === alternative);
  return value === alternative;
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
      return argument ? value !== undefined && !isObject(value) : value === undefined;
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

/** A present leaf as a list: arrays are matched element by element; objects are not leaves. */
function leafValues(value: unknown): unknown[] {
  if (value === undefined || isObject(value)) return [];
  return Array.isArray(value) ? value : [value];
}
