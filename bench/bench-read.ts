/**
 * `npm run bench:read`: the read benchmark of MusicFS, side by side with
 * `rclone mount --vfs-cache-mode full`, mergerfs and the plain folder, over
 * the same local files in one run. Results are printed and written to the
 * `## Read` section of docs/benchmarks.md (other sections are kept).
 *
 * The library: N FLAC tracks of realistic size (default 40 × 150 s of stereo
 * 44.1 kHz 16-bit noise ≈ 24 MB each, ≈ 1 GB), each made by ffmpeg from its
 * own noise seed with its own tags (so MusicFS indexes them by tags, and no
 * two tracks share audio bytes a content-addressed cache could merge). It is
 * made once and kept between runs in a folder under the temp dir named after
 * its parameters (MUSICFS_BENCH_READ_LIB names another folder: reused if it
 * holds this benchmark's manifest or any audio files, else made there).
 *
 * Per system, one after the other, each on its own fresh mount:
 * 1. mount (MusicFS: `bin/musicfs mount MP --origin LIB` on empty XDG folders,
 *    waiting for `scan complete`; the peers: until the mount is listed in
 *    /proc/self/mountinfo) and find every track in it (MusicFS names files by
 *    tags: matched to the source by size);
 * 2. drop the page cache (see MUSICFS_BENCH_READ_DROP) of the source files
 *    and of rclone's cache files;
 * 3. cold random reads: 4 KiB at random offsets in the "seek" tracks (one in
 *    eight, never read before on this mount);
 * 4. cold pass: every other track read sequentially, 128 KiB reads (the first
 *    read is 4 KiB: time to first byte = open + that read);
 * 5. warm pass: the same again, nothing dropped;
 * 6. warm time to first byte: open + 4 KiB read + close, several rounds;
 * 7. warm random reads in the tracks the passes read;
 * 8. the FUSE daemon's CPU time (utime + stime of all its threads, around
 *    each pass) and memory (VmRSS / VmHWM) after all that; a spot check
 *    that a block of each track reads the same as the source.
 * Reads run in a worker thread with synchronous calls (bench/read-worker.ts).
 *
 * Every daemon is stopped (MusicFS SIGINT, peers SIGTERM), every mount point
 * `fusermount -uz`-ed and the temp folder removed, also when the benchmark
 * fails or is interrupted (bench/bench-daemon.ts).
 *
 * Environment knobs (defaults are the documented benchmark):
 *   MUSICFS_BENCH_READ_TRACKS=40  MUSICFS_BENCH_READ_SECONDS=150 (length of each track)
 *   MUSICFS_BENCH_READ_SEEKS=500 (random reads per phase)  MUSICFS_BENCH_READ_TTFB_ROUNDS=10
 *   MUSICFS_BENCH_READ_LIB=<dir>  MUSICFS_BENCH_READ_DROP=global|files
 *   MUSICFS_BENCH_READ_MERGERFS_OPTS=ro,cache.files=partial,dropcacheonclose=false,category.search=ff
 *   MUSICFS_BENCH_WRITE_DOCS=0 (print only)  MUSICFS_BENCH_KEEP=1 (keep the temp folder; mounts are still cleared)
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative } from 'node:path';
import { fmtInt, intEnv, loadText, log, machine, mb, p50, p99, preflight, sectionHead, toolVersion, yes, type Machine } from './bench-kit.js';
import { DaemonProcess, isMounted, makeState, makeTmpRoot, runBench, startFusePeer, trackMount, type DaemonOptions, type Memory } from './bench-daemon.js';
import { makeNoiseLibrary } from './library.js';
import { dropCaches, dropModeEnv, fmtMB, lat, matchBySize, mbps, ratioText, Reader, sum, walkFiles, type Drop, type SourceFile } from './read-kit.js';
import type { CompareResult, SamplesResult, SequentialResult } from './read-worker.js';

// ---------------------------------------------------------------------------
// Settings

const TRACKS = intEnv('MUSICFS_BENCH_READ_TRACKS', 40);
const SECONDS = intEnv('MUSICFS_BENCH_READ_SECONDS', 150);
const SEEKS = intEnv('MUSICFS_BENCH_READ_SEEKS', 500);
const FIRST_BYTE_ROUNDS = intEnv('MUSICFS_BENCH_READ_TTFB_ROUNDS', 10);
const LIB_FROM_ENV = process.env['MUSICFS_BENCH_READ_LIB'] || undefined;
const LIB_DIR = LIB_FROM_ENV ?? join(tmpdir(), `musicfs-bench-read-lib-v1-${TRACKS}x${SECONDS}s`);
const DROP_MODE = dropModeEnv('MUSICFS_BENCH_READ_DROP');

const BLOCK_BYTES = 128 * 1024;
const FIRST_BYTES = 4096;
const SEEK_BYTES = 4096;
/** One track in this many is kept for the cold random reads (never read by the passes). */
const SEEK_TRACK_EVERY = 8;
const SEED = 20_240_601;
const MANIFEST = '.musicfs-bench-read.json';
const AUDIO_EXTENSIONS = new Set(['.flac', '.mp3', '.m4a', '.ogg', '.opus', '.wav', '.aiff', '.aif', '.wv', '.ape']);

