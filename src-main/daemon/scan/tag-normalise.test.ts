import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { IAudioMetadata, ICommonTagsResult, IFormat } from 'music-metadata';
import { audioFromMetadata, cleanText, looksLikeAudio, tagsFromMetadata } from './tag-normalise.js';

/** An IAudioMetadata as music-metadata returns it, with only the parts a test sets. */
function metadata(parts: { common?: Partial<ICommonTagsResult>; native?: IAudioMetadata['native']; format?: Partial<IFormat> }): IAudioMetadata {
  return {
    format: { trackInfo: [], tagTypes: [], ...parts.format },
    native: parts.native ?? {},
    quality: { warnings: [] },
    common: { track: { no: null, of: null }, disk: { no: null, of: null }, movementIndex: { no: null, of: null }, ...parts.common },
  } as unknown as IAudioMetadata;
}

describe('cleanText', () => {
  test('trims, normalises to NFC, drops empty and non-strings', () => {
    assert.equal(cleanText('  Song \n'), 'Song');
    assert.equal(cleanText('Beyonce\u0301'), 'Beyonc\u00e9');
    assert.equal(cleanText(''), undefined);
    assert.equal(cleanText(' \t '), undefined);
    assert.equal(cleanText(42), undefined);
    assert.equal(cleanText(undefined), undefined);
  });
});

describe('tagsFromMetadata', () => {
  test('no tags gives only compilation: false', () => {
    assert.deepEqual(tagsFromMetadata(metadata({})), { compilation: false });
  });

  test('reads every field, trimmed and NFC', () => {
    const tags = tagsFromMetadata(
      metadata({
        common: {
          artist: ' Beyonce\u0301 ',
          albumartist: 'Beyonce\u0301\t',
          album: '  Lemonade',
          title: 'Formation  ',
          genre: ['  R&B '],
          year: 2016,
          track: { no: 12, of: 12 },
          disk: { no: 1, of: 1 },
          compilation: true,
        },
      }),
    );
    assert.deepEqual(tags, {
      artist: 'Beyonc\u00e9',
      albumArtist: 'Beyonc\u00e9',
      album: 'Lemonade',
      title: 'Formation',
      genre: 'R&B',
      year: 2016,
      track: 12,
      trackTotal: 12,
      disc: 1,
      discTotal: 1,
      compilation: true,
    });
  });

  test('drops empty strings and zero or nonsense numbers', () => {
    const tags = tagsFromMetadata(
      metadata({
        common: {
          artist: '',
          albumartist: '   ',
          album: '\n',
          title: '',
          genre: ['', '  '],
          year: 0,
          track: { no: 0, of: 0 },
          disk: { no: Number.NaN, of: -1 },
        },
      }),
    );
    assert.deepEqual(tags, { compilation: false });
  });

  test('the first non-empty genre is used', () => {
    assert.equal(tagsFromMetadata(metadata({ common: { genre: ['', ' Trip-Hop ', 'Electronic'] } })).genre, 'Trip-Hop');
  });

  test('fractional numbers are floored', () => {
    const tags = tagsFromMetadata(metadata({ common: { track: { no: 3.7, of: null } } }));
    assert.equal(tags.track, 3);
    assert.equal(tags.trackTotal, undefined);
  });

  test('year comes from the date when there is no year, then from the original date', () => {
    assert.equal(tagsFromMetadata(metadata({ common: { date: '1997-09-22' } })).year, 1997);
    assert.equal(tagsFromMetadata(metadata({ common: { date: ' 2001' } })).year, 2001);
    assert.equal(tagsFromMetadata(metadata({ common: { originaldate: '1985-01-01' } })).year, 1985);
    assert.equal(tagsFromMetadata(metadata({ common: { year: 2010, date: '1997-09-22' } })).year, 2010, 'year wins');
    assert.equal(tagsFromMetadata(metadata({ common: { date: 'September 1997' } })).year, undefined);
    assert.equal(tagsFromMetadata(metadata({ common: { date: '0000-00-00' } })).year, undefined);
    assert.equal(tagsFromMetadata(metadata({ common: { year: 12345 } })).year, undefined, 'more than 4 digits is nonsense');
  });

  test('compilation is a boolean, true only when the tag says so', () => {
    assert.equal(tagsFromMetadata(metadata({ common: { compilation: true } })).compilation, true);
    assert.equal(tagsFromMetadata(metadata({ common: { compilation: false } })).compilation, false);
    assert.equal(tagsFromMetadata(metadata({})).compilation, false);
  });

  test('ID3v2.3 TPE1/TPE2 values split on "/" are joined back', () => {
    const tags = tagsFromMetadata(
      metadata({
        common: { artist: 'AC, DC', artists: ['AC', 'DC'], albumartist: 'AC, DC', title: 'Thunderstruck' },
        native: {
          'ID3v2.3': [
            { id: 'TPE1', value: 'AC' },
            { id: 'TPE1', value: 'DC' },
            { id: 'TPE2', value: 'AC' },
            { id: 'TPE2', value: 'DC' },
            { id: 'TIT2', value: 'Thunderstruck' },
          ],
        },
      }),
    );
    assert.equal(tags.artist, 'AC/DC');
    assert.equal(tags.albumArtist, 'AC/DC');
    assert.equal(tags.title, 'Thunderstruck');
  });

  test('ID3v2.2 TP1/TP2 are joined back too', () => {
    const tags = tagsFromMetadata(
      metadata({
        common: { artist: 'Earth, Wind & Fire' },
        native: { 'ID3v2.2': [{ id: 'TP1', value: 'Earth' }, { id: 'TP1', value: 'Wind & Fire' }, { id: 'TP2', value: ' Various ' }] },
      }),
    );
    assert.equal(tags.artist, 'Earth/Wind & Fire');
    assert.equal(tags.albumArtist, 'Various');
  });

  test('a v2.3 file without the frame falls back to the common value', () => {
    const tags = tagsFromMetadata(metadata({ common: { artist: 'Solo', albumartist: 'Band' }, native: { 'ID3v2.3': [{ id: 'TIT2', value: 'x' }] } }));
    assert.equal(tags.artist, 'Solo');
    assert.equal(tags.albumArtist, 'Band');
  });

  test('ID3v2.4 (a real multi-value separator) is left alone', () => {
    const tags = tagsFromMetadata(
      metadata({
        common: { artist: 'Daft Punk & Pharrell Williams', artists: ['Daft Punk', 'Pharrell Williams'] },
        native: { 'ID3v2.4': [{ id: 'TPE1', value: 'Daft Punk' }, { id: 'TPE1', value: 'Pharrell Williams' }] },
      }),
    );
    assert.equal(tags.artist, 'Daft Punk & Pharrell Williams');
  });

  test('Vorbis comments are left alone', () => {
    const tags = tagsFromMetadata(metadata({ common: { artist: 'Simon & Garfunkel' }, native: { vorbis: [{ id: 'ARTIST', value: 'Simon/Garfunkel' }] } }));
    assert.equal(tags.artist, 'Simon & Garfunkel');
  });
});

