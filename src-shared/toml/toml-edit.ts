/**
 * Surgical edits of a TOML text: set or remove one key, append or remove one
 * `[[table]]`, touching only the lines concerned. Every comment, blank line,
 * ordering and formatting elsewhere stays byte for byte; CRLF files stay CRLF
 * and a file without a trailing newline stays without one.
 *
 * A request that cannot be applied safely (a syntax error in the file, a key
 * inside an inline table, a table where a value is expected...) throws an
 * Error that says why, and nothing is written.
 *
 * Pure: no node:*, no packages.
 */
import {
  formatKeyPart,
  formatPath,
  isPathPrefix,
  parseKeyPath,
  plainPath,
  quoteBasic,
  samePath,
  scanToml,
  type KeyEntry,
  type PathSegment,
  type TomlScan,
} from './toml-locate.js';

type Scalar = string | number | boolean;

function numberLiteral(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  // Beyond 2^53 a JS number is not an exact integer (and parsers refuse such
  // TOML integers as lossy): write it as the float it is, in exponent form.
  if (Number.isSafeInteger(n)) return String(n);
  let s = Number.isInteger(n) ? n.toExponential() : String(n);
  // Floats always carry a dot: 0.5, 1.0e-7, 1.0e+21.
  const e = s.search(/e/i);
  const mantissa = e === -1 ? s : s.slice(0, e);
  if (!mantissa.includes('.')) s = `${mantissa}.0${e === -1 ? '' : s.slice(e)}`;
  return s;
}

