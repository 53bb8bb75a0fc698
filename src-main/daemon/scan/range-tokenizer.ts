import { AbstractTokenizer, EndOfStreamError, type IRandomAccessFileInfo, type IReadChunkOptions } from 'strtok3';
import type { SegmentCache } from './segment-cache.js';

/**
 * A strtok3 tokenizer (what music-metadata parses from) over a SegmentCache:
 * random access, every read served from cached segments.
 */
export class RangeTokenizer extends AbstractTokenizer {
  fileInfo: IRandomAccessFileInfo;

  constructor(
    private readonly cache: SegmentCache,
    fileInfo: { path?: string; mimeType?: string } = {},
  ) {
    super();
    this.fileInfo = { ...fileInfo, size: cache.size };
  }

  supportsRandomAccess(): boolean {
    return true;
  }

  setPosition(position: number): void {
    this.position = position;
  }

  async readBuffer(buffer: Uint8Array, options?: IReadChunkOptions): Promise<number> {
    const o = this.normalizeOptions(buffer, options);
    this.position = o.position;
    const n = await this.cache.read(buffer, 0, o.length, o.position);
    this.position += n;
    if (!o.mayBeLess && n < o.length) throw new EndOfStreamError();
    return n;
  }

  async peekBuffer(buffer: Uint8Array, options?: IReadChunkOptions): Promise<number> {
    const o = this.normalizeOptions(buffer, options);
    const n = await this.cache.read(buffer, 0, o.length, o.position);
    if (!o.mayBeLess && n < o.length) throw new EndOfStreamError();
    return n;
  }
}
