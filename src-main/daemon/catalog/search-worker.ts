import { parentPort, workerData } from 'node:worker_threads';
import DatabaseConstructor, { type Database, type Statement } from 'better-sqlite3';
import type { SearchQuery } from '../../../src-shared/search/query.js';
import { buildSearchPageSql, buildSearchSql, COUNT_CAP, orderFor } from './search-sql.js';
import { TRACK_COLUMNS, trackFromRaw, type TrackRecord } from './track-row.js';

/**
 * Worker thread entry: runs searches on its own read-only connection, so a
 * query never holds the main thread (where FUSE ops run). One request at a
 * time, in arrival order; CatalogSearcher (catalog-searcher.ts) is the only
 * client. The connection opens on the first request and is retried on the
 * next one if that failed; a WAL reader never blocks the daemon's writer.
 */

export interface SearchWorkerData {
  catalogFile: string;
}

export type SearchWorkerRequest =
  | { id: number; kind: 'search'; query: SearchQuery; limit: number; offset: number }
  | { id: number; kind: 'page'; query: SearchQuery; afterId: number; limit: number };

export type SearchWorkerResponse =
  | { id: number; ok: true; ids: number[]; total: number; records: TrackRecord[] }
  | { id: number; ok: false; code: 'QUERY_INVALID' | 'INTERNAL'; message: string };

/** Distinct SQL texts are few (the query is a parameter); the cap only guards against surprises. */
const STATEMENT_CACHE_MAX = 64;

const port = parentPort;
if (!port) throw new Error('search-worker must run in a worker thread');
const { catalogFile } = workerData as SearchWorkerData;

let db: Database | undefined;
const statements = new Map<string, Statement>();

function open(): Database {
  if (db?.open) return db;
  const opened = new DatabaseConstructor(catalogFile, { readonly: true, fileMustExist: true });
  try {
    opened.pragma('query_only = 1');
    // Readers in WAL mode wait only while a checkpoint resets the log.
    opened.pragma('busy_timeout = 1000');
  } catch (err) {
    opened.close();
    throw err;
  }
  statements.clear();
  db = opened;
  return db;
}

function statement(sql: string): Statement {
  let stmt = statements.get(sql);
  if (stmt !== undefined) {
    // Most recently used last: the first key is the one to evict.
    statements.delete(sql);
  } else {
    stmt = open().prepare(sql);
    if (statements.size >= STATEMENT_CACHE_MAX) statements.delete(statements.keys().next().value!);
  }
  statements.set(sql, stmt);
  return stmt;
}

function run(request: SearchWorkerRequest): { ids: number[]; total: number; records: TrackRecord[] } {
  if (request.kind === 'page') {
    const { sql, params } = buildSearchPageSql(request.query, { afterId: request.afterId, limit: request.limit });
    const ids = statement(sql).pluck().all(...params) as number[];
    return { ids, total: ids.length, records: recordsOf(ids) };
  }
  const counted = buildSearchSql(request.query, { limit: request.limit, offset: request.offset });
  const total = statement(counted.countSql).pluck().get(...counted.countParams) as number;
  // (Past a capped count there may be more: run the query.)
  if (request.limit === 0 || (request.offset >= total && total < COUNT_CAP)) return { ids: [], total, records: [] };
  const { sql, params } = buildSearchSql(request.query, { limit: request.limit, offset: request.offset, order: orderFor(request.query, total) });
  const ids = statement(sql).pluck().all(...params) as number[];
  return { ids, total, records: recordsOf(ids) };
}

/**
 * The whole rows of the hits, read here rather than on the main thread (which
 * keeps no tags in memory): one statement whatever the number of ids.
 */
function recordsOf(ids: readonly number[]): TrackRecord[] {
  if (ids.length === 0) return [];
  const rows = statement(`SELECT ${TRACK_COLUMNS.map((c) => `t.${c}`).join(', ')} FROM json_each(?) AS j JOIN tracks AS t ON t.id = j.value`)
    .raw()
    .all(JSON.stringify(ids)) as unknown[][];
  const byId = new Map(rows.map((r) => [r[0] as number, trackFromRaw(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** An FTS5 complaint about the expression is the query's fault; anything else is ours. */
function isQueryError(err: unknown): boolean {
  const message = (err as Error).message ?? '';
  return (err as { code?: string }).code === 'SQLITE_ERROR' && /fts5|MATCH|syntax error|unterminated string/i.test(message);
}

port.on('message', (request: SearchWorkerRequest) => {
  let response: SearchWorkerResponse;
  try {
    response = { id: request.id, ok: true, ...run(request) };
  } catch (err) {
    const code = isQueryError(err) ? 'QUERY_INVALID' : 'INTERNAL';
    response = { id: request.id, ok: false, code, message: (err as Error).message ?? String(err) };
  }
  port.postMessage(response);
});
