import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseMountInfo } from './mountpoint.js';

// Lines in the format of proc(5) /proc/[pid]/mountinfo.
const SAMPLE = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
  '36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
  '40 22 0:35 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw,size=1024k',
  '41 22 0:36 / /home/u/My\\040Music rw,nosuid,nodev,relatime shared:7 master:3 propagation_from:2 - fuse.musicfs musicfs rw,user_id=1000,group_id=1000',
  '42 22 0:37 / /media/back\\134slash\\011tab rw - fuse /dev/fuse rw',
  '43 22 0:38 / /srv/share rw - cifs //server/music\\040share rw',
  '',
].join('\n');

describe('parseMountInfo', () => {
  test('reads mount point, type and source of each line', () => {
    const entries = parseMountInfo(SAMPLE);
    assert.deepEqual(entries, [
      { mountPoint: '/', fsType: 'ext4', source: '/dev/sda1' },
      { mountPoint: '/mnt/parent', fsType: 'ext3', source: '/dev/root' },
      { mountPoint: '/tmp', fsType: 'tmpfs', source: 'tmpfs' },
      { mountPoint: '/home/u/My Music', fsType: 'fuse.musicfs', source: 'musicfs' },
      { mountPoint: '/media/back\\slash\ttab', fsType: 'fuse', source: '/dev/fuse' },
      { mountPoint: '/srv/share', fsType: 'cifs', source: '//server/music share' },
    ]);
  });

  test('finds the "-" separator after zero, one or several optional fields', () => {
    const none = parseMountInfo('1 0 0:1 / /a rw - t1 s1 rw');
    const one = parseMountInfo('1 0 0:1 / /a rw shared:1 - t1 s1 rw');
    const three = parseMountInfo('1 0 0:1 / /a rw shared:1 master:2 unbindable - t1 s1 rw');
    for (const entries of [none, one, three]) assert.deepEqual(entries, [{ mountPoint: '/a', fsType: 't1', source: 's1' }]);
  });

  test('decodes octal escapes in mount points: space, tab, newline, backslash', () => {
    const [e] = parseMountInfo('1 0 0:1 / /a\\040b\\011c\\012d\\134e rw - fuse.musicfs musicfs rw');
    assert.equal(e!.mountPoint, '/a b\tc\nd\\e');
  });

  test('leaves non-escape backslashes alone', () => {
    const [e] = parseMountInfo('1 0 0:1 / /a\\x\\04 rw - t s rw');
    assert.equal(e!.mountPoint, '/a\\x\\04');
  });

  test('skips empty and malformed lines', () => {
    assert.deepEqual(parseMountInfo(''), []);
    assert.deepEqual(parseMountInfo('\n\n'), []);
    assert.deepEqual(parseMountInfo('garbage without separator\n1 0 0:1 / /a rw -\n1 0 0:1 / /b rw - onlytype'), []);
    assert.equal(parseMountInfo('bad line\n1 0 0:1 / /ok rw - t s rw\n').length, 1);
  });
});