const READ_TIMEOUT_MS = 30 * 60_000;
const DAEMON_OPTIONS: DaemonOptions = { lineTimeoutMs: 10 * 60_000, stopTimeoutMs: 20_000 };

const RCLONE_OPTIONS = ['--vfs-cache-mode', 'full', '--read-only'];
const MERGERFS_OPTIONS = process.env['MUSICFS_BENCH_READ_MERGERFS_OPTS'] || 'ro,cache.files=partial,dropcacheonclose=false,category.search=ff';

const TARGETS = {
  coldVsRclone: 1,
  coldVsMergerfs: 0.5,
  warmVsMergerfs: 0.5,
  warmFirstByteP50Ms: 0.5,
  cpuVsMergerfs: 2,
};

// ---------------------------------------------------------------------------
// The library

type LibraryFile = SourceFile;

interface Library {
  dir: string;
  files: LibraryFile[];
  bytes: number;
  /** Made by this run, reused from an earlier run, or a folder of someone's own. */
  origin: 'made' | 'reused' | 'folder';
  /** How long making it took (this run or the one that made it). */
  generateMs: number | undefined;
  secondsPerTrack: number | undefined;
}

interface Manifest {
  version: 1;
  tracks: number;
  seconds: number;
  generateMs: number;
  files: LibraryFile[];
}

/** The library of this run: reused when its manifest matches, made (once) otherwise. */
async function ensureLibrary(scratch: string): Promise<Library> {
  const manifestFile = join(LIB_DIR, MANIFEST);
  if (existsSync(manifestFile)) {
    const m = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
    const intact = (await Promise.all(m.files.map(async (f) => (await stat(join(LIB_DIR, f.rel)).catch(() => undefined))?.size === f.size))).every(Boolean);
    if (intact && (LIB_FROM_ENV !== undefined || (m.tracks === TRACKS && m.seconds === SECONDS))) {
      return { dir: LIB_DIR, files: m.files, bytes: sum(m.files.map((f) => f.size)), origin: 'reused', generateMs: m.generateMs, secondsPerTrack: m.seconds };
    }
    log(`${LIB_DIR}: the library there does not match its manifest; making it again`);
    await rm(LIB_DIR, { recursive: true, force: true });
  } else if (LIB_FROM_ENV !== undefined && existsSync(LIB_DIR)) {
    const files = (await walkFiles(LIB_DIR)).filter((f) => AUDIO_EXTENSIONS.has(extname(f.path).toLowerCase())).map((f) => ({ rel: relative(LIB_DIR, f.path), size: f.size }));
    if (files.length < 2) throw new Error(`MUSICFS_BENCH_READ_LIB=${LIB_DIR} holds ${files.length} audio files: 2 or more are needed`);
    return { dir: LIB_DIR, files, bytes: sum(files.map((f) => f.size)), origin: 'folder', generateMs: undefined, secondsPerTrack: undefined };
  } else if (existsSync(LIB_DIR)) {
    await rm(LIB_DIR, { recursive: true, force: true });
  }

  await mkdir(dirname(LIB_DIR), { recursive: true });
  log(`making ${TRACKS} tracks of ${SECONDS} s noise with ffmpeg into ${LIB_DIR} (kept for the next runs)...`);
  const started = performance.now();
  const files = await makeNoiseLibrary(scratch, TRACKS, SECONDS);
  const generateMs = performance.now() - started;
  const manifest: Manifest = { version: 1, tracks: TRACKS, seconds: SECONDS, generateMs, files };
  await writeFile(join(scratch, MANIFEST), JSON.stringify(manifest, null, 1));
  try {
    await rename(scratch, LIB_DIR);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await cp(scratch, LIB_DIR, { recursive: true });
  }
  const bytes = sum(files.map((f) => f.size));
  log(`library: ${files.length} tracks, ${(bytes / 1e6).toFixed(0)} MB in ${(generateMs / 1000).toFixed(1)} s`);
  return { dir: LIB_DIR, files, bytes, origin: 'made', generateMs, secondsPerTrack: SECONDS };
}

