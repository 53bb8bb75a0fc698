import type { CacheProgress__Output } from '../common/api/gen/musicfs/v1/CacheProgress.js';
import { formatBytes, formatPercent } from './format.js';
import type { CliIo } from './host.js';
import { LineThrottle, StderrBars } from './progress.js';

/**
 * How a Prefetch or Pin stream is shown while it runs, on stderr: one
 * progress bar (of bytes, or of files while the size is unknown) on a
 * terminal, otherwise a plain line at most once a second. (--json prints
 * every message instead and uses neither.)
 */

export interface CacheProgressView {
  update(progress: CacheProgress__Output): void;
  /** Leaves the last state on screen; safe to call twice. */
  stop(): void;
}

type Counts = Pick<CacheProgress__Output, 'filesDone' | 'filesTotal' | 'bytesDone' | 'bytesTotal'>;

/** How far along: by bytes when their total is known, else by files. */
function fraction(p: Counts): number {
  if (p.bytesTotal > 0) return p.bytesDone / p.bytesTotal;
  return p.filesTotal > 0 ? p.filesDone / p.filesTotal : 0;
}

/** "prefetching: 12 of 30 files, 120.5 MiB of 300.0 MiB (40%)". */
export function cacheProgressLine(doing: string, p: Counts): string {
  if (p.filesTotal === 0) return `${doing}: ${p.filesDone} files`;
  const bytes = p.bytesTotal > 0 ? `, ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` : '';
  return `${doing}: ${p.filesDone} of ${p.filesTotal} files${bytes} (${formatPercent(fraction(p))})`;
}

/** Plain lines, throttled; the last (`finished`) message is left to the summary. */
export class CacheProgressLines implements CacheProgressView {
  private readonly throttle: LineThrottle;

  constructor(
    private readonly doing: string,
    private readonly write: (line: string) => void,
    now: () => number = Date.now,
  ) {
    this.throttle = new LineThrottle(now);
  }

  update(p: CacheProgress__Output): void {
    if (p.finished) return;
    if (this.throttle.due('')) this.write(cacheProgressLine(this.doing, p));
  }

  stop(): void {}
}

/** One cli-progress bar on stderr: "prefetching [████░░] 40% | 12/30 files | 120.5 MiB/300.0 MiB | 12s" (fits 80 columns). */
export class CacheProgressBar implements CacheProgressView {
  private readonly bars: StderrBars<{ doing: string; files: string; bytes: string }>;

  constructor(
    private readonly doing: string,
    io: CliIo,
    columns: number,
  ) {
    this.bars = new StderrBars(io, columns, '{doing} [{bar}] {percentage}% | {files} files | {bytes} | {eta_formatted}', 20);
  }

  update(p: CacheProgress__Output): void {
    const byBytes = p.bytesTotal > 0;
    this.bars.update('', byBytes ? p.bytesDone : p.filesDone, byBytes ? p.bytesTotal : p.filesTotal, {
      doing: this.doing,
      files: `${p.filesDone}/${p.filesTotal}`,
      bytes: `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`,
    });
  }

  stop(): void {
    this.bars.stop();
  }
}
