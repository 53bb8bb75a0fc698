/**
 * `npm run bench:remote`: MusicFS over remote origins, side by side with its
 * peers, in one run on loopback servers. Results are printed and written to
 * the `## Remote` section of docs/benchmarks.md (other sections are kept).
 *
 * The servers: a real s3rver in this process (test/support/s3-server.ts,
 * SigV4 checked) holding the library uploaded at the start of the run, and a
 * real OpenSSH sshd serving the library folder itself (bench/sftp-server.ts:
 * the tests' harness, or the benchmark's own sshd; without either the SFTP
 * half is skipped with a message). s3rver shares this process's event loop
 * with everything else here, so nothing here ever blocks it: every read of a
 * mount runs in the reader worker thread (bench/read-kit.ts).
 *
 * The library (bench/remote-library.ts, kept between runs): 1,000 FLAC tracks
 * of 3–6 MB for the scan, and 10 tracks of ~20 MB for the reads.
 *
 * Per protocol (S3, then SFTP):
 * 1. Scan: MusicFS mounts the scan tracks on fresh XDG folders, through a
 *    byte-counting TCP proxy (bench/byte-proxy.ts) in front of the server;
 *    time from spawn to `scan complete`; bytes fetched as MusicFS reports them
 *    (`musicfs origin list --json` → lastScan.bytesFetched) and as the proxy
 *    counted them (server → client, headers or SSH framing included); for S3
 *    also the requests s3rver received.
 * 2. Cold reads, per system (MusicFS and the protocol's peers), ROUNDS times
 *    with the order rotated each round, each on a fresh mount with empty
 *    caches: mount the read tracks (straight to the server, no proxy); list
 *    the mount (recursive readdir + stat, so every system knows the files
 *    before the clock starts, as MusicFS does from its scan); drop the page
 *    cache; read every track from start to end (the first read 4 KiB: time
 *    to first byte = open + that read; then 128 KiB reads); the daemon's CPU
 *    (its process tree) over the pass; a block of each track compared with
 *    the source.
 *
 * Every daemon and server is stopped and every mount point `fusermount -uz`-ed,
 * also when the benchmark fails or is interrupted (bench/bench-daemon.ts).
 *
 * Environment knobs (defaults are the documented benchmark):
 *   MUSICFS_BENCH_REMOTE_SCAN_TRACKS=1000  MUSICFS_BENCH_REMOTE_READ_TRACKS=10
 *   MUSICFS_BENCH_REMOTE_READ_SECONDS=125 (~20 MB per read track)  MUSICFS_BENCH_REMOTE_ROUNDS=3
 *   MUSICFS_BENCH_REMOTE_SSHD=harness|off  MUSICFS_BENCH_REMOTE_DROP=global|files
 *   MUSICFS_BENCH_WRITE_DOCS=0 (print only)  MUSICFS_BENCH_CPU_PROF=<dir> (--cpu-prof the MusicFS daemons)
 *   MUSICFS_BENCH_KEEP=1 (keep the temp folder; mounts are still cleared)
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runPool } from '../test/support/ffmpeg-tools.js';
import { startS3Server, type S3TestServer } from '../test/support/s3-server.js';
import { BIN, intEnv, loadText, log, machine, parseScanLine, preflight, timeCommand, toolVersion } from './bench-kit.js';
import { makeState, makeTmpRoot, runBench, trackResource, type DaemonOptions, type DaemonProcess } from './bench-daemon.js';
import { startByteProxy } from './byte-proxy.js';
import { dropCaches, dropModeEnv, lat, matchBySize, mbps, Reader, walkFiles } from './read-kit.js';
import type { CompareResult, SequentialResult } from './read-worker.js';
import { ensureRemoteLibrary, type RemoteLibrary } from './remote-library.js';
import { render } from './remote-report.js';
import type { ProtocolResult, ReadRun, Results, S3Requests, ScanResult, SystemReads } from './remote-results.js';
import { s3Peers, sftpPeers, startMusicfs, type MusicfsMount, type Part, type Peer, type Remote } from './remote-systems.js';
import { sshdModeEnv, startSftpServer } from './sftp-server.js';

// ---------------------------------------------------------------------------
// Settings

const SPEC = {
  scanTracks: intEnv('MUSICFS_BENCH_REMOTE_SCAN_TRACKS', 1000),
  readTracks: intEnv('MUSICFS_BENCH_REMOTE_READ_TRACKS', 10),
  readSeconds: intEnv('MUSICFS_BENCH_REMOTE_READ_SECONDS', 125),
};
const ROUNDS = intEnv('MUSICFS_BENCH_REMOTE_ROUNDS', 3);
const SSHD_MODE = sshdModeEnv('MUSICFS_BENCH_REMOTE_SSHD');
const DROP_MODE = dropModeEnv('MUSICFS_BENCH_REMOTE_DROP');

const BUCKET = 'music';
const S3RVER_VERSION = (createRequire(import.meta.url)('s3rver/package.json') as { version: string }).version;
const BLOCK_BYTES = 128 * 1024;
const FIRST_BYTES = 4096;
const SEED = 20_241_107;
const UPLOADS_IN_FLIGHT = 8;
const READ_TIMEOUT_MS = 30 * 60_000;
const CPU_PROF_DIR = process.env['MUSICFS_BENCH_CPU_PROF'] || undefined;
const DAEMON_OPTIONS: DaemonOptions = { lineTimeoutMs: 10 * 60_000, stopTimeoutMs: 20_000, cpuProfDir: CPU_PROF_DIR };
/** What a MusicFS daemon prints when its build has no origin type for the URL's scheme. */
const NOT_BUILT = /\b(\w+ origins are not built yet)/;