// ---------------------------------------------------------------------------
// The systems

interface Mounted {
  /** Paths of the library's files as this system shows them, in library order. */
  paths: string[];
  /** The FUSE daemon (none for the plain folder). */
  daemon: DaemonProcess | undefined;
  /** spawn → ready (mounted, and for MusicFS its scan complete). */
  readyMs: number | undefined;
  /** More files to drop from the page cache before the cold reads (rclone's cache). */
  cacheDir: string | undefined;
}

interface System {
  name: string;
  /** How it runs, for the report. */
  how: string;
  mount(lib: Library, root: string): Promise<Mounted>;
}

const SYSTEMS: readonly System[] = [
  {
    name: 'MusicFS',
    how: '`bin/musicfs mount MP --origin LIB` on empty XDG folders (default config); files are named by tags, matched to the source by size (and track number when two sizes agree)',
    async mount(lib, root) {
      const mp = join(root, 'mnt-musicfs');
      await mkdir(mp);
      const state = await makeState('musicfs');
      trackMount(mp);
      const daemon = new DaemonProcess('musicfs', ['mount', mp, '--origin', lib.dir], state.env, DAEMON_OPTIONS);
      await daemon.waitForLine(/^musicfs: mounted /);
      const complete = await daemon.waitForLine(/^scan complete: /);
      log(`MusicFS: ${complete.text} (${(complete.t / 1000).toFixed(1)} s from spawn)`);
      return { paths: await matchBySize(lib.files, mp), daemon, readyMs: complete.t, cacheDir: undefined };
    },
  },
  {
    name: 'rclone',
    how: `\`rclone mount LIB MP ${RCLONE_OPTIONS.join(' ')} --cache-dir DIR --config /dev/null\` (local backend, an empty cache folder, other options at their defaults)`,
    async mount(lib, root) {
      const mp = join(root, 'mnt-rclone');
      const cacheDir = join(root, 'rclone-cache');
      await mkdir(mp);
      await mkdir(cacheDir);
      const daemon = await startFusePeer('rclone', 'rclone', ['mount', lib.dir, mp, ...RCLONE_OPTIONS, '--cache-dir', cacheDir, '--config', '/dev/null'], mp, DAEMON_OPTIONS);
      return { paths: lib.files.map((f) => join(mp, f.rel)), daemon, readyMs: await daemon.waitForMount(mp), cacheDir };
    },
  },
  {
    name: 'mergerfs',
    how: `\`mergerfs -f -o ${MERGERFS_OPTIONS} LIB MP\` (one branch${MERGERFS_OPTIONS.includes('cache.files=partial') ? '; `cache.files=partial`: page cache on, a mergerfs file cached while open, later opens served by mergerfs from the source files\' page cache' : ''})`,
    async mount(lib, root) {
      const mp = join(root, 'mnt-mergerfs');
      await mkdir(mp);
      const daemon = await startFusePeer('mergerfs', 'mergerfs', ['-f', '-o', MERGERFS_OPTIONS, lib.dir, mp], mp, DAEMON_OPTIONS);
      return { paths: lib.files.map((f) => join(mp, f.rel)), daemon, readyMs: await daemon.waitForMount(mp), cacheDir: undefined };
    },
  },
  {
    name: 'plain folder',
    how: 'the source files themselves, no FUSE',
    async mount(lib) {
      return { paths: lib.files.map((f) => join(lib.dir, f.rel)), daemon: undefined, readyMs: undefined, cacheDir: undefined };
    },
  },
];

