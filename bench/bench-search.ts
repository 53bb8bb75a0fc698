/**
 * `npm run bench:search`: the search benchmark of MusicFS, side by side with
 * beets, in one run. Results are printed and written to the `## Search`
 * section of docs/benchmarks.md (other sections are kept).
 *
 * 1. Builds ONE library of real audio files (default 100,000 tiny FLACs: one
 *    ~0.2 s 8 kHz mono base made with ffmpeg, re-tagged in memory per track
 *    with the tags of bench/search-catalog.ts, so artists, albums, titles,
 *    genres and years are realistic and varied), in folders of 1,000 files.
 * 2. Starts `bin/musicfs daemon --origin LIB` on fresh temp XDG folders
 *    (no mount: search does not need one), waits for `scan complete` and
 *    checks that the catalog holds every track (GetStatus).
 * 3. For a set of queries that mean the same in both tools, times
 *    - the API: gRPC `Search` (limit 100) on one warm connection;
 *    - the CLI: `bin/musicfs search QUERY --json --limit 100`, whole process;
 *    and counts the matches (SearchStream, every match).
 * 4. Stops the daemon, imports the same folder into beets
 *    (`beet import -A -C -W -q` into a temp BEETSDIR; timed, not a target),
 *    checks `beet ls` lists every track, then times `beet ls QUERY` (whole
 *    process) for the same queries.
 *
 * Runs of one kind go round-robin over the queries (query 1, 2, …, 12, then
 * again), so a burst of other work on the (shared) machine spreads over all
 * queries instead of spoiling one. Percentiles interpolate linearly between
 * the sorted samples; with 10 or 20 runs p99 is close to the maximum.
 *
 * The daemon is the `bin/musicfs daemon` process itself (node), stopped with
 * SIGINT; every temp folder is removed in a `finally`, also when the
 * benchmark fails or is interrupted.
 *
 * Environment knobs (defaults are the documented benchmark):
 *   MUSICFS_BENCH_TRACKS=100000  MUSICFS_BENCH_API_RUNS=200  MUSICFS_BENCH_CLI_RUNS=20  MUSICFS_BENCH_BEETS_RUNS=10
 *   MUSICFS_BENCH_WRITE_DOCS=0 (print only)  MUSICFS_BENCH_KEEP=1 (keep the temp folder)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, writeFile } from 'node:fs/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { Track__Output } from '../src-main/common/api/gen/musicfs/v1/Track.js';
import { ApiClient } from '../test/support/api-client.js';
import { flacWithTags, makeBaseAudio, vorbisComments, type BaseAudioSpec } from '../test/support/tagged-audio.js';
import { searchCatalogTags } from './search-catalog.js';
import { BIN, REPO, beetsConfig, countLines, fmtInt, intEnv, limitsSection, loadText, log, machine, max, p50, p99, preflight, sectionHead, timeCommand, yes, type CommandRun, type Machine } from './bench-kit.js';
import { DaemonProcess, makeState, makeTmpRoot, runBench, type Memory } from './bench-daemon.js';

// ---------------------------------------------------------------------------
// Settings

const TRACKS = intEnv('MUSICFS_BENCH_TRACKS', 100_000);
const API_RUNS = intEnv('MUSICFS_BENCH_API_RUNS', 200);
const CLI_RUNS = intEnv('MUSICFS_BENCH_CLI_RUNS', 20);
const BEETS_RUNS = intEnv('MUSICFS_BENCH_BEETS_RUNS', 10);
/** Untimed API calls per query before the timed ones (first reads of the SQLite pages, JIT of the paths). */
const API_WARMUP = 3;
/** Runs of the start-up floors (`node -e 0`, `musicfs --version`, python, `beet ls id:0`) and of the import breakdown. */
const FLOOR_RUNS = 10;
const FILES_PER_FOLDER = 1000;
const WRITE_CONCURRENCY = 64;
const LIMIT = 100;

const BASE_SPEC: BaseAudioSpec = { frequency: 440, sampleRate: 8000, durationSec: 0.2 };
const SCAN_TIMEOUT_MS = 30 * 60_000;
const BEETS_IMPORT_TIMEOUT_MS = 2 * 60 * 60_000;
const STOP_TIMEOUT_MS = 30_000;

const TARGETS = {
  apiP99Ms: 10,
  vsBeets: 10,
};


const DAEMON_OPTIONS = { lineTimeoutMs: SCAN_TIMEOUT_MS, stopTimeoutMs: STOP_TIMEOUT_MS };

interface Query {
  /** What it stands for. */
  kind: string;
  /** The MusicFS query (one string, as typed after `musicfs search`). */
  musicfs: string;
  /** The `beet ls` arguments that mean the same. */
  beets: string[];
}

/**
 * Queries that mean the same in both tools. MusicFS matches each word as a
 * word prefix (accent- and case-insensitive); beets matches substrings
 * (SQLite LIKE: case-insensitive for ASCII letters only).
 */
