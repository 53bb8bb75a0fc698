import type { ReadTrack } from './tag-reader.js';

/**
 * Messages between the scanner and its tag-reading worker threads. Files go
 * in batches and results come back in chunks: one message per file costs
 * more than a small file's parse, and chunks keep results flowing while the
 * main thread is busy.
 *
 * A remote file (S3, SFTP) is parsed in the worker like a local one, but its
 * bytes come from the main thread, which owns the origin's connections: the
 * worker asks for ranges (`RangeRequest`) and gets them back (`RangeReply`).
 * Parsing stays off the FUSE thread; only the network I/O runs there, and
 * that is asynchronous.
 */
export type TagTaskRequest =
  | { id: number; absPath: string }
  | { id: number; remote: { name: string; size: number; mtimeMs: number } };

export type TagTaskResponse =
  | { id: number; ok: true; track: ReadTrack }
  | { id: number; ok: false; reason: string; vanished: boolean };

export interface TagBatchRequest {
  kind: 'batch';
  tasks: TagTaskRequest[];
}

/** The bytes asked for by a RangeRequest (shorter only at end of file), or why they could not be read. */
export interface RangeReply {
  kind: 'range-reply';
  requestId: number;
  data?: Uint8Array;
  error?: string;
  vanished?: boolean;
}

export type ToWorker = TagBatchRequest | RangeReply;

/** Results stream back in chunks; `done` marks the batch's last chunk. */
export interface TagBatchResponse {
  kind: 'results';
  results: TagTaskResponse[];
  done: boolean;
}

export interface RangeRequest {
  kind: 'range';
  taskId: number;
  requestId: number;
  position: number;
  length: number;
}

export type FromWorker = TagBatchResponse | RangeRequest;