// ---------------------------------------------------------------------------
// Measurements

interface SystemResult {
  name: string;
  how: string;
  readyMs: number | undefined;
  drop: Drop;
  coldSeek: SamplesResult;
  cold: SequentialResult;
  warm: SequentialResult;
  warmFirstByte: SamplesResult;
  warmSeek: SamplesResult;
  /** Daemon CPU seconds over each pass. */
  daemonCpu: { cold: number; warm: number } | undefined;
  memory: Memory | undefined;
  check: CompareResult;
}

interface Results {
  machine: Machine;
  versions: { rclone: string; mergerfs: string; ffmpeg: string };
  library: Library;
  passFiles: number;
  passBytes: number;
  seekFiles: number;
  systems: SystemResult[];
}

async function measure(system: System, lib: Library, root: string, reader: Reader, passIdx: number[], seekIdx: number[]): Promise<SystemResult> {
  log(`${system.name}: mounting...`);
  const m = await system.mount(lib, root);
  try {
    const pick = (idx: number[]): string[] => idx.map((i) => m.paths[i]!);
    const sizes = (idx: number[]): number[] => idx.map((i) => lib.files[i]!.size);
    const cacheFiles = m.cacheDir ? (await walkFiles(m.cacheDir)).map((f) => f.path) : [];
    const drop = await dropCaches([...lib.files.map((f) => join(lib.dir, f.rel)), ...cacheFiles], DROP_MODE);
    log(`${system.name}: page cache of the source files ${fmtMB(drop.residentBefore)} → ${fmtMB(drop.residentAfter)}`);

    const coldSeek = await reader.run<SamplesResult>({ op: 'seek', files: pick(seekIdx), sizes: sizes(seekIdx), count: SEEKS, bytes: SEEK_BYTES, seed: SEED });
    const cpu = (): number => m.daemon?.cpu().totalSec ?? NaN;
    const c0 = cpu();
    const cold = await reader.run<SequentialResult>({ op: 'sequential', files: pick(passIdx), firstBytes: FIRST_BYTES, blockBytes: BLOCK_BYTES });
    const c1 = cpu();
    const warm = await reader.run<SequentialResult>({ op: 'sequential', files: pick(passIdx), firstBytes: FIRST_BYTES, blockBytes: BLOCK_BYTES });
    const c2 = cpu();
    const warmFirstByte = await reader.run<SamplesResult>({ op: 'first-byte', files: pick(passIdx), rounds: FIRST_BYTE_ROUNDS, bytes: FIRST_BYTES });
    const warmSeek = await reader.run<SamplesResult>({ op: 'seek', files: pick(passIdx), sizes: sizes(passIdx), count: SEEKS, bytes: SEEK_BYTES, seed: SEED + 1 });
    const memory = m.daemon?.memory();
    const all = lib.files.map((_, i) => i);
    const check = await reader.run<CompareResult>({ op: 'compare', a: pick(all), b: lib.files.map((f) => join(lib.dir, f.rel)), sizes: sizes(all), bytes: BLOCK_BYTES, seed: SEED + 2 });
    const expected = sum(sizes(passIdx));
    for (const [label, pass] of [['cold', cold], ['warm', warm]] as const) {
      if (pass.bytes !== expected) throw new Error(`${system.name}: the ${label} pass read ${pass.bytes} bytes, the files hold ${expected}`);
    }
    if (check.equal !== check.total) throw new Error(`${system.name}: ${check.total - check.equal} of ${check.total} tracks read differently from their source`);
    const result: SystemResult = {
      name: system.name,
      how: system.how,
      readyMs: m.readyMs,
      drop,
      coldSeek,
      cold,
      warm,
      warmFirstByte,
      warmSeek,
      daemonCpu: m.daemon ? { cold: c1 - c0, warm: c2 - c1 } : undefined,
      memory,
      check,
    };
    log(
      `${system.name}: cold ${mbps(cold).toFixed(0)} MB/s, warm ${mbps(warm).toFixed(0)} MB/s; first byte warm p50 ${lat(p50(warmFirstByte.samplesMs))} ms; ` +
        `random read cold p50 ${lat(p50(coldSeek.samplesMs))} ms, warm ${lat(p50(warmSeek.samplesMs))} ms` +
        (result.daemonCpu ? `; daemon CPU ${result.daemonCpu.cold.toFixed(2)} s cold, ${result.daemonCpu.warm.toFixed(2)} s warm; RSS ${mb(memory!.rssKb)}` : ''),
    );
    return result;
  } finally {
    await m.daemon?.stop();
    if (m.cacheDir) await rm(m.cacheDir, { recursive: true, force: true });
  }
}

