/** Which object ACLs a read of a bucket takes, for the incident it is about. */
import type { Incident } from './contracts.js';

/** The objects an incident is about: the keys of its events and of its object-ACL vectors. */
export function incidentKeys(incident: Incident): string[] {
  const keys = new Set(incident.events.flatMap((e) => e.keys));
  for (const v of incident.verdict.vectors) if (v.key !== null) keys.add(v.key);
  return [...keys];
}

/**
 * The object keys a read takes: every key an event named, and of the others (objects an incident
 * found by listing the bucket, a new listing's) at most `limit`, the first ones given. `cut` says
 * some were left out: the caller must record them as unread, never take them as private.
 */
export function boundedObjectKeys(
  named: Iterable<string>,
  others: Iterable<string>,
  limit: number,
): { keys: Set<string>; cut: boolean } {
  const keys = new Set(named);
  let added = 0;
  for (const key of others) {
    if (keys.has(key)) continue;
    if (added === limit) return { keys, cut: true };
    keys.add(key);
    added++;
  }
  return { keys, cut: false };
}
