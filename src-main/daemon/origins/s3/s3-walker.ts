import { isAudioFileName } from '../../../../src-shared/audio-formats.js';
import type { OriginFileEntry, WalkResult } from '../origin.js';
import type { S3ListPage, S3ObjectInfo } from './s3-requests.js';

/**
 * A walk of an S3 prefix: one flat listing (no delimiter: 1,000 keys a
 * request whatever the depth), folders derived from the key paths.
 *
 * - Keys are made relative to the origin's prefix; folder markers (keys
 *   ending in '/', what consoles create for an empty folder) list a folder
 *   and nothing else.
 * - Hidden entries (a path segment with a leading '.') are passed over, as on
 *   local origins, and so are keys that cannot be a path ('a//b').
 * - A listing that fails is reported as an error on the folder walked ('' =
 *   the root, which the scanner reads as "origin unreachable"), keeping what
 *   earlier pages found; an abort is thrown.
 */

export interface S3WalkInput {
  /** Lists one page of keys starting with `prefix`. */
  listPage(prefix: string, token: string | undefined, signal?: AbortSignal): Promise<S3ListPage>;
  /** Key prefix of the origin root: '' or 'some/prefix/'. */
  rootPrefix: string;
  /** Folder walked, relative to the root ('' = everything). */
  under: string;
  /** The reason to report for a failed listing; throws instead when the failure is an abort. */
  reasonOf(err: unknown): string;
  signal?: AbortSignal;
}

export async function walkS3Prefix(input: S3WalkInput): Promise<WalkResult> {
  const { rootPrefix, under, signal } = input;
  const result: WalkResult = { files: [], skipped: [], errors: [], directories: [] };
  const directories = new Set<string>();
  if (under === '') directories.add('');
  let token: string | undefined;
  try {
    do {
      const page = await input.listPage(rootPrefix + (under === '' ? '' : `${under}/`), token, signal);
      for (const object of page.objects) addObject(object, rootPrefix, under, result, directories);
      token = page.nextToken;
    } while (token !== undefined);
  } catch (err) {
    result.errors.push({ path: under, reason: input.reasonOf(err) });
  }
  result.directories = [...directories].sort();
  return result;
}

function addObject(object: S3ObjectInfo, rootPrefix: string, under: string, result: WalkResult, directories: Set<string>): void {
  if (!object.key.startsWith(rootPrefix)) return;
  const relative = object.key.slice(rootPrefix.length);
  const isFolderMarker = relative.endsWith('/');
  const path = isFolderMarker ? relative.slice(0, -1) : relative;
  const below = under === '' ? path : path.slice(under.length + 1);
  if (below === '') return; // the marker of the walked folder itself
  const segments = below.split('/');
  if (segments.some((s) => s === '' || s.startsWith('.'))) return;
  const base = under === '' ? '' : `${under}/`;
  directories.add(under);
  for (let i = 1; i < segments.length; i++) directories.add(base + segments.slice(0, i).join('/'));
  if (isFolderMarker) {
    directories.add(path);
    return;
  }
  if (!isAudioFileName(segments[segments.length - 1]!)) return;
  if (object.size === 0) {
    result.skipped.push({ path, reason: 'empty file' });
    return;
  }
  const entry: OriginFileEntry = { path, size: object.size, mtimeMs: object.mtimeMs };
  if (object.etag !== undefined) entry.version = object.etag;
  result.files.push(entry);
}
