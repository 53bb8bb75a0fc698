import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { HeadBoundaryScanner, TRAILER_SCAN_BYTES, trailerCuts } from './audio-boundaries.js';

// ---------------------------------------------------------------------------
// Synthetic files

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const filler = (n: number, byte = 0x55): Buffer => Buffer.alloc(n, byte);

function synchsafe(n: number): Buffer {
  return Buffer.from([(n >>> 21) & 0x7f, (n >>> 14) & 0x7f, (n >>> 7) & 0x7f, n & 0x7f]);
}

/** An ID3v2 tag with `bodySize` bytes after the header (+ a 10-byte footer if asked, v2.4 only). */
function id3v2(bodySize: number, version = 3, footer = false): Buffer {
  const header = Buffer.concat([ascii('ID3'), Buffer.from([version, 0, footer ? 0x10 : 0]), synchsafe(bodySize)]);
  return Buffer.concat([header, filler(bodySize, 0), footer ? Buffer.concat([ascii('3DI'), header.subarray(3)]) : Buffer.alloc(0)]);
}

/** MPEG audio frames, as far as the scanner cares: a frame sync and noise. */
const mp3Frames = (n: number): Buffer => Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), filler(n - 4, 0x77)]);

function flac(blocks: readonly (readonly [type: number, length: number])[], audio: number): Buffer {
  const parts: Buffer[] = [ascii('fLaC')];
  blocks.forEach(([type, length], i) => {
    const header = Buffer.from([(i === blocks.length - 1 ? 0x80 : 0) | type, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff]);
    parts.push(header, filler(length, 0x11));
  });
  parts.push(Buffer.from([0xff, 0xf8]), filler(audio - 2, 0x22));
  return Buffer.concat(parts);
}

function box(type: string, bodySize: number, large = false): Buffer {
  if (large) {
    const header = Buffer.alloc(16);
    header.writeUInt32BE(1, 0);
    header.write(type, 4, 'latin1');
    header.writeBigUInt64BE(BigInt(16 + bodySize), 8);
    return Buffer.concat([header, filler(bodySize, 0x33)]);
  }
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + bodySize, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, filler(bodySize, 0x33)]);
}

function iffChunk(id: string, bodySize: number, littleEndian: boolean): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  if (littleEndian) header.writeUInt32LE(bodySize, 4);
  else header.writeUInt32BE(bodySize, 4);
  return Buffer.concat([header, filler(bodySize + (bodySize & 1), 0x44)]);
}

