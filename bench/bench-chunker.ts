/**
 * `npm run bench:chunker`: the chunker's throughput, and the dedup numbers
 * behind the chunk sizes of the cache (docs/cache.md, "Chunking"). Prints a
 * markdown section to stdout (progress on stderr); writes no docs.
 *
 * 1. Throughput: StreamingChunker over 128 MiB of random bytes in 128 KiB
 *    pushes, per candidate size set; the whole cache path (head scanner +
 *    chunker + trailer) over a real ~20 MB FLAC; sha256 for scale.
 * 2. Dedup: real tracks made by ffmpeg (pink noise, 3 min, stereo 44.1 kHz:
 *    FLAC ~18 MB, MP3 256 kb/s with ID3v2.3 + ID3v1, M4A AAC 256 kb/s with
 *    moov first), edited as taggers do:
 *    - title: mutagen, in place (FLAC padding / ID3 padding / MP4 free
 *      space absorb it, or the tag is rewritten);
 *    - +500 KB cover: mutagen adds a 500 KB picture (the audio moves);
 *    - remux: `ffmpeg -i in -map 0 -c copy -metadata title=X out`.
 *    For each min/avg/max candidate, with and without the forced cuts at
 *    the payload boundaries: chunks per track, manifest entries per GiB,
 *    and the bytes of chunks of the edited file that the original did not
 *    have, as % of the file.
 *
 * Environment knobs: MUSICFS_BENCH_TRACKS=3 (per format)
 *   MUSICFS_BENCH_TRACK_SECONDS=180  MUSICFS_BENCH_KEEP=1 (keep the temp folder)
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadBoundaryScanner, TRAILER_SCAN_BYTES, trailerCuts } from '../src-main/daemon/cache/audio-boundaries.js';
import { AUDIO_CHUNK_PARAMS, StreamingChunker, type Chunk, type ChunkerParams } from '../src-main/daemon/cache/fastcdc.js';
import { runFfmpeg, runPool } from '../test/support/ffmpeg-tools.js';
import { fmtInt, intEnv, log, machine, median, preflight } from './bench-kit.js';

const TRACKS = intEnv('MUSICFS_BENCH_TRACKS', 3);
const TRACK_SECONDS = intEnv('MUSICFS_BENCH_TRACK_SECONDS', 180);
const KEEP_TMP = process.env['MUSICFS_BENCH_KEEP'] === '1';

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
/** The cache's fetches push 128 KiB first (then up to 1 MiB). */
const PUSH_BYTES = 128 * KIB;
const THROUGHPUT_BYTES = 128 * MIB;
const THROUGHPUT_RUNS = 5;
const COVER_BYTES = 500 * 1000;
/** A manifest entry: sha256 (32) + offset (8) + length (4) + framing: an estimate for the overhead column. */
const MANIFEST_ENTRY_BYTES = 48;
const PYTHON = '/usr/bin/python3';

const CANDIDATES: { label: string; params: ChunkerParams }[] = [
  { label: '16 / 64 / 256 KiB', params: { minSize: 16 * KIB, avgSize: 64 * KIB, maxSize: 256 * KIB } },
  { label: '32 / 128 / 512 KiB', params: { minSize: 32 * KIB, avgSize: 128 * KIB, maxSize: 512 * KIB } },
  { label: '64 / 256 / 1024 KiB', params: AUDIO_CHUNK_PARAMS },
  { label: '128 / 512 / 2048 KiB', params: { minSize: 128 * KIB, avgSize: 512 * KIB, maxSize: 2048 * KIB } },
];

type Format = 'flac' | 'mp3' | 'm4a';
const FORMATS: readonly Format[] = ['flac', 'mp3', 'm4a'];
type Edit = 'title' | 'cover' | 'remux';
const EDITS: readonly Edit[] = ['title', 'cover', 'remux'];
const EDIT_LABELS: Record<Edit, string> = { title: 'title (in place)', cover: '+500 KB cover', remux: 'title (ffmpeg remux)' };

// ---------------------------------------------------------------------------
// Chunking as the cache does it

