import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { lineOfKey, locateKeys, parseKeyPath, scanToml } from './toml-locate.js';

/** A config with every construct the scanner must see through. */
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

/** Every leaf of a parsed document as `a.b`, `webhook[1].url` (arrays of scalars are leaves). */
function leaves(doc: unknown, prefix = ''): string[] {
  if (Array.isArray(doc)) {
    if (doc.length > 0 && doc.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date))) {
      return doc.flatMap((v, i) => leaves(v, `${prefix}[${i}]`));
    }
    return [prefix];
  }
  if (typeof doc === 'object' && doc !== null && !(doc instanceof Date)) {
    return Object.entries(doc).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

describe('locateKeys', () => {
  test('lists every assignment with its full key and line', () => {
    assert.deepEqual(locateKeys(DOC), [
      { key: 'layout', line: 4 },
      { key: 'log_level', line: 5 },
      { key: 'mount.read_timeout_ms', line: 8 },
      { key: 'mount.attr_timeout_sec', line: 9 },
      { key: 'scan.workers', line: 13 },
      { key: 'scan.ignore', line: 14 },
      { key: 'scan.note', line: 18 },
      { key: 'scan.watch_debounce_ms', line: 22 },
      { key: 'webhook[0].url', line: 26 },
      { key: 'webhook[0].events', line: 27 },
      { key: 'webhook[1].url', line: 30 },
      { key: 'webhook[1].secret', line: 31 },
    ]);
  });

  test('finds every leaf that smol-toml finds', () => {
    const found = new Set(locateKeys(DOC).map((k) => k.key));
    for (const leaf of leaves(parse(DOC))) assert.ok(found.has(leaf), `missing ${leaf}`);
  });

  test('sees through strings, multi-line strings and arrays', () => {
    const text = [
      `a = "x # y = [z]"`,
      `b = 'c:\\path\\#1'`,
      `c = """`,
      `d = 1 # not a key`,
      `\\"""" # escaped quote, then the end`,
      `e = '''`,
      `[not.a.table]`,
      `f = 2'''''`,
      `g = [ [1, 2], # nested`,
      `  [3, "]"],`,
      `]`,
      `h = "after"`,
      `i = 1979-05-27 07:32:00Z # a date with a space`,
      `j = """a""""" # two quotes before the end`,
      `k = """\\`,
      `   continued \\""" """`,
      `l = true`,
    ].join('\n');
    assert.deepEqual(locateKeys(text), [
      { key: 'a', line: 1 },
      { key: 'b', line: 2 },
      { key: 'c', line: 3 },
      { key: 'e', line: 6 },
      { key: 'g', line: 9 },
      { key: 'h', line: 12 },
      { key: 'i', line: 13 },
      { key: 'j', line: 14 },
      { key: 'k', line: 15 },
      { key: 'l', line: 17 },
    ]);
    const doc = parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), ['a', 'b', 'c', 'e', 'g', 'h', 'i', 'j', 'k', 'l']);
    assert.deepEqual(scanToml(text).errors, []);
  });

  test('quoted keys, dotted keys, whitespace variations', () => {
    const text = [
      `"odd key" = 1`,
      `'lit.key' = 2`,
      `mount . "read_timeout_ms"=5`,
      `\t  spaced   =   "x"  `,
      `[ "my table" . sub ]   # comment`,
      `"a.b" . c = 3`,
    ].join('\n');
    assert.deepEqual(locateKeys(text), [
      { key: '"odd key"', line: 1 },
      { key: '"lit.key"', line: 2 },
      { key: 'mount.read_timeout_ms', line: 3 },
      { key: 'spaced', line: 4 },
      { key: '"my table".sub."a.b".c', line: 6 },
    ]);
    parse(text);
  });

  test('inline tables and arrays of inline tables', () => {
    const text = ['mount = { read_timeout_ms = 5, path = "/m" }', 'hooks = [', '  { url = "a" },', '  { url = "b", events = ["x"] },', ']'].join('\n');
    assert.deepEqual(locateKeys(text), [
      { key: 'mount', line: 1 },
      { key: 'mount.read_timeout_ms', line: 1 },
      { key: 'mount.path', line: 1 },
      { key: 'hooks', line: 2 },
      { key: 'hooks[0].url', line: 3 },
      { key: 'hooks[1].url', line: 4 },
      { key: 'hooks[1].events', line: 4 },
    ]);
  });

  test('nested arrays of tables are indexed per parent', () => {
    const text = ['[[a]]', 'x = 1', '[[a.b]]', 'y = 1', '[[a.b]]', 'y = 2', '[a.c]', 'z = 1', '[[a]]', '[[a.b]]', 'y = 3'].join('\n');
    assert.deepEqual(locateKeys(text), [
      { key: 'a[0].x', line: 2 },
      { key: 'a[0].b[0].y', line: 4 },
      { key: 'a[0].b[1].y', line: 6 },
      { key: 'a[0].c.z', line: 8 },
      { key: 'a[1].b[0].y', line: 11 },
    ]);
    const doc = parse(text) as { a: { b: { y: number }[] }[] };
    assert.equal(doc.a[1]!.b[0]!.y, 3);
  });

  test('CRLF and no trailing newline', () => {
    const text = 'a = 1\r\n# c\r\n[t]\r\nb = """x\r\ny"""\r\nc = 2';
    assert.deepEqual(locateKeys(text), [
      { key: 'a', line: 1 },
      { key: 't.b', line: 4 },
      { key: 't.c', line: 6 },
    ]);
  });

  test('lists problems without throwing', () => {
    const scan = scanToml('a = 1\nb = = 2\nc = "open\nd = 4\n');
    assert.deepEqual(
      scan.errors.map((e) => e.line),
      [1, 2],
    );
    assert.deepEqual(
      scan.keys.map((k) => k.rawKey.join('.')),
      ['a', 'd'],
    );
  });
});

