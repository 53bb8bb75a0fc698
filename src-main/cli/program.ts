import { Command, CommanderError } from 'commander';
import { describeError, isMusicFsError } from '../../src-shared/errors.js';
import { ExitCode, exitCodeFor } from '../../src-shared/exit-codes.js';
import { MUSICFS_VERSION } from '../common/version.js';
import { CommandKit, jsonOption, socketOption } from './command-kit.js';
import { registerCacheCommands } from './commands/cache.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDaemonCommands } from './commands/daemon.js';
import { registerEventsCommand } from './commands/events.js';
import { registerOriginCommands } from './commands/origin.js';
import { registerSearchCommand } from './commands/search.js';
import { registerStatusCommands } from './commands/status.js';
import { registerCompletionCommand } from './completion.js';
import { BASH_INSTALL } from './completion/bash.js';
import { ClientPool, type CliRuntime, exitOnBrokenStdout, processInterrupts } from './context.js';
import type { CliHost, CliIo } from './host.js';

/**
 * The `musicfs` command line: builds the commander tree, runs one command,
 * turns every failure into one line on stderr and a sysexits code.
 *
 * This layer never imports the daemon: `mount` and `daemon` run it through
 * the host the process entry injects; every other command is a gRPC client
 * of the daemon's control socket.
 *
 * Program options (--socket, --json) are positional: they go before the
 * command (`musicfs --json status`), and every command takes them too
 * (`musicfs status --json`). That keeps a search term like `-live` from
 * being read as a program option.
 */

export function buildProgram(kit: CommandKit, io: CliIo): Command {
  const program = new Command('musicfs')
    .description('Mount a scattered music collection as one read-only folder organised by its tags, and drive the daemon that serves it.')
    .version(MUSICFS_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addOption(jsonOption())
    .addOption(socketOption())
    .enablePositionalOptions()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      // One line, like every other musicfs error: "musicfs: <what> (see musicfs --help)".
      outputError: (text, write) => write(`musicfs: ${oneLine(text).replace(/^error: /, '')} (see musicfs --help)\n`),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ musicfs mount ~/Music-by-tag --origin ~/Music     run in the foreground
  $ musicfs status
  $ musicfs search artist:coltrane year:1957..1965
  $ musicfs origin add /srv/nas/flac --name nas
  $ musicfs cache pin "Miles Davis/Kind of Blue"
  $ musicfs events --type scan_completed

Shell completion:  ${BASH_INSTALL}
                   (zsh, fish: see musicfs completion --help)`,
    );

  registerDaemonCommands(program, kit);
  registerStatusCommands(program, kit);
  registerSearchCommand(program, kit);
  registerOriginCommands(program, kit);
  registerCacheCommands(program, kit);
  registerEventsCommand(program, kit);
  registerConfigCommands(program, kit);
  registerCompletionCommand(program, kit);
  return program;
}

/** Parses argv (node, script, args...) and runs the command; returns the exit code. */
export async function runCli(argv: readonly string[], host: CliHost, io: CliIo, runtime: Partial<CliRuntime> = {}): Promise<number> {
  const rt: CliRuntime = { env: process.env, cwd: process.cwd(), interrupts: processInterrupts, guardStdout: exitOnBrokenStdout, ...runtime };
  const pool = new ClientPool();
  let exitCode: number = ExitCode.OK;
  const releaseStdout = rt.guardStdout();
  const kit = new CommandKit(host, io, rt, pool, (code) => (exitCode = code), releaseStdout);
  try {
    await buildProgram(kit, io).parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    return report(err, io);
  } finally {
    // The stdout guard stays: EPIPE is reported after the last write, when we have returned.
    pool.closeAll();
  }
}

/** One line on stderr (none for commander, which has printed its own) and the exit code. */
function report(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  }
  if (isMusicFsError(err)) {
    io.err(`musicfs: ${oneLine(err.message)}\n`);
    return exitCodeFor(err.code);
  }
  io.err(`musicfs: internal error: ${oneLine(describeError(err))}\n`);
  return ExitCode.INTERNAL;
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}
