/**
 * The forced chunk cuts on real files made by ffmpeg: each cut lands on the
 * real boundary (an MPEG or FLAC frame sync, an MP4 box, a RIFF/AIFF sample
 * chunk, an ID3v1 "TAG"), and with the cuts a retag leaves every audio chunk
 * as it was.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadBoundaryScanner, TRAILER_SCAN_BYTES, trailerCuts } from '../src-main/daemon/cache/audio-boundaries.js';
import { AUDIO_CHUNK_PARAMS, StreamingChunker, type Chunk } from '../src-main/daemon/cache/fastcdc.js';
import { runFfmpeg } from './support/ffmpeg-tools.js';

const PIECE = 128 * 1024;

/** The head cuts of `file` streamed in 128 KiB pieces. */
function headCuts(file: Buffer): { cuts: number[]; done: boolean } {
  const scanner = new HeadBoundaryScanner(file.length);
  const cuts: number[] = [];
  for (let at = 0; at < file.length; at += PIECE) cuts.push(...scanner.push(at, file.subarray(at, at + PIECE)));
  return { cuts, done: scanner.done };
}

const tailCuts = (file: Buffer): number[] => trailerCuts(file.subarray(Math.max(0, file.length - TRAILER_SCAN_BYTES)), file.length);

/** What the cache does: head cuts while streaming, trailer cuts at the end, chunks held near the end until then. */
function chunkFile(file: Buffer): Chunk[] {
  const chunker = new StreamingChunker(AUDIO_CHUNK_PARAMS, 0, { holdFrom: file.length - TRAILER_SCAN_BYTES });
  const scanner = new HeadBoundaryScanner(file.length);
  const chunks: Chunk[] = [];
  for (let at = 0; at < file.length; at += PIECE) {
    const piece = file.subarray(at, at + PIECE);
    for (const cut of scanner.push(at, piece)) chunker.addCut(cut);
    chunks.push(...chunker.push(piece));
  }
  for (const cut of tailCuts(file)) chunker.addCut(cut);
  chunks.push(...chunker.finish());
  return chunks;
}

/** Top-level MP4 boxes: [offset, type]. */
function mp4Boxes(file: Buffer): [number, string][] {
  const boxes: [number, string][] = [];
  for (let at = 0; at + 8 <= file.length; ) {
    const size32 = file.readUInt32BE(at);
    const size = size32 === 1 ? Number(file.readBigUInt64BE(at + 8)) : size32 === 0 ? file.length - at : size32;
    boxes.push([at, file.toString('latin1', at + 4, at + 8)]);
    at += size;
  }
  return boxes;
}

const isMpegSync = (file: Buffer, at: number): boolean => file[at] === 0xff && (file[at + 1]! & 0xe0) === 0xe0;
const isFlacSync = (file: Buffer, at: number): boolean => file[at] === 0xff && (file[at + 1]! & 0xfe) === 0xf8;

