import { summariseScan } from '../../../src-shared/scan-summary.js';
import type { WalkIssue } from '../origins/origin.js';

/** What one scan did: the numbers users see in `musicfs` output and events. */
export interface ScanReport {
  origin: string;
  /** 'full' walks the whole origin; 'changes' handles paths from the watcher. */
  kind: 'full' | 'changes';
  startedAt: number;
  durationMs: number;
  /** Audio files found. */
  scanned: number;
  added: number;
  updated: number;
  removed: number;
  /** Found with the same size and mtime as before: not read again. */
  unchanged: number;
  /** Passed over on purpose (empty files, symlink loops), with why. */
  skipped: WalkIssue[];
  /** Could not be read (corrupt, truncated, not audio, permissions), with why. */
  errors: WalkIssue[];
  /** Set when the scan stopped early (shutdown) or the origin was unreachable. */
  incomplete?: string;
  /** Bytes fetched from a remote origin to read tags (0 for local origins, whose workers read the files). */
  bytesFetched: number;
}

export function emptyReport(origin: string, kind: ScanReport['kind']): ScanReport {
  return {
    origin,
    kind,
    startedAt: Date.now(),
    durationMs: 0,
    scanned: 0,
    added: 0,
    updated: 0,
    removed: 0,
    unchanged: 0,
    skipped: [],
    errors: [],
    bytesFetched: 0,
  };
}

export function summariseReport(r: ScanReport): string {
  return `${r.origin}: ${summariseScan(r)}`;
}
