import { readFileSync } from 'node:fs';

/** The version of this MusicFS, from package.json. */
export const MUSICFS_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
