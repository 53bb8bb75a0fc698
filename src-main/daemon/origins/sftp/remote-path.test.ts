import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { remotePathOf } from './remote-path.js';

describe('remotePathOf', () => {
  test('absolute folder', () => {
    assert.equal(remotePathOf('/srv/music', ''), '/srv/music');
    assert.equal(remotePathOf('/srv/music', 'A/b.flac'), '/srv/music/A/b.flac');
  });

  test('the server root', () => {
    assert.equal(remotePathOf('/', ''), '/');
    assert.equal(remotePathOf('/', 'A/b.flac'), '/A/b.flac');
  });

  test('the login folder and folders below it stay relative', () => {
    assert.equal(remotePathOf('', ''), '.');
    assert.equal(remotePathOf('', 'A/b.flac'), 'A/b.flac');
    assert.equal(remotePathOf('music', ''), 'music');
    assert.equal(remotePathOf('music', 'A/b.flac'), 'music/A/b.flac');
  });
});
