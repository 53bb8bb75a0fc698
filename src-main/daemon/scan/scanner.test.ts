import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { outermostPaths } from './scanner.js';

describe('outermostPaths', () => {
  test('drops paths below another path of the list', () => {
    assert.deepEqual(outermostPaths(['A/B/c.flac', 'A', 'A/B', 'D/e.flac']), ['A', 'D/e.flac']);
  });

  test('keeps siblings that merely share a prefix', () => {
    assert.deepEqual(outermostPaths(['Rock', 'Rockabilly/x.flac', 'Rock.flac']), ['Rock', 'Rock.flac', 'Rockabilly/x.flac']);
  });

  test('drops a descendant even when a prefix-sharing sibling sorts between them', () => {
    // '-' and '.' sort before '/', so "A-B" and "A.flac" come between "A" and "A/c.flac".
    assert.deepEqual(outermostPaths(['A', 'A-B', 'A/c.flac']), ['A', 'A-B']);
    assert.deepEqual(outermostPaths(['A/c.flac', 'A.flac', 'A', 'A B/d.flac', 'A/B/e.flac']), ['A', 'A B/d.flac', 'A.flac']);
    assert.deepEqual(outermostPaths(['x/y', 'x/y-z', 'x/y/z', 'x/y.z/w']), ['x/y', 'x/y-z', 'x/y.z/w']);
  });

  test("'' (the whole origin) covers everything", () => {
    assert.deepEqual(outermostPaths(['A/b.flac', '', 'C']), ['']);
  });

  test('removes duplicates and returns paths sorted', () => {
    assert.deepEqual(outermostPaths(['b', 'a', 'b', 'a']), ['a', 'b']);
  });

  test('an empty list gives an empty list, and the input is not modified', () => {
    assert.deepEqual(outermostPaths([]), []);
    const input = ['b', 'a/c', 'a'];
    outermostPaths(input);
    assert.deepEqual(input, ['b', 'a/c', 'a']);
  });
});
