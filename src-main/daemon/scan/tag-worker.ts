import { parentPort } from 'node:worker_threads';
import { readLocalTrack, TrackReadError } from './tag-reader.js';

/**
 * Worker thread entry: reads tags and fingerprints of local files, several at
 * a time so file I/O overlaps with parsing. Messages: see worker-protocol.ts.
 */
import type { TagTaskRequest, TagTaskResponse } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('tag-worker must run in a worker thread');

port.on('message', (request: TagTaskRequest) => {
  readLocalTrack(request.absPath).then(
    (track) => port.postMessage({ id: request.id, ok: true, track } satisfies TagTaskResponse),
    (err: unknown) => {
      const reason =
        err instanceof TrackReadError
          ? err.message
          : (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'file vanished during the scan'
            : (err as NodeJS.ErrnoException).code === 'EACCES'
              ? 'permission denied'
              : `cannot read: ${(err as Error).message ?? String(err)}`;
      port.postMessage({ id: request.id, ok: false, reason, vanished: (err as NodeJS.ErrnoException).code === 'ENOENT' } satisfies TagTaskResponse);
    },
  );
});
