import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SearchRequest__Output } from '../../common/api/gen/musicfs/v1/SearchRequest.js';
import { startFakeDaemon, type FakeDaemon } from '../testing/fake-daemon.js';
import { runMusicfs, TRACKS } from '../testing/fixtures.js';

describe('musicfs search', () => {
  let daemon: FakeDaemon;
  const lastRequest = (method: string): SearchRequest__Output => daemon.calls.filter((c) => c.method === method).at(-1)!.request as SearchRequest__Output;

  before(async () => {
    daemon = await startFakeDaemon({
      Search: (_call, cb) => cb(null, { tracks: TRACKS, total: 42, tookMs: 1.54 }),
      SearchStream: (call) => {
        for (const t of TRACKS) call.write(t);
        call.end();
      },
    });
  });
  after(() => daemon.close());

  it('prints a table and a footer', async () => {
    const r = await runMusicfs(['search', 'miles', 'davis', '-live', 'year:1959', '--limit', '2'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^PATH\s+ARTIST\s+ALBUM\s+TITLE\s+YEAR\s+CODEC\s+DURATION$/);
    assert.match(lines[1]!, /^Miles Davis\/Kind of Blue\/01 - So What\.flac\s+Miles Davis\s+Kind of Blue\s+So What\s+1959\s+FLAC\s+9:22$/);
    assert.match(lines[2]!, /Freddie Freeloader\s+1959\s+FLAC\s+9:46$/);
    assert.equal(lines[3], '2 of 42 matches (took 1.5 ms)');
    assert.deepEqual(lastRequest('Search'), { query: 'miles davis -live year:1959', limit: 2, offset: 0 });
  });

  it('--json prints the response as one document', async () => {
    const r = await runMusicfs(['search', '--json', 'kind of blue'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { tracks: { title: string }[]; total: number };
    assert.equal(doc.total, 42);
    assert.deepEqual(
      doc.tracks.map((t) => t.title),
      ['So What', 'Freddie Freeloader'],
    );
    assert.equal(lastRequest('Search').query, 'kind of blue');
  });

  it('--all --json streams NDJSON, one track per line', async () => {
    const r = await runMusicfs(['search', 'miles', '--all', '--json', '--offset', '5'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { path: string }).path),
      TRACKS.map((t) => t.path),
    );
    assert.deepEqual(lastRequest('SearchStream'), { query: 'miles', limit: 0, offset: 5 });
  });

  it('--all without --json prints every match as a table', async () => {
    const r = await runMusicfs(['search', '--all', 'miles'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^PATH/);
    assert.match(r.stdout, /\n2 matches\n$/);
  });

  it('rejects an empty query and unknown --options', async () => {
    let r = await runMusicfs(['search', '--limit', '0', 'x'], { socket: daemon.socketPath });
    assert.equal(r.code, 64);
    r = await runMusicfs(['search', 'x', '--limt', '3'], { socket: daemon.socketPath });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /unknown option '--limt'/);
    r = await runMusicfs(['search'], { socket: daemon.socketPath });
    assert.equal(r.code, 64);
  });
});
