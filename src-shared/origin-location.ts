/**
 * Where an origin lives, parsed from what users write: a local path, an
 * `s3://` or `sftp://` URL (`--origin`, `musicfs origin add`), or an
 * `[[origin]]` table of config.toml. Pure: no I/O, so the CLI can validate
 * before it talks to the daemon and the daemon and docs agree on one syntax.
 *
 *   s3://BUCKET/PREFIX?endpoint=URL&region=R&path_style=1&profile=P
 *   sftp://USER@HOST:PORT/PATH?identity=KEYFILE&known_hosts=FILE
 *        &password_file=FILE&password_env=VAR&connections=4&agent=0
 *
 * Secrets never live here: AWS credentials come from the AWS chain (env,
 * shared credentials file, profile), SSH passwords from a file or a variable,
 * and a password written into a URL is refused (it would end up in shell
 * history, process lists and config.toml).
 */

export type OriginType = 'local' | 's3' | 'sftp';

export interface LocalLocation {
  type: 'local';
  /** As given; the daemon resolves it to a real absolute path. */
  path: string;
}

export interface S3Location {
  type: 's3';
  bucket: string;
  /** Key prefix without leading or trailing '/'; '' = the whole bucket. */
  prefix: string;
  /** Custom endpoint (MinIO, Backblaze, Wasabi...), e.g. http://127.0.0.1:9000. */
  endpoint?: string;
  region?: string;
  /** Bucket in the path (http://host/bucket/key) instead of the host name: MinIO and friends need it. */
  pathStyle: boolean;
  /** Profile of the shared AWS config/credentials files. */
  profile?: string;
}

export interface SftpLocation {
  type: 'sftp';
  host: string;
  port: number;
  /** Login name; undefined = the local user's name. */
  user?: string;
  /** Folder on the server: absolute ('/srv/music') or relative to the login folder ('' = the login folder). */
  path: string;
  /** Private key file. */
  identity?: string;
  /** known_hosts file the host key is checked against; undefined = ~/.ssh/known_hosts. */
  knownHosts?: string;
  /** File holding the password (first line). */
  passwordFile?: string;
  /** Environment variable holding the password. */
  passwordEnv?: string;
  /** Use ssh-agent ($SSH_AUTH_SOCK) when it is set (default true). */
  agent: boolean;
  /** Connections in the pool. */
  connections: number;
}

export type OriginLocation = LocalLocation | S3Location | SftpLocation;

export const DEFAULT_SFTP_PORT = 22;
export const DEFAULT_SFTP_CONNECTIONS = 4;
const MAX_SFTP_CONNECTIONS = 32;

export class OriginLocationError extends Error {
  override readonly name = 'OriginLocationError';
}

const S3_PARAMS = ['endpoint', 'region', 'path_style', 'profile'] as const;
const SFTP_PARAMS = ['identity', 'known_hosts', 'password_file', 'password_env', 'connections', 'agent'] as const;

