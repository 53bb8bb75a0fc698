/**
 * Self-test of the in-memory tag writers (test/support/tagged-audio.ts): what
 * they write reads back exactly with music-metadata, the audio stays
 * untouched, re-tagging replaces instead of stacking, and output is
 * deterministic.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFile, type IAudioMetadata } from 'music-metadata';
import { runFfmpeg } from './support/ffmpeg-tools.js';
import { flacWithTags, makeBaseAudio, mp3WithId3, stripId3, vorbisComments, type AudioTags, type BaseAudio } from './support/tagged-audio.js';

const FULL: AudioTags = {
  title: 'Café – Ünïcode “Title” 東京',
  artist: 'Sigur Rós & Björk',
  albumArtist: 'Motörhead Ensemble',
  album: 'Ågren: Ærø Sessions',
  track: 7,
  trackTotal: 12,
  disc: 2,
  discTotal: 3,
  year: 1987,
  genre: 'Post-Rock',
};

describe('tagged audio writers', () => {
  let tmp = '';
  let base: BaseAudio;
  let n = 0;

  const parse = async (bytes: Buffer, ext: 'flac' | 'mp3'): Promise<IAudioMetadata> => {
    const path = join(tmp, `out-${n++}.${ext}`);
    await writeFile(path, bytes);
    return parseFile(path, { duration: false, skipCovers: true });
  };

  const assertTags = (m: IAudioMetadata, t: AudioTags): void => {
    const c = m.common;
    assert.equal(c.title, t.title);
    assert.equal(c.artist, t.artist);
    assert.equal(c.albumartist, t.albumArtist);
    assert.equal(c.album, t.album);
    assert.equal(c.track.no ?? undefined, t.track);
    assert.equal(c.track.of ?? undefined, t.trackTotal);
    assert.equal(c.disk.no ?? undefined, t.disc);
    assert.equal(c.disk.of ?? undefined, t.discTotal);
    assert.equal(c.year, t.year);
    assert.deepEqual(c.genre, t.genre === undefined ? undefined : [t.genre]);
    assert.equal(c.compilation === true, t.compilation === true);
  };

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'musicfs-tagged-'));
    base = await makeBaseAudio(tmp);
  });

  after(async () => {
    if (tmp !== '') await rm(tmp, { recursive: true, force: true });
  });

  describe('FLAC', () => {
    it('reads back every tag exactly, Unicode included', async () => {
      const m = await parse(flacWithTags(base.flac, vorbisComments(FULL)), 'flac');
      assertTags(m, FULL);
      assert.equal(m.format.container, 'FLAC');
      assert.equal(m.format.sampleRate, 16_000);
      assert.equal(m.format.numberOfChannels, 1);
    });

    it('reads back a compilation with missing fields', async () => {
      const tags: AudioTags = { title: 'Only a title', artist: 'Someone', compilation: true };
      assertTags(await parse(flacWithTags(base.flac, vorbisComments(tags)), 'flac'), tags);
    });

    it('keeps STREAMINFO and the frames, drops the old comment and padding, ends with the new comment', () => {
      const out = flacWithTags(base.flac, { ARTIST: 'A' });
      assert.equal(out.toString('latin1', 0, 4), 'fLaC');
      // STREAMINFO: type 0, not last, 34 bytes, identical to the base's.
      assert.equal(out[4], 0x00);
      assert.equal(out.readUIntBE(5, 3), 34);
      assert.ok(out.subarray(8, 42).equals(base.flac.subarray(8, 42)));
      // Then the VORBIS_COMMENT, flagged last.
      assert.equal(out[42], 0x80 | 4);
      const len = out.readUIntBE(43, 3);
      const audioStart = 46 + len;
      // Frames start with the FLAC frame sync code and are the base's tail unchanged.
      assert.equal(out.readUInt16BE(audioStart) & 0xfffe, 0xfff8);
      const tail = out.subarray(audioStart);
      assert.ok(base.flac.subarray(base.flac.length - tail.length).equals(tail));
      assert.ok(out.length < base.flac.length, 'the 8 KiB padding of the ffmpeg base is gone');
    });

    it('re-tagging replaces the comment instead of adding one', async () => {
      const once = flacWithTags(base.flac, vorbisComments({ title: 'Second', artist: 'B' }));
      const twice = flacWithTags(flacWithTags(base.flac, vorbisComments(FULL)), vorbisComments({ title: 'Second', artist: 'B' }));
      assert.ok(once.equals(twice));
      const m = await parse(twice, 'flac');
      assert.equal(m.common.album, undefined);
      assert.equal(m.native['vorbis']?.filter((t) => t.id === 'TITLE').length, 1);
    });

    it('is deterministic, and different tags give different bytes', () => {
      const a = flacWithTags(base.flac, vorbisComments(FULL));
      assert.ok(a.equals(flacWithTags(base.flac, vorbisComments(FULL))));
      assert.ok(!a.equals(flacWithTags(base.flac, vorbisComments({ ...FULL, track: 8 }))));
    });

    it('rejects what is not FLAC', () => {
      assert.throws(() => flacWithTags(base.mp3, {}), /not a FLAC stream/);
    });
  });

  describe('MP3', () => {
    for (const version of [3, 4] as const) {
      it(`ID3v2.${version}: reads back every tag exactly, Unicode included`, async () => {
        const out = mp3WithId3(base.mp3, FULL, version);
        assert.equal(out.toString('latin1', 0, 3), 'ID3');
        assert.equal(out[3], version);
        const m = await parse(out, 'mp3');
        assertTags(m, FULL);
        assert.ok(m.native[`ID3v2.${version}`], `no ID3v2.${version} tag found`);
        assert.equal(m.format.sampleRate, 16_000);
        assert.match(m.format.codec ?? '', /Layer 3/);
      });

      it(`ID3v2.${version}: compilation flag, missing fields, a frame over 127 bytes (synchsafe sizes)`, async () => {
        const tags: AudioTags = { title: 'Ŧ'.repeat(150), album: 'Hits', compilation: true, track: 3 };
        const m = await parse(mp3WithId3(base.mp3, tags, version, 256), 'mp3');
        assertTags(m, tags);
      });
    }

    it('keeps the Xing/Info frame and the audio byte for byte', () => {
      const out = mp3WithId3(base.mp3, FULL, 4);
      const tagSize = 10 + ((out[6]! << 21) | (out[7]! << 14) | (out[8]! << 7) | out[9]!);
      const rest = out.subarray(tagSize);
      assert.ok(rest.equals(base.mp3));
      assert.equal(rest.readUInt16BE(0) & 0xffe0, 0xffe0, 'an MPEG frame follows the tag');
      assert.ok(rest.includes(Buffer.from('Info')) || rest.includes(Buffer.from('Xing')), 'LAME/Xing frame kept');
    });

    it('strips an existing ID3v2 tag and ID3v1 trailer of the base', async () => {
      const src = join(tmp, 'with-tags-src.mp3');
      const tagged = join(tmp, 'with-tags.mp3');
      await writeFile(src, base.mp3);
      await runFfmpeg(['-i', src, '-c', 'copy', '-metadata', 'title=Old Title', '-metadata', 'artist=Old Artist', '-id3v2_version', '3', '-write_id3v1', '1', tagged]);
      const taggedBytes = await readFile(tagged);
      assert.equal(taggedBytes.toString('latin1', taggedBytes.length - 128, taggedBytes.length - 125), 'TAG');
      const stripped = stripId3(taggedBytes);
      assert.notEqual(stripped.toString('latin1', 0, 3), 'ID3');
      assert.notEqual(stripped.toString('latin1', stripped.length - 128, stripped.length - 125), 'TAG');
      const m = await parse(mp3WithId3(taggedBytes, { title: 'New Title' }, 4), 'mp3');
      assert.equal(m.common.title, 'New Title');
      assert.equal(m.common.artist, undefined);
      assert.equal(m.native['ID3v1'], undefined);
      assert.equal(m.native['ID3v2.3'], undefined);
    });

    it('re-tagging replaces the tag instead of stacking, and output is deterministic', () => {
      const direct = mp3WithId3(base.mp3, { title: 'B' }, 3);
      assert.ok(direct.equals(mp3WithId3(mp3WithId3(base.mp3, FULL, 4), { title: 'B' }, 3)));
      assert.ok(direct.equals(mp3WithId3(base.mp3, { title: 'B' }, 3)));
      assert.ok(!direct.equals(mp3WithId3(base.mp3, { title: 'C' }, 3)));
    });
  });
});