const QUERIES: readonly Query[] = [
  { kind: 'a name', musicfs: 'miles', beets: ['miles'] },
  { kind: 'field', musicfs: 'artist:miles', beets: ['artist:miles'] },
  { kind: 'field with a phrase', musicfs: 'artist:"miles davis"', beets: ['artist:miles davis'] },
  { kind: 'year range', musicfs: 'year:1950..1959', beets: ['year:1950..1959'] },
  { kind: 'genre', musicfs: 'genre:jazz', beets: ['genre:jazz'] },
  { kind: 'rare word', musicfs: 'narwhal', beets: ['narwhal'] },
  { kind: 'broad word', musicfs: 'love', beets: ['love'] },
  { kind: 'two words', musicfs: 'love night', beets: ['love', 'night'] },
  { kind: 'phrase', musicfs: '"kind of blue"', beets: ['kind of blue'] },
  { kind: 'field + year range', musicfs: 'album:blue year:1960..1969', beets: ['album:blue', 'year:1960..1969'] },
  { kind: 'diacritics', musicfs: 'café', beets: ['café'] },
  { kind: 'exclusion', musicfs: 'genre:rock -live', beets: ['genre:rock', '^live'] },
];

// ---------------------------------------------------------------------------
// The library

interface LibraryStats {
  files: number;
  bytes: number;
  folders: number;
  artists: number;
  albumArtists: number;
  albums: number;
  genres: number;
  compilationTracks: number;
  minYear: number;
  maxYear: number;
  baseBytes: number;
  generateMs: number;
}

/**
 * Writes `n` FLACs into `dir/batch-NNN/track_NNNNNN.flac`, 1,000 per folder,
 * tagged with the search catalog's tracks (bench/search-catalog.ts, same
 * order and seed as `makeSearchCatalog`). A MUSICFS_BENCH_ID comment makes
 * every file's bytes distinct (neither tool reads or searches it), so no two
 * files are merged as copies of one recording.
 */
