/** File extensions (lower case, no dot) the scanner considers audio. */
export const AUDIO_EXTENSIONS: ReadonlySet<string> = new Set([
  'flac', 'mp3', 'ogg', 'oga', 'opus', 'm4a', 'mp4', 'aac', 'wav',
  'aif', 'aiff', 'wv', 'ape', 'mpc', 'dsf',
]);

/** Lower-case extension of a file name without the dot, or '' when it has none. */
export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0 || dot === fileName.length - 1) return '';
  return fileName.slice(dot + 1).toLowerCase();
}

export function isAudioFileName(fileName: string): boolean {
  return AUDIO_EXTENSIONS.has(extensionOf(fileName));
}