// ---------------------------------------------------------------------------
// Servers

interface S3Side {
  server: S3TestServer;
  uploadMs: number;
  /** Stops the server now (the clean-up would otherwise). */
  stop(): Promise<void>;
}

/** s3rver with the scan and read parts of the library uploaded (`scan/...`, `read/...`), 8 objects at a time. */
async function startS3(lib: RemoteLibrary): Promise<S3Side> {
  const server = await startS3Server({ buckets: [BUCKET] });
  const stop = trackResource({ label: 's3rver', stop: () => server.stop() });
  const started = performance.now();
  const parts: [Part, RemoteLibrary['scan']][] = [['scan', lib.scan], ['read', lib.read]];
  const tasks = parts.flatMap(([part, files]) => files.map((f) => async () => server.putObject(BUCKET, `${part}/${f.rel}`, await readFile(join(lib.dir, part, f.rel)))));
  await runPool(tasks, UPLOADS_IN_FLIGHT);
  const uploadMs = performance.now() - started;
  log(`s3rver on ${server.endpoint}: ${tasks.length} objects uploaded in ${(uploadMs / 1000).toFixed(1)} s`);
  return { server, uploadMs, stop };
}

function s3Remote(s3: S3TestServer): Remote {
  return {
    protocol: 'S3',
    server: `s3rver ${S3RVER_VERSION} in the benchmark's own node process (test/support/s3-server.ts: path-style, SigV4 signatures checked, objects in files under the temp folder)`,
    port: s3.port,
    musicfsOrigin: (part, port = s3.port) => `s3://${BUCKET}/${part}?endpoint=http://127.0.0.1:${port}&path_style=1`,
    musicfsEnv: s3.env,
    serverReadFiles: [],
    peers: s3Peers({ endpoint: s3.endpoint, bucket: BUCKET, prefix: 'read', ...s3.credentials, region: s3.env['AWS_REGION'] ?? 'us-east-1' }),
    requestLog: s3.requests,
    trustPort: async () => undefined,
    serverCpuSec: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    },
    serverName: 's3rver',
    serverCpuWhat: 'the benchmark process: s3rver, and the byte proxy during the scan, the reader thread during the reads',
  };
}

// ---------------------------------------------------------------------------
// Scan

