/**
 * HMAC-signed webhooks: every daemon event that passes a `[[webhook]]`'s
 * filter is POSTed to it as JSON (see `serialiseEvent` for the body and
 * `WebhookSender.attempt` for the headers).
 *
 * Concurrency: one `WebhookSender` per webhook, each with its own queue, one
 * pump and its own keep-alive agent. A pump sends one delivery at a time, in
 * publish order, retrying it until it succeeds or gives up before taking the
 * next; senders share nothing, so a slow endpoint only delays itself.
 *
 * Memory: at most `maxQueue` events wait per webhook, plus the one being sent.
 * When the queue is full the OLDEST waiting event is dropped (the newest state
 * matters most) and counted. The body is serialised once per publish and the
 * same Buffer is shared by every webhook that takes the event.
 *
 * Secrets: the secret only keys the HMAC, and the URL as configured (userinfo,
 * query string) only reaches the request. Logs, stats and observer hooks see
 * `safeUrl` (scheme, host and path only).
 *
 * Timers (backoff, per-attempt deadline, dispose grace) are unref()ed: a
 * pending retry never keeps the process alive by itself.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../base/logger.js';
import type { AsyncDisposable } from '../base/lifecycle.js';
import { MusicFsError, describeError } from '../../../src-shared/errors.js';
import { signBody } from './webhook-signature.js';

export { signBody, verifySignature } from './webhook-signature.js';

export interface WebhookConfig {
  /** http:// or https:// */
  url: string;
  /** HMAC key; never logged. */
  secret: string;
  /** Event types to send; empty = all. */
  events: string[];
  /** Deadline of one attempt, response body included. */
  timeoutMs: number;
  /** Events waiting per webhook (default 1000); the oldest are dropped beyond. */
  maxQueue?: number;
  /** Default 6 (first try + 5 retries). */
  maxAttempts?: number;
}

export interface WebhookEvent {
  type: string;
  /** ms since epoch */
  timestamp: number;
  origin?: string;
  data: unknown;
}

export interface WebhookStats {
  /** Without userinfo or query string. */
  url: string;
  queued: number;
  delivered: number;
  /** Gave up: permanent rejection (4xx) or maxAttempts used. */
  failed: number;
  /** Queue full: the oldest waiting event was dropped. */
  dropped: number;
  lastError?: string;
  lastStatus?: number;
}

/** Hooks for metrics; `url` is the redacted URL. A hook that throws is ignored. */
export interface WebhookObserver {
  onDelivered?(url: string, attempt: number, ms: number): void;
  onFailedAttempt?(url: string, attempt: number, reason: string): void;
  onGaveUp?(url: string, reason: string): void;
  onDropped?(url: string): void;
}

export interface WebhookDispatcherOptions {
  retryBaseMs?: number;
  retryMaxMs?: number;
  now?: () => number;
}

export const DEFAULT_WEBHOOK_MAX_QUEUE = 1000;
export const DEFAULT_WEBHOOK_MAX_ATTEMPTS = 6;
const DEFAULT_RETRY_BASE_MS = 1000;
const DEFAULT_RETRY_MAX_MS = 60_000;
const DEFAULT_DISPOSE_GRACE_MS = 2000;
const RETRY_JITTER = 0.2;
const DROP_WARNING_INTERVAL_MS = 60_000;
const USER_AGENT = 'MusicFS-Webhook/1';

/** One event as it will be sent to one webhook; `id` stays the same across retries. */
interface Delivery {
  readonly id: string;
  readonly type: string;
  readonly body: Buffer;
}

type AttemptResult =
  | { ok: true; status: number }
  | { ok: false; retry: boolean; reason: string; status?: number; retryAfterMs?: number };

/** What a sender needs of its dispatcher. */
interface SenderEnv {
  logger: Logger;
  observer: WebhookObserver;
  retryBaseMs: number;
  retryMaxMs: number;
  now: () => number;
  /** Called whenever this sender's pump stops. */
  onIdle: () => void;
}

export class WebhookDispatcher implements AsyncDisposable {
  private readonly senders: readonly WebhookSender[];
  private readonly logger: Logger;
  private idleWaiters: (() => void)[] = [];
  private disposing: Promise<void> | undefined;

