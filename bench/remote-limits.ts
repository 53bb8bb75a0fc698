/**
 * The "What limits it" paragraphs of the `## Remote` section: what the
 * measured numbers say about where the bytes and the time go. Every number
 * comes from the run; what is said about mechanisms is what the code does
 * (cited by file) and is only said when the run's numbers show it.
 */
import { fmtInt, limitsSection, p50 } from './bench-kit.js';
import { lat, ratioText } from './read-kit.js';
import { coldMbps, compare, cpuPerGb, firstBytes, measured, requestsPerTrack, serverCpuPerGb, TARGETS, type ProtocolResult, type Results, type ScanMeasured, type SystemReads } from './remote-results.js';

const kib = (bytes: number): string => `${fmtInt(bytes / 1024)} KiB`;
const perTrack = (n: number): string => n.toFixed(1).replace(/\.0$/, '');

export function limits(r: Results): string[] {
  const paragraphs = [
    ...r.protocols.flatMap((p) => (p.scan !== undefined && p.scan.notBuilt === undefined ? [scanBytes(r, p.scan), scanTime(r, p, p.scan)] : [])),
    ...r.protocols.flatMap((p) => reads(r, p)),
    machineNote(r),
  ];
  return limitsSection(paragraphs.filter((x) => x !== ''));
}

function scanBytes(r: Results, s: ScanMeasured): string {
  const per = s.fetched / s.files;
  const overhead = (s.network.down - s.fetched) / s.files;
  const avg = r.lib.scanBytes / r.lib.scan.length;
  const requests = s.requests ? ` s3rver's log shows ${perTrack(s.requests.getObject / s.files)} ranged GET${s.requests.getObject === s.files ? '' : 's'} and ${perTrack(s.requests.headObject / s.files)} HEAD per track (and ${fmtInt(s.requests.list)} LIST for the whole walk).` : '';
  return (
    `**${s.protocol} scan bytes.** MusicFS fetched ${kib(per)} per track (${kib(overhead)} more crossed the network: ${s.protocol === 'S3' ? 'HTTP headers and listings' : 'SSH framing and the handshakes'}): the fingerprint's first and last 64 KiB, from which the tag parser reads in memory (scan/segment-cache.ts), growing the range only for a tag block bigger than that.${requests} ` +
    `The share of the library is that fixed cost over the track size: ${(100 * per / avg).toFixed(2)}% of these ${(avg / 1e6).toFixed(1)} MB tracks, so the ${TARGETS.scanShare * 100}% budget holds for tracks of ${(per / TARGETS.scanShare / 1e6).toFixed(1)} MB or more; short tracks, or a large tag block in front of the audio (embedded cover art, big ID3v2 frames), cost more per track. These tracks carry no cover art.`
  );
}

function scanTime(r: Results, p: ProtocolResult, s: ScanMeasured): string {
  const seconds = s.ms / 1000;
  const cores = s.cpuSec / seconds;
  const serverCores = s.serverCpuSec / seconds;
  const requests = s.requests ? (s.requests.getObject + s.requests.headObject) / s.files : undefined;
  const busy = cores + serverCores;
  return (
    `**${p.protocol} scan time.** ${seconds.toFixed(1)} s for ${fmtInt(s.files)} tracks (${fmtInt(s.files / seconds)} tracks/s), ${(s.mountedMs / 1000).toFixed(2)} s of it before the mount was up. ` +
    `${requests !== undefined ? `Each track is ${perTrack(requests)} requests to the server` : 'Each track is a few round trips to the server'}, through the byte proxy (one more hop, in the benchmark's own event loop). ` +
    `The daemon used ${s.cpuSec.toFixed(1)} s of CPU (${cores.toFixed(2)} cores on average: tag workers, the origin's requests, catalog writes) and ${p.serverName}${p.protocol === 'S3' ? ' with the byte proxy' : ''} ${s.serverCpuSec.toFixed(1)} s (${serverCores.toFixed(2)} cores): ` +
    (busy > 0.8 * r.machine.cores
      ? `together close to the machine's ${r.machine.cores} cores, so on this machine the scan is bound by CPU, the server's included.`
      : `together ${busy.toFixed(2)} of the machine's ${r.machine.cores} cores, so the scan also waits on round trips.`) +
    ' There is no target for the time (the Scan section measures local folders).'
  );
}

/** The cold-read paragraphs of one protocol. */
function reads(r: Results, p: ProtocolResult): string[] {
  if (p.skipped !== undefined) return [`**${p.protocol}** was not measured: ${p.skipped}.`];
  const c = compare(p);
  const ours = c.ours;
  if (ours === undefined || !measured(ours)) {
    const peers = p.systems.filter(measured);
    return [
      `**${p.protocol}: MusicFS not measured** (${ours?.notBuilt ?? 'no runs'}), so its targets stay open. The peers' numbers are the bar it will have to meet: ` +
        peers.map((s) => `${s.name} ${coldMbps(s).toFixed(0)} MB/s and a ${lat(p50(firstBytes(s)))} ms first byte (p50), ${cpuPerGb(s).toFixed(2)} s of CPU per GB`).join('; ') +
        '. Re-run once the origin is built (with test/support/sshd-server.ts in the tree, `npm run bench:remote` measures it with no knob).',
    ];
  }
  if (c.quickest === undefined || c.fastest === undefined) return [];
  return [firstByte(p, ours, c.quickest), throughput(r, p, ours, c.fastest)];
}

