import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AudioProperties, LayoutInput, TrackTags } from '../track.js';
import { LAYOUT_FIELDS, formatName, layoutFieldValues } from './fields.js';

function input(tags: Partial<TrackTags>, more: Partial<Omit<LayoutInput, 'tags'>> = {}): LayoutInput {
  return { tags: { compilation: false, ...tags }, audio: {}, stem: 'file stem', ext: 'flac', ...more };
}

describe('layoutFieldValues', () => {
  test('a track with no tags at all gets every fallback', () => {
    assert.deepEqual(layoutFieldValues(input({})), {
      albumartist: 'Unknown Artist',
      artist: 'Unknown Artist',
      album: 'Unknown Album',
      title: 'file stem',
      track: undefined,
      tracktotal: undefined,
      disc: undefined,
      disctotal: undefined,
      year: undefined,
      genre: undefined,
      comp: undefined,
      format: undefined,
      bitrate: undefined,
      samplerate: undefined,
      filename: 'file stem',
      ext: 'flac',
    });
  });

  test('a fully tagged track gives its tags', () => {
    const values = layoutFieldValues(input(
      { artist: 'A', albumArtist: 'AA', album: 'Al', title: 'T', track: 3, trackTotal: 12, disc: 2, discTotal: 2, year: 1999, genre: 'Rock' },
      { audio: { container: 'FLAC', codec: 'FLAC', bitrate: 912_345, sampleRate: 44_100 } },
    ));
    assert.deepEqual(values, {
      albumartist: 'AA', artist: 'A', album: 'Al', title: 'T', track: 3, tracktotal: 12, disc: 2, disctotal: 2,
      year: 1999, genre: 'Rock', comp: undefined, format: 'FLAC', bitrate: 912, samplerate: 44_100,
      filename: 'file stem', ext: 'flac',
    });
  });

  test('albumartist: tag, else Various Artists for a compilation, else artist, else Unknown Artist', () => {
    assert.equal(layoutFieldValues(input({ albumArtist: 'AA', artist: 'A', compilation: true })).albumartist, 'AA');
    assert.equal(layoutFieldValues(input({ artist: 'A', compilation: true })).albumartist, 'Various Artists');
    assert.equal(layoutFieldValues(input({ artist: 'A' })).albumartist, 'A');
    assert.equal(layoutFieldValues(input({})).albumartist, 'Unknown Artist');
  });

  test('artist: tag, else album artist, else Unknown Artist', () => {
    assert.equal(layoutFieldValues(input({ artist: 'A', albumArtist: 'AA' })).artist, 'A');
    assert.equal(layoutFieldValues(input({ albumArtist: 'AA' })).artist, 'AA');
    assert.equal(layoutFieldValues(input({})).artist, 'Unknown Artist');
  });

  test('an empty or whitespace-only tag counts as no value', () => {
    const values = layoutFieldValues(input({ artist: '  ', albumArtist: '', album: '\t', title: ' ', genre: '  ' }));
    assert.equal(values.albumartist, 'Unknown Artist');
    assert.equal(values.artist, 'Unknown Artist');
    assert.equal(values.album, 'Unknown Album');
    assert.equal(values.title, 'file stem');
    assert.equal(values.genre, undefined);
  });

  test('tag strings come back trimmed and NFC', () => {
    assert.equal(layoutFieldValues(input({ artist: '  Beyonce\u0301 ' })).artist, 'Beyonc\u00e9');
  });

  test('disc has a value only on a multi-disc release', () => {
    const disc = (d?: number, total?: number): number | undefined => layoutFieldValues(input({ disc: d, discTotal: total })).disc;
    assert.equal(disc(1, 1), undefined);
    assert.equal(disc(1, undefined), undefined);
    assert.equal(disc(1, 2), 1);
    assert.equal(disc(2, undefined), 2);
    assert.equal(disc(2, 2), 2);
    assert.equal(disc(undefined, 2), undefined);
    assert.equal(layoutFieldValues(input({ disc: 1, discTotal: 1 })).disctotal, 1);
  });

  test('zero, negative and non-finite numbers count as no value', () => {
    const values = layoutFieldValues(input({ track: 0, trackTotal: -1, year: Number.NaN, disc: Number.POSITIVE_INFINITY }));
    assert.equal(values.track, undefined);
    assert.equal(values.tracktotal, undefined);
    assert.equal(values.year, undefined);
    assert.equal(values.disc, undefined);
  });

  test('comp is "Compilation" only for a compilation', () => {
    assert.equal(layoutFieldValues(input({ compilation: true })).comp, 'Compilation');
    assert.equal(layoutFieldValues(input({})).comp, undefined);
  });

  test('bitrate is in kbps, rounded; samplerate in Hz', () => {
    const values = layoutFieldValues(input({}, { audio: { bitrate: 256_600, sampleRate: 48_000 } }));
    assert.equal(values.bitrate, 257);
    assert.equal(values.samplerate, 48_000);
    assert.equal(layoutFieldValues(input({}, { audio: { bitrate: 0 } })).bitrate, undefined);
  });

  test('filename is the stem; ext is lower case without a dot; empty means no value', () => {
    const values = layoutFieldValues(input({ title: 'T' }, { stem: '01 Intro', ext: 'FLAC' }));
    assert.equal(values.filename, '01 Intro');
    assert.equal(values.ext, 'flac');
    assert.equal(layoutFieldValues(input({}, { ext: '.mp3' })).ext, 'mp3');
    const bare = layoutFieldValues(input({}, { stem: '', ext: '' }));
    assert.equal(bare.ext, undefined);
    assert.equal(bare.filename, undefined);
    assert.equal(bare.title, undefined);
  });
});

