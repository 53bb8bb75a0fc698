import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeFsError } from './fs-errors.js';

describe('describeFsError', () => {
  test('maps common errno codes to short sentences', () => {
    const e = (code: string): Error => Object.assign(new Error(`${code}: boom`), { code });
    assert.equal(describeFsError(e('EACCES')), 'permission denied');
    assert.equal(describeFsError(e('EPERM')), 'permission denied');
    assert.equal(describeFsError(e('ENOENT')), 'no such file or folder');
    assert.equal(describeFsError(e('ELOOP')), 'too many levels of symbolic links');
    assert.equal(describeFsError(e('ENOTDIR')), 'not a folder');
    assert.equal(describeFsError(e('EISDIR')), 'is a folder');
    assert.equal(describeFsError(e('EIO')), 'I/O error');
    assert.equal(describeFsError(e('EWHATEVER')), 'EWHATEVER: boom');
  });
});
