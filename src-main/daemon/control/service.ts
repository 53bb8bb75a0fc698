import * as grpc from '@grpc/grpc-js';
import { MusicFsError } from '../../../src-shared/errors.js';
import type { MusicFSHandlers } from '../../common/api/proto.js';
import { toServiceError } from '../../common/api/status.js';
import { redactSecrets } from '../base/secrets.js';
import type { Logger } from '../base/logger.js';
import { originOf } from '../events.js';
import type { DaemonApi, MountView, TrackView } from './daemon-api.js';
import type { CachePathsRequest__Output } from '../../common/api/gen/musicfs/v1/CachePathsRequest.js';
import type { CacheProgress } from '../../common/api/gen/musicfs/v1/CacheProgress.js';
import {
  cacheProgressMessage,
  cacheStatsMessage,
  eventMessage,
  eventTypeFromMessage,
  originHealthMessage,
  originMessage,
  scanProgressMessage,
  scanReportMessage,
  trackMessage,
} from './messages.js';

/**
 * The MusicFS gRPC service: thin handlers over the DaemonApi facade. Every
 * error goes through `toServiceError` (status code + reason/origin/path
 * metadata); every stream stops its work when the client cancels.
 */

export type RpcObserver = (method: string, code: string, seconds: number) => void;

const DEFAULT_SEARCH_LIMIT = 100;
const MAX_SEARCH_LIMIT = 10_000;

type UnaryCallback<T> = grpc.sendUnaryData<T>;

