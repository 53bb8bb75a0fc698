import Table from 'cli-table3';
import type { CliIo } from './host.js';

/**
 * Everything a command prints goes through one Output: human text and tables
 * on stdout, diagnostics on stderr, and in --json mode exactly one JSON
 * document (unary results) or one JSON object per line (streams), with no
 * colours, tables or progress bars.
 *
 * Colour only when stdout is a terminal, NO_COLOR is unset (or empty) and
 * this is not --json.
 */

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

const ANSI: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** A borderless, compact table: columns separated by two spaces. */
const CHARS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

export type Cell = string | number;

export class Output {
  readonly colour: boolean;

  constructor(
    readonly io: CliIo,
    readonly json: boolean,
    env: NodeJS.ProcessEnv,
  ) {
    this.colour = !json && io.stdoutIsTTY && !env['NO_COLOR'];
  }

  /** One line of human output on stdout. */
  line(text = ''): void {
    this.io.out(`${text}\n`);
  }

  /** One line on stderr (progress, notes); never part of the result. */
  note(text: string): void {
    this.io.err(`${text}\n`);
  }

  /** The one JSON document of a unary result. */
  document(value: unknown): void {
    this.io.out(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One NDJSON line of a stream. */
  record(value: unknown): void {
    this.io.out(`${JSON.stringify(value)}\n`);
  }

  paint(text: string, style: Style): string {
    if (!this.colour || text === '') return text;
    const [on, off] = ANSI[style];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  }

  /** Prints a table with a header row (omitted when `head` is empty). */
  table(head: readonly string[], rows: readonly (readonly Cell[])[]): void {
    this.io.out(renderTable(head.map((h) => this.paint(h, 'bold')), rows));
  }
}

/** Renders rows as aligned columns, no borders, no trailing spaces. */
export function renderTable(head: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const table = new Table({
    ...(head.length > 0 ? { head: [...head] } : {}),
    chars: CHARS,
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 0 },
    wordWrap: false,
  });
  for (const row of rows) table.push(row.map((c) => (typeof c === 'number' ? String(c) : c)));
  if (head.length === 0 && rows.length === 0) return '';
  return `${table
    .toString()
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n')}\n`;
}
