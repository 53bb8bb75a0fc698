import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { appendArrayTable, removeArrayTable, removeKey, setArrayTableKey, setKey, tomlValue } from './toml-edit.js';
import { lineOfKey } from './toml-locate.js';

/** smol-toml's result as plain objects (it builds them without a prototype). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && v !== null && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
const doc = (text: string): unknown => plain(parse(text));

const DOC = `# MusicFS configuration
# (hand-edited)

layout = "{artist}/{title}{.ext}"   # the tree
log_level = 'info'

[mount]  # timeouts
read_timeout_ms = 30000
attr_timeout_sec = 1.5

# Scanner settings
[ scan ]
workers = 4
ignore = [
  "*.tmp",   # temp files
  "# not = a [comment]",
]
note = """
a = 1
[not.a.table]
"""
watch_debounce_ms = 200

# first hook
[[webhook]]
url = "https://a.example/#frag"
events = ["x", "y"]

[[webhook]]
url = 'https://b.example/=[x]'
secret = "s#3"
`;
const BASE = doc(DOC) as Record<string, Record<string, unknown>> & { webhook: Record<string, unknown>[] };

/** BASE with some changes applied (a deep copy). */
function expected(change: (d: typeof BASE) => void): unknown {
  const d = structuredClone(BASE);
  change(d);
  return d;
}

/** Asserts `after` is `before` with line `at` (1-based) replaced by `lines` (byte for byte elsewhere). */
function assertLinesChanged(before: string, after: string, at: number, removed: number, lines: string[]): void {
  const b = before.split('\n');
  b.splice(at - 1, removed, ...lines);
  assert.equal(after, b.join('\n'));
}

describe('tomlValue', () => {
  const roundTrip = (v: unknown): unknown => (doc(`v = ${tomlValue(v as string)}`) as { v: unknown }).v;

  test('strings are escaped and round-trip', () => {
    for (const s of ['', 'plain', 'with "quotes"', 'back\\slash', 'line\nbreak', 'tab\there', 'cr\rlf', 'bell\u0007 del\u007f nul\u0000', '# not a comment', "it's = [x]", 'ünïcødé ✓ 🎵', '"""', "'''"]) {
      assert.equal(roundTrip(s), s);
    }
    assert.equal(tomlValue('a"b\\c\nd\te\u0001'), '"a\\"b\\\\c\\nd\\te\\u0001"');
  });

  test('numbers', () => {
    assert.equal(tomlValue(5000), '5000');
    assert.equal(tomlValue(-3), '-3');
    assert.equal(tomlValue(0), '0');
    assert.equal(tomlValue(0.5), '0.5');
    assert.equal(tomlValue(1e-7), '1.0e-7');
    assert.equal(tomlValue(1e21), '1.0e+21');
    for (const n of [5000, -3, 0.5, -2.25, 1e-7, 1e21, 2 ** 60, Number.MAX_SAFE_INTEGER, 123.456]) assert.equal(roundTrip(n), n);
    assert.equal(tomlValue(Infinity), 'inf');
    assert.equal(tomlValue(-Infinity), '-inf');
    assert.ok(Number.isNaN(roundTrip(NaN)));
  });

  test('booleans and arrays', () => {
    assert.equal(tomlValue(true), 'true');
    assert.equal(tomlValue(false), 'false');
    assert.equal(tomlValue([]), '[]');
    assert.equal(tomlValue(['a', 'b#']), '["a", "b#"]');
    assert.deepEqual(roundTrip(['x', 1, true, 'y"z']), ['x', 1, true, 'y"z']);
  });

  test('throws on anything else', () => {
    for (const v of [null, undefined, {}, [[1]], [null], 10n, Symbol('s'), () => 1, new Date(0)]) {
      assert.throws(() => tomlValue(v as unknown as string), /cannot write/, String(v));
    }
    assert.throws(() => tomlValue('lone \ud800 surrogate'), /surrogate/);
  });
});

