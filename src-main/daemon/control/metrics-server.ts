/**
 * The metrics HTTP endpoint, started only when `[metrics] listen` is set:
 *
 *   GET /metrics  Prometheus text exposition (`registry.contentType`)
 *   GET /healthz  200 "ok" while the process runs
 *   GET /readyz   200 "ready" when `readiness()` says so, else 503 and its reason
 *
 * HEAD works wherever GET does; other methods get 405, other paths 404. Every
 * answer but /metrics is one line of text/plain; a failure is one line too,
 * never a stack.
 *
 * Ownership: the daemon owns the server; `dispose()` stops listening and
 * destroys every open connection, keep-alive ones included, so shutdown (and
 * a test) never waits for a scraper to hang up.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import type { AddressInfo } from 'node:net';
import { MusicFsError, describeError } from '../../../src-shared/errors.js';
import type { Logger } from '../base/logger.js';
import type { Metrics } from './metrics.js';

export interface MetricsServerOptions {
  /** "host:port", "[::1]:9464", or ":9464" (= 127.0.0.1). */
  listen: string;
  metrics: Metrics;
  readiness: () => { ready: boolean; reason?: string };
}

const DEFAULT_HOST = '127.0.0.1';
const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const PORT_RE = /^\d{1,5}$/;

/** Parses `[metrics] listen`; throws `CONFIG_INVALID` with one sentence for anything else. */
export function parseListen(listen: string): { host: string; port: number } {
  const bad = (why: string): MusicFsError =>
    new MusicFsError(
      'CONFIG_INVALID',
      `metrics.listen "${listen}": ${why} (expected "host:port", "[ipv6]:port" or ":port")`,
      { operation: 'metrics.listen' },
    );
  const value = listen.trim();
  let host: string;
  let portText: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0 || value[close + 1] !== ':') throw bad('an IPv6 address must be written [address]:port');
    host = value.slice(1, close);
    portText = value.slice(close + 2);
    if (!isIPv6(host)) throw bad(`"${host}" is not an IPv6 address`);
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) throw bad('the port is missing');
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (host.includes(':')) throw bad('an IPv6 address must be written in brackets');
    if (host === '') host = DEFAULT_HOST;
    else if (!HOSTNAME_RE.test(host)) throw bad(`"${host}" is not a host name or address`);
  }
  if (!PORT_RE.test(portText)) throw bad(portText === '' ? 'the port is missing' : `"${portText}" is not a port`);
  const port = Number(portText);
  if (port > 65535) throw bad(`port ${port} is out of range (0-65535)`);
  return { host, port };
}

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One sentence for the errors listen() gives, e.g. "address already in use". */
function describeListenError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return 'address already in use';
    case 'EACCES':
      return 'permission denied (ports below 1024 need privileges)';
    case 'EADDRNOTAVAIL':
      return 'address not available on this machine';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    default:
      return describeError(err);
  }
}

export class MetricsServer {
  private disposing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /**
   * Listens and resolves once bound. Rejects with `CONFIG_INVALID` for an
   * unparsable `listen` and for an address it cannot bind
   * ("metrics.listen 127.0.0.1:9464: address already in use").
   */
  static async start(options: MetricsServerOptions, logger: Logger): Promise<MetricsServer> {
    const { host, port } = parseListen(options.listen);
    const server = createServer((req, res) => {
      handle(req, res, options, logger).catch((err: unknown) => {
        logger.warn('metrics request failed', { error: describeError(err) });
        if (!res.headersSent) reply(res, 500, oneLine(describeError(err)));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: unknown): void => {
        server.close();
        reject(
          new MusicFsError(
            'CONFIG_INVALID',
            `metrics.listen ${formatHostPort(host, port)}: ${describeListenError(err)}`,
            { operation: 'metrics.listen' },
            { cause: err },
          ),
        );
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    // After binding, an error (rare) is logged, never thrown at nobody.
    server.on('error', (err) => logger.warn('metrics server error', { error: describeError(err) }));
    const address = server.address() as AddressInfo;
    const url = `http://${formatHostPort(host, address.port)}/metrics`;
    logger.info('metrics listening', { url });
    return new MetricsServer(server, url);
  }

  /** Stops listening and closes every connection, idle keep-alive ones included. Idempotent. */
  dispose(): Promise<void> {
    this.disposing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.disposing;
  }
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: MetricsServerOptions,
  logger: Logger,
): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') {
    reply(res, 404, 'not found');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    reply(res, 405, 'method not allowed');
    return;
  }
  switch (path) {
    case '/healthz':
      reply(res, 200, 'ok');
      return;
    case '/readyz': {
      let state: { ready: boolean; reason?: string };
      try {
        state = options.readiness();
      } catch (err) {
        state = { ready: false, reason: describeError(err) };
      }
      if (state.ready) reply(res, 200, 'ready');
      else reply(res, 503, oneLine(state.reason ?? '') || 'not ready');
      return;
    }
    case '/metrics': {
      let body: string;
      try {
        body = await options.metrics.render();
      } catch (err) {
        const message = oneLine(`metrics render failed: ${describeError(err)}`);
        logger.warn(message);
        reply(res, 500, message);
        return;
      }
      reply(res, 200, body, options.metrics.contentType);
      return;
    }
  }
}

function reply(res: ServerResponse, status: number, body: string, contentType?: string): void {
  const text = contentType === undefined ? body + '\n' : body;
  res.writeHead(status, {
    'Content-Type': contentType ?? 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  // Node sends no body for HEAD by itself; the length stays that of GET.
  res.end(text);
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
