/**
 * Thin async wrappers around ffmpeg/ffprobe and small file helpers used by the
 * test corpus generator.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const FFMPEG = process.env['MUSICFS_TEST_FFMPEG'] ?? 'ffmpeg';
export const FFPROBE = process.env['MUSICFS_TEST_FFPROBE'] ?? 'ffprobe';

/** Runs ffmpeg with the given arguments (banner, stdin and chatter switched off). */
export async function runFfmpeg(args: readonly string[]): Promise<void> {
  try {
    await execFileAsync(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err: unknown) {
    const stderr = typeof err === 'object' && err !== null && 'stderr' in err ? String(err.stderr) : '';
    throw new Error(`ffmpeg ${args.join(' ')} failed: ${stderr || String(err)}`, { cause: err });
  }
}

/** `ffprobe -show_format -show_streams` of a file, parsed. Rejects when ffprobe cannot read it. */
export async function ffprobeJson(path: string): Promise<unknown> {
  const { stdout } = await execFileAsync(
    FFPROBE,
    ['-hide_banner', '-loglevel', 'error', '-print_format', 'json', '-show_format', '-show_streams', path],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as unknown;
}

/** Hex SHA-256 of a file's bytes (follows symlinks). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Deterministic pseudo-random bytes: a SHA-256 counter stream seeded by `seed`. */
export function deterministicBytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let off = 0;
  for (let i = 0; off < length; i++) {
    const block = createHash('sha256').update(`${seed}:${i}`).digest();
    off += block.copy(out, off);
  }
  return out;
}

/** Runs `tasks` with at most `limit` in flight; rejects with the first failure once all settled. */
export async function runPool(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const task = tasks[i];
      if (task === undefined) return;
      try {
        await task();
      } catch (err: unknown) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  if (errors.length > 0) throw errors[0];
}
