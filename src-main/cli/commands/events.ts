import { type Command, Option } from 'commander';
import type { EventType__Output } from '../../common/api/gen/musicfs/v1/EventType.js';
import { collect, type CommandKit } from '../command-kit.js';
import { completeWith } from '../completion/hints.js';
import { collectEventType, EVENT_TYPE_NAMES, formatEventLine } from '../event-types.js';

/** `musicfs events`: follow the daemon's events until Ctrl-C (which exits 0). */

export function registerEventsCommand(program: Command, kit: CommandKit): void {
  kit
    .common(program.command('events'))
    .description('print the daemon\'s events as they happen, until Ctrl-C')
    .addOption(
      completeWith(new Option('--type <type>', `only events of this type (repeat for several; any case): ${EVENT_TYPE_NAMES.join(', ')}`).argParser(collectEventType), {
        type: 'words',
        words: EVENT_TYPE_NAMES,
      }),
    )
    .addOption(completeWith(new Option('--origin <name>', 'only events about this origin (repeat for several)').argParser(collect), { type: 'origins' }))
    .addHelpText(
      'after',
      `
Each line: local time, type, origin ("-" when none), what happened.

Examples:
  $ musicfs events
  $ musicfs events --type scan_completed --type origin_health_changed --origin nas
  $ musicfs events --json | jq 'select(.type == "TRACK_OPENED") | .trackOpened.path'`,
    )
    .action(
      kit.action<{ type?: EventType__Output[]; origin?: string[] }>(async (ctx, _args, opts) => {
        const client = await ctx.client();
        const request = { types: opts.type ?? [], origins: opts.origin ?? [] };
        // Ctrl-C is how this ends: exit 0 either way.
        await ctx.interruptible((signal) => client.stream('SubscribeEvents', request, (e) => (ctx.json ? ctx.out.record(e) : ctx.out.line(formatEventLine(e))), signal));
      }),
    );
}
