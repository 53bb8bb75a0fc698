import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import type { AsyncDisposable } from '../base/lifecycle.js';
import type { Logger } from '../base/logger.js';
import { LocalWatcher } from './local-watcher.js';
import { joinAbs, walkLocalFolder } from './local-walker.js';
import type { Origin, OriginFileHandle, OriginStat, WalkOptions, WalkResult } from './origin.js';
import { FsGate } from './fs-gate.js';
import { OriginError, toOriginError } from './origin-error.js';

/**
 * A folder on this machine: a local disk, or an NFS/SMB share the system has
 * already mounted. Reads go straight to the file by offset.
 */
export class LocalOrigin implements Origin {
  readonly kind = 'local';
  readonly remote = false;
  private watcher: LocalWatcher | undefined;
  private readonly gate: FsGate;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly root: string,
    private readonly logger: Logger,
    private readonly debounceMs = 200,
    /** After this long a file call counts as hung (see FsGate). */
    stuckMs: () => number = () => 30_000,
  ) {
    this.gate = new FsGate(name, stuckMs);
  }

  walk(options: WalkOptions = {}): Promise<WalkResult> {
    return walkLocalFolder(this.root, {
      ...options,
      onFolder: (dir) => this.watcher?.addFolder(dir),
    });
  }

  async stat(path: string): Promise<OriginStat | undefined> {
    try {
      const st = await this.gate.run('stat', path, () => stat(joinAbs(this.root, path)));
      return { size: st.size, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory() };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.watcher?.removeUnder(path);
        return undefined;
      }
      throw err;
    }
  }

  async open(path: string): Promise<OriginFileHandle> {
    const handle = await this.gate.run('open', path, () => open(joinAbs(this.root, path), 'r'));
    return {
      read: async (buffer, offset, length, position) => (await this.gate.run('read', path, () => handle.read(buffer, offset, length, position))).bytesRead,
      close: () => handle.close(),
    };
  }

  localPath(path: string): string {
    return joinAbs(this.root, path);
  }

  watch(onChanges: (paths: string[]) => void): AsyncDisposable {
    this.watcher?.dispose();
    const watcher = new LocalWatcher(this.root, onChanges, this.logger.child(`watch:${this.name}`), this.debounceMs);
    this.watcher = watcher;
    return {
      dispose: () => {
        watcher.dispose();
        if (this.watcher === watcher) this.watcher = undefined;
      },
    };
  }

  async checkHealth(): Promise<void> {
    const context = { origin: this.name, operation: 'health', path: '' };
    let st;
    try {
      st = await this.gate.run('health', '', () => stat(this.root));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new OriginError('not_found', `${this.root} does not exist (unplugged or unmounted?)`, context, { cause: err });
      throw toOriginError(err, context);
    }
    if (!st.isDirectory()) throw new OriginError('not_found', `${this.root} is not a folder`, context);
    try {
      await this.gate.run('health', '', () => access(this.root, constants.R_OK | constants.X_OK));
    } catch (err) {
      throw new OriginError('permission', `${this.root} is not readable`, context, { cause: err });
    }
  }

  dispose(): void {
    this.watcher?.dispose();
    this.watcher = undefined;
  }
}
