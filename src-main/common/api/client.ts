import { existsSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { MusicFsError } from '../../../src-shared/errors.js';
import { loadApi, type MusicFSClient } from './proto.js';

/**
 * A client of the daemon's control socket. `connect()` fails fast with
 * DAEMON_NOT_RUNNING when nobody listens, instead of waiting for a deadline.
 */
export const CONNECT_TIMEOUT_MS = 3000;

export function createClient(socketPath: string): MusicFSClient {
  const api = loadApi();
  return new api.musicfs.v1.MusicFS(`unix://${socketPath}`, grpc.credentials.createInsecure(), {
    // One daemon, one socket: no retries against a dead socket.
    'grpc.enable_retries': 0,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
}

export async function connect(socketPath: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<MusicFSClient> {
  const notRunning = (): MusicFsError =>
    new MusicFsError('DAEMON_NOT_RUNNING', `no MusicFS daemon is running (no answer on ${socketPath}); start one with \`musicfs daemon\` or \`musicfs mount\``, {
      path: socketPath,
    });
  if (!existsSync(socketPath)) throw notRunning();
  const client = createClient(socketPath);
  try {
    await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())));
  } catch {
    client.close();
    throw notRunning();
  }
  return client;
}
