/**
 * The results of `npm run bench:remote` (bench/bench-remote.ts) and the
 * numbers derived from them that the report and its "What limits it"
 * paragraphs share.
 */
import { p50, type Machine, type ScanLine } from './bench-kit.js';
import type { Memory } from './bench-daemon.js';
import type { ByteCounts } from './byte-proxy.js';
import { mbps, type Drop } from './read-kit.js';
import type { SequentialResult } from './read-worker.js';
import type { RemoteLibrary } from './remote-library.js';
import type { Protocol } from './remote-systems.js';

// ---------------------------------------------------------------------------
// Results

export interface S3Requests {
  getObject: number;
  headObject: number;
  list: number;
  other: number;
}

export interface ScanMeasured {
  protocol: Protocol;
  notBuilt?: undefined;
  /** Spawn → `scan complete`. */
  ms: number;
  /** Spawn → `musicfs: mounted`. */
  mountedMs: number;
  line: ScanLine;
  /** lastScan.bytesFetched of `musicfs origin list --json`. */
  fetched: number;
  /** What the proxy passed, at `scan complete`. */
  network: ByteCounts;
  requests: S3Requests | undefined;
  /** Tracks in the mount after the scan. */
  files: number;
  /** The daemon's CPU seconds from spawn to `scan complete`. */
  cpuSec: number;
  /** The server's over the same time (see `ProtocolResult.serverCpuWhat`). */
  serverCpuSec: number;
  memory: Memory;
}

export type ScanResult = ScanMeasured | { protocol: Protocol; notBuilt: string };

export interface ReadRun {
  round: number;
  /** Spawn → ready (mounted; MusicFS: its scan complete). */
  readyMs: number;
  drop: Drop;
  cold: SequentialResult;
  /** The FUSE daemon's process tree, over the cold pass. */
  cpuSec: number;
  /** The server, over the cold pass (see `ProtocolResult.serverCpuWhat`). */
  serverCpuSec: number;
  /** What s3rver received during the cold pass (S3 only). */
  requests: S3Requests | undefined;
  memory: Memory;
}

export interface SystemReads {
  name: string;
  how: string;
  runs: ReadRun[];
  /** Not measured: this build cannot (e.g. no sftp origins yet). */
  notBuilt?: string;
}

export interface ProtocolResult {
  protocol: Protocol;
  /** How the server runs, in words. */
  server: string;
  /** The server in one word, and what its CPU numbers count, in words. */
  serverName: string;
  serverCpuWhat: string;
  /** Why this protocol was not measured at all. */
  skipped?: string;
  scan?: ScanResult;
  systems: SystemReads[];
}

export interface Results {
  machine: Machine;
  versions: { rclone: string; s3fs: string; sshfs: string; openssh: string; ffmpeg: string };
  lib: RemoteLibrary;
  uploadMs: number;
  rounds: number;
  dropMode: string;
  protocols: ProtocolResult[];
}

export const TARGETS = { scanShare: 0.05 };

// ---------------------------------------------------------------------------
// Derived numbers

/** Median cold MB/s over the rounds. */
export const coldMbps = (s: SystemReads): number => p50(s.runs.map((r) => mbps(r.cold)));
/** Every round's cold first-byte samples. */
export const firstBytes = (s: SystemReads): number[] => s.runs.flatMap((r) => r.cold.firstByteMs);
const gbRead = (s: SystemReads): number => s.runs.reduce((a, r) => a + r.cold.bytes, 0) / 1e9;
/** The FUSE daemon's CPU seconds per GB over the cold passes. */
export const cpuPerGb = (s: SystemReads): number => s.runs.reduce((a, r) => a + r.cpuSec, 0) / gbRead(s);
/** The server's CPU seconds per GB over the cold passes. */
export const serverCpuPerGb = (s: SystemReads): number => s.runs.reduce((a, r) => a + r.serverCpuSec, 0) / gbRead(s);

/** Requests s3rver received per track opened over the cold passes (undefined without a request log). */
export function requestsPerTrack(s: SystemReads): S3Requests | undefined {
  if (!s.runs.every((r) => r.requests !== undefined)) return undefined;
  const opens = s.runs.reduce((a, r) => a + r.cold.fileBytes.length, 0);
  const per = (k: keyof S3Requests): number => s.runs.reduce((a, r) => a + r.requests![k], 0) / opens;
  return { getObject: per('getObject'), headObject: per('headObject'), list: per('list'), other: per('other') };
}
export const measured = (s: SystemReads): boolean => s.runs.length > 0;

export interface Comparison {
  ours: SystemReads | undefined;
  /** The peer with the best value of each measure. */
  fastest: SystemReads | undefined;
  quickest: SystemReads | undefined;
}

export function compare(p: ProtocolResult): Comparison {
  const peers = p.systems.filter((s) => s.name !== 'MusicFS' && measured(s));
  const best = (score: (s: SystemReads) => number): SystemReads | undefined => peers.reduce<SystemReads | undefined>((a, s) => (a === undefined || score(s) > score(a) ? s : a), undefined);
  return {
    ours: p.systems.find((s) => s.name === 'MusicFS'),
    fastest: best(coldMbps),
    quickest: best((s) => -p50(firstBytes(s))),
  };
}
