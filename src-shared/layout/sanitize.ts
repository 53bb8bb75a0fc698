/**
 * Rules that make any string a safe, stable path component of the mount:
 * NFC, trimmed, no separator or control characters, no leading dot (no
 * hidden files, no "." or ".."), never empty, at most 255 bytes of UTF-8
 * (the NAME_MAX of Linux and macOS file systems).
 */

/** Longest component, in bytes of UTF-8, that FUSE on Linux and macOS accepts. */
export const MAX_COMPONENT_BYTES = 255;

/** What an empty (or emptied) component becomes. */
export const EMPTY_COMPONENT = '_';

// `/` (the separator), C0 controls incl. NUL, DEL and the C1 controls.
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f/]/g;
// A surrogate half that is not part of a pair: it has no UTF-8 encoding, so
// the kernel would see U+FFFD anyway; doing it here keeps comparisons exact.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Bytes of one code point in UTF-8 (a lone surrogate counts as U+FFFD: 3). */
function utf8BytesOfCodePoint(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

/** Length of `value` once encoded as UTF-8, in bytes. */
export function utf8ByteLength(value: string): number {
  let bytes = 0;
  for (const char of value) bytes += utf8BytesOfCodePoint(char.codePointAt(0) ?? 0);
  return bytes;
}

/**
 * The longest prefix of `value` that fits in `maxBytes` of UTF-8, cut on a
 * code point boundary (a surrogate pair or multi-byte character is never split).
 */
export function truncateUtf8(value: string, maxBytes: number): string {
  // Fast path: every UTF-16 unit is at most 3 bytes of UTF-8.
  if (value.length * 3 <= maxBytes) return value;
  let bytes = 0;
  let endIndex = 0;
  for (const char of value) {
    const charBytes = utf8BytesOfCodePoint(char.codePointAt(0) ?? 0);
    if (bytes + charBytes > maxBytes) return value.slice(0, endIndex);
    bytes += charBytes;
    endIndex += char.length;
  }
  return value;
}

/** NFC, trim, forbidden characters and lone surrogates replaced; no length or dot rule. */
function cleanText(value: string): string {
  return value
    .normalize('NFC')
    .trim()
    .replace(FORBIDDEN_CHARS, '_')
    .replace(LONE_SURROGATE, '\ufffd');
}

/** A leading dot would hide the entry (or make it "." / ".."). */
function replaceLeadingDot(value: string): string {
  return value.startsWith('.') ? `_${value.slice(1)}` : value;
}

/** Makes any string one safe path component (see the module comment for the rules). */
export function sanitizeComponent(value: string): string {
  const cleaned = replaceLeadingDot(cleanText(value));
  const truncated = truncateUtf8(cleaned, MAX_COMPONENT_BYTES).trimEnd();
  return truncated === '' ? EMPTY_COMPONENT : truncated;
}

/**
 * Like `sanitizeComponent(stem + '.' + ext)`, except that the 255-byte cut
 * shortens the stem so the extension survives. An empty `ext` means no extension.
 */
export function sanitizeFileName(stem: string, ext: string): string {
  const cleanExt = cleanText(ext);
  if (cleanExt === '') return sanitizeComponent(stem);
  const extBytes = utf8ByteLength(cleanExt) + 1; // + the dot
  // An absurd extension leaves no room for a stem: cut the whole name instead.
  if (extBytes >= MAX_COMPONENT_BYTES) return sanitizeComponent(`${stem}.${cleanExt}`);
  let cleanStem = replaceLeadingDot(cleanText(stem));
  cleanStem = truncateUtf8(cleanStem, MAX_COMPONENT_BYTES - extBytes).trimEnd();
  if (cleanStem === '') cleanStem = EMPTY_COMPONENT;
  return `${cleanStem}.${cleanExt}`;
}
