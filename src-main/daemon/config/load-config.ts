import { readFile } from 'node:fs/promises';
import { parse, TomlError } from 'smol-toml';
import { ConfigError, defaultConfig, resolveConfig, type MusicFsConfig } from '../../../src-shared/config.js';
import { MusicFsError } from '../../../src-shared/errors.js';
import { DEFAULT_LAYOUT } from '../../../src-shared/layout/index.js';

/** Reads config.toml (if any) and the environment, applies CLI flags over them. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv, flags: Partial<MusicFsConfig>): Promise<MusicFsConfig> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new MusicFsError('CONFIG_INVALID', `cannot read the config file ${file}: ${(err as Error).message}`, { path: file });
    }
  }
  try {
    let doc: Record<string, unknown> | undefined;
    if (text !== undefined) {
      try {
        doc = parse(text) as Record<string, unknown>;
      } catch (err) {
        if (err instanceof TomlError) {
          throw new ConfigError(`${file}:${err.line}:${err.column}: ${err.message.split('\n')[0]}`, undefined, err.line);
        }
        throw err;
      }
    }
    return resolveConfig(defaultConfig(DEFAULT_LAYOUT), {
      ...(doc !== undefined && text !== undefined ? { file: { path: file, doc, text } } : {}),
      env,
      flags,
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new MusicFsError('CONFIG_INVALID', err.message, { path: file, ...(err.key ? { key: err.key } : {}) });
    throw err;
  }
}