describe('setKey', () => {
  test('replaces a top-level value in place, keeping the comment after it', () => {
    const out = setKey(DOC, 'layout', tomlValue('{title}'));
    assertLinesChanged(DOC, out, 4, 1, ['layout = "{title}"   # the tree']);
    assert.deepEqual(doc(out), expected((d) => ((d as Record<string, unknown>).layout = '{title}')));
  });

  test('replaces a table value in place', () => {
    const out = setKey(DOC, 'mount.read_timeout_ms', '5000');
    assertLinesChanged(DOC, out, 8, 1, ['read_timeout_ms = 5000']);
    assert.deepEqual(doc(out), expected((d) => (d.mount!.read_timeout_ms = 5000)));
  });

  test('replaces every line of a multi-line array or string', () => {
    const out = setKey(DOC, 'scan.ignore', tomlValue(['*.part']));
    assertLinesChanged(DOC, out, 14, 4, ['ignore = ["*.part"]']);
    const out2 = setKey(DOC, 'scan.note', tomlValue('short'));
    assertLinesChanged(DOC, out2, 18, 4, ['note = "short"']);
    assert.deepEqual(doc(out2), expected((d) => (d.scan!.note = 'short')));
    // And a multi-line literal in place of a one-line value.
    const out3 = setKey(DOC, 'scan.workers', '[\n  1,\n  2,\n]');
    assertLinesChanged(DOC, out3, 13, 1, ['workers = [', '  1,', '  2,', ']']);
    assert.equal(lineOfKey(out3, 'scan.ignore'), 17);
  });

  test('inserts after the last key of an existing table', () => {
    const out = setKey(DOC, 'mount.path', tomlValue('/mnt/music'));
    assertLinesChanged(DOC, out, 10, 0, ['path = "/mnt/music"']);
    assert.deepEqual(doc(out), expected((d) => (d.mount!.path = '/mnt/music')));
    const out2 = setKey(DOC, 'scan.workers_max', '8');
    assertLinesChanged(DOC, out2, 23, 0, ['workers_max = 8']);
  });

  test('inserts into a table whose sub-tables follow it, matching indentation', () => {
    const text = '[mount]\n  a = 1\n\n[mount.extra]\nb = 2\n';
    assert.equal(setKey(text, 'mount.c', '3'), '[mount]\n  a = 1\n  c = 3\n\n[mount.extra]\nb = 2\n');
    assert.equal(setKey('[mount]  # only a header\n\n[scan]\n', 'mount.c', '3'), '[mount]  # only a header\nc = 3\n\n[scan]\n');
  });

  test('creates the table at the end when missing', () => {
    const out = setKey(DOC, 'health.interval_sec', '60');
    assert.equal(out, `${DOC}\n[health]\ninterval_sec = 60\n`);
    assert.deepEqual(doc(out), expected((d) => (d.health = { interval_sec: 60 })));
    assert.equal(setKey('', 'mount.path', '"/m"'), '[mount]\npath = "/m"\n');
    assert.equal(setKey('a = 1\n\n', 'mount.path', '"/m"'), 'a = 1\n\n[mount]\npath = "/m"\n');
    // A super-table after its sub-table is valid TOML.
    const sub = setKey('[mount.extra]\nx = 1\n', 'mount.path', '"/m"');
    assert.deepEqual(doc(sub), { mount: { extra: { x: 1 }, path: '/m' } });
  });

  test('a new top-level key goes after the last top-level key', () => {
    const out = setKey(DOC, 'metrics_listen', tomlValue(':9100'));
    assertLinesChanged(DOC, out, 6, 0, ['metrics_listen = ":9100"']);
    assert.deepEqual(doc(out), expected((d) => ((d as Record<string, unknown>).metrics_listen = ':9100')));
  });

  test('a new top-level key goes after the leading comments, before the first table and its comment', () => {
    assert.equal(setKey('# MusicFS\n# config\n\n# Mounting\n[mount]\nx = 1\n', 'log_level', '"debug"'), '# MusicFS\n# config\n\nlog_level = "debug"\n\n# Mounting\n[mount]\nx = 1\n');
    assert.equal(setKey('# Mounting\n[mount]\nx = 1\n', 'log_level', '"debug"'), 'log_level = "debug"\n\n# Mounting\n[mount]\nx = 1\n');
    assert.equal(setKey('[mount]\nx = 1\n', 'log_level', '"debug"'), 'log_level = "debug"\n\n[mount]\nx = 1\n');
    assert.equal(setKey('\n[mount]\nx = 1\n', 'log_level', '"debug"'), 'log_level = "debug"\n\n[mount]\nx = 1\n');
    assert.equal(setKey('# only a comment\n', 'log_level', '"debug"'), '# only a comment\n\nlog_level = "debug"\n');
    assert.equal(setKey('', 'log_level', '"debug"'), 'log_level = "debug"\n');
    const out = setKey('# c\n[[origin]]\npath = "/a"\n', 'layout', '"{title}"');
    assert.deepEqual(doc(out), { layout: '{title}', origin: [{ path: '/a' }] });
  });

  test('inline dotted keys count as that key', () => {
    const text = '# settings\nmount.read_timeout_ms = 5   # fast\nmount.path = "/m"\nlog_level = "info"\n';
    const out = setKey(text, 'mount.read_timeout_ms', '500');
    assert.equal(out, '# settings\nmount.read_timeout_ms = 500   # fast\nmount.path = "/m"\nlog_level = "info"\n');
    const out2 = setKey(text, 'mount.attr_timeout_sec', '2');
    assert.equal(out2, '# settings\nmount.read_timeout_ms = 5   # fast\nmount.path = "/m"\nmount.attr_timeout_sec = 2\nlog_level = "info"\n');
    assert.deepEqual(doc(out2), { mount: { read_timeout_ms: 5, path: '/m', attr_timeout_sec: 2 }, log_level: 'info' });
  });

  test('quoted keys', () => {
    const text = '"odd key" = 1\n["my table"]\n"x y" = 2\n';
    assert.equal(setKey(text, '"odd key"', '3'), '"odd key" = 3\n["my table"]\n"x y" = 2\n');
    assert.equal(setKey(text, '"my table"."x y"', '4'), '"odd key" = 1\n["my table"]\n"x y" = 4\n');
    const out = setKey(text, '"my table"."new key"', '5');
    assert.deepEqual(doc(out), { 'odd key': 1, 'my table': { 'x y': 2, 'new key': 5 } });
    assert.deepEqual(doc(setKey(text, 'other."a.b"', '6')), { 'odd key': 1, 'my table': { 'x y': 2 }, other: { 'a.b': 6 } });
  });

  test('strings holding #, = and [ do not fool it', () => {
    const text = `a = "x # b = 1"\nb = '[c]' # real comment\n[c]\nd = "]"\n`;
    assert.equal(setKey(text, 'b', '2'), `a = "x # b = 1"\nb = 2 # real comment\n[c]\nd = "]"\n`);
    assert.equal(setKey(text, 'c.e', '3'), `a = "x # b = 1"\nb = '[c]' # real comment\n[c]\nd = "]"\ne = 3\n`);
  });

  test('is idempotent', () => {
    for (const [key, lit] of [
      ['layout', '"{title}"'],
      ['mount.read_timeout_ms', '5000'],
      ['mount.path', '"/m"'],
      ['health.interval_sec', '60'],
      ['metrics_listen', '":9100"'],
      ['scan.ignore', '["a", "b"]'],
    ] as const) {
      const once = setKey(DOC, key, lit);
      assert.equal(setKey(once, key, lit), once, key);
    }
  });

  test('keeps CRLF line endings', () => {
    const crlf = DOC.replace(/\n/g, '\r\n');
    const out = setKey(crlf, 'mount.read_timeout_ms', '5000');
    assert.equal(out, setKey(DOC, 'mount.read_timeout_ms', '5000').replace(/\n/g, '\r\n'));
    for (const [key, lit] of [
      ['mount.path', '"/m"'],
      ['health.interval_sec', '60'],
      ['metrics_listen', '":9100"'],
      ['scan.ignore', '[\n"a",\n]'],
    ] as const) {
      const edited = setKey(crlf, key, lit);
      assert.doesNotMatch(edited, /[^\r]\n/, key);
      assert.equal(edited, setKey(DOC, key, lit).replace(/\n/g, '\r\n'), key);
    }
    assert.deepEqual(doc(setKey(crlf, 'health.interval_sec', '60')), { ...(doc(crlf) as object), health: { interval_sec: 60 } });
  });

  test('keeps a file without a trailing newline so', () => {
    assert.equal(setKey('a = 1', 'a', '2'), 'a = 2');
    assert.equal(setKey('a = 1', 'b', '2'), 'a = 1\nb = 2');
    assert.equal(setKey('[t]\r\na = 1', 't.b', '2'), '[t]\r\na = 1\r\nb = 2');
    assert.equal(setKey('a = 1', 't.b', '2'), 'a = 1\n\n[t]\nb = 2');
    assert.equal(setKey('[t]\na = """x\ny"""', 't.b', '2'), '[t]\na = """x\ny"""\nb = 2');
  });

  test('keeps a byte order mark first', () => {
    assert.equal(setKey('\uFEFF[t]\nx = 1\n', 'a', '1'), '\uFEFFa = 1\n\n[t]\nx = 1\n');
    assert.equal(removeKey('\uFEFFa = 1\nb = 2\n', 'a'), '\uFEFFb = 2\n');
  });

  test('throws on requests it cannot apply safely', () => {
    const hooks = '[[mount]]\nx = 1\n';
    assert.throws(() => setKey(hooks, 'mount.y', '1'), /mount is an array of tables/);
    assert.throws(() => setKey(hooks, 'mount', '1'), /array of tables/);
    assert.throws(() => setKey('mount = { a = 1 }\n', 'mount.b', '1'), /mount is an inline table/);
    assert.throws(() => setKey('mount = { a = 1 }\n', 'mount.a', '2'), /inline table/);
    assert.throws(() => setKey('mount = 5\n', 'mount.a', '2'), /mount is not a table/);
    assert.throws(() => setKey('[mount]\na = 1\n', 'mount', '2'), /is a table/);
    assert.throws(() => setKey('mount.a = 1\n', 'mount', '2'), /is a table/);
    assert.throws(() => setKey('[a.b]\nc = 1\n', 'a.b', '2'), /is a table/);
    assert.throws(() => setKey('', 'a.b.c', '1'), /expected "key" or "table.key"/);
    assert.throws(() => setKey('', 'a[0].b', '1'), /expected "key" or "table.key"/);
    assert.throws(() => setKey('', 'not a key', '1'), /expected "key" or "table.key"/);
    assert.throws(() => setKey('a = 1\nb = = 2\n', 'a', '3'), /line 2/);
    for (const bad of ['', 'debug', '1 # comment', '1\nb = 2', '"open', '[1, 2', '1 2', '"a" "b"']) {
      assert.throws(() => setKey('a = 1\n', 'a', bad), /not a single TOML value/, bad);
    }
  });

  test('round-trips every CONFIG key kind through smol-toml', () => {
    let text = DOC;
    text = setKey(text, 'log_level', tomlValue('debug'));
    text = setKey(text, 'mount.allow_non_empty', tomlValue(true));
    text = setKey(text, 'mount.attr_timeout_sec', tomlValue(2.5));
    text = setKey(text, 'metrics.listen', tomlValue('127.0.0.1:9100'));
    text = setKey(text, 'control.socket', tomlValue('/run/user/1000/musicfs "x".sock'));
    assert.deepEqual(
      doc(text),
      expected((d) => {
        (d as Record<string, unknown>).log_level = 'debug';
        d.mount!.allow_non_empty = true;
        d.mount!.attr_timeout_sec = 2.5;
        d.metrics = { listen: '127.0.0.1:9100' };
        d.control = { socket: '/run/user/1000/musicfs "x".sock' };
      }),
    );
    // Only the edited and added lines differ.
    assert.ok(text.startsWith('# MusicFS configuration\n# (hand-edited)\n\nlayout = "{artist}/{title}{.ext}"   # the tree\nlog_level = "debug"\n\n[mount]  # timeouts\n'));
  });
});

