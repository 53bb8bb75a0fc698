import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { VfsError, type VfsErrorCode } from '../vfs/vfs-error.js';
import { Errno, toErrno } from './errno.js';

describe('toErrno', () => {
  test('maps every VFS error code to a negative errno', () => {
    const expected: Record<VfsErrorCode, number> = {
      NOT_FOUND: -2,
      NOT_A_DIRECTORY: -20,
      IS_A_DIRECTORY: -21,
      READ_ONLY: -30,
      BAD_HANDLE: -9,
      INVALID: -22,
      IO: -5,
      TIMED_OUT: -5,
    };
    for (const [code, errno] of Object.entries(expected)) {
      assert.equal(toErrno(new VfsError(code as VfsErrorCode, 'x')), errno, code);
    }
  });

  test('the Errno table holds Linux values, negated', () => {
    assert.equal(Errno.ENOENT, -2);
    assert.equal(Errno.EIO, -5);
    assert.equal(Errno.EROFS, -30);
    for (const v of Object.values(Errno)) assert.ok(v < 0);
  });

  test('anything that is not a VfsError is EIO', () => {
    assert.equal(toErrno(new Error('boom')), Errno.EIO);
    assert.equal(toErrno(Object.assign(new Error('x'), { code: 'ENOENT' })), Errno.EIO);
    assert.equal(toErrno('a string'), Errno.EIO);
    assert.equal(toErrno(undefined), Errno.EIO);
    assert.equal(toErrno(null), Errno.EIO);
  });

  test('goes by name and code, not class identity; an unknown code is EIO', () => {
    const foreign = Object.assign(new Error('from elsewhere'), { name: 'VfsError', code: 'READ_ONLY' });
    assert.equal(toErrno(foreign), Errno.EROFS);
    const unknown = Object.assign(new Error('?'), { name: 'VfsError', code: 'SOMETHING_NEW' });
    assert.equal(toErrno(unknown), Errno.EIO);
  });
});
