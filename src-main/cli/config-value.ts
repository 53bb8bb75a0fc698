import { parse } from 'smol-toml';

/**
 * `musicfs config set KEY VALUE` takes VALUE as the user types it. SetConfig
 * wants TOML text, so: a VALUE that is a TOML value on its own (`5000`,
 * `true`, `"debug"`, `[1, 2]`) is sent as it is; anything else (`debug`,
 * `{artist}/{title}`, `127.0.0.1:9090`, an empty string) is sent as a quoted
 * TOML string.
 */
export function toTomlText(value: string): string {
  const text = value.trim();
  if (text !== '' && isSingleTomlValue(text)) return text;
  return tomlString(value);
}

function isSingleTomlValue(text: string): boolean {
  try {
    const doc = parse(`v = ${text}`);
    // "5000\nother = 1" parses too, but is not one value.
    return Object.keys(doc).length === 1 && 'v' in doc;
  } catch {
    return false;
  }
}

/** A TOML basic string: quotes, backslashes and control characters escaped. */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** TOML text of one value → what a script wants to read: strings bare, the rest as written. */
export function plainValue(tomlText: string): string {
  try {
    const v = (parse(`v = ${tomlText}`) as { v: unknown }).v;
    return typeof v === 'string' ? v : tomlText;
  } catch {
    return tomlText;
  }
}
