/** What the chunk-cache integration tests share: realistic audio, and the cache's stats through the real CLI. */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CacheStats__Output } from '../../src-main/common/api/gen/musicfs/v1/CacheStats.js';
import { runFfmpeg } from './ffmpeg-tools.js';
import type { Sandbox } from './sandbox.js';

/** A FLAC of pink noise (compresses badly, so it is realistically large): ~55 KB per second at 22.05 kHz. */
export async function noiseFlac(path: string, seconds: number, tags: Record<string, string>, seed = 1, rate = 22_050): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const meta = Object.entries(tags).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]);
  await runFfmpeg(['-f', 'lavfi', '-i', `anoisesrc=d=${seconds}:c=pink:r=${rate}:a=0.3:s=${seed}`, '-ac', '2', '-c:a', 'flac', ...meta, path]);
}

const UINT64_FIELDS = ['sizeBytes', 'limitBytes', 'chunks', 'memoryBytes', 'memoryLimitBytes', 'hits', 'misses', 'evictions', 'evictedBytes', 'corruptChunks'] as const;

/** `musicfs cache stats --json`, with its 64-bit counts as numbers (JSON may carry them as strings). */
export async function cacheStats(sandbox: Sandbox): Promise<CacheStats__Output> {
  const r = await sandbox.run(['cache', 'stats', '--json'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `cache stats failed: ${r.stderr}`);
  const s = JSON.parse(r.stdout) as CacheStats__Output;
  for (const k of UINT64_FIELDS) s[k] = Number(s[k] ?? 0);
  return s;
}
