import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { MusicFsError } from '../../../src-shared/errors.js';
import { loadApi, type MusicFSHandlers } from '../../common/api/proto.js';
import { socketAnswers } from '../../common/socket-probe.js';
import type { AsyncDisposable } from '../base/lifecycle.js';
import type { Logger } from '../base/logger.js';

/**
 * The control plane's gRPC server on a Unix socket: directory 0700, socket
 * 0600 (only this user can drive the daemon). One daemon per socket: a socket
 * that answers means another daemon runs (refused); one that does not is
 * stale (removed).
 */

const SHUTDOWN_GRACE_MS = 1000;
const PROBE_TIMEOUT_MS = 1000;

export class ControlServer implements AsyncDisposable {
  private disposed = false;

  private constructor(
    private readonly server: grpc.Server,
    readonly socketPath: string,
    private readonly logger: Logger,
  ) {}

  static async start(socketPath: string, handlers: MusicFSHandlers, logger: Logger): Promise<ControlServer> {
    await prepareSocketPath(socketPath);
    const server = new grpc.Server({ 'grpc.max_send_message_length': 64 * 1024 * 1024 });
    server.addService(loadApi().musicfs.v1.MusicFS.service, handlers);
    try {
      await new Promise<number>((resolve, reject) =>
        server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
      );
    } catch (err) {
      server.forceShutdown();
      // Lost a race with a daemon starting at the same moment.
      if (/EADDRINUSE/.test((err as Error).message)) throw daemonRunning(socketPath);
      throw new MusicFsError('STATE_DIR_FAILED', `cannot listen on ${socketPath}: ${(err as Error).message}`, { path: socketPath });
    }
    await chmod(socketPath, 0o600);
    logger.debug('control socket listening', { socket: socketPath });
    return new ControlServer(server, socketPath, logger);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await new Promise<void>((resolve) => {
      // Event streams never end by themselves: give calls a moment, then cut.
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await unlink(this.socketPath).catch(() => undefined);
    this.logger.debug('control socket closed', { socket: this.socketPath });
  }
}

function daemonRunning(socketPath: string): MusicFsError {
  return new MusicFsError('DAEMON_RUNNING', `another MusicFS daemon is already running (it answers on ${socketPath}); stop it with \`musicfs shutdown\``, { path: socketPath });
}

/**
 * Makes sure the socket can be ours: its folder exists (0700), nobody answers
 * on it (else DAEMON_RUNNING), a stale one is removed.
 */
export async function checkSocketFree(socketPath: string): Promise<void> {
  return prepareSocketPath(socketPath);
}

async function prepareSocketPath(socketPath: string): Promise<void> {
  const dir = dirname(socketPath);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  } catch (err) {
    throw new MusicFsError('STATE_DIR_FAILED', `cannot create the runtime folder ${dir}: ${(err as Error).message}`, { path: dir });
  }
  const st = await lstat(socketPath).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw new MusicFsError('STATE_DIR_FAILED', `${socketPath} exists and is not a socket; remove it`, { path: socketPath });
  if (await socketAnswers(socketPath, PROBE_TIMEOUT_MS)) throw daemonRunning(socketPath);
  // Nobody listens: left by a daemon that did not exit cleanly.
  await unlink(socketPath);
}
