import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConfigEntry } from '../../common/api/gen/musicfs/v1/ConfigEntry.js';
import { startFakeDaemon, type FakeDaemon } from '../testing/fake-daemon.js';
import { runMusicfs } from '../testing/fixtures.js';

const ENTRIES: ConfigEntry[] = [
  { key: 'layout', value: '"{albumartist}/{album}/{title}{.ext}"', source: 'default', runtimeChangeable: true, description: 'path template of the mount' },
  { key: 'log_level', value: '"info"', source: 'file', runtimeChangeable: true, description: 'debug, info, warn or error' },
  { key: 'mount.read_timeout_ms', value: '30000', source: 'env', runtimeChangeable: true, description: 'deadline of one read, then EIO' },
  { key: 'scan.workers', value: '0', source: 'default', runtimeChangeable: false, description: 'tag reader threads (0 = one per core)' },
];
const PATH = '/home/u/.config/musicfs/config.toml';

describe('musicfs config', () => {
  let daemon: FakeDaemon;

  before(async () => {
    daemon = await startFakeDaemon({
      GetConfig: (call, cb) => cb(null, { entries: ENTRIES.filter((e) => call.request.keys.length === 0 || call.request.keys.includes(e.key!)), path: PATH }),
      SetConfig: (call, cb) =>
        cb(null, { entry: { key: call.request.key, value: call.request.value, source: 'runtime', runtimeChangeable: true, description: '' }, persisted: call.request.key !== 'log_level' }),
    });
  });
  after(() => daemon.close());

  it('get prints a table of every key', async () => {
    const r = await runMusicfs(['config', 'get'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^KEY\s+VALUE\s+SOURCE\s+LIVE\s+DESCRIPTION$/);
    assert.match(lines[3]!, /^mount\.read_timeout_ms\s+30000\s+env\s+yes\s+deadline of one read, then EIO$/);
    assert.match(lines[4]!, /^scan\.workers\s+0\s+default\s+no\s+/);
    assert.equal(lines[5], `config file: ${PATH}`);
  });

  it('get KEY prints just the value (a string without its quotes)', async () => {
    let r = await runMusicfs(['config', 'get', 'log_level'], { socket: daemon.socketPath });
    assert.equal(r.stdout, 'info\n');
    r = await runMusicfs(['config', 'mount.read_timeout_ms'], { socket: daemon.socketPath });
    assert.equal(r.stdout, '30000\n');
    r = await runMusicfs(['config', 'get', 'log_level', '--json'], { socket: daemon.socketPath });
    assert.deepEqual(JSON.parse(r.stdout), { entries: [ENTRIES[1]], path: PATH });
  });

  it('set sends TOML text and says where it was written', async () => {
    const cases: [string, string, string][] = [
      ['mount.read_timeout_ms', '5000', '5000'],
      ['layout', '{artist}/{title}', '"{artist}/{title}"'],
      ['metrics.listen', '', '""'],
      ['mount.allow_non_empty', 'true', 'true'],
    ];
    for (const [key, typed, sent] of cases) {
      const r = await runMusicfs(['config', 'set', key, typed], { socket: daemon.socketPath });
      assert.equal(r.code, 0, r.stderr);
      const set = daemon.calls.filter((c) => c.method === 'SetConfig').at(-1)!;
      assert.deepEqual(set.request, { key, value: sent });
      assert.equal(r.stdout, `${key} = ${sent} (written to ${PATH})\n`);
    }
    const r = await runMusicfs(['config', 'set', 'log_level', 'debug'], { socket: daemon.socketPath });
    assert.equal(r.stdout, 'log_level = "debug" (for this run only)\n');
  });

  it('set --json prints the response', async () => {
    const r = await runMusicfs(['config', 'set', '--json', 'scan.rescan_interval_min', '0'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { entry: { value: string }; persisted: boolean };
    assert.equal(doc.entry.value, '0');
    assert.equal(doc.persisted, true);
  });
});
