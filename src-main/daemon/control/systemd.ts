import { execFile } from 'node:child_process';
import type { AsyncDisposable } from '../base/lifecycle.js';
import type { Logger } from '../base/logger.js';

/**
 * sd_notify for `Type=notify` units, through `systemd-notify` (Node has no
 * Unix datagram sockets). The unit sets `NotifyAccess=all`, since the message
 * comes from that helper's pid. Does nothing outside systemd (no
 * NOTIFY_SOCKET). Watchdog pings go out at half of WATCHDOG_USEC.
 */
export class SystemdNotifier implements AsyncDisposable {
  private watchdog: NodeJS.Timeout | undefined;
  private readonly socket: string | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.socket = env.NOTIFY_SOCKET || undefined;
  }

  get enabled(): boolean {
    return this.socket !== undefined;
  }

  /** READY=1 and a status line; starts watchdog pings when systemd asked for them. */
  ready(status: string): Promise<void> {
    this.startWatchdog();
    return this.send(['--ready', `--status=${status}`]);
  }

  status(status: string): Promise<void> {
    return this.send([`--status=${status}`]);
  }

  stopping(): Promise<void> {
    return this.send(['STOPPING=1']);
  }

  private startWatchdog(): void {
    const usec = Number(this.env.WATCHDOG_USEC);
    if (!this.enabled || !Number.isFinite(usec) || usec <= 0) return;
    // WATCHDOG_PID, when set, names who must ping: us.
    const pid = this.env.WATCHDOG_PID;
    if (pid && Number(pid) !== process.pid) return;
    const intervalMs = Math.max(50, Math.floor(usec / 1000 / 2));
    this.watchdog = setInterval(() => void this.send(['WATCHDOG=1']), intervalMs);
    this.watchdog.unref();
  }

  private send(args: string[]): Promise<void> {
    if (!this.socket) return Promise.resolve();
    return new Promise((resolve) => {
      execFile('systemd-notify', args, { env: { ...this.env, NOTIFY_SOCKET: this.socket }, timeout: 5000 }, (err) => {
        if (err) this.logger.warn('systemd-notify failed', { args: args.join(' '), reason: err.message.split('\n')[0] });
        resolve();
      });
    });
  }

  async dispose(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }
}
