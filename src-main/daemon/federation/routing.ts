import type { HealthStateName } from '../events.js';

/**
 * Which origin serves a read, as pure functions over what the origin manager
 * knows, so the policy is one place and tested on its own.
 */

export interface RouteCandidate {
  health: HealthStateName;
  consecutiveFailures: number;
  priority: number;
  /** Recent median latency; undefined before the first operation. */
  p50Ms: number | undefined;
  /** Declaration order: the last tie-breaker. */
  order: number;
}

/** Routing rank of a health state: usable ones first, unhealthy last. */
const HEALTH_RANK: Record<HealthStateName, number> = { healthy: 0, unknown: 1, degraded: 2, unhealthy: 3 };

/**
 * Best first: usable health before unhealthy, then priority, then recent
 * p50 latency, then declaration order. Unhealthy ones stay at the end,
 * least-bad (fewest failures in a row) first, rather than being dropped:
 * when every origin is down, one must still be tried.
 */
export function compareForRead(a: RouteCandidate, b: RouteCandidate): number {
  const latency = (c: RouteCandidate): number => c.p50Ms ?? Number.POSITIVE_INFINITY;
  return (
    HEALTH_RANK[a.health] - HEALTH_RANK[b.health] ||
    (a.health === 'unhealthy' ? a.consecutiveFailures - b.consecutiveFailures : 0) ||
    a.priority - b.priority ||
    latency(a) - latency(b) ||
    a.order - b.order
  );
}

/** The health after one check: unhealthy once `threshold` checks in a row failed, degraded before. */
export function healthAfterCheck(previousFailures: number, failed: boolean, threshold: number): { state: HealthStateName; consecutiveFailures: number } {
  if (!failed) return { state: 'healthy', consecutiveFailures: 0 };
  const consecutiveFailures = previousFailures + 1;
  return { state: consecutiveFailures >= threshold ? 'unhealthy' : 'degraded', consecutiveFailures };
}