describe('removeKey', () => {
  test('removes only that line', () => {
    const out = removeKey(DOC, 'mount.attr_timeout_sec');
    assertLinesChanged(DOC, out, 9, 1, []);
    assert.deepEqual(doc(out), expected((d) => delete d.mount!.attr_timeout_sec));
    const top = removeKey(DOC, 'layout');
    assertLinesChanged(DOC, top, 4, 1, []);
  });

  test('removes every line of a multi-line value', () => {
    const out = removeKey(DOC, 'scan.ignore');
    assertLinesChanged(DOC, out, 14, 4, []);
    const out2 = removeKey(DOC, 'scan.note');
    assertLinesChanged(DOC, out2, 18, 4, []);
    assert.deepEqual(doc(out2), expected((d) => delete d.scan!.note));
  });

  test('keys of array tables and inline dotted keys', () => {
    const out = removeKey(DOC, 'webhook[1].secret');
    assertLinesChanged(DOC, out, 31, 1, []);
    assert.deepEqual(doc(out), expected((d) => delete d.webhook[1]!.secret));
    assert.equal(removeKey('mount.a = 1\nmount.b = 2\n', 'mount.a'), 'mount.b = 2\n');
    assert.equal(removeKey('"odd key" = 1\nb = 2\n', 'odd key'), 'b = 2\n');
  });

  test('no-op when absent', () => {
    assert.equal(removeKey(DOC, 'nope'), DOC);
    assert.equal(removeKey(DOC, 'mount.nope'), DOC);
    assert.equal(removeKey(DOC, 'webhook[5].url'), DOC);
    assert.equal(removeKey('', 'a'), '');
  });

  test('CRLF and a last line without newline', () => {
    assert.equal(removeKey('a = 1\r\nb = 2\r\nc = 3\r\n', 'b'), 'a = 1\r\nc = 3\r\n');
    assert.equal(removeKey('a = 1\r\nb = 2', 'b'), 'a = 1');
    assert.equal(removeKey('a = 1\nb = [\n1,\n]', 'b'), 'a = 1');
    assert.equal(removeKey('a = 1', 'a'), '');
  });

  test('throws for tables and inline tables', () => {
    assert.throws(() => removeKey(DOC, 'mount'), /is a table/);
    assert.throws(() => removeKey(DOC, 'webhook[0]'), /is a table/);
    assert.throws(() => removeKey('m = { a = 1 }\n', 'm.a'), /inline table/);
  });
});

