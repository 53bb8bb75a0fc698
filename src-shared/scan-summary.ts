/** The counts of one scan report, as the daemon and the API both carry them. */
export interface ScanCounts {
  scanned: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  skipped: readonly unknown[];
  errors: readonly unknown[];
  durationMs: number;
  /** Set (non-empty) when the scan stopped early. */
  incomplete?: string;
}

/**
 * "1234 scanned, 12 added, 3 updated, 0 removed, 1219 unchanged, 0 skipped,
 * 2 errors in 4.20 s": one line, the same in the daemon's output and the CLI.
 */
export function summariseScan(r: ScanCounts): string {
  const secs = (r.durationMs / 1000).toFixed(r.durationMs < 10_000 ? 2 : 1);
  const parts = [
    `${r.scanned} scanned`,
    `${r.added} added`,
    `${r.updated} updated`,
    `${r.removed} removed`,
    `${r.unchanged} unchanged`,
    `${r.skipped.length} skipped`,
    `${r.errors.length} errors`,
  ];
  return `${parts.join(', ')} in ${secs} s${r.incomplete ? ` (incomplete: ${r.incomplete})` : ''}`;
}
