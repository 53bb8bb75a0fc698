import type { IAudioMetadata } from 'music-metadata';
import type { AudioProperties, TrackTags } from '../../../src-shared/track.js';

/**
 * Turns music-metadata's output into our TrackTags/AudioProperties: trimmed,
 * NFC, empty strings dropped, nonsense numbers (0, NaN) dropped.
 */

export function cleanText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const s = value.normalize('NFC').trim();
  return s.length > 0 ? s : undefined;
}

function cleanNumber(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return undefined;
  return Math.floor(value);
}

/**
 * ID3v2.3 and v2.2 use '/' to separate several artists, so music-metadata
 * splits `AC/DC` into `AC` and `DC`. Real-world v2.3 files almost always mean
 * a name with a slash, so the values of these frames are joined back.
 */
function rejoinSlashSplitFrame(metadata: IAudioMetadata, frameIds: readonly string[]): string | undefined {
  for (const tagType of ['ID3v2.3', 'ID3v2.2'] as const) {
    const native = metadata.native[tagType];
    if (!native) continue;
    const values = native.filter((t) => frameIds.includes(t.id) && typeof t.value === 'string').map((t) => t.value as string);
    if (values.length > 0) return cleanText(values.join('/'));
  }
  return undefined;
}

export function tagsFromMetadata(metadata: IAudioMetadata): TrackTags {
  const c = metadata.common;
  const tags: TrackTags = { compilation: c.compilation === true };
  const artist = rejoinSlashSplitFrame(metadata, ['TPE1', 'TP1']) ?? cleanText(c.artist);
  const albumArtist = rejoinSlashSplitFrame(metadata, ['TPE2', 'TP2']) ?? cleanText(c.albumartist);
  const album = cleanText(c.album);
  const title = cleanText(c.title);
  const genre = cleanText(c.genre?.find((g) => cleanText(g) !== undefined));
  const year = cleanNumber(c.year) ?? yearFromDate(c.date) ?? yearFromDate(c.originaldate);
  if (artist !== undefined) tags.artist = artist;
  if (albumArtist !== undefined) tags.albumArtist = albumArtist;
  if (album !== undefined) tags.album = album;
  if (title !== undefined) tags.title = title;
  if (genre !== undefined) tags.genre = genre;
  if (year !== undefined && year < 10000) tags.year = year;
  const track = cleanNumber(c.track?.no);
  const trackTotal = cleanNumber(c.track?.of);
  const disc = cleanNumber(c.disk?.no);
  const discTotal = cleanNumber(c.disk?.of);
  if (track !== undefined) tags.track = track;
  if (trackTotal !== undefined) tags.trackTotal = trackTotal;
  if (disc !== undefined) tags.disc = disc;
  if (discTotal !== undefined) tags.discTotal = discTotal;
  return tags;
}

function yearFromDate(date: unknown): number | undefined {
  if (typeof date !== 'string') return undefined;
  const m = /^\s*(\d{4})/.exec(date);
  return m ? cleanNumber(Number(m[1])) : undefined;
}

export function audioFromMetadata(metadata: IAudioMetadata): AudioProperties {
  const f = metadata.format;
  const audio: AudioProperties = {};
  const container = cleanText(f.container);
  const codec = cleanText(f.codec);
  if (container !== undefined) audio.container = container;
  if (codec !== undefined) audio.codec = codec;
  if (typeof f.duration === 'number' && Number.isFinite(f.duration) && f.duration > 0) audio.durationSec = f.duration;
  const bitrate = cleanNumber(f.bitrate);
  const sampleRate = cleanNumber(f.sampleRate);
  const channels = cleanNumber(f.numberOfChannels);
  if (bitrate !== undefined) audio.bitrate = bitrate;
  if (sampleRate !== undefined) audio.sampleRate = sampleRate;
  if (channels !== undefined) audio.channels = channels;
  return audio;
}

/**
 * True when the parse found an audio stream. Every supported format states
 * its sample rate in its headers; random bytes named .mp3 parse as a bogus
 * ADTS stream without one, an empty file as nothing at all.
 */
export function looksLikeAudio(audio: AudioProperties): boolean {
  return audio.sampleRate !== undefined;
}
