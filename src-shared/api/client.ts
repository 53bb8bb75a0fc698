import { STREAM_METHODS, UNARY_METHODS, type MessageOf, type ParamsOf, type ResultOf, type StreamMethod, type StreamMethods, type UnaryMethod, type UnaryMethods } from './methods.js';

/**
 * One API client for every place that talks to the daemon's UI API (the
 * window, a browser tab, the tray): typed methods over a `Transport`. The
 * transport is the only thing that differs — HTTP to the loopback gateway
 * (`http-transport.ts`) or the Electron preload bridge — so the UI and its
 * tests run the same code in the app and in a browser.
 */

export interface StreamHandle {
  /** Settles when the stream ends: resolves at its normal end, rejects with an ApiError. Cancelling resolves it. */
  readonly done: Promise<void>;
  cancel(): void;
}

export interface Transport {
  call<M extends UnaryMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  stream<M extends StreamMethod>(method: M, params: ParamsOf<M>, onMessage: (message: MessageOf<M>) => void): StreamHandle;
}

type UnaryFns = { [M in UnaryMethod]: (params: UnaryMethods[M][0]) => Promise<UnaryMethods[M][1]> };
type StreamFns = { [M in StreamMethod]: (params: StreamMethods[M][0], onMessage: (message: StreamMethods[M][1]) => void) => StreamHandle };

export type ApiClient = UnaryFns & StreamFns & { readonly transport: Transport };

/** A typed client over `transport`: `client.search({ query })`, `client.events({}, onEvent)`. */
export function createApiClient(transport: Transport): ApiClient {
  const client: Record<string, unknown> = { transport };
  for (const m of UNARY_METHODS) client[m] = (params: never) => transport.call(m, params ?? ({} as never));
  for (const m of STREAM_METHODS) client[m] = (params: never, onMessage: (message: unknown) => void) => transport.stream(m, params ?? ({} as never), onMessage);
  return client as ApiClient;
}
