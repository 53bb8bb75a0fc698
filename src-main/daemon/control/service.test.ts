import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { MusicFsError } from '../../../src-shared/errors.js';
import { createClient } from '../../common/api/client.js';
import type { CacheProgress__Output } from '../../common/api/gen/musicfs/v1/CacheProgress.js';
import type { CacheStats__Output } from '../../common/api/gen/musicfs/v1/CacheStats.js';
import type { ClearCacheResponse__Output } from '../../common/api/gen/musicfs/v1/ClearCacheResponse.js';
import type { UnpinResponse__Output } from '../../common/api/gen/musicfs/v1/UnpinResponse.js';
import { loadApi, type MusicFSClient } from '../../common/api/proto.js';
import { silentLogger } from '../base/logger.js';
import type { CacheProgressView, CacheStatsView } from './cache-api.js';
import type { DaemonApi } from './daemon-api.js';
import { createHandlers } from './service.js';

/**
 * The cache RPCs of the gRPC service over a real socket, against a stub of
 * the DaemonApi: mapping, validation, errors on streams, cancellation.
 */

const STATS: CacheStatsView = {
  dir: '/c',
  sizeBytes: 10,
  limitBytes: 100,
  chunks: 2,
  tracks: 3,
  tracksComplete: 1,
  pinnedTracks: 1,
  memoryBytes: 4,
  memoryLimitBytes: 8,
  hits: 9,
  misses: 1,
  hitRatio: 0.9,
  evictions: 5,
  evictedBytes: 50,
  corruptChunks: 0,
  passthrough: true,
  passthroughReason: 'disk full',
};

const step = (path: string, filesDone: number, extra: Partial<CacheProgressView> = {}): CacheProgressView => ({
  path,
  filesDone,
  filesTotal: 2,
  filesFailed: 0,
  bytesDone: filesDone * 100,
  bytesTotal: 200,
  error: '',
  finished: false,
  ...extra,
});

interface Recorded {
  prefetch: { paths: readonly string[]; cwd: string; pin: boolean }[];
  unpin: { paths: readonly string[]; cwd: string }[];
  cleared: boolean[];
  aborted: boolean;
}

function stubApi(rec: Recorded): DaemonApi {
  const cache: Pick<DaemonApi, 'cacheStats' | 'clearCache' | 'prefetch' | 'unpin'> = {
    cacheStats: () => STATS,
    clearCache: async (includePinned) => {
      rec.cleared.push(includePinned);
      return { tracks: 3, bytes: 10 };
    },
    prefetch: (paths, cwd, pin, onProgress, signal) => {
      rec.prefetch.push({ paths, cwd, pin });
      if (paths[0] === 'missing') return Promise.reject(new MusicFsError('LIBRARY_PATH_NOT_FOUND', 'no file or folder "missing" in the library', { path: 'missing' }));
      if (paths[0] === 'forever') {
        onProgress(step('forever/1.flac', 0));
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            rec.aborted = true;
            reject(signal.reason);
          }),
        );
      }
      onProgress(step('A/1.flac', 1));
      onProgress(step('A/2.flac', 2, { filesFailed: 1, bytesDone: 100, error: 'origin down' }));
      onProgress(step('', 2, { filesFailed: 1, bytesDone: 100, finished: true }));
      return Promise.resolve();
    },
    unpin: async (paths, cwd) => {
      rec.unpin.push({ paths, cwd });
      return { tracks: paths.length };
    },
  };
  return cache as DaemonApi;
}

