import { MusicFsError } from '../errors.js';

/**
 * The search language (after beets and GitHub search), parsed into a
 * SearchQuery. Pure: shared by the daemon, the CLI and the UI, so each can
 * report a mistake before anything is sent.
 *
 *   miles kind              every word must match, each as a prefix ("kin" finds "Kind")
 *   "kind of blue"          a phrase: these words, in this order
 *   artist:miles            a field filter; artist also searches the album artist
 *   artist:"miles davis"    a field filter with a phrase
 *   albumartist: album: title: genre:
 *   year:1959  year:1950..1959  year:1950..  year:..1959
 *   year:>=2000  year:>2000  year:<1980  year:<=1980
 *   -live  -genre:jazz  -"live at"   a leading "-" excludes what follows
 *
 * Field names are case-insensitive; all text is NFC-normalised. A colon only
 * makes a field filter after a name of ASCII letters followed by a value: in
 * "12:30" or "Intro: The Sun" it is plain text. Words with no letter or digit
 * ("&", "-", "…") are dropped: the index holds only words made of letters and
 * digits, so they could never match. Years have four digits; several year
 * filters narrow each other. Mistakes throw MusicFsError('QUERY_INVALID')
 * whose message starts with the 1-based column (in characters) of the
 * offending term.
 */

export type SearchField = 'artist' | 'albumartist' | 'album' | 'title' | 'genre';

export interface TextTerm {
  /** Absent: any of the text fields. */
  field?: SearchField;
  /** NFC, as typed (the index splits it into words). */
  text: string;
  /** True for a quoted phrase; false for a word, matched as a prefix. */
  phrase: boolean;
  negated: boolean;
}

/** Inclusive bounds; a missing bound is open. */
export interface YearRange {
  min?: number;
  max?: number;
}

export interface SearchQuery {
  terms: TextTerm[];
  year?: YearRange;
}

export const SEARCH_FIELDS: readonly SearchField[] = ['artist', 'albumartist', 'album', 'title', 'genre'];
export const YEAR_MIN = 1000;
export const YEAR_MAX = 9999;
/** Longer input is refused: nobody types it, and it would only make a slow query. */
export const MAX_QUERY_CHARS = 1000;

const FIELD_NAMES = `${SEARCH_FIELDS.join(', ')} or year`;
const YEAR_FORMS = '1959, 1950..1959, 1950.., ..1959, >=2000, >2000, <1980 or <=1980';

/** Characters that separate terms; control characters too (a NUL would end an FTS query early). */
const isSpace = (ch: string | undefined): boolean => ch !== undefined && /^[\s\p{Cc}]$/u.test(ch);

/**
 * True when `text` holds something the index can match: a letter, digit or
 * private-use character (what SQLite's unicode61 tokenizer keeps of text).
 */
export function hasSearchableText(text: string): boolean {
  return /[\p{L}\p{N}\p{Co}]/u.test(text);
}

export function parseSearchQuery(input: string): SearchQuery {
  return new Parser(input).parse();
}

class Parser {
  private i = 0;
  private readonly terms: TextTerm[] = [];
  private year: YearRange | undefined;

  constructor(private readonly s: string) {}

  parse(): SearchQuery {
    const chars = [...this.s];
    if (chars.length > MAX_QUERY_CHARS) this.fail(chars.slice(0, MAX_QUERY_CHARS).join('').length, `the query is longer than ${MAX_QUERY_CHARS} characters`);
    let firstNegated: number | undefined;
    while (this.skipSpaces()) {
      const start = this.i;
      const negated = this.s[this.i] === '-';
      if (negated) {
        this.i++;
        // A lone "-" (as in "Simon - Live") is punctuation.
        if (this.i >= this.s.length || isSpace(this.s[this.i])) continue;
      }
      const term = this.readTerm(start, negated);
      if (term === undefined || !hasSearchableText(term.text)) continue;
      if (negated) firstNegated ??= start;
      this.terms.push(term);
    }
    if (firstNegated !== undefined && this.year === undefined && this.terms.every((t) => t.negated)) {
      this.fail(firstNegated, 'a query of only excluded terms ("-word") matches nothing: add at least one term to search for');
    }
    const query: SearchQuery = { terms: this.terms };
    if (this.year !== undefined) query.year = this.year;
    return query;
  }

  /** Skips separators; false at the end of the input. */
  private skipSpaces(): boolean {
    while (this.i < this.s.length && isSpace(this.s[this.i])) this.i++;
    return this.i < this.s.length;
  }

