/**
 * A line-aware TOML scanner: where every key, table header, comment and blank
 * line of a TOML text sits. It parses only the structure (keys, headers and
 * the extent of each value), enough to never be fooled by a `#`, `=` or `[`
 * inside a string, by multi-line strings and arrays, quoted keys, CRLF, or a
 * file without a trailing newline. Values themselves are not decoded: the
 * real parser (smol-toml) does that; this one answers "which line?" and gives
 * toml-edit.ts the byte ranges it rewrites.
 *
 * Pure: no node:*, no packages.
 */

/** One step of a resolved key path; `index` is set for an element of an array (of tables). */
export interface PathSegment {
  readonly name: string;
  readonly index?: number;
}

export type ValueKind = 'string' | 'array' | 'inline-table' | 'other';

/** A `key = value` assignment. Lines are 0-based; offsets index the text. */
export interface KeyEntry {
  /** The full path: the table's (with array indexes) followed by the key's parts. */
  readonly path: readonly PathSegment[];
  /** The key's parts as written, relative to its table or inline table. */
  readonly rawKey: readonly string[];
  /** Index into `headers` of the table this key belongs to; -1 for the root table. */
  readonly section: number;
  /** True inside an inline table (`t = { k = 1 }`) or an array of inline tables. */
  readonly inline: boolean;
  readonly line: number;
  /** Last line of the value (differs from `line` for multi-line strings and arrays). */
  readonly endLine: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  readonly valueKind: ValueKind;
}

/** A `[table]` or `[[array]]` header. */
export interface HeaderEntry {
  readonly kind: 'table' | 'array';
  /** Resolved path; the last segment of an `[[array]]` header carries the element's index. */
  readonly path: readonly PathSegment[];
  /** The header's key parts as written (`[ "a" . b ]` → ['a', 'b']). */
  readonly rawKey: readonly string[];
  readonly line: number;
}

export type LineKind = 'blank' | 'comment' | 'header' | 'key' | 'continuation' | 'invalid';

export interface ScanError {
  /** 0-based line. */
  readonly line: number;
  readonly message: string;
}

export interface TomlScan {
  readonly text: string;
  /** Offset where each line starts; a trailing newline does not start a line. */
  readonly lineStarts: readonly number[];
  readonly lineKinds: readonly LineKind[];
  /** Every assignment, in document order (keys of inline tables after their owner). */
  readonly keys: readonly KeyEntry[];
  readonly headers: readonly HeaderEntry[];
  readonly errors: readonly ScanError[];
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** A key part as TOML writes it: bare when it can be, else a basic string. */
export function formatKeyPart(name: string): string {
  return BARE_KEY.test(name) ? name : quoteBasic(name);
}

/** A path as text: `webhook[1].url`, `"odd key"`. */
export function formatPath(path: readonly PathSegment[]): string {
  return path.map((s) => formatKeyPart(s.name) + (s.index === undefined ? '' : `[${s.index}]`)).join('.');
}

/** The same path with its names unquoted, as code that joins object keys writes it. */
export function plainPath(path: readonly PathSegment[]): string {
  return path.map((s) => s.name + (s.index === undefined ? '' : `[${s.index}]`)).join('.');
}

/** A TOML basic string for `s`: `\"`, `\\`, `\n`, `\t`, and `\uXXXX` for other control characters. */
export function quoteBasic(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw new Error(`cannot write a string with a lone surrogate (U+${c.toString(16).toUpperCase()}) as TOML`);
      out += ch + s[i + 1]!;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new Error(`cannot write a string with a lone surrogate (U+${c.toString(16).toUpperCase()}) as TOML`);
    } else out += ch;
  }
  return out + '"';
}

class ParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Offsets where lines start (none for the empty text; the first line starts after a byte order mark). */
export function lineStartsOf(text: string): number[] {
  const starts: number[] = text.length > 0 ? [text.startsWith('\uFEFF') ? 1 : 0] : [];
  for (let i = text.indexOf('\n'); i !== -1 && i + 1 < text.length; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

const isWs = (c: string | undefined): boolean => c === ' ' || c === '\t';

/** The one-letter escapes of basic strings (`\e` is TOML 1.1). */
const ESCAPES = new Map([
  ['b', '\b'],
  ['t', '\t'],
  ['n', '\n'],
  ['f', '\f'],
  ['r', '\r'],
  ['e', '\x1b'],
  ['"', '"'],
  ['\\', '\\'],
]);

/** Scans the structure of a TOML text. Never throws: problems are listed in `errors`. */
export function scanToml(text: string): TomlScan {
  const lineStarts = lineStartsOf(text);
  const lineKinds: LineKind[] = lineStarts.map(() => 'blank');
  const keys: KeyEntry[] = [];
  const headers: HeaderEntry[] = [];
  const errors: ScanError[] = [];
  /** Current element index of each array of tables, by resolved path text. */
  const arrays = new Map<string, number>();
  let section = -1;
  let sectionPath: PathSegment[] = [];
  // A byte order mark is not part of the first line's content.
  let pos = text.startsWith('\uFEFF') ? 1 : 0;

  const lineAt = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const fail = (message: string, at = pos): never => {
    throw new ParseError(message, at);
  };
  const skipWs = (): void => {
    while (isWs(text[pos])) pos++;
  };
  /** At a newline (LF or CRLF) or the end of the text. */
  const atEol = (): boolean => pos >= text.length || text[pos] === '\n' || (text[pos] === '\r' && text[pos + 1] === '\n');
  const skipComment = (): void => {
    if (text[pos] !== '#') return;
    while (!atEol()) pos++;
  };
  const skipNewline = (): void => {
    if (text[pos] === '\r') pos++;
    if (text[pos] === '\n') pos++;
  };
  /** Whitespace, newlines and comments, as allowed between array elements. */
  const skipWsNewlinesComments = (): void => {
    for (;;) {
      skipWs();
      if (text[pos] === '#') skipComment();
      else if (text[pos] === '\n' || (text[pos] === '\r' && text[pos + 1] === '\n')) skipNewline();
      else return;
    }
  };

  /** A single-line basic string at `pos` (on the opening quote); returns its decoded value. */
  const basicString = (): string => {
    const start = pos;
    pos++;
    let out = '';
    for (;;) {
      const c = text[pos];
      if (c === undefined || c === '\n' || c === '\r') fail('unterminated string', start);
      if (c === '"') {
        pos++;
        return out;
      }
      if (c === '\\') {
        const e = text[pos + 1];
        const simple = e === undefined ? undefined : ESCAPES.get(e);
        if (simple !== undefined) {
          out += simple;
          pos += 2;
        } else if (e === 'u' || e === 'U' || e === 'x') {
          const len = e === 'u' ? 4 : e === 'U' ? 8 : 2;
          const hex = text.slice(pos + 2, pos + 2 + len);
          if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) fail('bad escape in string', pos);
          const cp = parseInt(hex, 16);
          if (cp > 0x10ffff) fail('bad escape in string', pos);
          out += String.fromCodePoint(cp);
          pos += 2 + len;
        } else fail('bad escape in string', pos);
      } else {
        out += c;
        pos++;
      }
    }
  };
  const literalString = (): string => {
    const start = pos;
    const end = text.indexOf("'", pos + 1);
    const nl = text.indexOf('\n', pos + 1);
    if (end === -1 || (nl !== -1 && nl < end)) fail('unterminated string', start);
    pos = end + 1;
    return text.slice(start + 1, end);
  };
  /** A multi-line string (`"""` or `'''`) at `pos`. */
  const multiLineString = (quote: '"' | "'"): void => {
    const start = pos;
    const delim = quote.repeat(3);
    pos += 3;
    for (;;) {
      if (pos >= text.length) fail('unterminated multi-line string', start);
      if (quote === '"' && text[pos] === '\\') {
        pos += 2;
        continue;
      }
      if (text.startsWith(delim, pos)) {
        pos += 3;
        // Up to two more quotes right before the closing ones belong to the content.
        for (let extra = 0; extra < 2 && text[pos] === quote; extra++) pos++;
        return;
      }
      pos++;
    }
  };

  /** A key (`a`, `"odd key"`, `a . "b" . c`) at `pos`; returns its parts. */
  const key = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      skipWs();
      const c = text[pos];
      if (c === '"') parts.push(basicString());
      else if (c === "'") parts.push(literalString());
      else {
        const start = pos;
        while (pos < text.length && /[A-Za-z0-9_-]/.test(text[pos]!)) pos++;
        if (pos === start) fail(c === undefined || atEol() ? 'expected a key' : `unexpected character ${JSON.stringify(c)} where a key should be`);
        parts.push(text.slice(start, pos));
      }
      skipWs();
      if (text[pos] !== '.') return parts;
      pos++;
    }
  };

  /** Scans one value at `pos`, recording the keys of inline tables under `prefix`. */
  const value = (prefix: PathSegment[]): ValueKind => {
    const c = text[pos];
    if (c === '"' || c === "'") {
      if (text.startsWith(c.repeat(3), pos)) multiLineString(c);
      else if (c === '"') basicString();
      else literalString();
      return 'string';
    }
    if (c === '[') {
      pos++;
      for (let index = 0; ; index++) {
        skipWsNewlinesComments();
        if (text[pos] === ']') break;
        if (pos >= text.length) fail('unterminated array');
        value([...prefix.slice(0, -1), { ...prefix[prefix.length - 1]!, index }]);
        skipWsNewlinesComments();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') break;
        fail(pos >= text.length ? 'unterminated array' : `expected , or ] in array, found ${JSON.stringify(text[pos])}`);
      }
      pos++;
      return 'array';
    }
    if (c === '{') {
      pos++;
      skipWsNewlinesComments();
      if (text[pos] === '}') {
        pos++;
        return 'inline-table';
      }
      for (;;) {
        skipWsNewlinesComments();
        assignment(prefix, true);
        skipWsNewlinesComments();
        if (text[pos] === ',') {
          pos++;
          skipWsNewlinesComments();
          // TOML 1.1 allows a trailing comma.
          if (text[pos] === '}') break;
          continue;
        }
        if (text[pos] === '}') break;
        fail(pos >= text.length ? 'unterminated inline table' : `expected , or } in inline table, found ${JSON.stringify(text[pos])}`);
      }
      pos++;
      return 'inline-table';
    }
    // Numbers, booleans, dates and times (a date may hold one space: 1979-05-27 07:32:00Z).
    const start = pos;
    const word = (): void => {
      while (pos < text.length && /[A-Za-z0-9_+\-.:]/.test(text[pos]!)) pos++;
    };
    word();
    if (/^\d{4}-\d{2}-\d{2}$/.test(text.slice(start, pos)) && text[pos] === ' ' && /^\d{2}:/.test(text.slice(pos + 1, pos + 4))) {
      pos++;
      word();
    }
    if (pos === start) fail(c === undefined || atEol() ? 'expected a value' : `unexpected character ${JSON.stringify(c)} where a value should be`);
    if (!/^(?:true|false|[+-]?(?:inf|nan)|[+-]?[0-9][0-9A-Za-z_+\-.: ]*)$/.test(text.slice(start, pos))) {
      fail(`invalid value ${JSON.stringify(text.slice(start, pos))} (strings need quotes)`, start);
    }
    return 'other';
  };

  /** `key = value` at `pos`, inside the table `prefix`. */
  function assignment(prefix: PathSegment[], inline: boolean): void {
    const keyStart = pos;
    const rawKey = key();
    if (text[pos] !== '=') fail(`expected = after the key ${rawKey.map(formatKeyPart).join('.')}`);
    pos++;
    skipWs();
    const path = [...prefix, ...rawKey.map((name) => ({ name }))];
    const valueStart = pos;
    const slot = keys.length;
    // Reserve the slot so the owner comes before the keys of its inline table.
    keys.push(undefined as unknown as KeyEntry);
    let valueKind: ValueKind;
    try {
      valueKind = value(path);
    } catch (err) {
      keys.length = slot;
      throw err;
    }
    const line = lineAt(keyStart);
    const endLine = lineAt(Math.max(valueStart, pos - 1));
    keys[slot] = { path, rawKey, section, inline, line, endLine, valueStart, valueEnd: pos, valueKind };
    if (!inline) {
      lineKinds[line] = 'key';
      for (let l = line + 1; l <= endLine; l++) lineKinds[l] = 'continuation';
    }
  }

  const resolve = (parts: readonly string[]): PathSegment[] => {
    const out: PathSegment[] = [];
    for (const name of parts) {
      out.push({ name });
      const index = arrays.get(formatPath(out));
      if (index !== undefined) out[out.length - 1] = { name, index };
    }
    return out;
  };

  const header = (): void => {
    const start = pos;
    const isArray = text[pos + 1] === '[';
    pos += isArray ? 2 : 1;
    const rawKey = key();
    if (text[pos] !== ']' || (isArray && text[pos + 1] !== ']')) fail(`expected ${isArray ? ']]' : ']'} to close the table header`);
    pos += isArray ? 2 : 1;
    let path: PathSegment[];
    if (isArray) {
      const parent = resolve(rawKey.slice(0, -1));
      const name = rawKey[rawKey.length - 1]!;
      const id = formatPath([...parent, { name }]);
      const index = (arrays.get(id) ?? -1) + 1;
      arrays.set(id, index);
      path = [...parent, { name, index }];
    } else path = resolve(rawKey);
    const line = lineAt(start);
    section = headers.length;
    sectionPath = path;
    headers.push({ kind: isArray ? 'array' : 'table', path, rawKey, line });
    lineKinds[line] = 'header';
  };

  while (pos < text.length) {
    const lineStart = pos;
    try {
      skipWs();
      if (atEol()) {
        skipNewline();
        continue;
      }
      if (text[pos] === '#') {
        lineKinds[lineAt(pos)] = 'comment';
        skipComment();
        skipNewline();
        continue;
      }
      if (text[pos] === '[') header();
      else assignment(sectionPath, false);
      skipWs();
      skipComment();
      if (!atEol()) fail(`unexpected ${JSON.stringify(text[pos])} after the value`);
      skipNewline();
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      const line = lineAt(Math.max(lineStart, Math.min(err.offset, text.length - 1)));
      errors.push({ line, message: err.message });
      // Resume on the line after the problem.
      const at = Math.max(err.offset, lineStart);
      const nl = text.indexOf('\n', at);
      for (let l = lineAt(lineStart); l <= line; l++) if (lineKinds[l] === 'blank') lineKinds[l] = 'invalid';
      lineKinds[line] = 'invalid';
      pos = nl === -1 ? text.length : nl + 1;
    }
  }
  return { text, lineStarts, lineKinds, keys, headers, errors };
}

