import { formatOriginLocation, type S3Location } from '../../../../src-shared/origin-location.js';
import type { Logger } from '../../base/logger.js';
import type { Origin, OriginAccess, OriginFileHandle, OriginStat, WalkOptions, WalkResult } from '../origin.js';
import { OriginError, type OriginErrorContext } from '../origin-error.js';
import { abortErrorOf } from './s3-body-reader.js';
import { classifyS3Error, httpStatusOf, s3EndpointLabel, toS3OriginError, type S3Target } from './s3-errors.js';
import { DEFAULT_STREAM_IDLE_MS, S3ReadHandle } from './s3-read-handle.js';
import type { S3Requests } from './s3-requests.js';
import { walkS3Prefix } from './s3-walker.js';

/**
 * A bucket (or a prefix of one) on AWS S3 or any S3-compatible server
 * (MinIO, Backblaze B2, Wasabi, Garage...). Paths are keys relative to the
 * prefix; folders are what key paths imply. The ETag is each file's version.
 *
 * The SDK is loaded and the client built on first use (s3-requests.ts).
 * Ownership: the origin owns the client and every handle it opened;
 * `dispose()` closes the handles, then the client's sockets.
 */

export interface S3OriginOptions {
  /** Keys per ListObjectsV2 page (S3's maximum is 1,000; tests use small pages). */
  listPageSize?: number;
  /** An open read stream unused this long is closed. */
  streamIdleMs?: number;
}

const DEFAULT_LIST_PAGE_SIZE = 1000;

export class S3Origin implements Origin {
  readonly kind = 's3';
  readonly remote = true;
  readonly root: string;
  private readonly listPageSize: number;
  private readonly streamIdleMs: number;
  /** Key prefix of the root: '' or 'prefix/'. */
  private readonly rootPrefix: string;
  /** The endpoint in words for messages. */
  private readonly endpointLabel: string;
  private requestsLoading: Promise<S3Requests> | undefined;
  private readonly handles = new Set<S3ReadHandle>();
  private bodyBytes = 0;
  private disposed = false;

  constructor(
    readonly id: number,
    readonly name: string,
    private readonly location: S3Location,
    private readonly logger: Logger,
    options: S3OriginOptions = {},
  ) {
    this.root = formatOriginLocation(location);
    this.rootPrefix = location.prefix === '' ? '' : `${location.prefix}/`;
    this.endpointLabel = s3EndpointLabel(location.endpoint, location.region);
    this.listPageSize = options.listPageSize ?? DEFAULT_LIST_PAGE_SIZE;
    this.streamIdleMs = options.streamIdleMs ?? DEFAULT_STREAM_IDLE_MS;
  }

  /** Object body bytes received from S3 so far (metrics, the scan's byte budget). */
  get bytesRead(): number {
    return this.bodyBytes;
  }

  async walk(options: WalkOptions = {}): Promise<WalkResult> {
    const under = options.under ?? '';
    const requests = await this.requests('walk', under, options.signal);
    const context = this.context('walk', under);
    return walkS3Prefix({
      listPage: (prefix, token, signal) => requests.listPage(prefix, token, this.listPageSize, signal),
      rootPrefix: this.rootPrefix,
      under,
      signal: options.signal,
      reasonOf: (err) => {
        const { failure, words } = classifyS3Error(err, this.target());
        if (failure === 'aborted') throw toS3OriginError(err, context, this.target());
        return words;
      },
    });
  }

  async stat(path: string, signal?: AbortSignal): Promise<OriginStat | undefined> {
    const requests = await this.requests('stat', path, signal);
    const key = this.keyOf(path);
    if (path !== '') {
      try {
        const head = await requests.headObject(key, signal);
        return { size: head.size, mtimeMs: head.mtimeMs, isDirectory: false, version: head.etag };
      } catch (err) {
        if (httpStatusOf(err) !== 404) throw toS3OriginError(err, this.context('stat', path), this.target(key));
      }
    }
    // No object by that name: a folder if keys lie below it (the root always is one).
    try {
      const below = await requests.listPage(key === '' ? '' : `${key}/`, undefined, 1, signal);
      return path === '' || below.objects.length > 0 ? { size: 0, mtimeMs: 0, isDirectory: true } : undefined;
    } catch (err) {
      throw toS3OriginError(err, this.context('stat', path), this.target());
    }
  }

  async open(path: string, signal?: AbortSignal, access: OriginAccess = 'sequential'): Promise<OriginFileHandle> {
    const requests = await this.requests('open', path, signal);
    const key = this.keyOf(path);
    const target = this.target(key);
    let head;
    try {
      head = await requests.headObject(key, signal);
    } catch (err) {
      throw toS3OriginError(err, this.context('open', path), target);
    }
    if (this.disposed) throw this.closedError('open', path);
    const etag = head.etag;
    const readContext = this.context('read', path);
    const handle: S3ReadHandle = new S3ReadHandle(
      {
        size: head.size,
        mtimeMs: head.mtimeMs,
        etag,
        openRange: async (start, end, rangeSignal) => {
          try {
            const got = await requests.getRange(key, start, end - 1, etag, rangeSignal);
            // A server that ignores If-Match or Range must not mix versions or offsets.
            if (etag !== undefined && got.etag !== undefined && got.etag !== etag) {
              got.body.destroy();
              throw new OriginError('not_found', `${this.name}: read ${path}: s3://${this.location.bucket}/${key} changed since it was opened`, readContext);
            }
            if ((got.start ?? 0) !== start) {
              got.body.destroy();
              throw new OriginError('protocol', `${this.name}: read ${path}: ${this.endpointLabel} did not honour the byte range asked`, readContext);
            }
            return got.body;
          } catch (err) {
            throw toS3OriginError(err, readContext, target);
          }
        },
        countBytes: (n) => (this.bodyBytes += n),
        toError: (err) => toS3OriginError(err, readContext, target),
        onClose: () => this.handles.delete(handle),
      },
      this.streamIdleMs,
      access,
    );
    this.handles.add(handle);
    return handle;
  }

  async checkHealth(signal?: AbortSignal): Promise<void> {
    const requests = await this.requests('health', '', signal);
    try {
      await requests.headBucket(this.rootPrefix, signal);
    } catch (err) {
      throw toS3OriginError(err, this.context('health', ''), this.target());
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([...this.handles].map((h) => h.close()));
    const loading = this.requestsLoading;
    this.requestsLoading = undefined;
    if (loading !== undefined) (await loading.catch(() => undefined))?.destroy();
  }

  /** The client, loading the SDK on first use. */
  private async requests(operation: string, path: string, signal?: AbortSignal): Promise<S3Requests> {
    if (this.disposed) throw this.closedError(operation, path);
    if (signal?.aborted) throw toS3OriginError(abortErrorOf(signal), this.context(operation, path), this.target());
    this.requestsLoading ??= import('./s3-requests.js').then(({ S3Requests }) => new S3Requests(this.location, this.logger));
    return this.requestsLoading;
  }

  private keyOf(path: string): string {
    if (path === '') return this.location.prefix;
    return this.rootPrefix + path;
  }

  private target(key?: string): S3Target {
    return { endpoint: this.endpointLabel, bucket: this.location.bucket, key, profile: this.location.profile };
  }

  private context(operation: string, path: string): OriginErrorContext {
    return { origin: this.name, operation, path };
  }

  private closedError(operation: string, path: string): OriginError {
    return new OriginError('aborted', `${this.name}: ${operation}: the origin is closed`, this.context(operation, path));
  }
}