describe('appendArrayTable', () => {
  const entries: [string, string][] = [
    ['name', tomlValue('NAS')],
    ['path', tomlValue('/mnt/nas/music')],
    ['priority', tomlValue(2)],
    ['enabled', tomlValue(true)],
  ];

  test('appends after one blank line, leaving the rest as is', () => {
    const out = appendArrayTable(DOC, 'origin', entries);
    assert.equal(out, `${DOC}\n[[origin]]\nname = "NAS"\npath = "/mnt/nas/music"\npriority = 2\nenabled = true\n`);
    assert.deepEqual(doc(out), expected((d) => ((d as Record<string, unknown>).origin = [{ name: 'NAS', path: '/mnt/nas/music', priority: 2, enabled: true }])));
    const twice = appendArrayTable(out, 'origin', [['path', '"/b"']]);
    assert.deepEqual((doc(twice) as { origin: unknown[] }).origin, [
      { name: 'NAS', path: '/mnt/nas/music', priority: 2, enabled: true },
      { path: '/b' },
    ]);
    assert.equal(lineOfKey(twice, 'origin[1].path'), 40);
  });

  test('appends to another element of the same array', () => {
    const out = appendArrayTable(DOC, 'webhook', [['url', '"https://c.example"']]);
    assert.deepEqual(doc(out), expected((d) => d.webhook.push({ url: 'https://c.example' })));
  });

  test('empty file, blank ending, no trailing newline, CRLF', () => {
    assert.equal(appendArrayTable('', 'origin', [['path', '"/a"']]), '[[origin]]\npath = "/a"\n');
    assert.equal(appendArrayTable('a = 1\n\n', 'origin', [['path', '"/a"']]), 'a = 1\n\n[[origin]]\npath = "/a"\n');
    assert.equal(appendArrayTable('a = 1', 'origin', [['path', '"/a"']]), 'a = 1\n\n[[origin]]\npath = "/a"');
    assert.equal(appendArrayTable('a = 1\r\n', 'origin', [['path', '"/a"']]), 'a = 1\r\n\r\n[[origin]]\r\npath = "/a"\r\n');
    assert.equal(appendArrayTable('a = 1\r\n', 'origin', []), 'a = 1\r\n\r\n[[origin]]\r\n');
  });

  test('quotes keys that need it', () => {
    const out = appendArrayTable('', 'odd name', [['a b', '1'], ['c.d', '2']]);
    assert.equal(out, '[["odd name"]]\n"a b" = 1\n"c.d" = 2\n');
    assert.deepEqual(doc(out), { 'odd name': [{ 'a b': 1, 'c.d': 2 }] });
  });

  test('throws on conflicts and bad input', () => {
    assert.throws(() => appendArrayTable(DOC, 'mount', [['a', '1']]), /plain table/);
    assert.throws(() => appendArrayTable('origin = []\n', 'origin', [['a', '1']]), /already set as a value/);
    assert.throws(() => appendArrayTable('', 'origin', [['a', '1'], ['a', '2']]), /given twice/);
    assert.throws(() => appendArrayTable('', 'origin', [['a', 'oops']]), /not a single TOML value/);
    assert.throws(() => appendArrayTable('', 'origin[0]', [['a', '1']]), /not a table name/);
  });
});

