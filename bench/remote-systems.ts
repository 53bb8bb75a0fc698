/**
 * The FUSE systems `npm run bench:remote` compares, per protocol: MusicFS
 * with an s3:// or sftp:// origin, and its peers, `rclone mount` (s3 or sftp
 * backend), s3fs and sshfs, each pointed at the same loopback server and the
 * same folder of the library.
 *
 * Every daemon runs in the foreground as a `DaemonProcess`, so the clean-up
 * stops it and unmounts its mount point whatever happens. The peers get the
 * caller's environment without AWS_CA_BUNDLE (rclone refuses to start with
 * one over plain http: "LoadCustomCABundleError") and without SSH_AUTH_SOCK
 * (the clients log in with the server's throwaway key only, as MusicFS does
 * with `agent=0`).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess, startFusePeer, trackMount, type DaemonOptions, type Line } from './bench-daemon.js';
import type { SftpServer } from './sftp-server.js';

export type Part = 'scan' | 'read';
export type Protocol = 'S3' | 'SFTP';

/** A protocol's server as the systems see it. */
export interface Remote {
  protocol: Protocol;
  /** How the server runs, in words for the report. */
  server: string;
  port: number;
  /** MusicFS's origin URL for a part of the library, reached at `port` (a proxy in front) or at the server's own port. */
  musicfsOrigin(part: Part, port?: number): string;
  /** More environment for the MusicFS daemon (AWS credentials). */
  musicfsEnv: Readonly<Record<string, string>>;
  /** The server's copies of the read tracks when we can name them (their page cache is dropped before cold reads). */
  serverReadFiles: readonly string[];
  peers: readonly Peer[];
  /** Requests the server received, oldest first, when it keeps a log (s3rver); emptied before the scan. */
  requestLog?: { method: string; url: string }[];
  /** Lets clients trust the server at `port` too (SSH host keys are known per port). */
  trustPort(port: number): Promise<void>;
  /** CPU seconds the server has used so far, and what that counts, in words. */
  serverCpuSec(): number;
  serverCpuWhat: string;
  /** The server in one word (s3rver, sshd). */
  serverName: string;
}

export interface Peer {
  name: string;
  /** The command line, in words for the report. */
  how: string;
  /** Mounts the `read` part of the library on `mp`; `work` is a fresh folder for its own files (cache, password). */
  start(mp: string, work: string, options: DaemonOptions): Promise<DaemonProcess>;
}

/** rclone's settings in both protocols: its full VFS cache (what rclone advises for players that seek), as in bench:read. */
export const RCLONE_OPTIONS = ['--read-only', '--vfs-cache-mode', 'full'] as const;

function peerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['AWS_CA_BUNDLE'];
  delete env['SSH_AUTH_SOCK'];
  return env;
}

// ---------------------------------------------------------------------------
// MusicFS

export interface MusicfsMount {
  daemon: DaemonProcess;
  /** The `musicfs: mounted` line. */
  mounted: Line;
  /** The `scan complete: ...` line. */
  complete: Line;
}

/**
 * `bin/musicfs mount MP --origin ORIGIN` with `env` (fresh XDG folders and the
 * remote's credentials); resolves once the scan is complete. If the daemon
 * fails, it is stopped and the error thrown.
 */
