import { redactSignedLinks } from './links.js';
import { redactOneTimeCodes } from './one-time-code.js';

/**
 * What an approver alone may see, taken out of text that goes to logs and outputs: the signature
 * of every approval link and every one-time code. The messages themselves (.eml) keep them.
 */
export function redactApprovalSecrets(text: string): string {
  return redactOneTimeCodes(redactSignedLinks(text));
}
