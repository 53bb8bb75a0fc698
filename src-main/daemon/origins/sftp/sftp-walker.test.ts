import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OriginError } from '../origin-error.js';
import { walkRemoteTree, type RemoteAttrs, type RemoteDirEntry, type RemoteTree } from './sftp-walker.js';

/**
 * The walk's logic over an in-memory tree (the real server is in
 * test/sftp-origin.test.ts): which failures are recorded and which end the
 * walk, and that a failing server is not hammered by the listings in flight.
 */

type Node = { file: number } | { dir: true } | { link: string };

function fakeTree(nodes: Record<string, Node>, failures: Record<string, OriginError> = {}, calls: string[] = []): RemoteTree {
  const attrsOf = (node: Node | undefined): RemoteAttrs => ({
    size: node !== undefined && 'file' in node ? node.file : 0,
    mtime: 1_700_000_000,
    isDirectory: () => node !== undefined && 'dir' in node,
    isFile: () => node !== undefined && 'file' in node,
    isSymbolicLink: () => node !== undefined && 'link' in node,
  });
  const resolve = (path: string): string => {
    const node = nodes[path];
    return node !== undefined && 'link' in node ? resolve(node.link) : path;
  };
  const fail = (path: string): void => {
    const err = failures[path];
    if (err) throw err;
  };
  return {
    list: async (dir) => {
      calls.push(dir);
      await Promise.resolve();
      fail(dir);
      const real = resolve(dir);
      const prefix = real === '' ? '' : `${real}/`;
      const out: RemoteDirEntry[] = [];
      for (const [path, node] of Object.entries(nodes)) {
        if (path.startsWith(prefix) && path !== real && !path.slice(prefix.length).includes('/')) out.push({ filename: path.slice(prefix.length), attrs: attrsOf(node) });
      }
      return out.reverse();
    },
    stat: async (path) => {
      fail(path);
      const real = resolve(path);
      if (real !== '' && nodes[real] === undefined) throw new OriginError('not_found', 'gone', { origin: 't', operation: 'stat' });
      return attrsOf(real === '' ? { dir: true } : nodes[real]);
    },
    realpath: async (path) => `/srv/${resolve(path)}`.replace(/\/$/, ''),
  };
}

const notFound = new OriginError('not_found', 'x', { origin: 't', operation: 'list' });
const denied = new OriginError('permission', 'x', { origin: 't', operation: 'list' });
const dropped = new OriginError('reset', 'connection dropped', { origin: 't', operation: 'list' });

describe('walkRemoteTree', () => {
  test('files in path order, folders level by level, real folders before links', async () => {
    const tree = fakeTree({
      B: { dir: true },
      'B/b.flac': { file: 3 },
      A: { dir: true },
      'A/a.mp3': { file: 2 },
      'A/.hidden.flac': { file: 1 },
      'A/cover.jpg': { file: 1 },
      'A/empty.flac': { file: 0 },
      'Z-link': { link: 'B' },
      'C-link.mp3': { link: 'A/a.mp3' },
      'A/up': { link: '' },
    });
    const r = await walkRemoteTree(tree, { concurrency: 4 });
    assert.deepEqual(
      r.files.map((f) => [f.path, f.size, f.mtimeMs]),
      [
        ['A/a.mp3', 2, 1_700_000_000_000],
        ['B/b.flac', 3, 1_700_000_000_000],
        ['C-link.mp3', 2, 1_700_000_000_000],
      ],
    );
    assert.deepEqual(r.directories, ['', 'A', 'B']);
    assert.deepEqual(
      r.skipped.map((s) => [s.path, s.reason]),
      [
        ['A/empty.flac', 'empty file'],
        ['A/up', 'symlink to a folder already walked (loop or duplicate link)'],
        ['Z-link', 'symlink to a folder already walked (loop or duplicate link)'],
      ],
    );
  });

  test('folders that cannot be read are recorded, the rest is walked', async () => {
    const tree = fakeTree({ A: { dir: true }, 'A/a.flac': { file: 1 }, B: { dir: true }, 'B/b.flac': { file: 1 } }, { A: denied, B: notFound });
    const r = await walkRemoteTree(tree, { concurrency: 2 });
    assert.deepEqual(r.errors, [
      { path: 'A', reason: 'permission denied' },
      { path: 'B', reason: 'no such file or folder' },
    ]);
    assert.deepEqual(r.files, []);
  });

  test('a missing root or `under` folder is an error at that path', async () => {
    const tree = fakeTree({ 'f.flac': { file: 1 } });
    assert.deepEqual((await walkRemoteTree(tree, { under: 'Nope', concurrency: 1 })).errors, [{ path: 'Nope', reason: 'no such file or folder' }]);
    assert.deepEqual((await walkRemoteTree(tree, { under: 'f.flac', concurrency: 1 })).errors, [{ path: 'f.flac', reason: 'not a folder' }]);
  });

  test('a connection failure ends the walk, and the listings still queued are not sent', async () => {
    const nodes: Record<string, Node> = {};
    for (let i = 0; i < 100; i++) nodes[`D${String(i).padStart(3, '0')}`] = { dir: true };
    const calls: string[] = [];
    const tree = fakeTree(nodes, { D000: dropped }, calls);
    await assert.rejects(walkRemoteTree(tree, { concurrency: 4 }), (err) => err === dropped);
    assert.ok(calls.length <= 1 + 4, `${calls.length} listings sent`);
  });

  test('an aborted signal ends the walk', async () => {
    const tree = fakeTree({ A: { dir: true } });
    await assert.rejects(walkRemoteTree(tree, { concurrency: 1, signal: AbortSignal.abort() }), { name: 'AbortError' });
  });
});