/**
 * Parses a key query: dotted parts, bare or quoted, each optionally followed
 * by `[n]` (`webhook[1].url`, `"odd key"`, `mount.read_timeout_ms`).
 * Undefined when it is not one.
 */
export function parseKeyPath(query: string): PathSegment[] | undefined {
  const out: PathSegment[] = [];
  let pos = 0;
  const skipWs = (): void => {
    while (isWs(query[pos])) pos++;
  };
  for (;;) {
    skipWs();
    const c = query[pos];
    let name: string;
    if (c === '"' || c === "'") {
      const end = findStringEnd(query, pos);
      if (end === undefined) return undefined;
      // Decode it with the scanner's own string rules.
      const scan = scanToml(`${query.slice(pos, end)} = 0`);
      const only = scan.keys[0];
      if (scan.errors.length > 0 || !only || only.rawKey.length !== 1) return undefined;
      name = only.rawKey[0]!;
      pos = end;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(query.slice(pos));
      if (!m) return undefined;
      name = m[0];
      pos += name.length;
    }
    skipWs();
    let index: number | undefined;
    const idx = /^\[\s*(\d+)\s*\]/.exec(query.slice(pos));
    if (idx) {
      index = Number(idx[1]);
      pos += idx[0].length;
      skipWs();
    }
    out.push(index === undefined ? { name } : { name, index });
    if (pos >= query.length) return out;
    if (query[pos] !== '.') return undefined;
    pos++;
  }
}

