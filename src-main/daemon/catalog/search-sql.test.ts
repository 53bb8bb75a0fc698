import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import DatabaseConstructor, { type Database } from 'better-sqlite3';
import { isMusicFsError } from '../../../src-shared/errors.js';
import { parseSearchQuery, SEARCH_FIELDS, type SearchQuery, type TextTerm } from '../../../src-shared/search/query.js';
import type { TrackTags } from '../../../src-shared/track.js';
import { silentLogger } from '../base/logger.js';
import { Catalog } from './catalog.js';
import { buildFtsMatch, buildSearchPageSql, buildSearchSql, COUNT_CAP, ftsString, orderFor, RELEVANCE_MAX_COST, yearTokens } from './search-sql.js';

const TEXT = '{artist album_artist album title genre}';
const q = (...terms: Partial<TextTerm>[]): SearchQuery => ({ terms: terms.map((t) => ({ text: '', phrase: false, negated: false, ...t })) });

describe('buildFtsMatch', () => {
  test('nothing to look for gives undefined', () => {
    assert.equal(buildFtsMatch({ terms: [] }), undefined);
    assert.equal(buildFtsMatch(q({ text: '&' })), undefined);
    assert.equal(buildFtsMatch(q({ text: 'live', negated: true })), undefined, 'only exclusions');
  });

  test('words are prefixes, phrases exact, both in the text columns', () => {
    assert.equal(buildFtsMatch(q({ text: 'miles' })), `${TEXT} : "miles"*`);
    assert.equal(buildFtsMatch(q({ text: 'kind of blue', phrase: true })), `${TEXT} : "kind of blue"`);
    assert.equal(buildFtsMatch(q({ text: 'miles' }, { text: 'kind' })), `${TEXT} : "miles"* AND ${TEXT} : "kind"*`);
  });

  test('fields name their columns; artist covers the album artist', () => {
    assert.equal(buildFtsMatch(q({ field: 'artist', text: 'miles' })), '{artist album_artist} : "miles"*');
    assert.equal(buildFtsMatch(q({ field: 'albumartist', text: 'various' })), '{album_artist} : "various"*');
    assert.equal(buildFtsMatch(q({ field: 'album', text: 'kind of blue', phrase: true })), '{album} : "kind of blue"');
    assert.equal(buildFtsMatch(q({ field: 'title', text: 'so' })), '{title} : "so"*');
    assert.equal(buildFtsMatch(q({ field: 'genre', text: 'jazz' })), '{genre} : "jazz"*');
  });

  test('exclusions are exact and go after one NOT', () => {
    assert.equal(buildFtsMatch(q({ text: 'miles' }, { text: 'live', negated: true })), `(${TEXT} : "miles"*) NOT (${TEXT} : "live")`);
    assert.equal(
      buildFtsMatch(q({ text: 'miles' }, { text: 'live', negated: true }, { field: 'genre', text: 'jazz', negated: true })),
      `(${TEXT} : "miles"*) NOT (${TEXT} : "live" OR {genre} : "jazz")`,
    );
  });

  test('a year range joins the text in the same MATCH', () => {
    assert.equal(buildFtsMatch({ terms: [], year: { min: 1959, max: 1959 } }), '{fts_year} : "1959"');
    assert.equal(
      buildFtsMatch({ terms: [{ text: 'miles', phrase: false, negated: false }], year: { min: 1955, max: 1961 } }),
      `${TEXT} : "miles"* AND {fts_year} : ("1955" OR "1956" OR "1957" OR "1958" OR "1959" OR "1960" OR "1961")`,
    );
    assert.equal(
      buildFtsMatch({ terms: [{ text: 'live', phrase: false, negated: true }], year: { min: 1950, max: 1959 } }),
      `({fts_year} : "195"*) NOT (${TEXT} : "live")`,
    );
    assert.equal(buildFtsMatch({ terms: [], year: { min: 2000, max: 1990 } }), undefined, 'an empty range matches nothing');
  });
});

