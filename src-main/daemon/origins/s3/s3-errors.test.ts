import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clearSecretsForTesting, registerSecret } from '../../base/secrets.js';
import { classifyS3Error, toS3OriginError, type S3Target } from './s3-errors.js';

/** Errors shaped as the SDK throws them (the cases a local s3rver cannot produce). */
const s3Answer = (name: string, status: number, message = 'UnknownError'): Error =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
const socketError = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code, $metadata: {} });

const bucketTarget: S3Target = { endpoint: 'https://s3.example.com', bucket: 'music' };
const objectTarget: S3Target = { ...bucketTarget, key: 'lib/a.flac' };

describe('classifyS3Error', () => {
  test('S3 error codes', () => {
    const failureOf = (err: unknown, target = bucketTarget): string => classifyS3Error(err, target).failure;
    assert.equal(failureOf(s3Answer('AccessDenied', 403, 'Access Denied')), 'permission');
    assert.equal(failureOf(s3Answer('ExpiredToken', 400)), 'auth');
    assert.equal(failureOf(s3Answer('RequestTimeTooSkewed', 403)), 'auth');
    assert.equal(failureOf(s3Answer('NoSuchBucket', 404)), 'bucket_missing');
    assert.equal(failureOf(s3Answer('NoSuchKey', 404), objectTarget), 'not_found');
    assert.equal(failureOf(s3Answer('PreconditionFailed', 412), objectTarget), 'not_found');
    assert.equal(failureOf(s3Answer('PermanentRedirect', 301)), 'protocol');
    assert.equal(failureOf(s3Answer('SlowDown', 503, 'Please reduce your request rate.')), 'io');
    assert.equal(failureOf(s3Answer('InvalidArgument', 400, 'bad')), 'protocol');
  });

  test('HEAD answers without a body: by status and by what was asked', () => {
    assert.equal(classifyS3Error(s3Answer('NotFound', 404), bucketTarget).failure, 'bucket_missing');
    assert.equal(classifyS3Error(s3Answer('NotFound', 404), objectTarget).failure, 'not_found');
    assert.equal(classifyS3Error(s3Answer('Unknown', 403), objectTarget).failure, 'permission');
    assert.equal(classifyS3Error(s3Answer('Unknown', 500), objectTarget).failure, 'io');
  });

  test('network failures, wherever the SDK puts the code', () => {
    assert.equal(classifyS3Error(socketError('ECONNREFUSED'), bucketTarget).failure, 'refused');
    assert.equal(classifyS3Error(socketError('EAI_AGAIN'), bucketTarget).failure, 'dns');
    assert.equal(classifyS3Error(socketError('EHOSTUNREACH'), bucketTarget).failure, 'unreachable');
    assert.equal(classifyS3Error(Object.assign(socketError('ECONNRESET'), { name: 'TimeoutError' }), bucketTarget).failure, 'reset');
    assert.equal(classifyS3Error(Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), bucketTarget).failure, 'timeout');
    const several = new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')], 'connect failed');
    assert.equal(classifyS3Error(several, bucketTarget).failure, 'refused');
    assert.equal(classifyS3Error(new Error('wrapped', { cause: socketError('ETIMEDOUT') }), bucketTarget).failure, 'timeout');
    const tls = classifyS3Error(socketError('DEPTH_ZERO_SELF_SIGNED_CERT'), bucketTarget);
    assert.equal(tls.failure, 'protocol');
    assert.match(tls.words, /certificate of https:\/\/s3\.example\.com is not trusted/);
  });

  test('aborts and missing credentials', () => {
    assert.equal(classifyS3Error(Object.assign(new Error('Request aborted'), { name: 'AbortError' }), bucketTarget).failure, 'aborted');
    const creds = classifyS3Error(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), bucketTarget);
    assert.equal(creds.failure, 'auth');
    assert.match(creds.words, /AWS_ACCESS_KEY_ID/);
    const profile = classifyS3Error(Object.assign(new Error('no profile'), { name: 'CredentialsProviderError' }), { ...bucketTarget, profile: 'backup' });
    assert.match(profile.words, /profile "backup"/);
  });
});

describe('toS3OriginError', () => {
  test('names the origin, the operation and the path, and never a registered secret', () => {
    registerSecret('s3cr3t-value');
    try {
      const err = toS3OriginError(s3Answer('InternalError', 500, 'echo s3cr3t-value'), { origin: 'cloud', operation: 'read', path: 'a.flac' }, objectTarget);
      assert.equal(err.failure, 'io');
      assert.match(err.message, /^cloud: read a\.flac: https:\/\/s3\.example\.com answered HTTP 500/);
      assert.ok(!err.message.includes('s3cr3t-value'));
    } finally {
      clearSecretsForTesting();
    }
  });
});
