/**
 * The documentation keeps up with the code: every configuration key, table
 * field and CLI command is described where users look for it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_KEYS, TABLE_ARRAYS } from '../src-shared/config.js';
import { REPO_ROOT } from './support/sandbox.js';

const read = (p: string): Promise<string> => readFile(join(REPO_ROOT, p), 'utf8');

describe('documentation', () => {
  it('docs/configuration.md describes every key, env variable and table field', async () => {
    const doc = await read('docs/configuration.md');
    for (const k of CONFIG_KEYS) {
      assert.ok(doc.includes(`\`${k.toml}\``), `${k.toml} missing`);
      assert.ok(doc.includes(`\`${k.env}\``), `${k.env} missing`);
    }
    for (const [table, fields] of Object.entries(TABLE_ARRAYS)) {
      assert.ok(doc.includes(`[[${table}]]`), `[[${table}]] missing`);
      for (const f of fields) assert.ok(doc.includes(`\`${f.toml}\``), `${table}.${f.toml} missing`);
    }
  });

  it('contrib/config.example.toml names every key', async () => {
    const example = await read('contrib/config.example.toml');
    for (const k of CONFIG_KEYS) {
      const leaf = k.toml.split('.').pop()!;
      assert.match(example, new RegExp(`^#?\\s*${leaf} =`, 'm'), `${k.toml} missing`);
    }
  });

  it('the README lists every CLI command', async () => {
    const readme = await read('README.md');
    for (const cmd of ['mount', 'daemon', 'status', 'unmount', 'shutdown', 'search', 'origin list', 'origin add', 'origin remove', 'origin health', 'origin rescan', 'origin update', 'cache stats', 'cache clear', 'cache prefetch', 'cache pin', 'cache unpin', 'events', 'config get', 'config set', 'completion']) {
      assert.ok(readme.includes(`musicfs ${cmd}`), `musicfs ${cmd} missing`);
    }
  });
});