describe('removeArrayTable', () => {
  const ORIGINS = `# MusicFS

log_level = "info"

# the NAS
# (slow)
[[origin]]
name = "nas"
path = "/mnt/nas"   # mounted by systemd
# priority = 1

[[origin]]
name = "local"
path = "/home/u/Music"
[origin.extra]
x = 1

# a stray comment

# laptop
[[origin]]
name = "laptop"
path = """
/media/laptop"""

[scan]
workers = 2
`;

  test('removes the first: header, keys, comments above and right after', () => {
    const out = removeArrayTable(ORIGINS, 'origin', 0);
    assert.equal(out, ORIGINS.replace('# the NAS\n# (slow)\n[[origin]]\nname = "nas"\npath = "/mnt/nas"   # mounted by systemd\n# priority = 1\n\n', ''));
    assert.deepEqual((doc(out) as { origin: { name: string }[] }).origin.map((o) => o.name), ['local', 'laptop']);
  });

  test('removes one in the middle with its sub-tables, keeping the stray comment', () => {
    const out = removeArrayTable(ORIGINS, 'origin', 1);
    assert.equal(out, ORIGINS.replace('[[origin]]\nname = "local"\npath = "/home/u/Music"\n[origin.extra]\nx = 1\n\n', ''));
    const d = doc(out) as { origin: { name: string }[]; scan: unknown };
    assert.deepEqual(d.origin.map((o) => o.name), ['nas', 'laptop']);
    assert.deepEqual(d.scan, { workers: 2 });
  });

  test('removes the last element before a table, with its multi-line value', () => {
    const out = removeArrayTable(ORIGINS, 'origin', 2);
    assert.equal(out, ORIGINS.replace('# laptop\n[[origin]]\nname = "laptop"\npath = """\n/media/laptop"""\n\n', ''));
    assert.equal(lineOfKey(out, 'scan.workers'), 21);
  });

  test('comments right above the next header stay with it', () => {
    const text = '[[w]]\nurl = "a"\n# second\n[[w]]\nurl = "b"\n';
    assert.equal(removeArrayTable(text, 'w', 0), '# second\n[[w]]\nurl = "b"\n');
    assert.equal(removeArrayTable(text, 'w', 1), '[[w]]\nurl = "a"\n');
  });

  test('is the inverse of appendArrayTable', () => {
    for (const base of [DOC, 'a = 1', 'a = 1\r\n', 'a = 1\n\n', '', '# only\n']) {
      const added = appendArrayTable(base, 'origin', [['path', '"/x"']]);
      assert.equal(removeArrayTable(added, 'origin', 0), base.replace(/\n\n$/, '\n'), JSON.stringify(base));
    }
    assert.equal(removeArrayTable(DOC, 'webhook', 1), DOC.replace('\n[[webhook]]\nurl = \'https://b.example/=[x]\'\nsecret = "s#3"\n', ''));
  });

  test('keeps CRLF', () => {
    const crlf = ORIGINS.replace(/\n/g, '\r\n');
    assert.equal(removeArrayTable(crlf, 'origin', 1), removeArrayTable(ORIGINS, 'origin', 1).replace(/\n/g, '\r\n'));
  });

  test('throws when there is no such table', () => {
    assert.throws(() => removeArrayTable(ORIGINS, 'origin', 3), /has 3 such tables/);
    assert.throws(() => removeArrayTable(ORIGINS, 'webhook', 0), /has 0 such tables/);
    assert.throws(() => removeArrayTable(ORIGINS, 'origin', -1), /not an index/);
  });
});

