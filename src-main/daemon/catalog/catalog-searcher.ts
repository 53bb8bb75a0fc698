import { Worker } from 'node:worker_threads';
import { MusicFsError } from '../../../src-shared/errors.js';
import type { SearchQuery } from '../../../src-shared/search/query.js';
import type { AsyncDisposable } from '../base/lifecycle.js';
import type { Logger } from '../base/logger.js';
import { buildFtsMatch } from './search-sql.js';
import type { SearchWorkerData, SearchWorkerRequest, SearchWorkerResponse } from './search-worker.js';
import type { TrackRecord } from './track-row.js';

/**
 * The main thread's side of search: hands queries to one worker thread
 * (search-worker.ts) that owns a read-only connection to the catalog, so no
 * query ever runs on the thread that answers FUSE ops.
 *
 * Requests queue here and go to the worker one at a time, matched by id: a
 * request is only sent when the worker is free, so a timeout or a crash costs
 * exactly the request that was running and the rest go to a fresh worker.
 * The worker starts on the first request, is replaced when it dies, times out
 * (`timeoutMs`: terminated, as SQLite cannot be interrupted from outside) or
 * reports an internal error, and is `unref()`ed while idle so it never keeps
 * the process alive.
 *
 * State: `queue` (not yet sent) and `current` (sent, awaiting its answer)
 * are touched only on the main thread; `current.worker` ties an answer to the
 * worker that was asked, so a late answer from a replaced worker is dropped.
 */

/** A hit as the daemon needs it: it maps catalog ids to virtual paths itself. */
export interface SearchHit {
  id: number;
}

export interface SearchResult {
  /** Catalog track ids of this page, best first (see search-sql.ts for the order). */
  ids: number[];
  /** Every match, counted up to COUNT_CAP (10,000). */
  total: number;
  /** From the call to the answer, queueing included. */
  tookMs: number;
  /** The catalog rows of the hits, in the order of `ids`. */
  records: TrackRecord[];
}

export interface CatalogSearcherOptions {
  /** A request running longer than this fails and its worker is replaced. Default 5000. */
  timeoutMs?: number;
}

/** Largest page of `search` and `searchAll`. */
export const SEARCH_PAGE_MAX = 10_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const WORKER_URL = new URL('./search-worker.js', import.meta.url);

type RequestBody = SearchWorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
type Answer = { ids: number[]; total: number; records: TrackRecord[] };

interface Task {
  body: RequestBody;
  /** undefined: the signal aborted before the request was sent. */
  resolve: (answer: Answer | undefined) => void;
  reject: (err: Error) => void;
  signal: AbortSignal | undefined;
}

interface Running {
  id: number;
  task: Task;
  worker: Worker;
  timer: NodeJS.Timeout;
}

export class CatalogSearcher implements AsyncDisposable {
  private readonly timeoutMs: number;
  private worker: Worker | undefined;
  private readonly queue: Task[] = [];
  private current: Running | undefined;
  private nextId = 1;
  private disposed = false;

