import { delay } from '../base/async.js';
import { isOriginError } from '../origins/origin-error.js';

/** Pauses before the 2nd, 3rd and 4th attempt of a failed origin operation. */
export const RETRY_DELAYS_MS: readonly number[] = [100, 500, 2000];

/** Whether an error is worth another attempt (a dropped connection, a timeout, a 5xx), not a missing file or a refused login. */
export function isTransient(err: unknown): boolean {
  if (isOriginError(err)) return err.transient;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EACCES' && code !== 'EPERM';
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the next pause would
 * end past `deadlineAt` (a performance.now() time): transient failures are
 * tried again after 100, 500 and 2000 ms.
 */
export async function retryTransient<T>(attempt: () => Promise<T>, deadlineAt: number, signal?: AbortSignal, onRetry?: (err: unknown, pauseMs: number) => void): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const pause = RETRY_DELAYS_MS[i];
      if (pause === undefined || !isTransient(err) || signal?.aborted || performance.now() + pause >= deadlineAt) throw err;
      onRetry?.(err, pause);
      await delay(pause, signal);
    }
  }
}
