import cliProgress from 'cli-progress';
import type { ScanProgress__Output } from '../common/api/gen/musicfs/v1/ScanProgress.js';
import type { CliIo } from './host.js';

/**
 * How a RescanOrigin stream is shown while it runs, on stderr: a progress bar
 * per origin on a terminal, otherwise a plain line per origin at most once a
 * second. (--json prints every message instead and uses neither.)
 */

export interface ScanProgressView {
  update(progress: ScanProgress__Output): void;
  /** Removes what must not stay on screen; safe to call twice. */
  stop(): void;
}

export const PROGRESS_LINE_INTERVAL_MS = 1000;

/** Plain lines: "scanning music: 1200 of 5000 files (24%)". */
export class ProgressLines implements ScanProgressView {
  private readonly lastLine = new Map<string, number>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  update(p: ScanProgress__Output): void {
    if (p.report) return;
    const t = this.now();
    const last = this.lastLine.get(p.origin);
    if (last !== undefined && t - last < PROGRESS_LINE_INTERVAL_MS) return;
    this.lastLine.set(p.origin, t);
    this.write(progressLine(p));
  }

  stop(): void {}
}

export function progressLine(p: Pick<ScanProgress__Output, 'origin' | 'done' | 'total'>): string {
  if (p.total > 0) return `scanning ${p.origin}: ${p.done} of ${p.total} files (${Math.floor((100 * p.done) / p.total)}%)`;
  return `scanning ${p.origin}: ${p.done} files`;
}

/** One cli-progress bar per origin, drawn on stderr. */
export class ProgressBars implements ScanProgressView {
  private readonly multi: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private stopped = false;

  constructor(io: CliIo, columns: number) {
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
        format: '{origin} [{bar}] {percentage}% | {value}/{total} files | {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        gracefulExit: false,
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(p: ScanProgress__Output): void {
    if (this.stopped) return;
    const done = p.report ? p.report.scanned : p.done;
    const total = Math.max(p.report ? p.report.scanned : p.total, done, 1);
    let bar = this.bars.get(p.origin);
    if (!bar) {
      bar = this.multi.create(total, done, { origin: p.origin });
      this.bars.set(p.origin, bar);
    } else {
      bar.setTotal(total);
      bar.update(done);
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.multi.stop();
  }
}
