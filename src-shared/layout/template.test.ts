import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { LayoutInput, TrackTags } from '../track.js';
import { isMusicFsError } from '../errors.js';
import { DEFAULT_LAYOUT, compileLayout } from './index.js';

function input(tags: Partial<TrackTags>, more: Partial<Omit<LayoutInput, 'tags'>> = {}): LayoutInput {
  return { tags: { compilation: false, ...tags }, audio: {}, stem: 'file stem', ext: 'flac', ...more };
}
const base: Partial<TrackTags> = { artist: 'Artist', albumArtist: 'Album Artist', album: 'Album', title: 'T', track: 3 };
const bytesOf = (s: string): number => new TextEncoder().encode(s).length;

const defaultLayout = compileLayout(DEFAULT_LAYOUT);
const renderDefault = (tags: Partial<TrackTags>, more: Partial<Omit<LayoutInput, 'tags'>> = {}): string[] =>
  defaultLayout.render(input(tags, more));
const render = (template: string, tags: Partial<TrackTags>, more: Partial<Omit<LayoutInput, 'tags'>> = {}): string[] =>
  compileLayout(template).render(input(tags, more));

/** Asserts that compiling `template` fails with LAYOUT_INVALID at `column`, message matching `pattern`. */
function assertLayoutError(template: string, column: number, pattern: RegExp): void {
  assert.throws(() => compileLayout(template), (err: unknown) => {
    assert.ok(isMusicFsError(err), 'a MusicFsError');
    assert.equal(err.code, 'LAYOUT_INVALID');
    assert.equal(err.context.column, column, err.message);
    assert.equal(err.context.path, undefined);
    assert.match(err.message, new RegExp(`column ${column}\\b`));
    assert.match(err.message, pattern);
    return true;
  });
}

