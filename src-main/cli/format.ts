/**
 * Pure formatting of numbers, sizes, durations and times for human output.
 * Machine output (--json) never goes through here: it carries raw numbers.
 */
import { summariseScan } from '../../src-shared/scan-summary.js';

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 512 → "512 B", 1536 → "1.5 KiB", 5 * 2^30 → "5.0 GiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  let value = bytes;
  let unit: string = 'B';
  for (const next of BYTE_UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/** A fraction as a percentage with at most one decimal: 0.9523 → "95.2%", 0.12 → "12%", 1.034 → "103.4%"; not a number → "0%". */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction) || fraction <= 0) return '0%';
  return `${Number((fraction * 100).toFixed(1))}%`;
}

/** A track length: 185.4 → "3:05", 3725 → "1:02:05"; 0 or unknown → "". */
export function formatTrackDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A span for people, two units at most: 45 → "45s", 725 → "12m 5s", 11_520 → "3h 12m", 190_800 → "2d 5h". */
export function formatSpan(seconds: number): string {
  const total = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return s > 0 ? `${m}m ${s}s` : `${m}m`;
  return `${s}s`;
}

/** How long something took: 850 → "850 ms", 4200 → "4.20 s", 61_000 → "1m 1s". */
export function formatElapsedMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatSpan(ms / 1000);
}

/** A latency: 0.4 → "0.4 ms", 12.34 → "12 ms", 0 → "". */
export function formatLatencyMs(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** How long ago a time (ms since the epoch) was: "just now", "12s ago", "3h 5m ago"; 0 → "never". */
export function formatAgo(unixMs: number, nowMs: number = Date.now()): string {
  if (!unixMs) return 'never';
  const seconds = (nowMs - unixMs) / 1000;
  if (seconds < 1) return 'just now';
  return `${formatSpan(seconds)} ago`;
}

/** Local wall-clock time with milliseconds: "14:03:27.045". */
export function formatClock(unixMs: number): string {
  const d = new Date(unixMs);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** "1 track", "2 tracks". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** HEALTH_STATE_DEGRADED → "degraded". */
export function healthName(state: string): string {
  return state.replace(/^HEALTH_STATE_/, '').toLowerCase();
}

/** The parts of a scan report people care about, as the daemon prints them. */
export interface ReportLike {
  origin: string;
  kind: string;
  durationMs: number;
  scanned: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  skipped: readonly unknown[];
  errors: readonly unknown[];
  incomplete: string;
}

/** "1234 scanned, 12 added, 3 updated, 0 removed, 1219 unchanged, 0 skipped, 2 errors in 4.20 s". */
export function summariseReport(r: ReportLike): string {
  return summariseScan(r);
}

/** The short form used in tables: "+12 ~3 -1, 2 errors". */
export function shortReport(r: ReportLike): string {
  const changes = `+${r.added} ~${r.updated} -${r.removed}`;
  const errors = r.errors.length > 0 ? `, ${plural(r.errors.length, 'error')}` : '';
  const incomplete = r.incomplete ? ', incomplete' : '';
  return `${changes}${errors}${incomplete}`;
}