describe('yearTokens', () => {
  test('aligned blocks become prefixes', () => {
    assert.deepEqual(yearTokens({ min: 1959, max: 1959 }), ['"1959"']);
    assert.deepEqual(yearTokens({ min: 1950, max: 1959 }), ['"195"*']);
    assert.deepEqual(yearTokens({ min: 1900, max: 1999 }), ['"19"*']);
    assert.deepEqual(yearTokens({ min: 1948, max: 1961 }), ['"1948"', '"1949"', '"195"*', '"1960"', '"1961"']);
    assert.deepEqual(yearTokens({ min: 1950, max: 2025 }), [
      '"195"*', '"196"*', '"197"*', '"198"*', '"199"*', '"200"*', '"201"*', '"2020"', '"2021"', '"2022"', '"2023"', '"2024"', '"2025"',
    ]);
  });

  test('open bounds stop at four-digit years', () => {
    assert.deepEqual(yearTokens({ min: 2000 }), ['"2"*', '"3"*', '"4"*', '"5"*', '"6"*', '"7"*', '"8"*', '"9"*']);
    assert.deepEqual(yearTokens({ max: 1969 }), ['"10"*', '"11"*', '"12"*', '"13"*', '"14"*', '"15"*', '"16"*', '"17"*', '"18"*', '"190"*', '"191"*', '"192"*', '"193"*', '"194"*', '"195"*', '"196"*']);
    assert.deepEqual(yearTokens({}), ['"1"*', '"2"*', '"3"*', '"4"*', '"5"*', '"6"*', '"7"*', '"8"*', '"9"*']);
    assert.deepEqual(yearTokens({ min: 1, max: 999 }), []);
  });

  test('every year of a range is covered exactly once', () => {
    for (const [min, max] of [[1000, 9999], [1234, 5678], [1999, 2001], [1090, 1110], [1950, 1950]] as const) {
      const covered: number[] = [];
      for (const token of yearTokens({ min, max })) {
        const digits = /^"(\d+)"(\*?)$/.exec(token)!;
        const size = digits[2] === '*' ? 10 ** (4 - digits[1]!.length) : 1;
        const start = Number(digits[1]) * size;
        for (let y = start; y < start + size; y++) covered.push(y);
      }
      assert.deepEqual(covered, Array.from({ length: max - min + 1 }, (_, i) => min + i), `${min}..${max}`);
    }
  });
});

describe('buildSearchSql', () => {
  test('relevance order by default, catalog order on request, capped count', () => {
    const query = q({ text: 'miles' });
    const ranked = buildSearchSql(query, { limit: 10, offset: 20 });
    assert.match(ranked.sql, /^SELECT rowid AS id FROM tracks_fts WHERE tracks_fts MATCH \? ORDER BY bm25\(tracks_fts, [\d., ]+\), rowid LIMIT \? OFFSET \?$/);
    assert.deepEqual(ranked.params, [`${TEXT} : "miles"*`, 10, 20]);
    assert.equal(ranked.countSql, `SELECT count(*) FROM (SELECT 1 FROM tracks_fts WHERE tracks_fts MATCH ? LIMIT ${COUNT_CAP})`);
    assert.deepEqual(ranked.countParams, [`${TEXT} : "miles"*`]);
    const broad = buildSearchSql(query, { limit: 10, offset: 20, order: 'catalog' });
    assert.match(broad.sql, /ORDER BY rowid LIMIT \? OFFSET \?$/);
  });

  test('a year-only query has nothing to rank', () => {
    assert.match(buildSearchSql({ terms: [], year: { min: 1959, max: 1959 } }, { limit: 1, offset: 0 }).sql, /ORDER BY rowid LIMIT/);
  });

  test('nothing to look for selects nothing', () => {
    const s = buildSearchSql({ terms: [] }, { limit: 10, offset: 0 });
    assert.equal(s.countSql, 'SELECT 0');
    assert.deepEqual(s.params, []);
  });

  test('pages of every match are keyset-paged on the id', () => {
    const page = buildSearchPageSql(q({ text: 'miles' }), { afterId: 42, limit: 100 });
    assert.equal(page.sql, 'SELECT rowid AS id FROM tracks_fts WHERE tracks_fts MATCH ? AND rowid > ? ORDER BY rowid LIMIT ?');
    assert.deepEqual(page.params, [`${TEXT} : "miles"*`, 42, 100]);
  });

  test('orderFor ranks while matches × phrases stays small', () => {
    const one = q({ text: 'miles' });
    const two = q({ text: 'miles' }, { text: 'davis' });
    assert.equal(orderFor(one, RELEVANCE_MAX_COST), 'relevance');
    assert.equal(orderFor(one, RELEVANCE_MAX_COST + 1), 'catalog');
    assert.equal(orderFor(two, RELEVANCE_MAX_COST / 2), 'relevance');
    assert.equal(orderFor(two, RELEVANCE_MAX_COST / 2 + 1), 'catalog');
    assert.equal(orderFor({ terms: one.terms, year: { min: 1950, max: 1959 } }, RELEVANCE_MAX_COST / 2 + 1), 'catalog', 'a year token is a phrase too');
  });
});

describe('ftsString', () => {
  test('doubles quotes and blanks control characters', () => {
    assert.equal(ftsString('a"b'), '"a""b"');
    assert.equal(ftsString('a\u0000b\nc'), '"a b c"');
    assert.equal(ftsString('Beyonce\u0301'), '"Beyonc\u00e9"');
  });
});

