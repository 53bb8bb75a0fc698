/**
 * The `X-MusicFS-Signature` header: `sha256=` + hex HMAC-SHA256 of the raw
 * request body, keyed with the webhook's secret (the scheme GitHub and Gitea
 * use). Kept apart from the dispatcher so a receiver written in TypeScript can
 * import it without pulling in the HTTP client.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PREFIX = 'sha256=';
const SHA256_HEX_CHARS = 64;

export function signBody(secret: string, body: string | Buffer): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * True when `header` is the signature of exactly these bytes. `body` must be
 * the raw body as received: parsing and re-serialising the JSON changes bytes.
 * The digest comparison is constant-time; only the header's shape (which is
 * public) is checked with ordinary comparisons.
 */
export function verifySignature(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const value = header.trim();
  if (!value.startsWith(SIGNATURE_PREFIX)) return false;
  const hex = value.slice(SIGNATURE_PREFIX.length);
  // Buffer.from(hex) silently stops at the first bad character, so check first.
  if (hex.length !== SHA256_HEX_CHARS || !/^[0-9a-fA-F]+$/.test(hex)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}