function iffFile(form: 'RIFF' | 'FORM', kind: string, chunks: readonly Buffer[]): Buffer {
  const body = Buffer.concat([ascii(kind), ...chunks]);
  const header = Buffer.alloc(8);
  header.write(form, 0, 'latin1');
  if (form === 'RIFF') header.writeUInt32LE(body.length, 4);
  else header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Runs the scanner over `file` in pieces of `piece` bytes; checks every cut is known before its bytes arrive. */
function headCuts(file: Uint8Array, piece = 4096): { cuts: number[]; done: boolean } {
  const scanner = new HeadBoundaryScanner(file.length);
  const cuts: number[] = [];
  for (let at = 0; at < file.length; at += piece) {
    const end = Math.min(file.length, at + piece);
    for (const cut of scanner.push(at, file.subarray(at, end))) {
      assert.ok(cut >= at, `cut ${cut} reported after its bytes (push at ${at})`);
      cuts.push(cut);
    }
  }
  return { cuts, done: scanner.done };
}

function assertHeadCuts(file: Uint8Array, expected: number[]): void {
  for (const piece of [1, 3, 16, 1000, 64 * 1024, file.length]) {
    const { cuts, done } = headCuts(file, piece);
    assert.deepEqual(cuts, expected, `pieces of ${piece}`);
    assert.ok(done, `done after the whole file (pieces of ${piece})`);
  }
}

// ---------------------------------------------------------------------------

describe('HeadBoundaryScanner', () => {
  test('MP3 with ID3v2: cut at the end of the tag', () => {
    const tag = id3v2(5000);
    assertHeadCuts(Buffer.concat([tag, mp3Frames(20_000)]), [tag.length]);
  });

  test('ID3v2.4 footer counts; stacked tags each get a cut', () => {
    const a = id3v2(300, 4, true);
    assert.equal(a.length, 10 + 300 + 10);
    const b = id3v2(1000, 3);
    assertHeadCuts(Buffer.concat([a, b, mp3Frames(9000)]), [a.length, a.length + b.length]);
  });

  test('ID3v2 then fLaC: the tag end and the audio start', () => {
    const tag = id3v2(2000);
    const body = flac([[0, 34], [4, 500], [6, 30_000], [1, 8192]], 50_000);
    const audioStart = tag.length + 4 + (4 + 34) + (4 + 500) + (4 + 30_000) + (4 + 8192);
    assertHeadCuts(Buffer.concat([tag, body]), [tag.length, audioStart]);
  });

  test('FLAC: cut where the frames start (an empty last block too)', () => {
    const file = flac([[0, 34], [4, 200], [1, 0]], 10_000);
    const audioStart = 4 + 38 + 204 + 4;
    assert.equal(file[audioStart], 0xff);
    assertHeadCuts(file, [audioStart]);
  });

  test('MP4: a cut at every top-level box end, 64-bit sizes included', () => {
    const boxes = [box('ftyp', 24), box('free', 100), box('mdat', 40_000, true), box('moov', 3000), box('udta', 50)];
    const ends: number[] = [];
    boxes.reduce((at, b) => (ends.push(at + b.length), at + b.length), 0);
    assertHeadCuts(Buffer.concat(boxes), ends.slice(0, -1));
  });

  test('MP4: size 0 (to EOF) ends the walk; bogus sizes and types stop it', () => {
    const ftyp = box('ftyp', 20);
    const toEof = Buffer.concat([ftyp, Buffer.from([0, 0, 0, 0]), ascii('mdat'), filler(5000)]);
    assertHeadCuts(toEof, [ftyp.length]);
    const tiny = Buffer.concat([ftyp, Buffer.from([0, 0, 0, 4]), ascii('free'), filler(5000)]);
    assertHeadCuts(tiny, [ftyp.length]);
    const badType = Buffer.concat([ftyp, Buffer.from([0, 0, 0, 16, 1, 2, 3, 4]), filler(5000)]);
    assertHeadCuts(badType, [ftyp.length]);
    const pastEof = Buffer.concat([ftyp, box('moov', 100)]);
    pastEof.writeUInt32BE(1_000_000, ftyp.length);
    assertHeadCuts(pastEof, [ftyp.length]);
  });

  test('WAV: cut at the start and end of the data chunk body; tags around it', () => {
    const fmt = iffChunk('fmt ', 16, true);
    const list = iffChunk('LIST', 301, true); // odd: padded
    const data = iffChunk('data', 20_000, true);
    const id3 = iffChunk('id3 ', 700, true);
    const file = iffFile('RIFF', 'WAVE', [fmt, list, data, id3]);
    const dataStart = 12 + fmt.length + list.length + 8;
    assertHeadCuts(file, [dataStart, dataStart + 20_000]);
  });

  test('WAV with a placeholder data size: cut at its start only', () => {
    const fmt = iffChunk('fmt ', 16, true);
    const file = iffFile('RIFF', 'WAVE', [fmt, iffChunk('data', 5000, true)]);
    file.writeUInt32LE(0xffff_ffff, 12 + fmt.length + 4);
    assertHeadCuts(file, [12 + fmt.length + 8]);
  });

  test('AIFF: cut at the start and end of the SSND chunk body', () => {
    const comm = iffChunk('COMM', 18, false);
    const name = iffChunk('NAME', 11, false);
    const ssnd = iffChunk('SSND', 30_000, false);
    const file = iffFile('FORM', 'AIFF', [comm, name, ssnd, iffChunk('ID3 ', 400, false)]);
    const start = 12 + comm.length + name.length + 8;
    assertHeadCuts(file, [start, start + 30_000]);
  });

  test('Ogg, bare MP3 frames and unknown formats: done at once, no cuts', () => {
    for (const file of [Buffer.concat([ascii('OggS'), filler(5000)]), mp3Frames(5000), filler(5000, 0), ascii('hello world, not audio')]) {
      const scanner = new HeadBoundaryScanner(file.length);
      assert.deepEqual(scanner.push(0, file), []);
      assert.ok(scanner.done);
    }
  });

  test('a tag claiming past EOF, or up to EOF, gives no cut', () => {
    const tag = id3v2(5000);
    assertHeadCuts(tag.subarray(0, 3000), []);
    assertHeadCuts(tag, []);
    assertHeadCuts(flac([[0, 34], [4, 900]], 2).subarray(0, 500), []);
  });

  test('tiny files and an empty one', () => {
    for (const file of [Buffer.alloc(0), ascii('I'), ascii('ID3'), ascii('fLaC'), Buffer.concat([ascii('fLaC'), Buffer.from([0x80, 0, 0])])]) {
      const { cuts } = headCuts(file, 1);
      assert.deepEqual(cuts, []);
    }
    assert.ok(new HeadBoundaryScanner(0).done);
    assert.ok(new HeadBoundaryScanner(NaN).done);
  });

  test('skipped bytes it needed: it gives up instead of guessing', () => {
    const file = Buffer.concat([id3v2(100), id3v2(100), mp3Frames(1000)]);
    const scanner = new HeadBoundaryScanner(file.length);
    assert.deepEqual(scanner.push(0, file.subarray(0, 50)), [110]);
    assert.deepEqual(scanner.push(200, file.subarray(200)), []);
    assert.ok(scanner.done);
  });

  test('garbage never throws and never cuts outside (0, size)', () => {
    let x = 12345;
    const rand = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    const prefixes = [ascii('ID3'), ascii('fLaC'), ascii('RIFF\0\0\0\0WAVE'), ascii('FORM\0\0\0\0AIFF'), Buffer.from([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70])];
    for (let round = 0; round < 400; round++) {
      const size = 1 + (rand() << 4);
      const file = Buffer.from(Array.from({ length: size }, rand));
      prefixes[round % prefixes.length]!.copy(file, 0);
      const { cuts } = headCuts(file, 1 + rand());
      for (const c of cuts) assert.ok(c > 0 && c < size, `cut ${c} of ${size}`);
      assert.deepEqual(cuts, [...cuts].sort((a, b) => a - b));
    }
  });
});

// ---------------------------------------------------------------------------

function id3v1(enhanced = false): Buffer {
  const v1 = Buffer.concat([ascii('TAG'), filler(125, 0x20)]);
  return enhanced ? Buffer.concat([ascii('TAG+'), filler(223, 0x20), v1]) : v1;
}

/** An APEv2 tag with `items` bytes of items (footer, optional header). */
function apeTag(items: number, withHeader = true): Buffer {
  const part = (isHeader: boolean): Buffer => {
    const b = Buffer.alloc(32);
    b.write('APETAGEX', 0, 'latin1');
    b.writeUInt32LE(2000, 8);
    b.writeUInt32LE(items + 32, 12);
    b.writeUInt32LE(3, 16);
    b.writeUInt32LE(((withHeader ? 0x8000_0000 : 0) | (isHeader ? 0x2000_0000 : 0)) >>> 0, 20);
    return b;
  };
  return Buffer.concat([withHeader ? part(true) : Buffer.alloc(0), filler(items, 0x61), part(false)]);
}

function lyrics3v2(text: number): Buffer {
  const body = Buffer.concat([ascii('LYRICSBEGIN'), filler(text, 0x62)]);
  return Buffer.concat([body, ascii(String(body.length).padStart(6, '0')), ascii('LYRICS200')]);
}

/** Cuts of `file` seen through its last TRAILER_SCAN_BYTES. */
const tailCuts = (file: Buffer): number[] => trailerCuts(file.subarray(Math.max(0, file.length - TRAILER_SCAN_BYTES)), file.length);

describe('trailerCuts', () => {
  const audio = mp3Frames(300_000);

  test('the tail size', () => {
    assert.equal(TRAILER_SCAN_BYTES, 256 * 1024);
  });

  test('no trailer: no cuts', () => {
    assert.deepEqual(tailCuts(audio), []);
    assert.deepEqual(trailerCuts(new Uint8Array(0), 0), []);
  });

  test('ID3v1, with and without the Enhanced TAG+', () => {
    const plain = Buffer.concat([audio, id3v1()]);
    assert.deepEqual(tailCuts(plain), [audio.length]);
    const enhanced = Buffer.concat([audio, id3v1(true)]);
    assert.deepEqual(tailCuts(enhanced), [audio.length]);
  });

  test('APEv2 with a header, then ID3v1', () => {
    const ape = apeTag(1000);
    const file = Buffer.concat([audio, ape, id3v1()]);
    assert.deepEqual(tailCuts(file), [audio.length, audio.length + ape.length]);
  });

  test('APE without a header, alone at the end', () => {
    const file = Buffer.concat([audio, apeTag(500, false)]);
    assert.deepEqual(tailCuts(file), [audio.length]);
  });

  test('an APE tag larger than the tail (a cover) is found from its footer', () => {
    const ape = apeTag(400_000);
    const file = Buffer.concat([audio, ape, id3v1()]);
    assert.deepEqual(tailCuts(file), [audio.length, audio.length + ape.length]);
  });

  test('Lyrics3v2 between APE and ID3v1', () => {
    const ape = apeTag(2000);
    const lyrics = lyrics3v2(3000);
    const file = Buffer.concat([audio, ape, lyrics, id3v1()]);
    const a = audio.length;
    assert.deepEqual(tailCuts(file), [a, a + ape.length, a + ape.length + lyrics.length]);
  });

  test('an APE header where a footer should be, or a bad Lyrics3 size, is not a trailer', () => {
    const header = apeTag(100).subarray(0, 32);
    assert.deepEqual(tailCuts(Buffer.concat([audio, header])), []);
    const badLyrics = Buffer.concat([audio, ascii('LYRICSBEGIN'), ascii('12x456LYRICS200')]);
    assert.deepEqual(tailCuts(badLyrics), []);
    const lyrics = lyrics3v2(100);
    lyrics.write('lyricsbegin', 0, 'latin1');
    assert.deepEqual(tailCuts(Buffer.concat([audio, lyrics])), []);
  });

  test('never a cut at 0: a file that is all trailer', () => {
    assert.deepEqual(tailCuts(id3v1()), []);
    assert.deepEqual(tailCuts(Buffer.concat([ascii('x'), id3v1()])), [1]);
  });

  test('a tail longer than the file, or garbage, gives nothing and never throws', () => {
    assert.deepEqual(trailerCuts(new Uint8Array(10), 5), []);
    assert.deepEqual(trailerCuts(id3v1(), NaN), []);
    let x = 99;
    for (let round = 0; round < 300; round++) {
      const size = 1 + (((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % 2000);
      const tail = Buffer.alloc(size, round);
      const marker = ['TAG', 'APETAGEX', 'LYRICS200', 'TAG+'][round % 4]!;
      if (size > 400) tail.write(marker, size - [128, 32, 9, 355][round % 4]!, 'latin1');
      const cuts = trailerCuts(tail, size + (round % 3) * 1000);
      for (const c of cuts) assert.ok(c > 0 && c < size + (round % 3) * 1000);
    }
  });
});
