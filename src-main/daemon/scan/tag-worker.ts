import { parentPort } from 'node:worker_threads';
import { describeFsError } from '../base/fs-errors.js';
import { readLocalTrack, TrackReadError } from './tag-reader.js';
import type { TagBatchRequest, TagBatchResponse, TagTaskRequest, TagTaskResponse } from './worker-protocol.js';

/**
 * Worker thread entry: reads tags and fingerprints of local files, a batch at
 * a time, streaming the results back in chunks.
 */

const port = parentPort;
if (!port) throw new Error('tag-worker must run in a worker thread');

async function readOne(request: TagTaskRequest): Promise<TagTaskResponse> {
  try {
    return { id: request.id, ok: true, track: await readLocalTrack(request.absPath) };
  } catch (err) {
    const vanished = (err as NodeJS.ErrnoException).code === 'ENOENT';
    const reason = err instanceof TrackReadError ? err.message : vanished ? 'file vanished during the scan' : `cannot read: ${describeFsError(err)}`;
    return { id: request.id, ok: false, reason, vanished };
  }
}

/** Results are sent every this many files or milliseconds, whichever comes first. */
const CHUNK_FILES = 16;
const CHUNK_MS = 20;

port.on('message', async (batch: TagBatchRequest) => {
  let results: TagTaskResponse[] = [];
  let since = performance.now();
  for (let i = 0; i < batch.tasks.length; i++) {
    results.push(await readOne(batch.tasks[i]!));
    const last = i === batch.tasks.length - 1;
    if (last || results.length >= CHUNK_FILES || performance.now() - since >= CHUNK_MS) {
      port.postMessage({ results, done: last } satisfies TagBatchResponse);
      results = [];
      since = performance.now();
    }
  }
});