/** Chunks of a whole file streamed from 0; `forcedCuts` adds the head and trailer boundaries. */
function chunkFile(file: Uint8Array, params: ChunkerParams, forcedCuts: boolean): Chunk[] {
  const chunker = new StreamingChunker(params, 0, { holdFrom: forcedCuts ? file.length - TRAILER_SCAN_BYTES : Infinity });
  const head = forcedCuts ? new HeadBoundaryScanner(file.length) : undefined;
  const chunks: Chunk[] = [];
  for (let at = 0; at < file.length; at += PUSH_BYTES) {
    const piece = file.subarray(at, at + PUSH_BYTES);
    if (head && !head.done) for (const cut of head.push(at, piece)) chunker.addCut(cut);
    chunks.push(...chunker.push(piece));
  }
  if (forcedCuts) for (const cut of trailerCuts(file.subarray(Math.max(0, file.length - TRAILER_SCAN_BYTES)), file.length)) chunker.addCut(cut);
  chunks.push(...chunker.finish());
  return chunks;
}

interface Chunked {
  size: number;
  chunks: number;
  /** sha256 (base64) → length. */
  hashes: Map<string, number>;
}

function chunkAndHash(file: Uint8Array, params: ChunkerParams, forcedCuts: boolean): Chunked {
  const chunks = chunkFile(file, params, forcedCuts);
  const hashes = new Map<string, number>();
  for (const c of chunks) hashes.set(createHash('sha256').update(c.data).digest('base64'), c.length);
  return { size: file.length, chunks: chunks.length, hashes };
}

/** Bytes of `edited`'s chunks that `original` does not have. */
function newBytes(original: Chunked, edited: Chunked): number {
  let bytes = 0;
  for (const [hash, length] of edited.hashes) if (!original.hashes.has(hash)) bytes += length;
  return bytes;
}

// ---------------------------------------------------------------------------
// Throughput

const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

