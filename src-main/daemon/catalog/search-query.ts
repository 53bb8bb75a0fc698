/**
 * Turns free text typed by a user into a safe FTS5 MATCH expression: every
 * word must match (AND), each as a prefix, quoted so FTS5 operators and
 * punctuation in the input are taken literally. Returns undefined for a query
 * with no words.
 */
export function buildMatchExpression(text: string): string | undefined {
  const words = text
    .normalize('NFC')
    // Control characters separate words too: FTS5 reads a NUL as the end of the query.
    .split(/[\s\p{P}\p{S}\p{Cc}]+/u)
    .filter((w) => w.length > 0);
  if (words.length === 0) return undefined;
  return words.map((w) => `"${w.replaceAll('"', '""')}"*`).join(' ');
}
