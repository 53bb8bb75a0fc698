import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { signBody, verifySignature } from './webhook-signature.js';

// RFC-style known vector (HMAC-SHA256, key "key").
const FOX = 'The quick brown fox jumps over the lazy dog';
const FOX_SIG = 'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8';

describe('signBody', () => {
  test('matches a known HMAC-SHA256 vector', () => {
    assert.equal(signBody('key', FOX), FOX_SIG);
  });

  test('signs bytes: a string and its UTF-8 buffer give the same signature', () => {
    const body = '{"artist":"Björk"}';
    assert.equal(signBody('s', body), signBody('s', Buffer.from(body, 'utf8')));
  });
});

describe('verifySignature', () => {
  test('accepts the right signature, as string or buffer body', () => {
    assert.equal(verifySignature('key', FOX, FOX_SIG), true);
    assert.equal(verifySignature('key', Buffer.from(FOX), FOX_SIG), true);
    assert.equal(verifySignature('key', FOX, `  ${FOX_SIG.toUpperCase().replace('SHA256=', 'sha256=')} `), true);
  });

  test('rejects a wrong secret or a changed body', () => {
    assert.equal(verifySignature('other', FOX, FOX_SIG), false);
    assert.equal(verifySignature('key', FOX + ' ', FOX_SIG), false);
  });

  test('rejects missing and malformed headers without throwing', () => {
    for (const header of [
      undefined,
      '',
      'sha256=',
      FOX_SIG.slice('sha256='.length), // no prefix
      'sha1=' + FOX_SIG.slice('sha256='.length),
      FOX_SIG.slice(0, -2), // short
      FOX_SIG + '00', // long
      FOX_SIG.slice(0, -1) + 'g', // not hex
    ]) {
      assert.equal(verifySignature('key', FOX, header), false, String(header));
    }
  });
});