  /** One term from `this.i` (after any "-"); undefined for a year filter (stored aside). */
  private readTerm(start: number, negated: boolean): TextTerm | undefined {
    if (this.s[this.i] === '"') return { text: this.readQuoted(), phrase: true, negated };
    const field = /^([A-Za-z]+):/.exec(this.s.slice(this.i, this.i + 32));
    if (field !== null) {
      const name = field[1]!.toLowerCase();
      const valueAt = this.i + field[0].length;
      const bare = valueAt >= this.s.length || isSpace(this.s[valueAt]);
      if (name === 'year' || isSearchField(name)) {
        if (bare) this.fail(start, `${field[0]} needs a value right after the colon, e.g. ${name === 'year' ? 'year:1959' : `${name}:miles or ${name}:"miles davis"`}`);
        this.i = valueAt;
        const quoted = this.s[this.i] === '"';
        const value = quoted ? this.readQuoted() : this.readWord();
        if (name === 'year') {
          if (negated) this.fail(start, '-year: is not supported; use a range instead, e.g. year:..1959 or year:1970..');
          this.addYear(start, value);
          return undefined;
        }
        if (value.trim() === '') this.fail(start, `${field[0]} needs a value, e.g. ${name}:miles`);
        return { field: name, text: value, phrase: quoted, negated };
      }
      // "Intro: The Sun" — a colon before a space is punctuation, not a field.
      if (!bare) {
        const word = this.s.slice(this.i).split(/[\s\p{Cc}]/u, 1)[0]!;
        this.fail(start, `unknown field "${field[1]}" in ${word}: use ${FIELD_NAMES} (or put "${word}" in double quotes to search for it as text)`);
      }
    }
    return { text: this.readWord(), phrase: false, negated };
  }

  /** A word: everything up to the next separator, NFC. */
  private readWord(): string {
    const from = this.i;
    while (this.i < this.s.length && !isSpace(this.s[this.i])) this.i++;
    return this.s.slice(from, this.i).normalize('NFC');
  }

  /** A double-quoted string starting at `this.i`; its content, NFC. */
  private readQuoted(): string {
    const open = this.i;
    const close = this.s.indexOf('"', open + 1);
    if (close < 0) this.fail(open, 'this double quote is never closed: add a closing "');
    this.i = close + 1;
    return this.s.slice(open + 1, close).normalize('NFC');
  }

  private addYear(start: number, value: string): void {
    const range = parseYearRange(value.trim(), (problem) => this.fail(start, problem));
    const min = Math.max(range.min ?? YEAR_MIN, this.year?.min ?? YEAR_MIN);
    const max = Math.min(range.max ?? YEAR_MAX, this.year?.max ?? YEAR_MAX);
    if (min > max) {
      this.fail(start, this.year === undefined ? `year:${value} matches no year (years have four digits)` : `year:${value} leaves no year that the earlier year filter allows`);
    }
    const merged: YearRange = {};
    if (range.min !== undefined || this.year?.min !== undefined) merged.min = min;
    if (range.max !== undefined || this.year?.max !== undefined) merged.max = max;
    this.year = merged;
  }

  private fail(index: number, problem: string): never {
    const column = [...this.s.slice(0, index)].length + 1;
    throw new MusicFsError('QUERY_INVALID', `column ${column}: ${problem}`, { column });
  }
}

function isSearchField(name: string): name is SearchField {
  return (SEARCH_FIELDS as readonly string[]).includes(name);
}

/** "1959", "1950..1959", "1950..", "..1959", ">=2000", ">2000", "<1980", "<=1980". */
function parseYearRange(value: string, fail: (problem: string) => never): YearRange {
  const bad = (): never => fail(`year:${value} is not a year or a range of years: use ${YEAR_FORMS}`);
  const year = (digits: string): number => {
    if (!/^\d+$/.test(digits)) bad();
    if (digits.length !== 4) fail(`year:${value}: years have four digits (${YEAR_MIN}–${YEAR_MAX})`);
    return Number(digits);
  };
  const range = /^(\d*)\.\.(\d*)$/.exec(value);
  if (range !== null) {
    const [, from = '', to = ''] = range;
    if (from === '' && to === '') bad();
    const out: YearRange = {};
    if (from !== '') out.min = year(from);
    if (to !== '') out.max = year(to);
    if (out.min !== undefined && out.max !== undefined && out.min > out.max) fail(`year:${value} is empty: the range starts after it ends (did you mean ${to}..${from}?)`);
    return out;
  }
  const compare = /^(>=|<=|>|<)(.*)$/.exec(value);
  if (compare !== null) {
    const n = year(compare[2]!);
    switch (compare[1]) {
      case '>=':
        return { min: n };
      case '>':
        return { min: n + 1 };
      case '<=':
        return { max: n };
      default:
        return { max: n - 1 };
    }
  }
  return { min: year(value), max: year(value) };
}
