import { buildFtsMatch } from './search-sql.js';

/**
 * The simple matcher behind `Catalog.search`: free text only, no operators
 * (a "-" or ":" is punctuation). Every word must match (AND), each as a
 * prefix, in the text columns. The full query language is
 * src-shared/search/query.ts, run off the main thread by CatalogSearcher.
 * Returns undefined for a query with no words.
 */
export function buildMatchExpression(text: string): string | undefined {
  const words = text
    .normalize('NFC')
    // Control characters separate words too: FTS5 reads a NUL as the end of the query.
    .split(/[\s\p{P}\p{S}\p{Cc}]+/u)
    .filter((w) => w.length > 0);
  return buildFtsMatch({ terms: words.map((text) => ({ text, phrase: false, negated: false })) });
}
