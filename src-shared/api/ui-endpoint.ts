/**
 * How a client finds the daemon's UI gateway and what the UI's pages may
 * load. Shared by the daemon (it writes the endpoint file and sends the CSP
 * header), the Electron main process (it reads the file, sets the same CSP on
 * the window) and the CLI (`musicfs ui`).
 *
 * The endpoint file is `ui.json` in the daemon's runtime folder (next to
 * control.sock; folder 0700, file 0600), written when the gateway listens and
 * removed when it stops. The token itself is created once, at the first
 * start, in `$XDG_CONFIG_HOME/musicfs/ui-token` (0600).
 */

export const UI_ENDPOINT_FILE = 'ui.json';
export const UI_TOKEN_FILE = 'ui-token';
export const UI_DEFAULT_LISTEN = '127.0.0.1:8577';
/** Cookie set by `GET /?token=...` (HttpOnly, SameSite=Strict). */
export const UI_TOKEN_COOKIE = 'musicfs_ui';

export interface UiEndpoint {
  /** 'http://127.0.0.1:8577' (no trailing slash). */
  baseUrl: string;
  token: string;
  /** The daemon's pid. */
  pid: number;
}

/** The URL to open in a browser: the token rides once, in the query, and is swapped for a cookie. */
export function uiOpenUrl(endpoint: Pick<UiEndpoint, 'baseUrl' | 'token'>): string {
  return `${endpoint.baseUrl}/?token=${encodeURIComponent(endpoint.token)}`;
}

export function parseUiEndpoint(text: string): UiEndpoint | undefined {
  try {
    const v = JSON.parse(text) as Partial<UiEndpoint>;
    if (typeof v.baseUrl === 'string' && typeof v.token === 'string' && typeof v.pid === 'number') return { baseUrl: v.baseUrl, token: v.token, pid: v.pid };
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * The Content-Security-Policy of every UI page (gateway header and Electron
 * window): scripts and styles only from the app itself, no inline script,
 * no eval, no framing, API calls to the same origin only.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
