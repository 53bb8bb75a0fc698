import { mkdirSync, renameSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import DatabaseConstructor, { type Database, type Statement } from 'better-sqlite3';
import { MusicFsError } from '../../../src-shared/errors.js';
import type { Logger } from '../base/logger.js';
import { migrate } from './migrations.js';
import { buildMatchExpression } from './search-query.js';
import { TRACK_COLUMNS, trackFromRaw, trackFromRow, type IndexedTrack, type TrackRecord, type TrackRow } from './track-row.js';

/**
 * The catalog: every track of every origin and its tags, in SQLite (WAL).
 *
 * Runs on the daemon's main thread: every method here is a short, indexed
 * statement or one batched transaction, never a long scan, so FUSE ops queued
 * behind it wait milliseconds at most. The catalog is rebuildable from the
 * origins, so a corrupt file is moved aside and a fresh catalog started.
 */

export interface OriginRecord {
  id: number;
  name: string;
  /** Absolute path for local origins; a URL for remote ones. */
  root: string;
  kind: string;
}

export type { IndexedTrack, TrackRecord };

export type TrackUpsert = Omit<TrackRecord, 'id' | 'originId' | 'scannedAt'> & {
  /** The origin's content version (S3 ETag), where it has one. */
  version?: string;
};

export interface ScanErrorRecord {
  path: string;
  size: number;
  mtimeMs: number;
  reason: string;
  version?: string;
}

/** What the scanner compares against to skip unchanged files. */
export interface KnownFile {
  size: number;
  mtimeMs: number;
  version: string | undefined;
  /** True when the last scan could not read it (a scan_errors row). */
  broken: boolean;
}

export interface CatalogChanges {
  upserts: readonly TrackUpsert[];
  errors: readonly ScanErrorRecord[];
  /** Exact paths that no longer exist. */
  removed: readonly string[];
}

export interface AppliedChanges {
  added: number;
  updated: number;
  removed: number;
  /** The tracks as now stored (added or updated), with their ids. */
  upserted: TrackRecord[];
  /** Ids of the tracks that left the catalog. */
  removedIds: number[];
}



export class Catalog {
  private readonly stmts: {
    upsert: Statement;
    trackIdByPath: Statement;
    deleteTrack: Statement;
    deleteError: Statement;
    upsertError: Statement;
  };

  private constructor(
    private readonly db: Database,
    readonly file: string,
  ) {
    this.stmts = {
      upsert: db.prepare(`
        INSERT INTO tracks (origin_id, path, size, mtime_ms, version, fingerprint, container, codec, duration_sec,
          bitrate, sample_rate, channels, artist, album_artist, album, title, track_no, track_total,
          disc_no, disc_total, year, genre, compilation, scanned_at)
        VALUES (@originId, @path, @size, @mtimeMs, @version, @fingerprint, @container, @codec, @durationSec,
          @bitrate, @sampleRate, @channels, @artist, @albumArtist, @album, @title, @track, @trackTotal,
          @disc, @discTotal, @year, @genre, @compilation, @scannedAt)
        ON CONFLICT (origin_id, path) DO UPDATE SET
          size = excluded.size, mtime_ms = excluded.mtime_ms, version = excluded.version, fingerprint = excluded.fingerprint,
          container = excluded.container, codec = excluded.codec, duration_sec = excluded.duration_sec,
          bitrate = excluded.bitrate, sample_rate = excluded.sample_rate, channels = excluded.channels,
          artist = excluded.artist, album_artist = excluded.album_artist, album = excluded.album,
          title = excluded.title, track_no = excluded.track_no, track_total = excluded.track_total,
          disc_no = excluded.disc_no, disc_total = excluded.disc_total, year = excluded.year,
          genre = excluded.genre, compilation = excluded.compilation, scanned_at = excluded.scanned_at,
          layout_key = NULL, layout_name = NULL
        RETURNING id`),
      trackIdByPath: db.prepare('SELECT id FROM tracks WHERE origin_id = ? AND path = ?').pluck(),
      deleteTrack: db.prepare('DELETE FROM tracks WHERE origin_id = ? AND path = ? RETURNING id').pluck(),
      deleteError: db.prepare('DELETE FROM scan_errors WHERE origin_id = ? AND path = ?'),
      upsertError: db.prepare(`
        INSERT INTO scan_errors (origin_id, path, size, mtime_ms, version, reason, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (origin_id, path) DO UPDATE SET
          size = excluded.size, mtime_ms = excluded.mtime_ms, version = excluded.version, reason = excluded.reason, seen_at = excluded.seen_at`),
    };
  }

  /** Opens (creating, migrating, or — if corrupt — replacing) the catalog at `file`. */
  static open(file: string, logger: Logger): Catalog {
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new MusicFsError('STATE_DIR_FAILED', `cannot create the data folder ${dirname(file)}: ${(err as Error).message}`, { path: dirname(file) }, { cause: err });
    }
    try {
      return Catalog.openUnchecked(file);
    } catch (err) {
      if (!isCorruption(err) || !existsSync(file)) {
        throw new MusicFsError('CATALOG_FAILED', `cannot open the catalog ${file}: ${(err as Error).message}`, { path: file }, { cause: err });
      }
      // The catalog only mirrors the origins: keep the broken file for
      // inspection and start a fresh one; the next scan refills it.
      const aside = `${file}.corrupt-${Date.now()}`;
      logger.warn('catalog is corrupt; moving it aside and starting a fresh one (the scan will rebuild it)', { file, aside, reason: (err as Error).message });
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
      }
      return Catalog.openUnchecked(file);
    }
  }

  private static openUnchecked(file: string): Catalog {
    const db = new DatabaseConstructor(file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db);
      return new Catalog(db, file);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  close(): void {
    if (!this.db.open) return;
    try {
      this.db.pragma('optimize');
    } catch {
      // best effort
    }
    this.db.close();
  }

  // ---- origins ----

  /**
   * The origin with this root, created if new, named `name`: the caller's
   * name is authoritative, so a stale origin holding that name (a folder no
   * longer configured) is renamed out of the way.
   */
  ensureOrigin(name: string, root: string, kind: string): OriginRecord {
    return this.db.transaction(() => {
      const existing = this.db.prepare('SELECT id, name, root, kind FROM origins WHERE root = ?').get(root) as OriginRecord | undefined;
      if (existing && existing.name === name) return existing;
      const holder = this.db.prepare('SELECT id FROM origins WHERE name = ? AND root != ?').pluck().get(name, root) as number | undefined;
      if (holder !== undefined) this.db.prepare('UPDATE origins SET name = ? WHERE id = ?').run(`${name}@${holder}`, holder);
      if (existing) {
        this.db.prepare('UPDATE origins SET name = ? WHERE id = ?').run(name, existing.id);
        return { ...existing, name };
      }
      const info = this.db.prepare('INSERT INTO origins (name, root, kind, created_at) VALUES (?, ?, ?, ?)').run(name, root, kind, Date.now());
      return { id: Number(info.lastInsertRowid), name, root, kind };
    })();
  }

  renameOrigin(id: number, name: string): void {
    this.db.prepare('UPDATE origins SET name = ? WHERE id = ?').run(name, id);
  }

  /** Forgets an origin and everything scanned from it; returns the removed track ids. */
  removeOrigin(id: number): number[] {
    return this.db.transaction(() => {
      const ids = this.db.prepare('DELETE FROM tracks WHERE origin_id = ? RETURNING id').pluck().all(id) as number[];
      this.db.prepare('DELETE FROM origins WHERE id = ?').run(id);
      return ids;
    })();
  }

  listOrigins(): OriginRecord[] {
    return this.db.prepare('SELECT id, name, root, kind FROM origins ORDER BY id').all() as OriginRecord[];
  }

  // ---- scanning ----

  /**
   * Size and mtime of every file of the origin the catalog knows (tracks and
   * broken files), optionally only at `under` (a file or folder) and below.
   */
  knownFiles(originId: number, under?: string): Map<string, KnownFile> {
    const known = new Map<string, KnownFile>();
    const [where, args] = underClause(originId, under);
    type Row = [string, number, number, string | null];
    const tracks = this.db.prepare(`SELECT path, size, mtime_ms, version FROM tracks WHERE ${where}`).raw().iterate(...args);
    for (const [path, size, mtimeMs, version] of tracks as Iterable<Row>) known.set(path, { size, mtimeMs, version: version ?? undefined, broken: false });
    const errors = this.db.prepare(`SELECT path, size, mtime_ms, version FROM scan_errors WHERE ${where}`).raw().iterate(...args);
    for (const [path, size, mtimeMs, version] of errors as Iterable<Row>) known.set(path, { size, mtimeMs, version: version ?? undefined, broken: true });
    return known;
  }

  /** Applies one batch of scan results in a single transaction. */
  applyChanges(originId: number, changes: CatalogChanges): AppliedChanges {
    const result: AppliedChanges = { added: 0, updated: 0, removed: 0, upserted: [], removedIds: [] };
    const now = Date.now();
    const remove = (path: string): void => {
      const id = this.stmts.deleteTrack.get(originId, path) as number | undefined;
      if (id === undefined) return;
      result.removed++;
      result.removedIds.push(id);
    };
    this.db.transaction(() => {
      for (const t of changes.upserts) {
        const existed = this.stmts.trackIdByPath.get(originId, t.path) !== undefined;
        const { id } = this.stmts.upsert.get(toParams(originId, t, now)) as { id: number };
        this.stmts.deleteError.run(originId, t.path);
        if (existed) result.updated++;
        else result.added++;
        const { version: _version, ...track } = t;
        result.upserted.push({ ...track, id, originId, scannedAt: now });
      }
      for (const e of changes.errors) {
        // A file that turned unreadable leaves the mount.
        remove(e.path);
        this.stmts.upsertError.run(originId, e.path, e.size, e.mtimeMs, e.version ?? null, e.reason, now);
      }
      for (const path of changes.removed) {
        remove(path);
        this.stmts.deleteError.run(originId, path);
      }
    })();
    return result;
  }

  /** Removes every file at `path` or below it (a deleted or moved file or folder); returns the removed track ids. */
  removeUnder(originId: number, path: string): number[] {
    const [where, args] = underClause(originId, path);
    return this.db.transaction(() => {
      const ids = this.db.prepare(`DELETE FROM tracks WHERE ${where} RETURNING id`).pluck().all(...args) as number[];
      this.db.prepare(`DELETE FROM scan_errors WHERE ${where}`).run(...args);
      return ids;
    })();
  }

  // ---- reading ----

  /** Every track of the given origins (all when omitted), oldest first. */
  listTracks(originIds?: readonly number[]): TrackRecord[] {
    // One pass over the table in rowid order, filtered here: faster than an
    // index lookup that then needs a sort (this runs at every start).
    const wanted = originIds === undefined ? undefined : new Set(originIds);
    if (wanted?.size === 0) return [];
    const rows = this.db.prepare(`SELECT ${TRACK_COLUMNS.join(', ')} FROM tracks ORDER BY id`).raw().all() as unknown[][];
    const out: TrackRecord[] = [];
    for (const row of rows) {
      if (wanted === undefined || wanted.has(row[1] as number)) out.push(trackFromRaw(row));
    }
    return out;
  }

  /**
   * Every track for the library: those whose name was rendered with
   * `layoutKey` come slim (with their stored name); the others come whole, to
   * be rendered (and then saved with `saveLayoutNames`).
   */
  listForLayout(layoutKey: string): { indexed: IndexedTrack[]; stale: TrackRecord[] } {
    const indexed: IndexedTrack[] = [];
    const slim = this.db.prepare('SELECT id, origin_id, path, size, mtime_ms, fingerprint, layout_name FROM tracks WHERE layout_key = ? ORDER BY id').raw().iterate(layoutKey);
    for (const [id, originId, path, size, mtimeMs, fingerprint, name] of slim as Iterable<[number, number, string, number, number, string, string]>) {
      indexed.push({ id, originId, path, size, mtimeMs, fingerprint, name: name.split('/') });
    }
    const stale = (this.db.prepare(`SELECT ${TRACK_COLUMNS.join(', ')} FROM tracks WHERE layout_key IS NOT ? ORDER BY id`).raw().all(layoutKey) as unknown[][]).map(trackFromRaw);
    return { indexed, stale };
  }

  /** Stores rendered names ('/'-joined components; a component never holds '/'). */
  saveLayoutNames(layoutKey: string, names: readonly { id: number; name: readonly string[] }[]): void {
    if (names.length === 0) return;
    const update = this.db.prepare('UPDATE tracks SET layout_key = ?, layout_name = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const n of names) update.run(layoutKey, n.name.join('/'), n.id);
    })();
  }

  countTracks(): number {
    return this.db.prepare('SELECT count(*) FROM tracks').pluck().get() as number;
  }

  /** Files of the origin that could not be read, at `under` and below when given. */
  scanErrors(originId: number, under?: string): ScanErrorRecord[] {
    const [where, args] = underClause(originId, under);
    return this.db
      .prepare(`SELECT path, size, mtime_ms AS mtimeMs, reason FROM scan_errors WHERE ${where} ORDER BY path`)
      .all(...args) as ScanErrorRecord[];
  }

  /** Full-text search over artist, album artist, album, title and genre; diacritic-insensitive. */
  search(query: string, limit = 100): TrackRecord[] {
    const match = buildMatchExpression(query);
    if (match === undefined) return [];
    const rows = this.db
      .prepare('SELECT tracks.* FROM tracks_fts JOIN tracks ON tracks.id = tracks_fts.rowid WHERE tracks_fts MATCH ? ORDER BY rank LIMIT ?')
      .all(match, limit) as TrackRow[];
    return rows.map(trackFromRow);
  }
}

