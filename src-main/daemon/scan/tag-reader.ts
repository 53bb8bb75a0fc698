import { open } from 'node:fs/promises';
import { parseFile, parseFromTokenizer, type IAudioMetadata, type IOptions } from 'music-metadata';
import { fromFile } from 'strtok3';
import type { AudioProperties, TrackTags } from '../../../src-shared/track.js';
import { fingerprintOf, fingerprintRanges } from './fingerprint.js';
import { audioFromMetadata, looksLikeAudio, tagsFromMetadata } from './tag-normalise.js';

/** What reading one local audio file yields. */
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
  const handle = await open(absPath, 'r');
  let size: number;
  let mtimeMs: number;
  let fingerprint: string;
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new TrackReadError('not a regular file');
    if (st.size === 0) throw new TrackReadError('empty file');
    size = st.size;
    mtimeMs = st.mtimeMs;
    const parts = await Promise.all(
      fingerprintRanges(size).map(async ({ position, length }) => {
        const buf = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buf, 0, length, position);
        return buf.subarray(0, bytesRead);
      }),
    );
    fingerprint = fingerprintOf(size, parts);
  } finally {
    await handle.close();
  }
  const metadata = await parseAudio(absPath);
  return { size, mtimeMs, fingerprint, tags: tagsFromMetadata(metadata), audio: audioFromMetadata(metadata) };
}

/**
 * Parses by content first (the parser is chosen from the file's magic bytes,
 * so a mislabelled file — an Ogg named .mp3 — is read right), then by
 * extension for files whose content sniffing fails (an MP3 that starts with
 * junk). A parse that finds no audio stream counts as a failure.
 */
async function parseAudio(absPath: string): Promise<IAudioMetadata> {
  let firstError: unknown;
  const tokenizer = await fromFile(absPath);
  try {
    // Without a path or MIME type, music-metadata picks the parser from the content.
    tokenizer.fileInfo.path = undefined;
    const metadata = await parseFromTokenizer(tokenizer, PARSE_OPTIONS);
    if (looksLikeAudio(audioFromMetadata(metadata))) return metadata;
    firstError = new TrackReadError('no audio stream found');
  } catch (err) {
    firstError = err;
  } finally {
    await tokenizer.close();
  }
  try {
    const metadata = await parseFile(absPath, PARSE_OPTIONS);
    if (looksLikeAudio(audioFromMetadata(metadata))) return metadata;
  } catch {
    // The content-based error says more.
  }
  throw new TrackReadError(describeParseFailure(firstError));
}

function describeParseFailure(err: unknown): string {
  if (err instanceof TrackReadError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  // music-metadata appends the path; the report carries the path already.
  const clean = message.replace(/: \/.*$/, '').trim();
  if (/end-of-stream|EndOfStreamError/i.test(clean)) return 'truncated or corrupt file (unexpected end of data)';
  if (/determine audio format|Guessed MIME-type not supported/i.test(clean)) return 'not a recognised audio format';
  return `unreadable audio file: ${clean}`;
}
