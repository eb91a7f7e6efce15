import { describeGrant } from '../tasks/classify-exposure/acl-analysis.js';
import type { ExposureVerdict, Mitigation } from '../tasks/shared/contracts.js';

/** A mitigation in plain words. */
export function describeMitigation(m: Mitigation): string {
  switch (m.kind) {
    case 'removePolicyStatement':
      return `remove policy statement ${m.statement}${m.sid ? ` ("${m.sid}")` : ''}`;
    case 'removeBucketAclGrant':
      return `remove the bucket ACL grant ${describeGrant(m.grant)}`;
    case 'removeObjectAclGrant':
      return `remove the grant ${describeGrant(m.grant)} from object "${m.key}"`;
    case 'setBucketPublicAccessBlock':
      return `turn on bucket Block Public Access: ${Object.keys(m.flags).join(', ')}`;
  }
}

/** The exposure in a few words: "public read and write", "cross-account", "not public". */
export function exposureLabel(v: ExposureVerdict): string {
  if (v.publicRead && v.publicWrite) return 'public read and write';
  if (v.publicWrite) return 'public write';
  if (v.publicRead) return 'public read';
  if (v.crossAccount) return 'shared with other accounts (not public)';
  if (v.latent.length > 0) return 'not public now; public settings are masked (latent)';
  if (v.unknown.length > 0) return 'could not fully assess';
  return 'not public';
}

/** A verdict as a short, readable block of text. */
export function describeVerdict(v: ExposureVerdict): string {
  const lines = [`${v.bucket}: ${exposureLabel(v)} [${v.severity}]`];
  for (const reason of v.reasons) lines.push(`  why:     ${reason.why}`);
  for (const m of v.mitigations) lines.push(`  fix:     ${describeMitigation(m)}`);
  for (const u of v.unknown) lines.push(`  unknown: ${u.part}${u.key ? ` "${u.key}"` : ''}: ${u.why}`);
  return lines.join('\n');
}
