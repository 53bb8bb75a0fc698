import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { CONFIG_KEYS, ConfigError, defaultConfig, lineOfKey, resolveConfig, type MusicFsConfig } from './config.js';

const LAYOUT = '{artist}/{title}{.ext}';
const defaults = (): MusicFsConfig => defaultConfig(LAYOUT);

/** A config file as the daemon sees it: its text and the parsed document. */
const file = (text: string): { path: string; doc: Record<string, unknown>; text: string } => ({
  path: '/home/u/.config/musicfs/config.toml',
  doc: parse(text) as Record<string, unknown>,
  text,
});

/** Runs `fn`, asserts it throws a ConfigError and returns it. */
const configError = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError, nothing was thrown');
};

describe('defaultConfig', () => {
  test('uses the given layout and documented defaults', () => {
    assert.deepEqual(defaultConfig('{title}'), {
      layout: '{title}',
      logLevel: 'info',
      mountPath: '',
      mountAllowNonEmpty: false,
      readTimeoutMs: 30_000,
      attrTimeoutSec: 1,
      watchDebounceMs: 200,
      scanWorkers: 0,
      rescanIntervalMin: 60,
      healthIntervalSec: 30,
      healthTimeoutMs: 5000,
      healthFailuresLocal: 1,
      healthFailuresRemote: 3,
      originDeadlineMs: 30_000,
      metricsListen: '',
      controlSocket: '',
      cacheDir: '',
      cacheSizeLimit: 10 * 2 ** 30,
      cacheMemory: 256 * 2 ** 20,
      cacheHighWatermark: 0.95,
      cacheLowWatermark: 0.85,
      cacheReadAhead: 16 * 2 ** 20,
      origins: [],
      webhooks: [],
    });
  });

  test('every default lies within its key range', () => {
    const d = defaults() as unknown as Record<string, unknown>;
    for (const spec of CONFIG_KEYS) {
      const v = d[spec.prop];
      if (typeof v !== 'number') continue;
      if (spec.min !== undefined) assert.ok(v >= spec.min, `${spec.toml} default ${v} < ${spec.min}`);
      if (spec.max !== undefined) assert.ok(v <= spec.max, `${spec.toml} default ${v} > ${spec.max}`);
    }
  });

  test('returns a fresh object each time', () => {
    const a = defaults();
    a.readTimeoutMs = 1;
    assert.equal(defaults().readTimeoutMs, 30_000);
  });
});

describe('lineOfKey', () => {
  const text = ['# MusicFS', 'layout = "{title}"', '', '[mount]', 'read_timeout_ms = 5000', '  attr_timeout_sec = 2', '', '[scan]', 'workers = 4'].join('\n');

  test('finds top-level keys', () => {
    assert.equal(lineOfKey(text, 'layout'), 2);
  });

  test('finds keys inside a [table]', () => {
    assert.equal(lineOfKey(text, 'mount.read_timeout_ms'), 5);
    assert.equal(lineOfKey(text, 'mount.attr_timeout_sec'), 6);
    assert.equal(lineOfKey(text, 'scan.workers'), 9);
  });

  test('finds dotted keys written at the top level', () => {
    assert.equal(lineOfKey('log_level = "info"\nmount.read_timeout_ms = 10', 'mount.read_timeout_ms'), 2);
  });

  test('finds quoted keys', () => {
    assert.equal(lineOfKey('\n"log_level" = "debug"', 'log_level'), 2);
  });

  test('a leaf of the same name in another table does not count', () => {
    assert.equal(lineOfKey('[scan]\nworkers = 1', 'mount.workers'), undefined);
    assert.equal(lineOfKey('[mount]\nlayout = "x"', 'layout'), undefined);
  });

  test('a missing key is undefined', () => {
    assert.equal(lineOfKey(text, 'nope'), undefined);
    assert.equal(lineOfKey('', 'layout'), undefined);
  });

  test('a table header followed by a comment still opens the table', () => {
    assert.equal(lineOfKey('[mount]   # timeouts\nread_timeout_ms = 5', 'mount.read_timeout_ms'), 2);
  });
});

