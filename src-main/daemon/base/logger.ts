import { redactSecrets } from './secrets.js';

/**
 * A small leveled logger writing one line per record to stderr (stdout stays
 * for user-facing output). Callers log names, not keys; and every line is
 * scrubbed of registered secrets (base/secrets.ts) in case one slips into an
 * error message from a library.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

export interface LoggerOptions {
  /** Read at every record: change it to change the level of every child at once. */
  level: LogLevel;
  /** Where lines go; stderr by default. */
  write?: (line: string) => void;
  json?: boolean;
}

export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error' ? value : undefined;
}

export function createLogger(options: LoggerOptions, scope = 'musicfs'): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (LEVEL_RANK[level] < LEVEL_RANK[options.level]) return;
    if (options.json) {
      write(redactSecrets(JSON.stringify({ time: new Date().toISOString(), level, scope, message, ...fields })));
      return;
    }
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + formatFields(fields) : '';
    write(redactSecrets(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${scope}] ${message}${extra}`));
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (child) => createLogger(options, `${scope}:${child}`),
  };
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v instanceof Error ? v.message : v)}`)
    .join(' ');
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
