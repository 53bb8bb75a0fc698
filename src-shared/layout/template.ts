/**
 * The layout template language: parsing (with errors that name the column)
 * and rendering a track into sanitised path components.
 *
 *   {field}          the field's value
 *   {field:0N}       a number zero-padded to width N
 *   {pre field suf}  non-alphanumeric affixes, printed only when the field has a value
 *   literal text     belongs to the field before it in the same component (to the
 *                    first field when it comes first) and is dropped with it
 *   /                separates path components
 */
import { MusicFsError } from '../errors.js';
import type { LayoutInput } from '../track.js';
import { LAYOUT_FIELDS, layoutFieldInfo, layoutFieldValues } from './fields.js';
import type { LayoutFieldName, LayoutFieldValues } from './fields.js';
import { sanitizeComponent, sanitizeFileName } from './sanitize.js';

export interface CompiledLayout {
  readonly source: string;
  /** Sanitised path components; the last one is the file name with its extension. */
  render(input: LayoutInput): string[];
}

interface FieldRef {
  readonly name: LayoutFieldName;
  readonly prefix: string;
  readonly suffix: string;
  /** Zero-pad width from `:0N`, numbers only. */
  readonly padWidth: number | undefined;
}

/** A field with the literal text it owns. */
interface FieldGroup {
  readonly field: FieldRef;
  /** Literal text before the component's first field (first group only). */
  readonly leading: string;
  readonly trailing: string;
}

interface ComponentPlan {
  /** All its literal text: what a component without any field prints. */
  readonly literal: string;
  readonly groups: readonly FieldGroup[];
  readonly hasExt: boolean;
}

const MAX_PAD_WIDTH = 20;
const ALPHANUMERIC = /[\p{L}\p{N}]/u;
const NAME_CHAR = /[a-z]/i;

function layoutError(source: string, column: number, what: string): MusicFsError {
  return new MusicFsError('LAYOUT_INVALID', `invalid layout "${source}" at column ${column}: ${what}`, { column });
}

/** Parses the inside of one `{...}`; `start` is the index of its first character in `source`. */
function parseField(source: string, inner: string, start: number): FieldRef {
  const column = (index: number): number => start + index + 1;
  let i = 0;
  while (i < inner.length && !NAME_CHAR.test(inner.charAt(i))) {
    const char = inner.charAt(i);
    if (ALPHANUMERIC.test(char)) {
      throw layoutError(source, column(i), `"${char}" before a field name (field names are letters a-z; affixes cannot contain letters or digits)`);
    }
    i++;
  }
  const prefix = inner.slice(0, i);
  const nameStart = i;
  while (i < inner.length && NAME_CHAR.test(inner.charAt(i))) i++;
  if (i === nameStart) throw layoutError(source, column(nameStart), `"{${inner}}" has no field name`);
  const name = inner.slice(nameStart, i).toLowerCase();
  const info = layoutFieldInfo(name);
  if (info === undefined) {
    const known = LAYOUT_FIELDS.map((f) => f.name).join(', ');
    throw layoutError(source, column(nameStart), `unknown field "${name}" (known fields: ${known})`);
  }

  let padWidth: number | undefined;
  if (inner.charAt(i) === ':') {
    const specStart = i + 1;
    i = specStart;
    while (i < inner.length && ALPHANUMERIC.test(inner.charAt(i))) i++;
    const spec = inner.slice(specStart, i);
    if (info.kind !== 'number') {
      throw layoutError(source, column(specStart - 1), `format ":${spec}" on the text field "${name}" (only numbers can be formatted)`);
    }
    const match = /^0([0-9]{1,2})$/.exec(spec);
    const width = match?.[1] === undefined ? 0 : Number(match[1]);
    if (width < 1 || width > MAX_PAD_WIDTH) {
      throw layoutError(source, column(specStart), `bad format ":${spec}" for "${name}" (expected :0N with N from 1 to ${MAX_PAD_WIDTH}, e.g. {${name}:02})`);
    }
    padWidth = width;
  }

  const suffixStart = i;
  for (; i < inner.length; i++) {
    const char = inner.charAt(i);
    if (ALPHANUMERIC.test(char)) {
      throw layoutError(source, column(i), `"${char}" after the field name "${name}" (affixes cannot contain letters or digits)`);
    }
  }
  return { name: info.name, prefix, suffix: inner.slice(suffixStart), padWidth };
}

