import { redactSecrets } from '../../base/secrets.js';
import { failureOfErrno, OriginError, type OriginErrorContext, type OriginFailure } from '../origin-error.js';

/**
 * S3 and network errors → OriginError categories, with words naming the
 * endpoint, bucket and key (never a secret).
 *
 * Where the SDK puts things: an S3 answer with an XML body carries its code in
 * `name`/`Code` and its HTTP status in `$metadata.httpStatusCode`; a HEAD
 * answer has no body, so only the status is known (name 'NotFound' or
 * 'Unknown'); socket errors keep Node's `code` (sometimes on `cause`, or on
 * each error of an AggregateError when several addresses were tried);
 * credential lookups fail with a CredentialsProviderError; aborts are named
 * AbortError and the SDK's own timeouts TimeoutError.
 */

/** What a request was about, for the words of its error. */
export interface S3Target {
  /** The endpoint as users know it: 'http://127.0.0.1:9000', 'AWS S3 (eu-west-1)'. */
  endpoint: string;
  bucket: string;
  /** The object key, when the request was about one object. */
  key?: string;
  /** The profile of the shared AWS files the credentials should come from. */
  profile?: string;
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  hostname?: string;
  AWSAccessKeyId?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
  errors?: unknown[];
}

const AUTH_CODES: ReadonlySet<string> = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
  'InvalidToken',
  'InvalidClientTokenId',
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
]);

const PERMISSION_CODES: ReadonlySet<string> = new Set(['AccessDenied', 'AllAccessDisabled', 'AccountProblem']);

const TLS_CODES: ReadonlySet<string> = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Names the SDK gives errors without an S3 code of their own. */
const GENERIC_NAMES: ReadonlySet<string> = new Set(['Error', 'Unknown', 'UnknownError', 'NotFound', 'TypeError', 'SyntaxError']);

/** The endpoint in words: its URL, or AWS S3 and the region. */
export function s3EndpointLabel(endpoint: string | undefined, region: string | undefined): string {
  return endpoint ?? (region !== undefined ? `AWS S3 (${region})` : 'AWS S3');
}

/** The S3 error code of an answer with a body ('NoSuchBucket'...), or undefined. */
export function s3ErrorCode(err: unknown): string | undefined {
  const e = err as SdkErrorShape | undefined;
  if (typeof e?.Code === 'string') return e.Code;
  if (typeof e?.name === 'string' && !GENERIC_NAMES.has(e.name) && e.$metadata?.httpStatusCode !== undefined) return e.name;
  return undefined;
}

