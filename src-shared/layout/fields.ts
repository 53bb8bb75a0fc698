/**
 * The fields a layout template can use (beets-like names) and how each is
 * computed from a track, fallbacks included.
 */
import type { AudioProperties, LayoutInput } from '../track.js';

export type LayoutFieldKind = 'text' | 'number';

export interface LayoutFieldInfo {
  readonly name: LayoutFieldName;
  /** Only number fields accept a format spec such as `:02`. */
  readonly kind: LayoutFieldKind;
  readonly description: string;
}

/** Field values after fallbacks; `undefined` means "no value" (affixes and owned literals are dropped). */
export interface LayoutFieldValues {
  readonly albumartist: string;
  readonly artist: string;
  readonly album: string;
  readonly title: string | undefined;
  readonly track: number | undefined;
  readonly tracktotal: number | undefined;
  readonly disc: number | undefined;
  readonly disctotal: number | undefined;
  readonly year: number | undefined;
  readonly genre: string | undefined;
  readonly comp: string | undefined;
  readonly format: string | undefined;
  readonly bitrate: number | undefined;
  readonly samplerate: number | undefined;
  readonly filename: string | undefined;
  readonly ext: string | undefined;
}

export type LayoutFieldName = keyof LayoutFieldValues;

export const UNKNOWN_ARTIST = 'Unknown Artist';
export const UNKNOWN_ALBUM = 'Unknown Album';
export const VARIOUS_ARTISTS = 'Various Artists';
export const COMPILATION = 'Compilation';

/** Every field, in the order the docs list them. */
export const LAYOUT_FIELDS: readonly LayoutFieldInfo[] = [
  { name: 'albumartist', kind: 'text', description: `Album artist; else "${VARIOUS_ARTISTS}" for a compilation; else the artist; else "${UNKNOWN_ARTIST}"` },
  { name: 'artist', kind: 'text', description: `Track artist; else the album artist; else "${UNKNOWN_ARTIST}"` },
  { name: 'album', kind: 'text', description: `Album title; else "${UNKNOWN_ALBUM}"` },
  { name: 'title', kind: 'text', description: 'Track title; else the file name without its extension' },
  { name: 'track', kind: 'number', description: 'Track number' },
  { name: 'tracktotal', kind: 'number', description: 'Number of tracks on the disc or release' },
  { name: 'disc', kind: 'number', description: 'Disc number, only when the release has more than one disc' },
  { name: 'disctotal', kind: 'number', description: 'Number of discs' },
  { name: 'year', kind: 'number', description: 'Release year' },
  { name: 'genre', kind: 'text', description: 'Genre' },
  { name: 'comp', kind: 'text', description: `"${COMPILATION}" when the track is part of a compilation` },
  { name: 'format', kind: 'text', description: 'Audio format: FLAC, MP3, AAC, ALAC, Opus, Vorbis, WAV, AIFF, ...' },
  { name: 'bitrate', kind: 'number', description: 'Average bitrate in kbps, rounded' },
  { name: 'samplerate', kind: 'number', description: 'Sample rate in Hz' },
  { name: 'filename', kind: 'text', description: 'The file name on the origin, without its extension' },
  { name: 'ext', kind: 'text', description: 'The file extension, lower case, without the dot' },
];

const FIELDS_BY_NAME: ReadonlyMap<string, LayoutFieldInfo> = new Map(LAYOUT_FIELDS.map((f) => [f.name, f]));

/** The field called `name` (lower case), or undefined when there is none. */
export function layoutFieldInfo(name: string): LayoutFieldInfo | undefined {
  return FIELDS_BY_NAME.get(name);
}

/** A trimmed NFC string, or undefined for missing / empty / whitespace-only. */
function text(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.normalize('NFC').trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A positive whole number, or undefined (0, negatives and NaN mean "unknown" in tags). */
function positiveInt(value: number | undefined): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const rounded = Math.round(value);
  return rounded >= 1 ? rounded : undefined;
}

/** Short format name from what music-metadata reports, or undefined when unknown. */
export function formatName(audio: AudioProperties): string | undefined {
  const container = audio.container ?? '';
  const codec = audio.codec ?? '';
  // Containers that report their payload as a generic codec ("PCM") come first.
  if (/wavpack/i.test(container)) return 'WavPack';
  if (/monkey/i.test(container)) return 'APE';
  if (/musepack/i.test(container)) return 'Musepack';
  if (/^(dsf|dsdiff)/i.test(container) || /\bdsd\b/i.test(codec)) return 'DSD';
  if (/flac/i.test(codec)) return 'FLAC';
  if (/alac/i.test(codec)) return 'ALAC';
  if (/layer\s*3|mp3/i.test(codec)) return 'MP3';
  if (/layer\s*2/i.test(codec)) return 'MP2';
  if (/layer\s*1/i.test(codec)) return 'MP1';
  if (/aac/i.test(codec)) return 'AAC';
  if (/opus/i.test(codec)) return 'Opus';
  if (/vorbis/i.test(codec)) return 'Vorbis';
  if (/speex/i.test(codec)) return 'Speex';
  if (/wma|windows media/i.test(codec)) return 'WMA';
  if (/ac-?3/i.test(codec)) return 'AC3';
  if (/pcm/i.test(codec) || codec === '') {
    if (/^wave?\b/i.test(container)) return 'WAV';
    if (/^aiff/i.test(container)) return 'AIFF';
    if (/^flac$/i.test(container)) return 'FLAC';
    if (/pcm/i.test(codec)) return 'PCM';
  }
  return undefined;
}

/** Every field of `input`, after the fallbacks. Strings are trimmed NFC but not yet sanitised. */
export function layoutFieldValues(input: LayoutInput): LayoutFieldValues {
  const { tags, audio } = input;
  const artistTag = text(tags.artist);
  const albumArtistTag = text(tags.albumArtist);
  const compilation = tags.compilation === true;
  const disc = positiveInt(tags.disc);
  const discTotal = positiveInt(tags.discTotal);
  const stem = text(input.stem);
  const bitrateBps = positiveInt(audio.bitrate);
  return {
    albumartist: albumArtistTag ?? (compilation ? VARIOUS_ARTISTS : undefined) ?? artistTag ?? UNKNOWN_ARTIST,
    artist: artistTag ?? albumArtistTag ?? UNKNOWN_ARTIST,
    album: text(tags.album) ?? UNKNOWN_ALBUM,
    title: text(tags.title) ?? stem,
    track: positiveInt(tags.track),
    tracktotal: positiveInt(tags.trackTotal),
    // "Disc 1" of a single-disc release is noise in a file name.
    disc: disc !== undefined && ((discTotal ?? 0) > 1 || disc > 1) ? disc : undefined,
    disctotal: discTotal,
    year: positiveInt(tags.year),
    genre: text(tags.genre),
    comp: compilation ? COMPILATION : undefined,
    format: formatName(audio),
    bitrate: bitrateBps === undefined ? undefined : positiveInt(bitrateBps / 1000),
    samplerate: positiveInt(audio.sampleRate),
    filename: stem,
    ext: text(input.ext.replace(/^\.+/, '').toLowerCase()),
  };
}
