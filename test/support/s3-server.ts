/**
 * A real S3 server for tests: s3rver on 127.0.0.1 (a free port), its buckets
 * in a temp folder, silent. `stop()` closes every connection, frees the port
 * and removes the folder; call it from an `after()` hook.
 *
 * s3rver checks that the access key id exists (S3RVER) but not SigV4
 * signatures, so a wrong secret key would pass. A middleware put in front of
 * s3rver's own verifies every header-signed request and answers 403
 * SignatureDoesNotMatch as S3 does, so "bad credentials" tests are real.
 *
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3
 * (Node >= 17) no longer offers: every truncated listing would fail with a
 * 500. See `allowS3rverContinuationTokens`.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const REGION = 'us-east-1';

export interface S3ServerOptions {
  /** Buckets created before the server answers. */
  buckets?: string[];
  /** Check SigV4 signatures (default true). */
  verifySignatures?: boolean;
}

export interface ReceivedRequest {
  method: string;
  /** Path and query as sent: '/music/lib/a.flac', '/music?list-type=2&prefix=lib%2F'. */
  url: string;
}

export interface S3TestServer {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly port: number;
  /** A client for setting up buckets and objects (path-style, right credentials). */
  readonly client: S3Client;
  readonly credentials: typeof S3RVER_CREDENTIALS;
  /** Every request received, oldest first (tests may empty it). */
  readonly requests: ReceivedRequest[];
  /** What a daemon under test needs in its environment to reach this server. */
  readonly env: Record<string, string>;
  /** An origin URL for a bucket (and prefix) of this server. */
  locationUrl(bucket: string, prefix?: string): string;
  createBucket(name: string): Promise<void>;
  putObject(bucket: string, key: string, body: Buffer | string): Promise<void>;
  deleteObject(bucket: string, key: string): Promise<void>;
  /** Uploads every file below `localDir` as `prefix/relative/path`; returns the keys. */
  uploadFolder(localDir: string, bucket: string, prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startS3Server(options: S3ServerOptions = {}): Promise<S3TestServer> {
  allowS3rverContinuationTokens();
  const directory = await mkdtemp(join(tmpdir(), 'musicfs-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  const requests: ReceivedRequest[] = [];
  if (options.verifySignatures !== false) server.middleware.unshift(verifySignatureMiddleware);
  server.middleware.unshift(async (ctx, next) => {
    requests.push({ method: ctx.method, url: ctx.url });
    await next();
  });
  let port: number;
  try {
    port = (await server.run()).port;
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    // s3rver stores what it is sent: no aws-chunked bodies with checksum trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const putObject = async (bucket: string, key: string, body: Buffer | string): Promise<void> => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: typeof body === 'string' ? Buffer.from(body) : body }));
  };
  let stopped = false;

  return {
    endpoint,
    port,
    client,
    credentials: S3RVER_CREDENTIALS,
    requests,
    env: {
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    locationUrl: (bucket, prefix = '') => `s3://${bucket}/${prefix}?endpoint=${endpoint}&path_style=1`,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    putObject,
    deleteObject: async (bucket, key) => {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    uploadFolder: async (localDir, bucket, prefix = '') => {
      const keys: string[] = [];
      for (const rel of await filesBelow(localDir)) {
        const key = prefix === '' ? rel : `${prefix.replace(/\/+$/, '')}/${rel}`;
        await putObject(bucket, key, await readFile(join(localDir, rel)));
        keys.push(key);
      }
      return keys;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      client.destroy();
      const closing = server.close();
      // Keep-alive sockets of clients under test would hold close() open.
      server.httpServer?.closeAllConnections();
      await closing;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/**
 * In this (test) process, the 'des' cipher s3rver makes its continuation
 * tokens with becomes a plain reversible encoding: tokens are opaque to
 * clients, and Node would otherwise throw for 'des'. Every other algorithm is
 * untouched. Patches the CommonJS crypto module s3rver requires.
 */
function allowS3rverContinuationTokens(): void {
  const crypto = createRequire(import.meta.url)('node:crypto') as Record<string, unknown> & { [PATCHED]?: true };
  if (crypto[PATCHED]) return;
  crypto[PATCHED] = true;
  const plain = { update: (data: string | Buffer, encoding?: BufferEncoding) => (typeof data === 'string' ? Buffer.from(data, encoding) : data), final: () => Buffer.alloc(0) };
  for (const name of ['createCipheriv', 'createDecipheriv']) {
    const original = crypto[name] as (algorithm: string, ...rest: unknown[]) => unknown;
    crypto[name] = (algorithm: string, ...rest: unknown[]) => (algorithm === 'des' ? plain : original(algorithm, ...rest));
  }
}

const PATCHED = Symbol.for('musicfs.test.s3rverDes');

// --- SigV4 verification (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)

const SECRETS = new Map<string, string>([[S3RVER_CREDENTIALS.accessKeyId, S3RVER_CREDENTIALS.secretAccessKey]]);

type Middleware = S3rver['middleware'][number];
type Context = Parameters<Middleware>[0];

const verifySignatureMiddleware: Middleware = async (ctx, next) => {
  const auth = header(ctx, 'authorization');
  const parsed = auth !== undefined ? parseAuthorization(auth) : undefined;
  // Unsigned, presigned or unknown keys: s3rver's own checks answer those.
  const secret = parsed !== undefined ? SECRETS.get(parsed.accessKeyId) : undefined;
  if (parsed === undefined || secret === undefined || expectedSignature(ctx, parsed, secret) === parsed.signature) {
    await next();
    return;
  }
  ctx.status = 403;
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
    '<Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message>' +
    `<AWSAccessKeyId>${parsed.accessKeyId}</AWSAccessKeyId></Error>`;
};

interface SigV4Authorization {
  accessKeyId: string;
  /** date/region/service/aws4_request */
  scope: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(value: string): SigV4Authorization | undefined {
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(value.trim());
  if (!m) return undefined;
  return { accessKeyId: m[1]!, scope: m[2]!, signedHeaders: m[3]!.split(';'), signature: m[4]! };
}

function expectedSignature(ctx: Context, auth: SigV4Authorization, secret: string): string {
  const [path = '/', query = ''] = ctx.url.split('?', 2);
  const canonicalRequest = [
    ctx.method,
    path,
    canonicalQuery(query),
    auth.signedHeaders.map((h) => `${h}:${(header(ctx, h) ?? '').trim().replace(/\s+/g, ' ')}\n`).join(''),
    auth.signedHeaders.join(';'),
    header(ctx, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
  const amzDate = header(ctx, 'x-amz-date') ?? '';
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, auth.scope, sha256Hex(canonicalRequest)].join('\n');
  const [date = '', region = '', service = ''] = auth.scope.split('/');
  let key: Buffer = hmac(`AWS4${secret}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const k = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      const v = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
      return [uriEncode(k), uriEncode(v)] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function header(ctx: Context, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}
