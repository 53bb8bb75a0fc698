import { isAudioFileName } from '../../../src-shared/audio-formats.js';
import { Emitter } from '../base/event.js';
import type { Logger } from '../base/logger.js';
import type { Catalog, KnownFile, ScanErrorRecord, TrackRecord, TrackUpsert } from '../catalog/catalog.js';
import type { Origin, OriginFileEntry, WalkIssue, WalkResult } from '../origins/origin.js';
import { emptyReport, type ScanReport } from './scan-report.js';
import { OriginRangeSource } from './origin-range-source.js';
import type { TagReaderPool } from './tag-reader-pool.js';

/**
 * Keeps the catalog in step with the origins.
 *
 * walk (or the watcher's paths) → skip unchanged (size + mtime) → read tags in
 * the worker pool → catalog upserts in batched transactions → `onDidChange`.
 * Scans of one origin run one at a time (a queue per origin), so a watcher
 * batch never races a full scan. Removal is conservative: nothing is removed
 * below a folder that could not be listed, and a full scan that finds an
 * origin empty when the catalog knows files there removes nothing (an
 * unmounted share looks exactly like that).
 */

const BATCH_FILES = 256;
const BATCH_MAX_WAIT_MS = 500;

/** What one catalog write changed: the tracks as now stored, and the ids that left. */
export interface CatalogDelta {
  originId: number;
  upserted: readonly TrackRecord[];
  removedIds: readonly number[];
}

export interface ScanProgress {
  origin: string;
  /** Files to read (changed or new) and how many are done. */
  total: number;
  done: number;
}

export class Scanner {
  private readonly queues = new Map<number, Promise<unknown>>();
  private readonly didChange = new Emitter<CatalogDelta>();
  private readonly didProgress = new Emitter<ScanProgress>();
  /** Fires after each batch that changed the catalog. */
  readonly onDidChange = this.didChange.event;
  readonly onDidProgress = this.didProgress.event;

  constructor(
    private readonly catalog: Catalog,
    private readonly pool: TagReaderPool,
    private readonly logger: Logger,
    /** How long a remote range read keeps being retried (100/500/2000 ms pauses) before the file counts as failed. */
    private readonly retryWindowMs = 30_000,
  ) {}

  /** Walks the whole origin and brings the catalog in step. */
  fullScan(origin: Origin, signal?: AbortSignal): Promise<ScanReport> {
    return this.enqueue(origin, () => this.runFullScan(origin, signal));
  }

  /** Handles changed paths (files or folders, present or gone) reported by a watcher. */
  scanPaths(origin: Origin, paths: readonly string[], signal?: AbortSignal): Promise<ScanReport> {
    return this.enqueue(origin, () => this.runPathScan(origin, paths, signal));
  }

  private enqueue<T>(origin: Origin, job: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(origin.id) ?? Promise.resolve();
    const next = previous.then(job, job);
    const tail = next.catch(() => undefined);
    this.queues.set(origin.id, tail);
    void tail.then(() => {
      if (this.queues.get(origin.id) === tail) this.queues.delete(origin.id);
    });
    return next;
  }

  private async runFullScan(origin: Origin, signal?: AbortSignal): Promise<ScanReport> {
    const report = emptyReport(origin.name, 'full');
    const known = this.catalog.knownFiles(origin.id);
    // A first scan will read every file: load the parsers while the walk runs.
    if (known.size === 0) this.pool.warmUp();
    let walk: WalkResult;
    try {
      walk = await origin.walk({ signal });
    } catch (err) {
      // A remote origin that cannot be reached (or drops mid-walk) throws: a
      // half-finished listing must never look like deleted files.
      if (signal?.aborted) throw err;
      report.errors.push({ path: '', reason: (err as Error).message });
      report.incomplete = `origin unreachable: ${(err as Error).message}`;
      return finish(report);
    }
    report.skipped.push(...walk.skipped);
    const rootError = walk.errors.find((e) => e.path === '');
    if (rootError) {
      report.errors.push(rootError);
      report.incomplete = `origin unreachable: ${rootError.reason}`;
      return finish(report);
    }
    report.errors.push(...walk.errors);
    const removed = removedPaths(known, walk.files, walk.errors);
    if (walk.files.length === 0 && known.size > 0) {
      this.logger.warn('origin looks empty; keeping its catalog entries (is the share mounted?)', { origin: origin.name, known: known.size });
      removed.length = 0;
    }
    await this.applyEntries(origin, walk.files, known, removed, report, signal);
    return finish(report);
  }

  private async runPathScan(origin: Origin, paths: readonly string[], signal?: AbortSignal): Promise<ScanReport> {
    const report = emptyReport(origin.name, 'changes');
    for (const path of outermostPaths(paths)) {
      signal?.throwIfAborted();
      let st: Awaited<ReturnType<Origin['stat']>>;
      try {
        st = await origin.stat(path);
      } catch (err) {
        report.errors.push({ path, reason: (err as Error).message });
        continue;
      }
      if (st === undefined) {
        const removedIds = this.catalog.removeUnder(origin.id, path);
        if (removedIds.length > 0) {
          report.removed += removedIds.length;
          this.didChange.fire({ originId: origin.id, upserted: [], removedIds });
        }
        continue;
      }
      const known = this.catalog.knownFiles(origin.id, path);
      if (st.isDirectory) {
        const walk = await origin.walk({ under: path, signal });
        report.skipped.push(...walk.skipped);
        report.errors.push(...walk.errors);
        await this.applyEntries(origin, walk.files, known, removedPaths(known, walk.files, walk.errors), report, signal);
      } else if (isAudioFileName(path) && !isHiddenPath(path)) {
        const files: OriginFileEntry[] = [];
        if (st.size === 0) report.skipped.push({ path, reason: 'empty file' });
        else files.push({ path, size: st.size, mtimeMs: st.mtimeMs });
        await this.applyEntries(origin, files, known, removedPaths(known, files, []), report, signal);
      }
    }
    return finish(report);
  }

