import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { CONFIG_KEYS } from '../../src-shared/config.js';
import { CommandKit } from './command-kit.js';
import { completionModel } from './completion/model.js';
import { completionScript, SHELLS } from './completion.js';
import { ClientPool, processInterrupts } from './context.js';
import { EVENT_TYPE_NAMES } from './event-types.js';
import { buildProgram } from './program.js';
import { captureIo, recordingHost } from './testing/fake-daemon.js';

function program(): Command {
  const io = captureIo();
  const kit = new CommandKit(recordingHost(), io, { env: {}, cwd: '/', interrupts: processInterrupts, guardStdout: () => () => undefined }, new ClientPool(), () => undefined);
  return buildProgram(kit, io);
}

const hasShell = (shell: string): boolean => spawnSync(shell, ['-c', 'exit 0']).status === 0;

describe('completion scripts', () => {
  const root = program();
  const nodes = completionModel(root);

  it('the model has every command, subcommand and option of the tree', () => {
    const paths = nodes.map((n) => n.path);
    for (const p of ['', 'mount', 'daemon', 'status', 'unmount', 'shutdown', 'search', 'origin', 'origin list', 'origin add', 'origin remove', 'origin enable', 'origin disable', 'origin update', 'origin health', 'origin rescan', 'cache', 'cache stats', 'cache clear', 'cache prefetch', 'cache pin', 'cache unpin', 'events', 'config', 'config get', 'config set', 'completion', 'help']) {
      assert.ok(paths.includes(p), `command path "${p}"`);
    }
    const flagsOf = (path: string): string[] => nodes.find((n) => n.path === path)!.options.flatMap((o) => o.flags);
    assert.deepEqual(flagsOf('').sort(), ['--help', '--json', '--socket', '--version', '-V', '-h'].sort());
    assert.deepEqual(flagsOf('mount').sort(), ['--allow-non-empty', '--help', '--json', '--layout', '--log-level', '--origin', '--read-timeout', '--socket', '-h'].sort());
  });

  it('a flag takes a value everywhere or nowhere (fish relies on it)', () => {
    const valued = new Map<string, boolean>();
    for (const n of nodes) {
      for (const o of n.options) {
        for (const f of o.flags) {
          const v = o.value !== undefined;
          assert.equal(valued.get(f) ?? v, v, `${f} in "${n.path}"`);
          valued.set(f, v);
        }
      }
    }
  });

  for (const shell of SHELLS) {
    it(`${shell}: names every command and option, the config keys and the event types`, () => {
      const script = completionScript(root, shell);
      for (const n of nodes) {
        for (const s of n.subcommands) assert.ok(script.includes(s.name), `${shell}: command ${s.name}`);
        for (const o of n.options) {
          for (const f of o.flags) {
            const word = shell === 'fish' ? (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`) : f;
            assert.ok(script.includes(word), `${shell}: option ${f} of "${n.path}"`);
          }
        }
      }
      for (const k of CONFIG_KEYS) assert.ok(script.includes(k.toml), `${shell}: config key ${k.toml}`);
      for (const t of EVENT_TYPE_NAMES) assert.ok(script.includes(t), `${shell}: event type ${t}`);
      assert.ok(script.includes('musicfs origin list --json'), `${shell}: origin names from the daemon`);
    });
  }

  describe('in the shells', () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'musicfs-completion-'));
      // A stand-in `musicfs` on PATH that answers `origin list --json`.
      const json = JSON.stringify({ origins: [{ name: 'music', kind: 'local', lastScan: { origin: 'x' } }, { name: 'nas', kind: 'local', lastScan: null }] }, null, 2);
      writeFileSync(join(dir, 'musicfs'), `#!/bin/sh\n[ "$1 $2 $3" = "origin list --json" ] && cat <<'EOF'\n${json}\nEOF\n`);
      chmodSync(join(dir, 'musicfs'), 0o755);
      for (const shell of SHELLS) writeFileSync(join(dir, `script.${shell}`), completionScript(root, shell));
      env = { ...process.env, PATH: `${dir}:${process.env['PATH'] ?? ''}` };
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const cases: [string[], string[]][] = [
      [['musicfs', ''], ['mount', 'daemon', 'status', 'unmount', 'shutdown', 'search', 'origin', 'cache', 'events', 'config', 'completion', 'help']],
      [['musicfs', 'cache', 'p'], ['prefetch', 'pin']],
      [['musicfs', 'cache', 'clear', '--i'], ['--include-pinned']],
      [['musicfs', 'origin', 're'], ['remove', 'rescan']],
      [['musicfs', '--json', 'origin', 'disable', ''], ['music', 'nas']],
      [['musicfs', 'events', '--type', 'scan_c'], ['scan_completed']],
      [['musicfs', 'events', '--origin', 'n'], ['nas']],
      [['musicfs', 'config', 'set', 'mount.r'], ['mount.read_timeout_ms']],
      [['musicfs', 'config', 'set', 'log_level', ''], []],
      [['musicfs', 'search', '--o'], ['--offset']],
      [['musicfs', 'completion', ''], ['bash', 'zsh', 'fish']],
    ];

    it('bash completes commands, options, origin names, keys and event types', () => {
      const calls = cases.map(([words]) => `t ${words.map((w) => `'${w}'`).join(' ')}`).join('\n');
      const script = `source ${join(dir, 'script.bash')}
t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _musicfs; echo "\${COMPREPLY[*]}"; }
${calls}`;
      const lines = execFileSync('bash', ['--norc', '-c', script], { env, encoding: 'utf8' }).split('\n');
      cases.forEach(([words, expected], i) => assert.deepEqual(lines[i]!.split(' ').filter(Boolean).sort(), [...expected].sort(), words.join(' ')));
    });

    it('zsh parses the script and completes with it', { skip: !hasShell('zsh') && 'zsh is not installed' }, () => {
      execFileSync('zsh', ['-n', join(dir, 'script.zsh')]);
      // compsys stand-ins that print what would be offered (filtered by the prefix, as compsys does).
      const calls = cases.map(([words]) => `t ${words.map((w) => `'${w}'`).join(' ')}`).join('\n');
      const script = `compdef() { :; }
_musicfs_offer() { local w; for w in "$@"; do [[ $w == "\${words[CURRENT]}"* ]] && print -rn -- "$w "; done; }
compadd() { local -a out; while [[ $1 == -* ]]; do if [[ $1 == -a ]]; then out+=("\${(@P)2}"); shift 2; continue; fi; [[ $1 == -- ]] && { shift; break; }; shift; done; _musicfs_offer "\${out[@]}" "$@"; }
_describe() { local -a described; described=("\${(@P)4}"); _musicfs_offer "\${described[@]%%:*}"; }
_files() { :; }
source ${join(dir, 'script.zsh')}
t() { words=("$@"); CURRENT=$#; _musicfs; print; }
${calls}`;
      const lines = execFileSync('zsh', ['-f', '-c', script], { env, encoding: 'utf8' }).split('\n');
      cases.forEach(([words, expected], i) => assert.deepEqual(lines[i]!.split(' ').filter(Boolean).sort(), [...expected].sort(), words.join(' ')));
    });

    it('fish parses the script and completes with it', { skip: !hasShell('fish') && 'fish is not installed' }, () => {
      execFileSync('fish', ['-n', join(dir, 'script.fish')]);
      const calls = cases.map(([words]) => `echo (complete -C ${JSON.stringify(words.join(' '))} | string split -f1 \\t)`).join('\n');
      const lines = execFileSync('fish', ['--no-config', '-c', `source ${join(dir, 'script.fish')}\n${calls}`], { env, encoding: 'utf8' }).split('\n');
      cases.forEach(([words, expected], i) => assert.deepEqual(lines[i]!.split(' ').filter(Boolean).sort(), [...expected].sort(), words.join(' ')));
    });
  });
});