describe('audio boundaries on real files', () => {
  let tmp = '';
  const files: Record<string, Buffer> = {};

  const make = async (name: string, args: readonly string[]): Promise<Buffer> => {
    const path = join(tmp, name);
    await runFfmpeg([...args, path]);
    return (files[name] = await readFile(path));
  };

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'musicfs-boundaries-'));
    const noise = ['-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.3:duration=60:sample_rate=44100'];
    const cover = ['-f', 'lavfi', '-i', 'testsrc=size=400x400:duration=1', '-map', '0:a', '-map', '1:v', '-frames:v', '1', '-c:v', 'png', '-disposition:v', 'attached_pic'];
    const tags = ['-ac', '2', '-metadata', 'title=Boundaries', '-metadata', 'artist=MusicFS'];
    await make('tagged.mp3', [...noise, ...cover, ...tags, '-c:a', 'libmp3lame', '-b:a', '320k', '-id3v2_version', '3', '-write_id3v1', '1']);
    await make('tagged.flac', [...noise, ...cover, ...tags, '-c:a', 'flac']);
    await make('moov-last.m4a', [...noise, ...tags, '-c:a', 'aac', '-b:a', '128k']);
    await make('moov-first.m4a', [...noise, ...tags, '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart']);
    await make('tagged.wav', [...noise, ...tags, '-c:a', 'pcm_s16le']);
    await make('tagged.aiff', [...noise, ...tags, '-c:a', 'pcm_s16be', '-f', 'aiff']);
    await make('tagged.ogg', [...noise, ...tags, '-c:a', 'libvorbis']);
    // The same audio, retagged by a remux (title longer, ID3v1 changed too).
    await runFfmpeg(['-i', join(tmp, 'tagged.mp3'), '-map', '0', '-c', 'copy', '-metadata', 'title=A much longer title than before', '-id3v2_version', '3', '-write_id3v1', '1', join(tmp, 'retagged.mp3')]);
    files['retagged.mp3'] = await readFile(join(tmp, 'retagged.mp3'));
    await runFfmpeg(['-i', join(tmp, 'tagged.flac'), '-map', '0', '-c', 'copy', '-metadata', 'title=A much longer title than before', join(tmp, 'retagged.flac')]);
    files['retagged.flac'] = await readFile(join(tmp, 'retagged.flac'));
  });

  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('MP3: the head cut is the first frame sync after ID3v2, the tail cut is ID3v1', () => {
    const mp3 = files['tagged.mp3']!;
    const { cuts, done } = headCuts(mp3);
    assert.ok(done);
    assert.equal(cuts.length, 1);
    assert.ok(cuts[0]! > 5000, 'the cover is in the tag');
    assert.ok(isMpegSync(mp3, cuts[0]!), `frame sync at ${cuts[0]}`);
    assert.deepEqual(tailCuts(mp3), [mp3.length - 128]);
    assert.equal(mp3.toString('latin1', mp3.length - 128, mp3.length - 125), 'TAG');
  });

  it('FLAC: the cut is the first frame, after the picture and padding', () => {
    const flac = files['tagged.flac']!;
    const { cuts, done } = headCuts(flac);
    assert.ok(done);
    assert.equal(cuts.length, 1);
    assert.ok(isFlacSync(flac, cuts[0]!), `frame sync at ${cuts[0]}`);
    assert.ok(cuts[0]! > 8192, 'padding and picture come before');
    assert.deepEqual(tailCuts(flac), []);
  });

  it('ID3v2 then fLaC: the tag end, then the first FLAC frame', () => {
    const mp3 = files['tagged.mp3']!;
    const flac = files['tagged.flac']!;
    const id3 = mp3.subarray(0, headCuts(mp3).cuts[0]);
    const file = Buffer.concat([id3, flac]);
    assert.deepEqual(headCuts(file).cuts, [id3.length, id3.length + headCuts(flac).cuts[0]!]);
  });

  it('M4A: cuts at every top-level box, mdat and moov included, moov first or last', () => {
    for (const name of ['moov-last.m4a', 'moov-first.m4a']) {
      const m4a = files[name]!;
      const boxes = mp4Boxes(m4a);
      const { cuts, done } = headCuts(m4a);
      assert.ok(done, name);
      assert.deepEqual(cuts, boxes.slice(1).map(([at]) => at), name);
      const mdat = boxes.find(([, type]) => type === 'mdat')![0];
      const moov = boxes.findIndex(([, type]) => type === 'moov');
      assert.ok(cuts.includes(mdat), `${name}: mdat start`);
      assert.ok(moov === 0 || cuts.includes(boxes[moov]![0]), `${name}: moov start`);
      assert.ok(moov === boxes.length - 1 || cuts.includes(boxes[moov + 1]![0]), `${name}: moov end`);
    }
  });

  it('WAV and AIFF: the sample data starts at the first cut', () => {
    const wav = files['tagged.wav']!;
    const wavCuts = headCuts(wav).cuts;
    assert.equal(wav.toString('latin1', wavCuts[0]! - 8, wavCuts[0]! - 4), 'data');
    const wavEnd = wavCuts[0]! + wav.readUInt32LE(wavCuts[0]! - 4);
    assert.deepEqual(wavCuts, wavEnd < wav.length ? [wavCuts[0], wavEnd] : [wavCuts[0]]);
    const aiff = files['tagged.aiff']!;
    const aiffCuts = headCuts(aiff).cuts;
    assert.equal(aiff.toString('latin1', aiffCuts[0]! - 8, aiffCuts[0]! - 4), 'SSND');
    const aiffEnd = aiffCuts[0]! + aiff.readUInt32BE(aiffCuts[0]! - 4);
    assert.deepEqual(aiffCuts, aiffEnd < aiff.length ? [aiffCuts[0], aiffEnd] : [aiffCuts[0]]);
  });

  it('Ogg: no cuts', () => {
    const ogg = files['tagged.ogg']!;
    assert.deepEqual(headCuts(ogg), { cuts: [], done: true });
    assert.deepEqual(tailCuts(ogg), []);
  });

  it('a retag changes only the head and trailer chunks', () => {
    for (const format of ['mp3', 'flac']) {
      const before = chunkFile(files[`tagged.${format}`]!);
      const after = chunkFile(files[`retagged.${format}`]!);
      const known = new Set(before.map((c) => c.data.toString('base64')));
      const changed = after.filter((c) => !known.has(c.data.toString('base64')));
      const audioStart = headCuts(files[`retagged.${format}`]!).cuts.at(-1)!;
      const trailer = tailCuts(files[`retagged.${format}`]!)[0] ?? Infinity;
      assert.ok(after.length > 5, `${format}: ${after.length} chunks`);
      for (const c of changed) assert.ok(c.offset + c.length <= audioStart || c.offset >= trailer, `${format}: changed chunk at ${c.offset}+${c.length} (audio ${audioStart}..${trailer})`);
    }
  });
});
