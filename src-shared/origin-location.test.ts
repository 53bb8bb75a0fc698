import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultOriginName,
  formatOriginLocation,
  originLocationFromTable,
  originLocationToTable,
  parseOriginLocation,
  redactOriginUrl,
} from './origin-location.js';

describe('parseOriginLocation', () => {
  it('keeps a local path as given', () => {
    assert.deepEqual(parseOriginLocation('/srv/music'), { type: 'local', path: '/srv/music' });
    assert.deepEqual(parseOriginLocation('file:///srv/my%20music'), { type: 'local', path: '/srv/my music' });
  });

  it('reads an s3 URL with its options', () => {
    const loc = parseOriginLocation('s3://music-bucket/lossless/?endpoint=http://127.0.0.1:9000&region=eu-west-1&path_style=1');
    assert.deepEqual(loc, { type: 's3', bucket: 'music-bucket', prefix: 'lossless', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', pathStyle: true });
    assert.equal(formatOriginLocation(loc), 's3://music-bucket/lossless?endpoint=http://127.0.0.1:9000&region=eu-west-1&path_style=1');
    assert.deepEqual(parseOriginLocation(formatOriginLocation(loc)), loc);
  });

  it('reads an sftp URL with user, port, path and options', () => {
    const loc = parseOriginLocation('sftp://ann@nas.local:2222/srv/music?identity=/home/ann/.ssh/id_ed25519&known_hosts=/tmp/kh&connections=2');
    assert.deepEqual(loc, {
      type: 'sftp',
      host: 'nas.local',
      port: 2222,
      user: 'ann',
      path: '/srv/music',
      identity: '/home/ann/.ssh/id_ed25519',
      knownHosts: '/tmp/kh',
      agent: true,
      connections: 2,
    });
    assert.deepEqual(parseOriginLocation(formatOriginLocation(loc)), loc);
  });

  it('reads paths relative to the login folder', () => {
    const loc = parseOriginLocation('sftp://seedbox/~/music');
    assert.equal(loc.type === 'sftp' && loc.path, 'music');
    assert.equal(formatOriginLocation(loc), 'sftp://seedbox/~/music');
    const home = parseOriginLocation('sftp://seedbox');
    assert.equal(home.type === 'sftp' && home.path, '');
    assert.deepEqual(parseOriginLocation(formatOriginLocation(home)), home);
  });

  it('refuses a password in the URL without echoing it', () => {
    assert.throws(
      () => parseOriginLocation('sftp://ann:hunter2@nas/music'),
      (err: Error) => /password_file/.test(err.message) && !err.message.includes('hunter2'),
    );
  });

  it('says what is wrong with bad input', () => {
    assert.throws(() => parseOriginLocation('ftp://host/x'), /unsupported origin type "ftp"/);
    assert.throws(() => parseOriginLocation('s3://Bad_Bucket/x'), /not a valid S3 bucket name/);
    assert.throws(() => parseOriginLocation('s3://bucket?colour=red'), /unknown option "colour" \(known: endpoint/);
    assert.throws(() => parseOriginLocation('s3://bucket?path_style=maybe'), /path_style must be 1 or 0/);
    assert.throws(() => parseOriginLocation('sftp://host/x?connections=99'), /connections must be 1–32/);
    assert.throws(() => parseOriginLocation('s3://bucket?endpoint=localhost:9000'), /endpoint must be an http/);
  });
});

describe('origin tables', () => {
  it('round-trips every type through a config table', () => {
    for (const text of ['/srv/music', 's3://b-1/x/y?endpoint=http://h:9000&path_style=1', 'sftp://u@h:2222/m?password_env=NAS_PASS&agent=0']) {
      const loc = parseOriginLocation(text);
      assert.deepEqual(originLocationFromTable(originLocationToTable(loc)), loc, text);
    }
  });

  it('infers the type and accepts url =', () => {
    assert.equal(originLocationFromTable({ bucket: 'music' }).type, 's3');
    assert.equal(originLocationFromTable({ host: 'nas' }).type, 'sftp');
    assert.equal(originLocationFromTable({ url: 'sftp://nas/x' }).type, 'sftp');
  });

  it('refuses settings of another type', () => {
    assert.throws(() => originLocationFromTable({ type: 's3', bucket: 'music', host: 'nas' }), /"host" is a setting of sftp origins/);
    assert.throws(() => originLocationFromTable({ url: 's3://music', bucket: 'x' }), /either url or bucket/);
    assert.throws(() => originLocationFromTable({ type: 'ftp' }), /type must be/);
  });
});

describe('names and redaction', () => {
  it('derives a default name', () => {
    assert.equal(defaultOriginName(parseOriginLocation('/srv/music/')), 'music');
    assert.equal(defaultOriginName(parseOriginLocation('s3://bucket/a/flac')), 'bucket-flac');
    assert.equal(defaultOriginName(parseOriginLocation('sftp://nas/srv/music')), 'nas-music');
  });

  it('masks passwords and secret-looking options', () => {
    assert.equal(redactOriginUrl('sftp://ann:pw@h/x'), 'sftp://ann:***@h/x');
    assert.equal(redactOriginUrl('s3://b?secret_key=abc&region=x'), 's3://b?secret_key=***&region=x');
  });
});
