import type { AnyAuthMethod, Client, ConnectConfig, ServerHostKeyAlgorithm, SFTPWrapper } from 'ssh2';
import type SftpClient from 'ssh2-sftp-client';
import { OriginError, type OriginErrorContext } from '../origin-error.js';
import { checkHostKey, describeHostKeyRefusal, hostPort, knownKeyTypes, readKnownHosts } from './known-hosts.js';
import { CredentialsError, describeLoginMethods, loadSftpCredentials, type SftpCredentials } from './sftp-credentials.js';
import { connectAdvice, failureOfConnectError } from './sftp-errors.js';
import type { SftpLocation } from '../../../../src-shared/origin-location.js';

/**
 * One SSH connection with its SFTP session (ssh2-sftp-client over ssh2).
 *
 * The connect checks the server's host key against known_hosts before any
 * credential is sent, then logs in (identity file, ssh-agent, password — see
 * sftp-credentials.ts). Keepalives notice a silently dead peer; a connection
 * that ends for any reason is `alive = false` for good and its `onClose`
 * listeners run once: the pool drops it and opens a fresh one next time.
 *
 * ssh2 and ssh2-sftp-client are loaded on the first connect (heavy; most
 * daemons have no SFTP origin).
 */

export interface SftpEndpoint {
  location: SftpLocation;
  /** Origin name, for error contexts. */
  originName: string;
  knownHostsFile: string;
  /** Handshake + login + SFTP session must be done within this. */
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  env?: NodeJS.ProcessEnv;
}

export const CONNECT_TIMEOUT_MS = 15_000;
export const KEEPALIVE_INTERVAL_MS = 10_000;
export const KEEPALIVE_COUNT_MAX = 3;
/** A graceful end that takes longer than this is cut (socket destroyed). */
const END_TIMEOUT_MS = 2_000;

// ssh2's own default host key algorithm order (lib/protocol/constants.js);
// the ones known for the host go first.
const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

export class SftpConnection {
  private isAlive = true;
  private readonly closeListeners = new Set<() => void>();

  private constructor(
    private readonly client: SftpClient,
    readonly sftp: SFTPWrapper,
    /** `host:port`, for messages. */
    readonly where: string,
  ) {}

  get alive(): boolean {
    return this.isAlive;
  }

