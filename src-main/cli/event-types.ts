import { InvalidArgumentError } from 'commander';
import type { Event__Output } from '../common/api/gen/musicfs/v1/Event.js';
import { EventType, type EventType__Output } from '../common/api/gen/musicfs/v1/EventType.js';
import { formatBytes, formatClock, healthName, plural, summariseReport } from './format.js';

/**
 * Event types as users write them (`scan_completed`, any case) ↔ the API's
 * EventType enum (`SCAN_COMPLETED`), and one line of text per event.
 */

/** Every event type a user can ask for, snake_case, in the enum's order. */
export const EVENT_TYPE_NAMES: readonly string[] = Object.values(EventType)
  .filter((t) => t !== EventType.EVENT_TYPE_UNSPECIFIED)
  .map((t) => t.toLowerCase());

/** `scan_completed` / `SCAN_COMPLETED` → 'SCAN_COMPLETED'; anything else throws a usage error. */
export function parseEventType(name: string): EventType__Output {
  const upper = name.trim().toUpperCase();
  const known = Object.values(EventType).find((t) => t === upper && t !== EventType.EVENT_TYPE_UNSPECIFIED);
  if (!known) throw new InvalidArgumentError(`unknown event type "${name}" (one of: ${EVENT_TYPE_NAMES.join(', ')})`);
  return known;
}

/** A commander argParser for a repeatable --type. */
export function collectEventType(value: string, previous: EventType__Output[] = []): EventType__Output[] {
  return [...previous, parseEventType(value)];
}

const EVICTION_REASONS: Readonly<Record<string, string>> = { limit: 'over the size limit', disk_full: 'disk full', clear: 'cache cleared' };

const TYPE_WIDTH = Math.max(...EVENT_TYPE_NAMES.map((n) => n.length));

/** `14:03:27.045  scan_completed         music  1234 scanned, ...` */
export function formatEventLine(e: Event__Output): string {
  return `${formatClock(e.timestampMs)}  ${e.type.toLowerCase().padEnd(TYPE_WIDTH)}  ${e.origin || '-'}  ${summariseEvent(e)}`.trimEnd();
}

export function summariseEvent(e: Event__Output): string {
  switch (e.data) {
    case 'trackOpened':
      return e.trackOpened?.path ?? '';
    case 'scanStarted':
      return `${e.scanStarted?.kind ?? ''} scan`;
    case 'scanProgress': {
      const p = e.scanProgress;
      return p ? (p.total > 0 ? `${p.done} of ${p.total} files` : `${p.done} files`) : '';
    }
    case 'scanCompleted':
      return e.scanCompleted ? summariseReport(e.scanCompleted) : '';
    case 'libraryChanged':
      return `${e.libraryChanged?.tracks ?? 0} tracks in ${e.libraryChanged?.folders ?? 0} folders`;
    case 'originHealthChanged': {
      const h = e.originHealthChanged;
      return h ? `${healthName(h.previous)} → ${healthName(h.state)}${h.reason ? `: ${h.reason}` : ''}` : '';
    }
    case 'allOriginsUnhealthy': {
      const a = e.allOriginsUnhealthy;
      return a ? `every origin is unhealthy: ${a.origins.map((o, i) => `${o} (${a.reasons[i] ?? ''})`).join(', ')}; cached tracks still play` : '';
    }
    case 'mountStateChanged': {
      const m = e.mountStateChanged;
      if (!m) return '';
      return m.mounted ? `mounted ${m.mountPoint} (${m.tracks} tracks)` : `unmounted${m.mountPoint ? ` ${m.mountPoint}` : ''}`;
    }
    case 'configChanged':
      return `${e.configChanged?.key ?? ''} = ${e.configChanged?.value ?? ''}`;
    case 'originChanged':
      return e.originChanged?.change ?? '';
    case 'cacheEvicted': {
      const c = e.cacheEvicted;
      return c ? `${plural(c.tracks, 'track')} evicted, ${formatBytes(c.bytes)} (${EVICTION_REASONS[c.reason] ?? c.reason})` : '';
    }
    case 'cachePassthroughChanged': {
      const c = e.cachePassthroughChanged;
      if (!c) return '';
      return `passthrough ${c.passthrough ? 'on' : 'off'}${c.reason ? `: ${c.reason}` : ''}`;
    }
    case undefined:
      return '';
  }
}