function timeMs(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

/** Median MB/s of THROUGHPUT_RUNS runs after one warm-up. */
function throughput(bytes: number, run: () => void): number {
  run();
  return median(Array.from({ length: THROUGHPUT_RUNS }, () => mbps(bytes, timeMs(run))));
}

function chunkerOnly(data: Uint8Array, params: ChunkerParams): void {
  const chunker = new StreamingChunker(params);
  for (let at = 0; at < data.length; at += PUSH_BYTES) chunker.push(data.subarray(at, at + PUSH_BYTES));
  chunker.finish();
}

// ---------------------------------------------------------------------------
// Audio

interface Track {
  format: Format;
  path: string;
}

async function makeTrack(dir: string, format: Format, index: number): Promise<Track> {
  const path = join(dir, `track-${index}.${format}`);
  const source = `anoisesrc=color=pink:amplitude=${(0.1 + 0.05 * index).toFixed(2)}:duration=${TRACK_SECONDS}:sample_rate=44100:seed=${index + 1}`;
  const tags = ['-metadata', `title=Track ${index + 1}`, '-metadata', 'artist=Bench Artist', '-metadata', 'album=Bench Album', '-metadata', `track=${index + 1}`];
  const codec: Record<Format, string[]> = {
    flac: ['-c:a', 'flac'],
    mp3: ['-c:a', 'libmp3lame', '-b:a', '256k', '-id3v2_version', '3', '-write_id3v1', '1'],
    m4a: ['-c:a', 'aac', '-b:a', '256k', '-movflags', '+faststart'],
  };
  await runFfmpeg(['-f', 'lavfi', '-i', source, '-ac', '2', ...tags, ...codec[format], '-threads', '1', path]);
  return { format, path };
}

/** Copies `src` to `dst` and edits it in place with mutagen (what taggers do). */
const MUTAGEN_EDIT = `
import json, shutil, sys
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3, TIT2, APIC
from mutagen.mp4 import MP4, MP4Cover
for op in json.load(sys.stdin):
    shutil.copyfile(op['src'], op['dst'])
    path, fmt, edit = op['dst'], op['format'], op['edit']
    cover = open(op['cover'], 'rb').read() if edit == 'cover' else None
    if fmt == 'flac':
        f = FLAC(path)
        if cover is None:
            f['title'] = op['title']
        else:
            p = Picture(); p.type = 3; p.mime = 'image/jpeg'; p.data = cover
            f.add_picture(p)
        f.save()
    elif fmt == 'mp3':
        t = ID3(path)
        if cover is None:
            t.add(TIT2(encoding=3, text=op['title']))
        else:
            t.add(APIC(encoding=3, mime='image/jpeg', type=3, desc='Cover', data=cover))
        t.save(v2_version=3)
    else:
        f = MP4(path)
        if cover is None:
            f['\\xa9nam'] = [op['title']]
        else:
            f['covr'] = [MP4Cover(cover, imageformat=MP4Cover.FORMAT_JPEG)]
        f.save()
`;

interface EditOp {
  src: string;
  dst: string;
  format: Format;
  edit: Edit;
  title: string;
  cover: string;
}

function mutagenEdit(ops: readonly EditOp[]): void {
  const r = spawnSync(PYTHON, ['-c', MUTAGEN_EDIT], { input: JSON.stringify(ops), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mutagen edit failed: ${r.stderr || r.error?.message}`);
}

async function remux(op: EditOp): Promise<void> {
  const extra: Record<Format, string[]> = { flac: [], mp3: ['-id3v2_version', '3', '-write_id3v1', '1'], m4a: ['-movflags', '+faststart'] };
  await runFfmpeg(['-i', op.src, '-map', '0', '-c', 'copy', '-metadata', `title=${op.title}`, ...extra[op.format], op.dst]);
}

/** Pseudo-random "JPEG" bytes (a picture compresses no better), the same every run: xorshift32. */
function coverBytes(): Buffer {
  const b = Buffer.alloc(COVER_BYTES);
  let x = 0x2545_f491;
  for (let i = 0; i < b.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  b.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return b;
}

// ---------------------------------------------------------------------------

interface Row {
  label: string;
  format: Format;
  chunksPerTrack: number;
  meanChunk: number;
  entriesPerGiB: number;
  /** edit → [with cuts, without cuts] as % of the edited file. */
  edits: Record<Edit, [number, number]>;
}

const pct = (x: number): string => (x > 0 && x < 0.005 ? '<0.01%' : `${x.toFixed(2)}%`);
const kib = (bytes: number): string => `${fmtInt(bytes / KIB)} KiB`;

async function main(): Promise<string> {
  await preflight('bench:chunker', ['ffmpeg']);
  if (spawnSync(PYTHON, ['-c', 'import mutagen'], { stdio: 'ignore' }).status !== 0) throw new Error(`mutagen is not installed for ${PYTHON} (apt install python3-mutagen)`);
  const tmp = await mkdtemp(join(tmpdir(), 'musicfs-bench-chunker-'));
  const cleanup = async (): Promise<void> => {
    if (KEEP_TMP) log(`kept ${tmp}`);
    else await rm(tmp, { recursive: true, force: true });
  };
  const onSignal = (): void => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const m = machine(tmp);
    const started = performance.now();

    log(`making ${TRACKS} × ${FORMATS.length} tracks of ${TRACK_SECONDS} s with ffmpeg...`);
    const tracks: Track[] = [];
    await runPool(
      FORMATS.flatMap((format) => Array.from({ length: TRACKS }, (_, i) => async () => void tracks.push(await makeTrack(tmp, format, i)))),
      2,
    );
    tracks.sort((a, b) => a.path.localeCompare(b.path));
    const coverPath = join(tmp, 'cover.jpg');
    await writeFile(coverPath, coverBytes());
    log('editing tags (mutagen in place, ffmpeg remux)...');
    const ops = tracks.flatMap((t) =>
      EDITS.map((edit): EditOp => ({ src: t.path, dst: t.path.replace(/\.(\w+)$/, `.${edit}.$1`), format: t.format, edit, title: `Another, longer title for ${t.path.split('/').pop()}`, cover: coverPath })),
    );
    mutagenEdit(ops.filter((op) => op.edit !== 'remux'));
    await runPool(ops.filter((op) => op.edit === 'remux').map((op) => () => remux(op)), 2);

    // Throughput
    log('throughput...');
    const random = randomBytes(THROUGHPUT_BYTES);
    const randomRates = CANDIDATES.map((c) => ({ label: c.label, rate: throughput(random.length, () => chunkerOnly(random, c.params)) }));
    const flac = await readFile(tracks.find((t) => t.format === 'flac')!.path);
    const flacRate = throughput(flac.length, () => chunkFile(flac, AUDIO_CHUNK_PARAMS, true));
    const shaRate = throughput(random.length, () => {
      for (let at = 0; at < random.length; at += 256 * KIB) createHash('sha256').update(random.subarray(at, at + 256 * KIB)).digest();
    });

    // Dedup
    log('dedup...');
    const rows: Row[] = [];
    const sizes: Record<Format, number[]> = { flac: [], mp3: [], m4a: [] };
    const files = new Map<string, Buffer>();
    for (const t of tracks) {
      files.set(t.path, await readFile(t.path));
      sizes[t.format].push(files.get(t.path)!.length);
      for (const op of ops.filter((o) => o.src === t.path)) files.set(op.dst, await readFile(op.dst));
    }
    for (const c of CANDIDATES) {
      for (const format of FORMATS) {
        const mine = tracks.filter((t) => t.format === format);
        let chunks = 0;
        let bytes = 0;
        const edits = Object.fromEntries(EDITS.map((e) => [e, [0, 0]])) as unknown as Record<Edit, [number, number]>;
        for (const t of mine) {
          const original = files.get(t.path)!;
          const withCuts = chunkAndHash(original, c.params, true);
          const withoutCuts = chunkAndHash(original, c.params, false);
          chunks += withCuts.chunks;
          bytes += original.length;
          for (const op of ops.filter((o) => o.src === t.path)) {
            const edited = files.get(op.dst)!;
            edits[op.edit][0] += (newBytes(withCuts, chunkAndHash(edited, c.params, true)) / edited.length) * 100;
            edits[op.edit][1] += (newBytes(withoutCuts, chunkAndHash(edited, c.params, false)) / edited.length) * 100;
          }
        }
        for (const e of EDITS) edits[e] = [edits[e][0] / mine.length, edits[e][1] / mine.length];
        rows.push({ label: c.label, format, chunksPerTrack: chunks / mine.length, meanChunk: bytes / chunks, entriesPerGiB: GIB / (bytes / chunks), edits });
      }
    }
    const seconds = (performance.now() - started) / 1000;
    log(`done in ${seconds.toFixed(0)} s`);

    const avgSize = (f: Format): string => `${(sizes[f].reduce((a, b) => a + b, 0) / sizes[f].length / 1e6).toFixed(1)} MB`;
    const lines = [
      '## Chunking',
      '',
      `Measured by \`npm run bench:chunker\` on ${m.date}: ${m.cores} vCPUs (${m.model}), Linux ${m.kernel}, Node ${m.node}, commit ${m.commit}; load average ${m.loadStart} at the start (the machine is shared). Run time ${seconds.toFixed(0)} s.`,
      '',
      '**Throughput** (median of 5 runs, 128 KiB pushes, one thread)',
      '',
      '| what | MB/s |',
      '| --- | ---: |',
      ...randomRates.map((r) => `| StreamingChunker ${r.label}, 128 MiB random | ${fmtInt(r.rate)} |`),
      `| head scanner + chunker + trailer (64/256/1024 KiB), a ${(flac.length / 1e6).toFixed(1)} MB FLAC | ${fmtInt(flacRate)} |`,
      `| sha256 of 256 KiB chunks, for scale | ${fmtInt(shaRate)} |`,
      '',
      `**Dedup after a tag edit**: ${TRACKS} tracks per format, ${TRACK_SECONDS} s pink noise, stereo 44.1 kHz (FLAC ${avgSize('flac')}, MP3 256 kb/s + ID3v2.3 + ID3v1 ${avgSize('mp3')}, M4A AAC 256 kb/s moov first ${avgSize('m4a')}). ` +
        'New bytes = the edited file’s chunks the original did not have, % of the edited file, mean over the tracks; "cuts" = with the forced cuts at the payload boundaries, "CDC only" = without. ' +
        `Entries / GiB = manifest entries per GiB of such files (× ~${MANIFEST_ENTRY_BYTES} B each).`,
      '',
      `| min / avg / max | format | chunks / track | mean chunk | entries / GiB | ${EDITS.map((e) => `${EDIT_LABELS[e]}: cuts / CDC only`).join(' | ')} |`,
      `| --- | --- | ---: | ---: | ---: | ${EDITS.map(() => '---:').join(' | ')} |`,
      ...rows.map(
        (r) =>
          `| ${r.label} | ${r.format} | ${r.chunksPerTrack.toFixed(1)} | ${kib(r.meanChunk)} | ${fmtInt(r.entriesPerGiB)} (${((r.entriesPerGiB * MANIFEST_ENTRY_BYTES) / KIB).toFixed(0)} KiB) | ${EDITS.map((e) => `${pct(r.edits[e][0])} / ${pct(r.edits[e][1])}`).join(' | ')} |`,
      ),
    ];
    return lines.join('\n');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

try {
  process.stdout.write(`\n${await main()}\n`);
} catch (err) {
  log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
}