export function httpStatusOf(err: unknown): number | undefined {
  return (err as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

/** A Node socket/DNS/TLS error code anywhere in the chain (err, its cause, an AggregateError's errors). */
export function networkCodeOf(err: unknown, depth = 0): string | undefined {
  const e = err as SdkErrorShape | undefined;
  if (e === undefined || e === null || typeof e !== 'object' || depth > 4) return undefined;
  if (typeof e.code === 'string') return e.code;
  for (const inner of e.errors ?? []) {
    const code = networkCodeOf(inner, depth + 1);
    if (code !== undefined) return code;
  }
  return networkCodeOf(e.cause, depth + 1);
}

export function isAbortError(err: unknown): boolean {
  const e = err as SdkErrorShape | undefined;
  return e?.name === 'AbortError' || e?.code === 'ABORT_ERR';
}

/** The category and the words of a failed S3 request. */
export function classifyS3Error(err: unknown, target: S3Target): { failure: OriginFailure; words: string } {
  const e = (err ?? {}) as SdkErrorShape;
  const { endpoint, bucket, key } = target;
  const what = key !== undefined ? `s3://${bucket}/${key}` : `bucket "${bucket}"`;
  if (isAbortError(err)) return { failure: 'aborted', words: 'stopped' };

  const code = s3ErrorCode(err) ?? (e.name === 'CredentialsProviderError' ? e.name : undefined);
  const status = httpStatusOf(err);
  if (code !== undefined && AUTH_CODES.has(code)) return { failure: 'auth', words: authWords(code, e, target) };
  if (code !== undefined && PERMISSION_CODES.has(code)) return { failure: 'permission', words: `access denied to ${what} at ${endpoint} (${code})` };
  if (code === 'NoSuchBucket') return { failure: 'bucket_missing', words: `bucket "${bucket}" does not exist at ${endpoint}` };
  if (code === 'NoSuchKey') return { failure: 'not_found', words: `${what} does not exist` };
  if (code === 'PreconditionFailed' || status === 412) return { failure: 'not_found', words: `${what} changed since it was opened` };
  if (code === 'PermanentRedirect' || status === 301) {
    return { failure: 'protocol', words: `bucket "${bucket}" is in another region than the one asked (set ?region= in the origin URL)` };
  }
  if (status === 404) {
    return key !== undefined ? { failure: 'not_found', words: `${what} does not exist` } : { failure: 'bucket_missing', words: `bucket "${bucket}" does not exist at ${endpoint}` };
  }
  if (status === 403) {
    return { failure: 'permission', words: `access denied to ${what} at ${endpoint} (HTTP 403: no permission, or credentials not accepted)` };
  }

  const netCode = networkCodeOf(err);
  if (netCode !== undefined && TLS_CODES.has(netCode)) return { failure: 'protocol', words: `the TLS certificate of ${endpoint} is not trusted (${netCode})` };
  const netFailure = failureOfErrno(netCode) ?? (e.name === 'TimeoutError' ? 'timeout' : undefined);
  switch (netFailure) {
    case 'dns':
      return { failure: 'dns', words: `the host name ${e.hostname ?? hostOf(endpoint)} of ${endpoint} does not resolve (${netCode})` };
    case 'refused':
      return { failure: 'refused', words: `nothing listens at ${endpoint} (connection refused)` };
    case 'reset':
      return { failure: 'reset', words: `the connection to ${endpoint} dropped (${netCode})` };
    case 'timeout':
      return { failure: 'timeout', words: `no answer from ${endpoint} in time` };
    case 'unreachable':
      return { failure: 'unreachable', words: `${endpoint} is unreachable (${netCode})` };
    case 'aborted':
      return { failure: 'aborted', words: 'stopped' };
  }

  if (status !== undefined && status >= 500) return { failure: 'io', words: `${endpoint} answered HTTP ${status}${detail(code, e)} for ${what}` };
  if (status !== undefined) return { failure: 'protocol', words: `${endpoint} answered HTTP ${status}${detail(code, e)} for ${what}` };
  return { failure: 'io', words: `${what} at ${endpoint}: ${e.message ?? String(err)}` };
}

/** An OriginError for a failed S3 request: "<origin>: <operation> <path>: <words>". */
export function toS3OriginError(err: unknown, context: OriginErrorContext, target: S3Target): OriginError {
  if (err instanceof OriginError) return err;
  const { failure, words } = classifyS3Error(err, target);
  const where = context.path !== undefined && context.path !== '' ? ` ${context.path}` : '';
  return new OriginError(failure, redactSecrets(`${context.origin}: ${context.operation}${where}: ${words}`), context, { cause: err });
}

function authWords(code: string, e: SdkErrorShape, { endpoint, profile }: S3Target): string {
  switch (code) {
    case 'CredentialsProviderError':
      return profile !== undefined
        ? `no usable AWS credentials for profile "${profile}" (${e.message ?? 'none found'}); check that profile in ~/.aws/credentials and ~/.aws/config`
        : `no usable AWS credentials (${e.message ?? 'none found'}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give a profile of ~/.aws/credentials`;
    case 'InvalidAccessKeyId':
      return `${endpoint} does not know the access key id${e.AWSAccessKeyId !== undefined ? ` ${e.AWSAccessKeyId}` : ''} (InvalidAccessKeyId)`;
    case 'SignatureDoesNotMatch':
      return `${endpoint} rejected the request signature: the secret access key is wrong (SignatureDoesNotMatch)`;
    case 'ExpiredToken':
    case 'ExpiredTokenException':
    case 'TokenRefreshRequired':
      return `the session token has expired (${code}); refresh the credentials`;
    case 'RequestTimeTooSkewed':
      return `this machine's clock is too far from ${endpoint}'s (RequestTimeTooSkewed)`;
    case 'AuthorizationHeaderMalformed':
      return `${endpoint} rejected the request's authorization (AuthorizationHeaderMalformed: ${e.message ?? 'wrong region?'})`;
    default:
      return `${endpoint} rejected the credentials (${code})`;
  }
}

function detail(code: string | undefined, e: SdkErrorShape): string {
  if (code === undefined) return '';
  return e.message !== undefined && e.message !== '' && e.message !== 'UnknownError' ? ` (${code}: ${e.message})` : ` (${code})`;
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).hostname;
  } catch {
    return endpoint;
  }
}
