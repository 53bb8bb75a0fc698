/**
 * A real OpenSSH server for tests: /usr/sbin/sshd on 127.0.0.1 and a free
 * port, with throwaway keys and its own sshd_config in a temp folder (never
 * the system's config or keys). Public-key login only, for the user running
 * the tests (root on CI: PermitRootLogin yes), with SFTP by internal-sftp.
 *
 * sshd forks a monitor per connection, which forks the process serving the
 * session (privilege separation). `sessionPids()` lists those serving
 * processes; killing one drops its session, and its monitor then exits and is
 * reaped by the listener — processes are killed leaves first so none is
 * orphaned into a zombie. `dropConnections()` does that for every session
 * (reconnect tests); `stop()` does it and stops the listener, then removes
 * the folder. Call stop() from an after() hook: a test must never leave a
 * process behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const SSHD = '/usr/sbin/sshd';
/** Privilege separation folder sshd insists on (normally made by its system service). */
const PRIVSEP_DIR = '/run/sshd';
const START_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 3;

export interface HostKey {
  /** `ssh-ed25519 AAAA...` (no comment). */
  publicKey: string;
  /** `SHA256:...` as ssh-keygen -l prints it. */
  fingerprint: string;
}

export interface SshdServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  /** The temp folder; put test files anywhere below it (e.g. `${dir}/music`). */
  readonly dir: string;
  /** Private key that may log in. */
  readonly identityFile: string;
  /** A private key that is not in authorized_keys. */
  readonly strangerIdentityFile: string;
  /** known_hosts trusting this server's host key. */
  readonly knownHostsFile: string;
  readonly hostKey: HostKey;
  /** Another ed25519 key, never used by the server: for "the host key changed". */
  readonly otherHostKey: HostKey;
  /** `sftp://user@127.0.0.1:PORT/PATH?identity=...&known_hosts=...&agent=0`; extra params override. */
  url(path: string, params?: Record<string, string>): string;
  /** A known_hosts line for this server's `[127.0.0.1]:PORT` with the given key (default: its own). */
  knownHostsLine(key?: HostKey): string;
  /** Writes a known_hosts file in the temp folder and returns its path. */
  writeKnownHosts(name: string, lines: readonly string[]): Promise<string>;
  /** Pids of the processes serving each connection (the leaves of sshd's process tree). */
  sessionPids(): Promise<number[]>;
  /** Connections sshd is serving now (one child of the listener each). */
  connectionCount(): Promise<number>;
  /** Kills every per-connection process: live sessions drop, the listener stays. */
  dropConnections(): Promise<void>;
  /** SIGKILLs these pids now, without waiting (the client has not noticed yet when this returns). */
  killNow(pids: readonly number[]): void;
  /** sshd's log so far (stderr, -e). */
  log(): string;
  stop(): Promise<void>;
}

