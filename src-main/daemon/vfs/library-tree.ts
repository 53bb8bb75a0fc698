import { extensionOf } from '../../../src-shared/audio-formats.js';
import { resolveCollisions, type CompiledLayout, type PathClaim } from '../../../src-shared/layout/index.js';
import type { IndexedTrack, TrackRecord } from '../catalog/catalog.js';

/**
 * The mount's directory tree, built from the catalog in one pass and swapped
 * in atomically; every FUSE lookup is one Map get, with no I/O.
 *
 * - Tracks with the same fingerprint (one recording on several origins, or
 *   linked twice on one) are one file with several replicas, named after the
 *   replica on the best-ranked origin.
 * - Name collisions get " (2)", " (3)"... in order of the oldest catalog id
 *   of each file, so names are stable across restarts.
 * - Inode numbers are stable across restarts: files use the oldest catalog id
 *   of their recording, folders a hash of their path (probed on collision, in
 *   path order). fuse-native passes 32 bits, so files take the upper half.
 */

export interface Replica {
  originId: number;
  /** Path relative to the origin root. */
  path: string;
  trackId: number;
  /** Modification time the catalog knows; a replica whose file has another is stale (not read). */
  mtimeMs?: number;
}

export interface FileNode {
  readonly kind: 'file';
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly fingerprint: string;
  /** Best first. */
  readonly replicas: readonly Replica[];
}

export interface DirNode {
  readonly kind: 'dir';
  readonly ino: number;
  /** Child names, sorted. */
  readonly names: string[];
  mtimeMs: number;
}

export type TreeNode = FileNode | DirNode;

export interface TreeInput {
  tracks: Iterable<TrackRecord>;
  /** Origins whose tracks are shown, best first (rank = index). */
  originOrder: readonly number[];
  layout: CompiledLayout;
}

const ROOT_INO = 1;
const FILE_INO_BASE = 0x8000_0000;
const DIR_INO_MASK = 0x7fff_ffff;

export class LibraryTree {
  private constructor(
    private readonly nodes: Map<string, TreeNode>,
    /** Catalog track id (any replica) → the file's path in the mount. */
    private readonly trackPaths: Map<number, string>,
    readonly fileCount: number,
    readonly dirCount: number,
    readonly totalBytes: number,
  ) {}

  static empty(): LibraryTree {
    return LibraryTree.build({ tracks: [], originOrder: [], layout: { source: '', render: () => [] } });
  }

  /** Where a catalog track appears in the mount ('/A/B/c.flac'), if it does. */
  pathOfTrack(trackId: number): string | undefined {
    return this.trackPaths.get(trackId);
  }

  /** `path` as FUSE gives it: '/' or '/A/B/c.flac'. */
  lookup(path: string): TreeNode | undefined {
    return this.nodes.get(path);
  }

  /** Every file path (for tests and diagnostics). */
  *filePaths(): Iterable<string> {
    for (const [path, node] of this.nodes) if (node.kind === 'file') yield path;
  }

  /** Renders and builds in one go (tests, benchmarks): the daemon goes through Library. */
  static build(input: TreeInput): LibraryTree {
    const indexed = [...input.tracks].map((t) => indexTrack(t, renderName(input.layout, t)));
    return new TreeBuilder(input.originOrder).build(indexed);
  }