describe('gRPC service: cache', () => {
  let dir: string;
  let server: grpc.Server;
  let client: MusicFSClient;
  const rec: Recorded = { prefetch: [], unpin: [], cleared: [], aborted: false };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'musicfs-service-'));
    const socket = join(dir, 'control.sock');
    server = new grpc.Server();
    server.addService(loadApi().musicfs.v1.MusicFS.service, createHandlers(stubApi(rec), silentLogger) as unknown as grpc.UntypedServiceImplementation);
    await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    client = createClient(socket);
  });

  after(async () => {
    client.close();
    server.forceShutdown();
    await rm(dir, { recursive: true, force: true });
  });

  const unary = <R>(fn: (cb: (err: grpc.ServiceError | null, value?: R) => void) => void): Promise<R> =>
    new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as R))));

  /** Every message of a stream, or the error that ended it. */
  const collect = (call: grpc.ClientReadableStream<CacheProgress__Output>): Promise<{ messages: CacheProgress__Output[]; error?: grpc.ServiceError }> =>
    new Promise((resolve) => {
      const messages: CacheProgress__Output[] = [];
      call.on('data', (m: CacheProgress__Output) => messages.push(m));
      call.on('end', () => resolve({ messages }));
      call.on('error', (error: grpc.ServiceError) => resolve({ messages, error }));
    });

  it('GetCacheStats maps every field', async () => {
    const s = await unary<CacheStats__Output>((cb) => client.GetCacheStats({}, cb));
    assert.deepEqual({ ...s }, { ...STATS });
  });

  it('ClearCache passes include_pinned and answers what was freed', async () => {
    assert.deepEqual({ ...(await unary<ClearCacheResponse__Output>((cb) => client.ClearCache({ includePinned: true }, cb))) }, { tracks: 3, bytes: 10 });
    await unary((cb) => client.ClearCache({}, cb));
    assert.deepEqual(rec.cleared, [true, false]);
  });

  it('Prefetch and Pin stream the progress; Pin pins', async () => {
    const prefetch = await collect(client.Prefetch({ paths: ['A'], cwd: '/mnt/music' }));
    assert.equal(prefetch.error, undefined);
    assert.deepEqual(
      prefetch.messages.map((m) => [m.path, m.filesDone, m.filesFailed, m.bytesDone, m.error, m.finished]),
      [
        ['A/1.flac', 1, 0, 100, '', false],
        ['A/2.flac', 2, 1, 100, 'origin down', false],
        ['', 2, 1, 100, '', true],
      ],
    );
    const pin = await collect(client.Pin({ paths: ['A', 'B'], cwd: '/home/u' }));
    assert.equal(pin.messages.length, 3);
    assert.deepEqual(rec.prefetch.slice(-2), [
      { paths: ['A'], cwd: '/mnt/music', pin: false },
      { paths: ['A', 'B'], cwd: '/home/u', pin: true },
    ]);
  });

  it('a failed stream ends with its status and reason (it does not leave the client waiting)', async () => {
    const { error } = await collect(client.Prefetch({ paths: ['missing'], cwd: '/' }));
    assert.equal(error?.code, grpc.status.NOT_FOUND);
    assert.equal(error?.metadata.get('musicfs-reason')[0], 'LIBRARY_PATH_NOT_FOUND');
    assert.equal(error?.metadata.get('musicfs-path')[0], 'missing');
    const empty = await collect(client.Pin({ paths: [], cwd: '/' }));
    assert.equal(empty.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(empty.error?.metadata.get('musicfs-reason')[0], 'USAGE');
  });

  it('cancelling the call aborts the prefetch', async () => {
    const call = client.Prefetch({ paths: ['forever'], cwd: '/' });
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.on('error', () => undefined);
    call.cancel();
    for (let i = 0; i < 100 && !rec.aborted; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(rec.aborted, true);
  });

  it('Unpin passes the paths and the working directory; it needs a path', async () => {
    assert.deepEqual({ ...(await unary<UnpinResponse__Output>((cb) => client.Unpin({ paths: ['A', 'B'], cwd: '/mnt/music' }, cb))) }, { tracks: 2 });
    assert.deepEqual(rec.unpin, [{ paths: ['A', 'B'], cwd: '/mnt/music' }]);
    await assert.rejects(
      unary((cb) => client.Unpin({ paths: [], cwd: '/' }, cb)),
      (err: grpc.ServiceError) => err.code === grpc.status.INVALID_ARGUMENT,
    );
  });
});
