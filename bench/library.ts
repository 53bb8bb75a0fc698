/**
 * Generated libraries for the benchmarks.
 *
 * `makeBenchLibrary`: a *messy* collection as people really have one: flat
 * dump folders of `track_NNNNN.ext` files (500 per folder) whose tags spread
 * over ~400 album artists and ~800 albums, with missing album artists and
 * track numbers, multi-disc sets, compilations, diacritics and other scripts,
 * FLAC next to MP3 with ID3v2.3 and 2.4. Audio comes from a few ffmpeg-made
 * base recordings; each file gets its own tags written in memory
 * (test/support/tagged-audio.ts), so 5,000 files take a few seconds and every
 * file has different bytes.
 *
 * `makeFlatDirectoryLibrary`: n tracks of ONE album, so the mount shows one
 * folder of n entries.
 *
 * `makeNoiseLibrary`: n tracks of realistic size (stereo white noise barely
 * compresses: ~160 kB per second of FLAC), each its own ffmpeg encode from
 * its own seeds, so no two share audio bytes a content-addressed cache
 * could merge. Slow (an encode each): for the read benchmarks' few tracks.
 *
 * Both are deterministic: the same arguments give the same bytes.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runFfmpeg, runPool } from '../test/support/ffmpeg-tools.js';
import { walkFiles, type SourceFile } from './read-kit.js';
import { Rng } from './rng.js';
import { flacWithTags, makeBaseAudio, mp3WithId3, vorbisComments, type AudioTags, type BaseAudio, type BaseAudioSpec } from '../test/support/tagged-audio.js';

export interface BenchLibraryOptions {
  /** Files per dump folder. */
  filesPerFolder?: number;
  /** PRNG seed: another seed, another (equally messy) library. */
  seed?: number;
  /** Files written at once. */
  concurrency?: number;
}

/** What was generated; `files` and `bytes` first, then the shape for reports. */
export interface BenchLibraryStats {
  files: number;
  bytes: number;
  folders: number;
  flac: number;
  mp3v23: number;
  mp3v24: number;
  albumArtists: number;
  albums: number;
  multiDiscAlbums: number;
  compilations: number;
  missingAlbumArtist: number;
  missingTrackNumber: number;
  unicodeFileNames: number;
}

export interface FlatLibraryStats {
  files: number;
  bytes: number;
  /** The folder holding all files. */
  sourceDir: string;
  /** The album folder in the mount under the default layout, relative to the mount root. */
  mountDir: string;
}

/** The base recordings: a few lengths/rates so file sizes vary a little. */
const BASE_SPECS: readonly BaseAudioSpec[] = [
  { frequency: 440, sampleRate: 16_000, durationSec: 3 },
  { frequency: 523, sampleRate: 22_050, durationSec: 2 },
  { frequency: 659, sampleRate: 16_000, durationSec: 4 },
];

