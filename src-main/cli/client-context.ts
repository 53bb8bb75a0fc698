import { socketAnswers } from '../common/socket-probe.js';
import * as grpc from '@grpc/grpc-js';
import { connect } from '../common/api/client.js';
import type { MusicFSClient } from '../common/api/proto.js';
import { fromServiceError } from '../common/api/status.js';
import { isMusicFsError, MusicFsError } from '../../src-shared/errors.js';

/**
 * The CLI's one connection to the daemon: typed, promisified calls with a
 * deadline on every unary call (none on streams), streams that end cleanly
 * when the caller aborts them, every gRPC error mapped to a MusicFsError by
 * `fromServiceError`. The owner (runCli) closes it before returning, so the
 * process exits by itself.
 */

export const UNARY_DEADLINE_MS = 10_000;
/** Calls that touch the disk or FUSE: mounting, unmounting, validating a new origin, emptying the cache, unpinning. */
export const SLOW_DEADLINE_MS = 120_000;
const SLOW_CALLS: ReadonlySet<string> = new Set(['Mount', 'Unmount', 'AddOrigin', 'ClearCache', 'Unpin']);

// The generated client declares each RPC with overloads; the last overload of
// a unary RPC is `(argument, callback)`, of a streaming RPC `(argument, options?)`.
type Rpc = Extract<keyof MusicFSClient, `${Uppercase<string>}${string}`>;
export type UnaryRpc = {
  [K in Rpc]: MusicFSClient[K] extends (argument: never, callback: grpc.requestCallback<infer _R>) => grpc.ClientUnaryCall ? K : never;
}[Rpc];
export type StreamRpc = {
  [K in Rpc]: MusicFSClient[K] extends (argument: never, options?: grpc.CallOptions) => grpc.ClientReadableStream<infer _R> ? K : never;
}[Rpc];
export type RequestOf<K extends Rpc> = MusicFSClient[K] extends (argument: infer A, ...rest: never[]) => unknown ? A : never;
export type ResponseOf<K extends UnaryRpc> = MusicFSClient[K] extends (argument: never, callback: grpc.requestCallback<infer R>) => grpc.ClientUnaryCall ? R : never;
export type MessageOf<K extends StreamRpc> = MusicFSClient[K] extends (argument: never, options?: grpc.CallOptions) => grpc.ClientReadableStream<infer R> ? R : never;

/** How a stream ended: by itself, or because the caller aborted it. */
export type StreamEnd = 'completed' | 'cancelled';

type UnaryFn = (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, value?: unknown) => void) => grpc.ClientUnaryCall;
type StreamFn = (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions) => grpc.ClientReadableStream<unknown>;

export class DaemonClient {
  private closed = false;

  private constructor(
    private readonly client: MusicFSClient,
    readonly socketPath: string,
  ) {}

  /**
   * Connects, or throws DAEMON_NOT_RUNNING with `connect()`'s message. A
   * socket file nobody listens on (left by a crash) is detected at once by a
   * plain connect instead of waiting for the gRPC connect timeout.
   */
  static async open(socketPath: string): Promise<DaemonClient> {
    const alive = await socketAnswers(socketPath);
    return new DaemonClient(await connect(socketPath, alive ? undefined : 0), socketPath);
  }

  /** Like open(), but undefined when no daemon answers. */
  static async tryOpen(socketPath: string): Promise<DaemonClient | undefined> {
    try {
      return await DaemonClient.open(socketPath);
    } catch (err) {
      if (isMusicFsError(err) && err.code === 'DAEMON_NOT_RUNNING') return undefined;
      throw err;
    }
  }

  /** One unary call with its deadline (10 s; 120 s for Mount, Unmount, AddOrigin, ClearCache, Unpin). */
  unary<K extends UnaryRpc>(method: K, request: RequestOf<K>, timeoutMs: number = SLOW_CALLS.has(method) ? SLOW_DEADLINE_MS : UNARY_DEADLINE_MS): Promise<ResponseOf<K>> {
    const fn = this.client[method] as unknown as UnaryFn;
    return new Promise((resolve, reject) => {
      fn.call(this.client, request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, value) => {
        if (err) reject(fromServiceError(err));
        else resolve(value as ResponseOf<K>);
      });
    });
  }

  /**
   * A server stream, no deadline. Resolves 'completed' when the daemon ends
   * it, 'cancelled' when `signal` aborts it (the call is cancelled, so the
   * daemon stops the work); rejects with a MusicFsError otherwise.
   */
  stream<K extends StreamRpc>(method: K, request: RequestOf<K>, onMessage: (message: MessageOf<K>) => void, signal?: AbortSignal): Promise<StreamEnd> {
    const fn = this.client[method] as unknown as StreamFn;
    return new Promise<StreamEnd>((resolve, reject) => {
      if (signal?.aborted) return resolve('cancelled');
      const call = fn.call(this.client, request, new grpc.Metadata(), {});
      let settled = false;
      const settle = (how: () => void): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        how();
      };
      const onAbort = (): void => {
        settle(() => resolve('cancelled'));
        call.cancel();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      call.on('data', (message: unknown) => {
        if (settled) return;
        try {
          onMessage(message as MessageOf<K>);
        } catch (err) {
          settle(() => reject(err));
          call.cancel();
        }
      });
      call.on('end', () => settle(() => resolve('completed')));
      call.on('error', (err: grpc.ServiceError) => {
        if (err.code === grpc.status.CANCELLED) {
          // Not ours (ours settles first): the daemon went away mid-stream.
          settle(() => reject(new MusicFsError('DAEMON_NOT_RUNNING', 'the MusicFS daemon ended the call (is it stopping?)', {}, { cause: err })));
        } else settle(() => reject(fromServiceError(err)));
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