describe('formatName', () => {
  test('maps what music-metadata reports to a short format name', () => {
    const cases: [AudioProperties, string | undefined][] = [
      [{ container: 'FLAC', codec: 'FLAC' }, 'FLAC'],
      [{ container: 'MPEG', codec: 'MPEG 1 Layer 3' }, 'MP3'],
      [{ container: 'MPEG', codec: 'MPEG 2 Layer 3' }, 'MP3'],
      [{ container: 'MPEG', codec: 'MPEG 1 Layer 2' }, 'MP2'],
      [{ container: 'M4A/mp42/isom', codec: 'MPEG-4/AAC' }, 'AAC'],
      [{ container: 'M4A/mp42/isom', codec: 'ALAC' }, 'ALAC'],
      [{ container: 'Ogg', codec: 'Opus' }, 'Opus'],
      [{ container: 'Ogg', codec: 'Vorbis I' }, 'Vorbis'],
      [{ container: 'WAVE', codec: 'PCM' }, 'WAV'],
      [{ container: 'AIFF', codec: 'PCM' }, 'AIFF'],
      [{ container: 'WavPack', codec: 'PCM' }, 'WavPack'],
      [{ container: "Monkey's Audio" }, 'APE'],
      [{ container: 'Musepack, SV7', codec: '1.15' }, 'Musepack'],
      [{ container: 'DSF', codec: 'DSD' }, 'DSD'],
      [{ container: 'ASF/audio', codec: 'Windows Media Audio 9' }, 'WMA'],
      [{ container: 'FLAC' }, 'FLAC'],
      [{ container: 'Ogg' }, undefined],
      [{}, undefined],
      [{ codec: 'something new' }, undefined],
    ];
    for (const [audio, expected] of cases) assert.equal(formatName(audio), expected, JSON.stringify(audio));
  });
});

describe('LAYOUT_FIELDS', () => {
  test('lists every field of layoutFieldValues exactly once, each with a description', () => {
    const names = LAYOUT_FIELDS.map((f) => f.name);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual([...names].sort(), Object.keys(layoutFieldValues(input({}))).sort());
    for (const field of LAYOUT_FIELDS) assert.ok(field.description.length > 0, field.name);
  });
});