/** Parses one component (between slashes); `start` is its index in `source`. */
function parseComponent(source: string, text: string, start: number): ComponentPlan {
  const groups: FieldGroup[] = [];
  let leading = '';
  let literal = '';
  let current: { field: FieldRef; leading: string; trailing: string } | undefined;
  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    if (char === '}') throw layoutError(source, start + i + 1, `unbalanced "}" (no "{" before it)`);
    if (char !== '{') {
      if (current === undefined) leading += char;
      else current.trailing += char;
      literal += char;
      i++;
      continue;
    }
    const close = text.indexOf('}', i + 1);
    const nextOpen = text.indexOf('{', i + 1);
    if (close === -1) throw layoutError(source, start + i + 1, `unbalanced "{" (never closed)`);
    if (nextOpen !== -1 && nextOpen < close) {
      throw layoutError(source, start + nextOpen + 1, `unbalanced "{" inside the field opened at column ${start + i + 1} (fields cannot nest)`);
    }
    const field = parseField(source, text.slice(i + 1, close), start + i + 1);
    if (current !== undefined) groups.push(current);
    current = { field, leading: groups.length === 0 ? leading : '', trailing: '' };
    i = close + 1;
  }
  if (current !== undefined) groups.push(current);
  return { literal, groups, hasExt: groups.some((g) => g.field.name === 'ext') };
}

/** Splits on "/" outside braces; a "/" inside braces is an error. */
function parseTemplate(source: string): ComponentPlan[] {
  if (source.trim() === '') throw layoutError(source, 1, 'the template is empty');
  if (source.startsWith('/')) throw layoutError(source, 1, 'the template starts with "/" (it is relative to the mount)');
  if (source.endsWith('/')) throw layoutError(source, source.length, 'the template ends with "/" (the last component is the file name)');
  const plans: ComponentPlan[] = [];
  let componentStart = 0;
  let openBraceIndex = -1; // of the "{" not yet closed, -1 when outside braces
  for (let i = 0; i <= source.length; i++) {
    const char = source.charAt(i);
    if (char === '{' && openBraceIndex === -1) openBraceIndex = i;
    else if (char === '}') openBraceIndex = -1;
    else if (char === '/' && openBraceIndex !== -1) {
      throw layoutError(source, openBraceIndex + 1, `unbalanced "{" (not closed before the "/" at column ${i + 1})`);
    }
    if (i < source.length && char !== '/') continue;
    if (i === componentStart) throw layoutError(source, i + 1, 'empty path component ("//")');
    plans.push(parseComponent(source, source.slice(componentStart, i), componentStart));
    componentStart = i + 1;
  }
  return plans;
}

/** Field numbers are always positive integers (see fields.ts), so plain padding is enough. */
function padNumber(value: number, width: number | undefined): string {
  return width === undefined ? String(value) : String(value).padStart(width, '0');
}

/** The text of a field inside a name, or undefined when it has no value. */
function fieldText(values: LayoutFieldValues, field: FieldRef): string | undefined {
  const value = values[field.name];
  if (value === undefined) return undefined;
  if (typeof value === 'number') return padNumber(value, field.padWidth);
  // A value is one piece of a name: "AC/DC" must not become a directory.
  return sanitizeComponent(value);
}

function renderComponent(plan: ComponentPlan, values: LayoutFieldValues): string {
  if (plan.groups.length === 0) return plan.literal;
  let out = '';
  for (const group of plan.groups) {
    const value = fieldText(values, group.field);
    if (value === undefined) continue;
    out += group.leading + group.field.prefix + value + group.field.suffix + group.trailing;
  }
  return out;
}

export function compileLayout(source: string): CompiledLayout {
  const plans = parseTemplate(source);
  return {
    source,
    render(input: LayoutInput): string[] {
      const values = layoutFieldValues(input);
      const ext = values.ext === undefined ? '' : sanitizeComponent(values.ext);
      const components: string[] = [];
      plans.forEach((plan, index) => {
        const text = renderComponent(plan, values);
        if (index < plans.length - 1) {
          components.push(sanitizeComponent(text));
        } else if (!plan.hasExt) {
          // Like beets: the file always keeps its real extension.
          components.push(sanitizeFileName(text, ext));
        } else if (ext !== '' && text.endsWith(`.${ext}`)) {
          components.push(sanitizeFileName(text.slice(0, -(ext.length + 1)), ext));
        } else {
          components.push(sanitizeComponent(text));
        }
      });
      return components;
    },
  };
}
