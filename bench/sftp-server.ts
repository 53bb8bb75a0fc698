/**
 * The SFTP server of `npm run bench:remote`: the tests' real /usr/sbin/sshd
 * (test/support/sshd-server.ts `startSshd()`, its own config and throwaway
 * keys), plus a known_hosts file of our own that trusts the host key at the
 * server's port and at the ports of the byte-counting proxies put in front
 * of it (`trustPort`). MUSICFS_BENCH_REMOTE_SSHD=off skips the SFTP half.
 */
import { readFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processTreeCpuSec, trackResource } from './bench-daemon.js';
import { startSshd, type SshdServer } from '../test/support/sshd-server.js';

export type SshdMode = 'harness' | 'off';

export function sshdModeEnv(name: string): SshdMode {
  const mode = process.env[name] || 'harness';
  if (mode !== 'harness' && mode !== 'off') throw new Error(`${name} must be harness or off, got ${JSON.stringify(mode)}`);
  return mode;
}

export interface SftpServer {
  /** Who started sshd, in words for the report. */
  readonly source: string;
  readonly port: number;
  readonly user: string;
  readonly identityFile: string;
  /** Trusts the server's host key at its port and every port given to `trustPort`. */
  readonly knownHostsFile: string;
  /** Trust the host key at 127.0.0.1:`port` too (a proxy in front of the server). */
  trustPort(port: number): Promise<void>;
  /** A MusicFS origin URL for the absolute `path` on the server, reached at `port` (default: the server's). */
  originUrl(path: string, port?: number): string;
  /** CPU seconds used so far by sshd's listener and its live session processes (NaN without its pid file). */
  cpuSec(): number;
  stop(): Promise<void>;
}

export type SftpStart = { server: SftpServer } | { skipped: string };

export async function startSftpServer(mode: SshdMode, workDir: string): Promise<SftpStart> {
  if (mode === 'off') return { skipped: 'MUSICFS_BENCH_REMOTE_SSHD=off' };
  const sshd = await startSshd();
  const source = '`startSshd()` of test/support/sshd-server.ts';
  const release = trackResource({
    label: 'sshd',
    stop: () => sshd.stop(),
    // At a hard exit: the listener by its pid file.
    killSync: () => {
      const pid = listenerPid(sshd);
      if (pid !== undefined) process.kill(pid, 'SIGTERM');
    },
  });
  await mkdir(workDir, { recursive: true });
  const knownHostsFile = join(workDir, 'known_hosts');
  const line = (port: number): string => `[127.0.0.1]:${port} ${sshd.hostKey.publicKey}\n`;
  await writeFile(knownHostsFile, line(sshd.port));
  return {
    server: {
      source,
      port: sshd.port,
      user: sshd.user,
      identityFile: sshd.identityFile,
      knownHostsFile,
      trustPort: (port) => appendFile(knownHostsFile, line(port)),
      cpuSec: () => {
        const pid = listenerPid(sshd);
        return pid === undefined ? NaN : processTreeCpuSec(pid);
      },
      originUrl: (path, port = sshd.port) => {
        const url = new URL(sshd.url(path, { known_hosts: knownHostsFile }));
        url.port = String(port);
        return url.toString();
      },
      stop: release,
    },
  };
}

/** sshd's listener, from the PidFile both sshd configs set (`DIR/sshd.pid`); undefined when it is gone. */
function listenerPid(sshd: SshdServer): number | undefined {
  try {
    const pid = Number(readFileSync(join(sshd.dir, 'sshd.pid'), 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}
