import { describeError, isMusicFsError, MusicFsError } from '../../src-shared/errors.js';
import { ExitCode, exitCodeFor } from '../../src-shared/exit-codes.js';
import type { MusicFsConfig } from '../../src-shared/config.js';
import { resolveStatePaths } from '../common/xdg.js';
import { Daemon } from './app.js';
import { createLogger, type Logger, type LoggerOptions } from './base/logger.js';
import { ConfigStore } from './config/config-store.js';
import { SystemdNotifier } from './control/systemd.js';
import type { OriginSpec } from './origins/origin-manager.js';
import { summariseReport } from './scan/scan-report.js';

/**
 * Runs the daemon in this process until SIGINT/SIGTERM/SIGHUP or a Shutdown
 * RPC, then drains reads, unmounts and exits 0; a second signal exits at once
 * (the kernel still drops the mount: it is mounted auto_unmount).
 *
 * Used by `musicfs mount` (mounts at once, prints a line when ready) and
 * `musicfs daemon` (headless; mounts where config.toml says, or when asked).
 */

export interface RunDaemonOptions {
  /** 'mount': foreground with a mount; 'daemon': headless service. */
  mode: 'mount' | 'daemon';
  mountPoint?: string;
  origins: OriginSpec[];
  allowNonEmpty?: boolean;
  /** Values from CLI flags; override env and the config file. */
  flags: Partial<MusicFsConfig>;
  /** User-facing lines (stdout). */
  print: (line: string) => void;
  /** Diagnostics (stderr). */
  printError: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  version: string;
}

const MAX_ERRORS_LISTED = 20;

export async function runDaemon(options: RunDaemonOptions): Promise<number> {
  const env = options.env ?? process.env;
  const paths = resolveStatePaths(env);
  const loggerOptions: LoggerOptions = { level: 'warn' };
  let logger: Logger = createLogger(loggerOptions);
  const systemd = new SystemdNotifier(logger.child('systemd'), env);
  let daemon: Daemon;
  try {
    const config = await ConfigStore.load(paths.configFile, env, options.flags);
    loggerOptions.level = config.current.logLevel;
    logger = createLogger(loggerOptions);
    if (options.mode === 'mount' && options.origins.length === 0 && config.current.origins.length === 0) {
      throw new MusicFsError('USAGE', 'no origin given: pass at least one --origin DIR (or declare [[origin]] tables in config.toml)');
    }
    const mountPoint = options.mode === 'mount' ? options.mountPoint : config.current.mountPath || undefined;
    daemon = await Daemon.start({
      config,
      statePaths: paths,
      sessionOrigins: options.origins,
      ...(mountPoint !== undefined ? { mountPoint } : {}),
      allowNonEmpty: options.allowNonEmpty ?? config.current.mountAllowNonEmpty,
      logger,
      setLogLevel: (level) => (loggerOptions.level = level),
      version: options.version,
    });
  } catch (err) {
    options.printError(`musicfs: ${describeError(err)}`);
    if (!isMusicFsError(err)) logger.error('start failed', { stack: (err as Error).stack });
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
    if (e.type !== 'scan_completed') return;
    const r = e.report;
    const changed = r.added + r.updated + r.removed > 0 || r.errors.length > 0;
    if (r.kind === 'full' || changed) options.print(`scan ${r.kind === 'full' ? 'complete' : 'update'}: ${summariseReport(r)}`);
    for (const issue of r.errors.slice(0, MAX_ERRORS_LISTED)) options.printError(`  error: ${r.origin}/${issue.path}: ${issue.reason}`);
    if (r.errors.length > MAX_ERRORS_LISTED) options.printError(`  ... and ${r.errors.length - MAX_ERRORS_LISTED} more errors`);
  });
  const origins = daemon.listOrigins().length;
  if (daemon.mountPoint !== undefined) {
    options.print(
      `musicfs: mounted ${daemon.mountPoint} (${daemon.trackCount} tracks from the catalog); scanning ${origins} origin${origins === 1 ? '' : 's'} in the background. Ctrl-C to unmount.`,
    );
  }
  options.print(`musicfs: daemon ready (pid ${process.pid}, control socket ${daemon.controlSocket})`);
  await systemd.ready(daemon.mountPoint !== undefined ? `mounted ${daemon.mountPoint}` : 'running, not mounted');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string, signal?: NodeJS.Signals): void => {
      if (stopping) {
        if (signal) {
          options.printError(`musicfs: ${signal} again, exiting now`);
          process.exit(signal === 'SIGINT' ? 130 : 143);
        }
        return;
      }
      stopping = true;
      const mountedAt = daemon.mountPoint;
      options.print(`musicfs: ${why}, ${mountedAt !== undefined ? `unmounting ${mountedAt}` : 'stopping'}...`);
      void systemd.stopping();
      daemon.dispose().then(
        async () => {
          options.print(mountedAt !== undefined ? 'musicfs: unmounted' : 'musicfs: stopped');
          await cleanup();
          resolve(ExitCode.OK);
        },
        async (err: unknown) => {
          options.printError(`musicfs: shutdown failed: ${describeError(err)}`);
          await cleanup();
          resolve(ExitCode.FAILURE);
        },
      );
    };
    const onSignal = (signal: NodeJS.Signals): void => stop(`${signal} received`, signal);
    const shutdownRequest = daemon.onDidRequestShutdown((why) => stop(`shutdown requested (${why})`));
    const cleanup = async (): Promise<void> => {
      await shutdownRequest.dispose();
      await systemd.dispose();
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