export async function startMusicfs(label: string, mp: string, origin: string, env: NodeJS.ProcessEnv, options: DaemonOptions): Promise<MusicfsMount> {
  trackMount(mp);
  const daemon = new DaemonProcess(label, ['mount', mp, '--origin', origin], env, options);
  try {
    const mounted = await daemon.waitForLine(/^musicfs: mounted /);
    const complete = await daemon.waitForLine(/^scan complete: /);
    return { daemon, mounted, complete };
  } catch (err) {
    await daemon.stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------
// S3 peers

export interface S3Target {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  bucket: string;
  /** Key prefix of the read part, without slashes. */
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export function s3Peers(t: S3Target): Peer[] {
  return [
    {
      name: 'rclone',
      how: `\`rclone mount :s3:${t.bucket}/${t.prefix} MP ${RCLONE_OPTIONS.join(' ')} --cache-dir DIR --config /dev/null --s3-provider Other --s3-endpoint http://127.0.0.1:PORT --s3-force-path-style --s3-region ${t.region}\` + the access keys (other options at their defaults)`,
      start: (mp, work, options) =>
        startFusePeer(
          'rclone-s3',
          'rclone',
          [
            'mount', `:s3:${t.bucket}/${t.prefix}`, mp, ...RCLONE_OPTIONS, '--cache-dir', join(work, 'rclone-cache'), '--config', '/dev/null',
            '--s3-provider', 'Other', '--s3-endpoint', t.endpoint, '--s3-force-path-style', '--s3-region', t.region,
            '--s3-access-key-id', t.accessKeyId, '--s3-secret-access-key', t.secretAccessKey,
          ],
          mp,
          options,
          peerEnv(),
        ),
    },
    {
      name: 's3fs',
      how: `\`s3fs ${t.bucket}:/${t.prefix} MP -f -o ro,url=http://127.0.0.1:PORT,use_path_request_style,passwd_file=FILE\` (s3fs's defaults otherwise: no disk cache)`,
      start: async (mp, work, options) => {
        const passwd = join(work, 's3fs-passwd');
        await writeFile(passwd, `${t.accessKeyId}:${t.secretAccessKey}\n`, { mode: 0o600 });
        return startFusePeer('s3fs', 's3fs', [`${t.bucket}:/${t.prefix}`, mp, '-f', '-o', `ro,url=${t.endpoint},use_path_request_style,passwd_file=${passwd}`], mp, options, peerEnv());
      },
    },
  ];
}

// ---------------------------------------------------------------------------
// SFTP peers

/** `readPath`: the absolute folder of the read part on the server. */
export function sftpPeers(server: SftpServer, readPath: string): Peer[] {
  const sshOptions = `IdentityFile=${server.identityFile},UserKnownHostsFile=${server.knownHostsFile},StrictHostKeyChecking=yes,BatchMode=yes,IdentitiesOnly=yes`;
  return [
    {
      name: 'sshfs',
      how: `\`sshfs -f -F /dev/null -p PORT -o ro,IdentityFile=KEY,UserKnownHostsFile=FILE,StrictHostKeyChecking=yes,BatchMode=yes,IdentitiesOnly=yes ${server.user}@127.0.0.1:PATH MP\` (sshfs's defaults otherwise; its \`ssh\` child counted in its CPU)`,
      start: (mp, _work, options) =>
        startFusePeer('sshfs', 'sshfs', ['-f', '-F', '/dev/null', '-p', String(server.port), '-o', `ro,${sshOptions}`, `${server.user}@127.0.0.1:${readPath}`, mp], mp, options, peerEnv()),
    },
    {
      name: 'rclone',
      how: `\`rclone mount :sftp:PATH MP ${RCLONE_OPTIONS.join(' ')} --cache-dir DIR --config /dev/null --sftp-host 127.0.0.1 --sftp-port PORT --sftp-user ${server.user} --sftp-key-file KEY --sftp-known-hosts-file FILE --sftp-disable-hashcheck\``,
      start: (mp, work, options) =>
        startFusePeer(
          'rclone-sftp',
          'rclone',
          [
            'mount', `:sftp:${readPath}`, mp, ...RCLONE_OPTIONS, '--cache-dir', join(work, 'rclone-cache'), '--config', '/dev/null',
            '--sftp-host', '127.0.0.1', '--sftp-port', String(server.port), '--sftp-user', server.user,
            '--sftp-key-file', server.identityFile, '--sftp-known-hosts-file', server.knownHostsFile, '--sftp-disable-hashcheck',
          ],
          mp,
          options,
          peerEnv(),
        ),
    },
  ];
}