export function isOriginUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/** Parses a local path or an origin URL; throws OriginLocationError saying what is wrong. */
export function parseOriginLocation(text: string): OriginLocation {
  const trimmed = text.trim();
  if (trimmed === '') throw new OriginLocationError('an origin needs a folder or a URL');
  if (!isOriginUrl(trimmed)) return { type: 'local', path: trimmed };
  const scheme = trimmed.slice(0, trimmed.indexOf(':')).toLowerCase();
  if (scheme === 'file') return { type: 'local', path: decodeURIComponent(trimmed.replace(/^file:\/\//i, '')) };
  if (scheme !== 's3' && scheme !== 'sftp') {
    throw new OriginLocationError(`${redactOriginUrl(trimmed)}: unsupported origin type "${scheme}" (use a local folder, s3://BUCKET/PREFIX or sftp://USER@HOST/PATH)`);
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new OriginLocationError(`${redactOriginUrl(trimmed)} is not a valid URL`);
  }
  if (url.password !== '') {
    throw new OriginLocationError(
      `${redactOriginUrl(trimmed)}: do not put a password in the URL (it ends up in shell history and config.toml); use ?password_file=FILE or ?password_env=VARIABLE`,
    );
  }
  const params = readParams(url, scheme === 's3' ? S3_PARAMS : SFTP_PARAMS, redactOriginUrl(trimmed));
  return scheme === 's3' ? s3FromUrl(url, params) : sftpFromUrl(url, params);
}

function readParams(url: URL, known: readonly string[], shown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (!known.includes(key)) throw new OriginLocationError(`${shown}: unknown option "${key}" (known: ${known.join(', ')})`);
    out.set(key, value);
  }
  return out;
}

function s3FromUrl(url: URL, params: Map<string, string>): S3Location {
  const bucket = decodeURIComponent(url.hostname);
  return validateS3({
    type: 's3',
    bucket,
    prefix: trimSlashes(decodeURIComponent(url.pathname)),
    endpoint: params.get('endpoint'),
    region: params.get('region'),
    pathStyle: parseFlag(params.get('path_style'), 'path_style', false),
    profile: params.get('profile'),
  });
}

function sftpFromUrl(url: URL, params: Map<string, string>): SftpLocation {
  if (url.hostname === '') throw new OriginLocationError(`sftp URL needs a host: sftp://USER@HOST/PATH`);
  const path = decodeURIComponent(url.pathname);
  return validateSftp({
    type: 'sftp',
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? DEFAULT_SFTP_PORT : Number(url.port),
    user: url.username === '' ? undefined : decodeURIComponent(url.username),
    // sftp://host/~/music and sftp://host/~ are relative to the login folder.
    path: path === '/~' || path.startsWith('/~/') ? path.slice(3) : path === '/' ? '/' : path.replace(/\/+$/, ''),
    identity: params.get('identity'),
    knownHosts: params.get('known_hosts'),
    passwordFile: params.get('password_file'),
    passwordEnv: params.get('password_env'),
    agent: parseFlag(params.get('agent'), 'agent', true),
    connections: parseConnections(params.get('connections')),
  });
}

function validateS3(loc: S3Location): S3Location {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(loc.bucket)) {
    throw new OriginLocationError(`"${loc.bucket}" is not a valid S3 bucket name (3–63 lower-case letters, digits, '.' and '-')`);
  }
  if (loc.endpoint !== undefined && !/^https?:\/\/[^/\s]+/i.test(loc.endpoint)) {
    throw new OriginLocationError(`endpoint must be an http:// or https:// URL, got "${loc.endpoint}"`);
  }
  return dropUndefined(loc);
}

function validateSftp(loc: SftpLocation): SftpLocation {
  if (!Number.isInteger(loc.port) || loc.port < 1 || loc.port > 65535) throw new OriginLocationError(`sftp port must be 1–65535, got ${loc.port}`);
  if (loc.passwordEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(loc.passwordEnv)) {
    throw new OriginLocationError(`password_env must be an environment variable name, got "${loc.passwordEnv}"`);
  }
  return dropUndefined(loc);
}

function parseFlag(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new OriginLocationError(`${name} must be 1 or 0 (true or false), got "${value}"`);
}

function parseConnections(value: string | undefined): number {
  if (value === undefined) return DEFAULT_SFTP_CONNECTIONS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SFTP_CONNECTIONS) throw new OriginLocationError(`connections must be 1–${MAX_SFTP_CONNECTIONS}, got "${value}"`);
  return n;
}

/**
 * The one canonical text of a location: the local path, or the URL with its
 * options in a fixed order. It names the origin in the catalog, the API and
 * logs, so it never holds a secret (none can be in a location).
 */