async function withBases<T>(fn: (bases: BaseAudio[]) => Promise<T>): Promise<T> {
  const scratch = await mkdtemp(join(tmpdir(), 'musicfs-bench-base-'));
  try {
    const bases: BaseAudio[] = [];
    for (const spec of BASE_SPECS) bases.push(await makeBaseAudio(scratch, spec));
    return await fn(bases);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Names

const FIRST = [
  'Anna', 'Björn', 'Chloé', 'Dmitri', 'Elif', 'François', 'Greta', 'Hiro', 'Inès', 'János', 'Kofi', 'Léa',
  'Miloš', 'Nadia', 'Oskar', 'Paulo', 'Quinn', 'Renée', 'Søren', 'Tomás', 'Ulla', 'Vera', 'Wojciech', 'Xavier',
  'Yara', 'Zoë', 'Ángel', 'Émile', 'Jürgen', 'Ólafur',
];
const LAST = [
  'Andersson', 'Brontë', 'Castañeda', 'Dvořák', 'Eriksen', 'Fähnrich', 'García', 'Høeg', 'Ivanova', 'Jansen',
  'Kovačić', 'Lindqvist', 'Müller', 'Nørgaard', 'Okafor', 'Pérez', 'Quintana', 'Rossi', 'Sørensen', 'Tanaka',
  'Ueda', 'Varga', 'Wiśniewski', 'Xu', 'Yılmaz', 'Żak',
];
const BAND_A = [
  'The', 'Electric', 'Silent', 'Crimson', 'Velvet', 'Northern', 'Golden', 'Broken', 'Neon', 'Midnight',
  'Wandering', 'Frozen', 'Hollow', 'Sunlit', 'Paper', 'Iron', 'Glass', 'Distant',
];
const BAND_B = [
  'Owls', 'Rivers', 'Machines', 'Lanterns', 'Echoes', 'Foxes', 'Satellites', 'Gardens', 'Ghosts', 'Tides',
  'Harbours', 'Comets', 'Mirrors', 'Wolves', 'Orchids', 'Pilots',
];
const FOREIGN_ARTISTS = [
  'Sigur Rós', 'Motörhead Tribute', 'Mötley Crüe Revival', 'Björk Gudmundsdóttir', 'Beyoncé Covers', 'Café Tacvba',
  'Łukasz & Zespół', 'Хор Турецкого', 'Кино Трибьют', 'Μίκης Θεοδωράκης', 'Ελευθερία', '坂本龍一', 'きゃりーぱみゅぱみゅ',
  '방탄소년단 Tribute', 'فيروز', 'שלמה ארצי', 'Ñu Ñandú', 'Ærøskøbing Brass', 'AC/DC Tribute', 'Sunn O)))',
  '!!!', 'Earth, Wind & Fire Tribute', 'Guns N’ Roses Tribute', 'R.E.M. Covers', 'Tiësto', 'Kraftwerk: Mensch',
];
const ALBUM_WORDS = [
  'Night', 'Ocean', 'Ashes', 'Summer', 'Glass', 'Light', 'Echo', 'River', 'Fire', 'Dream', 'Winter', 'Signal',
  'Harbour', 'Shadow', 'Static', 'Bloom', 'Stone', 'Velvet', 'Horizon', 'Paper', 'Mirror', 'Cathedral',
  'Café', 'Mañana', 'Sérénade', 'Fjörd', 'Träume', 'Canción', 'Лето', 'Ωκεανός', '夜明け', 'Überall',
];
const ALBUM_FORMS = [
  (a: string, b: string) => `${a} ${b}`,
  (a: string, b: string) => `The ${a} of ${b}`,
  (a: string, b: string) => `${a} & ${b}`,
  (a: string, _b: string) => `${a}`,
  (a: string, b: string) => `${a}: ${b} Sessions`,
  (a: string, b: string) => `${a} / ${b}`,
  (a: string, b: string) => `${a}? ${b}!`,
  (a: string, _b: string) => `Live at the ${a} Hall`,
];
const TITLE_WORDS = [
  'Love', 'Rain', 'Hearts', 'Morning', 'Road', 'Home', 'Lights', 'Waiting', 'Sky', 'Falling', 'Gold', 'Run',
  'Tonight', 'Again', 'Sleep', 'Blue', 'Storm', 'Dance', 'Time', 'Island', 'Wires', 'Breathe', 'Coração',
  'Été', 'Noël', 'Schön', 'Ça va', 'Lágrimas', 'Сердце', 'Αγάπη', '東京', 'Naïve',
];
const GENRES = ['Rock', 'Pop', 'Jazz', 'Electronic', 'Classical', 'Folk', 'Hip-Hop', 'Metal', 'Ambient', 'Soul', 'Reggae', 'Indie', 'Post-Rock', 'Chanson'];

function artistName(rng: Rng, i: number): string {
  const r = rng.float();
  let name: string;
  if (r < 0.12) name = FOREIGN_ARTISTS[i % FOREIGN_ARTISTS.length]!;
  else if (r < 0.55) name = `${rng.pick(FIRST)} ${rng.pick(LAST)}`;
  else name = `${rng.pick(BAND_A)} ${rng.pick(BAND_B)}`;
  // Names repeat in the pools; a suffix keeps the ~400 artists distinct.
  return `${name} ${romanOrNumber(i)}`;
}

function romanOrNumber(i: number): string {
  const numerals = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'];
  return i < numerals.length ? numerals[i]! : String(i);
}

function albumTitle(rng: Rng, i: number): string {
  const form = rng.pick(ALBUM_FORMS);
  return `${form(rng.pick(ALBUM_WORDS), rng.pick(ALBUM_WORDS))} (${1960 + (i % 64)})`;
}

// ---------------------------------------------------------------------------
// The messy library

interface AlbumPlan {
  albumArtist: string | undefined;
  /** The main artist of its tracks (compilations vary per track). */
  artist: string;
  title: string;
  compilation: boolean;
  discs: number;
  trackCount: number;
  year: number | undefined;
  genre: string | undefined;
  /** Format of its files: most albums are one format, some mixed (a partial re-rip). */
  format: 'flac' | 'mp3v23' | 'mp3v24' | 'mixed';
  missingTrackNumbers: boolean;
}

interface TrackPlan {
  tags: AudioTags;
  format: 'flac' | 'mp3v23' | 'mp3v24';
  base: number;
}

function planAlbums(rng: Rng, tracks: number): AlbumPlan[] {
  const albumCount = Math.max(1, Math.round(tracks / 6.25));
  const artistCount = Math.max(1, Math.round(albumCount / 2));
  const artists = Array.from({ length: artistCount }, (_, i) => artistName(rng, i));
  // Album sizes: 1..12 tracks around the mean, then trimmed/padded to `tracks`.
  const sizes = Array.from({ length: albumCount }, () => rng.int(1, 12));
  let total = sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; total !== tracks; i = (i + 1) % albumCount) {
    if (total < tracks) {
      sizes[i]! += 1;
      total++;
    } else if (sizes[i]! > 1) {
      sizes[i]! -= 1;
      total--;
    } else if (sizes.every((s) => s <= 1)) {
      break;
    }
  }
  const formats: AlbumPlan['format'][] = ['flac', 'flac', 'flac', 'flac', 'mp3v23', 'mp3v23', 'mp3v24', 'mp3v24', 'mixed'];
  const titles = new Set<string>();
  return sizes.map((trackCount, i) => {
    // Unique album titles (re-rolled on a clash), so no two tracks share all tags.
    let title = albumTitle(rng, i);
    for (let k = 2; titles.has(title); k++) title = `${albumTitle(rng, i)} ${k}`;
    titles.add(title);
    const artist = artists[i % artistCount]!;
    const compilation = rng.chance(0.03);
    // Compilations: mostly "Various Artists", some only the flag; else ~10% lack the album artist.
    const albumArtist = compilation ? (rng.chance(0.7) ? 'Various Artists' : undefined) : rng.chance(0.1) ? undefined : artist;
    const discs = trackCount >= 4 && rng.chance(0.1) ? rng.int(2, 3) : 1;
    return {
      albumArtist,
      artist,
      title,
      compilation,
      discs,
      trackCount,
      year: rng.chance(0.85) ? rng.int(1955, 2024) : undefined,
      genre: rng.chance(0.8) ? rng.pick(GENRES) : undefined,
      format: rng.pick(formats),
      missingTrackNumbers: rng.chance(0.05),
    };
  });
}

function planTracks(rng: Rng, albums: readonly AlbumPlan[], baseCount: number): TrackPlan[] {
  const out: TrackPlan[] = [];
  albums.forEach((album, albumIndex) => {
    const perDisc = Math.ceil(album.trackCount / album.discs);
    const base = albumIndex % baseCount;
    for (let i = 0; i < album.trackCount; i++) {
      const disc = Math.floor(i / perDisc) + 1;
      const track = (i % perDisc) + 1;
      const artist = album.compilation ? artistName(rng, 1000 + rng.int(0, 400)) : rng.chance(0.05) ? `${album.artist} feat. ${rng.pick(FIRST)}` : album.artist;
      const words = `${rng.pick(TITLE_WORDS)} ${rng.pick(TITLE_WORDS)}`;
      // Titles carry the track (and disc) number, so they are unique within an album.
      const tags: AudioTags = { title: `${words} ${track}${disc > 1 ? `-${disc}` : ''}`, artist, album: album.title };
      const numbered = !album.missingTrackNumbers && !rng.chance(0.01);
      // Untitled tracks now and then (the mount falls back to the file name); only numbered ones stay distinct.
      if (numbered && rng.chance(0.005)) delete tags.title;
      if (album.albumArtist !== undefined) tags.albumArtist = album.albumArtist;
      if (numbered) {
        tags.track = track;
        if (rng.chance(0.6)) tags.trackTotal = Math.min(perDisc, album.trackCount - (disc - 1) * perDisc);
      }
      if (album.discs > 1) {
        tags.disc = disc;
        tags.discTotal = album.discs;
      }
      if (album.year !== undefined) tags.year = album.year;
      if (album.genre !== undefined) tags.genre = album.genre;
      if (album.compilation) tags.compilation = true;
      // A little whitespace mess: readers must trim.
      if (rng.chance(0.02) && tags.artist !== undefined) tags.artist = ` ${tags.artist}  `;
      const format = album.format === 'mixed' ? rng.pick(['flac', 'mp3v23', 'mp3v24'] as const) : album.format;
      out.push({ tags, format, base });
    }
  });
  return out;
}

function fileNameFor(rng: Rng, index: number, ext: string): { name: string; unicode: boolean } {
  const n = String(index).padStart(5, '0');
  const r = rng.float();
  if (r < 0.04) return { name: `track ${n} (copy).${ext}`, unicode: false };
  if (r < 0.07) return { name: `trâck_${n} – ünïcödé.${ext}`, unicode: true };
  // Decomposed (NFD) accents, as macOS writes them.
  if (r < 0.09) return { name: `piste_${n}_été`.normalize('NFD') + `.${ext}`, unicode: true };
  if (r < 0.1) return { name: `曲_${n}.${ext}`, unicode: true };
  if (r < 0.12) return { name: `TRACK_${n}.${ext.toUpperCase()}`, unicode: false };
  return { name: `track_${n}.${ext}`, unicode: false };
}

function encode(bases: readonly BaseAudio[], plan: TrackPlan): Buffer {
  const base = bases[plan.base % bases.length]!;
  switch (plan.format) {
    case 'flac':
      return flacWithTags(base.flac, vorbisComments(plan.tags));
    case 'mp3v23':
      return mp3WithId3(base.mp3, plan.tags, 3, 512);
    case 'mp3v24':
      return mp3WithId3(base.mp3, plan.tags, 4, 512);
  }
}

/**
 * Writes a messy library of `tracks` files into `dir/dump/batch-NNN/` (the
 * folder is created; it should be empty). Default 5,000 tracks.
 */
export async function makeBenchLibrary(dir: string, tracks = 5000, opts: BenchLibraryOptions = {}): Promise<BenchLibraryStats> {
  const perFolder = Math.max(1, opts.filesPerFolder ?? 500);
  const rng = new Rng(opts.seed ?? 20240611);
  return withBases(async (bases) => {
    const albums = planAlbums(rng, tracks);
    const plans = rng.shuffle(planTracks(rng, albums, bases.length));
    const seen = new Set<string>();
    const stats: BenchLibraryStats = {
      files: 0, bytes: 0, folders: 0, flac: 0, mp3v23: 0, mp3v24: 0,
      albumArtists: new Set(albums.map((a) => a.albumArtist).filter((a) => a !== undefined)).size,
      albums: albums.length,
      multiDiscAlbums: albums.filter((a) => a.discs > 1).length,
      compilations: albums.filter((a) => a.compilation).length,
      missingAlbumArtist: 0,
      missingTrackNumber: 0,
      unicodeFileNames: 0,
    };
    const folders = Math.ceil(plans.length / perFolder);
    for (let f = 0; f < folders; f++) await mkdir(join(dir, 'dump', `batch-${String(f + 1).padStart(3, '0')}`), { recursive: true });
    stats.folders = folders;
    const tasks = plans.map((plan, i) => {
      const ext = plan.format === 'flac' ? 'flac' : 'mp3';
      const { name, unicode } = fileNameFor(rng, i + 1, ext);
      const path = join(dir, 'dump', `batch-${String(Math.floor(i / perFolder) + 1).padStart(3, '0')}`, name);
      const bytes = encode(bases, plan);
      // Distinct bytes per file: the mount merges byte-identical files into one.
      const key = JSON.stringify([plan.format, plan.base, plan.tags]);
      if (seen.has(key)) throw new Error(`makeBenchLibrary: two tracks share tags ${key}`);
      seen.add(key);
      stats.files++;
      stats.bytes += bytes.length;
      stats[plan.format]++;
      if (plan.tags.albumArtist === undefined) stats.missingAlbumArtist++;
      if (plan.tags.track === undefined) stats.missingTrackNumber++;
      if (unicode) stats.unicodeFileNames++;
      return () => writeFile(path, bytes);
    });
    await runPool(tasks, opts.concurrency ?? 32);
    return stats;
  });
}

// ---------------------------------------------------------------------------
// One huge folder

export const FLAT_ALBUM_ARTIST = 'Flat Artist';
export const FLAT_ALBUM = 'Ten Thousand Tracks';

/**
 * Writes `n` distinct tracks (default 10,000) into `dir/flat/`, all of one
 * album (same album artist and album, titles `Track 00001`..., track numbers
 * 1..n), so the mount shows them in ONE folder: `Flat Artist/Ten Thousand Tracks`.
 * Half FLAC, half MP3 (ID3v2.4).
 */
export async function makeFlatDirectoryLibrary(dir: string, n = 10_000): Promise<FlatLibraryStats> {
  const sourceDir = join(dir, 'flat');
  await mkdir(sourceDir, { recursive: true });
  return withBases(async (bases) => {
    let bytes = 0;
    const base = bases[0]!;
    const tasks = Array.from({ length: n }, (_, i) => {
      const no = i + 1;
      const id = String(no).padStart(5, '0');
      const tags: AudioTags = { title: `Track ${id}`, artist: FLAT_ALBUM_ARTIST, albumArtist: FLAT_ALBUM_ARTIST, album: FLAT_ALBUM, track: no, trackTotal: n, year: 2020, genre: 'Ambient' };
      const flac = no % 2 === 1;
      const data = flac ? flacWithTags(base.flac, vorbisComments(tags)) : mp3WithId3(base.mp3, tags, 4);
      bytes += data.length;
      return () => writeFile(join(sourceDir, `track_${id}.${flac ? 'flac' : 'mp3'}`), data);
    });
    await runPool(tasks, 32);
    return { files: n, bytes, sourceDir, mountDir: `${FLAT_ALBUM_ARTIST}/${FLAT_ALBUM}` };
  });
}

// ---------------------------------------------------------------------------
// Noise tracks of realistic size

/**
 * One FLAC of `seconds` of stereo 44.1 kHz 16-bit white noise (channels from
 * seeds `seed` and `seed + 1`) at `path`, with `metadata` (ffmpeg keys:
 * artist, album, title, track...).
 */
export async function noiseFlac(path: string, seconds: number, seed: number, metadata: Readonly<Record<string, string>> = {}): Promise<void> {
  const noise = (s: number): string => `anoisesrc=d=${seconds}:c=white:r=44100:a=0.25:seed=${s}`;
  await runFfmpeg([
    '-filter_complex', `${noise(seed)}[l];${noise(seed + 1)}[r];[l][r]amerge=inputs=2[out]`,
    '-map', '[out]', '-c:a', 'flac', '-sample_fmt', 's16',
    ...Object.entries(metadata).flatMap(([key, value]) => ['-metadata', `${key}=${value}`]),
    path,
  ]);
}

/**
 * `n` noise FLACs of `seconds` with their own seeds and tags (title `Noise NNN`),
 * 10 per album folder (`album-NN/track-NNN.flac`), one encode per core at a time, into `dir`.
 */
export async function makeNoiseLibrary(dir: string, n: number, seconds: number): Promise<SourceFile[]> {
  const tasks = Array.from({ length: n }, (_, i) => async (): Promise<void> => {
    const album = Math.floor(i / 10);
    const folder = join(dir, `album-${String(album + 1).padStart(2, '0')}`);
    await mkdir(folder, { recursive: true });
    await noiseFlac(join(folder, `track-${String(i + 1).padStart(3, '0')}.flac`), seconds, 2 * i + 1, {
      artist: 'Read Bench Ensemble', album_artist: 'Read Bench Ensemble',
      album: `Noise Vol. ${album + 1}`, title: `Noise ${String(i + 1).padStart(3, '0')}`,
      track: String((i % 10) + 1), date: '2024', genre: 'Noise',
    });
  });
  await runPool(tasks, availableParallelism());
  return (await walkFiles(dir)).map((f) => ({ rel: relative(dir, f.path), size: f.size }));
}
