import type { Origin } from '../../common/api/gen/musicfs/v1/Origin.js';
import type { ScanReport } from '../../common/api/gen/musicfs/v1/ScanReport.js';
import type { Status } from '../../common/api/gen/musicfs/v1/Status.js';
import type { Track } from '../../common/api/gen/musicfs/v1/Track.js';
import type { CliHost } from '../host.js';
import { runCli } from '../program.js';
import { captureIo, type CapturedIo, recordingHost, TestInterrupts } from './fake-daemon.js';

/** Fixed answers of the fake daemon, and a one-call way to run the CLI in-process (test support only). */

export const STATUS: Status = {
  version: '9.8.7',
  pid: 4242,
  startedAt: { unixMs: Date.now() - 7_380_000 },
  uptimeSec: 7_380,
  mount: { mounted: true, mountPoint: '/mnt/music', openFiles: 2 },
  tracks: 1234,
  folders: 150,
  libraryBytes: 1.5 * 1024 ** 3,
  origins: 3,
  originsEnabled: 2,
  scanning: false,
  catalogPath: '/home/u/.local/share/musicfs/catalog.db',
  configPath: '/home/u/.config/musicfs/config.toml',
  socketPath: '/run/user/1000/musicfs/control.sock',
  metricsUrl: '',
};

export function report(origin: string, extra: Partial<ScanReport> = {}): ScanReport {
  return {
    origin,
    kind: 'full',
    startedAtMs: Date.now() - 60_000,
    durationMs: 4200,
    scanned: 100,
    added: 3,
    updated: 1,
    removed: 0,
    unchanged: 96,
    skipped: [],
    errors: [],
    incomplete: '',
    ...extra,
  };
}

export const ORIGINS: Origin[] = [
  {
    name: 'music',
    kind: 'local',
    location: '/home/u/Music',
    priority: 100,
    enabled: true,
    health: 'HEALTH_STATE_HEALTHY',
    tracks: 1200,
    source: 'config',
    lastScan: report('music', { errors: [{ path: 'bad.flac', reason: 'truncated' }] }),
    scanning: false,
  },
  {
    name: 'nas',
    kind: 'local',
    location: '/srv/nas/flac',
    priority: 50,
    enabled: false,
    health: 'HEALTH_STATE_UNHEALTHY',
    tracks: 34,
    source: 'session',
    scanning: false,
  },
];

export const TRACKS: Track[] = [
  {
    path: 'Miles Davis/Kind of Blue/01 - So What.flac',
    artist: 'Miles Davis',
    albumArtist: 'Miles Davis',
    album: 'Kind of Blue',
    title: 'So What',
    track: 1,
    year: 1959,
    genre: 'Jazz',
    codec: 'FLAC',
    durationSec: 562.4,
    size: 60_000_000,
    origins: ['music'],
    originPath: 'jazz/kob/01.flac',
  },
  {
    path: 'Miles Davis/Kind of Blue/02 - Freddie Freeloader.flac',
    artist: 'Miles Davis',
    album: 'Kind of Blue',
    title: 'Freddie Freeloader',
    track: 2,
    year: 1959,
    codec: 'FLAC',
    durationSec: 585.9,
    origins: ['music'],
  },
];

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  io: CapturedIo;
}

export interface RunOptions {
  socket?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  host?: CliHost;
  io?: CapturedIo;
  interrupts?: TestInterrupts;
}

/** `musicfs ARGS` in-process; the socket is passed through the environment unless `socket` is undefined. */
export async function runMusicfs(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const io = options.io ?? captureIo();
  const env: NodeJS.ProcessEnv = { HOME: '/nonexistent-home', XDG_CONFIG_HOME: '/nonexistent-config', XDG_RUNTIME_DIR: '/nonexistent-run', ...options.env };
  if (options.socket !== undefined) env['MUSICFS_CONTROL_SOCKET'] = options.socket;
  const code = await runCli(['node', 'musicfs', ...args], options.host ?? recordingHost(), io, {
    env,
    cwd: options.cwd ?? '/work',
    interrupts: options.interrupts ?? new TestInterrupts(),
    guardStdout: () => () => undefined,
  });
  return { code, stdout: io.stdout(), stderr: io.stderr(), io };
}