/** End offset (after the closing quote) of a single-line string starting at `pos`. */
function findStringEnd(s: string, pos: number): number | undefined {
  const q = s[pos];
  for (let i = pos + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\n') return undefined;
    if (q === '"' && c === '\\') {
      i++;
      continue;
    }
    if (c === q) return i + 1;
  }
  return undefined;
}

export function samePath(a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  return a.length === b.length && a.every((s, i) => s.name === b[i]!.name && s.index === b[i]!.index);
}

/** `a` is a strict prefix of `b`. */
export function isPathPrefix(a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  return a.length < b.length && a.every((s, i) => s.name === b[i]!.name && s.index === b[i]!.index);
}

/** The same path without array indexes. */
function unindexed(path: readonly PathSegment[]): PathSegment[] {
  return path.map((s) => ({ name: s.name }));
}

/**
 * Line (1-based) where a key is set, e.g. 'log_level', 'mount.read_timeout_ms',
 * 'webhook[1].url' (index = nth [[webhook]] table, 0-based), or where a table
 * starts ('webhook[1]', 'mount'). Undefined if not found.
 */
export function lineOfKey(text: string, key: string): number | undefined {
  const scan = scanToml(text);
  const query = parseKeyPath(key);
  const candidates: { path: readonly PathSegment[]; line: number }[] = [...scan.keys, ...scan.headers].sort((a, b) => a.line - b.line);
  const first = (pred: (path: readonly PathSegment[]) => boolean): number | undefined => {
    const hit = candidates.find((c) => pred(c.path));
    return hit === undefined ? undefined : hit.line + 1;
  };
  if (query) {
    // Exactly that key or table.
    const exact = first((p) => samePath(p, query));
    if (exact !== undefined) return exact;
  }
  // Keys as code joins them from a parsed document ('odd key', 'a.b.c' for any quoting).
  const exactPlain = first((p) => plainPath(p) === key);
  if (exactPlain !== undefined) return exactPlain;
  if (query) {
    // 'webhook' → the first [[webhook]]; 'mount' defined only by dotted keys or sub-tables → its first line.
    const withoutIndex = first((p) => query.every((s) => s.index === undefined) && samePath(unindexed(p), query));
    if (withoutIndex !== undefined) return withoutIndex;
    const inside = first((p) => isPathPrefix(query, p));
    if (inside !== undefined) return inside;
  }
  return undefined;
}

/**
 * Every key assignment with its full dotted key (array tables indexed as
 * `webhook[1].url`) and 1-based line: for error messages and tests.
 */
export function locateKeys(text: string): { key: string; line: number }[] {
  return scanToml(text).keys.map((k) => ({ key: formatPath(k.path), line: k.line + 1 }));
}
