import { Argument, type Command } from 'commander';
import type { CommandKit } from './command-kit.js';
import { BASH_INSTALL, bashScript } from './completion/bash.js';
import { FISH_INSTALL, fishScript } from './completion/fish.js';
import { completionModel } from './completion/model.js';
import { ZSH_INSTALL, zshScript } from './completion/zsh.js';

/**
 * `musicfs completion bash|zsh|fish`: a completion script generated from the
 * commander tree itself (commands, subcommands, options, argument values).
 * Origin names are asked of the daemon when completing
 * (`musicfs origin list --json`), config keys and event types are built in.
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export function completionScript(program: Command, shell: Shell): string {
  const nodes = completionModel(program);
  switch (shell) {
    case 'bash':
      return bashScript(nodes);
    case 'zsh':
      return zshScript(nodes);
    case 'fish':
      return fishScript(nodes);
  }
}

export function registerCompletionCommand(program: Command, kit: CommandKit): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .addHelpText(
      'after',
      `
Install:
  bash:  ${BASH_INSTALL}
  zsh:   ${ZSH_INSTALL}
  fish:  ${FISH_INSTALL}
Then open a new shell. Origin names complete from the running daemon.`,
    )
    .action(
      kit.action(async (ctx, [shell]) => {
        let root = program;
        while (root.parent) root = root.parent;
        ctx.io.out(completionScript(root, shell as Shell));
      }),
    );
}
