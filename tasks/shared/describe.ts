/** Verdicts and mitigations in plain words, for messages, findings and the CLI. */
import type { ExposureVerdict, Grant, MacieSummary, Mitigation } from './contracts.js';

/** The grantee groups that make an ACL public, by URI, with the names S3 gives them. */
export const PUBLIC_GROUPS: Readonly<Record<string, string>> = {
  'http://acs.amazonaws.com/groups/global/AllUsers': 'AllUsers',
  'http://acs.amazonaws.com/groups/global/AuthenticatedUsers': 'AuthenticatedUsers',
};

/** A grant as a person would say it: "AllUsers READ". */
export function describeGrant(grant: Grant): string {
  const who =
    grant.Grantee.URI !== undefined
      ? (PUBLIC_GROUPS[grant.Grantee.URI] ?? grant.Grantee.URI.split('/').pop() ?? grant.Grantee.URI)
      : (grant.Grantee.ID ?? grant.Grantee.EmailAddress ?? grant.Grantee.Type);
  return `${who} ${grant.Permission}`;
}

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

/** One line on what a verdict found, for the incident's history and the workflow state. */
export function exposureSummary(v: ExposureVerdict): string {
  const level =
    v.publicRead && v.publicWrite
      ? 'public read and write'
      : v.publicWrite
        ? 'public write'
        : v.publicRead
          ? 'public read'
          : null;
  if (level) {
    const ways = v.vectors.length === 1 ? '1 way in' : `${v.vectors.length} ways in`;
    return `${level} [${v.severity}], ${ways}`;
  }
  if (v.unknown.length > 0)
    return `could not fully assess [${v.severity}]: ${v.unknown.map((u) => u.part).join(', ')}`;
  if (v.crossAccount) return 'not public; shared with other accounts';
  if (v.latent.length > 0) return 'not public; public settings masked (latent)';
  return 'not public';
}

// ---- The Macie scan, in one line ----------------------------------------------------------

function bytesText(summary: MacieSummary): string {
  if (summary.bytesScanned === null) return '';
  const source = summary.bytesSource === 'estimate' ? ', estimated from object sizes' : ", Macie's figure";
  return ` (${summary.bytesScanned} bytes${source})`;
}

function scannedText(summary: MacieSummary): string {
  return summary.objectsScanned === null
    ? ''
    : `; ${summary.objectsScanned} object(s) scanned${bytesText(summary)}`;
}

/**
 * The summary in one line, for the approval page, the finding's note and messages: types and
 * counts, objects, severity and cost, never a value ("Macie found CREDIT_CARD_NUMBER ×2 in 1
 * object (High); 2 object(s) scanned (150 bytes, estimated from object sizes)").
 */
export function describeMacieSummary(summary: MacieSummary): string {
  switch (summary.outcome) {
    case 'skipped':
      return `Macie scan skipped: ${summary.reason ?? summary.skipReason ?? ''}`;
    case 'pending':
      return `Macie scan running (job ${summary.jobId ?? ''})`;
    case 'failed':
      return `Macie scan failed (${summary.error ?? 'error'}): ${summary.reason ?? ''}`;
    case 'nothingFound':
      return `Macie found no sensitive data${scannedText(summary)}`;
    default: {
      const types = Object.entries(summary.detections)
        .map(([type, count]) => `${type} ×${count}`)
        .join(', ');
      const found = `Macie found ${types} in ${summary.affectedObjects} object(s) (${summary.highestSeverity ?? 'no severity'})`;
      return summary.outcome === 'incomplete'
        ? `Scan incomplete: ${summary.reason ?? ''}. ${types === '' ? 'Nothing found so far' : found}${scannedText(summary)}`
        : `${found}${scannedText(summary)}`;
    }
  }
}
