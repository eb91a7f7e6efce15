import type { ExposureVerdict } from '../tasks/shared/contracts.js';
import { describeMitigation, exposureLabel } from '../tasks/shared/describe.js';

/** A verdict as a short, readable block of text. */
export function describeVerdict(v: ExposureVerdict): string {
  const lines = [`${v.bucket}: ${exposureLabel(v)} [${v.severity}]`];
  for (const reason of v.reasons) lines.push(`  why:     ${reason.why}`);
  for (const m of v.mitigations) lines.push(`  fix:     ${describeMitigation(m)}`);
  for (const u of v.unknown) lines.push(`  unknown: ${u.part}${u.key ? ` "${u.key}"` : ''}: ${u.why}`);
  return lines.join('\n');
}