describe('resolveConfig', () => {
  test('no sources gives the defaults', () => {
    assert.deepEqual(resolveConfig(defaults(), {}), defaults());
  });

  test('reads every key from a file, nested tables included', () => {
    const config = resolveConfig(defaults(), {
      file: file(
        [
          'layout = "{album}/{title}{.ext}"',
          'log_level = "debug"',
          '[mount]',
          'read_timeout_ms = 5000',
          'attr_timeout_sec = 0.5',
          '[scan]',
          'watch_debounce_ms = 50',
          'workers = 3',
        ].join('\n'),
      ),
    });
    assert.deepEqual(config, {
      ...defaults(),
      layout: '{album}/{title}{.ext}',
      logLevel: 'debug',
      readTimeoutMs: 5000,
      attrTimeoutSec: 0.5,
      watchDebounceMs: 50,
      scanWorkers: 3,
    });
  });

  test('dotted keys and [table] keys mean the same thing', () => {
    const a = resolveConfig(defaults(), { file: file('mount.read_timeout_ms = 1234') });
    const b = resolveConfig(defaults(), { file: file('[mount]\nread_timeout_ms = 1234') });
    assert.equal(a.readTimeoutMs, 1234);
    assert.deepEqual(a, b);
  });

  test('an unknown key names the key and its line', () => {
    const err = configError(() => resolveConfig(defaults(), { file: file('layout = "{title}"\n\nlog_levle = "debug"') }));
    assert.equal(err.key, 'log_levle');
    assert.equal(err.line, 3);
    assert.match(err.message, /log_levle/);
    assert.match(err.message, /config\.toml:3\b/);
    // The message lists what would have been valid.
    assert.match(err.message, /log_level/);
  });

  test('an unknown key inside a table is named with its table', () => {
    const err = configError(() => resolveConfig(defaults(), { file: file('[mount]\nread_timeout_ms = 500\nread_timeout = 500') }));
    assert.equal(err.key, 'mount.read_timeout');
    assert.equal(err.line, 3);
    assert.match(err.message, /"mount\.read_timeout"/);
  });

  test('a key of a known table in an unknown table is unknown', () => {
    const err = configError(() => resolveConfig(defaults(), { file: file('[cache]\nworkers = 2') }));
    assert.equal(err.key, 'cache.workers');
    assert.equal(err.line, 2);
  });

  test('a wrong type names the key, the expected type and the line', () => {
    const cases: { text: string; key: string; line: number; want: RegExp }[] = [
      { text: 'layout = 5', key: 'layout', line: 1, want: /a string/ },
      { text: '\nlog_level = "loud"', key: 'log_level', line: 2, want: /one of debug, info, warn, error/ },
      { text: '[mount]\n\nread_timeout_ms = "soon"', key: 'mount.read_timeout_ms', line: 3, want: /a whole number/ },
      { text: '[mount]\nread_timeout_ms = 1500.5', key: 'mount.read_timeout_ms', line: 2, want: /a whole number/ },
      { text: '[mount]\nattr_timeout_sec = true', key: 'mount.attr_timeout_sec', line: 2, want: /a number/ },
      { text: '[scan]\nworkers = [1, 2]', key: 'scan.workers', line: 2, want: /a whole number/ },
      { text: 'layout = ["a", "b"]', key: 'layout', line: 1, want: /a string/ },
    ];
    for (const c of cases) {
      const err = configError(() => resolveConfig(defaults(), { file: file(c.text) }));
      assert.equal(err.key, c.key, c.text);
      assert.equal(err.line, c.line, c.text);
      assert.match(err.message, c.want, c.text);
      assert.ok(err.message.includes(c.key), `${c.text}: message names the key: ${err.message}`);
      assert.ok(err.message.includes(`:${c.line}:`), `${c.text}: message names the line: ${err.message}`);
    }
  });

  test('nested table keys are range-checked with their line', () => {
    const err = configError(() => resolveConfig(defaults(), { file: file('[mount]\nread_timeout_ms = 5') }));
    assert.equal(err.key, 'mount.read_timeout_ms');
    assert.equal(err.line, 2);
    assert.match(err.message, /between 100 and 600000/);
  });

  test('out-of-range numbers are rejected, bounds included are accepted', () => {
    const ok = (text: string): MusicFsConfig => resolveConfig(defaults(), { file: file(text) });
    assert.equal(ok('[scan]\nworkers = 0').scanWorkers, 0);
    assert.equal(ok('[scan]\nworkers = 64').scanWorkers, 64);
    assert.equal(ok('[mount]\nattr_timeout_sec = 3600').attrTimeoutSec, 3600);
    for (const text of ['[scan]\nworkers = 65', '[scan]\nworkers = -1', '[mount]\nattr_timeout_sec = 3600.5', '[scan]\nwatch_debounce_ms = 9', '[mount]\nread_timeout_ms = 600001']) {
      const err = configError(() => ok(text));
      assert.match(err.message, /between/, text);
      assert.equal(err.line, 2, text);
    }
  });

  test('environment values are coerced from strings', () => {
    const config = resolveConfig(defaults(), {
      env: {
        MUSICFS_LAYOUT: '{genre}/{title}{.ext}',
        MUSICFS_LOG_LEVEL: 'warn',
        MUSICFS_READ_TIMEOUT_MS: '2500',
        MUSICFS_ATTR_TIMEOUT_SEC: '0.25',
        MUSICFS_WATCH_DEBOUNCE_MS: ' 75 ',
        MUSICFS_SCAN_WORKERS: '8',
      },
    });
    assert.deepEqual(config, {
      ...defaults(),
      layout: '{genre}/{title}{.ext}',
      logLevel: 'warn',
      readTimeoutMs: 2500,
      attrTimeoutSec: 0.25,
      watchDebounceMs: 75,
      scanWorkers: 8,
    });
  });

  test('empty and unrelated environment variables are ignored', () => {
    const config = resolveConfig(defaults(), { env: { MUSICFS_SCAN_WORKERS: '', MUSICFS_READ_TIMEOUT_MS: undefined, HOME: '/root', MUSICFS_NOT_A_KEY: 'x' } });
    assert.deepEqual(config, defaults());
  });

  test('a bad environment value names the variable and the key', () => {
    const cases: [string, string, RegExp][] = [
      ['MUSICFS_SCAN_WORKERS', 'many', /a whole number/],
      ['MUSICFS_SCAN_WORKERS', '2.5', /a whole number/],
      ['MUSICFS_SCAN_WORKERS', '   ', /a whole number/],
      ['MUSICFS_READ_TIMEOUT_MS', '50', /between 100 and 600000/],
      ['MUSICFS_ATTR_TIMEOUT_SEC', 'NaN', /a number/],
      ['MUSICFS_LOG_LEVEL', 'verbose', /one of debug, info, warn, error/],
    ];
    for (const [name, value, want] of cases) {
      const err = configError(() => resolveConfig(defaults(), { env: { [name]: value } }));
      assert.match(err.message, want, `${name}=${value}`);
      assert.ok(err.message.includes(name), `${name}=${value}: ${err.message}`);
      const spec = CONFIG_KEYS.find((k) => k.env === name)!;
      assert.equal(err.key, spec.toml);
      assert.equal(err.line, undefined);
    }
  });

  test('precedence: flags > environment > file > defaults', () => {
    const text = 'log_level = "debug"\n[mount]\nread_timeout_ms = 1000\nattr_timeout_sec = 5\n[scan]\nworkers = 2';
    const config = resolveConfig(defaults(), {
      file: file(text),
      env: { MUSICFS_READ_TIMEOUT_MS: '2000', MUSICFS_SCAN_WORKERS: '4' },
      flags: { scanWorkers: 6 },
    });
    assert.equal(config.logLevel, 'debug', 'file over default');
    assert.equal(config.attrTimeoutSec, 5, 'file over default');
    assert.equal(config.readTimeoutMs, 2000, 'env over file');
    assert.equal(config.scanWorkers, 6, 'flag over env and file');
    assert.equal(config.watchDebounceMs, 200, 'default when nothing sets it');
    assert.equal(config.layout, LAYOUT, 'default when nothing sets it');
  });

  test('an undefined flag does not override a lower source', () => {
    const config = resolveConfig(defaults(), { env: { MUSICFS_LOG_LEVEL: 'error' }, flags: { logLevel: undefined } });
    assert.equal(config.logLevel, 'error');
  });

  test('does not modify the defaults it is given', () => {
    const d = defaults();
    resolveConfig(d, { env: { MUSICFS_SCAN_WORKERS: '3' }, flags: { logLevel: 'debug' } });
    assert.deepEqual(d, defaults());
  });

  test('a file error is reported even when the environment would override the key', () => {
    const err = configError(() => resolveConfig(defaults(), { file: file('[scan]\nworkers = 1000'), env: { MUSICFS_SCAN_WORKERS: '2' } }));
    assert.equal(err.key, 'scan.workers');
  });
});