export function createHandlers(api: DaemonApi, logger: Logger, observe: RpcObserver = () => undefined): MusicFSHandlers {
  /** Runs a unary handler: result or mapped error, timed. */
  const unary = <T>(method: string, callback: UnaryCallback<T>, run: () => Promise<T> | T): void => {
    const started = performance.now();
    Promise.resolve()
      .then(run)
      .then(
        (value) => {
          observe(method, 'OK', (performance.now() - started) / 1000);
          callback(null, value);
        },
        (err: unknown) => {
          const status = redactStatus(toServiceError(err));
          observe(method, grpc.status[status.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN', (performance.now() - started) / 1000);
          if (status.code === grpc.status.INTERNAL) logger.error(`${method} failed`, { reason: (err as Error).message, stack: (err as Error).stack });
          callback(status as grpc.ServiceError, null);
        },
      );
  };

  /** Runs a server-streaming handler with an AbortSignal tied to client cancellation. */
  const stream = <Req, Res>(method: string, call: grpc.ServerWritableStream<Req, Res>, run: (signal: AbortSignal) => Promise<void>): void => {
    const started = performance.now();
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort(new MusicFsError('CANCELLED', 'cancelled by the client')));
    run(abort.signal).then(
      () => {
        observe(method, 'OK', (performance.now() - started) / 1000);
        if (!abort.signal.aborted) call.end();
      },
      (err: unknown) => {
        if (abort.signal.aborted) {
          observe(method, 'CANCELLED', (performance.now() - started) / 1000);
          return;
        }
        const status = redactStatus(toServiceError(err));
        observe(method, grpc.status[status.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN', (performance.now() - started) / 1000);
        // 'error' is how grpc-js ends a server stream with a status; destroy() would
        // drop the stream without sending one, and the client would wait for ever.
        call.emit('error', Object.assign(new Error(status.details), status));
      },
    );
  };

  const mountMessage = (m: MountView) => ({ mounted: m.mounted, mountPoint: m.mountPoint, openFiles: m.openFiles });
  const trackMessages = (views: readonly TrackView[]) => views.map((v) => trackMessage(v.path, v.records, (id) => api.originName(id)));
  const origin = (name: string): string => {
    if (!name) throw new MusicFsError('USAGE', 'an origin name is required');
    return name;
  };
  const originOut = (o: Parameters<typeof originMessage>[0]) => originMessage(o, api.originTrackCount(o));
  const cachePaths = (r: CachePathsRequest__Output): string[] => {
    if (r.paths.length === 0) throw new MusicFsError('USAGE', 'at least one path is required');
    return r.paths;
  };
  /** Prefetch and Pin: the same work, `pin` marking the tracks pinned first. */
  const fill = (method: 'Prefetch' | 'Pin', call: grpc.ServerWritableStream<CachePathsRequest__Output, CacheProgress>): void =>
    stream(method, call, async (signal) => {
      const paths = cachePaths(call.request);
      await api.prefetch(paths, call.request.cwd, method === 'Pin', (p) => call.write(cacheProgressMessage(p)), signal);
    });

  return {
    GetStatus: (_call, cb) =>
      unary('GetStatus', cb, () => {
        const s = api.status();
        return {
          version: s.version,
          pid: s.pid,
          startedAt: { unixMs: s.startedAt },
          uptimeSec: (Date.now() - s.startedAt) / 1000,
          mount: mountMessage(s.mount),
          tracks: s.tracks,
          folders: s.folders,
          libraryBytes: s.libraryBytes,
          origins: s.origins,
          originsEnabled: s.originsEnabled,
          scanning: s.scanning,
          catalogPath: s.catalogPath,
          configPath: s.configPath,
          socketPath: s.socketPath,
          metricsUrl: s.metricsUrl,
        };
      }),

    Shutdown: (_call, cb) =>
      unary('Shutdown', cb, () => {
        // Answer first, then go: the client sees a clean OK.
        setImmediate(() => api.requestShutdown('Shutdown RPC'));
        return {};
      }),

    Mount: (call, cb) => unary('Mount', cb, async () => mountMessage(await api.mount(call.request.mountPoint || undefined, call.request.allowNonEmpty || undefined))),
    Unmount: (_call, cb) => unary('Unmount', cb, async () => mountMessage(await api.unmount())),

    ListOrigins: (_call, cb) => unary('ListOrigins', cb, () => ({ origins: api.listOrigins().map(originOut) })),
    AddOrigin: (call, cb) =>
      unary('AddOrigin', cb, async () => {
        const r = call.request;
        if (!r.location) throw new MusicFsError('USAGE', 'a folder or URL is required');
        return originOut(
          await api.addOrigin(
            { location: r.location, ...(r.name ? { name: r.name } : {}), ...(r.priority !== undefined ? { priority: r.priority } : {}), ...(r.enabled !== undefined ? { enabled: r.enabled } : {}) },
            r.sessionOnly,
            r.skipCheck,
          ),
        );
      }),
    UpdateOrigin: (call, cb) =>
      unary('UpdateOrigin', cb, async () => {
        const r = call.request;
        return originOut(
          await api.updateOrigin(origin(r.name), {
            ...(r.newName !== undefined ? { newName: r.newName } : {}),
            ...(r.priority !== undefined ? { priority: r.priority } : {}),
            ...(r.enabled !== undefined ? { enabled: r.enabled } : {}),
          }),
        );
      }),
    RemoveOrigin: (call, cb) => unary('RemoveOrigin', cb, async () => ({ removed: originMessage(await api.removeOrigin(origin(call.request.name)), 0) })),
    EnableOrigin: (call, cb) => unary('EnableOrigin', cb, async () => originOut(await api.updateOrigin(origin(call.request.name), { enabled: true }))),
    DisableOrigin: (call, cb) => unary('DisableOrigin', cb, async () => originOut(await api.updateOrigin(origin(call.request.name), { enabled: false }))),
    GetOriginHealth: (call, cb) =>
      unary('GetOriginHealth', cb, async () => ({
        origins: (await api.checkOriginHealth(call.request.name || undefined, call.request.checkNow)).map(originHealthMessage),
      })),
    TestOrigin: (call, cb) =>
      unary('TestOrigin', cb, async () => {
        if (!call.request.location) throw new MusicFsError('USAGE', 'a folder, URL or origin name is required');
        const r = await api.testOrigin(call.request.location);
        return { location: r.location, ok: r.ok, summary: r.summary, steps: r.steps.map((s) => ({ step: s.step, ok: s.ok, detail: s.detail, failure: s.failure ?? '', durationMs: s.durationMs })) };
      }),
    RescanOrigin: (call) =>
      stream('RescanOrigin', call, (signal) =>
        api.rescan(
          call.request.name || undefined,
          (p) => call.write(scanProgressMessage(p)),
          (r) => call.write({ origin: r.origin, done: r.scanned, total: r.scanned, report: scanReportMessage(r) }),
          signal,
        ),
      ),

    Search: (call, cb) =>
      unary('Search', cb, async () => {
        const limit = Math.min(call.request.limit || DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT);
        const result = await api.search(call.request.query, limit, call.request.offset);
        return { tracks: trackMessages(result.tracks), total: result.total, tookMs: result.tookMs };
      }),
    SearchStream: (call) =>
      stream('SearchStream', call, async (signal) => {
        const limit = call.request.limit;
        let sent = 0;
        await api.searchAll(
          call.request.query,
          (page) => {
            for (const t of trackMessages(page)) {
              if (limit > 0 && sent >= limit) return;
              call.write(t);
              sent++;
            }
          },
          signal,
        );
      }),

    SubscribeEvents: (call) =>
      stream('SubscribeEvents', call, (signal) => {
        const types = new Set(call.request.types.map((t) => eventTypeFromMessage(String(t))).filter((t) => t !== undefined));
        const origins = new Set(call.request.origins);
        return new Promise<void>((resolve) => {
          const sub = api.onEvent((e) => {
            if (types.size > 0 && !types.has(e.type)) return;
            const o = originOf(e);
            if (origins.size > 0 && (o === undefined || !origins.has(o))) return;
            call.write(eventMessage(e));
          });
          // Ends only when the client goes away (or the daemon stops).
          signal.addEventListener('abort', () => {
            void sub.dispose();
            resolve();
          });
          call.on('close', () => {
            void sub.dispose();
            resolve();
          });
        });
      }),

    GetConfig: (call, cb) =>
      unary('GetConfig', cb, () => ({
        entries: api.configEntries(call.request.keys).map((e) => ({ ...e })),
        path: api.configPath,
      })),
    SetConfig: (call, cb) =>
      unary('SetConfig', cb, async () => {
        if (!call.request.key) throw new MusicFsError('USAGE', 'a key is required');
        const entry = await api.setConfig(call.request.key, call.request.value);
        return { entry: { ...entry }, persisted: true };
      }),

    GetCacheStats: (_call, cb) => unary('GetCacheStats', cb, () => cacheStatsMessage(api.cacheStats())),
    ClearCache: (call, cb) =>
      unary('ClearCache', cb, async () => {
        const freed = await api.clearCache(call.request.includePinned);
        return { tracks: freed.tracks, bytes: freed.bytes };
      }),
    Prefetch: (call) => fill('Prefetch', call),
    Pin: (call) => fill('Pin', call),
    Unpin: (call, cb) => unary('Unpin', cb, async () => ({ tracks: (await api.unpin(cachePaths(call.request), call.request.cwd)).tracks })),
  };
}

/** No secret leaves the daemon in an error: details and metadata are scrubbed. */
function redactStatus<T extends { details?: string; metadata?: grpc.Metadata }>(status: T): T {
  if (status.details !== undefined) status.details = redactSecrets(status.details);
  const metadata = status.metadata;
  if (metadata) {
    for (const [key, value] of Object.entries(metadata.getMap())) if (typeof value === 'string') metadata.set(key, redactSecrets(value));
  }
  return status;
}
