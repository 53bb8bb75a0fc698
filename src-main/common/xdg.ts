import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

/** Where MusicFS keeps its state (XDG base directories). */
export interface StatePaths {
  configDir: string;
  dataDir: string;
  cacheDir: string;
  runtimeDir: string;
  configFile: string;
  catalogFile: string;
}

export function resolveStatePaths(env: NodeJS.ProcessEnv = process.env): StatePaths {
  const home = env.HOME || homedir();
  const pick = (name: string, fallback: string): string => {
    const v = env[name];
    // The spec says relative paths are invalid and must be ignored.
    return v && v.startsWith('/') ? v : fallback;
  };
  const configDir = join(pick('XDG_CONFIG_HOME', join(home, '.config')), 'musicfs');
  const dataDir = join(pick('XDG_DATA_HOME', join(home, '.local', 'share')), 'musicfs');
  const cacheDir = join(pick('XDG_CACHE_HOME', join(home, '.cache')), 'musicfs');
  const runtimeBase = pick('XDG_RUNTIME_DIR', join('/tmp', `musicfs-${userInfo().uid}`));
  const runtimeDir = join(runtimeBase, 'musicfs');
  return {
    configDir,
    dataDir,
    cacheDir,
    runtimeDir,
    configFile: join(configDir, 'config.toml'),
    catalogFile: join(dataDir, 'catalog.db'),
  };
}
