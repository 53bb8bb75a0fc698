import type { ReadTrack } from './tag-reader.js';

/** Messages between the scanner and its tag-reading worker threads. */
export interface TagTaskRequest {
  id: number;
  absPath: string;
}

export type TagTaskResponse =
  | { id: number; ok: true; track: ReadTrack }
  | { id: number; ok: false; reason: string; vanished: boolean };