/** MusicFS scans the scan tracks through a byte-counting proxy; `notBuilt` when this build lacks the origin type. */
async function measureScan(remote: Remote, lib: RemoteLibrary, root: string): Promise<ScanResult> {
  const proxy = await startByteProxy(remote.port);
  const releaseProxy = trackResource({ label: `${remote.protocol} byte proxy`, stop: () => proxy.stop() });
  await remote.trustPort(proxy.port);
  const state = await makeState(`scan-${remote.protocol}`);
  const mp = join(root, `mnt-scan-${remote.protocol}`);
  await mkdir(mp);
  if (remote.requestLog) remote.requestLog.length = 0;
  const s0 = remote.serverCpuSec();
  log(`${remote.protocol}: MusicFS scanning ${lib.scan.length} tracks through the byte proxy...`);
  let daemon: DaemonProcess | undefined;
  try {
    let m: MusicfsMount;
    try {
      m = await startMusicfs(`musicfs-scan-${remote.protocol}`, mp, remote.musicfsOrigin('scan', proxy.port), { ...state.env, ...remote.musicfsEnv }, DAEMON_OPTIONS);
    } catch (err) {
      const notBuilt = NOT_BUILT.exec(err instanceof Error ? err.message : String(err))?.[1];
      if (notBuilt === undefined) throw err;
      log(`${remote.protocol}: MusicFS not measured: ${notBuilt}`);
      return { protocol: remote.protocol, notBuilt };
    }
    daemon = m.daemon;
    const network = proxy.counts();
    const requests = remote.requestLog ? classifyRequests(remote.requestLog) : undefined;
    const cpuSec = daemon.treeCpuSec();
    const serverCpuSec = remote.serverCpuSec() - s0;
    const memory = daemon.memory();
    const line = parseScanLine(m.complete.text);
    const list = JSON.parse((await timeCommand(BIN, ['origin', 'list', '--json'], state.env)).stdout) as { origins: { lastScan?: { bytesFetched?: string | number } }[] };
    const fetched = Number(list.origins[0]?.lastScan?.bytesFetched ?? NaN);
    const files = (await walkFiles(mp)).length;
    if (files !== lib.scan.length || line.errors !== 0) throw new Error(`${remote.protocol} scan: the mount holds ${files} of ${lib.scan.length} tracks, ${line.errors} scan errors: ${m.complete.text}`);
    log(`${remote.protocol}: ${m.complete.text} (${(m.complete.t / 1000).toFixed(1)} s from spawn); fetched ${(fetched / 1e6).toFixed(1)} MB (MusicFS), ${(network.down / 1e6).toFixed(1)} MB at the proxy`);
    return { protocol: remote.protocol, ms: m.complete.t, mountedMs: m.mounted.t, line, fetched, network, requests, files, cpuSec, serverCpuSec, memory };
  } finally {
    await daemon?.stop();
    await releaseProxy();
  }
}

