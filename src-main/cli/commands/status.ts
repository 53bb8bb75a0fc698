import type { Command } from 'commander';
import type { Status__Output } from '../../common/api/gen/musicfs/v1/Status.js';
import { MusicFsError } from '../../../src-shared/errors.js';
import { socketAnswers } from '../../common/socket-probe.js';
import type { CommandKit } from '../command-kit.js';
import { formatBytes, formatSpan, plural } from '../format.js';
import type { Output } from '../output.js';

/** `musicfs status`, `unmount` and `shutdown`: the daemon as a whole. */

export const SHUTDOWN_WAIT_MS = 30_000;
const SHUTDOWN_POLL_MS = 100;

export function registerStatusCommands(program: Command, kit: CommandKit): void {
  kit
    .common(program.command('status'))
    .description('show what the daemon is doing: version, uptime, mount, library, origins, paths')
    .action(
      kit.action(async (ctx) => {
        const status = await (await ctx.client()).unary('GetStatus', {});
        if (ctx.json) ctx.out.document(status);
        else printStatus(ctx.out, status);
      }),
    );

  kit
    .common(program.command('unmount'))
    .description('unmount the library (the daemon keeps running; `musicfs mount` mounts it again)')
    .action(
      kit.action(async (ctx) => {
        const client = await ctx.client();
        const before = await client.unary('GetStatus', {});
        const state = await client.unary('Unmount', {});
        if (ctx.json) return void ctx.out.document(state);
        const where = before.mount?.mountPoint || state.mountPoint;
        ctx.out.line(where ? `unmounted ${where}` : 'unmounted');
      }),
    );

  kit
    .common(program.command('shutdown'))
    .description('stop the daemon: it finishes reads in flight, unmounts and exits')
    .option('--wait', `wait until the daemon has stopped (up to ${SHUTDOWN_WAIT_MS / 1000} s)`)
    .action(
      kit.action<{ wait?: boolean }>(async (ctx, _args, opts) => {
        const client = await ctx.client();
        const response = await client.unary('Shutdown', {});
        client.close();
        if (opts.wait) {
          const deadline = Date.now() + SHUTDOWN_WAIT_MS;
          while (await socketAnswers(client.socketPath)) {
            if (Date.now() >= deadline) {
              throw new MusicFsError('DAEMON_RUNNING', `the daemon still answers on ${client.socketPath} after ${SHUTDOWN_WAIT_MS / 1000} s`, { path: client.socketPath });
            }
            await new Promise((r) => setTimeout(r, SHUTDOWN_POLL_MS));
          }
        }
        if (ctx.json) ctx.out.document(response);
        else ctx.out.line(opts.wait ? 'daemon stopped' : 'daemon stopping');
      }),
    );
}

export function printStatus(out: Output, s: Status__Output): void {
  const mount = s.mount;
  const mounted = mount?.mounted
    ? `${out.paint(mount.mountPoint, 'green')} (${plural(mount.openFiles, 'open file')})`
    : out.paint('not mounted', 'yellow');
  const rows: [string, string][] = [
    ['version', s.version],
    ['pid', String(s.pid)],
    ['uptime', formatSpan(s.uptimeSec)],
    ['mounted', mounted],
    ['library', `${plural(s.tracks, 'track')}, ${plural(s.folders, 'folder')}, ${formatBytes(s.libraryBytes)}`],
    ['origins', `${s.originsEnabled} of ${s.origins} enabled`],
    ['scanning', s.scanning ? 'yes' : 'no'],
    ['catalog', s.catalogPath],
    ['config', s.configPath],
    ['socket', s.socketPath],
    ['metrics', s.metricsUrl || 'off'],
  ];
  out.table([], rows.map(([k, v]) => [out.paint(k, 'bold'), v]));
}
