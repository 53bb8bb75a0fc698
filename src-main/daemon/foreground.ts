import { describeError, isMusicFsError, MusicFsError } from '../../src-shared/errors.js';
import { ExitCode, exitCodeFor } from '../../src-shared/exit-codes.js';
import type { MusicFsConfig } from '../../src-shared/config.js';
import { Daemon, type OriginSpec } from './app.js';
import { createLogger, type Logger } from './base/logger.js';
import { resolveStatePaths } from '../common/xdg.js';
import { loadConfig } from './config/load-config.js';
import { summariseReport } from './scan/scan-report.js';

/**
 * `musicfs mount` in the foreground: start, print when ready, run until
 * SIGINT/SIGTERM, then drain reads, unmount and exit 0. A second signal exits
 * at once (the kernel drops the mount itself: it is mounted auto_unmount).
 */

export interface ForegroundMountOptions {
  mountPoint: string;
  origins: OriginSpec[];
  allowNonEmpty?: boolean;
  /** Values from CLI flags; override env and the config file. */
  flags: Partial<MusicFsConfig>;
  /** User-facing lines (stdout). */
  print: (line: string) => void;
  /** Diagnostics (stderr). */
  printError: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

const MAX_ERRORS_LISTED = 20;

export async function runForegroundMount(options: ForegroundMountOptions): Promise<number> {
  const env = options.env ?? process.env;
  const paths = resolveStatePaths(env);
  let logger: Logger = createLogger({ level: 'warn' });
  let daemon: Daemon;
  try {
    const config = await loadConfig(paths.configFile, env, options.flags);
    logger = createLogger({ level: config.logLevel });
    if (options.origins.length === 0) throw new MusicFsError('USAGE', 'no origin given: pass at least one --origin DIR');
    daemon = await Daemon.start({ mountPoint: options.mountPoint, origins: options.origins, config, allowNonEmpty: options.allowNonEmpty ?? false, statePaths: paths, logger });
  } catch (err) {
    options.printError(`musicfs: ${describeError(err)}`);
    if (!isMusicFsError(err)) logger.debug('start failed', { stack: (err as Error).stack });
    return isMusicFsError(err) ? exitCodeFor(err.code) : ExitCode.INTERNAL;
  }

  // A bug in a background task must not take the mount away from a player:
  // log it with its stack and keep serving.
  const onUncaught = (err: unknown): void => {
    logger.error('internal error (kept running; please report it)', { reason: describeError(err), stack: err instanceof Error ? err.stack : undefined });
  };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  daemon.onEvent((e) => {
    if (e.type === 'scan_completed') {
      const r = e.report;
      const changed = r.added + r.updated + r.removed > 0 || r.errors.length > 0;
      if (r.kind === 'full' || changed) options.print(`scan ${r.kind === 'full' ? 'complete' : 'update'}: ${summariseReport(r)}`);
      for (const issue of r.errors.slice(0, MAX_ERRORS_LISTED)) options.printError(`  error: ${r.origin}/${issue.path}: ${issue.reason}`);
      if (r.errors.length > MAX_ERRORS_LISTED) options.printError(`  ... and ${r.errors.length - MAX_ERRORS_LISTED} more errors`);
    }
  });
  options.print(`musicfs: mounted ${daemon.mountPoint} (${daemon.trackCount} tracks from the catalog); scanning ${options.origins.length} origin${options.origins.length === 1 ? '' : 's'} in the background. Ctrl-C to unmount.`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        options.printError(`musicfs: ${signal} again, exiting now`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      stopping = true;
      options.print(`musicfs: ${signal} received, unmounting ${daemon.mountPoint}...`);
      daemon.dispose().then(
        () => {
          options.print('musicfs: unmounted');
          cleanup();
          resolve(ExitCode.OK);
        },
        (err: unknown) => {
          options.printError(`musicfs: shutdown failed: ${describeError(err)}`);
          cleanup();
          resolve(ExitCode.FAILURE);
        },
      );
    };
    const cleanup = (): void => {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
  });
}
