/**
 * Process entry of `musicfs` (bin/musicfs). Wires the CLI to the daemon: the
 * only module that may import both, and it loads the daemon lazily, only for
 * commands that run it.
 */
import { runCli } from './cli/program.js';
import type { CliIo } from './cli/host.js';
import { ExitCode } from '../src-shared/exit-codes.js';
import { MUSICFS_VERSION } from './common/version.js';

// libuv's thread pool carries every origin read and cache write (bin/musicfs sets it too).
process.env.UV_THREADPOOL_SIZE ??= '16';

const NODE_MAJOR_MIN = 24;
if (Number(process.versions.node.split('.')[0]) < NODE_MAJOR_MIN) {
  process.stderr.write(`musicfs: Node ${NODE_MAJOR_MIN} or newer is needed, this is ${process.version} (${process.execPath}); scripts/bootstrap.sh installs one in .tools/node\n`);
  process.exit(ExitCode.UNAVAILABLE);
}

const io: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
};

try {
  const code = await runCli(
    process.argv,
    {
      async runDaemon(request) {
        const { runDaemon } = await import('./daemon/index.js');
        return runDaemon({
          mode: request.mode,
          ...(request.mountPoint !== undefined ? { mountPoint: request.mountPoint } : {}),
          origins: request.origins,
          ...(request.allowNonEmpty !== undefined ? { allowNonEmpty: request.allowNonEmpty } : {}),
          flags: request.flags,
          print: (line) => io.out(line + '\n'),
          printError: (line) => io.err(line + '\n'),
          version: MUSICFS_VERSION,
        });
      },
    },
    io,
  );
  process.exitCode = code;
} catch (err) {
  io.err(`musicfs: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = ExitCode.INTERNAL;
}
