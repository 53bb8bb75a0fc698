import cliProgress from 'cli-progress';
import type { CliIo } from './host.js';

/**
 * What every progress display of the CLI shares (rescans, cache prefetch and
 * pin): cli-progress bars drawn on stderr through CliIo, so tests capture
 * them, and plain lines at most once a second per key when stderr is not a
 * terminal. --json uses neither: it prints every message instead.
 */

export const PROGRESS_LINE_INTERVAL_MS = 1000;

/** Width for the bars: the terminal's, or 80. */
export function stderrColumns(): number {
  return process.stderr.columns || 80;
}

/** Keyed progress bars (one per key, created on its first update) in one cli-progress MultiBar on stderr. */
export class StderrBars<P extends object> {
  private readonly multi: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private stopped = false;

  /** `format` is cli-progress's, with the payload's keys as `{name}` tokens; `barSize` the bar's width in characters. */
  constructor(io: CliIo, columns: number, format: string, barSize = 40) {
    // cli-progress wants a stream; stderr through CliIo, so tests can capture it.
    const stream = {
      isTTY: true,
      columns,
      write(chunk: string, callback?: () => void): boolean {
        io.err(chunk);
        if (typeof callback === 'function') callback();
        return true;
      },
    };
    this.multi = new cliProgress.MultiBar(
      {
        stream: stream as unknown as NodeJS.WritableStream,
        format,
        barsize: barSize,
        hideCursor: true,
        clearOnComplete: false,
        gracefulExit: false,
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  /** Sets the bar of `key` to `done` of `total` (total at least `done`, and 1). */
  update(key: string, done: number, total: number, payload: P): void {
    if (this.stopped) return;
    const t = Math.max(total, done, 1);
    const bar = this.bars.get(key);
    if (!bar) {
      this.bars.set(key, this.multi.create(t, done, payload));
    } else {
      bar.setTotal(t);
      bar.update(done, payload);
    }
  }

  /** Draws the last state and leaves it on screen; safe to call twice. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.multi.stop();
  }
}

/** Decides when a plain progress line may be written: the first of each key, then at most once per interval. */
export class LineThrottle {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly intervalMs = PROGRESS_LINE_INTERVAL_MS,
  ) {}

  due(key: string): boolean {
    const t = this.now();
    const last = this.last.get(key);
    if (last !== undefined && t - last < this.intervalMs) return false;
    this.last.set(key, t);
    return true;
  }
}