describe('lineOfKey', () => {
  test('top-level keys', () => {
    assert.equal(lineOfKey(DOC, 'layout'), 4);
    assert.equal(lineOfKey(DOC, 'log_level'), 5);
  });

  test('table keys and tables', () => {
    assert.equal(lineOfKey(DOC, 'mount.read_timeout_ms'), 8);
    assert.equal(lineOfKey(DOC, 'mount.attr_timeout_sec'), 9);
    assert.equal(lineOfKey(DOC, 'mount'), 7);
    assert.equal(lineOfKey(DOC, 'scan'), 12);
  });

  test('keys after multi-line strings and arrays', () => {
    assert.equal(lineOfKey(DOC, 'scan.ignore'), 14);
    assert.equal(lineOfKey(DOC, 'scan.note'), 18);
    assert.equal(lineOfKey(DOC, 'scan.watch_debounce_ms'), 22);
  });

  test('array-table keys and elements', () => {
    assert.equal(lineOfKey(DOC, 'webhook[0].url'), 26);
    assert.equal(lineOfKey(DOC, 'webhook[0].events'), 27);
    assert.equal(lineOfKey(DOC, 'webhook[1].url'), 30);
    assert.equal(lineOfKey(DOC, 'webhook[1].secret'), 31);
    assert.equal(lineOfKey(DOC, 'webhook[0]'), 25);
    assert.equal(lineOfKey(DOC, 'webhook[1]'), 29);
    assert.equal(lineOfKey(DOC, 'webhook'), 25);
  });

  test('absent keys', () => {
    assert.equal(lineOfKey(DOC, 'nope'), undefined);
    assert.equal(lineOfKey(DOC, 'mount.nope'), undefined);
    assert.equal(lineOfKey(DOC, 'webhook[2].url'), undefined);
    assert.equal(lineOfKey(DOC, 'webhook[0].secret'), undefined);
    // Text inside strings is not a key or a table.
    assert.equal(lineOfKey(DOC, 'a'), undefined);
    assert.equal(lineOfKey(DOC, 'not.a.table'), undefined);
    assert.equal(lineOfKey('', 'a'), undefined);
  });

  test('inline dotted keys and tables made of them', () => {
    const text = '# top\nmount.read_timeout_ms = 5\nmount.path = "/m"\n[scan.extra]\nx = 1\n';
    assert.equal(lineOfKey(text, 'mount.read_timeout_ms'), 2);
    assert.equal(lineOfKey(text, 'mount.path'), 3);
    assert.equal(lineOfKey(text, 'mount'), 2);
    assert.equal(lineOfKey(text, 'scan'), 4);
    assert.equal(lineOfKey(text, 'scan.extra.x'), 5);
  });

  test('keys inside inline tables', () => {
    const text = 'a = 1\nmount = { read_timeout_ms = 5 }\n';
    assert.equal(lineOfKey(text, 'mount.read_timeout_ms'), 2);
    assert.equal(lineOfKey(text, 'mount'), 2);
  });

  test('quoted keys, asked quoted or as plain joined names', () => {
    const text = 'a = 1\n"odd key" = 2\n["my.table"]\n"x y" = 3\n[[origin]]\n"a b" = 4\n';
    assert.equal(lineOfKey(text, '"odd key"'), 2);
    assert.equal(lineOfKey(text, 'odd key'), 2);
    assert.equal(lineOfKey(text, '"my.table"."x y"'), 4);
    assert.equal(lineOfKey(text, 'my.table.x y'), 4);
    assert.equal(lineOfKey(text, 'origin[0]."a b"'), 6);
    assert.equal(lineOfKey(text, 'origin[0].a b'), 6);
  });

  test('CRLF', () => {
    const text = DOC.replace(/\n/g, '\r\n');
    assert.equal(lineOfKey(text, 'scan.watch_debounce_ms'), 22);
    assert.equal(lineOfKey(text, 'webhook[1].secret'), 31);
  });

  test('agrees with locateKeys for every key', () => {
    for (const { key, line } of locateKeys(DOC)) assert.equal(lineOfKey(DOC, key), line, key);
  });
});

describe('parseKeyPath', () => {
  test('bare, quoted and indexed parts', () => {
    assert.deepEqual(parseKeyPath('a.b'), [{ name: 'a' }, { name: 'b' }]);
    assert.deepEqual(parseKeyPath('webhook[1].url'), [{ name: 'webhook', index: 1 }, { name: 'url' }]);
    assert.deepEqual(parseKeyPath('"a.b" . \'c d\''), [{ name: 'a.b' }, { name: 'c d' }]);
    assert.deepEqual(parseKeyPath('"esc\\"aped"'), [{ name: 'esc"aped' }]);
    assert.equal(parseKeyPath('a b'), undefined);
    assert.equal(parseKeyPath('a.'), undefined);
    assert.equal(parseKeyPath(''), undefined);
  });
});

describe('scanToml', () => {
  test('a byte order mark does not hide the first key', () => {
    const text = '\uFEFFa = "\\e\\x41\\u00e9\\U0001F3B5" # 1.1 escapes\nb = 2\n';
    assert.deepEqual(scanToml(text).errors, []);
    assert.equal(lineOfKey(text, 'a'), 1);
    assert.equal(lineOfKey(text, 'b'), 2);
  });

  test('classifies every line', () => {
    const text = '# c\n\n[t]  # h\na = """\nx\n"""\nb = [ # open\n  1,\n]\nbad = = 1\n';
    assert.deepEqual(scanToml(text).lineKinds, ['comment', 'blank', 'header', 'key', 'continuation', 'continuation', 'key', 'continuation', 'continuation', 'invalid']);
  });
});
