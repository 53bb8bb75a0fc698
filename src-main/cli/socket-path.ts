import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'smol-toml';
import { resolveStatePaths } from '../common/xdg.js';

/**
 * Where the daemon's control socket is, in the order the daemon itself
 * decides it: `--socket`, then $MUSICFS_CONTROL_SOCKET, then `control.socket`
 * of config.toml (when set and non-empty; a broken file is ignored: the
 * daemon reports it, the CLI just falls back), then
 * $XDG_RUNTIME_DIR/musicfs/control.sock. Relative paths are taken from the
 * CLI's working directory.
 */

export const SOCKET_ENV = 'MUSICFS_CONTROL_SOCKET';

export function resolveSocketPath(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  if (explicit) return resolve(cwd, explicit);
  const fromEnv = env[SOCKET_ENV];
  if (fromEnv) return resolve(cwd, fromEnv);
  const paths = resolveStatePaths(env);
  const fromConfig = socketFromConfig(paths.configFile);
  if (fromConfig) return resolve(cwd, fromConfig);
  return join(paths.runtimeDir, 'control.sock');
}

/** `control.socket` of a config.toml, or undefined (missing, empty, broken, wrong type). */
export function socketFromConfig(configFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const doc = parse(text) as Record<string, unknown>;
    const control = doc['control'];
    if (control === null || typeof control !== 'object' || Array.isArray(control)) return undefined;
    const socket = (control as Record<string, unknown>)['socket'];
    return typeof socket === 'string' && socket !== '' ? socket : undefined;
  } catch {
    return undefined;
  }
}