  constructor(
    private readonly catalogFile: string,
    private readonly logger: Logger,
    options: CatalogSearcherOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** True while a worker thread exists (started and not yet gone). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /**
   * One page of matches. Rejects MusicFsError('QUERY_INVALID') when SQLite
   * refuses the query, 'INTERNAL' when the search itself fails or times out,
   * 'CANCELLED' after dispose().
   */
  async search(query: SearchQuery, limit: number, offset: number): Promise<SearchResult> {
    const started = performance.now();
    checkCount('limit', limit, 0);
    checkCount('offset', offset, 0, Number.MAX_SAFE_INTEGER);
    let answer: Answer = { ids: [], total: 0, records: [] };
    // Nothing to look for: answer at once, without waking the worker.
    if (buildFtsMatch(query) !== undefined) answer = (await this.request({ kind: 'search', query, limit, offset }, undefined))!;
    return { ids: answer.ids, total: answer.total, records: answer.records, tookMs: Math.round((performance.now() - started) * 100) / 100 };
  }

  /**
   * Every match, in catalog order, in pages of `pageSize` handed to `onPage`
   * as they come; resolves with the number of ids delivered. Each page is its
   * own short request (keyset paging on the id), so other searches run
   * between pages and a stream of 100,000 ids never holds the worker long.
   * When `signal` aborts, no further page is delivered and the promise
   * resolves with the count so far. An exception from `onPage` rejects.
   */
  async searchAll(query: SearchQuery, pageSize: number, onPage: (ids: number[], records: TrackRecord[]) => void, signal?: AbortSignal): Promise<number> {
    checkCount('pageSize', pageSize, 1);
    if (buildFtsMatch(query) === undefined) return 0;
    let delivered = 0;
    let afterId = 0;
    const aborted = (): boolean => signal?.aborted === true;
    while (!aborted()) {
      const page = await this.request({ kind: 'page', query, afterId, limit: pageSize }, signal);
      if (page === undefined || aborted()) break;
      if (page.ids.length > 0) {
        onPage(page.ids, page.records);
        delivered += page.ids.length;
        afterId = page.ids[page.ids.length - 1]!;
      }
      if (page.ids.length < pageSize) break;
    }
    return delivered;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const stopped = (): MusicFsError => new MusicFsError('CANCELLED', 'search stopped: the searcher was shut down');
    for (const task of this.queue.splice(0)) task.reject(stopped());
    if (this.current !== undefined) {
      clearTimeout(this.current.timer);
      this.current.task.reject(stopped());
      this.current = undefined;
    }
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  // ---- the queue ----

  private request(body: RequestBody, signal: AbortSignal | undefined): Promise<Answer | undefined> {
    if (this.disposed) return Promise.reject(new MusicFsError('CANCELLED', 'search stopped: the searcher was shut down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ body, resolve, reject, signal });
      this.pump();
    });
  }

  /** Sends the next request if the worker is free. */
  private pump(): void {
    if (this.disposed || this.current !== undefined) return;
    let task: Task | undefined;
    while ((task = this.queue.shift()) !== undefined && task.signal?.aborted === true) task.resolve(undefined);
    if (task === undefined) {
      // Idle: let the process exit around us.
      this.worker?.unref();
      return;
    }
    const worker = this.worker ?? this.spawn();
    // Busy: an awaited search keeps the process alive until it is answered.
    worker.ref();
    const id = this.nextId++;
    const timer = setTimeout(() => this.onTimeout(id), this.timeoutMs);
    timer.unref();
    this.current = { id, task, worker, timer };
    worker.postMessage({ id, ...task.body } as SearchWorkerRequest);
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_URL, { workerData: { catalogFile: this.catalogFile } satisfies SearchWorkerData });
    worker.on('message', (response: SearchWorkerResponse) => this.onResponse(worker, response));
    worker.on('error', (err) => this.onWorkerGone(worker, `the search worker crashed: ${err.message}`));
    worker.on('exit', (code) => this.onWorkerGone(worker, `the search worker exited (code ${code})`));
    this.worker = worker;
    return worker;
  }

  private onResponse(worker: Worker, response: SearchWorkerResponse): void {
    const current = this.current;
    if (current === undefined || current.worker !== worker || current.id !== response.id) return;
    clearTimeout(current.timer);
    this.current = undefined;
    if (response.ok) {
      current.task.resolve({ ids: response.ids, total: response.total, records: response.records });
    } else if (response.code === 'QUERY_INVALID') {
      current.task.reject(new MusicFsError('QUERY_INVALID', `the catalog refused the search: ${response.message}`));
    } else {
      // The connection may be what broke (a catalog moved aside, say): the next request gets a fresh one.
      this.logger.warn('search failed; restarting the search worker', { reason: response.message });
      this.retire(worker);
      current.task.reject(new MusicFsError('INTERNAL', `search failed: ${response.message}`));
    }
    this.pump();
  }

  private onTimeout(id: number): void {
    const current = this.current;
    if (current === undefined || current.id !== id) return;
    this.current = undefined;
    this.logger.warn('a search timed out; restarting the search worker', { timeoutMs: this.timeoutMs });
    this.retire(current.worker);
    current.task.reject(new MusicFsError('INTERNAL', `search took longer than ${this.timeoutMs} ms and was stopped`));
    this.pump();
  }

  /** The worker died on its own (its 'exit' after we retired it is ignored). */
  private onWorkerGone(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    if (this.disposed) return;
    this.logger.warn('the search worker stopped; starting another for the next search', { reason });
    const current = this.current;
    if (current?.worker === worker) {
      clearTimeout(current.timer);
      this.current = undefined;
      current.task.reject(new MusicFsError('INTERNAL', `search failed: ${reason}`));
    }
    this.pump();
  }

  private retire(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }
}

function checkCount(name: string, value: number, min: number, max = SEARCH_PAGE_MAX): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new MusicFsError('QUERY_INVALID', `${name} must be a whole number from ${min} to ${max}, not ${value}`);
  }
}