describe('setArrayTableKey', () => {
  test('replaces in place in the right element', () => {
    const out = setArrayTableKey(DOC, 'webhook', 1, 'url', tomlValue('https://new.example'));
    assertLinesChanged(DOC, out, 30, 1, ['url = "https://new.example"']);
    assert.deepEqual(doc(out), expected((d) => (d.webhook[1]!.url = 'https://new.example')));
    const first = setArrayTableKey(DOC, 'webhook', 0, 'events', tomlValue([]));
    assertLinesChanged(DOC, first, 27, 1, ['events = []']);
  });

  test('inserts after the last key of the element, before its sub-tables', () => {
    const out = setArrayTableKey(DOC, 'webhook', 0, 'secret', tomlValue('k'));
    assertLinesChanged(DOC, out, 28, 0, ['secret = "k"']);
    assert.deepEqual(doc(out), expected((d) => (d.webhook[0]!.secret = 'k')));
    const text = '[[o]]\n  a = 1\n[o.sub]\nb = 2\n[[o]]\n';
    assert.equal(setArrayTableKey(text, 'o', 0, 'c', '3'), '[[o]]\n  a = 1\n  c = 3\n[o.sub]\nb = 2\n[[o]]\n');
    assert.equal(setArrayTableKey(text, 'o', 1, 'c', '3'), '[[o]]\n  a = 1\n[o.sub]\nb = 2\n[[o]]\nc = 3\n');
  });

  test('is idempotent and keeps CRLF', () => {
    const crlf = DOC.replace(/\n/g, '\r\n');
    const once = setArrayTableKey(crlf, 'webhook', 0, 'timeout_ms', '5000');
    assert.equal(setArrayTableKey(once, 'webhook', 0, 'timeout_ms', '5000'), once);
    assert.equal(once, setArrayTableKey(DOC, 'webhook', 0, 'timeout_ms', '5000').replace(/\n/g, '\r\n'));
  });

  test('throws when it cannot apply', () => {
    assert.throws(() => setArrayTableKey(DOC, 'webhook', 2, 'url', '"x"'), /has 2 such tables/);
    assert.throws(() => setArrayTableKey(DOC, 'webhook', 0, 'url', '"a" # c'), /not a single TOML value/);
    assert.throws(() => setArrayTableKey('[[o]]\na = 1\nb = = 2\n', 'o', 0, 'a', '2'), /line 3/);
    // A whole inline table is a value like any other.
    assert.equal(setArrayTableKey('[[o]]\nh = { a = 1 }  # c\n', 'o', 0, 'h', '1'), '[[o]]\nh = 1  # c\n');
  });

  test('refuses a key that is a sub-table', () => {
    assert.throws(() => setArrayTableKey('[[o]]\n[o.sub]\nb = 2\n', 'o', 0, 'sub', '1'), /is a table/);
  });
});