export function formatOriginLocation(loc: OriginLocation): string {
  switch (loc.type) {
    case 'local':
      return loc.path;
    case 's3': {
      const q = query([
        ['endpoint', loc.endpoint],
        ['region', loc.region],
        ['path_style', loc.pathStyle ? '1' : undefined],
        ['profile', loc.profile],
      ]);
      return `s3://${loc.bucket}/${encodePath(loc.prefix)}${q}`;
    }
    case 'sftp': {
      const q = query([
        ['identity', loc.identity],
        ['known_hosts', loc.knownHosts],
        ['password_file', loc.passwordFile],
        ['password_env', loc.passwordEnv],
        ['connections', loc.connections !== DEFAULT_SFTP_CONNECTIONS ? String(loc.connections) : undefined],
        ['agent', loc.agent ? undefined : '0'],
      ]);
      const user = loc.user !== undefined ? `${encodeURIComponent(loc.user)}@` : '';
      const host = loc.host.includes(':') ? `[${loc.host}]` : loc.host;
      const port = loc.port !== DEFAULT_SFTP_PORT ? `:${loc.port}` : '';
      const path = loc.path === '' ? '/~' : loc.path.startsWith('/') ? loc.path : `/~/${loc.path}`;
      return `sftp://${user}${host}${port}${encodePath(path)}${q}`;
    }
  }
}

/** A short name for an origin: the folder's name, the bucket (and prefix), the host. */
export function defaultOriginName(loc: OriginLocation): string {
  switch (loc.type) {
    case 'local': {
      const parts = loc.path.split('/').filter((p) => p !== '');
      return parts[parts.length - 1] ?? 'root';
    }
    case 's3': {
      const last = loc.prefix.split('/').filter((p) => p !== '').pop();
      return last !== undefined ? `${loc.bucket}-${last}` : loc.bucket;
    }
    case 'sftp': {
      const last = loc.path.split('/').filter((p) => p !== '' && p !== '~').pop();
      return last !== undefined ? `${loc.host}-${last}` : loc.host;
    }
  }
}

/** The keys an `[[origin]]` table may hold beside name/priority/enabled/cache, by type. */
export const ORIGIN_TABLE_KEYS: Record<OriginType, readonly string[]> = {
  local: ['path'],
  s3: ['bucket', 'prefix', 'endpoint', 'region', 'path_style', 'profile'],
  sftp: ['host', 'port', 'user', 'path', 'identity', 'known_hosts', 'password_file', 'password_env', 'agent', 'connections'],
};

/**
 * A location from an `[[origin]]` table: `type` plus its settings, or a `url`
 * (any type), or a bare `path` (a local folder, the old form).
 */
