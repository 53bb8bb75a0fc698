import { Argument, type Command, Option } from 'commander';
import type { Origin__Output } from '../../common/api/gen/musicfs/v1/Origin.js';
import type { OriginHealth__Output } from '../../common/api/gen/musicfs/v1/OriginHealth.js';
import type { TestOriginResponse__Output } from '../../common/api/gen/musicfs/v1/TestOriginResponse.js';
import { ExitCode } from '../../../src-shared/exit-codes.js';
import { isOriginUrl, OriginLocationError, parseOriginLocation } from '../../../src-shared/origin-location.js';
import { type CommandKit, integer } from '../command-kit.js';
import { completeWith } from '../completion/hints.js';
import { usageError } from '../context.js';
import { formatAgo, formatLatencyMs, healthName, shortReport } from '../format.js';
import type { Output, Style } from '../output.js';
import { registerRescanCommand } from './rescan.js';

/** `musicfs origin ...`: the folders, buckets and servers the library is made of. */

const nameArgument = (required = true): Argument =>
  completeWith(new Argument(required ? '<name>' : '[name]', required ? 'the origin' : 'one origin (default: every origin)'), { type: 'origins' });

const HEALTH_STYLE: Record<string, Style> = { healthy: 'green', degraded: 'yellow', unhealthy: 'red' };

export function registerOriginCommands(program: Command, kit: CommandKit): void {
  const origin = program
    .command('origin')
    .description('list, add, test, remove, enable, disable, update, check and rescan origins (music folders, S3 buckets, SFTP servers)')
    .addHelpText(
      'after',
      `
Examples:
  $ musicfs origin add ~/Music
  $ musicfs origin add /srv/nas/flac --name nas --priority 50
  $ musicfs origin add 's3://music/flac?endpoint=http://minio:9000&path_style=1'
  $ musicfs origin add 'sftp://me@seedbox:2222/~/music?identity=~/.ssh/id_ed25519'
  $ musicfs origin test sftp://me@nas/srv/music
  $ musicfs origin rescan nas`,
    );

  kit
    .common(origin.command('list', { isDefault: true }))
    .description('list the origins (the default of `musicfs origin`)')
    .action(
      kit.action(async (ctx) => {
        const result = await (await ctx.client()).unary('ListOrigins', {});
        if (ctx.json) return void ctx.out.document(result);
        printOrigins(ctx.out, result.origins);
      }),
    );

  kit
    .common(origin.command('add'))
    .description('add a folder, S3 bucket or SFTP folder as an origin, written to config.toml (unless --session), and scan it')
    .addArgument(
      completeWith(new Argument('<location>', 'a music folder (a relative path is taken from here), s3://BUCKET/PREFIX?... or sftp://USER@HOST/PATH?...'), {
        type: 'dirs',
      }),
    )
    .addOption(completeWith(new Option('--name <name>', "the origin's name (default: the folder's, bucket's or host's name)"), { type: 'none' }))
    .addOption(new Option('--priority <n>', 'lower is preferred when origins hold the same recording (default 100)').argParser(integer))
    .option('--disabled', 'add it disabled (not scanned, not in the mount)')
    .option('--session', "for this daemon's run only: not written to config.toml")
    .option('--skip-check', 'add a remote origin without testing it first (a server that is down now)')
    .action(
      kit.action<{ name?: string; priority?: number; disabled?: boolean; session?: boolean; skipCheck?: boolean }>(async (ctx, [location], opts) => {
        const added = await (
          await ctx.client()
        ).unary('AddOrigin', {
          location: locationArgument(ctx, String(location)),
          skipCheck: opts.skipCheck === true,
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
          ...(opts.disabled ? { enabled: false } : {}),
          sessionOnly: opts.session === true,
        });
        if (ctx.json) return void ctx.out.document(added);
        const notes = [added.enabled ? 'scanning' : 'disabled', ...(added.source === 'session' ? ['this run only'] : [])];
        ctx.out.line(`added origin ${added.name}: ${added.location} (${notes.join(', ')})`);
      }),
    );

  kit
    .common(origin.command('test'))
    .description('connect to a location (or an origin by name), list it and read a range of one file; say what is wrong')
    .addArgument(completeWith(new Argument('<location>', 'a folder, s3://... or sftp://... URL, or the name of an origin'), { type: 'origins' }))
    .action(
      kit.action(async (ctx, [location]) => {
        const text = String(location);
        // A bare word is an origin's name; anything with a slash is a location.
        const target = isOriginUrl(text) || text.includes('/') || text.startsWith('.') ? locationArgument(ctx, text) : text;
        const report = await (await ctx.client()).unary('TestOrigin', { location: target });
        if (ctx.json) ctx.out.document(report);
        else printTestReport(ctx.out, report);
        return report.ok ? 0 : ExitCode.UNAVAILABLE;
      }),
    );

  kit
    .common(origin.command('remove'))
    .description('remove an origin (its tracks leave the mount; the folder is not touched)')
    .addArgument(nameArgument())
    .action(
      kit.action(async (ctx, [name]) => {
        const result = await (await ctx.client()).unary('RemoveOrigin', { name: String(name) });
        if (ctx.json) return void ctx.out.document(result);
        ctx.out.line(`removed origin ${result.removed?.name ?? String(name)}`);
      }),
    );

  for (const [verb, rpc, help] of [
    ['enable', 'EnableOrigin', 'enable an origin: scan it and show its tracks in the mount'],
    ['disable', 'DisableOrigin', 'disable an origin: its tracks leave the mount, its catalog entries stay'],
  ] as const) {
    kit
      .common(origin.command(verb))
      .description(help)
      .addArgument(nameArgument())
      .action(
        kit.action(async (ctx, [name]) => {
          const result = await (await ctx.client()).unary(rpc, { name: String(name) });
          if (ctx.json) return void ctx.out.document(result);
          ctx.out.line(`${verb}d origin ${result.name}`);
        }),
      );
  }

  kit
    .common(origin.command('update'))
    .description("rename an origin or change its priority")
    .addArgument(nameArgument())
    .addOption(completeWith(new Option('--name <new-name>', 'the new name'), { type: 'none' }))
    .addOption(new Option('--priority <n>', 'the new priority (lower is preferred)').argParser(integer))
    .action(
      kit.action<{ name?: string; priority?: number }>(async (ctx, [name], opts) => {
        if (opts.name === undefined && opts.priority === undefined) throw usageError('nothing to update: give --name NEW and/or --priority N');
        const result = await (
          await ctx.client()
        ).unary('UpdateOrigin', {
          name: String(name),
          ...(opts.name !== undefined ? { newName: opts.name } : {}),
          ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
        });
        if (ctx.json) return void ctx.out.document(result);
        ctx.out.line(`updated origin ${result.name} (priority ${result.priority})`);
      }),
    );

  kit
    .common(origin.command('health'))
    .description('show the health of the origins (last check, or a new one with --check)')
    .addArgument(nameArgument(false))
    .option('--check', 'check now instead of showing the last results')
    .action(
      kit.action<{ check?: boolean }>(async (ctx, [name], opts) => {
        const result = await (await ctx.client()).unary('GetOriginHealth', { name: typeof name === 'string' ? name : '', checkNow: opts.check === true });
        if (ctx.json) return void ctx.out.document(result);
        printHealth(ctx.out, result.origins);
      }),
    );

  registerRescanCommand(origin, kit, nameArgument(false));
}