function firstByte(p: ProtocolResult, ours: SystemReads, peer: SystemReads): string {
  const a = p50(firstBytes(ours));
  const b = p50(firstBytes(peer));
  const met = a <= b;
  const head = `**${p.protocol} first byte: MusicFS ${lat(a)} ms, ${peer.name} ${lat(b)} ms (p50; ${ratioText(a / b)})${met ? '' : ', target missed'}.**`;
  const mine = requestsPerTrack(ours);
  const theirs = requestsPerTrack(peer);
  if (mine === undefined || theirs === undefined) {
    const peerOpen = peer.name === 'sshfs' ? 'sshfs sends one SFTP OPEN and one READ on the SSH session it opened at mount time' : `${peer.name} opens the file on its SFTP connection and serves the first read from its cache file as it fills`;
    return `${head} sshd keeps no request log here, so the round trips behind each first byte are not counted; ${peerOpen}.`;
  }
  const why =
    mine.headObject >= 2
      ? ` Before its first byte MusicFS makes ${perTrack(mine.headObject)} HEAD requests per track, one after the other: the replica check (vfs/replica-reader.ts \`openFrom\`: is the object still the size and date the scan saw?) and the S3 open (origins/s3/s3-origin.ts: size and ETag, to pin the version with If-Match), then a GET of the first 256 KiB window.`
      : ` MusicFS makes ${perTrack(mine.headObject)} HEAD and ${perTrack(mine.getObject)} GET requests per track.`;
  const peerWhy = ` ${peer.name} makes ${perTrack(theirs.headObject)} HEAD and ${perTrack(theirs.getObject)} GET per track${theirs.headObject === 0 ? ': it trusts the size and date of its listing and opens one GET at the offset read' : ''}.`;
  // The peer's whole first byte bounds what one of its round trips costs here.
  const trips = Math.round(mine.headObject) + 1;
  const bound = (b / (Math.round(theirs.headObject) + 1)) * trips;
  const pace = ` At ${peer.name}'s pace (${lat(b)} ms for open + first read, ${Math.round(theirs.headObject) + 1} request${theirs.headObject >= 1 ? 's' : ''}), the ${trips} requests MusicFS makes in a row before its first byte account for`;
  const rest =
    bound < 0.8 * a
      ? `${pace} at most ~${lat(bound)} ms; the other ~${lat(a - bound)} ms are its own path from the FUSE open to the first piece of a fetch in the chunk cache (replica routing, the fetch and its chunk stream set up, the main thread's queue).`
      : `${pace} about all of it (~${lat(Math.min(a, bound))} ms).`;
  return `${head}${why}${peerWhy}${rest} Each request is a round trip to s3rver, JavaScript on the benchmark's main thread; against a real S3 endpoint tens of ms away the requests in a row would dominate.`;
}

function throughput(r: Results, p: ProtocolResult, ours: SystemReads, peer: SystemReads): string {
  const a = coldMbps(ours);
  const b = coldMbps(peer);
  const cpu = cpuPerGb(ours);
  const busy = (cpu * a) / 1000;
  const server = (serverCpuPerGb(ours) * a) / 1000;
  const head = `**${p.protocol} throughput: MusicFS ${a.toFixed(0)} MB/s, ${peer.name} ${b.toFixed(0)} MB/s (${ratioText(a / b)})${a >= b ? '' : ', target missed'}.**`;
  const mine = requestsPerTrack(ours);
  const windows =
    mine !== undefined && mine.getObject > 2
      ? ` It also sends ${perTrack(mine.getObject)} GETs per track where one streaming GET would do: a fetch's piece that runs past the end of a bounded window is taken for a seek (origins/s3/s3-read-handle.ts sets \`lastEnd\` only when the whole read is done), so the first ~900 KiB of each track come in bounded windows, one round trip each, before the GET to the end.`
      : '';
  return (
    `${head} MusicFS used ${cpu.toFixed(1)} s of CPU per GB read cold against ${peer.name}'s ${cpuPerGb(peer).toFixed(1)}: at its rate that is ${busy.toFixed(2)} cores busy in the daemon, plus ${server.toFixed(2)} in the server, on ${r.machine.cores} cores shared with the server, the reader and other work. ` +
    `Every byte fetched is also cut into chunks, hashed and written to the chunk cache (cache/track-fetch.ts, the chunk worker) and handed between threads, and every 128 KiB FUSE read is answered on the daemon's main thread: work a streaming client does not do, and the same with a local origin (compare the Read section's cold CPU per GB), so it is the caching read path more than the ${p.protocol} origin that sets the pace. ${peer.name} ${peer.name === 'rclone' ? 'also writes a cache file (`--vfs-cache-mode full`), but in Go, without chunking or hashing' : 'keeps no disk cache (its default)'}.${windows}`
  );
}

function machineNote(r: Results): string {
  const spread = r.protocols.flatMap((p) =>
    p.systems.filter((s) => measured(s) && s.runs.length > 1).map((s) => {
      const rates = s.runs.map((x) => x.cold.bytes / 1e6 / (x.cold.ms / 1000));
      return `${p.protocol} ${s.name} ${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)}`;
    }),
  );
  return (
    `**The machine.** ${r.machine.cores} cores shared with other work (load average ${r.machine.loadStart} at the start, ${r.machine.loadEnd} at the end), and the S3 server is JavaScript in the benchmark's own process, so rounds vary` +
    (spread.length > 0 ? ` (cold MB/s, lowest–highest round: ${spread.join('; ')})` : '') +
    '; the medians and the rotated order keep the comparison fair, not the absolute numbers stable. Loopback has no bandwidth limit or latency of its own: on a real network every round trip above costs more, and a 1 Gb/s link caps every system at ~115 MB/s.'
  );
}
