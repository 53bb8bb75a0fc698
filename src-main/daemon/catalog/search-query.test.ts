import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrackTags } from '../../../src-shared/track.js';
import { silentLogger } from '../base/logger.js';
import { Catalog } from './catalog.js';
import { buildMatchExpression } from './search-query.js';

describe('buildMatchExpression', () => {
  test('no words gives undefined', () => {
    assert.equal(buildMatchExpression(''), undefined);
    assert.equal(buildMatchExpression('   \t\n'), undefined);
    assert.equal(buildMatchExpression('"*()-:^'), undefined);
  });

  const TEXT = '{artist album_artist album title genre} : ';

  test('each word becomes a quoted prefix term in the text columns', () => {
    assert.equal(buildMatchExpression('dub'), `${TEXT}"dub"*`);
    assert.equal(buildMatchExpression('  massive   attack '), `${TEXT}"massive"* AND ${TEXT}"attack"*`);
  });

  test('operators and punctuation are never passed through unquoted', () => {
    for (const input of ['a AND b', 'NOT x', 'x OR y', 'NEAR(a b)', 'artist:foo', '-x', 'a"b', '^start', '{a b}']) {
      const expr = buildMatchExpression(input)!;
      // Outside the quoted terms there is nothing but our column filters and ANDs.
      assert.equal(expr.replace(/\{artist album_artist album title genre\} : "(?:[^"]|"")*"\*/g, '').replace(/ AND /g, '').trim(), '', `${input} → ${expr}`);
    }
  });

  test('control characters separate words (a NUL would end the FTS5 query early)', () => {
    assert.equal(buildMatchExpression('a\u0000b'), `${TEXT}"a"* AND ${TEXT}"b"*`);
    assert.equal(buildMatchExpression('\u0000\u0007'), undefined);
  });

  test('input is NFC-normalised', () => {
    assert.equal(buildMatchExpression('Beyonce\u0301'), buildMatchExpression('Beyonc\u00e9'));
  });
});

describe('Catalog.search', () => {
  let root: string;
  let catalog: Catalog;
  const titles = (query: string): string[] => catalog.search(query).map((t) => t.tags.title ?? '').sort();

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'musicfs-'));
    catalog = Catalog.open(join(root, 'catalog.db'), silentLogger);
    const origin = catalog.ensureOrigin('m', root, 'local');
    const tracks: TrackTags[] = [
      { artist: 'Beyoncé', album: 'Lemonade', title: 'Formation', genre: 'R&B', compilation: false },
      { artist: 'Björk', album: 'Homogenic', title: 'Jóga', genre: 'Electronic', compilation: false },
      { artist: 'Björk', album: 'Debut', title: 'Human Behaviour', genre: 'Electronic', compilation: false },
      { artist: 'Skrillex', albumArtist: 'Various Artists', album: 'Bass Anthems', title: 'Scary Monsters', genre: 'Dubstep', compilation: true },
      { artist: 'AC/DC', album: 'Back in Black', title: 'Hells Bells', genre: 'Rock', compilation: false },
      { artist: 'Andromeda', album: 'Stars', title: 'Orbit', compilation: false },
    ];
    catalog.applyChanges(origin.id, {
      upserts: tracks.map((tags, i) => ({ path: `t${i}.flac`, size: 100, mtimeMs: 1, fingerprint: `f${i}`, audio: {}, tags })),
      errors: [],
      removed: [],
    });
  });

  after(async () => {
    catalog.close();
    await rm(root, { recursive: true, force: true });
  });

  test('is diacritic-insensitive both ways', () => {
    assert.deepEqual(titles('beyonce'), ['Formation']);
    assert.deepEqual(titles('BEYONCÉ'), ['Formation']);
    assert.deepEqual(titles('Beyonce\u0301'), ['Formation'], 'decomposed input');
    assert.deepEqual(titles('bjork'), ['Human Behaviour', 'Jóga']);
    assert.deepEqual(titles('joga'), ['Jóga']);
  });

  test('matches prefixes', () => {
    assert.deepEqual(titles('dub'), ['Scary Monsters']);
    assert.deepEqual(titles('homo'), ['Jóga']);
  });

  test('searches artist, album artist, album, title and genre', () => {
    assert.deepEqual(titles('skrillex'), ['Scary Monsters']);
    assert.deepEqual(titles('various'), ['Scary Monsters']);
    assert.deepEqual(titles('lemonade'), ['Formation']);
    assert.deepEqual(titles('bells'), ['Hells Bells']);
    assert.deepEqual(titles('electronic'), ['Human Behaviour', 'Jóga']);
  });

  test('several words must all match', () => {
    assert.deepEqual(titles('bjork homogenic'), ['Jóga']);
    assert.deepEqual(titles('bjork debut'), ['Human Behaviour']);
    assert.deepEqual(titles('bjork lemonade'), []);
    assert.deepEqual(titles('ac/dc'), ['Hells Bells']);
  });

  test('an empty query finds nothing', () => {
    assert.deepEqual(catalog.search(''), []);
    assert.deepEqual(catalog.search('  '), []);
  });

  test('FTS operators and punctuation in user input never throw', () => {
    const inputs = [
      '"', '""', '"bjork', 'bjork"', '*', '**', 'bj*rk', 'AND', 'OR', 'NOT', 'NEAR', 'bjork AND', 'AND bjork', 'bjork OR beyonce', 'NOT bjork',
      '-', '-bjork', 'bjork -debut', '(', ')', '(bjork', 'NEAR(bjork debut)', 'artist:bjork', 'title:', ':', '^bjork', '+', '{artist}: bjork',
      "'", "rock 'n' roll", 'R&B', '\\', '\u0301', 'a\u0000b', '🎵', 'bjork\u200b', '%', '_', '[', ']', ';--', 'DROP TABLE tracks',
    ];
    for (const input of inputs) {
      assert.doesNotThrow(() => catalog.search(input), `search(${JSON.stringify(input)})`);
    }
    // Operators are words like any other: "AND" is a prefix of "Andromeda".
    assert.deepEqual(titles('AND'), ['Orbit']);
    assert.deepEqual(titles('"bjork"'), ['Human Behaviour', 'Jóga']);
    assert.deepEqual(titles('bjork -debut'), ['Human Behaviour'], '"-" is punctuation, not NOT');
    assert.equal(catalog.countTracks(), 6);
  });

  test('respects the limit', () => {
    assert.equal(catalog.search('bjork', 1).length, 1);
  });

  test('follows updates and removals', () => {
    const origin = catalog.listOrigins()[0]!;
    catalog.applyChanges(origin.id, {
      upserts: [{ path: 't5.flac', size: 100, mtimeMs: 2, fingerprint: 'f5', audio: {}, tags: { artist: 'Zoë Keating', title: 'Orbit', compilation: false } }],
      errors: [],
      removed: ['t4.flac'],
    });
    assert.deepEqual(titles('andromeda'), []);
    assert.deepEqual(titles('zoe'), ['Orbit']);
    assert.deepEqual(titles('hells'), []);
  });
});
