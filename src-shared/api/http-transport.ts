import { ApiError, isApiErrorBody } from './api-error.js';
import type { StreamHandle, Transport } from './client.js';
import type { MessageOf, ParamsOf, ResultOf, StreamMethod, UnaryMethod } from './methods.js';

/**
 * The UI API over HTTP, as the daemon's loopback gateway serves it:
 *
 *   POST {base}/api/v1/call/METHOD    JSON params → 200 JSON result | 4xx/5xx JSON ApiErrorBody
 *   POST {base}/api/v1/stream/METHOD  JSON params → 200 application/x-ndjson, one message per line;
 *                                     a line {"error": ApiErrorBody} ends it with an error;
 *                                     closing the request cancels the daemon's work.
 *
 * Authentication is the gateway's token: in a browser an HttpOnly cookie set
 * when the page was opened with ?token=, elsewhere (the Electron main
 * process) an `Authorization: Bearer` header. `fetch` is injected, so this
 * file needs neither the DOM nor Node.
 */

export interface FetchLike {
  (url: string, init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal; credentials?: 'same-origin' }): Promise<ResponseLike>;
}

export interface ResponseLike {
  readonly ok: boolean;
  readonly status: number;
  text(): Promise<string>;
  readonly body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null;
}

export interface HttpTransportOptions {
  /** '' in a page served by the gateway; 'http://127.0.0.1:8577' elsewhere. */
  baseUrl: string;
  fetch: FetchLike;
  /** Sent as `Authorization: Bearer` (not needed in a page that has the cookie). */
  token?: string;
}

export function createHttpTransport(options: HttpTransportOptions): Transport {
  const headers = (): Record<string, string> => ({
    'content-type': 'application/json',
    ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
  });
  const url = (kind: 'call' | 'stream', method: string) => `${options.baseUrl}/api/v1/${kind}/${method}`;

  return {
    async call<M extends UnaryMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
      let res: ResponseLike;
      try {
        res = await options.fetch(url('call', method), { method: 'POST', headers: headers(), body: JSON.stringify(params ?? {}), credentials: 'same-origin' });
      } catch (err) {
        throw transportError(err);
      }
      const text = await res.text();
      const body = parseJson(text);
      if (!res.ok) throw errorOf(res.status, body, text);
      return body as ResultOf<M>;
    },

    stream<M extends StreamMethod>(method: M, params: ParamsOf<M>, onMessage: (message: MessageOf<M>) => void): StreamHandle {
      const abort = new AbortController();
      const done = (async () => {
        let res: ResponseLike;
        try {
          res = await options.fetch(url('stream', method), { method: 'POST', headers: headers(), body: JSON.stringify(params ?? {}), signal: abort.signal, credentials: 'same-origin' });
        } catch (err) {
          if (abort.signal.aborted) return;
          throw transportError(err);
        }
        if (!res.ok || !res.body) {
          const text = await res.text();
          throw errorOf(res.status, parseJson(text), text);
        }
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let pending = '';
        try {
          for (;;) {
            const { done: end, value } = await reader.read();
            if (end) break;
            pending += decoder.decode(value, { stream: true });
            let nl: number;
            while ((nl = pending.indexOf('\n')) >= 0) {
              const line = pending.slice(0, nl);
              pending = pending.slice(nl + 1);
              if (line.trim() === '') continue;
              const message = parseJson(line) as { error?: unknown };
              if (message && typeof message === 'object' && 'error' in message && isApiErrorBody(message.error)) throw ApiError.from(message.error);
              onMessage(message as MessageOf<M>);
            }
          }
        } catch (err) {
          if (abort.signal.aborted) return;
          throw err instanceof ApiError ? err : transportError(err);
        }
        if (abort.signal.aborted) return;
      })();
      // A caller that only cancels must not see an unhandled rejection.
      done.catch(() => undefined);
      return { done, cancel: () => abort.abort() };
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorOf(status: number, body: unknown, text: string): ApiError {
  if (isApiErrorBody(body)) return ApiError.from(body);
  if (status === 401) return new ApiError('UNAUTHORIZED', 'the daemon refused the request: missing or wrong UI token (open the URL `musicfs ui --url` prints)');
  return new ApiError('TRANSPORT', `the daemon answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

function transportError(err: unknown): ApiError {
  return new ApiError('TRANSPORT', `cannot reach the daemon: ${err instanceof Error ? err.message : String(err)}`);
}
