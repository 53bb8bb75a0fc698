/**
 * `work`, or a rejection with `stopped()` as soon as `signal` fires. The work
 * itself goes on (an SFTP request cannot be recalled); its outcome is then
 * ignored, rejections included.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, stopped: () => Error): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(stopped());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.catch(() => undefined);
      reject(stopped());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