/** Requests by kind: GETs of objects (ranged), HEADs of objects, listings, the rest (HEAD of the bucket: health checks). */
function classifyRequests(received: readonly { method: string; url: string }[]): S3Requests {
  const out: S3Requests = { getObject: 0, headObject: 0, list: 0, other: 0 };
  for (const r of received) {
    const [path = '', query = ''] = r.url.split('?', 2);
    const isObject = path.replace(/^\/+/, '').includes('/') && !path.endsWith('/');
    if (r.method === 'GET' && (query.includes('list-type') || query.includes('prefix=') || !isObject)) out.list++;
    else if (r.method === 'GET' && isObject) out.getObject++;
    else if (r.method === 'HEAD' && isObject) out.headObject++;
    else out.other++;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Cold reads

interface ReadSystem {
  name: string;
  how: string;
  /** Mounts the read tracks; returns the daemon, the paths of the tracks in library order and spawn → ready. */
  mount(mp: string, work: string, round: number): Promise<{ daemon: DaemonProcess; paths: string[]; readyMs: number }>;
}

function musicfsSystem(remote: Remote, lib: RemoteLibrary): ReadSystem {
  return {
    name: 'MusicFS',
    how: `\`bin/musicfs mount MP --origin ${remote.protocol === 'S3' ? `'s3://${BUCKET}/read?endpoint=http://127.0.0.1:PORT&path_style=1'` : "'sftp://USER@127.0.0.1:PORT/PATH?identity=KEY&known_hosts=FILE&agent=0'"}\`${remote.protocol === 'S3' ? ' (credentials from AWS_* variables)' : ''} on empty XDG folders (default config); ready = \`scan complete\`; files named by tags, matched to the source by size`,
    async mount(mp, _work, round) {
      const state = await makeState(`read-${remote.protocol}-${round}`);
      const m = await startMusicfs(`musicfs-read-${remote.protocol}`, mp, remote.musicfsOrigin('read'), { ...state.env, ...remote.musicfsEnv }, DAEMON_OPTIONS);
      return { daemon: m.daemon, paths: await matchBySize(lib.read, mp), readyMs: m.complete.t };
    },
  };
}

function peerSystem(peer: Peer, lib: RemoteLibrary): ReadSystem {
  return {
    name: peer.name,
    how: peer.how,
    async mount(mp, work) {
      const daemon = await peer.start(mp, work, DAEMON_OPTIONS);
      return { daemon, paths: lib.read.map((f) => join(mp, f.rel)), readyMs: await daemon.waitForMount(mp) };
    },
  };
}

async function measureRead(system: ReadSystem, remote: Remote, lib: RemoteLibrary, root: string, reader: Reader, round: number): Promise<ReadRun> {
  const slug = `${remote.protocol}-${system.name}-${round}`.toLowerCase();
  const mp = join(root, `mnt-${slug}`);
  const work = join(root, `work-${slug}`);
  await mkdir(mp);
  await mkdir(work);
  log(`${remote.protocol} round ${round + 1}: ${system.name}: mounting...`);
  const m = await system.mount(mp, work, round);
  try {
    // Listed (and sizes checked) before the clock starts: every system knows the files, as MusicFS does from its scan.
    const listed = new Map((await walkFiles(mp)).map((f) => [f.path, f.size]));
    lib.read.forEach((f, i) => {
      if (listed.get(m.paths[i]!) !== f.size) throw new Error(`${system.name}: ${m.paths[i]} is ${listed.get(m.paths[i]!)} bytes in the mount, ${f.size} at the source`);
    });
    const drop = await dropCaches([...remote.serverReadFiles], DROP_MODE);
    if (remote.requestLog) remote.requestLog.length = 0;
    const c0 = m.daemon.treeCpuSec();
    const s0 = remote.serverCpuSec();
    const cold = await reader.run<SequentialResult>({ op: 'sequential', files: m.paths, firstBytes: FIRST_BYTES, blockBytes: BLOCK_BYTES });
    const cpuSec = m.daemon.treeCpuSec() - c0;
    const serverCpuSec = remote.serverCpuSec() - s0;
    const requests = remote.requestLog ? classifyRequests(remote.requestLog) : undefined;
    const memory = m.daemon.memory();
    const check = await reader.run<CompareResult>({ op: 'compare', a: m.paths, b: lib.read.map((f) => join(lib.dir, 'read', f.rel)), sizes: lib.read.map((f) => f.size), bytes: BLOCK_BYTES, seed: SEED + round });
    if (cold.bytes !== lib.readBytes) throw new Error(`${system.name}: the cold pass read ${cold.bytes} bytes, the tracks hold ${lib.readBytes}`);
    if (check.equal !== check.total) throw new Error(`${system.name}: ${check.total - check.equal} of ${check.total} tracks read differently from their source`);
    const sorted = [...cold.firstByteMs].sort((a, b) => a - b);
    log(`${remote.protocol} round ${round + 1}: ${system.name}: ${mbps(cold).toFixed(0)} MB/s cold, first byte p50 ${lat(sorted[Math.floor(sorted.length / 2)]!)} ms; CPU ${cpuSec.toFixed(2)} s`);
    return { round, readyMs: m.readyMs, drop, cold, cpuSec, serverCpuSec, requests, memory };
  } finally {
    await m.daemon.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function measureProtocol(remote: Remote, lib: RemoteLibrary, root: string, reader: Reader): Promise<ProtocolResult> {
  const scan = await measureScan(remote, lib, root);
  const systems: ReadSystem[] = [...(scan.notBuilt === undefined ? [musicfsSystem(remote, lib)] : []), ...remote.peers.map((p) => peerSystem(p, lib))];
  const reads: SystemReads[] = [
    ...(scan.notBuilt !== undefined ? [{ name: 'MusicFS', how: '', runs: [], notBuilt: scan.notBuilt }] : []),
    ...systems.map((s) => ({ name: s.name, how: s.how, runs: [] as ReadRun[] })),
  ];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotated each round: no system is always first (or last) after the others warmed the machine.
    const order = systems.map((_, i) => systems[(i + round) % systems.length]!);
    for (const s of order) reads.find((r) => r.name === s.name)!.runs.push(await measureRead(s, remote, lib, root, reader, round));
  }
  return { protocol: remote.protocol, server: remote.server, serverName: remote.serverName, serverCpuWhat: remote.serverCpuWhat, scan, systems: reads };
}

// ---------------------------------------------------------------------------
// The run

async function run(): Promise<Results> {
  await preflight('bench:remote', ['ffmpeg', 'fusermount', 'rclone', 's3fs', 'sshfs', 'ssh-keygen', 'dd', 'sync'], true);
  const root = await makeTmpRoot('musicfs-bench-remote-');
  const mach = machine(root);
  const versions = {
    rclone: toolVersion('rclone', ['version'], /^rclone (\S+)/m),
    s3fs: toolVersion('s3fs', ['--version'], /V(\d[\d.]*)/),
    sshfs: toolVersion('sshfs', ['--version'], /SSHFS version (\S+)/),
    openssh: toolVersion('ssh', ['-V'], /(OpenSSH_\S+?),?\s/),
    ffmpeg: toolVersion('ffmpeg', ['-version'], /^ffmpeg version (\S+)/m),
  };
  const lib = await ensureRemoteLibrary(SPEC);
  log(`library: ${lib.scan.length} scan tracks (${(lib.scanBytes / 1e6).toFixed(0)} MB), ${lib.read.length} read tracks (${(lib.readBytes / 1e6).toFixed(0)} MB) in ${lib.dir}${lib.reused ? ' (reused)' : ''}`);

  const reader = new Reader(READ_TIMEOUT_MS);
  const protocols: ProtocolResult[] = [];
  let uploadMs = NaN;
  try {
    const s3 = await startS3(lib);
    uploadMs = s3.uploadMs;
    protocols.push(await measureProtocol(s3Remote(s3.server), lib, root, reader));
    await s3.stop();

    const sftp = await startSftpServer(SSHD_MODE, join(root, 'sftp'));
    if ('skipped' in sftp) {
      log(`SFTP half skipped: ${sftp.skipped}`);
      protocols.push({ protocol: 'SFTP', server: '', serverName: 'sshd', serverCpuWhat: '', skipped: sftp.skipped, systems: [] });
    } else {
      const server = sftp.server;
      const remote: Remote = {
        protocol: 'SFTP',
        server: `OpenSSH sshd (${versions.openssh}, internal-sftp) on 127.0.0.1 started by ${server.source}, serving the library folder itself`,
        port: server.port,
        musicfsOrigin: (part, port) => server.originUrl(join(lib.dir, part), port),
        musicfsEnv: {},
        serverReadFiles: lib.read.map((f) => join(lib.dir, 'read', f.rel)),
        peers: sftpPeers(server, join(lib.dir, 'read')),
        trustPort: (port) => server.trustPort(port),
        serverCpuSec: () => server.cpuSec(),
        serverName: 'sshd',
        serverCpuWhat: "sshd's listener and its live session processes (internal-sftp runs in the session process)",
      };
      protocols.push(await measureProtocol(remote, lib, root, reader));
      await server.stop();
    }
  } finally {
    await reader.close();
  }
  mach.loadEnd = loadText();
  return { machine: mach, versions, lib, uploadMs, rounds: ROUNDS, dropMode: DROP_MODE, protocols };
}

process.exitCode = await runBench('Remote', 'stopping daemons and servers, unmounting...', async () => render(await run()));
