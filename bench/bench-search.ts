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
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, release, tmpdir } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { Track__Output } from '../src-main/common/api/gen/musicfs/v1/Track.js';
import { ApiClient } from '../test/support/api-client.js';
import { flacWithTags, makeBaseAudio, vorbisComments, type BaseAudioSpec } from '../test/support/tagged-audio.js';
import { searchCatalogTags } from './search-catalog.js';
import { writeDocsSection } from './docs-section.js';

// ---------------------------------------------------------------------------
// Settings

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}

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
const WRITE_DOCS = process.env['MUSICFS_BENCH_WRITE_DOCS'] !== '0';
const KEEP_TMP = process.env['MUSICFS_BENCH_KEEP'] === '1';

const BASE_SPEC: BaseAudioSpec = { frequency: 440, sampleRate: 8000, durationSec: 0.2 };
const SCAN_TIMEOUT_MS = 30 * 60_000;
const BEETS_IMPORT_TIMEOUT_MS = 2 * 60 * 60_000;
const COMMAND_TIMEOUT_MS = 5 * 60_000;
const STOP_TIMEOUT_MS = 30_000;

const TARGETS = {
  apiP99Ms: 10,
  vsBeets: 10,
};

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'bin', 'musicfs');
const DOCS_FILE = join(REPO, 'docs', 'benchmarks.md');

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

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
// Resources to release whatever happens

const liveDaemons = new Set<Daemon>();
let tmpRoot: string | undefined;
let cleanedUp = false;

async function cleanup(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  await Promise.allSettled([...liveDaemons].map((d) => d.stop()));
  if (tmpRoot !== undefined) {
    if (KEEP_TMP) log(`kept ${tmpRoot}`);
    else await rm(tmpRoot, { recursive: true, force: true });
  }
}

/** Last resort when the process exits without the async cleanup (uncaught error, second Ctrl-C). */
function cleanupSync(): void {
  for (const d of liveDaemons) d.kill();
}

// ---------------------------------------------------------------------------
// The daemon

/** Fresh XDG folders under the temp root; the daemon and the CLI share them. */
async function makeStateEnv(name: string): Promise<NodeJS.ProcessEnv> {
  const dir = join(tmpRoot!, 'state', name);
  const sub = { XDG_DATA_HOME: 'data', XDG_CACHE_HOME: 'cache', XDG_CONFIG_HOME: 'config', XDG_RUNTIME_DIR: 'runtime' };
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_OPTIONS'];
  for (const key of Object.keys(env)) if (key.startsWith('MUSICFS_')) delete env[key];
  for (const [key, folder] of Object.entries(sub)) {
    const p = join(dir, folder);
    await mkdir(p, { recursive: true, mode: 0o700 });
    env[key] = p;
  }
  return env;
}

interface Line {
  /** ms since spawn. */
  t: number;
  text: string;
}

