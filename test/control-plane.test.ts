/**
 * Every RPC of the control plane over the real Unix socket of a real daemon
 * (started with the real `musicfs mount`), with a real FUSE mount behind it.
 */
import assert from 'node:assert/strict';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { CacheProgress__Output } from '../src-main/common/api/gen/musicfs/v1/CacheProgress.js';
import type { Event__Output } from '../src-main/common/api/gen/musicfs/v1/Event.js';
import type { ScanProgress__Output } from '../src-main/common/api/gen/musicfs/v1/ScanProgress.js';
import type { Track__Output } from '../src-main/common/api/gen/musicfs/v1/Track.js';
import { ApiClient } from './support/api-client.js';
import { makeFlac } from './support/audio.js';
import { isMounted, listFiles, Sandbox, waitUntil, type DaemonProcess } from './support/sandbox.js';

const BOUND_MS = 20_000;

function assertRpcError(err: unknown, code: grpcStatus, reason: string): true {
  const e = err as ServiceError;
  assert.equal(e.code, code, `status ${e.code} (${e.details})`);
  assert.equal(e.metadata.get('musicfs-reason')[0], reason);
  return true;
}

describe('control plane over the Unix socket', () => {
  let sandbox: Sandbox;
  let daemon: DaemonProcess;
  let api: ApiClient;
  let mnt: string;
  let socket: string;
  let configFile: string;

  before(async () => {
    sandbox = await Sandbox.create();
    await makeFlac(sandbox.path('jazz', 'kob', '1.flac'), { artist: 'Miles Davis', album: 'Kind of Blue', title: 'So What', track: 1 }, 300);
    await makeFlac(sandbox.path('jazz', 'kob', '2.flac'), { artist: 'Miles Davis', album: 'Kind of Blue', title: 'Freddie Freeloader', track: 2 }, 330);
    await makeFlac(sandbox.path('rock', 'a.flac'), { artist: 'Björk', album: 'Début', title: 'Human Behaviour', track: 1 }, 360);
    await makeFlac(sandbox.path('extra', 'x.flac'), { artist: 'Extra Artist', album: 'Extra', title: 'Bonus', track: 1 }, 390);
    const configDir = await sandbox.mkdir('state', 'config', 'musicfs');
    configFile = `${configDir}/config.toml`;
    await writeFile(configFile, '# my MusicFS settings\nlog_level = "info"   # keep this comment\n');
    mnt = await sandbox.mkdir('mnt');
    socket = sandbox.path('state', 'run', 'musicfs', 'control.sock');
    daemon = sandbox.startMount(mnt, [sandbox.path('jazz'), sandbox.path('rock')]);
    await daemon.ready();
    await daemon.scansComplete(2);
    api = await ApiClient.connect(socket);
  });

  after(async () => {
    api?.close();
    if (daemon && !daemon.hasExited) await daemon.stop();
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, []);
  });

  it('the socket is private: folder 0700, socket 0600', async () => {
    assert.equal((await stat(sandbox.path('state', 'run', 'musicfs'))).mode & 0o777, 0o700);
    assert.equal((await stat(socket)).mode & 0o777, 0o600);
  });

  it('GetStatus', async () => {
    const s = await api.call('GetStatus', {});
    assert.equal(s.pid, daemon.pid);
    assert.equal(s.mount?.mounted, true);
    assert.equal(s.mount?.mountPoint, mnt);
    assert.equal(s.tracks, 3);
    assert.equal(s.origins, 2);
    assert.equal(s.originsEnabled, 2);
    assert.equal(s.socketPath, socket);
    assert.equal(s.configPath, configFile);
    assert.match(s.version, /^\d+\.\d+\.\d+/);
  });

  it('ListOrigins names --origin folders after the folder', async () => {
    const { origins } = await api.call('ListOrigins', {});
    assert.deepEqual(
      origins.map((o) => [o.name, o.kind, o.enabled, o.tracks, o.source]),
      [
        ['jazz', 'local', true, 2, 'session'],
        ['rock', 'local', true, 1, 'session'],
      ],
    );
    assert.equal(origins[0]!.lastScan?.added, 2);
  });

  it('Search and SearchStream, with fields and diacritics', async () => {
    const r = await api.call('Search', { query: 'bjork', limit: 10 });
    assert.deepEqual(r.tracks.map((t) => t.path), ['Björk/Début/01 - Human Behaviour.flac']);
    assert.equal(r.tracks[0]!.origins[0], 'rock');
    const byField = await api.call('Search', { query: 'artist:"miles davis" title:so', limit: 10 });
    assert.deepEqual(byField.tracks.map((t) => t.title), ['So What']);
    await assert.rejects(api.call('Search', { query: 'colour:blue', limit: 10 }), (e) => assertRpcError(e, grpcStatus.INVALID_ARGUMENT, 'QUERY_INVALID'));
    const { messages } = api.stream<Track__Output>('SearchStream', { query: 'kind', limit: 0 });
    const streamed: string[] = [];
    for await (const t of messages) streamed.push(t.title);
    assert.deepEqual(streamed.sort(), ['Freddie Freeloader', 'So What']);
  });

  it('SubscribeEvents streams what happens, filtered by type and origin', async () => {
    const { call, messages } = api.stream<Event__Output>('SubscribeEvents', { types: ['TRACK_OPENED'], origins: ['jazz'] });
    await new Promise((r) => setTimeout(r, 200));
    await readFile(`${mnt}/Björk/Début/01 - Human Behaviour.flac`); // origin rock: filtered out
    await readFile(`${mnt}/Miles Davis/Kind of Blue/01 - So What.flac`);
    const first = await (async () => {
      for await (const e of messages) return e;
      return undefined;
    })();
    call.cancel();
    assert.equal(first?.type, 'TRACK_OPENED');
    assert.equal(first?.origin, 'jazz');
    assert.equal(first?.trackOpened?.path, '/Miles Davis/Kind of Blue/01 - So What.flac');
  });

  it('RescanOrigin streams progress and ends with the report', async () => {
    const { messages } = api.stream<ScanProgress__Output>('RescanOrigin', { name: 'jazz' });
    const all: ScanProgress__Output[] = [];
    for await (const m of messages) all.push(m);
    const last = all[all.length - 1]!;
    assert.equal(last.report?.origin, 'jazz');
    assert.equal(last.report?.unchanged, 2);
    assert.equal(last.report?.kind, 'full');
  });

  it('a failed stream ends with its status (RescanOrigin of an unknown origin), it does not hang', async () => {
    const { messages } = api.stream<ScanProgress__Output>('RescanOrigin', { name: 'nope' });
    await assert.rejects(
      (async () => {
        for await (const _ of messages) assert.fail('no progress expected');
      })(),
      (e) => assertRpcError(e, grpcStatus.NOT_FOUND, 'ORIGIN_NOT_FOUND'),
    );
  });

  it('cache RPCs: GetCacheStats, Prefetch and Pin (streams), Unpin, ClearCache', async () => {
    const before = await api.call('GetCacheStats', {});
    assert.equal(before.passthrough, false);
    const progress: CacheProgress__Output[] = [];
    for await (const m of api.stream<CacheProgress__Output>('Prefetch', { paths: ['Miles Davis'], cwd: '/' }).messages) progress.push(m);
    assert.deepEqual(
      [progress.at(-1)?.finished, progress.at(-1)?.filesTotal, progress.at(-1)?.filesFailed],
      [true, 2, 0],
    );
    // Both Miles Davis tracks are now whole in the cache (one may have been read through the mount before).
    const after = await api.call('GetCacheStats', {});
    assert.ok(after.tracksComplete >= 2 && after.tracksComplete >= before.tracksComplete, `${before.tracksComplete} → ${after.tracksComplete}`);
    const pinned: CacheProgress__Output[] = [];
    for await (const m of api.stream<CacheProgress__Output>('Pin', { paths: ['Kind of Blue/01 - So What.flac'], cwd: `${mnt}/Miles Davis` }).messages) pinned.push(m);
    assert.equal(pinned.at(-1)?.filesTotal, 1);
    assert.equal((await api.call('GetCacheStats', {})).pinnedTracks, 1);
    assert.equal((await api.call('Unpin', { paths: [`${mnt}/Miles Davis`], cwd: '/' })).tracks, 1);
    await assert.rejects(api.call('Unpin', { paths: [], cwd: '/' }), (e) => assertRpcError(e, grpcStatus.INVALID_ARGUMENT, 'USAGE'));
    const { messages } = api.stream<CacheProgress__Output>('Prefetch', { paths: ['Nobody'], cwd: '/' });
    await assert.rejects(
      (async () => {
        for await (const _ of messages) assert.fail('no progress expected');
      })(),
      (e) => assertRpcError(e, grpcStatus.NOT_FOUND, 'LIBRARY_PATH_NOT_FOUND'),
    );
    const freed = await api.call('ClearCache', { includePinned: true });
    assert.ok(freed.tracks >= 2 && freed.bytes > 0, JSON.stringify(freed));
    assert.equal((await api.call('GetCacheStats', {})).tracks, 0);
  });

  it('AddOrigin writes config.toml (comments kept) and its tracks appear', async () => {
    const o = await api.call('AddOrigin', { location: sandbox.path('extra'), priority: 50 });
    assert.equal(o.name, 'extra');
    assert.equal(o.source, 'config');
    const text = await readFile(configFile, 'utf8');
    assert.match(text, /^# my MusicFS settings\nlog_level = "info" {3}# keep this comment\n/);
    assert.match(text, /\[\[origin\]\]\nname = "extra"\npath = ".*\/extra"\npriority = 50\nenabled = true/);
    await waitUntil(async () => (await listFiles(mnt)).includes('Extra Artist/Extra/01 - Bonus.flac'), BOUND_MS, 'the added origin in the mount');
    await assert.rejects(api.call('AddOrigin', { location: sandbox.path('extra') }), (e) => assertRpcError(e, grpcStatus.ALREADY_EXISTS, 'ORIGIN_EXISTS'));
    await assert.rejects(api.call('AddOrigin', { location: sandbox.path('nowhere') }), (e) => assertRpcError(e, grpcStatus.NOT_FOUND, 'ORIGIN_MISSING'));
  });

  it('DisableOrigin hides its tracks, EnableOrigin brings them back', async () => {
    const off = await api.call('DisableOrigin', { name: 'rock' });
    assert.equal(off.enabled, false);
    await waitUntil(async () => !(await listFiles(mnt)).some((p) => p.startsWith('Björk/')), BOUND_MS, 'rock to leave the mount');
    const on = await api.call('EnableOrigin', { name: 'rock' });
    assert.equal(on.enabled, true);
    await waitUntil(async () => (await listFiles(mnt)).some((p) => p.startsWith('Björk/')), BOUND_MS, 'rock to come back');
    await assert.rejects(api.call('EnableOrigin', { name: 'nope' }), (e) => {
      assertRpcError(e, grpcStatus.NOT_FOUND, 'ORIGIN_NOT_FOUND');
      assert.equal((e as ServiceError).metadata.get('musicfs-origin')[0], 'nope');
      return true;
    });
  });

  it('UpdateOrigin renames and reprioritises (config.toml follows)', async () => {
    const o = await api.call('UpdateOrigin', { name: 'extra', newName: 'bonus', priority: 10 });
    assert.equal(o.name, 'bonus');
    assert.equal(o.priority, 10);
    const text = await readFile(configFile, 'utf8');
    assert.match(text, /name = "bonus"\npath = ".*\/extra"\npriority = 10/);
  });

  it('GetOriginHealth checks now; a vanished folder turns unhealthy with an event', async () => {
    const healthy = await api.call('GetOriginHealth', { checkNow: true });
    assert.ok(healthy.origins.every((h) => h.state === 'HEALTH_STATE_HEALTHY'));
    const { call, messages } = api.stream<Event__Output>('SubscribeEvents', { types: ['ORIGIN_HEALTH_CHANGED'] });
    await new Promise((r) => setTimeout(r, 200));
    await rename(sandbox.path('extra'), sandbox.path('extra-gone'));
    const checked = await api.call('GetOriginHealth', { name: 'bonus', checkNow: true });
    assert.equal(checked.origins[0]!.state, 'HEALTH_STATE_UNHEALTHY');
    assert.match(checked.origins[0]!.reason, /does not exist/);
    for await (const e of messages) {
      assert.equal(e.originHealthChanged?.origin, 'bonus');
      assert.equal(e.originHealthChanged?.state, 'HEALTH_STATE_UNHEALTHY');
      break;
    }
    call.cancel();
    await rename(sandbox.path('extra-gone'), sandbox.path('extra'));
  });

  it('RemoveOrigin drops its tracks and its config entry', async () => {
    const { removed } = await api.call('RemoveOrigin', { name: 'bonus' });
    assert.equal(removed?.name, 'bonus');
    await waitUntil(async () => !(await listFiles(mnt)).some((p) => p.startsWith('Extra Artist/')), BOUND_MS, 'the removed origin to leave');
    assert.doesNotMatch(await readFile(configFile, 'utf8'), /\[\[origin\]\]/);
    assert.deepEqual((await api.call('ListOrigins', {})).origins.map((o) => o.name), ['jazz', 'rock']);
  });

  it('GetConfig and SetConfig: live change, persisted with comments kept', async () => {
    const { entries, path } = await api.call('GetConfig', { keys: [] });
    assert.equal(path, configFile);
    const timeout = entries.find((e) => e.key === 'mount.read_timeout_ms')!;
    assert.equal(timeout.value, '30000');
    assert.equal(timeout.runtimeChangeable, true);
    const set = await api.call('SetConfig', { key: 'mount.read_timeout_ms', value: '5000' });
    assert.equal(set.entry?.value, '5000');
    assert.equal(set.entry?.source, 'runtime');
    assert.equal(set.persisted, true);
    const text = await readFile(configFile, 'utf8');
    assert.match(text, /# keep this comment/);
    assert.match(text, /\[mount\]\nread_timeout_ms = 5000/);
    await assert.rejects(api.call('SetConfig', { key: 'mount.read_timout_ms', value: '5' }), (e) => assertRpcError(e, grpcStatus.INVALID_ARGUMENT, 'CONFIG_INVALID'));
    await assert.rejects(api.call('SetConfig', { key: 'mount.read_timeout_ms', value: '"soon"' }), (e) => assertRpcError(e, grpcStatus.INVALID_ARGUMENT, 'CONFIG_INVALID'));
    await assert.rejects(api.call('SetConfig', { key: 'scan.workers', value: '4' }), (e) => assertRpcError(e, grpcStatus.INVALID_ARGUMENT, 'CONFIG_INVALID'));
    await assert.rejects(api.call('SetConfig', { key: 'layout', value: '"{albun}"' }), (e) => assertRpcError(e, grpcStatus.INVALID_ARGUMENT, 'LAYOUT_INVALID'));
  });

  it('SetConfig layout renames the mount at once', async () => {
    await api.call('SetConfig', { key: 'layout', value: '"{artist} - {title}{.ext}"' });
    await waitUntil(async () => (await listFiles(mnt)).includes('Miles Davis - So What.flac'), BOUND_MS, 'the new layout');
    await api.call('SetConfig', { key: 'layout', value: '"{albumartist}/{album}/{disc-}{track:02} - {title}{.ext}"' });
    await waitUntil(async () => (await listFiles(mnt)).includes('Miles Davis/Kind of Blue/01 - So What.flac'), BOUND_MS, 'the default layout again');
  });

  it('Unmount and Mount', async () => {
    const off = await api.call('Unmount', {});
    assert.equal(off.mounted, false);
    assert.equal(await isMounted(mnt), false);
    await assert.rejects(api.call('Unmount', {}), (e) => assertRpcError(e, grpcStatus.FAILED_PRECONDITION, 'NOT_MOUNTED'));
    const on = await api.call('Mount', { mountPoint: mnt });
    assert.equal(on.mounted, true);
    assert.ok((await listFiles(mnt)).length >= 3);
    await assert.rejects(api.call('Mount', { mountPoint: mnt }), (e) => assertRpcError(e, grpcStatus.FAILED_PRECONDITION, 'ALREADY_MOUNTED'));
  });

  it('a second daemon on the same socket is refused', async () => {
    const r = await sandbox.run(['daemon']);
    assert.equal(r.code, 69, r.stderr);
    assert.match(r.stderr, /already running/);
  });

  it('Shutdown drains, unmounts, removes the socket and exits 0', async () => {
    await api.call('Shutdown', {});
    const result = await daemon.wait();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await isMounted(mnt), false);
    await assert.rejects(stat(socket));
  });
});
