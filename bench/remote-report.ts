/**
 * The `## Remote` section of docs/benchmarks.md from the results of
 * `npm run bench:remote` (bench/remote-results.ts): library and systems, the
 * scan table, the cold-read table, targets with ratios and "met?", the
 * method, and what limits the numbers (bench/remote-limits.ts).
 */
import { fmtInt, max, mb, p50, sectionHead, yes } from './bench-kit.js';
import { fmtMB, lat, mbps, ratioText } from './read-kit.js';
import { limits } from './remote-limits.js';
import { coldMbps, compare, cpuPerGb, firstBytes, measured, requestsPerTrack, serverCpuPerGb, TARGETS, type Results, type ScanMeasured } from './remote-results.js';
import { RCLONE_OPTIONS } from './remote-systems.js';

// ---------------------------------------------------------------------------
// Markdown

/** A skipped protocol's cells (the Systems list says why). */
const SKIPPED = 'not measured (see Systems)';
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(2)}%`;
const mbText = (bytes: number): string => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function scanTable(r: Results): string[] {
  const cols = r.protocols.map((p) => ({ p, s: p.scan }));
  const lib = r.lib.scanBytes;
  // A protocol not measured says why in its first row and "—" below.
  const row = (label: string, fn: (s: ScanMeasured) => string, first = false): string =>
    `| ${label} | ${cols.map(({ p, s }) => (s !== undefined && s.notBuilt === undefined ? fn(s) : first ? (p.skipped !== undefined ? SKIPPED : `not measured: ${s?.notBuilt ?? '?'}`) : '—')).join(' | ')} |`;
  return [
    `| MusicFS, full scan of ${fmtInt(r.lib.scan.length)} remote tracks (${mbText(lib)}) | ${cols.map(({ p }) => p.protocol).join(' | ')} |`,
    `|---|${cols.map(() => '---').join('|')}|`,
    row('spawn → `scan complete` (fresh XDG folders)', (s) => `${sec(s.ms)} (${fmtInt(s.files / (s.ms / 1000))} tracks/s)`, true),
    row('the scan as the daemon reports it (`in N s`)', (s) => `${s.line.reportedSec.toFixed(2)} s`),
    row('spawn → `musicfs: mounted`', (s) => sec(s.mountedMs)),
    row('tracks in the mount / scan errors', (s) => `${fmtInt(s.files)} / ${s.line.errors}`),
    row("**bytes fetched, MusicFS's count** (`lastScan.bytesFetched`)", (s) => `**${mbText(s.fetched)}: ${pct(s.fetched, lib)} of the library** (${fmtInt(s.fetched / s.files / 1024)} KiB per track)`),
    row('bytes at the network, server → MusicFS (byte proxy)', (s) => `${mbText(s.network.down)}: ${pct(s.network.down, lib)} (${fmtInt(s.network.down / s.files / 1024)} KiB per track)`),
    row('bytes at the network, MusicFS → server', (s) => `${mbText(s.network.up)} (${fmtInt(s.network.up / s.files)} B per track)`),
    row('TCP connections opened', (s) => fmtInt(s.network.connections)),
    row('requests s3rver received', (s) => (s.requests ? `${fmtInt(s.requests.getObject)} ranged GET, ${fmtInt(s.requests.headObject)} HEAD, ${fmtInt(s.requests.list)} LIST, ${fmtInt(s.requests.other)} other` : 'n/a')),
    row('daemon CPU, spawn → `scan complete`', (s) => `${s.cpuSec.toFixed(1)} s`),
    row('server CPU, same time', (s) => `${s.serverCpuSec.toFixed(1)} s`),
    row('daemon memory at `scan complete` (VmRSS / VmHWM)', (s) => `${mb(s.memory.rssKb)} / ${mb(s.memory.hwmKb)}`),
  ];
}

function readTable(r: Results): string[] {
  const blank = ' | | | | | | |';
  const rows = r.protocols.flatMap((p) =>
    p.skipped !== undefined
      ? [`| ${p.protocol} | — | ${SKIPPED}${blank}`]
      : p.systems.map((s) => {
          if (!measured(s)) return `| ${p.protocol} | **${s.name}** | not measured: ${s.notBuilt ?? 'no runs'}${blank}`;
          const fb = firstBytes(s);
          const rounds = s.runs.length > 1 ? ` (${s.runs.map((x) => mbps(x.cold).toFixed(0)).join(', ')})` : '';
          const req = requestsPerTrack(s);
          const reqText = req ? `${req.getObject.toFixed(1)} / ${req.headObject.toFixed(1)} / ${req.list.toFixed(1)}` : 'n/a';
          return `| ${p.protocol} | **${s.name}** | ${coldMbps(s).toFixed(0)}${rounds} | ${lat(p50(fb))} / ${lat(max(fb))} ms | ${cpuPerGb(s).toFixed(2)} | ${serverCpuPerGb(s).toFixed(2)} | ${reqText} | ${mb(max(s.runs.map((x) => x.memory.rssKb)))} | ${sec(p50(s.runs.map((x) => x.readyMs)))} |`;
        }),
  );
  return [
    `| protocol | system | cold read MB/s, median${r.rounds > 1 ? ' (each round)' : ''} | cold first byte p50 / max | daemon CPU s/GB | server CPU s/GB | requests per track: GET / HEAD / LIST | daemon RSS after the pass | spawn → ready |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

