/**
 * Fast writers of tagged audio files: a few short base recordings are made
 * with ffmpeg once, then any number of differently tagged copies are produced
 * in memory by rewriting the tag blocks in TypeScript (no process per file).
 *
 * - FLAC: STREAMINFO (and any other non-comment block) kept, old
 *   VORBIS_COMMENT and PADDING dropped, a fresh VORBIS_COMMENT appended as the
 *   last metadata block, audio frames unchanged.
 * - MP3: any ID3v2 header and ID3v1 trailer stripped, a new ID3v2.3 (UTF-16
 *   with BOM) or ID3v2.4 (UTF-8) tag prepended; the LAME/Xing frame and the
 *   audio frames that follow are kept byte for byte.
 *
 * Everything is deterministic: the same base and tags give the same bytes.
 */
import type { TrackTags } from '../../src-shared/track.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg } from './ffmpeg-tools.js';

// ---------------------------------------------------------------------------
// Base recordings

export interface BaseAudioSpec {
  /** Sine frequency in Hz (a distinct one per base gives distinct audio). */
  frequency: number;
  sampleRate: number;
  durationSec: number;
}

export interface BaseAudio {
  flac: Buffer;
  mp3: Buffer;
}

/** Short mono bases; bit-exact muxers and one thread, so the bytes are stable. */
export const DEFAULT_BASE_SPEC: BaseAudioSpec = { frequency: 440, sampleRate: 16_000, durationSec: 3 };

/**
 * Makes one FLAC and one MP3 (CBR 32 kb/s, Xing/Info frame, no ID3) with
 * ffmpeg in `scratchDir` and returns their bytes. The files stay in
 * `scratchDir` (named `base-<freq>.flac` / `.mp3`); the caller removes it.
 */
export async function makeBaseAudio(scratchDir: string, spec: BaseAudioSpec = DEFAULT_BASE_SPEC): Promise<BaseAudio> {
  const source = `sine=frequency=${spec.frequency}:sample_rate=${spec.sampleRate}:duration=${spec.durationSec}`;
  const common = ['-f', 'lavfi', '-i', source, '-ac', '1', '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact', '-threads', '1'];
  const flacPath = join(scratchDir, `base-${spec.frequency}.flac`);
  const mp3Path = join(scratchDir, `base-${spec.frequency}.mp3`);
  await runFfmpeg([...common, '-c:a', 'flac', flacPath]);
  await runFfmpeg([...common, '-c:a', 'libmp3lame', '-b:a', '32k', '-id3v2_version', '0', '-write_id3v1', '0', '-write_xing', '1', mp3Path]);
  return { flac: await readFile(flacPath), mp3: await readFile(mp3Path) };
}

// ---------------------------------------------------------------------------
// Common tag shape

/**
 * The tags the generators set: the catalog's own tag shape, every field
 * optional (missing tags are part of the mess). A track number is written as
 * "n/total" in ID3 when `trackTotal` is set.
 */
export type AudioTags = Partial<TrackTags>;

/** The Vorbis comment fields for `tags` (what `flacWithTags` takes). */
export function vorbisComments(tags: AudioTags): Record<string, string> {
  const out: Record<string, string> = {};
  if (tags.title !== undefined) out['TITLE'] = tags.title;
  if (tags.artist !== undefined) out['ARTIST'] = tags.artist;
  if (tags.albumArtist !== undefined) out['ALBUMARTIST'] = tags.albumArtist;
  if (tags.album !== undefined) out['ALBUM'] = tags.album;
  if (tags.track !== undefined) out['TRACKNUMBER'] = String(tags.track);
  if (tags.trackTotal !== undefined) out['TRACKTOTAL'] = String(tags.trackTotal);
  if (tags.disc !== undefined) out['DISCNUMBER'] = String(tags.disc);
  if (tags.discTotal !== undefined) out['DISCTOTAL'] = String(tags.discTotal);
  if (tags.year !== undefined) out['DATE'] = String(tags.year);
  if (tags.genre !== undefined) out['GENRE'] = tags.genre;
  if (tags.compilation === true) out['COMPILATION'] = '1';
  return out;
}

// ---------------------------------------------------------------------------
// FLAC

const FLAC_MAGIC = Buffer.from('fLaC', 'latin1');
const FLAC_STREAMINFO = 0;
const FLAC_PADDING = 1;
const FLAC_VORBIS_COMMENT = 4;
const FLAC_MAX_BLOCK = 0xff_ffff;
export const TAG_VENDOR = 'musicfs test writer';

interface FlacBlock {
  type: number;
  body: Buffer;
}

function parseFlac(base: Buffer): { blocks: FlacBlock[]; audio: Buffer } {
  if (base.length < 8 || !base.subarray(0, 4).equals(FLAC_MAGIC)) throw new Error('flacWithTags: base is not a FLAC stream (no fLaC marker)');
  const blocks: FlacBlock[] = [];
  let off = 4;
  for (;;) {
    if (off + 4 > base.length) throw new Error('flacWithTags: truncated metadata block header');
    const header = base[off]!;
    const length = base.readUIntBE(off + 1, 3);
    const start = off + 4;
    if (start + length > base.length) throw new Error('flacWithTags: truncated metadata block');
    blocks.push({ type: header & 0x7f, body: base.subarray(start, start + length) });
    off = start + length;
    if ((header & 0x80) !== 0) break;
  }
  if (blocks[0]?.type !== FLAC_STREAMINFO) throw new Error('flacWithTags: first metadata block is not STREAMINFO');
  return { blocks, audio: base.subarray(off) };
}

