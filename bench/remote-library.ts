/**
 * The library of `npm run bench:remote`, made once and kept between runs in a
 * folder under the temp dir named after its parameters (like bench-read's):
 *
 * - `scan/`: N tracks (default 1,000) of realistic size, 3–6 MB each, for the
 *   scan: a few stereo white-noise FLACs of different lengths are encoded by
 *   ffmpeg once, and every track is one of them with its own tags rewritten
 *   in memory (test/support/tagged-audio.ts `flacWithTags`), so 1,000 tracks
 *   take seconds instead of 1,000 encodes. `scan/artist-NN/album-NNN/track-NNNN.flac`,
 *   10 tracks per album, 4 albums per artist.
 * - `read/`: M tracks (default 10) of ~20 MB for the cold reads, each its own
 *   encode from its own noise seeds (bench/library.ts `makeNoiseLibrary`), so
 *   no two share audio bytes a content-addressed cache could merge.
 *
 * A manifest lists every file with its size; a folder whose files do not
 * match it is made again.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { runPool } from '../test/support/ffmpeg-tools.js';
import { flacWithTags, vorbisComments } from '../test/support/tagged-audio.js';
import { log } from './bench-kit.js';
import { makeNoiseLibrary, noiseFlac } from './library.js';
import { sum, walkFiles, type SourceFile } from './read-kit.js';

export interface RemoteLibrarySpec {
  scanTracks: number;
  readTracks: number;
  /** Length of each read track (~160 kB of FLAC per second). */
  readSeconds: number;
}

export interface RemoteLibrary {
  dir: string;
  /** Relative to `dir/scan` and `dir/read`. */
  scan: SourceFile[];
  read: SourceFile[];
  scanBytes: number;
  readBytes: number;
  /** Lengths of the scan tracks' base recordings. */
  baseSeconds: readonly number[];
  /** How long making it took (this run or the one that made it). */
  generateMs: number;
  reused: boolean;
}

interface Manifest {
  version: 1;
  spec: RemoteLibrarySpec;
  baseSeconds: number[];
  generateMs: number;
  scan: SourceFile[];
  read: SourceFile[];
}

const MANIFEST = '.musicfs-bench-remote.json';
/** Lengths of the scan bases: ~3.0, 3.8, 4.5, 5.3 and 6.0 MB of noise FLAC. */
const BASE_SECONDS = [19, 24, 28, 33, 38] as const;
const TRACKS_PER_ALBUM = 10;
const ALBUMS_PER_ARTIST = 4;
const GENRES = ['Rock', 'Jazz', 'Electronic', 'Folk', 'Ambient', 'Soul'];

export const remoteLibraryDir = (spec: RemoteLibrarySpec): string =>
  join(tmpdir(), `musicfs-bench-remote-lib-v1-${spec.scanTracks}-${spec.readTracks}x${spec.readSeconds}s`);

/** The library for `spec`: reused when its manifest matches and its files are intact, made (once) otherwise. */
export async function ensureRemoteLibrary(spec: RemoteLibrarySpec): Promise<RemoteLibrary> {
  const dir = remoteLibraryDir(spec);
  const manifestFile = join(dir, MANIFEST);
  if (existsSync(manifestFile)) {
    const m = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
    const sameSpec = JSON.stringify(m.spec) === JSON.stringify(spec);
    if (sameSpec && (await intact(join(dir, 'scan'), m.scan)) && (await intact(join(dir, 'read'), m.read))) {
      return { dir, scan: m.scan, read: m.read, scanBytes: bytesOf(m.scan), readBytes: bytesOf(m.read), baseSeconds: m.baseSeconds, generateMs: m.generateMs, reused: true };
    }
    log(`${dir}: the library there does not match its manifest; making it again`);
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  const scratch = await mkdtemp(join(dirname(dir), 'musicfs-bench-remote-lib-new-'));
  try {
    log(`making the remote library into ${dir} (kept for the next runs): ${spec.scanTracks} scan tracks, ${spec.readTracks} read tracks of ${spec.readSeconds} s...`);
    const started = performance.now();
    const scan = await makeScanTracks(join(scratch, 'scan'), spec.scanTracks);
    const read = await makeNoiseLibrary(join(scratch, 'read'), spec.readTracks, spec.readSeconds);
    const generateMs = performance.now() - started;
    const manifest: Manifest = { version: 1, spec, baseSeconds: [...BASE_SECONDS], generateMs, scan, read };
    await writeFile(join(scratch, MANIFEST), JSON.stringify(manifest));
    await moveInto(scratch, dir);
    log(`remote library: ${scan.length} scan tracks (${(bytesOf(scan) / 1e6).toFixed(0)} MB), ${read.length} read tracks (${(bytesOf(read) / 1e6).toFixed(0)} MB) in ${(generateMs / 1000).toFixed(1)} s`);
    return { dir, scan, read, scanBytes: bytesOf(scan), readBytes: bytesOf(read), baseSeconds: BASE_SECONDS, generateMs, reused: false };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const bytesOf = (files: readonly SourceFile[]): number => sum(files.map((f) => f.size));

async function intact(dir: string, files: readonly SourceFile[]): Promise<boolean> {
  const sizes = await Promise.all(files.map(async (f) => (await stat(join(dir, f.rel)).catch(() => undefined))?.size));
  return sizes.every((size, i) => size === files[i]!.size);
}

async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await cp(from, to, { recursive: true });
  }
}

/** `n` re-tagged copies of the noise bases into `dir`; returns the files relative to `dir`. */
async function makeScanTracks(dir: string, n: number): Promise<SourceFile[]> {
  const basesDir = join(dir, '..', 'bases');
  await mkdir(basesDir, { recursive: true });
  const bases = await Promise.all(
    BASE_SECONDS.map(async (seconds, i) => {
      const path = join(basesDir, `base-${seconds}s.flac`);
      await noiseFlac(path, seconds, 1_000 + 2 * i);
      return readFile(path);
    }),
  );
  await rm(basesDir, { recursive: true, force: true });
  const tasks = Array.from({ length: n }, (_, i) => async (): Promise<void> => {
    const albumIndex = Math.floor(i / TRACKS_PER_ALBUM);
    const artistIndex = Math.floor(albumIndex / ALBUMS_PER_ARTIST);
    const artist = `Remote Artist ${String(artistIndex + 1).padStart(2, '0')}`;
    const album = `Remote Album ${String(albumIndex + 1).padStart(3, '0')}`;
    const folder = join(dir, `artist-${String(artistIndex + 1).padStart(2, '0')}`, `album-${String(albumIndex + 1).padStart(3, '0')}`);
    await mkdir(folder, { recursive: true });
    const tags = vorbisComments({
      title: `Song ${String(i + 1).padStart(4, '0')}`,
      artist,
      albumArtist: artist,
      album,
      track: (i % TRACKS_PER_ALBUM) + 1,
      trackTotal: TRACKS_PER_ALBUM,
      year: 1970 + (albumIndex % 50),
      genre: GENRES[albumIndex % GENRES.length]!,
    });
    // Sizes vary within an album: each track takes the next base.
    await writeFile(join(folder, `track-${String(i + 1).padStart(4, '0')}.flac`), flacWithTags(bases[i % bases.length]!, tags));
  });
  await runPool(tasks, 8);
  return (await walkFiles(dir)).map((f) => ({ rel: relative(dir, f.path), size: f.size }));
}
