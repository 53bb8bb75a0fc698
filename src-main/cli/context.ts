import { resolve } from 'node:path';
import type { Command } from 'commander';
import { MusicFsError } from '../../src-shared/errors.js';
import { DaemonClient } from './client-context.js';
import type { CliHost, CliIo, DaemonRequest } from './host.js';
import { Output } from './output.js';
import { resolveSocketPath } from './socket-path.js';

/**
 * What a command's action gets: the parsed global options (--json,
 * --socket), its Output, the daemon client (connected on first use, closed
 * by runCli), the host that can run the daemon, and Ctrl-C as an AbortSignal.
 *
 * The process-wide things (environment, working directory, SIGINT) come in
 * through CliRuntime so tests run the CLI in-process without touching them.
 */

/** Ctrl-C: `listen` returns the function that stops listening. */
export interface Interrupts {
  listen(onInterrupt: () => void): () => void;
}

export const processInterrupts: Interrupts = {
  listen(onInterrupt) {
    const handler = (): void => onInterrupt();
    process.on('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
};

export interface CliRuntime {
  env: NodeJS.ProcessEnv;
  cwd: string;
  interrupts: Interrupts;
  /**
   * `musicfs search --all | head`: once the reader of stdout has gone, end
   * quietly (exit 0) instead of dying on EPIPE with a stack trace. Installed
   * for the life of the process (EPIPE arrives after the last write); returns
   * the function that removes it, called before the daemon runs in this
   * process, which must not exit because a pipe closed.
   */
  guardStdout: () => () => void;
}

let stdoutGuard: ((err: NodeJS.ErrnoException) => void) | undefined;

/** The real guard: one listener per process, however many times runCli runs. */
export function exitOnBrokenStdout(): () => void {
  if (!stdoutGuard) {
    stdoutGuard = (err) => {
      if (err.code === 'EPIPE') process.exit(0);
    };
    process.stdout.on('error', stdoutGuard);
  }
  return () => {
    if (stdoutGuard) process.stdout.off('error', stdoutGuard);
    stdoutGuard = undefined;
  };
}

/** Clients opened during one run; runCli closes them all before it returns. */
export class ClientPool {
  private readonly clients = new Map<string, DaemonClient>();

  async get(socketPath: string, required: true): Promise<DaemonClient>;
  async get(socketPath: string, required: false): Promise<DaemonClient | undefined>;
  async get(socketPath: string, required: boolean): Promise<DaemonClient | undefined> {
    const existing = this.clients.get(socketPath);
    if (existing) return existing;
    const client = required ? await DaemonClient.open(socketPath) : await DaemonClient.tryOpen(socketPath);
    if (client) this.clients.set(socketPath, client);
    return client;
  }

  closeAll(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

export interface GlobalOptions {
  json: boolean;
  /** As given with --socket (unresolved), if given. */
  socket: string | undefined;
}

/** --json and --socket from the command and its ancestors; the nearest wins. */
export function globalOptionsOf(command: Command): GlobalOptions {
  let json = false;
  let socket: string | undefined;
  for (let c: Command | null = command; c; c = c.parent) {
    const o = c.opts<{ json?: boolean; socket?: string }>();
    json ||= o.json === true;
    socket ??= o.socket;
  }
  return { json, socket };
}

export class CommandContext {
  readonly out: Output;
  readonly json: boolean;
  /** --socket as given, or undefined. */
  readonly explicitSocket: string | undefined;
  readonly socketPath: string;

  constructor(
    readonly host: CliHost,
    readonly io: CliIo,
    readonly runtime: CliRuntime,
    options: GlobalOptions,
    private readonly pool: ClientPool,
    private readonly releaseStdout: () => void = () => undefined,
  ) {
    this.json = options.json;
    this.out = new Output(io, options.json, runtime.env);
    this.explicitSocket = options.socket !== undefined ? resolve(runtime.cwd, options.socket) : undefined;
    this.socketPath = resolveSocketPath(options.socket, runtime.env, runtime.cwd);
  }

  /** The daemon, or DAEMON_NOT_RUNNING (exit 69). */
  client(): Promise<DaemonClient> {
    return this.pool.get(this.socketPath, true);
  }

  /** The daemon, or undefined when none answers. */
  tryClient(): Promise<DaemonClient | undefined> {
    return this.pool.get(this.socketPath, false);
  }

  /** Runs the daemon in this process (through the host); returns its exit code. */
  runDaemon(request: DaemonRequest): Promise<number> {
    this.releaseStdout();
    return this.host.runDaemon(request);
  }

  /** A path as the user typed it, made absolute against the CLI's working directory. */
  absolute(path: string): string {
    return resolve(this.runtime.cwd, path);
  }

  /** Runs `work` with an AbortSignal that Ctrl-C aborts (only while `work` runs). */
  async interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const stop = this.runtime.interrupts.listen(() => controller.abort());
    try {
      return await work(controller.signal);
    } finally {
      stop();
    }
  }
}

/** A usage error (exit 64) raised by a command after parsing. */
export function usageError(message: string): MusicFsError {
  return new MusicFsError('USAGE', message);
}

/** Ctrl-C during a command that does not end cleanly on it (exit 130). */
export function cancelled(what: string): MusicFsError {
  return new MusicFsError('CANCELLED', `${what} cancelled`);
}
