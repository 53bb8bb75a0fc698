import { hasSearchableText, YEAR_MAX, YEAR_MIN, type SearchField, type SearchQuery, type TextTerm, type YearRange } from '../../../src-shared/search/query.js';

/**
 * SQL for a parsed SearchQuery (src-shared/search/query.ts). Pure.
 *
 * Everything, years included, is one FTS5 MATCH over `tracks_fts`
 * (migration 2): no query reads the `tracks` table, so the cost is that of
 * walking FTS doclists, never of row lookups or sorts over a broad match.
 *
 * - A word is a prefix (`"kin"*`), a quoted phrase an FTS5 phrase, both
 *   limited to the text columns (`{artist album_artist album title genre}`);
 *   a field filter names its columns (`artist:` is `{artist album_artist}`).
 *   An excluded term (`-live`) is an exact word or phrase, not a prefix (so
 *   "-live" keeps "Liverpool"), and all of them go after one FTS5 NOT.
 * - User text only ever appears inside an FTS5 string ("..." with `"`
 *   doubled, control characters blanked): no input can reach the MATCH
 *   syntax, and the expression is bound as a parameter, never spliced into SQL.
 * - A year range is an OR of year tokens in the `fts_year` column, which
 *   holds four-digit years only. Aligned blocks use the prefix index:
 *   1950..2025 is `"195"* OR "196"* OR … OR "201"* OR "2020" OR … OR "2025"`.
 *
 * Order, measured on 100,000 tracks (bench/search-catalog.ts, one core of a
 * 2-vCPU VM; before migration 2 in brackets):
 *
 * - `ORDER BY rank` over a broad match costs ~0.5 µs per match and phrase:
 *   25–45 ms for "a" or "the" (40,000–60,000 matches), 3 ms for "dream"
 *   (5,400), 6.7 ms for "love night" (3,800 matches × 2 phrases).
 * - Sorting by album artist/album/disc/track through an expression index
 *   (walking the index, probing the match set) cost 3.5–12 ms for broad
 *   matches and ~10 ms at deep offsets; sorting the match set 15–35 ms.
 * - In rowid order FTS5 stops after LIMIT rows: a page costs 0.05–1.2 ms for
 *   any match, and the capped count 0.4–2.5 ms [2.5–5 ms for one-letter
 *   prefixes without the prefix index; 5–14 ms with `tracks.year BETWEEN`
 *   joined in, as it looks up every matching row].
 *
 * So: count first (capped at COUNT_CAP); rank by bm25 while matches ×
 * phrases is at most RELEVANCE_MAX_COST (≤ ~3 ms), else return catalog
 * order (rowid: the order the scan found the files, i.e. folder by folder) —
 * such a broad result is a list to narrow, not to read from the top.
 * `orderFor(q, total)` makes that choice; the search worker applies it.
 * Through CatalogSearcher.search (count + page + worker round trip), 25
 * representative queries × 100 runs on 100,000 tracks: p50 0.7 ms, p99
 * 3.8–5.4 ms over all runs; the slowest query, "love night" (two 4-letter
 * prefixes, no prefix index), p50 3.6 ms.
 */

export const TEXT_COLUMNS = ['artist', 'album_artist', 'album', 'title', 'genre'] as const;

const FIELD_COLUMNS: Record<SearchField, readonly string[]> = {
  artist: ['artist', 'album_artist'],
  albumartist: ['album_artist'],
  album: ['album'],
  title: ['title'],
  genre: ['genre'],
};

/** `total` never exceeds this: counting further costs time for a number nobody reads. */
export const COUNT_CAP = 10_000;
/**
 * Rank by relevance only while matches × phrases stays under this: bm25
 * costs ~0.5–0.9 µs per phrase per match (so ~3 ms here); above it results
 * come in catalog order (see above). A year range counts as one phrase per
 * token of its OR.
 */
export const RELEVANCE_MAX_COST = 4_000;
/**
 * bm25 weights in column order (artist, album_artist, album, title, genre,
 * year): artist and title are what people type; genres are few words shared
 * by thousands of tracks; a year match says nothing about relevance.
 */
const RELEVANCE = 'bm25(tracks_fts, 2.0, 1.0, 1.0, 2.0, 0.5, 0.0)';

export type SearchOrder = 'relevance' | 'catalog';

export interface SearchSqlOptions {
  limit: number;
  offset: number;
  /** Default 'relevance'; pass `orderFor(q, total)` after running `countSql`. */
  order?: SearchOrder;
}

export interface SearchSql {
  /** Selects `id` (track ids), one page. */
  sql: string;
  params: unknown[];
  /** Selects one number: the matches, at most COUNT_CAP. */
  countSql: string;
  countParams: unknown[];
}