class Daemon {
  readonly child: ChildProcess;
  readonly spawnedAt = performance.now();
  private readonly lines: Line[] = [];
  private readonly waiters = new Set<() => void>();
  private stderrTail = '';
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const t = performance.now() - this.spawnedAt;
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        this.lines.push({ t, text: pending.slice(0, nl) });
        pending = pending.slice(nl + 1);
      }
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-8000);
    });
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.exit ??= { code, signal };
        liveDaemons.delete(this);
        this.wake();
        resolve();
      };
      this.child.on('exit', done);
      this.child.on('error', (err) => {
        this.stderrTail += `\nspawn error: ${err.message}`;
        done(null, null);
      });
    });
    liveDaemons.add(this);
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** The first stdout line matching `re` (already seen or still to come). */
  waitForLine(re: RegExp, timeoutMs = SCAN_TIMEOUT_MS): Promise<Line> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.lines.find((l) => re.test(l.text));
        if (hit) {
          done();
          resolve(hit);
          return true;
        }
        if (this.exit) {
          done();
          reject(new Error(`${this.label}: daemon exited (code ${this.exit.code}, signal ${this.exit.signal}) before printing ${re}\nstdout:\n${this.stdout()}\nstderr:\n${this.stderrTail}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no line matching ${re} after ${timeoutMs} ms\nstdout:\n${this.stdout()}\nstderr:\n${this.stderrTail}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      if (!check()) this.waiters.add(waiter);
    });
  }

  stdout(): string {
    return this.lines.map((l) => `${l.t.toFixed(0).padStart(7)} ms  ${l.text}`).join('\n');
  }

  stderr(): string {
    return this.stderrTail;
  }

  /** VmRSS / VmHWM in kB. */
  memory(): { rssKb: number; hwmKb: number } {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  }

  /** SIGINT, then wait for exit; SIGKILL (this pid only) if it does not exit in time. */
  async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGINT');
    const inTime = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!inTime) {
      log(`${this.label}: no exit ${timeoutMs} ms after SIGINT; sending SIGKILL to pid ${this.child.pid}`);
      this.kill();
      await this.exited;
    }
    const exit = this.exit as { code: number | null } | undefined;
    if (exit && exit.code !== 0 && exit.code !== null) log(`${this.label}: exited with code ${exit.code}; stderr: ${this.stderrTail.trim().slice(-500)}`);
  }

  kill(): void {
    if (!this.exit) this.child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------
// Helpers

/** Linear interpolation between the sorted samples (q in 0..1). */
function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
const p50 = (xs: readonly number[]): number => percentile(xs, 0.5);
const p99 = (xs: readonly number[]): number => percentile(xs, 0.99);
const max = (xs: readonly number[]): number => xs.reduce((a, b) => Math.max(a, b), -Infinity);

interface CommandRun {
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args`, timed from spawn to exit; rejects on a non-zero exit. */
function timeCommand(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = COMMAND_TIMEOUT_MS, onStdout?: (chunk: string) => void): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      onStdout?.(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim().slice(-2000)}`));
      else resolve({ ms, stdout, stderr });
    });
  });
}

const countLines = (text: string): number => text.split('\n').filter((l) => l.trim() !== '').length;

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
async function makeSearchLibrary(dir: string, n: number): Promise<LibraryStats> {
  const started = performance.now();
  const scratch = join(tmpRoot!, 'base');
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

async function beetsConfig(dir: string): Promise<NodeJS.ProcessEnv> {
  await mkdir(join(dir, 'music'), { recursive: true });
  const yaml = [
    `directory: ${JSON.stringify(join(dir, 'music'))}`,
    `library: ${JSON.stringify(join(dir, 'library.db'))}`,
    'plugins: []',
    'import:',
    '  copy: no',
    '  move: no',
    '  write: no',
    '  autotag: no',
    '  quiet: yes',
    '  resume: no',
    '  incremental: no',
    // A folder of 1,000 tracks is one "album" to beets, named after its most common album tag:
    // two folders may get the same name, and quiet mode would then skip the second as a duplicate.
    '  duplicate_action: keep',
    '',
  ].join('\n');
  await writeFile(join(dir, 'config.yaml'), yaml);
  return { ...process.env, BEETSDIR: dir, HOME: dir, LC_ALL: 'C.UTF-8', PYTHONIOENCODING: 'utf-8' };
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
// Machine

interface Machine {
  cores: number;
  model: string;
  kernel: string;
  node: string;
  beets: string;
  fs: string;
  commit: string;
  date: string;
  loadStart: string;
  loadEnd: string;
}

const loadText = (): string => loadavg().map((l) => l.toFixed(2)).join(' / ');

function machine(): Machine {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  const beets = spawnSync('beet', ['version'], { encoding: 'utf8', env: { ...process.env, BEETSDIR: join(tmpRoot!, 'beets-version'), HOME: join(tmpRoot!, 'beets-version') } });
  const beetsVersion = /beets version (\S+)/.exec(beets.stdout ?? '')?.[1] ?? 'unknown';
  const python = /Python version (\S+)/.exec(beets.stdout ?? '')?.[1];
  const df = spawnSync('df', ['-T', tmpRoot!], { encoding: 'utf8' });
  const fs = (df.stdout ?? '').split('\n')[1]?.split(/\s+/)[1] ?? 'unknown';
  const git = spawnSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', REPO, 'status', '--porcelain'], { encoding: 'utf8' }).stdout?.trim() ? ' (with uncommitted changes)' : '';
  return {
    cores: availableParallelism(),
    model,
    kernel: release(),
    node: process.version,
    beets: `${beetsVersion}${python ? ` (Python ${python})` : ''}`,
    fs,
    commit: `${git.stdout?.trim() || 'unknown'}${dirty}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadStart: loadText(),
    loadEnd: '',
  };
}

async function preflight(): Promise<void> {
  if (!existsSync(join(REPO, 'dist', 'src-main', 'main.js'))) throw new Error('MusicFS is not built: run `npm run build` (npm run bench:search does)');
  for (const tool of ['beet', 'ffmpeg']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) throw new Error(`${tool} is not installed`);
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
  scan: { ms: number; line: string; statusTracks: number; rss: { rssKb: number; hwmKb: number } };
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
  await preflight();
  tmpRoot = await mkdtemp(join(tmpdir(), 'musicfs-bench-search-'));
  log(`working in ${tmpRoot}`);
  const lib = join(tmpRoot, 'lib');
  const mach = machine();

  // 1. The library.
  log(`writing ${TRACKS.toLocaleString('en-US')} FLACs...`);
  const library = await makeSearchLibrary(lib, TRACKS);
  log(`library: ${library.files} files, ${(library.bytes / 1e6).toFixed(1)} MB in ${library.folders} folders, ${(library.generateMs / 1000).toFixed(1)} s`);

  const results: QueryResult[] = QUERIES.map((query) => ({ query, api: [], apiTook: [], cli: [], beets: [], musicfsCount: 0, musicfsTotal: 0, beetsCount: 0 }));

  // 2. MusicFS: scan, then the API and the CLI.
  const env = await makeStateEnv('musicfs');
  const daemon = new Daemon('daemon', ['daemon', '--origin', lib], env);
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
  const beetsEnv = await beetsConfig(beetsDir);
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

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toString());
const pair = (xs: readonly number[]): string => `${ms(p50(xs))} / ${ms(p99(xs))} ms`;
const ratio = (a: number, b: number): string => `${(a / b) >= 100 ? Math.round(a / b) : (a / b).toFixed(1)}×`;
const yes = (ok: boolean): string => (ok ? 'yes' : '**no**');
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
    '## Search',
    '',
    `_Generated by \`npm run bench:search\` (bench/bench-search.ts) on ${m.date}, commit ${m.commit}. Re-run to refresh; this section is rewritten, the rest of the file kept._`,
    '',
    `**Machine**: ${m.cores} cores, ${m.model}; Linux ${m.kernel}; Node ${m.node}; beets ${m.beets}; temp folders on ${m.fs}. Load average (1 / 5 / 15 min) ${m.loadStart} at the start, ${m.loadEnd} at the end (the machine is shared: other work shows there and in the tails).`,
    '',
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
    '### What limits it',
    '',
    ...limits.flatMap((p) => [p, '']),
  ].join('\n');
}

async function writeDocs(section: string): Promise<void> {
  await writeDocsSection(DOCS_FILE, 'Search', section);
}

// ---------------------------------------------------------------------------

async function main(): Promise<number> {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      cleanupSync();
      process.exit(130);
    }
    interrupted = true;
    log(`${signal}: stopping the daemon and removing temp folders...`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', cleanupSync);
  try {
    const results = await run();
    const section = render(results);
    process.stdout.write(`\n${section}\n`);
    if (WRITE_DOCS) {
      await writeDocs(section);
      log(`wrote the Search section of ${DOCS_FILE}`);
    }
    return 0;
  } catch (err) {
    log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    await cleanup();
  }
}

process.exitCode = await main();
