import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from './logger.js';
import { sleep, Supervisor } from './supervisor.js';

const quietLogger = () => {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }) };
};

describe('Supervisor', () => {
  // The supervisor's timers are unref()ed (they never keep a daemon alive on
  // their own); in a test nothing else would hold the event loop open.
  let keepAlive: NodeJS.Timeout;
  before(() => {
    keepAlive = setInterval(() => undefined, 1000);
  });
  after(() => clearInterval(keepAlive));

  test('restarts a crashed task after its backoff, and logs each crash with the task name', async () => {
    const { lines, logger } = quietLogger();
    const sup = new Supervisor(logger, [5, 10]);
    let runs = 0;
    const done = new Promise<void>((resolve) => {
      sup.run('flaky', async (signal) => {
        runs++;
        if (runs < 3) throw new Error(`boom ${runs}`);
        resolve();
        await sleep(60_000, signal);
      });
    });
    await done;
    assert.equal(runs, 3);
    assert.equal(lines.filter((l) => l.includes('background task crashed') && l.includes('task=flaky')).length, 2);
    assert.ok(lines.some((l) => l.includes('boom 1')));
    await sup.dispose();
  });

  test('dispose aborts running tasks and waits for them', async () => {
    const { logger } = quietLogger();
    const sup = new Supervisor(logger);
    let stopped = false;
    sup.run('loop', async (signal) => {
      await sleep(60_000, signal);
      stopped = true;
    });
    await sup.dispose();
    assert.equal(stopped, true);
  });

  test('a task that returns on its own is not restarted', async () => {
    const { logger } = quietLogger();
    const sup = new Supervisor(logger, [1]);
    let runs = 0;
    sup.run('once', async () => {
      runs++;
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(runs, 1);
    await sup.dispose();
  });

  test('sleep resolves early when aborted', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const p = sleep(60_000, abort.signal);
    abort.abort();
    await p;
    assert.ok(Date.now() - started < 5000);
  });
});