describe('user input never breaks the MATCH syntax', () => {
  const NASTY = [
    '"', '""', '"""', '"a', 'a"', '*', '**', 'a*b', 'AND', 'OR', 'NOT', 'NEAR', 'a AND b', 'NOT x', 'x OR y', 'NEAR(a b)', 'NEAR(a b, 2)',
    ':', 'artist:x', '{artist}: x', '{artist album}:x', '-x', '- x', '^', '^start', '+', '(', ')', '(a', 'a)', '((a))', '[', ']', '\\', "'",
    "rock 'n' roll", 'R&B', '%', '_', ';--', 'DROP TABLE tracks', '\u0000', 'a\u0000b', '\u0301', '🎵', 'bjork\u200b', '\ud800',
    'tracks_fts MATCH', "') OR 1=1 --", 'rank', 'rowid', 'fts_year : "1959"', '12:30', 'a "b c" d', '"a" "b"',
  ];
  let root: string;
  let catalog: Catalog;
  let db: Database;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'musicfs-'));
    const file = join(root, 'catalog.db');
    catalog = Catalog.open(file, silentLogger);
    const origin = catalog.ensureOrigin('m', root, 'local');
    const tracks: TrackTags[] = [
      { artist: 'NEAR (Remix)', album: 'AND OR NOT', title: 'Quoted "Words" ^Caret* {Braces}', genre: 'R&B', year: 1959, compilation: false },
      { artist: 'Beyoncé', album: 'Lemonade', title: 'Formation', genre: 'R&B', year: 2016, compilation: false },
    ];
    catalog.applyChanges(origin.id, {
      upserts: tracks.map((tags, i) => ({ path: `t${i}.flac`, size: 1, mtimeMs: 1, fingerprint: `f${i}`, audio: {}, tags })),
      errors: [],
      removed: [],
    });
    db = new DatabaseConstructor(file, { readonly: true, fileMustExist: true });
  });

  after(async () => {
    db.close();
    catalog.close();
    await rm(root, { recursive: true, force: true });
  });

  const run = (query: SearchQuery): number[] => {
    const s = buildSearchSql(query, { limit: 10, offset: 0 });
    db.prepare(s.countSql).pluck().get(...s.countParams);
    const page = buildSearchPageSql(query, { afterId: 0, limit: 10 });
    db.prepare(page.sql).pluck().all(...page.params);
    return db.prepare(s.sql).pluck().all(...s.params) as number[];
  };

  test('as any kind of term, the text is taken literally', () => {
    for (const text of NASTY) {
      for (const shape of [{}, { phrase: true }, { negated: true }, ...SEARCH_FIELDS.map((field) => ({ field }))]) {
        const query: SearchQuery = { terms: [{ text, phrase: false, negated: false, ...shape }], year: { min: 1900 } };
        assert.doesNotThrow(() => run(query), `${JSON.stringify(text)} as ${JSON.stringify(shape)}`);
        const match = buildFtsMatch(query);
        if (match === undefined) continue;
        // Outside FTS strings there is only our own grammar.
        const rest = match.replace(/"(?:[^"]|"")*"\*?/g, ' ').split(/[\s{}():]+/).filter((w) => w !== '');
        for (const w of rest) assert.ok(['AND', 'OR', 'NOT', 'artist', 'album_artist', 'album', 'title', 'genre', 'fts_year'].includes(w), `${w} in ${match}`);
      }
    }
  });

  test('through the parser: a result or QUERY_INVALID, never an SQL error', () => {
    for (const input of [...NASTY, NASTY.join(' '), NASTY.map((t) => `-${t}`).join(' ') + ' x', NASTY.map((t) => `title:${t}`).join(' ')]) {
      let query: SearchQuery;
      try {
        query = parseSearchQuery(input);
      } catch (err) {
        assert.ok(isMusicFsError(err) && err.code === 'QUERY_INVALID', `${JSON.stringify(input)}: ${String(err)}`);
        continue;
      }
      assert.doesNotThrow(() => run(query), JSON.stringify(input));
    }
  });

  test('operators in the data are found as words', () => {
    assert.deepEqual(run(parseSearchQuery('"and or not"')), [1]);
    assert.deepEqual(run(parseSearchQuery('near remix')), [1]);
    assert.deepEqual(run(parseSearchQuery('title:"quoted words caret braces"')), [1]);
    assert.deepEqual(run(parseSearchQuery('r&b year:2016')), [2]);
    assert.deepEqual(run(parseSearchQuery('NEAR(remix)')), [1], 'NEAR( is a word like any other');
  });
});