export function originLocationFromTable(table: Readonly<Record<string, unknown>>): OriginLocation {
  const str = (k: string): string | undefined => (typeof table[k] === 'string' ? (table[k] as string) : undefined);
  const url = str('url');
  const declared = str('type');
  if (declared !== undefined && declared !== 'local' && declared !== 's3' && declared !== 'sftp') {
    throw new OriginLocationError(`type must be "local", "s3" or "sftp", got "${declared}"`);
  }
  if (url !== undefined) {
    const loc = parseOriginLocation(url);
    if (declared !== undefined && declared !== loc.type) throw new OriginLocationError(`type is "${declared}" but url is a ${loc.type} location`);
    const extra = Object.keys(table).filter((k) => (ORIGIN_TABLE_KEYS.local.includes(k) || ORIGIN_TABLE_KEYS.s3.includes(k) || ORIGIN_TABLE_KEYS.sftp.includes(k)));
    if (extra.length > 0) throw new OriginLocationError(`give either url or ${extra.join(', ')}, not both`);
    return loc;
  }
  const type: OriginType = (declared as OriginType | undefined) ?? (str('bucket') !== undefined ? 's3' : str('host') !== undefined ? 'sftp' : 'local');
  const allowed = ORIGIN_TABLE_KEYS[type];
  for (const other of ['local', 's3', 'sftp'] as const) {
    if (other === type) continue;
    for (const k of ORIGIN_TABLE_KEYS[other]) {
      if (!allowed.includes(k) && table[k] !== undefined) throw new OriginLocationError(`"${k}" is a setting of ${other} origins, not of ${type} ones`);
    }
  }
  switch (type) {
    case 'local': {
      const path = str('path');
      if (path === undefined) throw new OriginLocationError('a local origin needs path = "/folder"');
      if (isOriginUrl(path)) return parseOriginLocation(path);
      return { type: 'local', path };
    }
    case 's3': {
      const bucket = str('bucket');
      if (bucket === undefined) throw new OriginLocationError('an s3 origin needs bucket = "name"');
      return validateS3({
        type: 's3',
        bucket,
        prefix: trimSlashes(str('prefix') ?? ''),
        endpoint: str('endpoint'),
        region: str('region'),
        pathStyle: table['path_style'] === true,
        profile: str('profile'),
      });
    }
    case 'sftp': {
      const host = str('host');
      if (host === undefined) throw new OriginLocationError('an sftp origin needs host = "name"');
      const port = table['port'];
      const connections = table['connections'];
      return validateSftp({
        type: 'sftp',
        host,
        port: typeof port === 'number' ? port : DEFAULT_SFTP_PORT,
        user: str('user'),
        path: (str('path') ?? '').replace(/(.)\/+$/, '$1'),
        identity: str('identity'),
        knownHosts: str('known_hosts'),
        passwordFile: str('password_file'),
        passwordEnv: str('password_env'),
        agent: table['agent'] !== false,
        connections: typeof connections === 'number' ? parseConnections(String(connections)) : DEFAULT_SFTP_CONNECTIONS,
      });
    }
  }
}

/** The `[[origin]]` settings of a location (type and its keys), as config.toml stores them. */
export function originLocationToTable(loc: OriginLocation): Record<string, string | number | boolean> {
  switch (loc.type) {
    case 'local':
      return { path: loc.path };
    case 's3':
      return dropUndefined({
        type: 's3',
        bucket: loc.bucket,
        prefix: loc.prefix !== '' ? loc.prefix : undefined,
        endpoint: loc.endpoint,
        region: loc.region,
        path_style: loc.pathStyle ? true : undefined,
        profile: loc.profile,
      }) as Record<string, string | number | boolean>;
    case 'sftp':
      return dropUndefined({
        type: 'sftp',
        host: loc.host,
        port: loc.port !== DEFAULT_SFTP_PORT ? loc.port : undefined,
        user: loc.user,
        path: loc.path !== '' ? loc.path : undefined,
        identity: loc.identity,
        known_hosts: loc.knownHosts,
        password_file: loc.passwordFile,
        password_env: loc.passwordEnv,
        agent: loc.agent ? undefined : false,
        connections: loc.connections !== DEFAULT_SFTP_CONNECTIONS ? loc.connections : undefined,
      }) as Record<string, string | number | boolean>;
  }
}

/**
 * A URL-ish text with any password and secret-looking query value replaced
 * by "***" — for messages about input that failed to parse.
 */
export function redactOriginUrl(text: string): string {
  return text
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^@/]*@/i, '$1:***@')
    .replace(/([?&](?:password|pass|secret|token|key|access_key|secret_key|session_token|signature)=)[^&]*/gi, '$1***');
}

function query(pairs: readonly (readonly [string, string | undefined])[]): string {
  const parts = pairs.filter((p): p is readonly [string, string] => p[1] !== undefined).map(([k, v]) => `${k}=${encodeQueryValue(v)}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Keeps ':' and '/' readable in values (endpoints, file paths). */
function encodeQueryValue(v: string): string {
  return encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%2F/gi, '/');
}

function encodePath(path: string): string {
  return path
    .split('/')
    .map((p) => encodeURIComponent(p).replace(/%7E/gi, '~'))
    .join('/');
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