/** A URL is checked here (a typo fails before the daemon is asked); a folder is made absolute. */
function locationArgument(ctx: { absolute(path: string): string }, text: string): string {
  if (!isOriginUrl(text)) return ctx.absolute(text);
  try {
    parseOriginLocation(text);
  } catch (err) {
    if (err instanceof OriginLocationError) throw usageError(err.message);
    throw err;
  }
  return text;
}

function printTestReport(out: Output, r: TestOriginResponse__Output): void {
  out.line(r.location);
  for (const s of r.steps) {
    const mark = s.ok ? out.paint('ok  ', 'green') : out.paint('FAIL', 'red');
    out.line(`  ${mark} ${s.step.padEnd(7)} ${s.detail}${s.ok ? ` (${formatLatencyMs(s.durationMs) || '0 ms'})` : ''}`);
  }
  out.line(r.ok ? 'the origin works' : `the origin does not work: ${r.summary}`);
}

export function printOrigins(out: Output, origins: readonly Origin__Output[]): void {
  if (origins.length === 0) return void out.line('no origins (add one with `musicfs origin add DIR`)');
  const now = Date.now();
  out.table(
    ['NAME', 'KIND', 'ENABLED', 'HEALTH', 'PRIORITY', 'TRACKS', 'LOCATION', 'LAST SCAN'],
    origins.map((o) => {
      const health = healthName(o.health);
      const scan = o.scanning ? 'scanning' : o.lastScan ? `${formatAgo(o.lastScan.startedAtMs + o.lastScan.durationMs, now)}: ${shortReport(o.lastScan)}` : 'never';
      return [
        o.name,
        o.kind,
        o.enabled ? 'yes' : out.paint('no', 'dim'),
        out.paint(health, HEALTH_STYLE[health] ?? 'dim'),
        o.priority,
        o.tracks,
        o.location,
        scan,
      ];
    }),
  );
}

export function printHealth(out: Output, origins: readonly OriginHealth__Output[]): void {
  if (origins.length === 0) return void out.line('no origins');
  const now = Date.now();
  out.table(
    ['NAME', 'STATE', 'REASON', 'CHECKED', 'LATENCY', 'P50'],
    origins.map((h) => {
      const state = healthName(h.state);
      const failures = h.consecutiveFailures > 1 ? ` (${h.consecutiveFailures} failures in a row)` : '';
      return [h.name, out.paint(state, HEALTH_STYLE[state] ?? 'dim'), `${h.reason}${failures}`, formatAgo(h.checkedAtMs, now), formatLatencyMs(h.latencyMs), formatLatencyMs(h.p50LatencyMs)];
    }),
  );
}
