/** Plain JSON values as the sandbox reads them from events, world files and requests. */

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** True for a plain object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