async function run(): Promise<Results> {
  await preflight('bench:read', ['ffmpeg', 'fusermount', 'rclone', 'mergerfs', 'dd', 'sync'], true);
  const root = await makeTmpRoot('musicfs-bench-read-');
  const mach = machine(root);
  const versions = {
    rclone: toolVersion('rclone', ['version'], /^rclone (\S+)/m),
    mergerfs: toolVersion('mergerfs', ['-V'], /mergerfs version:?\s*(\S+)/),
    ffmpeg: toolVersion('ffmpeg', ['-version'], /^ffmpeg version (\S+)/m),
  };
  const lib = await ensureLibrary(join(root, 'lib-new'));
  if (lib.files.length < 2) throw new Error('the library needs 2 tracks or more');
  log(`library: ${lib.files.length} tracks, ${(lib.bytes / 1e6).toFixed(0)} MB in ${lib.dir} (${lib.origin})`);

  // Every eighth track (at least one) is kept for the cold random reads.
  const seekIdx = lib.files.map((_, i) => i).filter((i) => i % SEEK_TRACK_EVERY === SEEK_TRACK_EVERY - 1);
  if (seekIdx.length === 0) seekIdx.push(lib.files.length - 1);
  const passIdx = lib.files.map((_, i) => i).filter((i) => !seekIdx.includes(i));

  const reader = new Reader(READ_TIMEOUT_MS);
  const systems: SystemResult[] = [];
  try {
    for (const system of SYSTEMS) systems.push(await measure(system, lib, root, reader, passIdx, seekIdx));
  } finally {
    await reader.close();
  }
  for (const mp of ['mnt-musicfs', 'mnt-rclone', 'mnt-mergerfs']) if (isMounted(join(root, mp))) log(`WARNING: ${mp} is still mounted after its daemon stopped`);
  mach.loadEnd = loadText();
  return { machine: mach, versions, library: lib, passFiles: passIdx.length, passBytes: sum(passIdx.map((i) => lib.files[i]!.size)), seekFiles: seekIdx.length, systems };
}

// ---------------------------------------------------------------------------
// Report

const latPair = (xs: readonly number[]): string => `${lat(p50(xs))} / ${lat(p99(xs))} ms`;
const perGb = (cpuSec: number, bytes: number): number => cpuSec / (bytes / 1e9);