describe('default layout', () => {
  test('a normal track: albumartist/album/NN - title.ext', () => {
    assert.deepEqual(renderDefault(base), ['Album Artist', 'Album', '03 - T.flac']);
    assert.equal(defaultLayout.source, DEFAULT_LAYOUT);
  });

  test('multi-disc release: 2-03 - T.flac', () => {
    assert.deepEqual(renderDefault({ ...base, disc: 2, discTotal: 2 }), ['Album Artist', 'Album', '2-03 - T.flac']);
    assert.deepEqual(renderDefault({ ...base, disc: 1, discTotal: 2 }), ['Album Artist', 'Album', '1-03 - T.flac']);
  });

  test('disc 1 of 1 has no disc prefix', () => {
    assert.deepEqual(renderDefault({ ...base, disc: 1, discTotal: 1 }), ['Album Artist', 'Album', '03 - T.flac']);
    assert.deepEqual(renderDefault({ ...base, disc: 1 }), ['Album Artist', 'Album', '03 - T.flac']);
  });

  test('disc total unknown but disc 2 keeps the prefix', () => {
    assert.deepEqual(renderDefault({ ...base, disc: 2 }), ['Album Artist', 'Album', '2-03 - T.flac']);
  });

  test('no track number: "T.flac", not " - T.flac"', () => {
    assert.deepEqual(renderDefault({ ...base, track: undefined }), ['Album Artist', 'Album', 'T.flac']);
    assert.deepEqual(renderDefault({ ...base, track: undefined, disc: 2 }), ['Album Artist', 'Album', '2-T.flac']);
  });

  test('no title: the file stem', () => {
    assert.deepEqual(renderDefault({ ...base, title: undefined }, { stem: 'track03' }), ['Album Artist', 'Album', '03 - track03.flac']);
  });

  test('no album artist: the artist, else Unknown Artist', () => {
    assert.deepEqual(renderDefault({ ...base, albumArtist: undefined }), ['Artist', 'Album', '03 - T.flac']);
    assert.deepEqual(renderDefault({ ...base, albumArtist: undefined, artist: undefined }), ['Unknown Artist', 'Album', '03 - T.flac']);
  });

  test('a compilation without album artist goes under Various Artists', () => {
    assert.deepEqual(renderDefault({ ...base, albumArtist: undefined, compilation: true }), ['Various Artists', 'Album', '03 - T.flac']);
  });

  test('no album: Unknown Album', () => {
    assert.deepEqual(renderDefault({ ...base, album: undefined }), ['Album Artist', 'Unknown Album', '03 - T.flac']);
  });

  test('ID3v1-style tags (artist, title, album, year, track only)', () => {
    const tags = { artist: 'Nirvana', title: 'Lithium', album: 'Nevermind', year: 1991, track: 5 };
    assert.deepEqual(renderDefault(tags, { ext: 'mp3' }), ['Nirvana', 'Nevermind', '05 - Lithium.mp3']);
  });

  test('"AC/DC" stays one component: AC_DC', () => {
    const out = renderDefault({ albumArtist: 'AC/DC', album: 'Back in Black', title: 'Hells Bells', track: 1 }, { ext: 'mp3' });
    assert.deepEqual(out, ['AC_DC', 'Back in Black', '01 - Hells Bells.mp3']);
  });

  test('NFD and NFC tags render to identical paths', () => {
    const nfd = renderDefault({ albumArtist: 'Beyonce\u0301', album: 'De\u0301ja\u0300 Vu', title: 'Cafe\u0301', track: 1 });
    const nfc = renderDefault({ albumArtist: 'Beyonc\u00e9', album: 'D\u00e9j\u00e0 Vu', title: 'Caf\u00e9', track: 1 });
    assert.deepEqual(nfd, nfc);
    assert.deepEqual(nfc, ['Beyonc\u00e9', 'D\u00e9j\u00e0 Vu', '01 - Caf\u00e9.flac']);
  });

  test('tag values are trimmed', () => {
    assert.deepEqual(renderDefault({ ...base, albumArtist: '  Album Artist ', album: '\tAlbum\n', title: ' T ' }), ['Album Artist', 'Album', '03 - T.flac']);
  });

  test('control characters and NUL in tags become "_"', () => {
    assert.deepEqual(renderDefault({ ...base, album: 'Al\u0000bum', title: 'a\u0007b\u0085c' }), ['Album Artist', 'Al_bum', '03 - a_b_c.flac']);
  });

  test('a leading dot in a tag becomes "_"', () => {
    assert.deepEqual(renderDefault({ ...base, album: '...And Justice for All' }), ['Album Artist', '_..And Justice for All', '03 - T.flac']);
    assert.deepEqual(render('{title}', { title: '.hidden' }), ['_hidden.flac']);
  });

  test('an album called ".." or "." never escapes or aliases the directory', () => {
    assert.deepEqual(renderDefault({ ...base, album: '..' }), ['Album Artist', '_.', '03 - T.flac']);
    assert.deepEqual(renderDefault({ ...base, album: '.' }), ['Album Artist', '_', '03 - T.flac']);
  });

  test('a directory component that renders empty becomes "_"', () => {
    assert.deepEqual(render('{genre}/{title}', { title: 'T' }), ['_', 'T.flac']);
  });

  test('a very long CJK title is cut to 255 bytes and keeps ".flac"', () => {
    const out = renderDefault({ ...base, title: '音'.repeat(200) });
    const fileName = out[2] ?? '';
    assert.ok(fileName.endsWith('.flac'));
    assert.ok(fileName.startsWith('03 - 音'));
    assert.ok(bytesOf(fileName) <= 255, String(bytesOf(fileName)));
    assert.equal(fileName, `03 - ${'音'.repeat(81)}.flac`); // 5 + 243 = 248 <= 250
  });

  test('a very long emoji album is cut to 255 bytes on a pair boundary', () => {
    const out = renderDefault({ ...base, album: '🎵'.repeat(100) });
    assert.equal(out[1], '🎵'.repeat(63));
  });

  test('RTL text is left untouched', () => {
    const out = renderDefault({ albumArtist: 'فيروز', album: 'كيفك انت', title: 'ע׳ברית', track: 1 });
    assert.deepEqual(out, ['فيروز', 'كيفك انت', '01 - ע׳ברית.flac']);
  });
});