describe('generated documents', () => {
  // A small deterministic generator of valid, awkward TOML: every edit must
  // parse back to the expected object and keep every comment line.
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const VALUES = ['1', '3.5', 'true', '"x # y = [z]"', "'lit # = ['", '"""\nml = 1\n[t]\n"""', "'''\n# no\n'''", '[\n  1, # c\n  2,\n]', '["a", "]"]', '{ a = 1, b = "}" }', '1979-05-27 07:32:00Z', '0x1F', '"esc \\" # q"', '""""a"""""'];
  const KEYS = ['a', 'b', 'c_d', '"odd key"', "'q.k'", 'dt.a', 'dt.b'];
  const ws = (): string => pick(['', ' ', '\t']);

  function generate(): string {
    const lines: string[] = [];
    const filler = (): void => {
      if (rnd() < 0.3) lines.push(pick(['# c', '  # [fake] = 1', '#']));
      if (rnd() < 0.3) lines.push('');
    };
    const keys = (n: number): void => {
      const used = new Set<string>();
      for (let i = 0; i < n; i++) {
        const k = pick(KEYS);
        if (used.has(k)) continue;
        used.add(k);
        lines.push(`${ws()}${k}${ws()}=${ws()}${pick(VALUES)}${rnd() < 0.3 ? ' # trailing = [x]' : ''}`);
        filler();
      }
    };
    filler();
    keys(Math.floor(rnd() * 3));
    const tables = new Set<string>();
    for (let s = Math.floor(rnd() * 5); s > 0; s--) {
      filler();
      const t = pick(['mount', 'scan', '"my t"', '[webhook]', '[origin]']);
      if (!t.startsWith('[') && tables.has(t)) continue;
      tables.add(t);
      const header = t.startsWith('[') ? `[[${ws()}${t.slice(1, -1)}${ws()}]]` : `[${ws()}${t}${ws()}]`;
      lines.push(`${header}${rnd() < 0.3 ? '  # header' : ''}`);
      keys(Math.floor(rnd() * 4));
    }
    const eol = rnd() < 0.3 ? '\r\n' : '\n';
    return (lines.join('\n') + (rnd() < 0.8 ? '\n' : '')).replace(/\n/g, eol);
  }
  const commentLines = (text: string): string[] => text.split(/\r?\n/).filter((l) => /^\s*#/.test(l) && !/^\s*# no/.test(l) && !/^\s*1, # c/.test(l));

  test('edits round-trip through smol-toml', () => {
    for (let n = 0; n < 250; n++) {
      const text = generate();
      const base = doc(text) as Record<string, unknown>;
      const msg = JSON.stringify(text);
      const crlf = text.includes('\r\n');
      const check = (out: string, want: unknown, what: string): void => {
        assert.deepEqual(JSON.parse(JSON.stringify(doc(out))), JSON.parse(JSON.stringify(want)), `${what} in ${msg}`);
        if (what.startsWith('removeArrayTable')) {
          // The table's own comments go with it; the others stay, in order.
          const left = commentLines(out);
          const all = commentLines(text);
          let j = 0;
          for (const c of all) if (c === left[j]) j++;
          assert.equal(j, left.length, `${what} comments in ${msg}`);
        } else assert.deepEqual(commentLines(out), commentLines(text), `${what} comments in ${msg}`);
        if (crlf) assert.doesNotMatch(out, /[^\r]\n/, `${what} CRLF in ${msg}`);
      };
      for (const key of ['log_level', 'a', 'dt.a', 'mount.a', 'mount.new', 'health.x', '"my t".b']) {
        const out = setKey(text, key, '42');
        const want = structuredClone(base) as Record<string, Record<string, unknown>>;
        const [t, k] = key === '"my t".b' ? ['my t', 'b'] : key.split('.');
        if (k === undefined) (want as Record<string, unknown>)[t!] = 42;
        else (want[t!] ??= {})[k] = 42;
        check(out, want, `setKey ${key}`);
        assert.equal(setKey(out, key, '42'), out, `setKey ${key} twice in ${msg}`);
      }
      for (const name of ['webhook', 'origin']) {
        const list = (base[name] as Record<string, unknown>[] | undefined) ?? [];
        const added = appendArrayTable(text, name, [['url', '"u"']]);
        check(added, { ...base, [name]: [...list, { url: 'u' }] }, `appendArrayTable ${name}`);
        for (let i = 0; i < list.length; i++) {
          const rest = list.filter((_, j) => j !== i);
          const want = { ...base, [name]: rest };
          if (rest.length === 0) delete want[name];
          check(removeArrayTable(text, name, i), want, `removeArrayTable ${name} ${i}`);
          const set = setArrayTableKey(text, name, i, 'a', '"z"');
          check(set, { ...base, [name]: list.map((e, j) => (j === i ? { ...e, a: 'z' } : e)) }, `setArrayTableKey ${name} ${i}`);
        }
      }
    }
  });
});