async function makeSearchLibrary(dir: string, n: number, scratch: string): Promise<LibraryStats> {
  const started = performance.now();
  await mkdir(scratch, { recursive: true });
  const base = await makeBaseAudio(scratch, BASE_SPEC);
  const folders = Math.ceil(n / FILES_PER_FOLDER);
  const folderName = (f: number): string => `batch-${String(f + 1).padStart(3, '0')}`;
  for (let f = 0; f < folders; f++) await mkdir(join(dir, folderName(f)), { recursive: true });

  const artists = new Set<string>();
  const albumArtists = new Set<string>();
  const albums = new Set<string>();
  const genres = new Set<string>();
  let compilationTracks = 0;
  let minYear = Infinity;
  let maxYear = -Infinity;
  let bytes = 0;
  let written = 0;
  let next = 0;
  const tags = searchCatalogTags(n);
  const worker = async (): Promise<void> => {
    for (;;) {
      const item = tags.next();
      if (item.done) return;
      const t = item.value;
      const index = next++;
      if (t.artist !== undefined) artists.add(t.artist);
      if (t.albumArtist !== undefined) albumArtists.add(t.albumArtist);
      albums.add(`${t.albumArtist ?? t.artist ?? ''}\u0000${t.album ?? ''}\u0000${t.year ?? ''}`);
      if (t.genre !== undefined) genres.add(t.genre);
      if (t.compilation) compilationTracks++;
      if (t.year !== undefined) {
        minYear = Math.min(minYear, t.year);
        maxYear = Math.max(maxYear, t.year);
      }
      const data = flacWithTags(base.flac, { ...vorbisComments(t), MUSICFS_BENCH_ID: String(index + 1) });
      bytes += data.length;
      const path = join(dir, folderName(Math.floor(index / FILES_PER_FOLDER)), `track_${String(index + 1).padStart(6, '0')}.flac`);
      await writeFile(path, data);
      if (++written % 20_000 === 0) log(`  library: ${written.toLocaleString('en-US')} files written (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  };
  await Promise.all(Array.from({ length: WRITE_CONCURRENCY }, worker));
  return {
    files: written,
    bytes,
    folders,
    artists: artists.size,
    albumArtists: albumArtists.size,
    albums: albums.size,
    genres: genres.size,
    compilationTracks,
    minYear,
    maxYear,
    baseBytes: base.flac.length,
    generateMs: performance.now() - started,
  };
}

// ---------------------------------------------------------------------------
// beets

/** A beets config and env for the search library (see `beetsConfig`). */
function searchBeetsConfig(dir: string): Promise<NodeJS.ProcessEnv> {
  return beetsConfig(dir, {
    // A folder of 1,000 tracks is one "album" to beets, named after its most common album tag:
    // two folders may get the same name, and quiet mode would then skip the second as a duplicate.
    importOptions: { duplicate_action: 'keep' },
    env: { LC_ALL: 'C.UTF-8', PYTHONIOENCODING: 'utf-8' },
  });
}

/** Items in the beets library so far (read-only; undefined while it cannot be read). */
function beetsItemsSoFar(dbFile: string): number | undefined {
  if (!existsSync(dbFile)) return undefined;
  try {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true, timeout: 100 });
    try {
      return (db.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// The run

interface QueryResult {
  query: Query;
  /** Client-observed ms of each timed `Search` call. */
  api: number[];
  /** `took_ms` the daemon reported for the same calls (worker round trip + SQL). */
  apiTook: number[];
  cli: number[];
  beets: number[];
  /** Every match (SearchStream with no limit). */
  musicfsCount: number;
  /** `total` of Search (counted up to 10,000). */
  musicfsTotal: number;
  /** Lines printed by `beet ls`. */
  beetsCount: number;
}

interface Results {
  machine: Machine;
  library: LibraryStats;
  scan: { ms: number; line: string; statusTracks: number; rss: Memory };
  /** `firstRate`: items/s over the first progress interval (beets slows down as its library grows). */
  beetsImport: { ms: number; items: number; firstRate: number | undefined };
  queries: QueryResult[];
  floors: Floors;
  imports: ImportBreakdown;
  apiGc: ApiGc;
}

/** GC pauses in the benchmark (client) process during the timed API calls. */
interface ApiGc {
  calls: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** Calls that took at least the p99 target. */
  slowCalls: number;
  /** ... of which overlapped a GC pause of the client. */
  slowWithGc: number;
}

interface Floors {
  /** `node -e 0`. */
  node: number[];
  /** `musicfs --version`: node + the CLI's modules, no daemon call. */
  musicfsVersion: number[];
  /** beets' interpreter (the shebang of `beet`) with `-c 0`. */
  python: number[];
  /** `beet ls id:0`: start-up, config, opening the library, one primary-key lookup, no output. */
  beetsNoop: number[];
}

/** ms to import/run each step in a fresh node process (one sample per run). */
interface ImportBreakdown {
  grpc: number[];
  protoLoader: number[];
  loadApi: number[];
  cliProgram: number[];
}

/**
 * Where the CLI's start-up goes: a fresh node process imports, in the CLI's
 * order, grpc-js, proto-loader, then parses the .proto files (`loadApi`),
 * then imports the CLI program (commander and the commands); each step timed.
 */
async function importBreakdown(env: NodeJS.ProcessEnv): Promise<ImportBreakdown> {
  const require = createRequire(join(REPO, 'package.json'));
  const url = (p: string): string => pathToFileURL(p).href;
  const script = `
    const [grpc, loader, proto, program] = process.argv.slice(1);
    let t = performance.now();
    const out = {};
    const step = (name) => { const now = performance.now(); out[name] = now - t; t = now; };
    await import(grpc); step('grpc');
    await import(loader); step('protoLoader');
    (await import(proto)).loadApi(); step('loadApi');
    await import(program); step('cliProgram');
    process.stdout.write(JSON.stringify(out));`;
  const args = [
    url(require.resolve('@grpc/grpc-js')),
    url(require.resolve('@grpc/proto-loader')),
    url(join(REPO, 'dist', 'src-main', 'common', 'api', 'proto.js')),
    url(join(REPO, 'dist', 'src-main', 'cli', 'program.js')),
  ];
  const out: ImportBreakdown = { grpc: [], protoLoader: [], loadApi: [], cliProgram: [] };
  for (let i = 0; i < FLOOR_RUNS; i++) {
    const r = await timeCommand(process.execPath, ['--input-type=module', '-e', script, ...args], env);
    const sample = JSON.parse(r.stdout) as Record<keyof ImportBreakdown, number>;
    for (const key of Object.keys(out) as (keyof ImportBreakdown)[]) out[key].push(sample[key]);
  }
  return out;
}

/** The interpreter `beet` runs on (its shebang), or python3. */
function beetsPython(): string {
  const where = spawnSync('sh', ['-c', 'command -v beet'], { encoding: 'utf8' }).stdout?.trim();
  try {
    const first = readFileSync(where ?? '', 'utf8').split('\n', 1)[0] ?? '';
    const m = /^#!\s*(\S+)/.exec(first);
    if (m?.[1] && !m[1].endsWith('/env')) return m[1];
  } catch {
    // Not a script: fall through.
  }
  return 'python3';
}

async function run(): Promise<Results> {
  await preflight('bench:search', ['beet', 'ffmpeg']);
  const tmpRoot = await makeTmpRoot('musicfs-bench-search-');
  const lib = join(tmpRoot, 'lib');
  const mach = machine(tmpRoot);

  // 1. The library.
  log(`writing ${TRACKS.toLocaleString('en-US')} FLACs...`);
  const library = await makeSearchLibrary(lib, TRACKS, join(tmpRoot, 'base'));
  log(`library: ${library.files} files, ${(library.bytes / 1e6).toFixed(1)} MB in ${library.folders} folders, ${(library.generateMs / 1000).toFixed(1)} s`);

  const results: QueryResult[] = QUERIES.map((query) => ({ query, api: [], apiTook: [], cli: [], beets: [], musicfsCount: 0, musicfsTotal: 0, beetsCount: 0 }));

  // 2. MusicFS: scan, then the API and the CLI.
  const { env } = await makeState('musicfs');
  const daemon = new DaemonProcess('daemon', ['daemon', '--origin', lib], env, DAEMON_OPTIONS);
  let scan: Results['scan'];
  const floors: Floors = { node: [], musicfsVersion: [], python: [], beetsNoop: [] };
  let imports: ImportBreakdown;
  let apiGc: ApiGc;
  try {
    const ready = await daemon.waitForLine(/^musicfs: daemon ready /, 60_000);
    const socket = /control socket (.+)\)\s*$/.exec(ready.text)?.[1];
    if (socket === undefined) throw new Error(`no control socket in: ${ready.text}`);
    log(`daemon ready at ${ready.t.toFixed(0)} ms; scanning...`);
    const complete = await daemon.waitForLine(/^scan complete: /);
    log(`${complete.text} (${(complete.t / 1000).toFixed(1)} s from spawn)`);
    const client = await ApiClient.connect(socket);
    try {
      const status = await client.call('GetStatus', {});
      if (status.tracks !== TRACKS) log(`WARNING: the catalog holds ${status.tracks} tracks, not ${TRACKS}`);
      else log(`catalog: ${status.tracks} tracks`);
      scan = { ms: complete.t, line: complete.text, statusTracks: status.tracks, rss: daemon.memory() };

      // Match counts (untimed): every match through SearchStream, and Search's capped total.
      for (const r of results) {
        const { messages } = client.stream<Track__Output>('SearchStream', { query: r.query.musicfs, limit: 0 });
        let n = 0;
        for await (const _ of messages) n++;
        r.musicfsCount = n;
        const page = await client.call('Search', { query: r.query.musicfs, limit: LIMIT });
        r.musicfsTotal = page.total;
        if (page.tracks.length !== Math.min(LIMIT, n)) throw new Error(`${r.query.musicfs}: Search returned ${page.tracks.length} tracks, SearchStream ${n} in all`);
        log(`  ${r.query.musicfs}: ${n} matches (Search total ${page.total})`);
      }

      // The API: warm-up, then round-robin timed calls on this one connection.
      for (let w = 0; w < API_WARMUP; w++) for (const r of results) await client.call('Search', { query: r.query.musicfs, limit: LIMIT });
      log(`API: ${API_RUNS} × ${results.length} Search calls...`);
      // GC pauses of this (the client's) process, to tell how many slow calls they explain.
      const gcSpans: [number, number][] = [];
      const gcObserver = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) gcSpans.push([e.startTime, e.startTime + e.duration]);
      });
      gcObserver.observe({ entryTypes: ['gc'] });
      const callSpans: [number, number][] = [];
      for (let i = 0; i < API_RUNS; i++) {
        for (const r of results) {
          const t = performance.now();
          const res = await client.call('Search', { query: r.query.musicfs, limit: LIMIT });
          const end = performance.now();
          r.api.push(end - t);
          r.apiTook.push(res.tookMs);
          callSpans.push([t, end]);
        }
      }
      await sleep(100);
      gcObserver.disconnect();
      const slow = callSpans.filter(([a, b]) => b - a >= TARGETS.apiP99Ms);
      apiGc = {
        calls: callSpans.length,
        gcCount: gcSpans.length,
        gcTotalMs: gcSpans.reduce((sum, [a, b]) => sum + (b - a), 0),
        gcMaxMs: gcSpans.reduce((m, [a, b]) => Math.max(m, b - a), 0),
        slowCalls: slow.length,
        slowWithGc: slow.filter(([a, b]) => gcSpans.some(([ga, gb]) => ga < b && gb > a)).length,
      };
      log(`  client GC during the API runs: ${apiGc.gcCount} pauses, ${apiGc.gcTotalMs.toFixed(0)} ms in all, longest ${apiGc.gcMaxMs.toFixed(1)} ms; calls ≥ ${TARGETS.apiP99Ms} ms: ${apiGc.slowCalls}, of which ${apiGc.slowWithGc} overlap a client GC`);
      for (const r of results) log(`  API ${r.query.musicfs}: p50 ${p50(r.api).toFixed(2)} ms, p99 ${p99(r.api).toFixed(2)} ms, max ${max(r.api).toFixed(2)} ms`);
    } finally {
      client.close();
    }

    // The CLI: whole process, round-robin.
    log(`CLI: ${CLI_RUNS} × ${results.length} \`musicfs search\` runs...`);
    for (let i = 0; i < CLI_RUNS; i++) {
      for (const r of results) {
        const run = await timeCommand(BIN, ['search', r.query.musicfs, '--json', '--limit', String(LIMIT)], env);
        r.cli.push(run.ms);
        if (i === 0) {
          const doc = JSON.parse(run.stdout) as { tracks?: unknown[] };
          const got = doc.tracks?.length ?? 0;
          if (got !== Math.min(LIMIT, r.musicfsCount)) throw new Error(`musicfs search ${r.query.musicfs}: ${got} tracks in its JSON, expected ${Math.min(LIMIT, r.musicfsCount)}`);
        }
      }
    }
    for (const r of results) log(`  CLI ${r.query.musicfs}: p50 ${p50(r.cli).toFixed(0)} ms, p99 ${p99(r.cli).toFixed(0)} ms`);

    // Start-up floors of the CLI: bare node, and the CLI's modules without a daemon call.
    for (let i = 0; i < FLOOR_RUNS; i++) {
      floors.node.push((await timeCommand(process.execPath, ['-e', '0'], env)).ms);
      floors.musicfsVersion.push((await timeCommand(BIN, ['--version'], env)).ms);
    }
    imports = await importBreakdown(env);
    log(`floors: node -e 0 p50 ${p50(floors.node).toFixed(0)} ms; musicfs --version p50 ${p50(floors.musicfsVersion).toFixed(0)} ms`);
    log(`imports (p50): grpc-js ${p50(imports.grpc).toFixed(1)} ms, proto-loader ${p50(imports.protoLoader).toFixed(1)} ms, loadApi ${p50(imports.loadApi).toFixed(1)} ms, CLI program ${p50(imports.cliProgram).toFixed(1)} ms`);
  } finally {
    await daemon.stop();
  }

  // 3. beets: import (timed, not a target), then `beet ls`.
  const beetsDir = join(tmpRoot, 'beets');
  const beetsEnv = await searchBeetsConfig(beetsDir);
  log(`beet import -A -C -W -q (${TRACKS.toLocaleString('en-US')} files; this takes minutes)...`);
  const importStarted = performance.now();
  let firstRate: number | undefined;
  const progress = setInterval(() => {
    const n = beetsItemsSoFar(join(beetsDir, 'library.db'));
    const sec = (performance.now() - importStarted) / 1000;
    if (n && firstRate === undefined) firstRate = n / sec;
    log(`  beets: ${n === undefined ? '?' : n.toLocaleString('en-US')} items after ${sec.toFixed(0)} s${n ? ` (${(n / sec).toFixed(0)} items/s)` : ''}`);
  }, 15_000);
  let importRun: CommandRun;
  try {
    importRun = await timeCommand('beet', ['import', '-A', '-C', '-W', '-q', lib], beetsEnv, BEETS_IMPORT_TIMEOUT_MS);
  } finally {
    clearInterval(progress);
  }
  const items = countLines((await timeCommand('beet', ['ls', '-f', '$id'], beetsEnv)).stdout);
  log(`beet import: ${(importRun.ms / 1000).toFixed(1)} s, ${items} items`);
  if (items !== TRACKS) log(`WARNING: beets holds ${items} items, not ${TRACKS}`);

  log(`beet ls: ${BEETS_RUNS} × ${results.length} runs...`);
  for (let i = 0; i < BEETS_RUNS; i++) {
    for (const r of results) {
      const run = await timeCommand('beet', ['ls', ...r.query.beets], beetsEnv);
      r.beets.push(run.ms);
      if (i === 0) r.beetsCount = countLines(run.stdout);
    }
    log(`  round ${i + 1}/${BEETS_RUNS} done`);
  }
  for (const r of results) log(`  beet ls ${r.query.beets.join(' ')}: p50 ${p50(r.beets).toFixed(0)} ms, p99 ${p99(r.beets).toFixed(0)} ms, ${r.beetsCount} lines`);
  const python = beetsPython();
  for (let i = 0; i < FLOOR_RUNS; i++) {
    floors.python.push((await timeCommand(python, ['-c', '0'], beetsEnv)).ms);
    floors.beetsNoop.push((await timeCommand('beet', ['ls', 'id:0'], beetsEnv)).ms);
  }
  log(`floors: ${python} -c 0 p50 ${p50(floors.python).toFixed(0)} ms; beet ls id:0 p50 ${p50(floors.beetsNoop).toFixed(0)} ms`);

  mach.loadEnd = loadText();
  return { machine: mach, library, scan, beetsImport: { ms: importRun.ms, items, firstRate }, queries: results, floors, imports, apiGc };
}

// ---------------------------------------------------------------------------
// Report

const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toString());
const pair = (xs: readonly number[]): string => `${ms(p50(xs))} / ${ms(p99(xs))} ms`;
const ratio = (a: number, b: number): string => `${(a / b) >= 100 ? Math.round(a / b) : (a / b).toFixed(1)}×`;
const code = (s: string): string => `\`${s.replaceAll('|', '\\|')}\``;
const beetsArgs = (args: readonly string[]): string => args.map((a) => (/[\s"^]/.test(a) ? `'${a}'` : a)).join(' ');

function render(r: Results): string {
  const Q = r.queries;
  const all = (pick: (q: QueryResult) => number[]): number[] => Q.flatMap(pick);
  const api = all((q) => q.api);
  const cli = all((q) => q.cli);
  const beets = all((q) => q.beets);
  const took = all((q) => q.apiTook);

  const rows = Q.map((q) => [
    `${code(q.query.musicfs)}${beetsArgs(q.query.beets) !== q.query.musicfs ? ` (beets: ${code(beetsArgs(q.query.beets))})` : ''} — ${q.query.kind}`,
    `${pair(q.api)} (max ${ms(max(q.api))})`,
    pair(q.cli),
    pair(q.beets),
    `${ratio(p50(q.beets), p50(q.api))} / ${ratio(p99(q.beets), p99(q.api))}`,
    `${ratio(p50(q.beets), p50(q.cli))} / ${ratio(p99(q.beets), p99(q.cli))}`,
    `${fmtInt(q.musicfsCount)} / ${fmtInt(q.beetsCount)}`,
  ]);
  rows.push([
    `**all ${Q.length} queries** (samples pooled: ${fmtInt(api.length)} / ${fmtInt(cli.length)} / ${fmtInt(beets.length)})`,
    `**${pair(api)}** (max ${ms(max(api))})`,
    `**${pair(cli)}**`,
    `**${pair(beets)}**`,
    `**${ratio(p50(beets), p50(api))} / ${ratio(p99(beets), p99(api))}**`,
    `**${ratio(p50(beets), p50(cli))} / ${ratio(p99(beets), p99(cli))}**`,
    '—',
  ]);
  const table = [
    '| query | MusicFS API p50 / p99 | `musicfs search` p50 / p99 | `beet ls` p50 / p99 | beets÷API (p50 / p99) | beets÷CLI (p50 / p99) | results MusicFS / beets |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

  const breakdown = [
    '| query | daemon `took_ms` p50 / p99 | API (client) p50 / p99 | gRPC + main thread + decoding, p50 |',
    '|---|---|---|---|',
    ...Q.map((q) => `| ${code(q.query.musicfs)} | ${pair(q.apiTook)} | ${pair(q.api)} | ${ms(p50(q.api) - p50(q.apiTook))} ms |`),
    `| **all** | **${pair(took)}** | **${pair(api)}** | **${ms(p50(api) - p50(took))} ms** |`,
  ].join('\n');

  // Targets.
  const worstApiP99 = Q.reduce((a, q) => (p99(q.api) > p99(a.api) ? q : a));
  const apiOk = p99(api) < TARGETS.apiP99Ms;
  const apiEachOk = Q.every((q) => p99(q.api) < TARGETS.apiP99Ms);
  const minVsApi = Q.reduce((a, q) => (p50(q.beets) / p50(q.api) < p50(a.beets) / p50(a.api) ? q : a));
  const minVsCli = Q.reduce((a, q) => (p50(q.beets) / p50(q.cli) < p50(a.beets) / p50(a.cli) ? q : a));
  const vsApi = p50(beets) / p50(api);
  const vsCli = p50(beets) / p50(cli);
  const vsApiEach = Q.every((q) => p50(q.beets) / p50(q.api) >= TARGETS.vsBeets);
  const vsCliEach = Q.every((q) => p50(q.beets) / p50(q.cli) >= TARGETS.vsBeets);

  const targets = [
    '| target | measured | met? |',
    '|---|---|---|',
    `| API p99 < ${TARGETS.apiP99Ms} ms, all queries pooled | ${ms(p99(api))} ms | ${yes(apiOk)} |`,
    `| API p99 < ${TARGETS.apiP99Ms} ms, every query | worst: ${code(worstApiP99.query.musicfs)} ${ms(p99(worstApiP99.api))} ms | ${yes(apiEachOk)} |`,
    `| ≥ ${TARGETS.vsBeets}× ahead of \`beet ls\`, API (p50, pooled) | ${ratio(p50(beets), p50(api))} (p99: ${ratio(p99(beets), p99(api))}) | ${yes(vsApi >= TARGETS.vsBeets)} |`,
    `| ≥ ${TARGETS.vsBeets}× ahead of \`beet ls\`, API, every query (p50) | least: ${code(minVsApi.query.musicfs)} ${ratio(p50(minVsApi.beets), p50(minVsApi.api))} | ${yes(vsApiEach)} |`,
    `| ≥ ${TARGETS.vsBeets}× ahead of \`beet ls\`, CLI \`musicfs search\` (p50, pooled) | ${ratio(p50(beets), p50(cli))} (p99: ${ratio(p99(beets), p99(cli))}) | ${yes(vsCli >= TARGETS.vsBeets)} |`,
    `| ≥ ${TARGETS.vsBeets}× ahead of \`beet ls\`, CLI, every query (p50) | least: ${code(minVsCli.query.musicfs)} ${ratio(p50(minVsCli.beets), p50(minVsCli.cli))} | ${yes(vsCliEach)} |`,
  ].join('\n');

  const f = r.floors;
  const I = r.imports;
  const G = r.apiGc;
  const L = r.library;
  const m = r.machine;
  const nodeFloor = p50(f.node);
  const versionFloor = p50(f.musicfsVersion);
  const pythonFloor = p50(f.python);
  const beetsFloor = p50(f.beetsNoop);
  const importsSum = p50(I.grpc) + p50(I.protoLoader) + p50(I.loadApi) + p50(I.cliProgram);
  const fastBeets = Q.reduce((a, q) => (p50(q.beets) < p50(a.beets) ? q : a));
  const slowBeets = Q.reduce((a, q) => (p50(q.beets) > p50(a.beets) ? q : a));
  const slowApi = Q.reduce((a, q) => (p50(q.api) > p50(a.api) ? q : a));
  const slowTook = Q.reduce((a, q) => (p50(q.apiTook) > p50(a.apiTook) ? q : a));
  const beetsArgsText = (q: QueryResult): string => code(beetsArgs(q.query.beets));

  const limits = [
    `**The CLI** (\`musicfs search\` ${ms(p50(cli))} ms p50, all queries) is almost all start-up. A bare \`node -e 0\` takes ${ms(nodeFloor)} ms here and \`musicfs --version\` (node and the CLI's modules, no daemon call) ${ms(versionFloor)} ms. ` +
      `In a fresh node process, importing grpc-js takes ${ms(p50(I.grpc))} ms, proto-loader ${ms(p50(I.protoLoader))} ms, parsing the .proto files (\`loadApi\`) ${ms(p50(I.loadApi))} ms and the CLI program (commander and every command) ${ms(p50(I.cliProgram))} ms: ~${ms(importsSum)} ms of module loading and parsing before any work (p50s of ${FLOOR_RUNS} runs). ` +
      `What is left after \`--version\`, ~${ms(p50(cli) - versionFloor)} ms, is parsing the .proto files (only commands that talk to the daemon do it), a probe of the socket, the grpc-js channel and HTTP/2 connection, the query (${ms(p50(api))} ms on a warm connection), printing ${LIMIT} tracks as JSON and exiting. ` +
      `The search itself is ~${((p50(api) / p50(cli)) * 100).toFixed(1)}% of a \`musicfs search\` run: the CLI-vs-beets ratio compares node + grpc-js start-up with Python + beets start-up, not the searches.`,
    `**The API** (${ms(p50(api))} ms p50, ${ms(p99(api))} ms p99, pooled). The daemon's own \`took_ms\` (from the Search handler handing the parsed query to the search worker thread to its answer: postMessage both ways, the FTS5 count capped at 10,000 and the page of ${LIMIT} ids) is ${ms(p50(took))} ms p50; ` +
      `the other ~${ms(p50(api) - p50(took))} ms are gRPC over the Unix socket (HTTP/2 framing, protobuf encoding of ${LIMIT} tracks in the daemon and decoding in the client) and the daemon's main thread turning catalog ids into tracks with their mount paths. ` +
      (slowApi === slowTook
        ? `The slowest query, ${code(slowApi.query.musicfs)} (${ms(p50(slowApi.api))} ms p50), is also the slowest in the worker (${ms(p50(slowTook.apiTook))} ms \`took_ms\` p50): its words are common prefixes whose long FTS5 doclists are walked to count its ${fmtInt(slowApi.musicfsCount)} matches. `
        : `The slowest query for the client is ${code(slowApi.query.musicfs)} (${ms(p50(slowApi.api))} ms p50); in the worker, ${code(slowTook.query.musicfs)} (${ms(p50(slowTook.apiTook))} ms \`took_ms\` p50): broad words walk long FTS5 doclists to count their matches. `) +
      `**The tail** is the machine more than the query: ${G.slowCalls} of ${fmtInt(G.calls)} calls (${((G.slowCalls / G.calls) * 100).toFixed(1)}%) took ${TARGETS.apiP99Ms} ms or more, spread over all queries (even \`narwhal\`, ${fmtInt(Q.find((q) => q.query.musicfs === 'narwhal')?.musicfsCount ?? 0)} matches: p50 ${ms(p50(Q.find((q) => q.query.musicfs === 'narwhal')?.api ?? []))} ms, p99 ${ms(p99(Q.find((q) => q.query.musicfs === 'narwhal')?.api ?? []))} ms); ` +
      `${G.slowWithGc} of them overlapped one of the ${G.gcCount} GC pauses of the benchmark's own (client) process (${ms(G.gcTotalMs)} ms in all, the longest ${ms(G.gcMaxMs)} ms), and the worker's own \`took_ms\` has a p99 of ${ms(p99(took))} ms against a p50 of ${ms(p50(took))} ms. ` +
      `Each call keeps three threads busy — the client, the daemon's main thread and its search worker — on ${m.cores} vCPUs shared with other work (load average ${m.loadStart} at the start), so a descheduled thread or a GC pause on either side shows up as a few milliseconds.`,
    `**beets** (\`beet ls\` ${ms(p50(beets))} ms p50, pooled). Its interpreter alone (\`python3 -c 0\`) starts in ${ms(pythonFloor)} ms; \`beet ls id:0\` — importing beets and its dependencies, reading the config, opening the library, one primary-key lookup, no output — takes ${ms(beetsFloor)} ms: that is the floor of any \`beet ls\`. ` +
      `The fastest query here, ${beetsArgsText(fastBeets)}, took ${ms(p50(fastBeets.beets))} ms. Beyond the floor, beets runs each term as SQLite \`LIKE '%word%'\` (a substring, over six fields for a bare word) or a range comparison, which no index serves, so every query scans all ${fmtInt(L.files)} items; then it builds a Python \`Item\` per match and formats a line for it, so broad queries pay per match: ${beetsArgsText(slowBeets)} (${fmtInt(slowBeets.beetsCount)} matches) took ${ms(p50(slowBeets.beets))} ms. ` +
      `MusicFS returns ${LIMIT} tracks and counts the rest (up to 10,000) while beets prints every match, so part of beets' time on broad queries is output MusicFS does not produce.`,
    `**Result counts differ** by semantics, not by mistake. MusicFS matches each word as a *word prefix*, accent- and case-insensitively; beets matches *substrings*, case-insensitively for ASCII letters only. So \`love night\` in beets also finds "Midnight" and "Tonight", and \`genre:rock\` also "Krautrock" (MusicFS finds "Rock" and "Post-Rock"); \`über\` in beets would miss "Über". ` +
      `\`artist:\` in MusicFS also searches the album artist, in beets only the track artist. \`-live\` in MusicFS drops tracks with the word "live"; \`^live\` in beets drops any field containing "live". ${Q.filter((q) => q.musicfsCount === q.beetsCount).length} of the ${Q.length} queries give the same count in both. MusicFS counts are every match (\`SearchStream\`; \`Search\` itself counts up to 10,000), beets counts are the lines \`beet ls\` printed.`,
  ];

  const shape = [
    `- **${fmtInt(L.files)} FLAC files**, ${(L.bytes / 1e6).toFixed(0)} MB (${fmtInt(L.bytes / L.files)} bytes each: a ${BASE_SPEC.durationSec} s, ${BASE_SPEC.sampleRate / 1000} kHz mono sine made once by ffmpeg, re-tagged per file in memory), in ${fmtInt(L.folders)} folders of ${fmtInt(FILES_PER_FOLDER)}; written in ${(L.generateMs / 1000).toFixed(1)} s (${WRITE_CONCURRENCY} writes in flight).`,
    `- Tags from the search catalog generator (bench/search-catalog.ts, as \`makeSearchCatalog\` writes them): ${fmtInt(L.artists)} track artists, ${fmtInt(L.albumArtists)} album artists, ${fmtInt(L.albums)} albums, ${L.genres} genres, years ${L.minYear}–${L.maxYear}, ${fmtInt(L.compilationTracks)} tracks on compilations; titles of 1–5 words with a Zipf-like skew ("love" is everywhere, one title in a hundred has a rare word), diacritics and other scripts.`,
    `- **MusicFS**: \`musicfs daemon --origin LIB\` on empty XDG folders (default config, no mount); cold scan to \`scan complete\` ${(r.scan.ms / 1000).toFixed(1)} s from spawn (\`${r.scan.line}\`); GetStatus: ${fmtInt(r.scan.statusTracks)} tracks${r.scan.statusTracks === TRACKS ? '' : ` — **expected ${fmtInt(TRACKS)}**`}; daemon memory after the scan ${(r.scan.rss.rssKb / 1024).toFixed(0)} MB (VmRSS; peak ${(r.scan.rss.hwmKb / 1024).toFixed(0)} MB).`,
    `- **beets**: \`beet import -A -C -W -q LIB\` into an empty \`BEETSDIR\` (\`plugins: []\`; copy, move, write, autotag off; \`duplicate_action: keep\`, as beets sees each folder as one album and could skip same-named ones): ${(r.beetsImport.ms / 1000).toFixed(0)} s (${fmtInt((r.beetsImport.items / r.beetsImport.ms) * 1000)} items/s${r.beetsImport.firstRate !== undefined ? `; ${fmtInt(r.beetsImport.firstRate)} items/s over the first 15 s: it slows down as its library grows` : ''}; reported, not a target); \`beet ls\` lists ${fmtInt(r.beetsImport.items)} items${r.beetsImport.items === TRACKS ? '' : ` — **expected ${fmtInt(TRACKS)}**`}. The MusicFS daemon was stopped before the import: each tool was measured alone.`,
  ];

  const method = [
    `- **API**: gRPC \`Search\` (limit ${LIMIT}) through the test client (test/support/api-client.ts) on one connection to the daemon's Unix socket, from the benchmark's node process; ${API_WARMUP} untimed calls per query first, then ${API_RUNS} timed rounds over the ${Q.length} queries (round-robin), each timed from call to decoded answer.`,
    `- **CLI**: \`bin/musicfs search QUERY --json --limit ${LIMIT}\`, the whole process from spawn to exit, ${CLI_RUNS} rounds. **beets**: \`beet ls ARGS\`, whole process, ${BEETS_RUNS} rounds (default output format, one line per match, read through a pipe).`,
    `- p50 / p99 interpolate between sorted samples; with ${CLI_RUNS} or ${BEETS_RUNS} samples p99 is close to the maximum. Ratios divide beets' percentile by MusicFS's same percentile. "All queries" pools every sample of every query.`,
  ];

  return [
    ...sectionHead('Search', 'bench:search', m, `beets ${m.beets}; `, ' (the machine is shared: other work shows there and in the tails).'),
    '**Library**',
    '',
    ...shape,
    '',
    '**Method**',
    '',
    ...method,
    '',
    table,
    '',
    '**Targets**',
    '',
    targets,
    '',
    '**Inside the API call**',
    '',
    breakdown,
    '',
    `Start-up floors (p50 of ${FLOOR_RUNS} whole-process runs): \`node -e 0\` ${ms(nodeFloor)} ms, \`musicfs --version\` ${ms(versionFloor)} ms; \`python3 -c 0\` ${ms(pythonFloor)} ms, \`beet ls id:0\` ${ms(beetsFloor)} ms.`,
    '',
    ...limitsSection(limits),
  ].join('\n');
}

process.exitCode = await runBench('Search', 'stopping the daemon and removing temp folders...', async () => render(await run()));