  /** Runs `listener` once when the connection ends (at once if it has). Returns the unsubscribe. */
  onClose(listener: () => void): () => void {
    if (!this.isAlive) {
      listener();
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /**
   * `work` (an SFTP request already sent on this connection), rejected with
   * an ECONNRESET error if the connection ends first and with `stopped()` if
   * `signal` fires first. The request itself cannot be recalled: its late answer is
   * ignored.
   */
  guard<T>(work: Promise<T>, signal: AbortSignal | undefined, stopped: () => Error): Promise<T> {
    if (signal?.aborted) {
      work.catch(() => undefined);
      return Promise.reject(stopped());
    }
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(stopped());
      };
      const unsubscribe = this.onClose(() => {
        done();
        // Plain, like the library's own errors: the caller names the operation and path.
        reject(Object.assign(new Error(`connection to ${this.where} dropped`), { code: 'ECONNRESET' }));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          done();
          resolve(value);
        },
        (err: unknown) => {
          done();
          reject(err);
        },
      );
    });
  }

  /** Ends the connection (SSH disconnect); destroys the socket if that takes too long. Safe to call twice. */
  async end(): Promise<void> {
    if (!this.isAlive) {
      rawClientOf(this.client).destroy();
      return;
    }
    const closed = new Promise<void>((resolve) => this.onClose(resolve));
    const timer = setTimeout(() => rawClientOf(this.client).destroy(), END_TIMEOUT_MS);
    timer.unref();
    this.client.end().catch(() => rawClientOf(this.client).destroy());
    await closed;
    clearTimeout(timer);
  }

  /** Drops the connection at once, without a goodbye. */
  destroy(): void {
    rawClientOf(this.client).destroy();
  }

  private markClosed(): void {
    if (!this.isAlive) return;
    this.isAlive = false;
    for (const listener of [...this.closeListeners]) listener();
    this.closeListeners.clear();
  }

  /** Connects, verifies the host key, logs in and starts SFTP; rejects with an OriginError saying what failed. */
  static async open(endpoint: SftpEndpoint, signal?: AbortSignal): Promise<SftpConnection> {
    const { host, port } = endpoint.location;
    const where = hostPort(host, port);
    const context: OriginErrorContext = { origin: endpoint.originName, operation: 'connect' };
    const stopped = (): OriginError => new OriginError('aborted', `${where}: connect stopped`, context, { cause: signal?.reason });
    if (signal?.aborted) throw stopped();

    let knownHosts;
    try {
      knownHosts = await readKnownHosts(endpoint.knownHostsFile);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new OriginError('host_key', `${where}: known_hosts file ${endpoint.knownHostsFile} cannot be read (${why})`, context, { cause: err });
    }
    const ssh2 = (await import('ssh2')).default;
    let creds: SftpCredentials;
    try {
      creds = await loadSftpCredentials(endpoint.location, { env: endpoint.env, checkKey: (key) => describeKeyProblem(ssh2.utils.parseKey(key)) });
    } catch (err) {
      if (err instanceof CredentialsError) throw new OriginError('auth', `${where}: ${err.message}`, context, { cause: err });
      throw err;
    }
    const { default: SftpClientClass } = await import('ssh2-sftp-client');
    // No await from here to the connect: the abort listener below sees every abort after this check.
    if (signal?.aborted) throw stopped();
    // ssh2-sftp-client's default global listeners print to the console; ours
    // are on the raw client below.
    const client = new SftpClientClass('musicfs', { error: () => undefined, end: () => undefined, close: () => undefined });
    const raw = rawClientOf(client);
    let refusal: string | undefined;
    let firstError: unknown;
    let connection: SftpConnection | undefined;
    let closedEarly = false;
    const onClose = (): void => {
      if (connection) connection.markClosed();
      else closedEarly = true;
    };
    raw.on('error', (err: unknown) => (firstError ??= err));
    raw.on('close', onClose);
    raw.on('end', onClose);

    const knownTypes = knownKeyTypes(knownHosts, host, port);
    const preferred = HOST_KEY_ALGORITHMS.filter((a) => knownTypes.some((t) => algorithmFitsKeyType(a, t)));
    const config: ConnectConfig = {
      host,
      port,
      username: creds.username,
      readyTimeout: endpoint.connectTimeoutMs,
      keepaliveInterval: endpoint.keepaliveIntervalMs,
      keepaliveCountMax: endpoint.keepaliveCountMax,
      // Without hostHash, ssh2 hands over the raw key blob.
      hostVerifier: (key: Buffer): boolean => {
        refusal = describeHostKeyRefusal(checkHostKey(knownHosts, host, port, key), { host, port, key, knownHostsFile: endpoint.knownHostsFile });
        return refusal === undefined;
      },
      authHandler: authMethods(creds),
      ...(preferred.length > 0 ? { algorithms: { serverHostKey: [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))] } } : {}),
    };

    // One deadline over handshake, login and the SFTP subsystem (readyTimeout
    // stops at login; a server can still stall the subsystem request).
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      raw.destroy();
    }, endpoint.connectTimeoutMs);
    deadline.unref();
    const onAbort = (): void => {
      raw.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const sftp = await client.connect(config);
      if (closedEarly) throw Object.assign(new Error('connection closed right after login'), { code: 'ECONNRESET' });
      connection = new SftpConnection(client, sftp, where);
      // The SFTP channel can end while SSH stays up (sftp-server killed, server
      // limits): the connection is no use then. 'end' is emitted in the same
      // tick that fails the requests still waiting, so they see it dead.
      const onSftpGone = (): void => {
        connection?.markClosed();
        raw.destroy();
      };
      sftp.on('end', onSftpGone);
      sftp.on('close', onSftpGone);
      return connection;
    } catch (err) {
      raw.destroy();
      if (signal?.aborted) throw stopped();
      if (refusal !== undefined) throw new OriginError('host_key', refusal, context, { cause: firstError ?? err });
      if (timedOut) throw new OriginError('timeout', `${where}: ${connectAdvice('timeout')}`, context, { cause: err });
      const cause = firstError ?? err;
      const failure = failureOfConnectError(cause);
      if (failure === 'auth') {
        const user = creds.username;
        const unusable = creds.unusable.length > 0 ? `; ${creds.unusable.join('; ')}` : '';
        throw new OriginError('auth', `${where}: login as ${user} failed (tried: ${describeLoginMethods(creds)})${unusable}`, context, { cause });
      }
      const detail = (cause as Error | undefined)?.message;
      const advice = connectAdvice(failure);
      throw new OriginError(failure, `${where}: cannot connect: ${advice}${detail && !advice.includes(detail) ? ` (${detail})` : ''}`, context, { cause });
    } finally {
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** The login attempts in order: each identity, the agent, then the password two ways. */
function authMethods(creds: SftpCredentials): AnyAuthMethod[] {
  const username = creds.username;
  const methods: AnyAuthMethod[] = creds.identities.map((i) => ({ type: 'publickey', username, key: i.privateKey }));
  if (creds.agent !== undefined) methods.push({ type: 'agent', username, agent: creds.agent });
  const password = creds.password;
  if (password !== undefined) {
    methods.push({ type: 'password', username, password });
    // Servers that take passwords through PAM ask with keyboard-interactive.
    methods.push({
      type: 'keyboard-interactive',
      username,
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map((p) => (p.echo === true ? '' : password))),
    });
  }
  return methods;
}

function algorithmFitsKeyType(algorithm: string, keyType: string): boolean {
  return keyType === 'ssh-rsa' ? algorithm.startsWith('rsa-sha2-') || algorithm === 'ssh-rsa' : algorithm === keyType;
}

function describeKeyProblem(parsed: unknown): string | undefined {
  if (parsed instanceof Error) {
    return /encrypted|passphrase/i.test(parsed.message)
      ? 'is protected by a passphrase (add it to ssh-agent with ssh-add instead)'
      : `cannot be used (${parsed.message})`;
  }
  const key = (Array.isArray(parsed) ? parsed[0] : parsed) as { isPrivateKey?: () => boolean } | undefined;
  return key?.isPrivateKey?.() === true ? undefined : 'is not a private key (the .pub file?)';
}

/** ssh2-sftp-client keeps the ssh2 Client in `client`; its typings do not say so. */
function rawClientOf(client: SftpClient): Client {
  return (client as unknown as { client: Client }).client;
}
