import type { Argument, Option } from 'commander';

/**
 * What the shell should offer for an option's value or a positional
 * argument. Commands declare it where they declare the option; the
 * completion generator reads it when it walks the command tree. Options and
 * arguments with commander `choices` complete those words without a hint.
 */
export type ValueKind =
  | { type: 'none' }
  | { type: 'dirs' }
  | { type: 'files' }
  /** Origin names, asked of the daemon at completion time (`musicfs origin list --json`). */
  | { type: 'origins' }
  | { type: 'words'; words: readonly string[] };

const hints = new WeakMap<Option | Argument, ValueKind>();

export function completeWith<T extends Option | Argument>(target: T, kind: ValueKind): T {
  hints.set(target, kind);
  return target;
}

export function valueKindOf(target: Option | Argument): ValueKind {
  const hint = hints.get(target);
  if (hint) return hint;
  const choices = (target as { argChoices?: string[] }).argChoices;
  return choices && choices.length > 0 ? { type: 'words', words: choices } : { type: 'none' };
}
