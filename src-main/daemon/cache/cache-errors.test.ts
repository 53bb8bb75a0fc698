import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CacheDiskError, CacheInUseError, classifyDiskError, describeDiskProblem } from './cache-errors.js';

const errno = (code: string): Error => Object.assign(new Error(`${code}: boom`), { code, errno: -1, syscall: 'write' });

describe('classifyDiskError', () => {
  test('maps errno codes to the kind of disk problem', () => {
    assert.equal(classifyDiskError(errno('ENOSPC')), 'full');
    assert.equal(classifyDiskError(errno('EDQUOT')), 'full');
    assert.equal(classifyDiskError(errno('EROFS')), 'read-only');
    assert.equal(classifyDiskError(errno('EACCES')), 'permission');
    assert.equal(classifyDiskError(errno('EPERM')), 'permission');
    assert.equal(classifyDiskError(errno('EIO')), 'io');
    assert.equal(classifyDiskError(errno('ENOTDIR')), 'io');
    assert.equal(classifyDiskError(errno('EMFILE')), 'io');
  });

  test('is undefined for errors that are not system errors', () => {
    assert.equal(classifyDiskError(new Error('plain')), undefined);
    assert.equal(classifyDiskError(Object.assign(new TypeError('bad'), { code: 'ERR_INVALID_ARG_TYPE' })), undefined);
    assert.equal(classifyDiskError(Object.assign(new Error('db'), { code: 'LEVEL_CORRUPTION' })), undefined);
    assert.equal(classifyDiskError(undefined), undefined);
    assert.equal(classifyDiskError('ENOSPC'), undefined);
  });

  test('a CacheDiskError keeps its own kind', () => {
    const err = new CacheDiskError('no room', 'full', '/c/ab/x', 'write chunk', { cause: errno('ENOSPC') });
    assert.equal(classifyDiskError(err), 'full');
  });
});

describe('CacheDiskError', () => {
  test('carries the problem, path, operation and cause', () => {
    const cause = errno('EROFS');
    const err = new CacheDiskError('cannot write', 'read-only', '/c/tmp/x', 'write chunk', { cause });
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'CacheDiskError');
    assert.equal(err.problem, 'read-only');
    assert.equal(err.path, '/c/tmp/x');
    assert.equal(err.op, 'write chunk');
    assert.equal(err.cause, cause);
    assert.equal(err.message, 'cannot write');
  });

  test('CacheInUseError names the locked path', () => {
    const err = new CacheInUseError('locked', '/c/index');
    assert.equal(err.name, 'CacheInUseError');
    assert.equal(err.path, '/c/index');
  });

  test('every problem has a sentence', () => {
    for (const p of ['full', 'read-only', 'io', 'permission'] as const) assert.match(describeDiskProblem(p), /cache/);
  });
});
