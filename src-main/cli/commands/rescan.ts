import type { Argument, Command } from 'commander';
import type { ScanReport__Output } from '../../common/api/gen/musicfs/v1/ScanReport.js';
import type { CommandKit } from '../command-kit.js';
import { cancelled } from '../context.js';
import { summariseReport } from '../format.js';
import type { Output } from '../output.js';
import { stderrColumns } from '../progress.js';
import { ProgressBars, ProgressLines, type ScanProgressView } from '../scan-progress.js';

/**
 * `musicfs origin rescan [NAME]`: a full scan now, with progress, then the
 * report. Ctrl-C cancels the call, which stops the scan in the daemon, and
 * exits 130.
 */

const MAX_ERRORS_LISTED = 20;

export function registerRescanCommand(origin: Command, kit: CommandKit, nameArgument: Argument): void {
  kit
    .common(origin.command('rescan'))
    .description('scan an origin (default: every enabled origin, in turn) from scratch, with progress; Ctrl-C stops it')
    .addArgument(nameArgument)
    .action(
      kit.action(async (ctx, [name]) => {
        const client = await ctx.client();
        const view: ScanProgressView | undefined = ctx.json
          ? undefined
          : ctx.io.stderrIsTTY
            ? new ProgressBars(ctx.io, stderrColumns())
            : new ProgressLines((line) => ctx.out.note(line));
        const reports: ScanReport__Output[] = [];
        let end;
        try {
          end = await ctx.interruptible((signal) =>
            client.stream(
              'RescanOrigin',
              { name: typeof name === 'string' ? name : '' },
              (p) => {
                if (ctx.json) ctx.out.record(p);
                else view?.update(p);
                if (p.report) reports.push(p.report);
              },
              signal,
            ),
          );
        } finally {
          view?.stop();
        }
        if (!ctx.json) printReports(ctx.out, reports);
        if (end === 'cancelled') throw cancelled('rescan');
      }),
    );
}

export function printReports(out: Output, reports: readonly ScanReport__Output[]): void {
  for (const r of reports) {
    out.line(`${r.origin}: ${summariseReport(r)}`);
    for (const issue of r.errors.slice(0, MAX_ERRORS_LISTED)) out.line(`  ${out.paint('error', 'red')}: ${issue.path}: ${issue.reason}`);
    if (r.errors.length > MAX_ERRORS_LISTED) out.line(`  ... and ${r.errors.length - MAX_ERRORS_LISTED} more errors`);
  }
}
