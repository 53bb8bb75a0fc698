import { Argument, type Command } from 'commander';
import type { CacheProgress__Output } from '../../common/api/gen/musicfs/v1/CacheProgress.js';
import type { CacheStats__Output } from '../../common/api/gen/musicfs/v1/CacheStats.js';
import { ExitCode } from '../../../src-shared/exit-codes.js';
import { CacheProgressBar, CacheProgressLines, type CacheProgressView } from '../cache-progress.js';
import type { CommandKit } from '../command-kit.js';
import { completeWith } from '../completion/hints.js';
import { cancelled, type CommandContext } from '../context.js';
import { formatBytes, formatPercent, plural } from '../format.js';
import type { Output } from '../output.js';
import { stderrColumns } from '../progress.js';

/**
 * `musicfs cache ...`: the chunk cache. Paths are sent as typed, with the
 * working directory; the daemon resolves them (absolute paths under the
 * mount point, relative ones when the working directory is inside the mount,
 * otherwise library paths like "Artist/Album").
 */

const MAX_FAILURES_LISTED = 20;

const pathsArgument = (): Argument =>
  completeWith(
    new Argument('<path...>', 'files or folders: in the mount (absolute, or relative when you are in it), or library paths like "Artist/Album"'),
    { type: 'files' },
  );

export function registerCacheCommands(program: Command, kit: CommandKit): void {
  const cache = program
    .command('cache')
    .description('show, clear, fill and pin the chunk cache (what is cached plays without the origins)')
    .addHelpText(
      'after',
      `
Examples:
  $ musicfs cache stats
  $ musicfs cache prefetch "Miles Davis/Kind of Blue"
  $ musicfs cache pin ~/MusicFS/Björk          (a folder in the mount)
  $ musicfs cache clear --include-pinned`,
    );

  kit
    .common(cache.command('stats', { isDefault: true }))
    .description('show the size, limit, tracks, pinned tracks, hit ratio and state of the cache (the default of `musicfs cache`)')
    .action(
      kit.action(async (ctx) => {
        const stats = await (await ctx.client()).unary('GetCacheStats', {});
        if (ctx.json) return void ctx.out.document(stats);
        printCacheStats(ctx.out, stats);
      }),
    );

  kit
    .common(cache.command('clear'))
    .description('empty the cache (pinned tracks stay unless --include-pinned)')
    .option('--include-pinned', 'drop pinned tracks too')
    .action(
      kit.action<{ includePinned?: boolean }>(async (ctx, _args, opts) => {
        const includePinned = opts.includePinned === true;
        const freed = await (await ctx.client()).unary('ClearCache', { includePinned });
        if (ctx.json) return void ctx.out.document(freed);
        ctx.out.line(`cleared ${plural(freed.tracks, 'track')}, ${formatBytes(freed.bytes)} freed${includePinned ? '' : ' (pinned tracks kept)'}`);
      }),
    );

  kit
    .common(cache.command('prefetch'))
    .description('read files or folders into the cache now, with progress; Ctrl-C stops it')
    .addArgument(pathsArgument())
    .action(kit.action(async (ctx, [paths]) => fill(ctx, 'Prefetch', paths as string[])));

  kit
    .common(cache.command('pin'))
    .description('pin files or folders (never evicted) and read them into the cache, with progress; Ctrl-C stops the reading')
    .addArgument(pathsArgument())
    .action(kit.action(async (ctx, [paths]) => fill(ctx, 'Pin', paths as string[])));

  kit
    .common(cache.command('unpin'))
    .description('unpin files or folders (their cached data stays, and may be evicted again)')
    .addArgument(pathsArgument())
    .action(
      kit.action(async (ctx, [paths]) => {
        const result = await (await ctx.client()).unary('Unpin', { paths: paths as string[], cwd: ctx.runtime.cwd });
        if (ctx.json) return void ctx.out.document(result);
        ctx.out.line(`unpinned ${plural(result.tracks, 'track')}`);
      }),
    );
}

/**
 * Prefetch or Pin: progress while it runs (bar, lines or NDJSON), then a
 * summary and the files that failed. Exit 1 when any did; 130 on Ctrl-C,
 * which cancels the call and so the work in the daemon.
 */
