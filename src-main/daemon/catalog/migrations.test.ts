import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import DatabaseConstructor, { type Database } from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION, migrate, type Migration } from './migrations.js';

let root: string;
let n = 0;
const dbs: Database[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'musicfs-'));
});

after(async () => {
  for (const db of dbs) if (db.open) db.close();
  await rm(root, { recursive: true, force: true });
});

const freshDb = (): Database => {
  const db = new DatabaseConstructor(join(root, `m-${++n}.db`));
  dbs.push(db);
  return db;
};

const version = (db: Database): number => db.pragma('user_version', { simple: true }) as number;
const tables = (db: Database): string[] =>
  db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];

describe('migrations', () => {
  test('versions are 1..N in order and SCHEMA_VERSION is the last', () => {
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      Array.from({ length: MIGRATIONS.length }, (_, i) => i + 1),
    );
    assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
  });

  test('a fresh database gets every migration, a second run none', () => {
    const db = freshDb();
    assert.deepEqual(
      migrate(db),
      MIGRATIONS.map((m) => m.version),
    );
    assert.equal(version(db), SCHEMA_VERSION);
    const schema = tables(db);
    for (const name of ['origins', 'tracks', 'scan_errors', 'tracks_fts']) assert.ok(schema.includes(name), `${name} in ${schema.join(', ')}`);
    assert.deepEqual(migrate(db), []);
    assert.deepEqual(tables(db), schema);
    assert.equal(version(db), SCHEMA_VERSION);
  });

  test('a database from a newer version is refused and left untouched', () => {
    const db = freshDb();
    db.pragma(`user_version = ${SCHEMA_VERSION + 3}`);
    assert.throws(() => migrate(db), /schema version \d+ is newer than this MusicFS understands/);
    assert.equal(version(db), SCHEMA_VERSION + 3);
    assert.deepEqual(tables(db), []);
  });

  test('only pending migrations run, in order', () => {
    const db = freshDb();
    const ran: number[] = [];
    const step = (v: number): Migration => ({ version: v, description: `step ${v}`, up: (d) => void (ran.push(v), d.exec(`CREATE TABLE t${v} (x)`)) });
    assert.deepEqual(migrate(db, [step(1), step(2)]), [1, 2]);
    assert.deepEqual(migrate(db, [step(1), step(2), step(3)]), [3]);
    assert.deepEqual(ran, [1, 2, 3]);
    assert.equal(version(db), 3);
  });

  test('a failing migration rolls back its own changes and keeps the earlier ones', () => {
    const db = freshDb();
    const good: Migration = { version: 1, description: 'good', up: (d) => d.exec('CREATE TABLE kept (x)') };
    const bad: Migration = {
      version: 2,
      description: 'bad',
      up: (d) => {
        d.exec('CREATE TABLE half_done (x)');
        throw new Error('boom');
      },
    };
    assert.throws(() => migrate(db, [good, bad]), /boom/);
    assert.equal(version(db), 1);
    assert.deepEqual(tables(db), ['kept']);
  });
});