export async function startSshd(): Promise<SshdServer> {
  const dir = await mkdtemp(join(tmpdir(), 'musicfs-sshd-'));
  let child: ChildProcess | undefined;
  try {
    await mkdir(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
    const hostKeyFile = join(dir, 'ssh_host_ed25519_key');
    const identityFile = join(dir, 'id_client');
    const strangerIdentityFile = join(dir, 'id_stranger');
    const otherHostKeyFile = join(dir, 'other_host_key');
    await Promise.all([hostKeyFile, identityFile, strangerIdentityFile, otherHostKeyFile].map(keygen));
    const authorizedKeys = join(dir, 'authorized_keys');
    await writeFile(authorizedKeys, await readFile(`${identityFile}.pub`), { mode: 0o600 });
    const hostKey = await readHostKey(hostKeyFile);
    const otherHostKey = await readHostKey(otherHostKeyFile);

    let log = '';
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const config = join(dir, 'sshd_config');
      await writeFile(config, sshdConfig(dir, port, hostKeyFile, authorizedKeys));
      log = '';
      const proc = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      proc.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
      child = proc;
      const started = await waitForPort(port, proc);
      if (started) break;
      child = undefined;
      if (attempt >= PORT_ATTEMPTS || !/Address already in use|Cannot bind/i.test(log)) throw new Error(`sshd did not start:\n${log}`);
    }
    const proc = child!;
    const exited = new Promise<void>((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));

    const knownHostsLine = (key: HostKey = hostKey): string => `[127.0.0.1]:${port} ${key.publicKey}`;
    const knownHostsFile = join(dir, 'known_hosts');
    await writeFile(knownHostsFile, knownHostsLine() + '\n');
    const user = userInfo().username;
    const sessionPids = (): Promise<number[]> => leavesBelow(proc.pid!);
    const dropConnections = (): Promise<void> => killTree(proc.pid!);
    let stopped = false;

    return {
      host: '127.0.0.1',
      port,
      user,
      dir,
      identityFile,
      strangerIdentityFile,
      knownHostsFile,
      hostKey,
      otherHostKey,
      url: (path, params = {}) => {
        const q = new URLSearchParams({ identity: identityFile, known_hosts: knownHostsFile, agent: '0', ...params });
        return `sftp://${encodeURIComponent(user)}@127.0.0.1:${port}${path}?${q.toString()}`;
      },
      knownHostsLine,
      writeKnownHosts: async (name, lines) => {
        const file = join(dir, name);
        await writeFile(file, lines.map((l) => l + '\n').join(''));
        return file;
      },
      sessionPids,
      connectionCount: async () => (await childrenOf(proc.pid!)).length,
      dropConnections,
      killNow: (pids) => {
        for (const pid of pids) killQuietly(pid, 'SIGKILL');
      },
      log: () => log,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await dropConnections();
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    child?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function sshdConfig(dir: string, port: number, hostKeyFile: string, authorizedKeys: string): string {
  return [
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
    // Tests open many connections at once; the default (10:30:100) drops some.
    'MaxStartups 100',
    'Subsystem sftp internal-sftp',
    'LogLevel INFO',
    '',
  ].join('\n');
}

async function keygen(file: string): Promise<void> {
  await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'musicfs-test', '-f', file]);
}

async function readHostKey(privateKeyFile: string): Promise<HostKey> {
  const pub = (await readFile(`${privateKeyFile}.pub`, 'utf8')).trim().split(/\s+/);
  const { stdout } = await execFileAsync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${privateKeyFile}.pub`]);
  const fingerprint = stdout.split(/\s+/)[1];
  if (fingerprint === undefined || !fingerprint.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -l output: ${stdout}`);
  return { publicKey: `${pub[0]} ${pub[1]}`, fingerprint };
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

/** True once the port accepts a connection; false if sshd exited first. */
async function waitForPort(port: number, proc: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) return false;
    if (await accepts(port)) return true;
    await sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error(`sshd did not listen on port ${port} within ${START_TIMEOUT_MS} ms`);
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

/** Live direct children of `pid`. */
async function childrenOf(pid: number): Promise<number[]> {
  return (await processTable()).filter((e) => e.ppid === pid && !e.zombie).map((e) => e.pid);
}

interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Dead, not yet reaped by its parent. */
  zombie: boolean;
}

/** Every process below `pid` (children, grandchildren...), zombies included, from /proc. */
async function treeBelow(pid: number): Promise<ProcessEntry[]> {
  const all = await processTable();
  const out: ProcessEntry[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const entry of all) {
      if (entry.ppid === parent) {
        out.push(entry);
        queue.push(entry.pid);
      }
    }
  }
  return out;
}

/** Live processes below `pid` with no child, not even a zombie one (killing them orphans nothing). */
async function leavesBelow(pid: number): Promise<number[]> {
  const tree = await treeBelow(pid);
  const parents = new Set(tree.map((e) => e.ppid));
  return tree.filter((e) => !e.zombie && !parents.has(e.pid)).map((e) => e.pid);
}

/**
 * Kills every process below `root`, leaves first: each dead leaf is reaped by
 * its (living) parent, and an sshd monitor whose session died exits by
 * itself, so nothing is orphaned into a zombie.
 */
async function killTree(root: number): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const leaves = await leavesBelow(root);
    if (leaves.length === 0) return;
    for (const pid of leaves) killQuietly(pid, 'SIGKILL');
    await waitUntilReaped(leaves);
  }
}

/** Every process of the system with its parent, from /proc. */
async function processTable(): Promise<ProcessEntry[]> {
  const out: ProcessEntry[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({ pid: Number(name), ppid: Number(ppid), zombie: state === 'Z' || state === 'X' });
  }
  return out;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Waits (up to 5 s) until these processes are gone from /proc: dead and reaped. */
async function waitUntilReaped(pids: readonly number[]): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const states = await Promise.all(pids.map(processState));
    if (states.every((st) => st === undefined)) return;
    await sleep(20);
  }
}

/** The state letter of a process (R, S, Z...), undefined if there is none. */
async function processState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
