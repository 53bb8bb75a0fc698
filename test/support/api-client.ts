/**
 * A promisified client of the daemon's control socket for tests: every RPC of
 * the MusicFS service, unary ones as promises, streams as async iterables.
 */
import type * as grpc from '@grpc/grpc-js';
import { connect } from '../../src-main/common/api/client.js';
import type { MusicFSClient } from '../../src-main/common/api/proto.js';

type Unary<Req, Res> = (req: Req, cb: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;

export class ApiClient {
  private constructor(readonly raw: MusicFSClient) {}

  static async connect(socketPath: string): Promise<ApiClient> {
    return new ApiClient(await connect(socketPath));
  }

  /** Calls a unary RPC by name. */
  call<K extends keyof MusicFSClient & string>(method: K, request: Parameters<MusicFSClient[K]>[0]): Promise<ResultOf<MusicFSClient[K]>> {
    const fn = (this.raw[method] as unknown as Unary<unknown, unknown>).bind(this.raw);
    return new Promise((resolve, reject) => {
      fn(request, (err, res) => (err ? reject(err) : resolve(res as ResultOf<MusicFSClient[K]>)));
    });
  }

  /** Opens a server stream by name; returns the call (cancel it to stop) and its messages. */
  stream<T>(method: 'RescanOrigin' | 'SearchStream' | 'SubscribeEvents' | 'Prefetch' | 'Pin', request: object): { call: grpc.ClientReadableStream<T>; messages: AsyncIterable<T> } {
    const call = (this.raw[method] as unknown as (req: object) => grpc.ClientReadableStream<T>).call(this.raw, request);
    return { call, messages: call as unknown as AsyncIterable<T> };
  }

  close(): void {
    this.raw.close();
  }
}

/** The response type of a generated client method (its callback's second argument). */
type ResultOf<F> = F extends (argument: never, callback: grpc.requestCallback<infer R>) => unknown ? R : never;
