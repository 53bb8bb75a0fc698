import type { Database } from 'better-sqlite3';

/**
 * Versioned schema migrations. `PRAGMA user_version` holds the number of
 * migrations applied; each runs in its own transaction. Never edit a shipped
 * migration: add a new one.
 */
export interface Migration {
  version: number;
  description: string;
  up(db: Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'origins, tracks, scan errors, FTS5 search',
    up(db) {
      db.exec(`
        CREATE TABLE origins (
          id          INTEGER PRIMARY KEY,
          name        TEXT NOT NULL UNIQUE,
          root        TEXT NOT NULL UNIQUE,
          kind        TEXT NOT NULL,
          created_at  INTEGER NOT NULL
        );

        CREATE TABLE tracks (
          id            INTEGER PRIMARY KEY,
          origin_id     INTEGER NOT NULL REFERENCES origins(id) ON DELETE CASCADE,
          path          TEXT NOT NULL,
          size          INTEGER NOT NULL,
          mtime_ms      REAL NOT NULL,
          fingerprint   TEXT NOT NULL,
          container     TEXT,
          codec         TEXT,
          duration_sec  REAL,
          bitrate       INTEGER,
          sample_rate   INTEGER,
          channels      INTEGER,
          artist        TEXT,
          album_artist  TEXT,
          album         TEXT,
          title         TEXT,
          track_no      INTEGER,
          track_total   INTEGER,
          disc_no       INTEGER,
          disc_total    INTEGER,
          year          INTEGER,
          genre         TEXT,
          compilation   INTEGER NOT NULL DEFAULT 0,
          scanned_at    INTEGER NOT NULL,
          UNIQUE (origin_id, path)
        );
        CREATE INDEX tracks_fingerprint ON tracks (fingerprint);

        -- Files that could not be read as audio, remembered with size+mtime so
        -- an unchanged broken file is not parsed again on every rescan.
        CREATE TABLE scan_errors (
          origin_id  INTEGER NOT NULL REFERENCES origins(id) ON DELETE CASCADE,
          path       TEXT NOT NULL,
          size       INTEGER NOT NULL,
          mtime_ms   REAL NOT NULL,
          reason     TEXT NOT NULL,
          seen_at    INTEGER NOT NULL,
          PRIMARY KEY (origin_id, path)
        );

        -- remove_diacritics 2: "Beyonce" finds "Beyoncé", "Bjork" finds "Björk".
        CREATE VIRTUAL TABLE tracks_fts USING fts5 (
          artist, album_artist, album, title, genre,
          content = 'tracks', content_rowid = 'id',
          tokenize = "unicode61 remove_diacritics 2"
        );
        CREATE TRIGGER tracks_fts_insert AFTER INSERT ON tracks BEGIN
          INSERT INTO tracks_fts (rowid, artist, album_artist, album, title, genre)
          VALUES (new.id, new.artist, new.album_artist, new.album, new.title, new.genre);
        END;
        CREATE TRIGGER tracks_fts_delete AFTER DELETE ON tracks BEGIN
          INSERT INTO tracks_fts (tracks_fts, rowid, artist, album_artist, album, title, genre)
          VALUES ('delete', old.id, old.artist, old.album_artist, old.album, old.title, old.genre);
        END;
        CREATE TRIGGER tracks_fts_update AFTER UPDATE OF artist, album_artist, album, title, genre ON tracks BEGIN
          INSERT INTO tracks_fts (tracks_fts, rowid, artist, album_artist, album, title, genre)
          VALUES ('delete', old.id, old.artist, old.album_artist, old.album, old.title, old.genre);
          INSERT INTO tracks_fts (rowid, artist, album_artist, album, title, genre)
          VALUES (new.id, new.artist, new.album_artist, new.album, new.title, new.genre);
        END;
      `);
    },
  },
  {
    version: 2,
    description: 'search: year and prefix indexes in tracks_fts',
    up(db) {
      // Search (search-sql.ts) answers everything from the FTS index alone:
      // - `fts_year` indexes four-digit years (a generated column of tracks,
      //   so 'rebuild' and 'integrity-check' see what the triggers index): a
      //   year range is an OR of tokens and prefixes ("195"* = the 1950s) in
      //   the same MATCH as the text, instead of a lookup of every matching
      //   row in `tracks` (5–14 ms for a broad word on 100k tracks).
      // - prefix indexes for 1–3 characters: "s"* reads one doclist instead
      //   of merging thousands (its count on 100k tracks: 5 ms → 0.5 ms).
      db.exec(`
        ALTER TABLE tracks ADD COLUMN fts_year INTEGER
          GENERATED ALWAYS AS (CASE WHEN year BETWEEN 1000 AND 9999 THEN year END) VIRTUAL;

        DROP TRIGGER tracks_fts_insert;
        DROP TRIGGER tracks_fts_delete;
        DROP TRIGGER tracks_fts_update;
        DROP TABLE tracks_fts;

        CREATE VIRTUAL TABLE tracks_fts USING fts5 (
          artist, album_artist, album, title, genre, fts_year,
          content = 'tracks', content_rowid = 'id',
          tokenize = "unicode61 remove_diacritics 2",
          prefix = '1 2 3'
        );
        CREATE TRIGGER tracks_fts_insert AFTER INSERT ON tracks BEGIN
          INSERT INTO tracks_fts (rowid, artist, album_artist, album, title, genre, fts_year)
          VALUES (new.id, new.artist, new.album_artist, new.album, new.title, new.genre, new.fts_year);
        END;
        CREATE TRIGGER tracks_fts_delete AFTER DELETE ON tracks BEGIN
          INSERT INTO tracks_fts (tracks_fts, rowid, artist, album_artist, album, title, genre, fts_year)
          VALUES ('delete', old.id, old.artist, old.album_artist, old.album, old.title, old.genre, old.fts_year);
        END;
        CREATE TRIGGER tracks_fts_update AFTER UPDATE OF artist, album_artist, album, title, genre, year ON tracks BEGIN
          INSERT INTO tracks_fts (tracks_fts, rowid, artist, album_artist, album, title, genre, fts_year)
          VALUES ('delete', old.id, old.artist, old.album_artist, old.album, old.title, old.genre, old.fts_year);
          INSERT INTO tracks_fts (rowid, artist, album_artist, album, title, genre, fts_year)
          VALUES (new.id, new.artist, new.album_artist, new.album, new.title, new.genre, new.fts_year);
        END;

        INSERT INTO tracks_fts (tracks_fts) VALUES ('rebuild');
        INSERT INTO tracks_fts (tracks_fts) VALUES ('optimize');
      `);
    },
  },
  {
    version: 3,
    description: 'rendered layout names, so a start does not render every track again',
    up(db) {
      // layout_key says which layout (and layout engine version) rendered
      // layout_name; a changed track or another layout leaves it stale.
      db.exec(`
        ALTER TABLE tracks ADD COLUMN layout_key TEXT;
        ALTER TABLE tracks ADD COLUMN layout_name TEXT;
      `);
    },
  },
  {
    version: 4,
    description: 'content versions of remote files (S3 ETags), so a rescan skips unchanged objects by ETag + size',
    up(db) {
      db.exec(`
        ALTER TABLE tracks ADD COLUMN version TEXT;
        ALTER TABLE scan_errors ADD COLUMN version TEXT;
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Applies pending migrations; returns the versions applied. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (current > latest) {
    throw new Error(`catalog schema version ${current} is newer than this MusicFS understands (${latest}); upgrade MusicFS`);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}