  /** Reads what changed, writes batches to the catalog, removes what is gone. */
  private async applyEntries(
    origin: Origin,
    files: readonly OriginFileEntry[],
    known: Map<string, KnownFile>,
    removed: string[],
    report: ScanReport,
    signal?: AbortSignal,
  ): Promise<void> {
    report.scanned += files.length;
    const toRead: OriginFileEntry[] = [];
    const brokenUnchanged: string[] = [];
    for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      const k = known.get(f.path);
      // Where the origin has content versions (S3 ETags), size + version decide; else size + mtime.
      const same = k !== undefined && k.size === f.size && (f.version !== undefined && k.version !== undefined ? k.version === f.version : k.mtimeMs === f.mtimeMs);
      if (same) {
        report.unchanged++;
        if (k.broken) brokenUnchanged.push(f.path);
      } else {
        toRead.push(f);
      }
    }
    if (brokenUnchanged.length > 0) {
      const reasons = new Map(this.catalog.scanErrors(origin.id).map((e) => [e.path, e.reason]));
      for (const path of brokenUnchanged) report.errors.push({ path, reason: reasons.get(path) ?? 'unreadable' });
    }

    let upserts: TrackUpsert[] = [];
    let errors: ScanErrorRecord[] = [];
    let vanished: string[] = [];
    let lastFlush = Date.now();
    const flush = (): void => {
      if (upserts.length + errors.length + vanished.length + removed.length === 0) return;
      upserts.sort((a, b) => (a.path < b.path ? -1 : 1));
      const applied = this.catalog.applyChanges(origin.id, { upserts, errors, removed: [...vanished, ...removed] });
      report.added += applied.added;
      report.updated += applied.updated;
      report.removed += applied.removed;
      upserts = [];
      errors = [];
      vanished = [];
      removed = [];
      lastFlush = Date.now();
      if (applied.upserted.length + applied.removedIds.length > 0) {
        this.didChange.fire({ originId: origin.id, upserted: applied.upserted, removedIds: applied.removedIds });
      }
    };

    const localPath = origin.localPath?.bind(origin);
    // Local files are read by the workers themselves; remote ones by ranges fetched here.
    const readOne = (f: OriginFileEntry): ReturnType<TagReaderPool['read']> =>
      localPath
        ? this.pool.read(localPath(f.path), signal)
        : this.pool.readRemote(
            { name: f.path, size: f.size, mtimeMs: f.mtimeMs },
            new OriginRangeSource(origin, f.path, this.retryWindowMs, (n) => (report.bytesFetched += n), signal),
            signal,
          );
    let done = 0;
    const progress = (): void => this.didProgress.fire({ origin: origin.name, total: toRead.length, done });
    progress();
    await Promise.all(
      toRead.map(async (f) => {
        const outcome = await readOne(f);
        if (signal?.aborted) return;
        done++;
        if (outcome.ok) {
          const t = outcome.track;
          upserts.push({ path: f.path, size: t.size, mtimeMs: t.mtimeMs, version: f.version, fingerprint: t.fingerprint, tags: t.tags, audio: t.audio });
        } else if (outcome.vanished) {
          vanished.push(f.path);
        } else if (outcome.retryable) {
          // The origin failed, not the file: report it, but do not mark the
          // file broken, so the next scan reads it again.
          report.errors.push({ path: f.path, reason: outcome.reason });
          report.incomplete ||= 'the origin failed while reading some files; they are read again at the next scan';
        } else {
          errors.push({ path: f.path, size: f.size, mtimeMs: f.mtimeMs, version: f.version, reason: outcome.reason });
          report.errors.push({ path: f.path, reason: outcome.reason });
        }
        if (upserts.length + errors.length >= BATCH_FILES || Date.now() - lastFlush >= BATCH_MAX_WAIT_MS) {
          flush();
          progress();
        }
      }),
    );
    if (signal?.aborted) {
      report.incomplete = 'stopped';
      // Keep what was read: the next scan continues from there (unchanged files are skipped).
      removed = [];
    }
    flush();
    progress();
  }
}

function finish(report: ScanReport): ScanReport {
  report.durationMs = Date.now() - report.startedAt;
  return report;
}

/** Known paths the walk did not find, except below folders that could not be listed. */
function removedPaths(known: Map<string, KnownFile>, found: readonly OriginFileEntry[], walkErrors: readonly WalkIssue[]): string[] {
  const present = new Set(found.map((f) => f.path));
  const unreadable = walkErrors.map((e) => e.path);
  const removed: string[] = [];
  for (const path of known.keys()) {
    if (present.has(path)) continue;
    if (unreadable.some((dir) => path === dir || path.startsWith(dir + '/'))) continue;
    removed.push(path);
  }
  return removed;
}

/** Drops paths that lie below another path of the list (the folder covers them). */
export function outermostPaths(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  if (sorted[0] === '') return [''];
  // An ancestor sorts before its descendants, but not always right before them
  // ("A", "A-B", "A/c"): check every ancestor, not only the last path kept.
  const kept = new Set<string>();
  const out: string[] = [];
  for (const p of sorted) {
    let covered = false;
    for (let i = p.indexOf('/'); i >= 0 && !covered; i = p.indexOf('/', i + 1)) covered = kept.has(p.slice(0, i));
    if (covered) continue;
    kept.add(p);
    out.push(p);
  }
  return out;
}

function isHiddenPath(path: string): boolean {
  return path.split('/').some((part) => part.startsWith('.'));
}
