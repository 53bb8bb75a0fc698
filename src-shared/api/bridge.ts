import { ApiError, type ApiErrorBody } from './api-error.js';
import type { StreamHandle, Transport } from './client.js';
import type { MessageOf, ParamsOf, ResultOf, StreamMethod, UnaryMethod } from './methods.js';

/**
 * The preload bridge's contract: what `window.musicfs` offers the renderer
 * in the Electron app (contextIsolation on: plain functions and plain data
 * only), and the Transport built on it. The main process forwards calls and
 * streams to the daemon and adds what only the desktop can do.
 */

export const BRIDGE_GLOBAL = 'musicfs';

/** IPC channel names shared by the preload script and the main process. */
export const IPC = {
  call: 'musicfs:call',
  streamStart: 'musicfs:stream-start',
  streamCancel: 'musicfs:stream-cancel',
  /** main → renderer: (id, BridgeStreamEvent) */
  streamEvent: 'musicfs:stream-event',
  desktop: 'musicfs:desktop',
} as const;

/** What a bridged call resolves to: errors travel as data (Electron's IPC keeps only an Error's message). */
export type BridgeReply<T> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

export type BridgeStreamEvent = { kind: 'message'; message: unknown } | { kind: 'end' } | { kind: 'error'; error: ApiErrorBody };

/** Desktop-only actions of the app (absent in a browser). */
export interface DesktopActions {
  autostart: { enabled: boolean; available: boolean };
}

export interface BridgeApi {
  call(method: string, params: unknown): Promise<BridgeReply<unknown>>;
  /** Starts a stream; events arrive at `listener` until 'end' or 'error'. Returns its id for cancel(). */
  stream(method: string, params: unknown, listener: (event: BridgeStreamEvent) => void): Promise<number>;
  cancel(id: number): void;
  /** Desktop actions: read or change the autostart entry. */
  getAutostart(): Promise<DesktopActions['autostart']>;
  setAutostart(enabled: boolean): Promise<DesktopActions['autostart']>;
}

export function createBridgeTransport(bridge: BridgeApi): Transport {
  return {
    async call<M extends UnaryMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
      const reply = await bridge.call(method, params ?? {});
      if (!reply.ok) throw ApiError.from(reply.error);
      return reply.value as ResultOf<M>;
    },
    stream<M extends StreamMethod>(method: M, params: ParamsOf<M>, onMessage: (message: MessageOf<M>) => void): StreamHandle {
      let id: number | undefined;
      let cancelled = false;
      let settle!: { resolve: () => void; reject: (e: unknown) => void };
      const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      done.catch(() => undefined);
      bridge
        .stream(method, params ?? {}, (event) => {
          if (cancelled) return;
          if (event.kind === 'message') onMessage(event.message as MessageOf<M>);
          else if (event.kind === 'end') settle.resolve();
          else settle.reject(ApiError.from(event.error));
        })
        .then(
          (streamId) => {
            id = streamId;
            if (cancelled) bridge.cancel(streamId);
          },
          (err: unknown) => settle.reject(new ApiError('TRANSPORT', `the app's bridge failed: ${err instanceof Error ? err.message : String(err)}`)),
        );
      return {
        done,
        cancel() {
          if (cancelled) return;
          cancelled = true;
          if (id !== undefined) bridge.cancel(id);
          settle.resolve();
        },
      };
    },
  };
}
