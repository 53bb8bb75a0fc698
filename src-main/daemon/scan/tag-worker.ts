import { parentPort } from 'node:worker_threads';
import { describeFsError } from '../base/fs-errors.js';
import { readLocalTrack, readTrackFrom, TrackReadError, type ReadTrack } from './tag-reader.js';
import type { ByteRangeReader } from './segment-cache.js';
import type { FromWorker, RangeReply, TagTaskRequest, TagTaskResponse, ToWorker } from './worker-protocol.js';

/**
 * Worker thread entry: reads tags and fingerprints, a batch at a time,
 * streaming the results back in chunks. Local files are read here with
 * synchronous calls, one at a time; remote files' bytes are asked of the
 * main thread, several files at once so network round trips overlap.
 */

const port = parentPort;
if (!port) throw new Error('tag-worker must run in a worker thread');
const send = (message: FromWorker): void => port.postMessage(message);

/** Remote files parsed at once per worker: each waits on round trips most of the time. */
const REMOTE_CONCURRENCY = 16;

class RemoteFileGone extends Error {}

let nextRequestId = 1;
const pendingRanges = new Map<number, { resolve: (data: Uint8Array) => void; reject: (err: Error) => void }>();

function remoteReader(taskId: number, size: number): ByteRangeReader {
  return {
    size,
    read: (target, offset, length, position) =>
      new Promise<number>((resolve, reject) => {
        const requestId = nextRequestId++;
        pendingRanges.set(requestId, {
          resolve: (data) => {
            target.set(data, offset);
            resolve(data.length);
          },
          reject,
        });
        send({ kind: 'range', taskId, requestId, position, length });
      }),
  };
}

async function readOne(request: TagTaskRequest): Promise<TagTaskResponse> {
  try {
    let track: ReadTrack;
    if ('absPath' in request) {
      track = await readLocalTrack(request.absPath);
    } else {
      const { name, size, mtimeMs } = request.remote;
      track = { size, mtimeMs, ...(await readTrackFrom(remoteReader(request.id, size), name)) };
    }
    return { id: request.id, ok: true, track };
  } catch (err) {
    const vanished = err instanceof RemoteFileGone || (err as NodeJS.ErrnoException).code === 'ENOENT';
    const reason =
      err instanceof TrackReadError ? err.message : vanished ? 'file vanished during the scan' : err instanceof RemoteReadError ? err.message : `cannot read: ${describeFsError(err)}`;
    return { id: request.id, ok: false, reason, vanished };
  }
}

class RemoteReadError extends Error {}

/** Results are sent every this many files or milliseconds, whichever comes first. */
const CHUNK_FILES = 16;
const CHUNK_MS = 20;

async function runBatch(tasks: TagTaskRequest[]): Promise<void> {
  let results: TagTaskResponse[] = [];
  let since = performance.now();
  let finished = 0;
  const flush = (): void => {
    const last = finished === tasks.length;
    if (last || results.length >= CHUNK_FILES || performance.now() - since >= CHUNK_MS) {
      send({ kind: 'results', results, done: last });
      results = [];
      since = performance.now();
    }
  };
  const complete = (result: TagTaskResponse): void => {
    finished++;
    results.push(result);
    flush();
  };
  const local = tasks.filter((t) => 'absPath' in t);
  const remote = tasks.filter((t) => !('absPath' in t));
  let next = 0;
  const remoteLane = async (): Promise<void> => {
    while (next < remote.length) complete(await readOne(remote[next++]!));
  };
  const lanes = Array.from({ length: Math.min(REMOTE_CONCURRENCY, remote.length) }, remoteLane);
  for (const task of local) complete(await readOne(task));
  await Promise.all(lanes);
}

port.on('message', (message: ToWorker) => {
  if (message.kind === 'range-reply') {
    onRangeReply(message);
    return;
  }
  void runBatch(message.tasks);
});

function onRangeReply(reply: RangeReply): void {
  const pending = pendingRanges.get(reply.requestId);
  if (!pending) return;
  pendingRanges.delete(reply.requestId);
  if (reply.data) pending.resolve(reply.data);
  else pending.reject(reply.vanished ? new RemoteFileGone(reply.error) : new RemoteReadError(reply.error ?? 'cannot read'));
}