  constructor(configs: readonly WebhookConfig[], logger: Logger, observer: WebhookObserver = {}, options: WebhookDispatcherOptions = {}) {
    this.logger = logger;
    const retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    const retryMaxMs = options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS;
    if (!(Number.isFinite(retryBaseMs) && retryBaseMs >= 0)) throw new MusicFsError('CONFIG_INVALID', `webhook retryBaseMs: must be a number >= 0, got ${retryBaseMs}`);
    if (!(Number.isFinite(retryMaxMs) && retryMaxMs >= 0)) throw new MusicFsError('CONFIG_INVALID', `webhook retryMaxMs: must be a number >= 0, got ${retryMaxMs}`);
    // Validate every entry before building anything, so a bad one leaves nothing behind.
    const targets = configs.map((config, index) => validateConfig(config, index));
    const env: SenderEnv = { logger, observer, retryBaseMs, retryMaxMs, now: options.now ?? Date.now, onIdle: () => this.checkIdle() };
    this.senders = configs.map((config, index) => new WebhookSender(config, targets[index]!, env));
  }

  /** Never throws, never blocks: filters, serialises once and enqueues. */
  publish(event: WebhookEvent): void {
    if (this.disposing) return;
    try {
      if (typeof event.type !== 'string' || !/^[\x21-\x7e]+$/.test(event.type)) {
        this.logger.warn('webhook event with an invalid type not sent', { event: String(event.type) });
        return;
      }
      const targets = this.senders.filter((s) => s.accepts(event.type));
      if (targets.length === 0) return;
      const body = serialiseEvent(event);
      for (const sender of targets) sender.enqueue(event.type, body);
    } catch (err) {
      // JSON.stringify (BigInt, cycles) or toISOString (bad timestamp).
      this.logger.warn('webhook event could not be serialised; not sent', { event: String(event?.type), error: describeError(err) });
    }
  }

  stats(): WebhookStats[] {
    return this.senders.map((s) => s.stats());
  }

  /** Resolves when every queue is empty and nothing is in flight or waiting to retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops: waits up to `graceMs` for in-flight deliveries, drops the rest. Idempotent. */
  dispose(graceMs: number = DEFAULT_DISPOSE_GRACE_MS): Promise<void> {
    this.disposing ??= this.shutdown(graceMs);
    return this.disposing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    for (const sender of this.senders) sender.close();
    const pumps = Promise.all(this.senders.map((s) => s.done));
    if (!(await settlesWithin(pumps, graceMs))) {
      for (const sender of this.senders) sender.abortInFlight();
      await pumps;
    }
    for (const sender of this.senders) sender.release();
    this.checkIdle();
  }

