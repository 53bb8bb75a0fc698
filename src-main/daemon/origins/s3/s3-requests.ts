import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { S3Location } from '../../../../src-shared/origin-location.js';
import type { Logger } from '../../base/logger.js';
import { createS3Client } from './s3-client.js';
import { httpStatusOf, s3ErrorCode } from './s3-errors.js';

/**
 * The S3 requests an origin makes, on one client: the only module (with
 * s3-client.ts) that touches the AWS SDK, loaded on first use so a daemon
 * without S3 origins never loads the SDK. Errors are the SDK's: the origin
 * classifies them (s3-errors.ts) with the context it knows.
 *
 * A HEAD answer has no body, so a refused HEAD (403) does not say whether the
 * keys or the permissions are wrong; the same question asked as a GET (a
 * listing for a bucket, one byte for an object) gets an answer that does,
 * and that error is thrown instead.
 */

export interface S3ObjectInfo {
  key: string;
  size: number;
  mtimeMs: number;
  /** ETag without quotes. */
  etag: string | undefined;
}

export interface S3ListPage {
  objects: S3ObjectInfo[];
  /** Token of the next page; undefined on the last one. */
  nextToken: string | undefined;
}

export interface S3RangeBody {
  body: Readable;
  /** ETag of the version served, without quotes. */
  etag: string | undefined;
  /** First byte served, from Content-Range. */
  start: number | undefined;
}

export class S3Requests {
  private readonly client: S3Client;
  readonly bucket: string;

  constructor(location: S3Location, logger: Logger) {
    this.bucket = location.bucket;
    this.client = createS3Client(location, logger);
  }

  /** `prefix` is what the explaining listing (after a refused HEAD) looks at. */
  async headBucket(prefix: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
    } catch (err) {
      throw await explained(err, () => this.listPage(prefix, undefined, 1, signal));
    }
  }

  async headObject(key: string, signal?: AbortSignal): Promise<S3ObjectInfo> {
    let out;
    try {
      out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
    } catch (err) {
      throw await explained(err, async () => (await this.getRange(key, 0, 0, undefined, signal)).body.destroy());
    }
    return { key, size: out.ContentLength ?? 0, mtimeMs: wholeSeconds(out.LastModified), etag: unquote(out.ETag) };
  }

  async listPage(prefix: string, token: string | undefined, maxKeys: number, signal?: AbortSignal): Promise<S3ListPage> {
    const out = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix === '' ? undefined : prefix, ContinuationToken: token, MaxKeys: maxKeys }),
      { abortSignal: signal },
    );
    const objects: S3ObjectInfo[] = [];
    for (const o of out.Contents ?? []) {
      if (o.Key === undefined) continue;
      objects.push({ key: o.Key, size: o.Size ?? 0, mtimeMs: wholeSeconds(o.LastModified), etag: unquote(o.ETag) });
    }
    return { objects, nextToken: out.IsTruncated === true ? out.NextContinuationToken : undefined };
  }

  /**
   * Streams bytes [start, endInclusive] of one version of an object. `etag`
   * makes S3 refuse (412) if the object was replaced meanwhile; servers that
   * ignore If-Match are caught by the caller comparing the ETag served.
   */
  async getRange(key: string, start: number, endInclusive: number, etag: string | undefined, signal?: AbortSignal): Promise<S3RangeBody> {
    const out = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${endInclusive}`, IfMatch: etag !== undefined ? `"${etag}"` : undefined }),
      { abortSignal: signal },
    );
    if (out.Body === undefined) throw new Error(`no body in the answer for ${key}`);
    const served = /^bytes (\d+)-/.exec(out.ContentRange ?? '');
    return { body: out.Body as Readable, etag: unquote(out.ETag), start: served ? Number(served[1]) : undefined };
  }

  /** Closes every socket of the client. */
  destroy(): void {
    this.client.destroy();
  }
}

/** For a HEAD refused without a reason: the error of the same request as a GET, if that one says why. */
async function explained(err: unknown, askAgain: () => Promise<unknown>): Promise<unknown> {
  const status = httpStatusOf(err);
  if (s3ErrorCode(err) !== undefined || status === undefined || status === 404 || status >= 500) return err;
  try {
    await askAgain();
    return err;
  } catch (again) {
    return s3ErrorCode(again) !== undefined ? again : err;
  }
}

/**
 * Listings may give milliseconds (MinIO does) where HEAD's Last-Modified
 * header has whole seconds: both are cut to seconds so a file's mtime does
 * not seem to change between a walk and a stat.
 */
function wholeSeconds(date: Date | undefined): number {
  return date === undefined ? 0 : Math.floor(date.getTime() / 1000) * 1000;
}

function unquote(etag: string | undefined): string | undefined {
  return etag?.replace(/^(W\/)?"|"$/g, '');
}