async function fill(ctx: CommandContext, rpc: 'Prefetch' | 'Pin', paths: readonly string[]): Promise<number> {
  const client = await ctx.client();
  const doing = rpc === 'Pin' ? 'pinning' : 'prefetching';
  const view: CacheProgressView | undefined = ctx.json
    ? undefined
    : ctx.io.stderrIsTTY
      ? new CacheProgressBar(doing, ctx.io, stderrColumns())
      : new CacheProgressLines(doing, (line) => ctx.out.note(line));
  const failures: { path: string; error: string }[] = [];
  let last: CacheProgress__Output | undefined;
  let end;
  try {
    end = await ctx.interruptible((signal) =>
      client.stream(
        rpc,
        { paths: [...paths], cwd: ctx.runtime.cwd },
        (p) => {
          if (ctx.json) ctx.out.record(p);
          else view?.update(p);
          if (p.error) failures.push({ path: p.path, error: p.error });
          last = p;
        },
        signal,
      ),
    );
  } finally {
    view?.stop();
  }
  if (end === 'cancelled') throw cancelled(rpc === 'Pin' ? 'pin' : 'prefetch');
  const failed = Math.max(failures.length, last?.filesFailed ?? 0);
  if (!ctx.json) printFillSummary(ctx.out, rpc === 'Pin' ? 'pinned' : 'prefetched', last, failed, failures);
  return failed > 0 ? ExitCode.FAILURE : ExitCode.OK;
}

/**
 * "prefetched 30 files (300.0 MiB)", or "prefetched 28 of 30 files; 2 failed:"
 * and each failure with its reason on stderr. (The daemon counts a failed
 * file in `filesDone` and its size in `bytesDone`, so neither says what was cached.)
 */
export function printFillSummary(out: Output, done: string, last: CacheProgress__Output | undefined, failed: number, failures: readonly { path: string; error: string }[]): void {
  const total = last?.filesTotal ?? 0;
  if (failed === 0) {
    out.line(`${done} ${plural(total, 'file')} (${formatBytes(last?.bytesTotal ?? 0)})`);
    return;
  }
  out.line(`${done} ${Math.max(0, total - failed)} of ${plural(total, 'file')}; ${failed} failed${failures.length > 0 ? ':' : ''}`);
  for (const f of failures.slice(0, MAX_FAILURES_LISTED)) out.note(`failed: ${f.path}: ${f.error}`);
  if (failures.length > MAX_FAILURES_LISTED) out.note(`... and ${failures.length - MAX_FAILURES_LISTED} more`);
}

export function printCacheStats(out: Output, s: CacheStats__Output): void {
  const size =
    s.limitBytes > 0
      ? `${formatBytes(s.sizeBytes)} of ${formatBytes(s.limitBytes)} (${formatPercent(s.sizeBytes / s.limitBytes)})`
      : `${formatBytes(s.sizeBytes)} (limit 0: nothing new is cached)`;
  const reads = s.hits + s.misses > 0 ? `${s.hits} hits, ${s.misses} misses (hit ratio ${formatPercent(s.hitRatio)})` : 'none yet';
  const rows: [string, string][] = [
    ['size', size],
    ['chunks', String(s.chunks)],
    ['tracks', `${s.tracks} (${s.tracksComplete} complete)`],
    ['pinned', plural(s.pinnedTracks, 'track')],
    ['memory', s.memoryLimitBytes > 0 ? `${formatBytes(s.memoryBytes)} of ${formatBytes(s.memoryLimitBytes)}` : 'off'],
    ['reads', reads],
    ['evicted', `${plural(s.evictions, 'track')}, ${formatBytes(s.evictedBytes)}`],
    ['corrupt', `${plural(s.corruptChunks, 'chunk')} fetched again`],
    ['passthrough', s.passthrough ? `${out.paint('yes', 'yellow')}${s.passthroughReason ? `: ${s.passthroughReason}` : ''}` : 'no'],
    ['folder', s.dir],
  ];
  out.table([], rows.map(([k, v]) => [out.paint(k, 'bold'), v]));
}
