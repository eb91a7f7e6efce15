import type { ExposureVerdict } from '../shared/contracts.js';

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