  /** Assembles a tree from resolved names (see TreeBuilder). */
  static fromNames(resolved: Map<IndexedTrack[], string[]>): LibraryTree {
    const nodes = new Map<string, TreeNode>();
    const trackPaths = new Map<number, string>();
    const root: DirNode = { kind: 'dir', ino: ROOT_INO, names: [], mtimeMs: 0 };
    nodes.set('/', root);
    const dirPaths: string[] = [];
    let totalBytes = 0;
    for (const [group, components] of resolved) {
      const best = group[0]!;
      let parent = root;
      let path = '';
      for (let i = 0; i < components.length; i++) {
        const name = components[i]!;
        path += '/' + name;
        if (i === components.length - 1) {
          const file: FileNode = {
            kind: 'file',
            ino: FILE_INO_BASE + minId(group),
            size: best.size,
            mtimeMs: best.mtimeMs,
            fingerprint: best.fingerprint,
            replicas: group.map((t) => ({ originId: t.originId, path: t.path, trackId: t.id, mtimeMs: t.mtimeMs })),
          };
          nodes.set(path, file);
          for (const t of group) trackPaths.set(t.id, path);
          parent.names.push(name);
          totalBytes += best.size;
          break;
        }
        let dir = nodes.get(path);
        if (dir === undefined) {
          dir = { kind: 'dir', ino: 0, names: [], mtimeMs: 0 };
          nodes.set(path, dir);
          parent.names.push(name);
          dirPaths.push(path);
        }
        // resolveCollisions guarantees a folder never shares a name with a file.
        parent = dir as DirNode;
      }
      // Folder mtime: newest file inside, so file managers sort sensibly.
      let p = path;
      while (p.length > 0) {
        p = p.slice(0, p.lastIndexOf('/'));
        const d = nodes.get(p === '' ? '/' : p) as DirNode;
        if (d.mtimeMs >= best.mtimeMs) break;
        d.mtimeMs = best.mtimeMs;
      }
    }
    assignDirInodes(nodes, dirPaths);
    for (const node of nodes.values()) if (node.kind === 'dir') node.names.sort(byCodeUnit);
    if (root.mtimeMs === 0) root.mtimeMs = Date.now();
    return new LibraryTree(nodes, trackPaths, resolved.size, dirPaths.length + 1, totalBytes);
  }
}

/**
 * Builds trees for one origin order from tracks whose names are already
 * rendered (Library renders each track once and stores the name).
 */
export class TreeBuilder {
  private readonly rank: Map<number, number>;

  constructor(originOrder: readonly number[]) {
    this.rank = new Map(originOrder.map((id, i) => [id, i]));
  }

  build(tracks: Iterable<IndexedTrack>): LibraryTree {
    const rank = this.rank;
    // 1. Group replicas by fingerprint.
    const groups = new Map<string, IndexedTrack[]>();
    for (const t of tracks) {
      if (!rank.has(t.originId)) continue;
      const g = groups.get(t.fingerprint);
      if (g) g.push(t);
      else groups.set(t.fingerprint, [t]);
    }
    // 2. Name each recording after its best replica; oldest recording first,
    //    so it keeps the plain name. Input in id order (the library's index
    //    is) needs no sort.
    const claims: (PathClaim<IndexedTrack[]> & { order: number })[] = [];
    let sorted = true;
    for (const group of groups.values()) {
      const order = minId(group);
      if (group.length > 1) group.sort((a, b) => rank.get(a.originId)! - rank.get(b.originId)! || a.id - b.id);
      if (claims.length > 0 && claims[claims.length - 1]!.order > order) sorted = false;
      claims.push({ key: group, components: group[0]!.name, order });
    }
    if (!sorted) claims.sort((a, b) => a.order - b.order);
    return LibraryTree.fromNames(resolveCollisions(claims));
  }
}

/** The layout's name for a track (path components, before collisions). */
export function renderName(layout: CompiledLayout, track: TrackRecord): string[] {
  const fileName = track.path.slice(track.path.lastIndexOf('/') + 1);
  const ext = extensionOf(fileName);
  const stem = ext ? fileName.slice(0, fileName.length - ext.length - 1) : fileName;
  return layout.render({ tags: track.tags, audio: track.audio, stem, ext });
}

/** The in-memory form of a track with its rendered name. */
export function indexTrack(t: TrackRecord, name: readonly string[]): IndexedTrack {
  return { id: t.id, originId: t.originId, path: t.path, size: t.size, mtimeMs: t.mtimeMs, fingerprint: t.fingerprint, name };
}

function minId(group: readonly IndexedTrack[]): number {
  let min = Infinity;
  for (const t of group) if (t.id < min) min = t.id;
  return min;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** FNV-1a over the UTF-16 code units of the path. */
function hashPath(path: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) {
    h ^= path.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function assignDirInodes(nodes: Map<string, TreeNode>, dirPaths: string[]): void {
  const used = new Set<number>([ROOT_INO]);
  for (const path of [...dirPaths].sort(byCodeUnit)) {
    let ino = hashPath(path) & DIR_INO_MASK;
    while (ino <= ROOT_INO || used.has(ino)) ino = (ino + 1) & DIR_INO_MASK;
    used.add(ino);
    (nodes.get(path) as { ino: number }).ino = ino;
  }
}
