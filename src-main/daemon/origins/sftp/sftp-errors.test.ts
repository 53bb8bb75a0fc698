import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OriginError } from '../origin-error.js';
import { failureOfConnectError, failureOfSftpError, SFTP_STATUS, sftpRequestError } from './sftp-errors.js';

const sftpError = (code: number, message = 'x'): Error => Object.assign(new Error(message), { code });
const sshError = (level: string, code?: string): Error => Object.assign(new Error(level), { level, code });
const context = { origin: 'o', operation: 'stat', path: 'a.flac' };

describe('SFTP request errors', () => {
  test('status codes map to categories', () => {
    assert.equal(failureOfSftpError(sftpError(SFTP_STATUS.NO_SUCH_FILE)), 'not_found');
    assert.equal(failureOfSftpError(sftpError(SFTP_STATUS.PERMISSION_DENIED)), 'permission');
    assert.equal(failureOfSftpError(sftpError(SFTP_STATUS.CONNECTION_LOST)), 'reset');
    assert.equal(failureOfSftpError(sftpError(SFTP_STATUS.OP_UNSUPPORTED)), 'protocol');
    assert.equal(failureOfSftpError(sftpError(SFTP_STATUS.FAILURE)), 'io');
    assert.equal(failureOfSftpError(new Error('No response from server')), 'reset');
  });

  test('messages name the server, the operation and the remote path', () => {
    const err = sftpRequestError(sftpError(SFTP_STATUS.PERMISSION_DENIED, 'Permission denied'), context, 'host:22', '/srv/a.flac');
    assert.equal(err.failure, 'permission');
    assert.equal(err.message, 'host:22: stat /srv/a.flac: permission denied');
    assert.deepEqual(err.context, context);
  });

  test('a connect failure passes through as is; a pool error keeps its category', () => {
    const connect = new OriginError('host_key', 'host key of h:22 is not known', { origin: 'o', operation: 'connect' });
    assert.equal(sftpRequestError(connect, context, 'h:22', '/a'), connect);
    const stopped = sftpRequestError(new OriginError('aborted', 'h:22: stat: stopped', { origin: 'o', operation: 'stat' }), context, 'h:22', '/a');
    assert.equal(stopped.failure, 'aborted');
    const dropped = sftpRequestError(Object.assign(new Error('connection to h:22 dropped'), { code: 'ECONNRESET' }), context, 'h:22', '/a');
    assert.equal(dropped.failure, 'reset');
    assert.equal(dropped.message, 'h:22: stat /a: connection dropped');
  });
});

describe('SSH connect errors', () => {
  test('ssh2 levels and socket codes map to categories', () => {
    assert.equal(failureOfConnectError(sshError('client-authentication')), 'auth');
    assert.equal(failureOfConnectError(sshError('client-timeout')), 'timeout');
    assert.equal(failureOfConnectError(sshError('client-dns')), 'dns');
    assert.equal(failureOfConnectError(sshError('client-socket', 'ECONNREFUSED')), 'refused');
    assert.equal(failureOfConnectError(sshError('client-socket', 'EHOSTUNREACH')), 'unreachable');
    assert.equal(failureOfConnectError(sshError('client-socket', 'ENOTFOUND')), 'dns');
    assert.equal(failureOfConnectError(sshError('client-socket')), 'reset');
    assert.equal(failureOfConnectError(sshError('handshake')), 'protocol');
  });
});
