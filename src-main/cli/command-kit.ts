import { Command, InvalidArgumentError, Option } from 'commander';
import { completeWith } from './completion/hints.js';
import { ClientPool, CommandContext, globalOptionsOf, type CliRuntime } from './context.js';
import type { CliHost, CliIo } from './host.js';

/**
 * The glue between commander and our commands: every leaf command gets
 * --json and --socket, and its action runs with a CommandContext; the number
 * it returns becomes the exit code of the run.
 */

export type ActionFn<O> = (ctx: CommandContext, args: unknown[], opts: O) => Promise<number | void>;

export class CommandKit {
  constructor(
    private readonly host: CliHost,
    private readonly io: CliIo,
    private readonly runtime: CliRuntime,
    private readonly pool: ClientPool,
    private readonly setExitCode: (code: number) => void,
    private readonly releaseStdout: () => void = () => undefined,
  ) {}

  /** Adds the options every command takes: --json and --socket. */
  common(command: Command): Command {
    return command.addOption(jsonOption()).addOption(socketOption());
  }

  /** Turns `fn` into a commander action. */
  action<O>(fn: ActionFn<O>): (...args: unknown[]) => Promise<void> {
    return async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const ctx = new CommandContext(this.host, this.io, this.runtime, globalOptionsOf(command), this.pool, this.releaseStdout);
      const code = await fn(ctx, command.processedArgs as unknown[], command.opts<O & object>() as O);
      this.setExitCode(code ?? 0);
    };
  }
}

export function jsonOption(): Option {
  return new Option('--json', 'machine-readable output: one JSON document, or one JSON object per line for streams');
}

export function socketOption(): Option {
  return completeWith(new Option('--socket <path>', 'control socket of the daemon (default: $MUSICFS_CONTROL_SOCKET, control.socket of config.toml, $XDG_RUNTIME_DIR/musicfs/control.sock)'), {
    type: 'files',
  });
}

/** Repeatable options: `--origin a --origin b` → ['a', 'b']. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return n;
}

export function integer(value: string): number {
  const n = Number(value);
  if (!/^[-+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
}