  private isIdle(): boolean {
    return this.senders.every((s) => !s.busy);
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

class WebhookSender {
  readonly safeUrl: string;
  private readonly target: URL;
  private readonly filter: ReadonlySet<string> | undefined;
  private readonly maxQueue: number;
  private readonly maxAttempts: number;
  private readonly agent: http.Agent;
  private readonly request: (url: URL, options: http.RequestOptions) => http.ClientRequest;

  // Queue and pump state (main thread only).
  private readonly queue: Delivery[] = [];
  /** A pump is scheduled or running; false means queue empty and nothing in flight. */
  private pumping = false;
  private closed = false;
  private pumpDone: Promise<void> = Promise.resolve();

  // What dispose() must cancel.
  private activeRequest: http.ClientRequest | undefined;
  private cancelBackoff: (() => void) | undefined;

  // Counters for stats() and logs.
  private delivered = 0;
  private failed = 0;
  private dropped = 0;
  private discarded = 0;
  private lastError: string | undefined;
  private lastStatus: number | undefined;
  private dropsSinceWarning = 0;
  private lastDropWarningAtMs: number | undefined;

  constructor(
    private readonly config: WebhookConfig,
    target: URL,
    private readonly env: SenderEnv,
  ) {
    this.target = target;
    this.safeUrl = redactUrl(target);
    this.filter = config.events.length > 0 ? new Set(config.events) : undefined;
    this.maxQueue = config.maxQueue ?? DEFAULT_WEBHOOK_MAX_QUEUE;
    this.maxAttempts = config.maxAttempts ?? DEFAULT_WEBHOOK_MAX_ATTEMPTS;
    const isHttps = target.protocol === 'https:';
    // maxSockets 1: deliveries are sequential anyway; keep-alive reuses the connection.
    this.agent = isHttps ? new https.Agent({ keepAlive: true, maxSockets: 1 }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.request = isHttps ? https.request : http.request;
  }

  get busy(): boolean {
    return this.pumping;
  }

  get done(): Promise<void> {
    return this.pumpDone;
  }

  accepts(type: string): boolean {
    return !this.closed && (this.filter === undefined || this.filter.has(type));
  }

  enqueue(type: string, body: Buffer): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift();
      this.noteDrop();
    }
    this.queue.push({ id: randomUUID(), type, body });
    if (!this.pumping) {
      this.pumping = true;
      // Start on a microtask: a synchronous burst is queued (and trimmed) whole first.
      this.pumpDone = Promise.resolve().then(() => this.pump());
    }
  }

  stats(): WebhookStats {
    const s: WebhookStats = { url: this.safeUrl, queued: this.queue.length, delivered: this.delivered, failed: this.failed, dropped: this.dropped };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    if (this.lastStatus !== undefined) s.lastStatus = this.lastStatus;
    return s;
  }

  /** No new events; waiting ones and a pending retry are discarded. The request in flight continues. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.discarded += this.queue.length;
    this.queue.length = 0;
    this.cancelBackoff?.();
  }

  abortInFlight(): void {
    this.activeRequest?.destroy(new Error('webhook dispatcher disposed'));
  }

  /** After the pump has stopped: closes kept-alive sockets. */
  release(): void {
    this.agent.destroy();
    if (this.discarded > 0) this.env.logger.info('webhook stopped with undelivered events', { url: this.safeUrl, discarded: this.discarded });
    if (this.dropsSinceWarning > 0) this.env.logger.warn('webhook queue was full; dropped the oldest events', { url: this.safeUrl, dropped: this.dropsSinceWarning, droppedTotal: this.dropped });
    this.dropsSinceWarning = 0;
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const delivery = this.queue.shift();
        if (delivery === undefined) break;
        try {
          await this.deliver(delivery);
        } catch (err) {
          // deliver() handles every expected failure; this is a bug, not the endpoint.
          this.failed++;
          this.env.logger.error('webhook delivery crashed', { url: this.safeUrl, event: delivery.type, delivery: delivery.id, error: describeError(err) });
        }
      }
    } finally {
      this.pumping = false;
      this.env.onIdle();
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const { logger, observer } = this.env;
    const fields = { url: this.safeUrl, event: delivery.type, delivery: delivery.id };
    // The same bytes go out on every attempt, so one signature serves them all.
    const signature = signBody(this.config.secret, delivery.body);
    for (let attempt = 1; ; attempt++) {
      const startedMs = this.env.now();
      const result = await this.attempt(delivery, signature);
      if (result.ok) {
        this.delivered++;
        this.lastStatus = result.status;
        notify(() => observer.onDelivered?.(this.safeUrl, attempt, Math.max(0, this.env.now() - startedMs)));
        logger.debug('webhook delivered', { ...fields, attempt, status: result.status });
        return;
      }
      if (this.closed && result.retry) {
        // Aborted by dispose(), or failed during its grace period: no retry, and not counted as failed.
        this.discarded++;
        return;
      }
      this.lastError = result.reason;
      if (result.status !== undefined) this.lastStatus = result.status;
      notify(() => observer.onFailedAttempt?.(this.safeUrl, attempt, result.reason));
      if (!result.retry) {
        this.failed++;
        notify(() => observer.onGaveUp?.(this.safeUrl, result.reason));
        logger.warn('webhook endpoint rejected an event; not retrying', { ...fields, status: result.status });
        return;
      }
      if (attempt >= this.maxAttempts) {
        this.failed++;
        notify(() => observer.onGaveUp?.(this.safeUrl, result.reason));
        logger.warn('webhook delivery failed; giving up', { ...fields, attempts: attempt, reason: result.reason });
        return;
      }
      const waitMs = result.retryAfterMs ?? backoffMs(attempt, this.env.retryBaseMs, this.env.retryMaxMs);
      logger.debug('webhook attempt failed; retrying', { ...fields, attempt, reason: result.reason, waitMs });
      if (!(await this.sleep(waitMs))) {
        this.discarded++;
        return;
      }
    }
  }

