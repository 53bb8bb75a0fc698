import type { Command } from 'commander';
import { valueKindOf, type ValueKind } from './hints.js';

/**
 * The command tree as the completion scripts need it, read from commander:
 * one node per command path ('' is `musicfs` itself, 'origin add' a
 * subcommand), with its subcommands, options (and what their values are)
 * and positional arguments. Every shell's script is generated from this, so
 * a new command or option completes without touching the generators.
 */

export interface CompletionOption {
  /** '-V', '--version' (either may be missing). */
  flags: string[];
  description: string;
  /** What its value is; undefined for a flag without a value. */
  value: ValueKind | undefined;
}

export interface CompletionArgument {
  name: string;
  variadic: boolean;
  value: ValueKind;
}

export interface CompletionNode {
  /** Space-separated command names below `musicfs`. */
  path: string;
  subcommands: { name: string; description: string }[];
  options: CompletionOption[];
  arguments: CompletionArgument[];
}

const HELP_OPTION: CompletionOption = { flags: ['-h', '--help'], description: 'show help', value: undefined };

export function completionModel(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (command: Command, path: string): void => {
    const children = command.commands;
    const subcommands = children.map((c) => ({ name: c.name(), description: c.description() }));
    // commander adds `help [command]` to every command that has subcommands.
    if (children.length > 0) subcommands.push({ name: 'help', description: 'show help for a command' });
    const options: CompletionOption[] = command.options
      .filter((o) => !o.hidden)
      .map((o) => ({
        flags: [o.short, o.long].filter((f): f is string => f !== undefined),
        description: o.description,
        value: o.required || o.optional ? valueKindOf(o) : undefined,
      }));
    options.push(HELP_OPTION);
    const args: CompletionArgument[] = command.registeredArguments.map((a) => ({ name: a.name(), variadic: a.variadic, value: valueKindOf(a) }));
    nodes.push({ path, subcommands, options, arguments: args });
    for (const child of children) visit(child, path ? `${path} ${child.name()}` : child.name());
    if (children.length > 0) {
      const helpPath = path ? `${path} help` : 'help';
      nodes.push({
        path: helpPath,
        subcommands: [],
        options: [HELP_OPTION],
        arguments: [{ name: 'command', variadic: false, value: { type: 'words', words: children.map((c) => c.name()) } }],
      });
    }
  };
  visit(program, '');
  return nodes;
}

/** Flags of a node that take a value (the word after them is not a command or argument). */
export function valuedFlags(node: CompletionNode): string[] {
  return node.options.filter((o) => o.value !== undefined).flatMap((o) => o.flags);
}

/** Which argument a positional index falls on (variadic arguments take the rest). */
export function argumentAt(node: CompletionNode, index: number): CompletionArgument | undefined {
  const last = node.arguments[node.arguments.length - 1];
  return node.arguments[index] ?? (last?.variadic ? last : undefined);
}

/**
 * `case` branches of option values for bash and zsh: one branch per distinct
 * action, its patterns the "<command path> <flag>" pairs that share it.
 */
export function optionValueBranches(nodes: readonly CompletionNode[], action: (kind: ValueKind) => string): string[] {
  const byAction = new Map<string, string[]>();
  for (const n of nodes) {
    for (const o of n.options) {
      if (o.value === undefined) continue;
      const a = action(o.value);
      const patterns = byAction.get(a) ?? [];
      patterns.push(...o.flags.map((f) => shQuote(`${n.path} ${f}`)));
      byAction.set(a, patterns);
    }
  }
  return [...byAction].map(([a, patterns]) => `      ${patterns.join(' | ')}) ${a} ;;`);
}

/** A word for single quotes in bash and zsh. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The first line of a description, for completion menus. */
export function shortDescription(text: string): string {
  return (text.split('\n')[0] ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * The shell functions bash and zsh scripts share: origin names from the
 * daemon, "is this word a subcommand of that command path", and "which
 * options of a command path take a value" (`print` is how the shell echoes).
 */
export function shellHelpers(nodes: readonly CompletionNode[], print: 'echo' | 'print -r --'): string {
  const commandPairs = nodes.flatMap((n) => n.subcommands.map((s) => shQuote(`${n.path}/${s.name}`)));
  const valued = nodes.filter((n) => valuedFlags(n).length > 0).map((n) => `    ${shQuote(n.path)}) ${print} ${shQuote(valuedFlags(n).join(' '))} ;;`);
  return `# Origin names, asked of the running daemon.
_musicfs_origins() {
  command musicfs origin list --json 2>/dev/null | sed -n 's/^ *"name": *"\\(.*\\)",\\{0,1\\}$/\\1/p'
}

# Is $2 a subcommand of the command path $1?
_musicfs_is_command() {
  case "$1/$2" in
    ${commandPairs.join(' | ')}) return 0 ;;
  esac
  return 1
}

# The options of command path $1 that take a value.
_musicfs_valued() {
  case "$1" in
${valued.join('\n')}
  esac
}
`;
}
