/**
 * A user template replaces the default layout, from the config file or from
 * --layout (the flag wins over the file).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { makeFlac } from './support/audio.js';
import { listFiles, Sandbox } from './support/sandbox.js';

describe('user layout template', () => {
  let sandbox: Sandbox;
  let origin: string;

  before(async () => {
    sandbox = await Sandbox.create();
    origin = sandbox.path('music');
    await makeFlac(sandbox.path('music', 'x.flac'), { artist: 'Solo', albumArtist: 'The Group', album: 'Record', title: 'Song', track: 7 });
    await makeFlac(sandbox.path('music', 'y.flac'), { artist: 'Solo', album: 'Record', title: 'Untracked' }, 500);
    const cfg = await sandbox.mkdir('state', 'config', 'musicfs');
    await writeFile(`${cfg}/config.toml`, 'layout = "{artist}/{album} ({albumartist})/{track:03 - }{title}"\n');
  });

  after(async () => {
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, []);
  });

  it('uses the template of the config file (extension appended)', async () => {
    const mnt = await sandbox.mkdir('mnt1');
    const d = sandbox.startMount(mnt, [origin]);
    await d.ready();
    await d.scansComplete(1);
    assert.deepEqual(await listFiles(mnt), ['Solo/Record (Solo)/Untracked.flac', 'Solo/Record (The Group)/007 - Song.flac']);
    assert.equal((await d.stop()).code, 0);
  });

  it('--layout overrides the config file', async () => {
    const mnt = await sandbox.mkdir('mnt2');
    const d = sandbox.startMount(mnt, [origin], ['--layout', '{genre}/{title}{.ext}']);
    await d.ready();
    await d.scansComplete(1);
    assert.deepEqual(await listFiles(mnt), ['_/Song.flac', '_/Untracked.flac']);
    assert.equal((await d.stop()).code, 0);
  });
});
