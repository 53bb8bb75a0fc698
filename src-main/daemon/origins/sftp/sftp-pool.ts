import type { Logger } from '../../base/logger.js';
import { OriginError } from '../origin-error.js';
import { raceAbort } from './abortable.js';
import { hostPort } from './known-hosts.js';
import { SftpConnection, type SftpEndpoint } from './sftp-connection.js';

/**
 * Up to `maxConnections` SSH connections to one server, opened on demand.
 *
 * Connections are shared, not checked out: SFTP numbers its requests and a
 * session serves many at once, so one connection carries several operations
 * and the read-ahead of several open files side by side. Each connection has a
 * load (operations in flight + open files bound to it); an operation takes the
 * least loaded one, and a new connection is opened only when every existing
 * one is busy and the pool is not full. Several connections still help: each
 * is its own TCP stream and SSH channel window, and a slow request (a big
 * readdir) on one does not hold up reads on another.
 *
 * A connection that ends (server restart, network drop, keepalive timeout) is
 * removed from the pool at once; the next operation opens a fresh one. An
 * operation that failed because the connection it was given died — one that
 * was open before the operation began, so its death may simply have gone
 * unnoticed — is tried once more on a fresh connection. Nothing else is
 * retried here (the guarded origin above does that, with backoff).
 *
 * Ownership: the pool owns every connection; `dispose()` ends them all (and
 * stops connects in progress). A lease is owned by whoever acquired it and
 * must be released exactly once (release is idempotent).
 */

export interface SftpLease {
  readonly connection: SftpConnection;
  /** The connection was open before this lease: a dead one may not have been noticed yet. */
  readonly reused: boolean;
  release(): void;
}

interface Slot {
  ready: Promise<SftpConnection>;
  /** Set once connected. */
  connection?: SftpConnection;
  load: number;
}

export class SftpPool {
  private readonly slots = new Set<Slot>();
  /** Aborted by dispose(): stops connects in progress. */
  private readonly lifetime = new AbortController();
  private disposed = false;

  constructor(
    private readonly endpoint: SftpEndpoint,
    private readonly maxConnections: number,
    private readonly logger: Logger,
  ) {}

  /** A connection for one operation or one open file; rejects with the connect error or `stopped()`. */
  async acquire(signal: AbortSignal | undefined, stopped: () => OriginError): Promise<SftpLease> {
    // A connection seen dead after the wait is dropped from the pool; take another.
    for (let attempt = 0; ; attempt++) {
      if (this.disposed) throw this.closedError();
      const slot = this.pickSlot();
      const reused = slot.connection !== undefined;
      slot.load++;
      let connection: SftpConnection;
      try {
        connection = await raceAbort(slot.ready, signal, stopped);
      } catch (err) {
        slot.load--;
        throw err;
      }
      if (this.disposed || (!connection.alive && attempt < 2)) {
        slot.load--;
        continue;
      }
      let released = false;
      return {
        connection,
        reused,
        release: () => {
          if (released) return;
          released = true;
          slot.load--;
        },
      };
    }
  }

  /**
   * Runs `op` on a pooled connection and keeps the lease (for an open file:
   * its handle lives on that connection). Tried once more on a fresh
   * connection when a reused one turns out dead.
   */
  async runHolding<T>(signal: AbortSignal | undefined, stopped: () => OriginError, op: (c: SftpConnection) => Promise<T>): Promise<{ value: T; lease: SftpLease }> {
    for (let attempt = 0; ; attempt++) {
      const lease = await this.acquire(signal, stopped);
      try {
        const value = await lease.connection.guard(op(lease.connection), signal, stopped);
        return { value, lease };
      } catch (err) {
        lease.release();
        const staleConnection = lease.reused && !lease.connection.alive && signal?.aborted !== true && !this.disposed;
        if (attempt === 0 && staleConnection) {
          this.logger.debug('retrying on a fresh connection', { reason: (err as Error).message });
          continue;
        }
        throw err;
      }
    }
  }

  /** Runs `op` on a pooled connection (see runHolding). */
  async run<T>(signal: AbortSignal | undefined, stopped: () => OriginError, op: (c: SftpConnection) => Promise<T>): Promise<T> {
    const { value, lease } = await this.runHolding(signal, stopped, op);
    lease.release();
    return value;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.lifetime.abort();
    const slots = [...this.slots];
    this.slots.clear();
    await Promise.all(slots.map((s) => s.ready.then((c) => c.end(), () => undefined)));
  }

  private pickSlot(): Slot {
    let best: Slot | undefined;
    for (const slot of this.slots) if (best === undefined || slot.load < best.load) best = slot;
    if (best !== undefined && (best.load === 0 || this.slots.size >= this.maxConnections)) return best;
    return this.openSlot();
  }

  private openSlot(): Slot {
    const where = hostPort(this.endpoint.location.host, this.endpoint.location.port);
    const slot: Slot = { load: 0, ready: undefined as unknown as Promise<SftpConnection> };
    slot.ready = SftpConnection.open(this.endpoint, this.lifetime.signal).then(
      (connection) => {
        slot.connection = connection;
        connection.onClose(() => {
          if (!this.slots.delete(slot) || this.disposed) return;
          this.logger.info('sftp connection closed', { server: where, open: this.slots.size });
        });
        this.logger.debug('sftp connection open', { server: where, open: this.slots.size });
        return connection;
      },
      (err: unknown) => {
        this.slots.delete(slot);
        throw err;
      },
    );
    // Every waiter may have given up (aborted); the failure is still theirs, not unhandled.
    slot.ready.catch(() => undefined);
    this.slots.add(slot);
    return slot;
  }

  private closedError(): OriginError {
    return new OriginError('aborted', `${hostPort(this.endpoint.location.host, this.endpoint.location.port)}: the origin is closed`, {
      origin: this.endpoint.originName,
      operation: 'connect',
    });
  }
}