function targetRows(r: Results): string[] {
  const out: string[] = [];
  for (const p of r.protocols) {
    const s = p.scan;
    if (p.skipped !== undefined || s === undefined || s.notBuilt !== undefined) {
      const why = p.skipped !== undefined ? SKIPPED : `not measured: ${s?.notBuilt ?? '?'}`;
      out.push(`| ${p.protocol}: scan fetches < ${TARGETS.scanShare * 100}% of the library | ${why} | — |`);
    } else {
      const share = Math.max(s.fetched, s.network.down) / r.lib.scanBytes;
      out.push(`| ${p.protocol}: scan fetches < ${TARGETS.scanShare * 100}% of the library | ${pct(s.fetched, r.lib.scanBytes)} by MusicFS's count, ${pct(s.network.down, r.lib.scanBytes)} at the network | ${yes(share < TARGETS.scanShare)} |`);
    }
    const c = compare(p);
    const ours = c.ours;
    if (ours === undefined || !measured(ours) || c.fastest === undefined || c.quickest === undefined) {
      const why = p.skipped !== undefined ? SKIPPED : `not measured: ${ours?.notBuilt ?? 'no peer measured'}`;
      out.push(`| ${p.protocol}: cold time to first byte (p50) ≤ the best peer's | ${why} | — |`, `| ${p.protocol}: cold throughput ≥ the best peer's | ${why} | — |`);
      continue;
    }
    const ttfb = p50(firstBytes(ours));
    const peerTtfb = p50(firstBytes(c.quickest));
    out.push(`| ${p.protocol}: cold time to first byte (p50) ≤ the best peer's | ${lat(ttfb)} ms vs ${c.quickest.name} ${lat(peerTtfb)} ms: ${ratioText(ttfb / peerTtfb)} the time | ${yes(ttfb <= peerTtfb)} |`);
    const tp = coldMbps(ours);
    const peerTp = coldMbps(c.fastest);
    out.push(`| ${p.protocol}: cold throughput ≥ the best peer's | ${tp.toFixed(0)} vs ${c.fastest.name} ${peerTp.toFixed(0)} MB/s: ${ratioText(tp / peerTp)} | ${yes(tp >= peerTp)} |`);
  }
  return ['| target | measured | met? |', '|---|---|---|', ...out];
}

