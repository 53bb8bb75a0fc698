/**
 * Process entry of `musicfs` (bin/musicfs). Wires the CLI to the daemon: the
 * only module that may import both, and it loads the daemon lazily, only for
 * commands that run it.
 */
import { runCli } from './cli/program.js';
import { ExitCode } from '../src-shared/exit-codes.js';

const io = {
  out: (text: string) => void process.stdout.write(text),
  err: (text: string) => void process.stderr.write(text),
};

try {
  const code = await runCli(
    process.argv,
    {
      async runMount(request) {
        const { runForegroundMount } = await import('./daemon/index.js');
        return runForegroundMount({
          ...request,
          print: (line) => io.out(line + '\n'),
          printError: (line) => io.err(line + '\n'),
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
