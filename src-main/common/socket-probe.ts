import { connect } from 'node:net';

/**
 * Whether something accepts connections on a Unix socket: the cheap liveness
 * probe that tells a running daemon from a stale socket file, for the daemon
 * (refuse to start twice) and the CLI (fail fast when nobody listens).
 */
export function socketAnswers(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const done = (alive: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
