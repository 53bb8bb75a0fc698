/**
 * Where an audio file's payload starts and ends, as forced chunk cuts: tags
 * live before the payload (ID3v2, FLAC metadata blocks, MP4 boxes, RIFF/AIFF
 * chunks) or after it (APEv2, Lyrics3v2, ID3v1). With a cut on each side a
 * retag changes only the small chunks around the tags, and two copies of a
 * song that differ only in tags share every audio chunk.
 *
 * Pure: no I/O. Garbage never throws; it just yields no (further) cuts.
 * Every cut is an absolute offset with 0 < cut < fileSize.
 */

const KIB = 1024;

/**
 * How many bytes at the end of a file `trailerCuts` wants: ID3v1 (128) +
 * Enhanced TAG (227) + a Lyrics3v2 block (usually a few KiB; its 6-digit size
 * allows up to ~1 MB) + an APEv2 footer (32; only the footer is needed, so an
 * APE tag with a big cover is found however large it is). 256 KiB covers
 * real files with room to spare and is one average chunk: holding that much
 * back until the tail is known costs little memory.
 */
export const TRAILER_SCAN_BYTES = 256 * KIB;

// ---------------------------------------------------------------------------
// Byte helpers

/** Whether `bytes` holds the ASCII `text` at `at` (false when out of range). */
function hasAscii(bytes: Uint8Array, at: number, text: string): boolean {
  if (at < 0 || at + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

const u32be = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const u32le = (b: Uint8Array, at: number): number => ((b[at + 3]! << 24) | (b[at + 2]! << 16) | (b[at + 1]! << 8) | b[at]!) >>> 0;
const u24be = (b: Uint8Array, at: number): number => (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;

/** A four-character code of printable ASCII (or ©, as in iTunes' "©nam"). */
function isFourCC(b: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 4; i++) {
    const c = b[i];
    if (c === undefined || ((c < 0x20 || c > 0x7e) && c !== 0xa9)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Head

/** Enough for every signature below (ID3v2 header 10, MP4 box with largesize 16, RIFF/FORM 12). */
const SIGNATURE_BYTES = 16;
const ID3V2_HEADER_BYTES = 10;
const FLAC_BLOCK_HEADER_BYTES = 4;
const FLAC_INVALID_BLOCK_TYPE = 127;
const MP4_BOX_HEADER_BYTES = 16;
const IFF_CHUNK_HEADER_BYTES = 8;
/** Box types an MP4/QuickTime file may open with. */
const MP4_FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);

/** Parses the header bytes it waited for (fewer than asked near the end of the file). */
type HeaderParser = (header: Uint8Array, at: number, cuts: number[]) => void;

/**
 * Finds the head cuts of a file streamed from offset 0. Each cut is announced
 * by a header before it (a tag size, a block length, a box size), so the cut
 * is known before the bytes at the cut arrive. The scanner keeps only the
 * header it is waiting for (at most 16 bytes).
 */
export class HeadBoundaryScanner {
  readonly #fileSize: number;
  /** The header waited for; undefined once done. */
  #need: { at: number; length: number; parse: HeaderParser } | undefined;
  readonly #header = new Uint8Array(SIGNATURE_BYTES);
  #have = 0;
  /** Where the header last parsed lies (its bytes are still in #header). */
  #heldAt = 0;
  #heldLength = 0;
  #lastCut = 0;

  /** `fileSize` bounds everything (a header claiming past EOF is ignored). */
  constructor(fileSize: number) {
    this.#fileSize = Number.isSafeInteger(fileSize) && fileSize > 0 ? fileSize : 0;
    this.#expect(0, SIGNATURE_BYTES, this.#parseSignature);
  }

  /** True once no more head cuts can come (payload start known, format unknown, or garbage). */
  get done(): boolean {
    return this.#need === undefined;
  }

  /**
   * Feeds bytes at absolute `offset` (in order, contiguous from 0). Returns
   * the cuts newly discovered (absolute offsets, ascending).
   */
  push(offset: number, data: Uint8Array): number[] {
    const cuts: number[] = [];
    const dataEnd = offset + data.length;
    while (this.#need !== undefined) {
      const need = this.#need;
      if (this.#have < need.length) {
        const next = need.at + this.#have;
        if (next < offset) {
          // The bytes we waited for were skipped: give up rather than guess.
          this.#need = undefined;
          break;
        }
        if (next >= dataEnd) break;
        const take = Math.min(need.length - this.#have, dataEnd - next);
        this.#header.set(data.subarray(next - offset, next - offset + take), this.#have);
        this.#have += take;
        if (this.#have < need.length) break;
      }
      this.#need = undefined;
      this.#heldAt = need.at;
      this.#heldLength = need.length;
      need.parse.call(this, this.#header.subarray(0, need.length), need.at, cuts);
    }
    return cuts;
  }

  /**
   * Waits for `length` bytes at `at` (fewer if the file ends first), or gives
   * up at EOF. The next header may start inside the one just parsed (a
   * 4-byte FLAC block header after a 16-byte signature read): those bytes
   * are taken from it, as they may have arrived in an earlier push.
   */
  #expect(at: number, length: number, parse: HeaderParser): void {
    const available = Math.min(length, this.#fileSize - at);
    this.#need = available > 0 ? { at, length: available, parse } : undefined;
    this.#have = 0;
    const heldFrom = at - this.#heldAt;
    if (this.#need !== undefined && heldFrom >= 0 && heldFrom < this.#heldLength) {
      this.#header.copyWithin(0, heldFrom, this.#heldLength);
      this.#have = Math.min(available, this.#heldLength - heldFrom);
    }
  }

  #cut(at: number, cuts: number[]): void {
    if (at > this.#lastCut && at < this.#fileSize) {
      cuts.push(at);
      this.#lastCut = at;
    }
  }

  /** The start of the file, or what follows an ID3v2 tag. */
  #parseSignature(b: Uint8Array, at: number, cuts: number[]): void {
    if (b.length >= ID3V2_HEADER_BYTES && hasAscii(b, 0, 'ID3')) return this.#parseId3v2(b, at, cuts);
    if (hasAscii(b, 0, 'fLaC')) return this.#expect(at + 4, FLAC_BLOCK_HEADER_BYTES, this.#parseFlacBlock);
    if (at !== 0 || b.length < 12) return; // done: MP3 frames, Ogg (a comment change renumbers every page: no useful cut), unknown
    if (hasAscii(b, 0, 'RIFF') && hasAscii(b, 8, 'WAVE')) return this.#expect(12, IFF_CHUNK_HEADER_BYTES, this.#parseWavChunk);
    if (hasAscii(b, 0, 'FORM') && (hasAscii(b, 8, 'AIFF') || hasAscii(b, 8, 'AIFC'))) return this.#expect(12, IFF_CHUNK_HEADER_BYTES, this.#parseAiffChunk);
    if (MP4_FIRST_BOXES.has(String.fromCharCode(b[4]!, b[5]!, b[6]!, b[7]!))) return this.#parseMp4Box(b, 0, cuts);
  }

  /** ID3v2: 10-byte header, synchsafe size, +10 for a v2.4 footer; another tag or the audio follows. */
  #parseId3v2(b: Uint8Array, at: number, cuts: number[]): void {
    const version = b[3]!;
    const flags = b[5]!;
    if (version < 2 || version > 4 || b[4] === 0xff || (b[6]! | b[7]! | b[8]! | b[9]!) & 0x80) return;
    const size = (b[6]! << 21) | (b[7]! << 14) | (b[8]! << 7) | b[9]!;
    const footer = version === 4 && (flags & 0x10) !== 0 ? 10 : 0;
    const end = at + ID3V2_HEADER_BYTES + size + footer;
    if (end >= this.#fileSize) return;
    this.#cut(end, cuts);
    this.#expect(end, SIGNATURE_BYTES, this.#parseSignature); // stacked ID3v2, or "ID3v2 then fLaC"
  }

  /** FLAC metadata block header: last-block flag, 7-bit type, 24-bit length; the frames follow the last block. */
  #parseFlacBlock(b: Uint8Array, at: number, cuts: number[]): void {
    if (b.length < FLAC_BLOCK_HEADER_BYTES || (b[0]! & 0x7f) === FLAC_INVALID_BLOCK_TYPE) return;
    const end = at + FLAC_BLOCK_HEADER_BYTES + u24be(b, 1);
    if (end > this.#fileSize) return;
    if ((b[0]! & 0x80) !== 0) return this.#cut(end, cuts);
    this.#expect(end, FLAC_BLOCK_HEADER_BYTES, this.#parseFlacBlock);
  }

  /** MP4 top-level box: 32-bit size (1: 64-bit largesize follows the type; 0: to EOF), type. Cut at every box end. */
  #parseMp4Box(b: Uint8Array, at: number, cuts: number[]): void {
    if (b.length < 8 || !isFourCC(b, 4)) return;
    let size = u32be(b, 0);
    if (size === 0) return; // runs to EOF: no further boundary
    if (size === 1) {
      if (b.length < 16) return;
      size = u32be(b, 8) * 2 ** 32 + u32be(b, 12);
      if (size < 16) return;
    } else if (size < 8) return;
    const end = at + size;
    if (end > this.#fileSize) return;
    this.#cut(end, cuts);
    this.#expect(end, MP4_BOX_HEADER_BYTES, this.#parseMp4Box);
  }

  #parseWavChunk(b: Uint8Array, at: number, cuts: number[]): void {
    this.#parseIffChunk(b, at, cuts, 'data', u32le, this.#parseWavChunk);
  }

  #parseAiffChunk(b: Uint8Array, at: number, cuts: number[]): void {
    this.#parseIffChunk(b, at, cuts, 'SSND', u32be, this.#parseAiffChunk);
  }

  /**
   * RIFF/IFF chunk walk (id, size, body padded to even): cut at the start and
   * end of the sample chunk's body; tags live in the other chunks (LIST,
   * "id3 ", ID3, NAME...). Done after the sample chunk.
   */
  #parseIffChunk(b: Uint8Array, at: number, cuts: number[], sampleId: string, readSize: (b: Uint8Array, at: number) => number, next: HeaderParser): void {
    if (b.length < IFF_CHUNK_HEADER_BYTES || !isFourCC(b, 0)) return;
    const bodyStart = at + IFF_CHUNK_HEADER_BYTES;
    const bodyEnd = bodyStart + readSize(b, 4);
    if (hasAscii(b, 0, sampleId)) {
      // The start stands even when the size is a placeholder (streamed WAV: 0 or 0xFFFFFFFF).
      this.#cut(bodyStart, cuts);
      if (bodyEnd > bodyStart && bodyEnd <= this.#fileSize) this.#cut(bodyEnd, cuts);
      return;
    }
    const padded = bodyEnd + (bodyEnd & 1);
    if (padded > this.#fileSize) return;
    this.#expect(padded, IFF_CHUNK_HEADER_BYTES, next);
  }
}

// ---------------------------------------------------------------------------
// Tail

const ID3V1_BYTES = 128;
const ID3V1_ENHANCED_BYTES = 227;
const APE_FOOTER_BYTES = 32;
const APE_FLAG_HAS_HEADER = 0x8000_0000;
const APE_FLAG_IS_HEADER = 0x2000_0000;
const LYRICS3V2_END_BYTES = 15; // 6-digit size + "LYRICS200"
/** Trailer blocks stack (APE, Lyrics3, ID3v1 in some order); more than this is garbage. */
const MAX_TRAILER_BLOCKS = 8;

/**
 * Where the trailer block ending at `end` (index into `tail`) starts, as an
 * index into `tail` (negative: before the tail), or undefined if none ends there.
 */
function trailerBlockStart(tail: Uint8Array, end: number): number | undefined {
  if (hasAscii(tail, end - ID3V1_BYTES, 'TAG')) {
    const start = end - ID3V1_BYTES;
    // The Enhanced TAG+ extends ID3v1 backwards: one block with it.
    return hasAscii(tail, start - ID3V1_ENHANCED_BYTES, 'TAG+') ? start - ID3V1_ENHANCED_BYTES : start;
  }
  const footer = end - APE_FOOTER_BYTES;
  if (hasAscii(tail, footer, 'APETAGEX')) {
    const size = u32le(tail, footer + 12); // items + footer, without the header
    const flags = u32le(tail, footer + 20);
    if ((flags & APE_FLAG_IS_HEADER) !== 0 || size < APE_FOOTER_BYTES) return undefined;
    const start = end - size - ((flags & APE_FLAG_HAS_HEADER) !== 0 ? APE_FOOTER_BYTES : 0);
    if (start >= 0 && (flags & APE_FLAG_HAS_HEADER) !== 0 && !hasAscii(tail, start, 'APETAGEX')) return undefined;
    return start;
  }
  if (hasAscii(tail, end - 9, 'LYRICS200')) {
    const digits = end >= LYRICS3V2_END_BYTES ? String.fromCharCode(...tail.subarray(end - LYRICS3V2_END_BYTES, end - 9)) : '';
    if (!/^\d{6}$/.test(digits)) return undefined;
    const start = end - LYRICS3V2_END_BYTES - Number(digits);
    if (start >= 0 && !hasAscii(tail, start, 'LYRICSBEGIN')) return undefined;
    return start;
  }
  return undefined;
}

/**
 * The cuts at the start of each trailer block (ID3v1 with its Enhanced TAG+,
 * APEv1/v2, Lyrics3v2), ascending, absolute; `tail` is the last `tail.length`
 * bytes of the file (up to TRAILER_SCAN_BYTES). A block reaching before the
 * tail is still reported (its footer tells its size) but ends the search.
 * Audio that happens to hold "TAG" 128 bytes before EOF gives a needless cut,
 * which costs one more chunk and nothing else.
 */
export function trailerCuts(tail: Uint8Array, fileSize: number): number[] {
  const tailStart = fileSize - tail.length;
  if (!Number.isSafeInteger(fileSize) || tailStart < 0) return [];
  const cuts: number[] = [];
  let end = tail.length;
  for (let i = 0; i < MAX_TRAILER_BLOCKS; i++) {
    const start = trailerBlockStart(tail, end);
    if (start === undefined || start >= end || tailStart + start <= 0) break;
    cuts.push(tailStart + start);
    if (start < 0) break;
    end = start;
  }
  return cuts.reverse();
}