export function render(r: Results): string {
  const L = r.lib;
  const m = r.machine;
  const scanSizes = L.scan.map((f) => f.size);
  const dropText = r.protocols
    .filter((p) => p.skipped === undefined)
    .map((p) => `${p.protocol}: ${[...new Set(p.systems.flatMap((s) => s.runs.map((x) => x.drop.method)))].join(' / ')}`)
    .join('; ');
  // Only the SFTP server's files are named (s3rver's object files are its own business): fincore sees those.
  const residents = r.protocols.flatMap((p) => p.systems.flatMap((s) => s.runs.map((x) => x.drop.residentAfter))).filter((x) => !Number.isNaN(x));
  const residentText = residents.length > 0 ? `; after the drop at most ${fmtMB(Math.max(...residents))} of the SFTP server's read tracks stayed cached (fincore)` : '';
  const systems = r.protocols.flatMap((p) => (p.skipped !== undefined ? [`- **${p.protocol}**: not measured: ${p.skipped}.`] : [`- **${p.protocol} server**: ${p.server}.`, ...p.systems.map((s) => `- **${p.protocol}, ${s.name}**: ${s.notBuilt !== undefined ? `not measured: ${s.notBuilt} (this build)` : s.how}.`)]));
  const s3 = r.protocols.find((p) => p.protocol === 'S3');
  return [
    ...sectionHead('Remote', 'bench:remote', m, `rclone ${r.versions.rclone}; s3fs ${r.versions.s3fs}; sshfs ${r.versions.sshfs}; ${r.versions.openssh}; `, ': other work on the machine during the run shows there.'),
    '**Library**',
    '',
    `- **Scan**: ${fmtInt(L.scan.length)} FLAC tracks, ${mbText(L.scanBytes)} (${(L.scanBytes / L.scan.length / 1e6).toFixed(1)} MB per track on average, ${(Math.min(...scanSizes) / 1e6).toFixed(1)}–${(Math.max(...scanSizes) / 1e6).toFixed(1)} MB): ${L.baseSeconds.length} base recordings of ${L.baseSeconds.join(', ')} s stereo 44.1 kHz 16-bit white noise made by ffmpeg ${r.versions.ffmpeg}, each track a copy of one with its own tags (a new Vorbis comment written in memory, test/support/tagged-audio.ts); 10 tracks per album, 4 albums per artist; no cover art, no padding.`,
    `- **Reads**: ${L.read.length} FLAC tracks, ${mbText(L.readBytes)} (${(L.readBytes / L.read.length / 1e6).toFixed(1)} MB each), each its own ffmpeg encode of ${L.read.length > 0 ? 'stereo white noise from its own seeds' : ''}, so no two share audio bytes.`,
    `- Made in ${(L.generateMs / 1000).toFixed(1)} s${L.reused ? ' by an earlier run and reused' : ''}; ${s3 !== undefined && s3.skipped === undefined ? `uploaded to s3rver at the start of the run (${fmtInt(L.scan.length + L.read.length)} PUTs, 8 in flight) in ${sec(r.uploadMs)}; ` : ''}sshd serves the folder itself.`,
    '',
    '**Systems**',
    '',
    ...systems,
    '',
    `**Scan** (MusicFS through a byte-counting TCP proxy in front of the server)`,
    '',
    ...scanTable(r),
    '',
    `**Cold reads** (${L.read.length} tracks × ${r.rounds} round${r.rounds > 1 ? 's' : ''} per system; straight to the server)`,
    '',
    ...readTable(r),
    '',
    '**Targets**',
    '',
    ...targetRows(r),
    '',
    '**Method**',
    '',
    `- **Scan**: \`bin/musicfs mount MP --origin URL\` on empty XDG folders, the URL naming the proxy's port; timed from spawn to the \`scan complete\` line. **Bytes fetched**: MusicFS's own count (\`musicfs origin list --json\` → \`lastScan.bytesFetched\`: object body bytes for S3, file bytes read for SFTP) and, independently, every byte the proxy passed from the server to MusicFS up to \`scan complete\` (HTTP headers, XML listings, SSH framing and the SSH handshake included, so it is the larger). The library size is the sum of the source files. The servers' files are not dropped from the page cache for the scan: it measures what crosses the protocol, not the server's disk.`,
    `- **Cold reads**, per system and round, on a fresh mount with empty caches (MusicFS: new XDG folders; rclone: a new \`--cache-dir\`; s3fs and sshfs keep no disk cache): mount; recursive readdir + stat of the mount, checking every size (so no system pays for its metadata inside the timed pass: MusicFS knows every file from its scan); drop the page cache so the server reads from disk (${dropText}${residentText}); then every track opened, read from start to end (the first read 4 KiB, then 128 KiB reads), closed. **MB/s** = bytes / wall time of the whole pass (MB = 10⁶ bytes), median of the rounds; **first byte** = open + the first 4 KiB read, one sample per track and round (${fmtInt(L.read.length * r.rounds)} per system; p50 and max). The order of the systems rotates each round. Reads are synchronous \`read(2)\`s from a worker thread of the benchmark (s3rver runs on its main thread).`,
    `- **CPU**: utime + stime of the FUSE daemon and its live child processes (sshfs's \`ssh\`) over the cold pass ÷ GB read. **Server CPU**, over the same pass: ${r.protocols.filter((p) => p.skipped === undefined).map((p) => `${p.protocol}: ${p.serverCpuWhat}`).join('; ')}. Memory: VmRSS of the daemon after the pass (the largest of the rounds). **Requests per track** (S3): what s3rver's request log received during the cold pass ÷ tracks opened.`,
    `- Every pass read every byte of every track, and one 128 KiB block at a random offset of each track read the same through each system as from the source. rclone runs with \`${RCLONE_OPTIONS.join(' ')}\` as in the Read section.`,
    '',
    ...limits(r),
  ].join('\n');
}
