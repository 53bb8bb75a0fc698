import type { AudioProperties, TrackTags } from '../../../src-shared/track.js';

/**
 * A track as the catalog stores it, and the one mapping from SQLite rows to
 * it: shared by the catalog (main thread) and the search worker.
 */

/** One audio file on one origin. `path` is relative to the origin root, '/'-separated. */
export interface TrackRecord {
  id: number;
  originId: number;
  path: string;
  size: number;
  mtimeMs: number;
  fingerprint: string;
  audio: AudioProperties;
  tags: TrackTags;
  scannedAt: number;
}

export interface TrackRow {
  id: number;
  origin_id: number;
  path: string;
  size: number;
  mtime_ms: number;
  fingerprint: string;
  container: string | null;
  codec: string | null;
  duration_sec: number | null;
  bitrate: number | null;
  sample_rate: number | null;
  channels: number | null;
  artist: string | null;
  album_artist: string | null;
  album: string | null;
  title: string | null;
  track_no: number | null;
  track_total: number | null;
  disc_no: number | null;
  disc_total: number | null;
  year: number | null;
  genre: string | null;
  compilation: number;
  scanned_at: number;
}

/** The columns of a track row, in the order `trackFromRaw` reads them. */
export const TRACK_COLUMNS = [
  'id', 'origin_id', 'path', 'size', 'mtime_ms', 'fingerprint', 'container', 'codec', 'duration_sec', 'bitrate',
  'sample_rate', 'channels', 'artist', 'album_artist', 'album', 'title', 'track_no', 'track_total', 'disc_no',
  'disc_total', 'year', 'genre', 'compilation', 'scanned_at',
] as const satisfies readonly (keyof TrackRow)[];

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** A raw row of TRACK_COLUMNS as a TrackRow (positional: no per-row key lookups). */
export function rowFromRaw(v: unknown[]): TrackRow {
  return {
    id: v[0], origin_id: v[1], path: v[2], size: v[3], mtime_ms: v[4], fingerprint: v[5], container: v[6], codec: v[7],
    duration_sec: v[8], bitrate: v[9], sample_rate: v[10], channels: v[11], artist: v[12], album_artist: v[13], album: v[14],
    title: v[15], track_no: v[16], track_total: v[17], disc_no: v[18], disc_total: v[19], year: v[20], genre: v[21],
    compilation: v[22], scanned_at: v[23],
  } as TrackRow;
}

export function trackFromRow(r: TrackRow): TrackRecord {
  const audio: AudioProperties = {};
  if (r.container !== null) audio.container = r.container;
  if (r.codec !== null) audio.codec = r.codec;
  if (r.duration_sec !== null) audio.durationSec = r.duration_sec;
  if (r.bitrate !== null) audio.bitrate = r.bitrate;
  if (r.sample_rate !== null) audio.sampleRate = r.sample_rate;
  if (r.channels !== null) audio.channels = r.channels;
  const tags: TrackTags = { compilation: r.compilation === 1 };
  const set = <K extends keyof TrackTags>(k: K, v: TrackTags[K] | null): void => {
    const value = opt(v);
    if (value !== undefined) tags[k] = value;
  };
  set('artist', r.artist);
  set('albumArtist', r.album_artist);
  set('album', r.album);
  set('title', r.title);
  set('track', r.track_no);
  set('trackTotal', r.track_total);
  set('disc', r.disc_no);
  set('discTotal', r.disc_total);
  set('year', r.year);
  set('genre', r.genre);
  return {
    id: r.id,
    originId: r.origin_id,
    path: r.path,
    size: r.size,
    mtimeMs: r.mtime_ms,
    fingerprint: r.fingerprint,
    audio,
    tags,
    scannedAt: r.scanned_at,
  };
}

/**
 * What the library keeps in memory per track: enough to build the tree and
 * read the file, not the tags (the name is rendered once and stored).
 */
export interface IndexedTrack {
  id: number;
  originId: number;
  path: string;
  size: number;
  mtimeMs: number;
  fingerprint: string;
  /** Path components the layout gave it (before collisions are resolved). */
  name: readonly string[];
}

/** A raw row of TRACK_COLUMNS → TrackRecord. */
export function trackFromRaw(v: unknown[]): TrackRecord {
  return trackFromRow(rowFromRaw(v));
}
