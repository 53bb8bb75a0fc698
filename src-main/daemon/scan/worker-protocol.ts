import type { ReadTrack } from './tag-reader.js';

/**
 * Messages between the scanner and its tag-reading worker threads. Files go
 * in batches and results come back in chunks: one message per file costs
 * more than a small file's parse, and chunks keep results flowing while the
 * main thread is busy.
 */
export interface TagTaskRequest {
  id: number;
  absPath: string;
}

export type TagTaskResponse =
  | { id: number; ok: true; track: ReadTrack }
  | { id: number; ok: false; reason: string; vanished: boolean };

export interface TagBatchRequest {
  tasks: TagTaskRequest[];
}

/** Results stream back in chunks; `done` marks the batch's last chunk. */
export interface TagBatchResponse {
  results: TagTaskResponse[];
  done: boolean;
}
