import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Replaces (or appends) one `## Heading` section of docs/benchmarks.md and
 * keeps every other section as it is: each benchmark script owns its section.
 */
export async function writeDocsSection(file: string, heading: string, section: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    text = '# Benchmarks\n\nMeasured numbers of MusicFS against its targets and peers. Each section is written by its benchmark script.\n';
  }
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === `## ${heading}`);
  let out: string;
  if (start < 0) {
    out = `${text.replace(/\n*$/, '')}\n\n${section.trimEnd()}\n`;
  } else {
    let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
    if (end < 0) end = lines.length;
    const before = lines.slice(0, start).join('\n').replace(/\n*$/, '');
    const after = lines.slice(end).join('\n').replace(/^\n*/, '');
    out = `${before}\n\n${section.trimEnd()}\n${after ? `\n${after.replace(/\n*$/, '')}\n` : ''}`;
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, out);
}
