import { Argument, type Command } from 'commander';
import type { ConfigEntry__Output } from '../../common/api/gen/musicfs/v1/ConfigEntry.js';
import { CONFIG_KEYS } from '../../../src-shared/config.js';
import type { CommandKit } from '../command-kit.js';
import { completeWith } from '../completion/hints.js';
import { plainValue, toTomlText } from '../config-value.js';
import type { Output } from '../output.js';

/** `musicfs config get|set`: the daemon's settings, read and changed while it runs. */

const KEY_NAMES = CONFIG_KEYS.map((k) => k.toml);

export function registerConfigCommands(program: Command, kit: CommandKit): void {
  const config = program
    .command('config')
    .description('show and change settings of the running daemon (written to config.toml)')
    .addHelpText(
      'after',
      `
Keys: ${KEY_NAMES.join(', ')}

Examples:
  $ musicfs config get
  $ musicfs config get log_level
  $ musicfs config set log_level debug
  $ musicfs config set mount.read_timeout_ms 5000
  $ musicfs config set layout '{albumartist}/{year} - {album}/{track:02} {title}{.ext}'`,
    );

  kit
    .common(config.command('get', { isDefault: true }))
    .description('show settings: every key, or the KEYs given (one key: just its value)')
    .addArgument(completeWith(new Argument('[key...]', 'dotted keys, e.g. mount.read_timeout_ms'), { type: 'words', words: KEY_NAMES }))
    .action(
      kit.action(async (ctx, [keys]) => {
        const wanted = (keys as string[] | undefined) ?? [];
        const result = await (await ctx.client()).unary('GetConfig', { keys: wanted });
        if (ctx.json) return void ctx.out.document(result);
        const only = result.entries[0];
        if (wanted.length === 1 && result.entries.length === 1 && only) return void ctx.out.line(plainValue(only.value));
        printEntries(ctx.out, result.entries);
        ctx.out.line(`config file: ${result.path}`);
      }),
    );

  kit
    .common(config.command('set'))
    .description('change a setting now and write it to config.toml')
    .addArgument(completeWith(new Argument('<key>', 'dotted key, e.g. mount.read_timeout_ms'), { type: 'words', words: KEY_NAMES }))
    .addArgument(new Argument('<value>', 'the value as you would write it: 5000, true, debug, "a string"'))
    .action(
      kit.action(async (ctx, [key, value]) => {
        const client = await ctx.client();
        const result = await client.unary('SetConfig', { key: String(key), value: toTomlText(String(value)) });
        if (ctx.json) return void ctx.out.document(result);
        const entry = result.entry;
        const shown = `${entry?.key ?? String(key)} = ${entry?.value ?? ''}`;
        if (!result.persisted) return void ctx.out.line(`${shown} (for this run only)`);
        const { path } = await client.unary('GetConfig', { keys: [entry?.key ?? String(key)] });
        ctx.out.line(`${shown} (written to ${path})`);
      }),
    );
}

export function printEntries(out: Output, entries: readonly ConfigEntry__Output[]): void {
  out.table(
    ['KEY', 'VALUE', 'SOURCE', 'LIVE', 'DESCRIPTION'],
    entries.map((e) => [e.key, e.value, e.source === 'default' ? out.paint(e.source, 'dim') : e.source, e.runtimeChangeable ? 'yes' : 'no', e.description]),
  );
}