function scalarLiteral(value: unknown): string {
  if (typeof value === 'string') return quoteBasic(value);
  if (typeof value === 'number') return numberLiteral(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  throw new Error(`cannot write ${describe(value)} as a TOML value (only strings, numbers, booleans and arrays of them)`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a nested array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * A TOML literal for a JS value: strings as basic strings (escaping `\"`,
 * `\\`, `\n`, `\t` and other control characters as `\uXXXX`), integers as is,
 * other numbers as floats with a dot (`0.5`, `1.0e-7`; `inf`, `nan`),
 * booleans, and arrays of those. Throws on anything else.
 */
export function tomlValue(value: Scalar | readonly Scalar[]): string {
  if (Array.isArray(value)) return `[${(value as readonly unknown[]).map(scalarLiteral).join(', ')}]`;
  return scalarLiteral(value);
}

/** The file's line ending: that of its first line, LF when it has none. */
function eolOf(text: string): string {
  const nl = text.indexOf('\n');
  return nl > 0 && text[nl - 1] === '\r' ? '\r\n' : '\n';
}

/** Scans `text`, refusing to edit a file the scanner does not fully understand. */
function scanForEdit(text: string): TomlScan {
  const scan = scanToml(text);
  const err = scan.errors[0];
  if (err) throw new Error(`cannot edit this TOML safely: line ${err.line + 1}: ${err.message}`);
  return scan;
}

/** Checks that `literal` is exactly one TOML value; returns it trimmed, with the file's line endings. */
function checkLiteral(literal: string, eol: string): string {
  const lit = literal.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  const probe = `v = ${lit}`;
  const scan = scanToml(probe);
  const entry = scan.keys[0];
  if (lit === '' || scan.errors.length > 0 || scan.headers.length > 0 || !entry || entry.rawKey.join('.') !== 'v' || entry.valueEnd !== probe.length) {
    throw new Error(`not a single TOML value: ${JSON.stringify(literal)}`);
  }
  return lit.replace(/\r?\n/g, eol);
}

/** Inserts whole lines before line `at` (`at` = line count: at the end). */
function insertLines(scan: TomlScan, at: number, lines: readonly string[], eol: string): string {
  const { text, lineStarts } = scan;
  if (lines.length === 0) return text;
  if (at < lineStarts.length) {
    const offset = lineStarts[at]!;
    return text.slice(0, offset) + lines.map((l) => l + eol).join('') + text.slice(offset);
  }
  if (text === '' || text.endsWith('\n')) return text + lines.map((l) => l + eol).join('');
  // Keep the file without a trailing newline.
  return text + eol + lines.join(eol);
}

/** Removes lines [from, to). */
function removeLines(scan: TomlScan, from: number, to: number): string {
  const { text, lineStarts } = scan;
  if (from >= to) return text;
  let start = lineStarts[from]!;
  const end = to < lineStarts.length ? lineStarts[to]! : text.length;
  // The last line had no newline: keep it that way by taking the one before instead.
  if (to >= lineStarts.length && !text.endsWith('\n') && from > 0) start -= text[start - 2] === '\r' ? 2 : 1;
  return text.slice(0, start) + text.slice(end);
}

function replaceValue(scan: TomlScan, entry: KeyEntry, literal: string): string {
  return scan.text.slice(0, entry.valueStart) + literal + scan.text.slice(entry.valueEnd);
}

function indentOf(scan: TomlScan, line: number): string {
  return /^[ \t]*/.exec(scan.text.slice(scan.lineStarts[line], scan.lineStarts[line + 1] ?? scan.text.length))![0];
}

const unindexed = (path: readonly PathSegment[]): PathSegment[] => path.map((s) => ({ name: s.name }));
const where = (line: number): string => `line ${line + 1}`;

/**
 * The assignment of `target` when there is one; undefined when the key can be
 * added; throws when `target` is (or lies under) something that is not a
 * plain table: a table, an array of tables, an inline table, a value.
 */
function findAssignment(scan: TomlScan, target: readonly PathSegment[]): KeyEntry | undefined {
  const name = formatPath(target);
  const exact = scan.keys.find((k) => samePath(k.path, target));
  if (exact) {
    if (exact.inline) throw new Error(`cannot set ${name}: it is written inside an inline table (${where(exact.line)}); edit that line by hand`);
    return exact;
  }
  const plain = target.every((s) => s.index === undefined);
  for (const h of scan.headers) {
    if (plain && h.kind === 'array' && (samePath(unindexed(h.path), target) || isPathPrefix(unindexed(h.path), target))) {
      const arr = formatPath(unindexed(h.path));
      throw new Error(`cannot set ${name}: ${arr} is an array of tables ([[${arr}]], ${where(h.line)})`);
    }
    if (samePath(h.path, target) || isPathPrefix(target, h.path)) throw new Error(`cannot set ${name}: it is a table (${where(h.line)}), not a value`);
  }
  for (const k of scan.keys) {
    if (isPathPrefix(target, k.path)) throw new Error(`cannot set ${name}: it is a table (keys under it at ${where(k.line)}), not a value`);
    if (isPathPrefix(k.path, target)) {
      const owner = formatPath(k.path);
      if (k.valueKind === 'inline-table') throw new Error(`cannot set ${name}: ${owner} is an inline table (${where(k.line)}); edit that line by hand`);
      throw new Error(`cannot set ${name}: ${owner} is not a table (${where(k.line)})`);
    }
  }
  return undefined;
}

/** Inserts `line` after the last of `keys` (indented like it), else after line `fallback` (or at the end: -1 → top). */
function insertAfterLastKey(scan: TomlScan, keys: readonly KeyEntry[], fallbackLine: number, line: string, eol: string): string {
  const last = keys[keys.length - 1];
  if (last) return insertLines(scan, last.endLine + 1, [indentOf(scan, last.line) + line], eol);
  return insertLines(scan, fallbackLine + 1, [(fallbackLine >= 0 ? indentOf(scan, fallbackLine) : '') + line], eol);
}

/** A top-level key goes after the last top-level key; else after the leading comments, before the first table. */
function insertTopLevel(scan: TomlScan, line: string, eol: string): string {
  const rootKeys = scan.keys.filter((k) => k.section === -1 && !k.inline);
  if (rootKeys.length > 0) return insertAfterLastKey(scan, rootKeys, -1, line, eol);
  const count = scan.lineStarts.length;
  const first = scan.headers[0];
  // Comments right above the first header belong to it.
  let attached = first ? first.line : count;
  if (first) while (attached > 0 && scan.lineKinds[attached - 1] === 'comment') attached--;
  let lastComment = -1;
  for (let l = 0; l < attached; l++) if (scan.lineKinds[l] !== 'blank') lastComment = l;
  if (lastComment >= 0) return insertLines(scan, lastComment + 1, ['', line], eol);
  // Nothing but blank lines before the first table (or its comment): keep them apart.
  return insertLines(scan, 0, attached === 0 && count > 0 ? [line, ''] : [line], eol);
}

/** Appends lines at the end of the file, after one blank line. */
function appendBlock(scan: TomlScan, lines: readonly string[], eol: string): string {
  const count = scan.lineStarts.length;
  const needsBlank = count > 0 && scan.lineKinds[count - 1] !== 'blank';
  return insertLines(scan, count, needsBlank ? ['', ...lines] : lines, eol);
}

/** Checks the result still scans cleanly: a guard against ever writing a broken file. */
function checked(result: string): string {
  const err = scanToml(result).errors[0];
  if (err) throw new Error(`internal error: the edit would break the file at line ${err.line + 1}: ${err.message}`);
  return result;
}

/**
 * Sets `key` ('log_level' or 'mount.read_timeout_ms': table.key, one level of
 * table) to the TOML literal `literal`. Replaces the value in place when the
 * key exists (keeping an inline `# comment` after it, and also when written as
 * a dotted key at top level); otherwise inserts it after the last key of its
 * table, creating `[table]` at the end when missing; a top-level key goes
 * after the last top-level key, else before the first table header (after
 * the leading comments).
 */
export function setKey(text: string, key: string, literal: string): string {
  const path = parseKeyPath(key);
  if (!path || path.length > 2 || path.some((s) => s.index !== undefined)) {
    throw new Error(`cannot set ${JSON.stringify(key)}: expected "key" or "table.key"`);
  }
  const eol = eolOf(text);
  const lit = checkLiteral(literal, eol);
  const scan = scanForEdit(text);
  const existing = findAssignment(scan, path);
  if (existing) return checked(replaceValue(scan, existing, lit));
  const leaf = path[path.length - 1]!.name;
  if (path.length === 1) return checked(insertTopLevel(scan, `${formatKeyPart(leaf)} = ${lit}`, eol));
  const table = path[0]!.name;
  const headerIndex = scan.headers.findIndex((h) => h.kind === 'table' && samePath(h.path, [{ name: table }]));
  if (headerIndex >= 0) {
    const own = scan.keys.filter((k) => k.section === headerIndex && !k.inline);
    return checked(insertAfterLastKey(scan, own, scan.headers[headerIndex]!.line, `${formatKeyPart(leaf)} = ${lit}`, eol));
  }
  // A table written as dotted keys at top level (`mount.path = "..."`): add another one beside them.
  const dotted = scan.keys.filter((k) => k.section === -1 && !k.inline && k.rawKey.length > 1 && k.rawKey[0] === table);
  if (dotted.length > 0) return checked(insertAfterLastKey(scan, dotted, -1, `${formatKeyPart(table)}.${formatKeyPart(leaf)} = ${lit}`, eol));
  return checked(appendBlock(scan, [`[${formatKeyPart(table)}]`, `${formatKeyPart(leaf)} = ${lit}`], eol));
}

/**
 * Removes the assignment of `key` ('log_level', 'mount.read_timeout_ms',
 * 'webhook[1].url'): its line, or all the lines of a multi-line value. No-op
 * when absent.
 */
export function removeKey(text: string, key: string): string {
  const path = parseKeyPath(key);
  const scan = scanForEdit(text);
  // As a TOML key ('"odd key"', 'webhook[1].url'), else as names joined by dots ('odd key').
  const entry = (path && scan.keys.find((k) => samePath(k.path, path))) || scan.keys.find((k) => plainPath(k.path) === key);
  if (!entry) {
    const table = scan.headers.find((h) => (path && (samePath(h.path, path) || samePath(unindexed(h.path), path))) || plainPath(h.path) === key);
    if (table) throw new Error(`cannot remove ${key}: it is a table (${where(table.line)}), not a key`);
    return text;
  }
  if (entry.inline) throw new Error(`cannot remove ${key}: it is written inside an inline table (${where(entry.line)}); edit that line by hand`);
  return checked(removeLines(scan, entry.line, entry.endLine + 1));
}

/** 'origin', 'a.b' (dotted), '"odd name"'; a name that is none of these is one plain name ('odd name'). */
function arrayTablePath(name: string, what: string): PathSegment[] {
  const path = parseKeyPath(name) ?? [{ name }];
  if (path.some((s) => s.index !== undefined)) throw new Error(`cannot ${what} [[${name}]]: not a table name`);
  return path;
}

/** Index into scan.headers of the index-th `[[name]]`; throws when there is none. */
function findElement(scan: TomlScan, path: readonly PathSegment[], index: number, what: string): number {
  const name = formatPath(path);
  if (!Number.isInteger(index) || index < 0) throw new Error(`cannot ${what} [[${name}]] number ${index}: not an index`);
  let seen = 0;
  for (let i = 0; i < scan.headers.length; i++) {
    const h = scan.headers[i]!;
    if (h.kind === 'array' && samePath(h.rawKey.map((n) => ({ name: n })), path) && seen++ === index) return i;
  }
  throw new Error(`cannot ${what} [[${name}]] #${index}: the file has ${seen} such table${seen === 1 ? '' : 's'}`);
}

/**
 * Appends a new `[[name]]` table with these keys (values as TOML literals, in
 * the given order) at the end of the file, separated by one blank line.
 */
export function appendArrayTable(text: string, name: string, entries: readonly (readonly [key: string, literal: string])[]): string {
  const path = arrayTablePath(name, 'append');
  const eol = eolOf(text);
  const scan = scanForEdit(text);
  const shown = formatPath(path);
  for (const h of scan.headers) {
    if (h.kind === 'table' && samePath(h.path, path)) throw new Error(`cannot append [[${shown}]]: ${shown} is a plain table ([${shown}], ${where(h.line)})`);
  }
  for (const k of scan.keys) {
    if (samePath(k.path, path) || isPathPrefix(k.path, path)) {
      throw new Error(`cannot append [[${shown}]]: ${formatPath(k.path)} is already set as a value (${where(k.line)})`);
    }
  }
  const seen = new Set<string>();
  const lines = [`[[${shown}]]`];
  for (const [key, literal] of entries) {
    if (seen.has(key)) throw new Error(`cannot append [[${shown}]]: key ${JSON.stringify(key)} given twice`);
    seen.add(key);
    lines.push(`${formatKeyPart(key)} = ${checkLiteral(literal, eol)}`);
  }
  return checked(appendBlock(scan, lines, eol));
}

/**
 * Removes the index-th `[[name]]` table (0-based): its header, its keys (and
 * its sub-tables), the comment lines directly above its header that are not
 * separated from it by a blank line, and comments that directly follow its
 * last key. One blank line of separation is kept between what remains.
 */
export function removeArrayTable(text: string, name: string, index: number): string {
  const path = arrayTablePath(name, 'remove');
  const scan = scanForEdit(text);
  const { headers, keys, lineKinds } = scan;
  const count = scan.lineStarts.length;
  const hi = findElement(scan, path, index, 'remove');
  const header = headers[hi]!;
  // The element ends at the next header that is not one of its sub-tables.
  const isInside = (raw: readonly string[]): boolean => raw.length > header.rawKey.length && header.rawKey.every((n, i) => raw[i] === n);
  let next = hi + 1;
  while (next < headers.length && isInside(headers[next]!.rawKey)) next++;
  const boundary = next < headers.length ? headers[next]!.line : count;
  let last = header.line;
  for (let h = hi + 1; h < next; h++) last = Math.max(last, headers[h]!.line);
  for (const k of keys) if (k.section >= hi && k.section < next) last = Math.max(last, k.endLine);
  // Comments right after the last key go with it, unless they run into the next header (then they are its own).
  let end = last + 1;
  let c = end;
  while (c < boundary && lineKinds[c] === 'comment') c++;
  if (c < boundary || boundary === count) end = c;
  let start = header.line;
  while (start > 0 && lineKinds[start - 1] === 'comment') start--;
  let blanksBefore = start;
  while (blanksBefore > 0 && lineKinds[blanksBefore - 1] === 'blank') blanksBefore--;
  let blanksAfter = end;
  while (blanksAfter < count && lineKinds[blanksAfter] === 'blank') blanksAfter++;
  if (blanksAfter === count) return checked(removeLines(scan, blanksBefore, count));
  if (start === 0 || blanksBefore < start) return checked(removeLines(scan, start, blanksAfter));
  return checked(removeLines(scan, start, end));
}

/**
 * Sets `key` (one name) inside the index-th `[[name]]` table: replaces its
 * value in place, or inserts it after the table's last key.
 */
export function setArrayTableKey(text: string, name: string, index: number, key: string, literal: string): string {
  const path = arrayTablePath(name, 'edit');
  const eol = eolOf(text);
  const lit = checkLiteral(literal, eol);
  const scan = scanForEdit(text);
  const hi = findElement(scan, path, index, 'edit');
  const header = scan.headers[hi]!;
  const existing = findAssignment(scan, [...header.path, { name: key }]);
  if (existing) return checked(replaceValue(scan, existing, lit));
  const own = scan.keys.filter((k) => k.section === hi && !k.inline);
  return checked(insertAfterLastKey(scan, own, header.line, `${formatKeyPart(key)} = ${lit}`, eol));
}