  /** One POST. Resolves (never rejects) once the response body is drained or the attempt failed. */
  private attempt(delivery: Delivery, signature: string): Promise<AttemptResult> {
    return new Promise((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (result: AttemptResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.activeRequest = undefined;
        resolve(result);
      };
      let req: http.ClientRequest;
      try {
        req = this.request(this.target, {
          method: 'POST',
          agent: this.agent,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': delivery.body.length,
            'User-Agent': USER_AGENT,
            'X-MusicFS-Event': delivery.type,
            'X-MusicFS-Delivery': delivery.id,
            'X-MusicFS-Signature': signature,
          },
        });
      } catch (err) {
        finish({ ok: false, retry: false, reason: describeError(err) });
        return;
      }
      this.activeRequest = req;
      timer = setTimeout(() => req.destroy(new Error(`timed out after ${this.config.timeoutMs} ms`)), this.config.timeoutMs);
      timer.unref();
      let responded = false;
      req.on('response', (res) => {
        responded = true;
        // The status decides; the body is drained only so the socket can be reused.
        const result = this.classify(res);
        res.resume();
        res.once('end', () => finish(result));
        res.once('close', () => finish(result));
        res.once('error', () => finish(result));
      });
      req.on('error', (err) => {
        if (!responded) finish({ ok: false, retry: true, reason: describeError(err) });
      });
      req.on('close', () => {
        if (!responded) finish({ ok: false, retry: true, reason: 'connection closed before a response' });
      });
      req.end(delivery.body);
    });
  }

  private classify(res: http.IncomingMessage): AttemptResult {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return { ok: true, status };
    const reason = `HTTP ${status}`;
    if (status === 408 || status === 429 || status >= 500) {
      const result: AttemptResult = { ok: false, retry: true, reason, status };
      if (status === 429 || status === 503) {
        const retryAfterMs = parseRetryAfterMs(res.headers['retry-after'], this.env.now());
        if (retryAfterMs !== undefined) result.retryAfterMs = Math.min(retryAfterMs, this.env.retryMaxMs);
      }
      return result;
    }
    // Other 4xx, and 3xx (redirects are not followed): retrying will not help.
    return { ok: false, retry: false, reason, status };
  }

  /** Resolves true after `ms`, false at once if close() cancels the wait. */
  private sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.cancelBackoff = undefined;
        resolve(true);
      }, ms);
      timer.unref();
      this.cancelBackoff = () => {
        clearTimeout(timer);
        this.cancelBackoff = undefined;
        resolve(false);
      };
    });
  }

  private noteDrop(): void {
    this.dropped++;
    this.dropsSinceWarning++;
    notify(() => this.env.observer.onDropped?.(this.safeUrl));
    const nowMs = this.env.now();
    if (this.lastDropWarningAtMs !== undefined && nowMs - this.lastDropWarningAtMs < DROP_WARNING_INTERVAL_MS) return;
    this.env.logger.warn('webhook queue full; dropping the oldest events', {
      url: this.safeUrl,
      dropped: this.dropsSinceWarning,
      droppedTotal: this.dropped,
      maxQueue: this.maxQueue,
    });
    this.lastDropWarningAtMs = nowMs;
    this.dropsSinceWarning = 0;
  }
}

function validateConfig(config: WebhookConfig, index: number): URL {
  const where = `webhook[${index}]`;
  const invalid = (key: string, problem: string): MusicFsError => new MusicFsError('CONFIG_INVALID', `${where}.${key}: ${problem}`);
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    // Not echoed: an unparsable URL cannot be redacted and may hold a token.
    throw invalid('url', 'not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('url', `must be an http:// or https:// URL, got ${url.protocol}//`);
  if (typeof config.secret !== 'string' || config.secret.length === 0) throw invalid('secret', 'must not be empty');
  if (!Array.isArray(config.events) || !config.events.every((e) => typeof e === 'string')) throw invalid('events', 'must be a list of event types');
  if (!(Number.isFinite(config.timeoutMs) && config.timeoutMs > 0)) throw invalid('timeoutMs', `must be a positive number, got ${config.timeoutMs}`);
  if (config.maxQueue !== undefined && !(Number.isInteger(config.maxQueue) && config.maxQueue >= 1)) throw invalid('maxQueue', `must be an integer >= 1, got ${config.maxQueue}`);
  if (config.maxAttempts !== undefined && !(Number.isInteger(config.maxAttempts) && config.maxAttempts >= 1)) throw invalid('maxAttempts', `must be an integer >= 1, got ${config.maxAttempts}`);
  return url;
}

/** The exact body: `{"type","timestamp" (ISO 8601),"origin" (when set),"data"}`. */
function serialiseEvent(event: WebhookEvent): Buffer {
  const payload: Record<string, unknown> = { type: event.type, timestamp: new Date(event.timestamp).toISOString() };
  if (event.origin !== undefined) payload['origin'] = event.origin;
  payload['data'] = event.data ?? null;
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** Scheme, host and path: no userinfo, query string or fragment. */
function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** base·2^(attempt-1), capped, ±20% jitter (never above the cap). */
function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const capped = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  const jitter = 1 - RETRY_JITTER + 2 * RETRY_JITTER * Math.random();
  return Math.min(maxMs, Math.round(capped * jitter));
}

/** `Retry-After` as delay-seconds or an HTTP date; undefined when absent or unreadable. */
function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const atMs = Date.parse(text);
  return Number.isFinite(atMs) ? Math.max(0, atMs - nowMs) : undefined;
}

/** Observer hooks are someone else's code: a throw must not stop a sender. */
function notify(hook: () => void): void {
  try {
    hook();
  } catch {
    // ignored on purpose
  }
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
