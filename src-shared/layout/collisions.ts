/**
 * Gives every track a path of its own when several render to the same one.
 *
 * Two passes over the claims, in the caller's (stable) order:
 *  1. every claim whose rendered path is free takes it, so a track really
 *     titled "Song (2)" keeps its name whatever duplicates come before it;
 *  2. each claim that lost gets " (N)" on the conflicting component, N being
 *     the next number whose name is free at that level.
 * A file and a directory of the same name in one directory conflict too.
 * Each directory remembers the next N to try per requested name, so no
 * directory is ever rescanned: the whole run is O(total components).
 */
import { MAX_COMPONENT_BYTES, truncateUtf8, utf8ByteLength } from './sanitize.js';

export interface PathClaim<K> {
  key: K;
  /** Sanitised components, as `CompiledLayout.render` returns them. */
  components: readonly string[];
}

const FILE = 'file';

class DirNode {
  /** Names taken in this directory (after renaming), file or directory. */
  readonly entries = new Map<string, DirNode | typeof FILE>();
  /** Directory a requested name leads to: itself, or its " (N)" rename. */
  readonly dirsByRequest = new Map<string, DirNode>();
  /** Next N to try for " (N)" per requested name. */
  readonly nextSuffix = new Map<string, number>();
  constructor(readonly name: string) {}
}

// Only a short alphanumeric tail counts as an extension, so "Mr. Brightside"
// (an extension-less name) becomes "Mr. Brightside (2)", not "Mr (2). Brightside".
const EXTENSION = /^[A-Za-z0-9]{1,16}$/;

/** Appends `suffix` to `base`, cutting `base` so the result fits in 255 bytes. */
function withSuffix(base: string, suffix: string, reservedBytes: number): string {
  const room = MAX_COMPONENT_BYTES - utf8ByteLength(suffix) - reservedBytes;
  return truncateUtf8(base, Math.max(room, 0)).trimEnd() + suffix;
}

function suffixedFileName(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1) : '';
  if (!EXTENSION.test(ext)) return withSuffix(name, ` (${n})`, 0);
  return `${withSuffix(name.slice(0, dot), ` (${n})`, ext.length + 1)}.${ext}`;
}

function suffixedDirName(name: string, n: number): string {
  return withSuffix(name, ` (${n})`, 0);
}

/** The first free " (N)" variant of `requested` in `dir`. */
function freeName(dir: DirNode, requested: string, variant: (name: string, n: number) => string): string {
  let n = dir.nextSuffix.get(requested) ?? 2;
  for (;;) {
    const candidate = variant(requested, n);
    n++;
    if (!dir.entries.has(candidate)) {
      dir.nextSuffix.set(requested, n);
      return candidate;
    }
  }
}

/**
 * Places one path under `root`. Without `rename`, returns undefined on the
 * first conflict; that always happens before anything is created, because
 * below a newly created directory nothing can conflict.
 */
function place(root: DirNode, components: readonly string[], rename: boolean): string[] | undefined {
  const path: string[] = [];
  let dir = root;
  const lastIndex = components.length - 1;
  for (let i = 0; i < lastIndex; i++) {
    const requested = components[i] ?? '';
    let child = dir.dirsByRequest.get(requested);
    if (child === undefined) {
      // Taken by a file, or by a directory renamed from another name.
      const taken = dir.entries.has(requested);
      if (taken && !rename) return undefined;
      child = new DirNode(taken ? freeName(dir, requested, suffixedDirName) : requested);
      dir.entries.set(child.name, child);
      dir.dirsByRequest.set(requested, child);
    }
    path.push(child.name);
    dir = child;
  }
  const requestedFile = components[lastIndex] ?? '';
  const taken = dir.entries.has(requestedFile);
  if (taken && !rename) return undefined;
  const fileName = taken ? freeName(dir, requestedFile, suffixedFileName) : requestedFile;
  dir.entries.set(fileName, FILE);
  path.push(fileName);
  return path;
}

/**
 * The final path of every claim, by key. Claims are taken in the given order;
 * a key seen again is ignored (its first claim decides). A claim with no
 * components maps to an empty path and takes nothing.
 */
export function resolveCollisions<K>(claims: readonly PathClaim<K>[]): Map<K, string[]> {
  const root = new DirNode('');
  const result = new Map<K, string[]>();
  const seen = new Set<K>();
  const losers: { key: K; components: string[] }[] = [];
  for (const claim of claims) {
    if (seen.has(claim.key)) continue;
    seen.add(claim.key);
    const components = claim.components.map((c) => c.normalize('NFC'));
    if (components.length === 0) {
      result.set(claim.key, []);
      continue;
    }
    const path = place(root, components, false);
    if (path === undefined) losers.push({ key: claim.key, components });
    else result.set(claim.key, path);
  }
  for (const loser of losers) {
    result.set(loser.key, place(root, loser.components, true) ?? []);
  }
  // Keys in claim order, whatever pass placed them.
  const ordered = new Map<K, string[]>();
  for (const key of seen) ordered.set(key, result.get(key) ?? []);
  return ordered;
}
