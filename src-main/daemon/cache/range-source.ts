/**
 * What the cache needs of whoever knows where a track's bytes live (the
 * reader and its replicas): read a range, and let go. Declared here by the
 * consumer so the cache imports nothing of origins or the VFS.
 */
export interface RangeSource {
  /** Up to `length` bytes at `position` into `buffer` at `offset`; shorter only at end of file. Rejects when no origin can serve. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/** Opens a fresh source for one track version (each fetch owns its own). */
export type RangeSourceFactory = () => RangeSource;
