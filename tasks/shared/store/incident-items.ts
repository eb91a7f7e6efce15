/**
 * An incident as DynamoDB items: one head item, and part items for every list too large to
 * keep in it (a 1,000-key incident's vectors, reasons and events are about 580 KB, and one item
 * holds at most 400 KB). Pure functions: the store writes and reads what these return.
 *
 * A list moves out of the head when its JSON exceeds {@link PART_THRESHOLD_BYTES}; the head keeps
 * `{ "$part": path, "count": n }` in its place, and the list's elements are written in chunks of
 * about {@link PART_TARGET_BYTES}. Parts belong to a generation (the incident's version), so a
 * new version's parts are written before the head that points at them: a reader never sees a
 * head whose parts are missing, and the previous generation is deleted afterwards.
 */
import { ResponderError } from '../errors.js';

/** Lists larger than this (as JSON) are kept in part items. */
export const PART_THRESHOLD_BYTES = 16 * 1024;
/** The size a part item aims at: well under the 400 KB item limit, and cheap to rewrite. */
export const PART_TARGET_BYTES = 64 * 1024;
/** A head larger than this would come too close to DynamoDB's 400 KB item limit. */
export const HEAD_LIMIT_BYTES = 300 * 1024;

/** A list written to part items, in order. */
export interface PartChunk {
  readonly path: string;
  readonly index: number;
  readonly items: readonly unknown[];
}

/** The placeholder a head keeps where a large list was. */
interface PartRef {
  readonly $part: string;
  readonly count: number;
}

/** An incident too large to store even after its lists moved to parts (one element over 300 KB). */
export class IncidentTooLargeError extends ResponderError {
  override name = 'IncidentTooLargeError';
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPartRef(value: unknown): value is PartRef {
  return isPlainObject(value) && typeof value.$part === 'string' && typeof value.count === 'number';
}

function chunk(path: string, items: readonly unknown[]): PartChunk[] {
  const chunks: PartChunk[] = [];
  let current: unknown[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = jsonBytes(item);
    if (size > HEAD_LIMIT_BYTES) {
      throw new IncidentTooLargeError(
        `one element of ${path} is ${size} bytes, too large for a DynamoDB item`,
      );
    }
    if (current.length > 0 && bytes + size > PART_TARGET_BYTES) {
      chunks.push({ path, index: chunks.length, items: current });
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push({ path, index: chunks.length, items: current });
  return chunks;
}

/**
 * Splits a record into the head (large lists replaced by references) and the part chunks.
 * Lists inside lists are not split: their elements (events, vectors, reasons) are small.
 */
export function splitRecord(record: Record<string, unknown>): {
  head: Record<string, unknown>;
  parts: PartChunk[];
} {
  const parts: PartChunk[] = [];
  const walk = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) {
      if (jsonBytes(value) <= PART_THRESHOLD_BYTES) return value;
      parts.push(...chunk(path, value));
      return { $part: path, count: value.length } satisfies PartRef;
    }
    if (isPlainObject(value)) {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, walk(v, path ? `${path}.${k}` : k)]),
      );
    }
    return value;
  };
  const head = walk(record, '');
  if (!isPlainObject(head)) throw new Error('a record splits into an object');
  const size = jsonBytes(head);
  if (size > HEAD_LIMIT_BYTES) {
    throw new IncidentTooLargeError(`the incident's head is ${size} bytes even with its lists in parts`);
  }
  return { head, parts };
}

/**
 * Puts the parts back where the head refers to them. Returns null when a list is incomplete
 * (a writer replaced the generation while it was read): the caller reads again.
 */
export function joinRecord(
  head: Record<string, unknown>,
  parts: readonly PartChunk[],
): Record<string, unknown> | null {
  const byPath = new Map<string, PartChunk[]>();
  for (const part of parts) byPath.set(part.path, [...(byPath.get(part.path) ?? []), part]);
  let complete = true;
  const walk = (value: unknown): unknown => {
    if (isPartRef(value)) {
      const chunks = [...(byPath.get(value.$part) ?? [])].sort((a, b) => a.index - b.index);
      const items = chunks.flatMap((c) => c.items);
      if (items.length !== value.count) complete = false;
      return items;
    }
    if (Array.isArray(value)) return value;
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  const joined = walk(head);
  return complete && isPlainObject(joined) ? joined : null;
}