/** The order for a query with `total` matches (from `countSql`). */
export function orderFor(q: SearchQuery, total: number): SearchOrder {
  const phrases = compile(q)?.phrases ?? 0;
  return total * phrases <= RELEVANCE_MAX_COST ? 'relevance' : 'catalog';
}

const NOTHING: SearchSql = { sql: 'SELECT 0 AS id WHERE 0', params: [], countSql: 'SELECT 0', countParams: [] };

export function buildSearchSql(q: SearchQuery, opts: SearchSqlOptions): SearchSql {
  const match = buildFtsMatch(q);
  if (match === undefined) return NOTHING;
  // Year-only queries have nothing to rank (the year column weighs 0).
  const ranked = (opts.order ?? 'relevance') === 'relevance' && q.terms.some((t) => !t.negated && termExpression(t) !== undefined);
  return {
    sql: `SELECT rowid AS id FROM tracks_fts WHERE tracks_fts MATCH ? ORDER BY ${ranked ? `${RELEVANCE}, rowid` : 'rowid'} LIMIT ? OFFSET ?`,
    params: [match, opts.limit, opts.offset],
    countSql: `SELECT count(*) FROM (SELECT 1 FROM tracks_fts WHERE tracks_fts MATCH ? LIMIT ${COUNT_CAP})`,
    countParams: [match],
  };
}

/**
 * One page of every match in catalog order, after track id `afterId`: keyset
 * paging, so each page costs the same however deep (FTS5 seeks to the rowid).
 */
export function buildSearchPageSql(q: SearchQuery, opts: { afterId: number; limit: number }): { sql: string; params: unknown[] } {
  const match = buildFtsMatch(q);
  if (match === undefined) return { sql: NOTHING.sql, params: [] };
  return { sql: 'SELECT rowid AS id FROM tracks_fts WHERE tracks_fts MATCH ? AND rowid > ? ORDER BY rowid LIMIT ?', params: [match, opts.afterId, opts.limit] };
}

/** The FTS5 MATCH expression of a query; undefined when it can match nothing. */
export function buildFtsMatch(q: SearchQuery): string | undefined {
  return compile(q)?.match;
}

function compile(q: SearchQuery): { match: string; phrases: number } | undefined {
  const include: string[] = [];
  const exclude: string[] = [];
  for (const term of q.terms) {
    const expr = termExpression(term);
    if (expr !== undefined) (term.negated ? exclude : include).push(expr);
  }
  let phrases = include.length + exclude.length;
  if (q.year !== undefined) {
    const years = yearTokens(q.year);
    if (years.length === 0) return undefined;
    include.push(years.length === 1 ? `{fts_year} : ${years[0]}` : `{fts_year} : (${years.join(' OR ')})`);
    phrases += years.length;
  }
  if (include.length === 0) return undefined;
  const positive = include.join(' AND ');
  return { match: exclude.length === 0 ? positive : `(${positive}) NOT (${exclude.join(' OR ')})`, phrases };
}

/** `text` as an FTS5 string: the only way user input enters an expression. */
export function ftsString(text: string): string {
  // A NUL ends the query inside FTS5; other control characters are separators anyway.
  return `"${text.normalize('NFC').replace(/\p{Cc}/gu, ' ').replaceAll('"', '""')}"`;
}

function termExpression(term: TextTerm): string | undefined {
  if (!hasSearchableText(term.text)) return undefined;
  const columns = term.field === undefined ? TEXT_COLUMNS : FIELD_COLUMNS[term.field];
  const prefix = !term.phrase && !term.negated;
  return `{${columns.join(' ')}} : ${ftsString(term.text)}${prefix ? '*' : ''}`;
}

/** The year tokens (`"1959"`) and prefixes (`"195"*`) covering the range clamped to four-digit years. */
export function yearTokens(range: YearRange): string[] {
  const lo = Math.max(YEAR_MIN, range.min ?? YEAR_MIN);
  const hi = Math.min(YEAR_MAX, range.max ?? YEAR_MAX);
  if (lo > hi) return [];
  const tokens: string[] = [];
  // Split [lo, hi] into aligned decimal blocks: a whole block of 1000, 100 or
  // 10 years is one prefix ("19"* = 1900–1999), the rest single years.
  const visit = (prefix: string, start: number, size: number): void => {
    const end = start + size - 1;
    if (end < lo || start > hi) return;
    if (start >= lo && end <= hi) {
      tokens.push(size === 1 ? `"${prefix}"` : `"${prefix}"*`);
      return;
    }
    for (let d = 0; d < 10; d++) visit(prefix + d, start + (d * size) / 10, size / 10);
  };
  for (let d = 1; d <= 9; d++) visit(String(d), d * 1000, 1000);
  return tokens;
}
