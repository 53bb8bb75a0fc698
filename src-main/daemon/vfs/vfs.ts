import type { FileReader } from './file-reader.js';
import type { LibraryTree, TreeNode } from './library-tree.js';
import { VfsError } from './vfs-error.js';

/**
 * The mount's file system, independent of FUSE: path lookups against the
 * current library tree (memory only) and reads through the file reader.
 * Read-only: the tree is replaced whole when the catalog changes.
 */

export interface VfsAttr {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  mtimeMs: number;
  uid: number;
  gid: number;
}

export interface VfsStatfs {
  blockSize: number;
  blocks: number;
  files: number;
  nameMax: number;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const BLOCK_SIZE = 4096;

export class Vfs {
  private readonly uid = process.getuid?.() ?? 0;
  private readonly gid = process.getgid?.() ?? 0;

  constructor(
    private readonly tree: () => LibraryTree,
    private readonly reader: FileReader,
  ) {}

  getattr(path: string): VfsAttr {
    return this.attrOf(this.lookup(path));
  }

  readdir(path: string): { names: string[]; attrs: VfsAttr[] } {
    const node = this.lookup(path);
    if (node.kind !== 'dir') throw new VfsError('NOT_A_DIRECTORY', `${path} is not a folder`, path);
    const tree = this.tree();
    const prefix = path === '/' ? '/' : path + '/';
    const attrs = node.names.map((name) => this.attrOf(tree.lookup(prefix + name)!));
    return { names: node.names, attrs };
  }

  async open(path: string, flags: number): Promise<number> {
    // O_ACCMODE: any write access is refused (the kernel mount is `ro` too).
    if ((flags & 3) !== 0) throw new VfsError('READ_ONLY', `${path} is read-only`, path);
    const node = this.lookup(path);
    if (node.kind !== 'file') throw new VfsError('IS_A_DIRECTORY', `${path} is a folder`, path);
    return this.reader.open(node, path);
  }

  read(fh: number, position: number, length: number): Promise<Buffer> {
    return this.reader.read(fh, position, length);
  }

  release(fh: number): Promise<void> {
    return this.reader.release(fh);
  }

  statfs(): VfsStatfs {
    const tree = this.tree();
    return { blockSize: BLOCK_SIZE, blocks: Math.ceil(tree.totalBytes / BLOCK_SIZE), files: tree.fileCount + tree.dirCount, nameMax: 255 };
  }

  private lookup(path: string): TreeNode {
    const node = this.tree().lookup(path);
    if (!node) throw new VfsError('NOT_FOUND', `${path} does not exist`, path);
    return node;
  }

  private attrOf(node: TreeNode): VfsAttr {
    if (node.kind === 'dir') {
      return { ino: node.ino, mode: S_IFDIR | 0o555, nlink: 2, size: BLOCK_SIZE, mtimeMs: node.mtimeMs, uid: this.uid, gid: this.gid };
    }
    return { ino: node.ino, mode: S_IFREG | 0o444, nlink: 1, size: node.size, mtimeMs: node.mtimeMs, uid: this.uid, gid: this.gid };
  }
}
