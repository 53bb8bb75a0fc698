/** Small real audio files made with ffmpeg, for tests that need a handful. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runFfmpeg } from './ffmpeg-tools.js';

export interface SimpleTags {
  artist?: string;
  albumArtist?: string;
  album?: string;
  title?: string;
  track?: number;
}

/** A 1-second FLAC sine at `frequencyHz` with the given tags. */
export async function makeFlac(path: string, tags: SimpleTags, frequencyHz = 440): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const meta: string[] = [];
  const add = (k: string, v: string | number | undefined): void => {
    if (v !== undefined) meta.push('-metadata', `${k}=${v}`);
  };
  add('artist', tags.artist);
  add('album_artist', tags.albumArtist);
  add('album', tags.album);
  add('title', tags.title);
  add('track', tags.track);
  await runFfmpeg([
    '-f', 'lavfi', '-i', `sine=frequency=${frequencyHz}:sample_rate=8000:duration=1`,
    '-ac', '1', '-fflags', '+bitexact', '-flags:a', '+bitexact', ...meta, '-y', path,
  ]);
}