describe('user templates', () => {
  test('{artist}/{year} - {album}/{track:02} {title}', () => {
    const template = '{artist}/{year} - {album}/{track:02} {title}';
    assert.deepEqual(render(template, { ...base, year: 1999 }), ['Artist', '1999 - Album', '03 T.flac']);
    assert.deepEqual(render(template, base), ['Artist', 'Album', '03 T.flac']);
  });

  test('affixes print only with a value: {disc-}, {.ext}, { (year)}', () => {
    const template = '{albumartist}/{album}{ (year)}/{disc-}{title}{.ext}';
    assert.deepEqual(render(template, { ...base, year: 1999, disc: 2 }), ['Album Artist', 'Album (1999)', '2-T.flac']);
    assert.deepEqual(render(template, base), ['Album Artist', 'Album', 'T.flac']);
  });

  test('literal text after a field is dropped with it', () => {
    const template = '{albumartist} - {year} - {album}/{title}';
    assert.deepEqual(render(template, { ...base, year: 1999 }), ['Album Artist - 1999 - Album', 'T.flac']);
    assert.deepEqual(render(template, base), ['Album Artist - Album', 'T.flac']);
  });

  test('literal text before the first field belongs to it', () => {
    assert.deepEqual(render('Genre {genre}/{title}', { title: 'T', genre: 'Jazz' }), ['Genre Jazz', 'T.flac']);
    assert.deepEqual(render('[{genre}] {title}', { title: 'T' }), ['T.flac']);
  });

  test('a component made only of literal text is kept', () => {
    assert.deepEqual(render('Music/{artist}/{title}', base), ['Music', 'Artist', 'T.flac']);
  });

  test('a template without {ext} in its last component gets ".ext" appended', () => {
    assert.deepEqual(render('{artist}/{title}', base, { ext: 'opus' }), ['Artist', 'T.opus']);
    assert.deepEqual(render('{ext}/{title}', base), ['flac', 'T.flac']);
    // {ext} somewhere else in the name: the user chose, nothing is appended.
    assert.deepEqual(render('{title} [{ext}]', base), ['T [flac]']);
    // No extension at all: nothing to append.
    assert.deepEqual(render('{title}', base, { ext: '' }), ['T']);
  });

  test('field names are case-insensitive', () => {
    assert.deepEqual(render('{ARTIST}/{Title}', base), ['Artist', 'T.flac']);
  });

  test('zero padding to any width, on any number field', () => {
    assert.deepEqual(render('{track:03} {title}', base), ['003 T.flac']);
    assert.deepEqual(render('{track:01} {title}', { ...base, track: 12 }), ['12 T.flac']);
    assert.deepEqual(render('{year:06}', { year: 1999 }), ['001999.flac']);
    assert.deepEqual(render('{disc:02}-{track}', { disc: 2, track: 3 }), ['02-3.flac']);
  });

  test('every other field renders', () => {
    const template = '{genre}/{comp}/{format} {bitrate}k {samplerate}Hz/{track}of{tracktotal} {disc}of{disctotal} {filename}';
    const out = render(template, { genre: 'Jazz', compilation: true, track: 1, trackTotal: 9, disc: 2, discTotal: 3 }, {
      audio: { codec: 'MPEG 1 Layer 3', bitrate: 320_000, sampleRate: 44_100 },
      stem: 'orig',
      ext: 'mp3',
    });
    assert.deepEqual(out, ['Jazz', 'Compilation', 'MP3 320k 44100Hz', '1of9 2of3 orig.mp3']);
  });
});

describe('compile errors', () => {
  test('an unknown field names the field and its column', () => {
    assertLayoutError('{artist}/{albun}/{title}', 11, /unknown field "albun"/);
    assertLayoutError('{artist}/{albun}/{title}', 11, /known fields: albumartist, artist, album/);
  });

  test('an unclosed "{" is an unbalanced brace', () => {
    assertLayoutError('{artist}/{album/{title}', 10, /unbalanced "\{"/);
    assertLayoutError('{artist} {title', 10, /unbalanced "\{"/);
  });

  test('a "}" without "{" is an unbalanced brace', () => {
    assertLayoutError('{artist}/album}/{title}', 15, /unbalanced "\}"/);
  });

  test('nested braces are an unbalanced brace', () => {
    assertLayoutError('{artist {title}}', 9, /unbalanced "\{"/);
  });

  test('a format spec on a text field is an error', () => {
    assertLayoutError('{artist}/{title:02}', 16, /format ":02" on the text field "title"/);
  });

  test('a bad format spec on a number field is an error', () => {
    assertLayoutError('{track:2} {title}', 8, /bad format ":2"/);
    assertLayoutError('{track:} {title}', 8, /bad format ":"/);
    assertLayoutError('{track:00} {title}', 8, /bad format ":00"/);
    assertLayoutError('{track:0x} {title}', 8, /bad format ":0x"/);
  });

  test('an empty template is an error', () => {
    assertLayoutError('', 1, /empty/);
    assertLayoutError('   ', 1, /empty/);
  });

  test('a template starting or ending with "/" is an error', () => {
    assertLayoutError('/{artist}/{title}', 1, /starts with "\/"/);
    assertLayoutError('{artist}/{title}/', 17, /ends with "\/"/);
  });

  test('an empty component ("a//b") is an error', () => {
    assertLayoutError('{artist}//{title}', 10, /empty path component/);
  });

  test('braces without a field name are an error', () => {
    assertLayoutError('{artist}/{}', 11, /no field name/);
    assertLayoutError('{artist}/{-}', 12, /no field name/);
  });

  test('letters or digits in an affix are an error', () => {
    assertLayoutError('{track2} {title}', 7, /"2" after the field name "track"/);
    assertLayoutError('{2track} {title}', 2, /"2" before a field name/);
  });
});
