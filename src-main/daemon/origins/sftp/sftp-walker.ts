import { isAudioFileName } from '../../../../src-shared/audio-formats.js';
import { forEachLimit } from '../../base/async.js';
import type { WalkIssue, WalkResult } from '../origin.js';
import { isOriginError, type OriginFailure } from '../origin-error.js';

/**
 * Recursive walk of a folder on an SFTP server, one depth level at a time:
 * every folder of a level is listed in parallel (bounded), then the next
 * level's folders are chosen in a fixed order, so the result does not depend
 * on which answer came first.
 *
 * - A readdir answer carries each entry's size, mtime and type (lstat-like),
 *   so plain files cost no extra request; only symlinks are stat-ed (followed,
 *   as the local walker does).
 * - Loops: each folder's real path is tracked (a plain subfolder's is its
 *   parent's plus its name; a linked folder's is asked with realpath), and a
 *   real folder is walked once. Real folders win over links, then name order.
 * - Hidden entries (leading '.') and non-audio files are passed over; empty
 *   audio files are reported as skipped.
 * - A folder that cannot be read (gone, permission denied, server-side I/O
 *   error) is an entry of `errors` and the walk goes on. A connection failure
 *   (dropped, timeout, login...) or an abort throws instead: a walk that lost
 *   its connection half-way must not look like a folder that lost its files.
 */

/** What the walker needs of an entry's attributes (ssh2's Stats fits). */
export interface RemoteAttrs {
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
}

export interface RemoteDirEntry {
  filename: string;
  attrs: RemoteAttrs;
}

/** The folder tree, by paths relative to the origin root. Failures are OriginErrors. */
export interface RemoteTree {
  list(dir: string, signal?: AbortSignal): Promise<RemoteDirEntry[]>;
  /** Follows symlinks. */
  stat(path: string, signal?: AbortSignal): Promise<RemoteAttrs>;
  /** The server's canonical absolute path of a folder. */
  realpath(path: string, signal?: AbortSignal): Promise<string>;
}

export interface RemoteWalkOptions {
  under?: string;
  signal?: AbortSignal;
  /** Folders listed at once. */
  concurrency: number;
}

interface Folder {
  rel: string;
  real: string;
  isLink: boolean;
}

/** Failures that belong to one path; anything else means the connection or the origin failed. */
const PATH_FAILURES: ReadonlySet<OriginFailure> = new Set(['not_found', 'permission', 'io', 'protocol']);

export async function walkRemoteTree(tree: RemoteTree, options: RemoteWalkOptions): Promise<WalkResult> {
  // Aborted by the caller's signal, or by the first failure that ends the
  // walk: the other listings in flight stop instead of each trying the dead
  // server again.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await walk(tree, options.under ?? '', options.concurrency, stop);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function walk(tree: RemoteTree, start: string, concurrency: number, stop: AbortController): Promise<WalkResult> {
  const result: WalkResult = { files: [], skipped: [], errors: [], directories: [] };
  const signal = stop.signal;
  let rootAttrs: RemoteAttrs;
  try {
    rootAttrs = await tree.stat(start, signal);
  } catch (err) {
    result.errors.push({ path: start, reason: pathReason(err) });
    return result;
  }
  if (!rootAttrs.isDirectory()) {
    result.errors.push({ path: start, reason: 'not a folder' });
    return result;
  }
  let rootReal: string;
  try {
    rootReal = await tree.realpath(start, signal);
  } catch (err) {
    pathReason(err);
    rootReal = `?${start}`;
  }
  const visited = new Set<string>([rootReal]);
  let level: Folder[] = [{ rel: start, real: rootReal, isLink: false }];

  while (level.length > 0) {
    signal.throwIfAborted();
    result.directories.push(...level.map((f) => f.rel));
    const found: Folder[] = [];
    await forEachLimit(level, concurrency, async (folder) => {
      if (signal.aborted) return;
      try {
        await listFolder(tree, folder, result, found, signal);
      } catch (err) {
        stop.abort(err);
        throw err;
      }
    });
    // Real folders first, then links, each in name order: which path a folder
    // reached twice is listed under must not depend on answer order.
    found.sort((a, b) => Number(a.isLink) - Number(b.isLink) || compare(a.rel, b.rel));
    level = [];
    for (const folder of found) {
      if (visited.has(folder.real)) {
        if (folder.isLink) result.skipped.push({ path: folder.rel, reason: 'symlink to a folder already walked (loop or duplicate link)' });
        continue;
      }
      visited.add(folder.real);
      level.push(folder);
    }
  }
  result.files.sort((a, b) => compare(a.path, b.path));
  result.skipped.sort(byPath);
  result.errors.sort(byPath);
  return result;
}

async function listFolder(tree: RemoteTree, folder: Folder, result: WalkResult, found: Folder[], signal: AbortSignal): Promise<void> {
  let entries: RemoteDirEntry[];
  try {
    entries = await tree.list(folder.rel, signal);
  } catch (err) {
    result.errors.push({ path: folder.rel, reason: pathReason(err) });
    return;
  }
  const links: { rel: string; name: string }[] = [];
  for (const { filename: name, attrs } of entries) {
    if (name.startsWith('.')) continue;
    const rel = folder.rel === '' ? name : `${folder.rel}/${name}`;
    if (attrs.isSymbolicLink()) links.push({ rel, name });
    else if (attrs.isDirectory()) found.push({ rel, real: joinReal(folder.real, name), isLink: false });
    else if (attrs.isFile() && isAudioFileName(name)) addFile(result, rel, attrs);
  }
  await forEachLimit(links, 8, async ({ rel, name }) => {
    let target: RemoteAttrs;
    try {
      target = await tree.stat(rel, signal);
    } catch (err) {
      result.skipped.push({ path: rel, reason: `broken symlink (${pathReason(err)})` });
      return;
    }
    if (target.isDirectory()) {
      let real: string;
      try {
        real = await tree.realpath(rel, signal);
      } catch (err) {
        result.errors.push({ path: rel, reason: pathReason(err) });
        return;
      }
      found.push({ rel, real, isLink: true });
    } else if (target.isFile() && isAudioFileName(name)) {
      addFile(result, rel, target);
    }
  });
}

/** The reason to record for a path that failed; rethrows failures that are not about the path. */
function pathReason(err: unknown): string {
  if (isOriginError(err) && PATH_FAILURES.has(err.failure)) {
    if (err.failure === 'not_found') return 'no such file or folder';
    if (err.failure === 'permission') return 'permission denied';
    return err.message;
  }
  throw err;
}

function addFile(result: WalkResult, path: string, attrs: RemoteAttrs): void {
  if (attrs.size === 0) {
    result.skipped.push({ path, reason: 'empty file' });
    return;
  }
  result.files.push({ path, size: attrs.size, mtimeMs: attrs.mtime * 1000 });
}

function joinReal(parent: string, name: string): string {
  return parent.endsWith('/') ? `${parent}${name}` : `${parent}/${name}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byPath(a: WalkIssue, b: WalkIssue): number {
  return compare(a.path, b.path);
}