describe('audioFromMetadata', () => {
  test('reads the stream properties, dropping nonsense', () => {
    assert.deepEqual(
      audioFromMetadata(metadata({ format: { container: 'FLAC', codec: 'FLAC', duration: 215.5, bitrate: 1_021_337.9, sampleRate: 44_100, numberOfChannels: 2 } })),
      { container: 'FLAC', codec: 'FLAC', durationSec: 215.5, bitrate: 1_021_337, sampleRate: 44_100, channels: 2 },
    );
    assert.deepEqual(audioFromMetadata(metadata({ format: { container: ' ', codec: '', duration: Number.NaN, bitrate: 0, sampleRate: 0, numberOfChannels: 0 } })), {});
    assert.deepEqual(audioFromMetadata(metadata({})), {});
  });
});

describe('looksLikeAudio', () => {
  test('requires a sample rate', () => {
    assert.equal(looksLikeAudio({}), false);
    assert.equal(looksLikeAudio({ container: 'ADTS', codec: 'AAC', bitrate: 128_000 }), false);
    assert.equal(looksLikeAudio({ sampleRate: 44_100 }), true);
    assert.equal(looksLikeAudio(audioFromMetadata(metadata({ format: { container: 'WAVE', codec: 'PCM', sampleRate: 8000, numberOfChannels: 1 } }))), true);
    assert.equal(looksLikeAudio(audioFromMetadata(metadata({ format: { container: 'MPEG', sampleRate: 0 } }))), false);
  });
});
