/**
 * The SFTP server of `npm run bench:remote`, behind one small adapter so the
 * benchmark does not depend on who starts sshd:
 *
 * - `harness` (the default): test/support/sshd-server.ts `startSshd()`, the
 *   tests' real /usr/sbin/sshd. It is loaded at run time by path, so the
 *   benchmark builds without it; when it is not there, the SFTP half is
 *   skipped with a message saying so.
 * - `bench`: bench/bench-sshd.ts, the benchmark's own sshd started the same
 *   way (to measure the SFTP peers before the harness lands).
 *
 * Chosen by MUSICFS_BENCH_REMOTE_SSHD=harness|bench|off. Either way the
 * clients log in with the server's throwaway key and a known_hosts file of
 * our own that trusts the host key at the server's port and at the ports of
 * the byte-counting proxies put in front of it (`trustPort`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processTreeCpuSec, trackResource } from './bench-daemon.js';
import { startBenchSshd, type SshdLike } from './bench-sshd.js';

export type SshdMode = 'harness' | 'bench' | 'off';

export function sshdModeEnv(name: string): SshdMode {
  const mode = process.env[name] || 'harness';
  if (mode !== 'harness' && mode !== 'bench' && mode !== 'off') throw new Error(`${name} must be harness, bench or off, got ${JSON.stringify(mode)}`);
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

/** Where the harness is once built (this file runs from dist/bench/). */
const HARNESS_URL = new URL('../test/support/sshd-server.js', import.meta.url);

export async function startSftpServer(mode: SshdMode, workDir: string): Promise<SftpStart> {
  if (mode === 'off') return { skipped: 'MUSICFS_BENCH_REMOTE_SSHD=off' };
  let sshd: SshdLike;
  let source: string;
  if (mode === 'harness') {
    if (!existsSync(fileURLToPath(HARNESS_URL))) {
      return { skipped: 'test/support/sshd-server.ts is not in this tree (the SFTP harness); MUSICFS_BENCH_REMOTE_SSHD=bench measures the SFTP peers with the benchmark\'s own sshd' };
    }
    // A path in a variable: the benchmark compiles whether or not the harness exists.
    const harness = (await import(HARNESS_URL.href)) as { startSshd(): Promise<SshdLike> };
    sshd = await harness.startSshd();
    source = '`startSshd()` of test/support/sshd-server.ts';
  } else {
    sshd = await startBenchSshd(join(workDir, 'sshd'));
    source = "the benchmark's own sshd (bench/bench-sshd.ts)";
  }
  const release = trackResource({
    label: 'sshd',
    stop: () => sshd.stop(),
    // At a hard exit: the listener by its pid file (the bench's own sshd is a DaemonProcess, killed anyway).
    killSync: () => {
      const pid = listenerPid(sshd);
      if (pid !== undefined) process.kill(pid, 'SIGTERM');
    },
  });
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
function listenerPid(sshd: SshdLike): number | undefined {
  try {
    const pid = Number(readFileSync(join(sshd.dir, 'sshd.pid'), 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}
