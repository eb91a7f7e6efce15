/**
 * Text made safe for HTML element content and for quoted attribute values: `& < > " '` become
 * entities. `&` goes first, so an entity already in the text is shown, not interpreted. Used by
 * the approval page and the HTML part of emails alike.
 */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
