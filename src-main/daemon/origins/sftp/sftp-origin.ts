import { formatOriginLocation, type SftpLocation } from '../../../../src-shared/origin-location.js';
import type { Logger } from '../../base/logger.js';
import type { Origin, OriginFileHandle, OriginStat, WalkOptions, WalkResult, OriginAccess } from '../origin.js';
import { isOriginError, OriginError, type OriginErrorContext } from '../origin-error.js';
import { hostPort } from './known-hosts.js';
import { remotePathOf } from './remote-path.js';
import { sftpClose, sftpFstat, sftpOpenForReading, sftpReaddir, sftpRealpath, sftpStat } from './sftp-calls.js';
import { CONNECT_TIMEOUT_MS, KEEPALIVE_COUNT_MAX, KEEPALIVE_INTERVAL_MS, type SftpConnection } from './sftp-connection.js';
import { expandHome } from './sftp-credentials.js';
import { sftpRequestError } from './sftp-errors.js';
import { SftpFileHandle, type OpenedFile } from './sftp-file-handle.js';
import { SftpPool } from './sftp-pool.js';
import { walkRemoteTree, type RemoteTree } from './sftp-walker.js';

/**
 * A folder on an SFTP server (OpenSSH or any SFTP v3 server).
 *
 * Every operation runs on the connection pool (sftp-pool.ts); the host key
 * is checked against known_hosts at every connect (known-hosts.ts); walks
 * list folders in parallel (sftp-walker.ts); open files read ahead
 * (sftp-file-handle.ts). Times are the server's mtime (whole seconds).
 */

export interface SftpOriginOptions {
  /** Environment for $SSH_AUTH_SOCK and password_env (tests); process.env by default. */
  env?: NodeJS.ProcessEnv;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
}

/** Folders listed at once per pooled connection during a walk (requests pipeline on a connection). */
const WALK_FOLDERS_PER_CONNECTION = 4;

export class SftpOrigin implements Origin {
  readonly kind = 'sftp';
  readonly remote = true;
  readonly root: string;
  private readonly pool: SftpPool;
  /** `host:port` for messages. */
  private readonly where: string;
  private received = 0;

  constructor(
    readonly id: number,
    readonly name: string,
    private readonly location: SftpLocation,
    logger: Logger,
    options: SftpOriginOptions = {},
  ) {
    this.root = formatOriginLocation(location);
    this.where = hostPort(location.host, location.port);
    this.pool = new SftpPool(
      {
        location,
        originName: name,
        knownHostsFile: expandHome(location.knownHosts ?? '~/.ssh/known_hosts'),
        connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
        keepaliveIntervalMs: options.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS,
        keepaliveCountMax: KEEPALIVE_COUNT_MAX,
        env: options.env,
      },
      location.connections,
      logger,
    );
  }

  /** File bytes received from the server so far (read-ahead included). */
  get bytesRead(): number {
    return this.received;
  }

  async walk(options: WalkOptions = {}): Promise<WalkResult> {
    const { signal } = options;
    try {
      return await walkRemoteTree(this.tree, {
        under: options.under,
        signal,
        concurrency: this.location.connections * WALK_FOLDERS_PER_CONNECTION,
      });
    } catch (err) {
      if (isOriginError(err)) throw err;
      if (signal?.aborted) throw this.stopped({ origin: this.name, operation: 'walk', path: options.under ?? '' });
      throw sftpRequestError(err, { origin: this.name, operation: 'walk', path: options.under ?? '' }, this.where, this.remotePath(options.under ?? ''));
    }
  }

  async stat(path: string, signal?: AbortSignal): Promise<OriginStat | undefined> {
    let st;
    try {
      st = await this.request('stat', path, signal, (c) => sftpStat(c.sftp, this.remotePath(path)));
    } catch (err) {
      if (isOriginError(err) && err.failure === 'not_found') return undefined;
      throw err;
    }
    return { size: st.size, mtimeMs: st.mtime * 1000, isDirectory: st.isDirectory() };
  }

  async open(path: string, signal?: AbortSignal, access: OriginAccess = 'sequential'): Promise<OriginFileHandle> {
    const context: OriginErrorContext = { origin: this.name, operation: 'read', path };
    const remote = this.remotePath(path);
    const file = await this.openFile(path, signal);
    return new SftpFileHandle(file, {
      reopen: (s) => this.openFile(path, s),
      readError: (err) => sftpRequestError(err, context, this.where, remote),
      stopped: () => this.stopped(context),
      onBytesReceived: (n) => (this.received += n),
      access,
    });
  }

  async checkHealth(signal?: AbortSignal): Promise<void> {
    const context: OriginErrorContext = { origin: this.name, operation: 'health', path: '' };
    const remote = this.remotePath('');
    let st;
    try {
      st = await this.request('health', '', signal, (c) => sftpStat(c.sftp, remote));
    } catch (err) {
      if (isOriginError(err) && err.failure === 'not_found') {
        throw new OriginError('not_found', `${this.where}: folder ${remote} does not exist on the server`, context, { cause: err });
      }
      throw err;
    }
    if (!st.isDirectory()) throw new OriginError('not_found', `${this.where}: ${remote} is not a folder`, context);
  }

  dispose(): Promise<void> {
    return this.pool.dispose();
  }

  private readonly tree: RemoteTree = {
    list: (dir, signal) => this.request('list', dir, signal, (c) => sftpReaddir(c.sftp, this.remotePath(dir))),
    stat: (path, signal) => this.request('stat', path, signal, (c) => sftpStat(c.sftp, this.remotePath(path))),
    realpath: (path, signal) => this.request('realpath', path, signal, (c) => sftpRealpath(c.sftp, this.remotePath(path))),
  };

  /** Opens a file on a pooled connection; the lease goes to the file handle. */
  private async openFile(path: string, signal: AbortSignal | undefined): Promise<OpenedFile> {
    const context: OriginErrorContext = { origin: this.name, operation: 'open', path };
    const remote = this.remotePath(path);
    try {
      const { value, lease } = await this.pool.runHolding(signal, () => this.stopped(context), async (c) => {
        const handle = await sftpOpenForReading(c.sftp, remote);
        try {
          const st = await sftpFstat(c.sftp, handle);
          if (st.isDirectory()) throw Object.assign(new Error('is a folder, not a file'), { code: 'EISDIR' });
          // Given up on while the answer was on its way: nobody will close it.
          if (signal?.aborted) throw this.stopped(context);
          return { handle, size: st.size };
        } catch (err) {
          sftpClose(c.sftp, handle).catch(() => undefined);
          throw err;
        }
      });
      return { lease, ...value };
    } catch (err) {
      throw sftpRequestError(err, context, this.where, remote);
    }
  }

  /** One SFTP request on a pooled connection, its failure as an OriginError naming the server and the path. */
  private async request<T>(operation: string, path: string, signal: AbortSignal | undefined, op: (c: SftpConnection) => Promise<T>): Promise<T> {
    const context: OriginErrorContext = { origin: this.name, operation, path };
    try {
      return await this.pool.run(signal, () => this.stopped(context), op);
    } catch (err) {
      throw sftpRequestError(err, context, this.where, this.remotePath(path));
    }
  }

  private stopped(context: OriginErrorContext): OriginError {
    const what = context.path !== undefined && context.path !== '' ? ` ${context.path}` : '';
    return new OriginError('aborted', `${this.where}: ${context.operation}${what}: stopped`, context);
  }

  private remotePath(rel: string): string {
    return remotePathOf(this.location.path, rel);
  }
}