function render(r: Results): string {
  const S = (name: string): SystemResult => {
    const s = r.systems.find((x) => x.name === name);
    if (!s) throw new Error(`no results for ${name}`);
    return s;
  };
  const ours = S('MusicFS');
  const rclone = S('rclone');
  const mergerfs = S('mergerfs');
  const L = r.library;
  const m = r.machine;

  const rows = r.systems.map((s) => [
    `**${s.name}**`,
    mbps(s.cold).toFixed(0),
    mbps(s.warm).toFixed(0),
    latPair(s.cold.firstByteMs),
    latPair(s.warmFirstByte.samplesMs),
    latPair(s.coldSeek.samplesMs),
    latPair(s.warmSeek.samplesMs),
    s.daemonCpu ? `${perGb(s.daemonCpu.cold, s.cold.bytes).toFixed(2)} / ${perGb(s.daemonCpu.warm, s.warm.bytes).toFixed(2)}` : 'n/a (kernel)',
    `${perGb(s.cold.cpuSec, s.cold.bytes).toFixed(2)} / ${perGb(s.warm.cpuSec, s.warm.bytes).toFixed(2)}`,
    s.memory ? `${mb(s.memory.rssKb)} / ${mb(s.memory.hwmKb)}` : 'n/a',
  ]);
  const table = [
    '| system | cold read MB/s | warm read MB/s | first byte, cold p50 / p99 | first byte, warm p50 / p99 | random 4 KiB read, cold p50 / p99 | random 4 KiB read, warm p50 / p99 | daemon CPU s/GB, cold / warm | reader CPU s/GB, cold / warm | daemon RSS / peak |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

  const coldVsRclone = mbps(ours.cold) / mbps(rclone.cold);
  const coldVsMergerfs = mbps(ours.cold) / mbps(mergerfs.cold);
  const warmVsMergerfs = mbps(ours.warm) / mbps(mergerfs.warm);
  const warmFirstByte = p50(ours.warmFirstByte.samplesMs);
  const cpuPerGb = (s: SystemResult): number => perGb((s.daemonCpu?.cold ?? NaN) + (s.daemonCpu?.warm ?? NaN), s.cold.bytes + s.warm.bytes);
  const cpuVsMergerfs = cpuPerGb(ours) / cpuPerGb(mergerfs);
  const targets = [
    '| target | measured | met? |',
    '|---|---|---|',
    `| cold throughput ≥ rclone's | ${mbps(ours.cold).toFixed(0)} vs ${mbps(rclone.cold).toFixed(0)} MB/s: ${ratioText(coldVsRclone)} | ${yes(coldVsRclone >= TARGETS.coldVsRclone)} |`,
    `| cold throughput ≥ ${TARGETS.coldVsMergerfs} × mergerfs's | ${mbps(ours.cold).toFixed(0)} vs ${mbps(mergerfs.cold).toFixed(0)} MB/s: ${ratioText(coldVsMergerfs)} | ${yes(coldVsMergerfs >= TARGETS.coldVsMergerfs)} |`,
    `| warm throughput ≥ ${TARGETS.warmVsMergerfs} × mergerfs's | ${mbps(ours.warm).toFixed(0)} vs ${mbps(mergerfs.warm).toFixed(0)} MB/s: ${ratioText(warmVsMergerfs)} | ${yes(warmVsMergerfs >= TARGETS.warmVsMergerfs)} |`,
    `| time to first byte, warm, p50 < ${TARGETS.warmFirstByteP50Ms} ms | ${lat(warmFirstByte)} ms | ${yes(warmFirstByte < TARGETS.warmFirstByteP50Ms)} |`,
    `| daemon CPU per GB read ≤ ${TARGETS.cpuVsMergerfs} × mergerfs's (cold and warm passes) | ${cpuPerGb(ours).toFixed(2)} vs ${cpuPerGb(mergerfs).toFixed(2)} s/GB: ${ratioText(cpuVsMergerfs)} | ${yes(cpuVsMergerfs <= TARGETS.cpuVsMergerfs)} |`,
  ].join('\n');

  const libraryText =
    L.origin === 'folder'
      ? `${fmtInt(L.files.length)} audio files of the folder MUSICFS_BENCH_READ_LIB names`
      : `${fmtInt(L.files.length)} FLAC tracks of ${L.secondsPerTrack} s stereo 44.1 kHz 16-bit white noise (each its own seeds and tags, 10 per album), made by ffmpeg ${r.versions.ffmpeg} in ${((L.generateMs ?? NaN) / 1000).toFixed(1)} s${L.origin === 'reused' ? ' by an earlier run and reused' : ''}`;
  const drops = [...new Set(r.systems.map((s) => s.drop.method))];
  const residentAfter = Math.max(...r.systems.map((s) => s.drop.residentAfter));

  const method = [
    `- **Library**: ${libraryText}: ${(L.bytes / 1e6).toFixed(0)} MB, ${(L.bytes / L.files.length / 1e6).toFixed(1)} MB per track on average. The passes read ${r.passFiles} tracks (${(r.passBytes / 1e6).toFixed(0)} MB); ${r.seekFiles === 1 ? '1 track is' : `${r.seekFiles} tracks (one in ${SEEK_TRACK_EVERY}) are`} kept for the cold random reads, so those are first touches.`,
    `- **Order, per system** (one at a time, each on a fresh mount): mount; drop the page cache; ${fmtInt(SEEKS)} cold random reads of ${SEEK_BYTES / 1024} KiB at 4 KiB-aligned offsets (seeded: the same offsets for every system) over the kept tracks; the cold pass; the warm pass; ${FIRST_BYTE_ROUNDS} rounds of warm first bytes; ${fmtInt(SEEKS)} warm random reads over the passes' tracks.`,
    `- **Passes**: each track opened, read from start to end (the first read ${FIRST_BYTES / 1024} KiB, then ${BLOCK_BYTES / 1024} KiB reads), closed; MB/s = bytes / wall time of the whole pass (MB = 10⁶ bytes). **First byte** = open + the first ${FIRST_BYTES / 1024} KiB read: cold from the cold pass (${r.passFiles} samples, one per track), warm from ${FIRST_BYTE_ROUNDS} rounds of open + read + close (${fmtInt(FIRST_BYTE_ROUNDS * r.passFiles)} samples). Reads are synchronous \`read(2)\`s from a worker thread of the benchmark. p50 / p99 interpolate between sorted samples; with few samples p99 is close to the maximum.`,
    `- **Cold** means the page cache dropped, after the mount was up (MusicFS reads the start and end of every file while scanning): ${drops.join('; ')}. ${Number.isNaN(residentAfter) ? '' : `After the drop at most ${fmtMB(residentAfter)} of the source files stayed in the page cache (fincore). `}Each system's own cache starts empty (rclone: a new \`--cache-dir\`; MusicFS: new XDG folders). **Warm**: the second pass, from whatever the system kept (page cache, rclone's cache files, MusicFS's caches).`,
    `- **CPU**: the FUSE daemon's utime + stime (all threads, /proc/PID/stat) over each pass ÷ GB read; the plain folder has no daemon (the kernel does the work, in the reader's system time). Reader CPU: the benchmark process over each pass. Memory: VmRSS / VmHWM of the daemon after all reads.`,
    `- Every pass read every byte of its tracks, and one ${BLOCK_BYTES / 1024} KiB block at a random offset of every track read the same through each system as from the source.`,
  ];

  const peers = [
    ...r.systems.map((s) => `- **${s.name}**: ${s.how}${s.readyMs !== undefined ? `; ready ${(s.readyMs / 1000).toFixed(2)} s after spawn` : ''}.`),
    `- Versions: rclone ${r.versions.rclone}, mergerfs ${r.versions.mergerfs}.`,
  ];

  return [
    ...sectionHead('Read', 'bench:read', m, `rclone ${r.versions.rclone}; mergerfs ${r.versions.mergerfs}; `, ': other work on the machine during the run shows there.'),
    '**Systems**',
    '',
    ...peers,
    '',
    table,
    '',
    '**Targets** (MusicFS against its peers)',
    '',
    targets,
    '',
    '**Method**',
    '',
    ...method,
    '',
  ].join('\n');
}

process.exitCode = await runBench('Read', 'stopping daemons and unmounting...', async () => render(await run()));