function vorbisCommentBody(comments: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const vendor = Buffer.from(TAG_VENDOR, 'utf8');
  parts.push(u32(vendor.length), vendor);
  const entries = Object.entries(comments);
  parts.push(u32(entries.length));
  for (const [key, value] of entries) {
    if (key === '' || /[^\x20-\x7d]|=/.test(key)) throw new Error(`flacWithTags: invalid Vorbis comment field name ${JSON.stringify(key)}`);
    const c = Buffer.from(`${key}=${value}`, 'utf8');
    parts.push(u32(c.length), c);
  }
  return Buffer.concat(parts);
}

/**
 * A copy of `baseFlac` whose only tags are `tags` (Vorbis comment field →
 * value, e.g. `{ ARTIST: 'x', TRACKNUMBER: '3' }`; see `vorbisComments`).
 */
export function flacWithTags(baseFlac: Buffer, tags: Record<string, string>): Buffer {
  const { blocks, audio } = parseFlac(baseFlac);
  const kept = blocks.filter((b) => b.type !== FLAC_VORBIS_COMMENT && b.type !== FLAC_PADDING);
  kept.push({ type: FLAC_VORBIS_COMMENT, body: vorbisCommentBody(tags) });
  const out: Buffer[] = [FLAC_MAGIC];
  kept.forEach((block, i) => {
    if (block.body.length > FLAC_MAX_BLOCK) throw new Error('flacWithTags: metadata block over 16 MiB');
    const header = Buffer.alloc(4);
    header[0] = (i === kept.length - 1 ? 0x80 : 0) | block.type;
    header.writeUIntBE(block.body.length, 1, 3);
    out.push(header, block.body);
  });
  out.push(audio);
  return Buffer.concat(out);
}

// ---------------------------------------------------------------------------
// MP3 / ID3v2

function synchsafe(n: number): Buffer {
  if (n < 0 || n > 0x0fff_ffff) throw new Error(`mp3WithId3: size ${n} does not fit in a synchsafe integer`);
  return Buffer.from([(n >>> 21) & 0x7f, (n >>> 14) & 0x7f, (n >>> 7) & 0x7f, n & 0x7f]);
}

function readSynchsafe(b: Buffer, off: number): number {
  return ((b[off]! & 0x7f) << 21) | ((b[off + 1]! & 0x7f) << 14) | ((b[off + 2]! & 0x7f) << 7) | (b[off + 3]! & 0x7f);
}

/** The base without leading ID3v2 tags (several may be stacked) and without an ID3v1 trailer. */
export function stripId3(mp3: Buffer): Buffer {
  let start = 0;
  while (start + 10 <= mp3.length && mp3.toString('latin1', start, start + 3) === 'ID3') {
    const flags = mp3[start + 5]!;
    const footer = mp3[start + 3] === 4 && (flags & 0x10) !== 0 ? 10 : 0;
    start += 10 + readSynchsafe(mp3, start + 6) + footer;
  }
  let end = mp3.length;
  if (end - start >= 128 && mp3.toString('latin1', end - 128, end - 125) === 'TAG') end -= 128;
  return mp3.subarray(start, end);
}

function textFrameBody(text: string, version: 3 | 4): Buffer {
  if (version === 4) return Buffer.concat([Buffer.from([0x03]), Buffer.from(text, 'utf8')]);
  // Encoding 1: UTF-16 with a byte-order mark (little-endian here).
  return Buffer.concat([Buffer.from([0x01, 0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

function frame(id: string, body: Buffer, version: 3 | 4): Buffer {
  const header = Buffer.alloc(10);
  header.write(id, 0, 4, 'latin1');
  if (version === 4) synchsafe(body.length).copy(header, 4);
  else header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

const numberPair = (n: number, total: number | undefined): string => (total !== undefined ? `${n}/${total}` : String(n));

/**
 * A copy of `baseMp3` with a new ID3v2.`version` tag in front holding
 * TIT2/TPE1/TPE2/TALB/TRCK/TPOS/TYER (v2.3) or TDRC (v2.4)/TCON, and TCMP for
 * compilations (the iTunes frame most readers take). `padding` bytes of
 * zeros follow the frames, as real taggers leave room to grow.
 */
export function mp3WithId3(baseMp3: Buffer, tags: AudioTags, version: 3 | 4, padding = 0): Buffer {
  const frames: Buffer[] = [];
  const text = (id: string, value: string | undefined): void => {
    if (value !== undefined) frames.push(frame(id, textFrameBody(value, version), version));
  };
  text('TIT2', tags.title);
  text('TPE1', tags.artist);
  text('TPE2', tags.albumArtist);
  text('TALB', tags.album);
  text('TRCK', tags.track !== undefined ? numberPair(tags.track, tags.trackTotal) : undefined);
  text('TPOS', tags.disc !== undefined ? numberPair(tags.disc, tags.discTotal) : undefined);
  text(version === 4 ? 'TDRC' : 'TYER', tags.year !== undefined ? String(tags.year) : undefined);
  text('TCON', tags.genre);
  if (tags.compilation === true) text('TCMP', '1');
  const body = Buffer.concat([...frames, Buffer.alloc(padding)]);
  const header = Buffer.concat([Buffer.from('ID3', 'latin1'), Buffer.from([version, 0, 0]), synchsafe(body.length)]);
  return Buffer.concat([header, body, stripId3(baseMp3)]);
}
