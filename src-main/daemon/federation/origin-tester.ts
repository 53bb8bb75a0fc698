import type { Origin } from '../origins/origin.js';
import { describeFailure, toOriginError, type OriginFailure } from '../origins/origin-error.js';
import { withDeadline } from './deadline.js';

/**
 * "Does this origin work?", answered the way a user needs it: connect, list,
 * read a range of one file, each step timed and, when it fails, what is
 * wrong in words (DNS, refused, auth, host key, bucket missing, permission)
 * — like `rclone config` testing a remote before it is saved.
 */

export type OriginTestStepName = 'connect' | 'list' | 'read';

export interface OriginTestStep {
  step: OriginTestStepName;
  ok: boolean;
  /** What was found ("12 audio files", "65536 bytes of a.flac"), or what is wrong. */
  detail: string;
  /** Failure category when not ok (auth, host_key, dns...). */
  failure?: OriginFailure;
  durationMs: number;
}

export interface OriginTestReport {
  location: string;
  ok: boolean;
  steps: OriginTestStep[];
  /** One line: "ok: 12 audio files, read 64 KiB in 35 ms" or the first failure. */
  summary: string;
}

const TEST_READ_BYTES = 64 * 1024;

export async function testOrigin(origin: Origin, location: string, deadlineMs: number): Promise<OriginTestReport> {
  const steps: OriginTestStep[] = [];
  const run = async <T>(step: OriginTestStepName, body: (signal: AbortSignal) => Promise<T>, describe: (value: T) => string): Promise<T | undefined> => {
    const started = performance.now();
    try {
      const value = await withDeadline(body, deadlineMs, { origin: origin.name, operation: step });
      steps.push({ step, ok: true, detail: describe(value), durationMs: performance.now() - started });
      return value;
    } catch (err) {
      const e = toOriginError(err, { origin: origin.name, operation: step });
      steps.push({ step, ok: false, detail: explain(e.failure, e.message), failure: e.failure, durationMs: performance.now() - started });
      return undefined;
    }
  };

  const connected = await run('connect', async (signal) => origin.checkHealth(signal).then(() => true), () => 'the origin answers');
  if (connected) {
    const walk = await run(
      'list',
      async (signal) => {
        const result = await origin.walk({ signal });
        const rootError = result.errors.find((e) => e.path === '');
        if (rootError) throw new Error(rootError.reason);
        return result;
      },
      (w) => `${w.files.length} audio file${w.files.length === 1 ? '' : 's'} in ${w.directories.length} folder${w.directories.length === 1 ? '' : 's'}${w.errors.length > 0 ? `, ${w.errors.length} unreadable` : ''}`,
    );
    const first = walk?.files.find((f) => f.size > 0);
    if (walk && first) {
      await run(
        'read',
        async (signal) => {
          const handle = await origin.open(first.path, signal);
          try {
            const buffer = Buffer.alloc(Math.min(TEST_READ_BYTES, first.size));
            let done = 0;
            while (done < buffer.length) {
              const n = await handle.read(buffer, done, buffer.length - done, done, signal);
              if (n === 0) break;
              done += n;
            }
            return done;
          } finally {
            await handle.close();
          }
        },
        (n) => `read ${n} bytes of ${first.path}`,
      );
    } else if (walk) {
      steps.push({ step: 'read', ok: true, detail: 'no audio file to read (the origin is empty)', durationMs: 0 });
    }
  }
  const failed = steps.find((s) => !s.ok);
  const summary = failed ? `${failed.step} failed: ${failed.detail}` : `ok: ${steps.map((s) => s.detail).join('; ')}`;
  return { location, ok: failed === undefined, steps, summary };
}

/** What kind of failure, the error's message, and a hint for the failures users can fix themselves. */
function explain(failure: OriginFailure, message: string): string {
  const hint = HINTS[failure];
  const text = message ? `${describeFailure(failure)}: ${message}` : describeFailure(failure);
  return hint ? `${text} (${hint})` : text;
}

const HINTS: Partial<Record<OriginFailure, string>> = {
  dns: 'check the host name',
  refused: 'is the server running, and on that port?',
  unreachable: 'check the network',
  timeout: 'the server did not answer in time',
  auth: 'check the credentials: AWS keys or profile; SSH key, agent or password',
  host_key: 'the server is not the one known_hosts expects',
  bucket_missing: 'check the bucket name and region',
  permission: 'this user may not read there',
};
