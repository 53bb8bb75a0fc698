import type { ScanProgress__Output } from '../common/api/gen/musicfs/v1/ScanProgress.js';
import type { CliIo } from './host.js';
import { LineThrottle, StderrBars } from './progress.js';

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

/** Plain lines: "scanning music: 1200 of 5000 files (24%)". */
export class ProgressLines implements ScanProgressView {
  private readonly throttle: LineThrottle;

  constructor(
    private readonly write: (line: string) => void,
    now: () => number = Date.now,
  ) {
    this.throttle = new LineThrottle(now);
  }

  update(p: ScanProgress__Output): void {
    if (p.report) return;
    if (this.throttle.due(p.origin)) this.write(progressLine(p));
  }

  stop(): void {}
}

export function progressLine(p: Pick<ScanProgress__Output, 'origin' | 'done' | 'total'>): string {
  if (p.total > 0) return `scanning ${p.origin}: ${p.done} of ${p.total} files (${Math.floor((100 * p.done) / p.total)}%)`;
  return `scanning ${p.origin}: ${p.done} files`;
}

/** One cli-progress bar per origin, drawn on stderr. */
export class ProgressBars implements ScanProgressView {
  private readonly bars: StderrBars<{ origin: string }>;

  constructor(io: CliIo, columns: number) {
    this.bars = new StderrBars(io, columns, '{origin} [{bar}] {percentage}% | {value}/{total} files | {eta_formatted}');
  }

  update(p: ScanProgress__Output): void {
    const done = p.report ? p.report.scanned : p.done;
    this.bars.update(p.origin, done, p.report ? p.report.scanned : p.total, { origin: p.origin });
  }

  stop(): void {
    this.bars.stop();
  }
}
