/**
 * Secrets the daemon holds (SSH passwords, AWS secret keys, session tokens),
 * registered once when read, so every log line, error message and API
 * answer can be scrubbed of them in one place instead of trusting each call
 * site. Short values are not registered: masking "a" everywhere would garble
 * every message and protects nothing.
 */

const MIN_SECRET_LENGTH = 4;
const MASK = '***';
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

/** The text with every registered secret replaced by "***". */
export function redactSecrets(text: string): string {
  if (secrets.size === 0) return text;
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/** For tests: forget every registered secret. */
export function clearSecretsForTesting(): void {
  secrets.clear();
}
