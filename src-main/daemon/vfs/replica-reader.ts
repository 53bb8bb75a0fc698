import { delay } from '../base/async.js';
import type { Logger } from '../base/logger.js';
import type { RangeSource } from '../cache/range-source.js';
import { RETRY_DELAYS_MS } from '../federation/retry.js';
import type { Origin, OriginFileHandle } from '../origins/origin.js';
import type { FileNode, Replica } from './library-tree.js';
import { VfsError } from './vfs-error.js';

/**
 * Reads byte ranges of one file of the mount from its replicas, best first.
 *
 * Ownership: at most one origin file handle at a time, closed by `close()`.
 * Routing: the replicas are ordered by the origins' health, priority and
 * recent latency (`OriginLookup.route`). A read that fails on one replica
 * continues at the same offset on the next at once (same fingerprint, so the
 * same bytes: a player does not notice the switch); when every replica has
 * failed, they are all tried again after 100, 500 and 2000 ms, and only
 * then, or at the deadline, does the read fail with an `IO` error. A replica
 * whose file no longer has the size and mtime the catalog knows is stale
 * (changed since the scan) and is passed over, so bytes of another version
 * never mix with this one.
 */

/** What the reader needs of the origins. */
export interface OriginLookup {
  origin(id: number): Origin | undefined;
  /** The replicas worth trying, best first; default: as the library ordered them. */
  route?(replicas: readonly Replica[]): Replica[];
  /** Deadline of one read or open, retries and failovers included; default 30 s. */
  deadlineMs?(): number;
}

export interface ReplicaReaderHooks {
  /** A replica's file changed since the scan (the scanner should look again). */
  onStale?(originId: number, path: string): void;
}

const DEFAULT_DEADLINE_MS = 30_000;
/**
 * With another replica to go to, a read that makes no progress for this long
 * (or a third of the deadline, if longer) fails over instead of waiting for
 * the whole deadline: a black-holed origin must not stall the player.
 */
const FAILOVER_STALL_MS = 5000;

export class ReplicaReader implements RangeSource {
  /** The replicas in the order this reader tries them, chosen at open. */
  private order: Replica[] = [];
  /** Index in `order` of the replica the handle is open on (-1: none yet). */
  private current = -1;
  private handle: OriginFileHandle | undefined;

  constructor(
    private readonly node: FileNode,
    private readonly path: string,
    private readonly origins: OriginLookup,
    private readonly logger: Logger,
    private readonly hooks: ReplicaReaderHooks = {},
  ) {}

  /** The origin serving reads now (after `open`). */
  get originId(): number | undefined {
    return this.order[this.current]?.originId;
  }

  /** Opens the best replica now: NOT_FOUND when the file is gone from every origin, IO otherwise. */
  async open(): Promise<void> {
    if (this.handle) return;
    const deadlineAt = performance.now() + this.deadlineMs();
    for (let round = 0; ; round++) {
      this.route();
      try {
        await this.openFrom(0, deadlineAt);
        return;
      } catch (err) {
        if (!(err instanceof VfsError) || err.code === 'NOT_FOUND' || !(await this.pauseBeforeRound(round, deadlineAt))) throw err;
      }
    }
  }

  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; shorter only at end of file. */
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const want = Math.max(0, Math.min(length, this.node.size - position));
    const deadlineAt = performance.now() + this.deadlineMs();
    let filled = 0;
    let round = 0;
    while (filled < want) {
      let n: number;
      try {
        if (!this.handle) await this.openFrom(this.current + 1, deadlineAt);
        n = await this.handle!.read(buffer, offset + filled, want - filled, position + filled, AbortSignal.timeout(Math.ceil(this.attemptMs(deadlineAt))));
      } catch (err) {
        if (err instanceof VfsError && err.code === 'NOT_FOUND') throw err;
        if (!(err instanceof VfsError)) {
          this.logger.warn('read failed; trying the next replica', { path: this.path, origin: this.originId, position: position + filled, reason: (err as Error).message });
          await this.closeHandle();
          // `current` stays the one that failed: the next loop opens from the one after it.
          if (this.current + 1 < this.order.length) continue;
        }
        // Every replica failed this round: pause, re-route (health may have changed), go again.
        if (!(await this.pauseBeforeRound(round++, deadlineAt))) {
          throw err instanceof VfsError ? err : new VfsError('IO', `every origin failed reading ${this.path}: ${(err as Error).message}`, this.path, { cause: err });
        }
        await this.closeHandle();
        this.route();
        this.current = -1;
        continue;
      }
      if (n === 0) break; // the origin file is shorter than the catalog says (changed since the scan)
      filled += n;
    }
    return filled;
  }

  async close(): Promise<void> {
    await this.closeHandle();
  }

  private deadlineMs(): number {
    return this.origins.deadlineMs?.() ?? DEFAULT_DEADLINE_MS;
  }

  private route(): void {
    this.order = this.origins.route?.(this.node.replicas) ?? [...this.node.replicas];
  }

  /** How long the next attempt may take: the time left, or less when another replica can take over. */
  private attemptMs(deadlineAt: number): number {
    const left = Math.max(1, deadlineAt - performance.now());
    if (this.current + 1 >= this.order.length) return left;
    return Math.min(left, Math.max(FAILOVER_STALL_MS, this.deadlineMs() / 3));
  }

  /** Waits before retry round `round + 1`; false when no retry is left or it would end past the deadline. */
  private async pauseBeforeRound(round: number, deadlineAt: number): Promise<boolean> {
    const pause = RETRY_DELAYS_MS[round];
    if (pause === undefined || performance.now() + pause >= deadlineAt) return false;
    await delay(pause);
    return true;
  }

  private async openFrom(from: number, deadlineAt: number): Promise<void> {
    if (this.order.length === 0 && this.current < 0) this.route();
    const replicas = this.order;
    let lastError: unknown;
    let allMissing = true;
    for (let i = Math.max(0, from); i < replicas.length; i++) {
      const replica = replicas[i]!;
      const origin = this.origins.origin(replica.originId);
      if (!origin) continue;
      const signal = AbortSignal.timeout(Math.max(1, Math.ceil(deadlineAt - performance.now())));
      try {
        // Remote origins learn size and mtime when opening (one round trip
        // fewer to the first byte); local ones are stat-ed first, which is cheap.
        let handle = origin.remote ? await origin.open(replica.path, signal) : undefined;
        if (replica.mtimeMs !== undefined) {
          const st = handle?.stat ?? (await origin.stat(replica.path, signal));
          if (st && (st.size !== this.node.size || Math.trunc(st.mtimeMs) !== Math.trunc(replica.mtimeMs))) {
            await handle?.close().catch(() => undefined);
            allMissing = false;
            lastError = new Error(`${origin.name}:${replica.path} changed since the last scan`);
            this.hooks.onStale?.(replica.originId, replica.path);
            continue;
          }
        }
        handle ??= await origin.open(replica.path, signal);
        this.handle = handle;
        this.current = i;
        return;
      } catch (err) {
        lastError = err;
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') allMissing = false;
        this.logger.debug('cannot open replica', { path: this.path, origin: origin.name, file: replica.path, reason: (err as Error).message });
      }
    }
    this.current = replicas.length;
    if (lastError !== undefined && allMissing) throw new VfsError('NOT_FOUND', `${this.path} is gone from its origin`, this.path, { cause: lastError });
    throw new VfsError('IO', `no origin can serve ${this.path}${lastError instanceof Error ? `: ${lastError.message}` : ''}`, this.path, { cause: lastError });
  }

  private async closeHandle(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) await h.close().catch(() => undefined);
  }
}
