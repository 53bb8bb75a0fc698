import { OriginError, type OriginErrorContext } from '../origins/origin-error.js';

/**
 * Runs `operation` with a deadline: its signal fires when the time is up (or
 * the caller's signal fires), and the promise rejects with a `timeout`
 * OriginError at that moment even if the operation ignores its signal — a
 * hung NFS stat or a black-holed socket must not hold the caller.
 */
export function withDeadline<T>(
  operation: (signal: AbortSignal) => Promise<T>,
  deadlineMs: number,
  context: OriginErrorContext,
  outer?: AbortSignal,
): Promise<T> {
  outer?.throwIfAborted();
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = new OriginError('timeout', `${context.origin}: ${context.operation}${context.path ? ` ${context.path}` : ''}: no answer within ${deadlineMs} ms`, context);
      controller.abort(err);
      reject(err);
    }, deadlineMs);
    const onOuterAbort = (): void => {
      controller.abort(outer!.reason);
      reject(new OriginError('aborted', `${context.origin}: ${context.operation} stopped`, context, { cause: outer!.reason }));
    };
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    const settle = (): void => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    };
    operation(controller.signal).then(
      (value) => {
        settle();
        resolve(value);
      },
      (err: unknown) => {
        settle();
        reject(err);
      },
    );
  });
}
