import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseFromTokenizer, type IAudioMetadata, type IOptions } from 'music-metadata';
import type { AudioProperties, TrackTags } from '../../../src-shared/track.js';
import { fingerprintOf, fingerprintRanges } from './fingerprint.js';
import { RangeTokenizer } from './range-tokenizer.js';
import { SegmentCache, type ByteRangeReader } from './segment-cache.js';
import { audioFromMetadata, looksLikeAudio, tagsFromMetadata } from './tag-normalise.js';

/**
 * Reads one audio file's fingerprint, tags and stream properties.
 *
 * The fingerprint's head and tail ranges are loaded first, and the parser
 * reads through the same segment cache: tags live at the head (ID3v2, FLAC
 * and Vorbis comments, usually MP4 moov) or the tail (ID3v1, APE), so most
 * files cost one open and two reads, and a bigger tag block grows the range
 * only where needed. Meant for worker threads: the file calls are
 * synchronous, which blocks only the worker and spares a thread-pool round
 * trip per tiny read.
 */

export interface ReadTrack {
  /** Size and mtime as seen by the read itself (a file may change after the walk). */
  size: number;
  mtimeMs: number;
  fingerprint: string;
  tags: TrackTags;
  audio: AudioProperties;
}

/** A file that cannot be read as audio; `reason` is one line for the scan report. */
export class TrackReadError extends Error {
  override readonly name = 'TrackReadError';
}

const PARSE_OPTIONS: IOptions = {
  // Never read a whole file to compute a duration: headers (STREAMINFO, Xing,
  // moov) give it for all but headerless VBR MP3s.
  duration: false,
  skipCovers: true,
};

export async function readLocalTrack(absPath: string): Promise<ReadTrack> {
  const fd = openSync(absPath, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new TrackReadError('not a regular file');
    if (st.size === 0) throw new TrackReadError('empty file');
    const reader: ByteRangeReader = {
      size: st.size,
      read: (target, offset, length, position) => Promise.resolve(readSync(fd, target, offset, length, position)),
    };
    return { size: st.size, mtimeMs: st.mtimeMs, ...(await readTrackFrom(reader, absPath)) };
  } finally {
    closeSync(fd);
  }
}

/** Fingerprint, tags and audio properties of any byte source (local or remote). */
export async function readTrackFrom(reader: ByteRangeReader, name: string): Promise<Omit<ReadTrack, 'size' | 'mtimeMs'>> {
  const cache = new SegmentCache(reader);
  const ranges = fingerprintRanges(reader.size);
  for (const r of ranges) await cache.load(r.position, r.length);
  const parts = ranges.map((r) => cache.slice(r.position, r.length) ?? new Uint8Array(0));
  const fingerprint = fingerprintOf(reader.size, parts);
  const metadata = await parseAudio(cache, name);
  return { fingerprint, tags: tagsFromMetadata(metadata), audio: audioFromMetadata(metadata) };
}

/**
 * Parses by content first (the parser is chosen from the file's magic bytes,
 * so a mislabelled file — an Ogg named .mp3 — is read right), then by
 * extension for files whose content sniffing fails (an MP3 that starts with
 * junk). A parse that finds no audio stream counts as a failure.
 */
async function parseAudio(cache: SegmentCache, name: string): Promise<IAudioMetadata> {
  let firstError: unknown;
  try {
    const metadata = await parseFromTokenizer(new RangeTokenizer(cache), PARSE_OPTIONS);
    if (looksLikeAudio(audioFromMetadata(metadata))) return metadata;
    firstError = new TrackReadError('no audio stream found');
  } catch (err) {
    firstError = err;
  }
  try {
    const metadata = await parseFromTokenizer(new RangeTokenizer(cache, { path: name }), PARSE_OPTIONS);
    if (looksLikeAudio(audioFromMetadata(metadata))) return metadata;
  } catch {
    // The content-based error says more.
  }
  throw new TrackReadError(describeParseFailure(firstError));
}

function describeParseFailure(err: unknown): string {
  if (err instanceof TrackReadError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  // music-metadata may append the path; the report carries the path already.
  const clean = message.replace(/: \/.*$/, '').trim();
  if (/end-of-stream|EndOfStreamError/i.test(clean)) return 'truncated or corrupt file (unexpected end of data)';
  if (/determine audio format|Guessed MIME-type not supported/i.test(clean)) return 'not a recognised audio format';
  return `unreadable audio file: ${clean}`;
}
