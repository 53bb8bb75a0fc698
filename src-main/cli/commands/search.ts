import { Argument, type Command, Option } from 'commander';
import type { Track__Output } from '../../common/api/gen/musicfs/v1/Track.js';
import { type CommandKit, nonNegativeInt, positiveInt } from '../command-kit.js';
import { cancelled, usageError } from '../context.js';
import { formatTrackDuration, plural } from '../format.js';
import type { Cell, Output } from '../output.js';

/**
 * `musicfs search QUERY...`: the words are joined with spaces into one query
 * (so `-term` exclusions reach the daemon: this command has no short options,
 * and any `-word` that is not one of its options is part of the query).
 */

interface SearchOptions {
  limit?: number;
  offset?: number;
  all?: boolean;
}

const QUERY_HELP = `
Query language (case- and accent-insensitive):
  words                 every word must match a tag (artist, album, title, genre)
  "a phrase"            words next to each other (quote it for the shell too)
  artist:NAME           also albumartist:, album:, title:, genre:
  artist:"two words"    a field with a phrase
  year:1999             also year:1990..1999, year:>=2000, year:<1980
  -term                 exclude matches of a word (or -artist:NAME)

Examples:
  $ musicfs search miles davis
  $ musicfs search 'artist:"pink floyd" year:1970..1979'
  $ musicfs search genre:jazz -live --limit 20
  $ musicfs search --all --json album:kind | jq -r .path`;

export function registerSearchCommand(program: Command, kit: CommandKit): void {
  kit
    .common(program.command('search'))
    .description('find tracks in the library by their tags')
    .addArgument(new Argument('<query...>', 'the query; the words are joined with spaces'))
    .addOption(new Option('--limit <n>', 'at most N matches (default 100, at most 10000; with --all: every match)').argParser(positiveInt))
    .addOption(new Option('--offset <n>', 'skip the first N matches').argParser(nonNegativeInt))
    .option('--all', 'every match, streamed as it is found (one JSON object per line with --json)')
    .allowUnknownOption()
    .addHelpText('after', QUERY_HELP)
    .action(
      kit.action<SearchOptions>(async (ctx, [words], opts) => {
        const terms = (words as string[]).filter((w) => w !== '--');
        const unknown = terms.find((w) => w.startsWith('--'));
        if (unknown) throw usageError(`unknown option '${unknown}' (a query term cannot start with --; see musicfs search --help)`);
        const query = terms.join(' ').trim();
        if (query === '') throw usageError('the query is empty');
        const client = await ctx.client();
        const request = { query, limit: opts.limit ?? 0, offset: opts.offset ?? 0 };

        if (!opts.all) {
          const result = await client.unary('Search', request);
          if (ctx.json) return void ctx.out.document(result);
          printTracks(ctx.out, result.tracks);
          const from = request.offset > 0 ? ` from #${request.offset + 1}` : '';
          ctx.out.line(`${result.tracks.length} of ${plural(result.total, 'match', 'matches')}${from} (took ${result.tookMs.toFixed(1)} ms)`);
          return;
        }

        const tracks: Track__Output[] = [];
        const end = await ctx.interruptible((signal) =>
          client.stream('SearchStream', request, (t) => (ctx.json ? ctx.out.record(t) : tracks.push(t)), signal),
        );
        if (end === 'cancelled') throw cancelled('search');
        if (ctx.json) return;
        printTracks(ctx.out, tracks);
        ctx.out.line(plural(tracks.length, 'match', 'matches'));
      }),
    );
}

export function printTracks(out: Output, tracks: readonly Track__Output[]): void {
  if (tracks.length === 0) return;
  const rows: Cell[][] = tracks.map((t) => [t.path, t.artist, t.album, t.title, t.year || '', t.codec, formatTrackDuration(t.durationSec)]);
  out.table(['PATH', 'ARTIST', 'ALBUM', 'TITLE', 'YEAR', 'CODEC', 'DURATION'], rows);
}
