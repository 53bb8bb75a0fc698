/**
 * The benchmark's own OpenSSH server, for measuring the SFTP peers (sshfs,
 * rclone's sftp backend) while test/support/sshd-server.ts is not in the
 * tree: /usr/sbin/sshd on 127.0.0.1 and a free port, throwaway ed25519 host
 * and client keys and its own sshd_config in `dir` (never the system's),
 * public-key login for the user running the benchmark, SFTP by
 * internal-sftp. It offers the few members of the harness's `SshdServer`
 * that bench/sftp-server.ts uses, so either can serve.
 *
 * sshd runs as a `DaemonProcess` (bench/bench-daemon.ts): the clean-up stops
 * it (SIGTERM) whatever happens. Its per-connection processes end when their
 * clients disconnect, and the clients are stopped first.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { DaemonProcess } from './bench-daemon.js';

const execFileAsync = promisify(execFile);
const SSHD = '/usr/sbin/sshd';
/** Privilege separation folder sshd insists on (normally made by its system service). */
const PRIVSEP_DIR = '/run/sshd';
const START_TIMEOUT_MS = 10_000;

/** What bench/sftp-server.ts needs of an sshd: the harness's `SshdServer` has these too. */
export interface SshdLike {
  readonly port: number;
  readonly user: string;
  /** Its folder (keys, config, `sshd.pid`). */
  readonly dir: string;
  readonly identityFile: string;
  readonly hostKey: { readonly publicKey: string };
  /** `sftp://user@127.0.0.1:PORT/PATH?identity=...&known_hosts=...&agent=0`; extra params override. */
  url(path: string, params?: Record<string, string>): string;
  stop(): Promise<void>;
}

export async function startBenchSshd(dir: string): Promise<SshdLike> {
  await mkdir(dir, { recursive: true });
  await mkdir(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
  const hostKeyFile = join(dir, 'ssh_host_ed25519_key');
  const identityFile = join(dir, 'id_client');
  await Promise.all([hostKeyFile, identityFile].map((f) => execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'musicfs-bench', '-f', f])));
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, await readFile(`${identityFile}.pub`), { mode: 0o600 });
  const publicKey = (await readFile(`${hostKeyFile}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${hostKeyFile}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PermitRootLogin yes',
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'MaxStartups 100',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const daemon = new DaemonProcess('sshd', ['-D', '-e', '-f', config], process.env, { command: SSHD, stopSignal: 'SIGTERM', lineTimeoutMs: START_TIMEOUT_MS, stopTimeoutMs: 5_000 });
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (daemon.child.exitCode !== null || performance.now() > deadline) {
      await daemon.stop();
      throw new Error(`sshd did not listen on 127.0.0.1:${port} (${SSHD} -D -e -f ${config})`);
    }
    await sleep(50);
  }
  const user = userInfo().username;
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${publicKey}\n`);
  return {
    port,
    user,
    dir,
    identityFile,
    hostKey: { publicKey },
    url: (path, params = {}) => {
      const q = new URLSearchParams({ identity: identityFile, known_hosts: knownHostsFile, agent: '0', ...params });
      return `sftp://${encodeURIComponent(user)}@127.0.0.1:${port}${path}?${q.toString()}`;
    },
    stop: () => daemon.stop(),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
