import { Argument, type Command, Option } from 'commander';
import { isOriginUrl } from '../../../src-shared/origin-location.js';
import type { LogLevelName, MusicFsConfig } from '../../../src-shared/config.js';
import { isMusicFsError } from '../../../src-shared/errors.js';
import { collect, type CommandKit, positiveInt } from '../command-kit.js';
import { completeWith } from '../completion/hints.js';
import { type CommandContext, usageError } from '../context.js';
import type { DaemonRequest } from '../host.js';
import { plural } from '../format.js';

/**
 * `musicfs mount` and `musicfs daemon`: the two ways to run the daemon in
 * this process (through the host, which loads it). `mount` with a daemon
 * already answering on the socket becomes a client instead: it adds the
 * --origin folders for this run and asks that daemon to mount.
 */

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];

interface MountOptions {
  origin?: string[];
  layout?: string;
  allowNonEmpty?: boolean;
  readTimeout?: number;
  logLevel?: LogLevelName;
}

interface DaemonOptions {
  mount?: string;
  origin?: string[];
  logLevel?: LogLevelName;
}

const originOption = (): Option =>
  completeWith(
    new Option('--origin <location>', 'a music folder, s3://BUCKET/PREFIX?... or sftp://USER@HOST/PATH?..., for this run only (repeat for several)').argParser(collect),
    { type: 'dirs' },
  );
const logLevelOption = (): Option => new Option('--log-level <level>', 'log verbosity on stderr').choices(LOG_LEVELS);

export function registerDaemonCommands(program: Command, kit: CommandKit): void {
  kit
    .common(program.command('mount'))
    .description('mount the library at MOUNTPOINT: runs the daemon in the foreground (Ctrl-C unmounts), or asks the running daemon to mount there')
    .addArgument(completeWith(new Argument('<mountpoint>', 'an empty folder to mount on'), { type: 'dirs' }))
    .addOption(originOption())
    .addOption(new Option('--layout <template>', 'path template, e.g. "{albumartist}/{album}/{disc-}{track:02} - {title}{.ext}"'))
    .option('--allow-non-empty', 'mount even if MOUNTPOINT is not empty (hides its content while mounted)')
    .addOption(new Option('--read-timeout <ms>', 'deadline of one read through the mount, then EIO').argParser(positiveInt))
    .addOption(logLevelOption())
    .addHelpText(
      'after',
      `
With no daemon running, this runs one in the foreground with these settings
(--origin folders are used for this run only). With a daemon running, the
--origin folders are added to it for its run, and it mounts at MOUNTPOINT;
--layout, --read-timeout and --log-level then belong to \`musicfs config set\`.

Examples:
  $ musicfs mount ~/Music-by-tag --origin ~/Music
  $ musicfs mount /mnt/music --origin /srv/nas/flac --origin /media/usb/mp3`,
    )
    .action(kit.action<MountOptions>((ctx, [mountPoint], opts) => mount(ctx, String(mountPoint), opts)));

  kit
    .common(program.command('daemon'))
    .description('run the daemon in the foreground without a terminal UI (for systemd); mounts where config.toml says, or when asked')
    .addOption(completeWith(new Option('--mount <path>', 'mount here (overrides mount.path of config.toml)'), { type: 'dirs' }))
    .addOption(originOption())
    .addOption(logLevelOption())
    .addHelpText(
      'after',
      `
Examples:
  $ musicfs daemon
  $ musicfs daemon --mount ~/Music-by-tag --origin ~/Music --log-level debug`,
    )
    .action(
      kit.action<DaemonOptions>(async (ctx, _args, opts) => {
        const flags: Partial<MusicFsConfig> = {};
        if (opts.mount !== undefined) flags.mountPath = ctx.absolute(opts.mount);
        if (opts.logLevel !== undefined) flags.logLevel = opts.logLevel;
        if (ctx.explicitSocket !== undefined) flags.controlSocket = ctx.explicitSocket;
        const request: DaemonRequest = { mode: 'daemon', origins: (opts.origin ?? []).map((o) => ({ location: originLocation(ctx, o) })), flags };
        return ctx.runDaemon(request);
      }),
    );
}

async function mount(ctx: CommandContext, mountPoint: string, opts: MountOptions): Promise<number> {
  const client = await ctx.tryClient();
  const origins = (opts.origin ?? []).map((o) => originLocation(ctx, o));
  if (!client) {
    const flags: Partial<MusicFsConfig> = {};
    if (opts.layout !== undefined) flags.layout = opts.layout;
    if (opts.readTimeout !== undefined) flags.readTimeoutMs = opts.readTimeout;
    if (opts.logLevel !== undefined) flags.logLevel = opts.logLevel;
    if (ctx.explicitSocket !== undefined) flags.controlSocket = ctx.explicitSocket;
    return ctx.runDaemon({
      mode: 'mount',
      mountPoint: ctx.absolute(mountPoint),
      origins: origins.map((location) => ({ location })),
      allowNonEmpty: opts.allowNonEmpty === true,
      flags,
    });
  }

  const settings: [string | undefined | number, string, string][] = [
    [opts.layout, '--layout', 'layout'],
    [opts.readTimeout, '--read-timeout', 'mount.read_timeout_ms'],
    [opts.logLevel, '--log-level', 'log_level'],
  ];
  for (const [value, flag, key] of settings) {
    if (value !== undefined) throw usageError(`${flag} cannot be given to the daemon already running on ${client.socketPath}; change it with \`musicfs config set ${key} VALUE\``);
  }
  for (const location of origins) {
    try {
      await client.unary('AddOrigin', { location, sessionOnly: true });
    } catch (err) {
      // Already an origin of that daemon: what we wanted.
      if (!(isMusicFsError(err) && err.code === 'ORIGIN_EXISTS')) throw err;
    }
  }
  const state = await client.unary('Mount', { mountPoint: ctx.absolute(mountPoint), allowNonEmpty: opts.allowNonEmpty === true });
  if (ctx.json) {
    ctx.out.document(state);
    return 0;
  }
  const status = await client.unary('GetStatus', {});
  ctx.out.line(`mounted ${state.mountPoint} (${plural(status.tracks, 'track')})`);
  return 0;
}

/** A folder made absolute against the CLI's working directory; a URL as given. */
function originLocation(ctx: { absolute(path: string): string }, text: string): string {
  return isOriginUrl(text) ? text : ctx.absolute(text);
}
