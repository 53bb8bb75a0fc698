import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { LogLevelName, MusicFsConfig } from '../../src-shared/config.js';
import { ExitCode } from '../../src-shared/exit-codes.js';

/**
 * The `musicfs` command line. This layer never imports the daemon: commands
 * that run it (`mount`) call the host given by the process entry, which loads
 * the daemon only then, so client commands stay fast and light.
 */

export interface MountRequest {
  mountPoint: string;
  origins: { path: string }[];
  allowNonEmpty: boolean;
  flags: Partial<MusicFsConfig>;
}

export interface CliHost {
  runMount(request: MountRequest): Promise<number>;
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

export function buildProgram(host: CliHost, io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('musicfs')
    .description('Mount a scattered music collection as one read-only folder organised by its tags.')
    .version(version(), '-V, --version')
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      // One line, like every other musicfs error: "musicfs: <what> (<hint>)".
      outputError: (text, write) => write(`musicfs: ${text.trim().replace(/^error: /, '')} (see musicfs --help)\n`),
    })
    .exitOverride();

  program
    .command('mount')
    .description('mount the music of one or more folders at MOUNTPOINT, in the foreground (Ctrl-C unmounts)')
    .argument('<mountpoint>', 'an empty folder to mount on')
    .requiredOption('--origin <dir>', 'a music folder (repeat for several; local disks or mounted NFS/SMB shares)', collect)
    .option('--layout <template>', 'path template, e.g. "{albumartist}/{album}/{disc-}{track:02} - {title}{.ext}"')
    .option('--allow-non-empty', 'mount even if MOUNTPOINT is not empty (hides its content while mounted)', false)
    .option('--read-timeout <ms>', 'deadline of one read through the mount, then EIO', positiveInt)
    .addOption(new Option('--log-level <level>', 'log verbosity on stderr').choices(['debug', 'info', 'warn', 'error']))
    .addHelpText(
      'after',
      `
Examples:
  $ musicfs mount ~/Music-by-tag --origin ~/Music
  $ musicfs mount /mnt/music --origin /srv/nas/flac --origin /media/usb/mp3`,
    )
    .action(async (mountPoint: string, opts: { origin: string[]; layout?: string; allowNonEmpty: boolean; readTimeout?: number; logLevel?: LogLevelName }) => {
      const flags: Partial<MusicFsConfig> = {};
      if (opts.layout !== undefined) flags.layout = opts.layout;
      if (opts.readTimeout !== undefined) flags.readTimeoutMs = opts.readTimeout;
      if (opts.logLevel !== undefined) flags.logLevel = opts.logLevel;
      setExitCode(await host.runMount({ mountPoint, origins: opts.origin.map((path) => ({ path })), allowNonEmpty: opts.allowNonEmpty, flags }));
    });

  return program;
}

/** Parses argv and runs the command; returns the process exit code. */
export async function runCli(argv: readonly string[], host: CliHost, io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const program = buildProgram(host, io, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    throw err;
  }
  return exitCode;
}