/**
 * WHERE clause for "this origin, at `under` or below": a range on the
 * (origin_id, path) index. '0' is the character after '/', so [dir/, dir0)
 * is exactly the paths that start with "dir/".
 */
function underClause(originId: number, under: string | undefined): [string, unknown[]] {
  if (under === undefined || under === '') return ['origin_id = ?', [originId]];
  return ['origin_id = ? AND (path = ? OR (path >= ? AND path < ?))', [originId, under, under + '/', under + '0']];
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}

function toParams(originId: number, t: TrackUpsert, now: number): Record<string, unknown> {
  return {
    originId,
    path: t.path,
    size: t.size,
    mtimeMs: t.mtimeMs,
    version: t.version ?? null,
    fingerprint: t.fingerprint,
    container: t.audio.container ?? null,
    codec: t.audio.codec ?? null,
    durationSec: t.audio.durationSec ?? null,
    bitrate: t.audio.bitrate === undefined ? null : Math.round(t.audio.bitrate),
    sampleRate: t.audio.sampleRate ?? null,
    channels: t.audio.channels ?? null,
    artist: t.tags.artist ?? null,
    albumArtist: t.tags.albumArtist ?? null,
    album: t.tags.album ?? null,
    title: t.tags.title ?? null,
    track: t.tags.track ?? null,
    trackTotal: t.tags.trackTotal ?? null,
    disc: t.tags.disc ?? null,
    discTotal: t.tags.discTotal ?? null,
    year: t.tags.year ?? null,
    genre: t.tags.genre ?? null,
    compilation: t.tags.compilation ? 1 : 0,
    scannedAt: now,
  };
}

