/** Injected faults: which call a fault applies to, and using one up. */
import type { Fault, FaultService, World } from './world.js';

function bucketOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || !('Bucket' in input)) return undefined;
  return typeof input.Bucket === 'string' ? input.Bucket : undefined;
}

/**
 * The first fault queued for this call, with one of its `times` used up (the fault leaves the
 * queue when none are left), or null. Faults live in the world, so a saved state keeps them.
 */
export function takeFault(
  world: World,
  service: FaultService,
  operation: string,
  input: unknown,
): Fault | null {
  const bucket = bucketOf(input);
  const index = world.faults.findIndex(
    (fault) =>
      fault.service === service &&
      fault.operation === operation &&
      (fault.bucket === undefined || fault.bucket === bucket),
  );
  const fault = world.faults[index];
  if (fault === undefined) return null;
  if (fault.times <= 1) world.faults.splice(index, 1);
  else world.faults[index] = { ...fault, times: fault.times - 1 };
  return fault;
}
