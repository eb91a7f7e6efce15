/** Signed approval links in tests. */
import type { ApprovalLinkInput } from '../../tasks/shared/approval/links.js';

/** A link's parts as the approval page gets them: path and decoded query. */
export function linkPartsOf(link: string): ApprovalLinkInput {
  const url = new URL(link);
  return {
    approvalId: url.pathname.replace(/^.*\/a\//, ''),
    recipient: url.searchParams.get('r'),
    exp: url.searchParams.get('exp'),
    sig: url.searchParams.get('sig'),
  };
}
