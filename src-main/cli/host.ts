import type { MusicFsConfig } from '../../src-shared/config.js';

/**
 * What the CLI needs from the process entry: a way to run the daemon in this
 * process (`musicfs mount` with no daemon running, `musicfs daemon`). The CLI
 * never imports the daemon itself.
 */
export interface DaemonRequest {
  mode: 'mount' | 'daemon';
  mountPoint?: string;
  /** Local folders given with --origin (this run only). */
  origins: { location: string }[];
  allowNonEmpty?: boolean;
  /** Values from CLI flags; they override env and config.toml. */
  flags: Partial<MusicFsConfig>;
}

export interface CliHost {
  runDaemon(request: DaemonRequest): Promise<number>;
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stdout / stderr are terminals (tables, colours, progress bars). */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
}
