/**
 * Generates a real, deliberately messy audio collection with ffmpeg at test
 * time, together with the path each file must (or must not) have in the mount
 * under the default layout `{albumartist}/{album}/{disc-}{track:02} - {title}{.ext}`.
 *
 * Everything is deterministic: the same bytes on every run (bit-exact muxers,
 * one thread per encoder, one distinct sine frequency per recording, seeded
 * "random" bytes), so fingerprints are stable between runs.
 */
import { copyFile, mkdir, open, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { deterministicBytes, runFfmpeg, runPool } from './ffmpeg-tools.js';

export { ffprobeJson, sha256File } from './ffmpeg-tools.js';

export type OriginName = 'origin-a' | 'origin-b';

export interface CorpusFile {
  origin: OriginName;
  /** Path under the origin folder, '/'-separated, exactly as on disk (not normalised). */
  relPath: string;
  /** ignored = must never appear (hidden, non-audio extension, symlink loop); broken = corrupt/truncated/empty/junk. */
  kind: 'audio' | 'broken' | 'ignored';
  /**
   * Virtual path in the mount under the default layout, or null when it must not appear.
   * Several entries may share one path: byte-identical copies (both origins, or reached
   * through a directory symlink) are ONE file in the mount.
   */
  expectedPath: string | null;
  /** What case this file covers. */
  note: string;
  /**
   * Set on different recordings whose tags give the same path. The mount must hold
   * exactly `expectedPath` and `expectedPath` with ` (2)` before the extension, in some order.
   */
  collisionGroup?: string;
  /**
   * Both outcomes are acceptable: the file may appear at `expectedPath` (what
   * music-metadata 11 yields for it) or not appear at all.
   */
  flexible?: boolean;
  /** For flexible files: other paths at which the file may appear instead of `expectedPath`. */
  alternatePaths?: string[];
  /** For files that must not appear: the path their tags would give if wrongly scanned. */
  pathIfScanned?: string;
}

export interface Corpus {
  root: string;
  origins: { name: OriginName; dir: string }[];
  files: CorpusFile[];
}

/** The mount-side view of a corpus, derived from its files. */
export interface CorpusExpectations {
  /** Paths that must exist (collision groups excluded). */
  required: Set<string>;
  /** Paths that may or may not exist (flexible files). */
  optional: Set<string>;
  /** collisionGroup → the un-suffixed path and the number of distinct recordings on it. */
  collisions: Map<string, { path: string; count: number }>;
  /** Paths that must not exist: tag paths of hidden/ignored/broken files. */
  forbidden: Set<string>;
}

// ---------------------------------------------------------------------------
// Recipes

/**
 * mp3-id3v24-tcmp: ffmpeg writes the iTunes compilation flag as TXXX:TCMP (TCMP is not
 * in its frame tables), which music-metadata does not read, so that variant gets a
 * hand-built ID3v2.4 tag with a real TCMP frame in front of a bare ffmpeg MP3 stream.
 */
type Format =
  | 'flac' | 'mp3-id3v23' | 'mp3-id3v24' | 'mp3-id3v24-tcmp' | 'mp3-id3v1' | 'mp3-bare'
  | 'ogg' | 'opus' | 'm4a' | 'wav';

interface Tags {
  artist?: string;
  albumArtist?: string;
  album?: string;
  title?: string;
  /** "3" or "3/12" */
  track?: string;
  /** "1" or "1/2" */
  disc?: string;
  compilation?: boolean;
  date?: string;
  genre?: string;
}

type Source =
  | { type: 'tone'; format: Format; tags: Tags }
  /** A tone rendered elsewhere, of which only the first `bytes` bytes are kept. */
  | { type: 'truncated-tone'; format: Format; tags: Tags; bytes: number }
  | { type: 'bytes'; data: Buffer }
  /** Byte copy of an earlier entry. */
  | { type: 'copy'; origin: OriginName; relPath: string }
  /** The entry is itself a symlink to `target` (relative, as stored in the link). */
  | { type: 'symlink'; target: string }
  /** A file reached through a directory symlink made by another entry: nothing to create. */
  | { type: 'via-link' };

interface Entry extends CorpusFile {
  source: Source;
}

const TONE_SECONDS = 1;

/** Codec/muxer arguments per format. Everything bit-exact and single-threaded. */
function formatArgs(format: Format): string[] {
  const mp3 = ['-c:a', 'libmp3lame', '-b:a', '32k', '-ar', '22050'];
  switch (format) {
    case 'flac':
      // No 8 KiB PADDING block: keeps files small and puts audio frames early (for the truncation case).
      return ['-c:a', 'flac', '-sample_fmt', 's16', '-ar', '8000', '-metadata_header_padding', '0', '-f', 'flac'];
    case 'mp3-id3v23':
      return [...mp3, '-id3v2_version', '3', '-write_id3v1', '0', '-f', 'mp3'];
    case 'mp3-id3v24':
      return [...mp3, '-id3v2_version', '4', '-write_id3v1', '0', '-f', 'mp3'];
    case 'mp3-id3v1':
      return [...mp3, '-id3v2_version', '0', '-write_id3v1', '1', '-f', 'mp3'];
    case 'mp3-bare':
    case 'mp3-id3v24-tcmp':
      return [...mp3, '-id3v2_version', '0', '-write_id3v1', '0', '-f', 'mp3'];
    case 'ogg':
      return ['-c:a', 'libvorbis', '-q:a', '0', '-ar', '22050', '-f', 'ogg'];
    case 'opus':
      return ['-c:a', 'libopus', '-b:a', '24k', '-ar', '48000', '-f', 'opus'];
    case 'm4a':
      return ['-c:a', 'aac', '-b:a', '32k', '-ar', '22050', '-f', 'ipod'];
    case 'wav':
      return ['-c:a', 'pcm_s16le', '-ar', '8000', '-f', 'wav'];
  }
}

/** ffmpeg generic metadata keys; each muxer maps them to its own frames/atoms/fields. */
function metadataArgs(tags: Tags): string[] {
  const pairs: [string, string | undefined][] = [
    ['artist', tags.artist],
    ['album_artist', tags.albumArtist],
    ['album', tags.album],
    ['title', tags.title],
    ['track', tags.track],
    ['disc', tags.disc],
    ['compilation', tags.compilation ? '1' : undefined],
    ['date', tags.date],
    ['genre', tags.genre],
  ];
  return pairs.flatMap(([k, v]) => (v === undefined ? [] : ['-metadata', `${k}=${v}`]));
}

/**
 * ID3v1 is written by ffmpeg's mp3 muxer from ID3v2 frame names (TIT2, TPE1...), which it
 * only derives from generic keys when it also writes an ID3v2 tag: pass the frame names.
 */
function id3v1MetadataArgs(tags: Tags): string[] {
  const pairs: [string, string | undefined][] = [
    ['TPE1', tags.artist], ['TALB', tags.album], ['TIT2', tags.title],
    ['TRCK', tags.track], ['TDRC', tags.date], ['TCON', tags.genre],
  ];
  return pairs.flatMap(([k, v]) => (v === undefined ? [] : ['-metadata', `${k}=${v}`]));
}

function syncsafe(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(((n & 0xfe00000) << 3) | ((n & 0x1fc000) << 2) | ((n & 0x3f80) << 1) | (n & 0x7f));
  return b;
}

/** A minimal ID3v2.4 tag of UTF-8 text frames (no padding, no flags). */
function id3v24Tag(tags: Tags): Buffer {
  const pairs: [string, string | undefined][] = [
    ['TPE1', tags.artist], ['TPE2', tags.albumArtist], ['TALB', tags.album], ['TIT2', tags.title],
    ['TRCK', tags.track], ['TPOS', tags.disc], ['TCMP', tags.compilation ? '1' : undefined],
    ['TDRC', tags.date], ['TCON', tags.genre],
  ];
  const frames = pairs.flatMap(([id, v]) => {
    if (v === undefined) return [];
    const body = Buffer.concat([Buffer.from([3]), Buffer.from(v, 'utf8')]);
    return [Buffer.concat([Buffer.from(id, 'latin1'), syncsafe(body.length), Buffer.from([0, 0]), body])];
  });
  const payload = Buffer.concat(frames);
  return Buffer.concat([Buffer.from('ID3', 'latin1'), Buffer.from([4, 0, 0]), syncsafe(payload.length), payload]);
}

async function renderTone(format: Format, tags: Tags, frequency: number, out: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  const tagArgs = format === 'mp3-id3v1' ? id3v1MetadataArgs(tags)
    : format === 'mp3-id3v24-tcmp' ? []
    : metadataArgs(tags);
  await runFfmpeg([
    '-f', 'lavfi',
    '-i', `sine=frequency=${frequency}:sample_rate=8000:duration=${TONE_SECONDS}`,
    '-ac', '1',
    '-map_metadata', '-1',
    '-fflags', '+bitexact',
    '-flags:a', '+bitexact',
    '-threads', '1',
    ...formatArgs(format),
    ...tagArgs,
    out,
  ]);
  if (format === 'mp3-id3v24-tcmp') await writeFile(out, Buffer.concat([id3v24Tag(tags), await readFile(out)]));
}

// ---------------------------------------------------------------------------
// Junk bytes

const APPLE_DOUBLE = ((): Buffer => {
  const b = Buffer.alloc(4096);
  b.writeUInt32BE(0x00051607, 0); // AppleDouble magic
  b.writeUInt32BE(0x00020000, 4); // version 2
  b.write('Mac OS X        ', 8, 'latin1');
  b.writeUInt16BE(2, 24); // two entries
  b.writeUInt32BE(9, 26); // Finder info
  b.writeUInt32BE(50, 30);
  b.writeUInt32BE(3760, 34);
  b.writeUInt32BE(2, 38); // resource fork
  b.writeUInt32BE(3810, 42);
  b.writeUInt32BE(286, 46);
  b.write('ATTR', 84, 'latin1');
  return b;
})();

const DS_STORE = ((): Buffer => {
  const b = Buffer.alloc(6148);
  b.writeUInt32BE(1, 0);
  b.write('Bud1', 4, 'latin1');
  b.writeUInt32BE(0x1000, 8);
  b.writeUInt32BE(0x800, 12);
  b.writeUInt32BE(0x1000, 16);
  return b;
})();

/** A tiny but valid baseline JPEG (1x1 white pixel). */
const JPEG_1X1 = Buffer.from(
  'ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9',
  'hex',
);

// ---------------------------------------------------------------------------
// The corpus

/** 300 bytes of UTF-8: 100 CJK characters of 3 bytes each. */
const LONG_CJK_TITLE = '春夏秋冬'.repeat(25);
/** `NN - ` (5 bytes) + 81 CJK chars (243 bytes) + `.flac` (5 bytes) = 253 <= 255; an 82nd char would make 256. */
const LONG_CJK_FILE = `03 - ${LONG_CJK_TITLE.slice(0, 81)}.flac`;

function entries(): Entry[] {
  const list: Entry[] = [];
  const add = (e: Omit<Entry, 'kind'> & { kind?: CorpusFile['kind'] }): void => {
    list.push({ kind: 'audio', ...e });
  };
  const tone = (format: Format, tags: Tags): Source => ({ type: 'tone', format, tags });

  // --- A normal FLAC album with an album artist (origin-a) -----------------
  const normalDir = 'Albums/The Normal Band - First Light';
  const normalTracks: [string, string, string][] = [
    ['01 - Dawn.flac', 'Dawn', 'The Normal Band'],
    ['02 - Noon.flac', 'Noon', 'The Normal Band feat. A Guest'],
    ['03 - Dusk.flac', 'Dusk', 'The Normal Band'],
  ];
  normalTracks.forEach(([file, title, artist], i) => {
    add({
      origin: 'origin-a',
      relPath: `${normalDir}/${file}`,
      expectedPath: `The Normal Band/First Light/0${i + 1} - ${title}.flac`,
      note: i === 1
        ? 'FLAC album track whose track artist differs from the album artist: the album artist names the folder'
        : 'FLAC album of 3 tracks with ALBUMARTIST, TRACKNUMBER n/3',
      source: tone('flac', { artist, albumArtist: 'The Normal Band', album: 'First Light', title, track: `${i + 1}/3`, date: '2020', genre: 'Rock' }),
    });
  });
  add({
    origin: 'origin-a', relPath: `${normalDir}/folder.jpg`, kind: 'ignored', expectedPath: null,
    note: 'cover image beside an album: non-audio extension', source: { type: 'bytes', data: JPEG_1X1 },
  });
  add({
    origin: 'origin-a', relPath: `${normalDir}/._track.flac`, kind: 'ignored', expectedPath: null,
    note: 'hidden macOS AppleDouble resource file with an audio extension (not audio: AppleDouble header)',
    source: { type: 'bytes', data: APPLE_DOUBLE },
  });
  add({
    origin: 'origin-a', relPath: 'Albums/.DS_Store', kind: 'ignored', expectedPath: null,
    note: 'hidden macOS folder metadata file', source: { type: 'bytes', data: DS_STORE },
  });

  // --- A valid directory symlink to that album (origin-a) -------------------
  add({
    origin: 'origin-a', relPath: 'Links/Best Of First Light', kind: 'ignored', expectedPath: null,
    note: 'directory symlink to ../Albums/The Normal Band - First Light (valid, same origin); the link itself is not a file in the mount',
    source: { type: 'symlink', target: `../${normalDir}` },
  });
  normalTracks.forEach(([file, title], i) => {
    add({
      origin: 'origin-a',
      relPath: `Links/Best Of First Light/${file}`,
      expectedPath: `The Normal Band/First Light/0${i + 1} - ${title}.flac`,
      note: 'the same recording reached again through a directory symlink: same bytes, same fingerprint, ONE file in the mount (no " (2)")',
      source: { type: 'via-link' },
    });
  });

  // --- An MP3 (ID3v2.4) album nested 9 folders deep (origin-a) -------------
  const deepDir = 'Music/Archive/2019/Rock/Imports/Japan/Box Sets/Disc Images/Deep Album';
  (['Abyss', 'Trench'] as const).forEach((title, i) => {
    add({
      origin: 'origin-a',
      relPath: `${deepDir}/0${i + 1} - ${title}.mp3`,
      expectedPath: `Deep Diver/The Deep/0${i + 1} - ${title}.mp3`,
      note: 'MP3 with ID3v2.4 tags, 9 folders deep; no album artist → artist names the folder',
      source: tone('mp3-id3v24', { artist: 'Deep Diver', album: 'The Deep', title, track: `${i + 1}/2`, date: '2019' }),
    });
  });
  add({
    origin: 'origin-a', relPath: 'Music/Archive/2019/cycle', kind: 'ignored', expectedPath: null,
    note: 'symlink loop: "cycle -> ../.." points at Music/, its own ancestor (the deep album is below it); a scan must terminate and not duplicate files',
    source: { type: 'symlink', target: '../..' },
  });

  // --- A compilation without album artist (origin-a) -----------------------
  const compDir = 'Compilations/Summer Hits';
  add({
    origin: 'origin-a', relPath: `${compDir}/01 - Sun.flac`, expectedPath: 'Various Artists/Summer Hits/01 - Sun.flac',
    note: 'compilation (FLAC COMPILATION=1), no album artist → Various Artists',
    source: tone('flac', { artist: 'Sunny Day', album: 'Summer Hits', title: 'Sun', track: '1', compilation: true }),
  });
  add({
    origin: 'origin-a', relPath: `${compDir}/02 - Sand.flac`, expectedPath: 'Various Artists/Summer Hits/02 - Sand.flac',
    note: 'compilation (FLAC COMPILATION=1), a different track artist, no album artist → Various Artists',
    source: tone('flac', { artist: 'Tribute Collective', album: 'Summer Hits', title: 'Sand', track: '2', compilation: true }),
  });
  add({
    origin: 'origin-a', relPath: `${compDir}/03 - Surf.mp3`, expectedPath: 'Various Artists/Summer Hits/03 - Surf.mp3',
    note: 'compilation track in MP3 ID3v2.4 with an iTunes TCMP=1 frame (hand-built tag), another artist, no album artist → Various Artists',
    source: tone('mp3-id3v24-tcmp', { artist: 'Wave Riders', album: 'Summer Hits', title: 'Surf', track: '3', compilation: true }),
  });

  // --- Multi-disc and single-disc albums (origin-a) -------------------------
  const boxDir = 'Box/Grand Opus';
  const disc = (relFile: string, format: Format, d: number, t: number, title: string, ext: string): void => {
    add({
      origin: 'origin-a', relPath: `${boxDir}/${relFile}`,
      expectedPath: `Disc Band/Grand Opus/${d}-0${t} - ${title}.${ext}`,
      note: `multi-disc album, disc ${d}/2 (${format}) → "${d}-" prefix`,
      source: tone(format, { artist: 'Disc Band', albumArtist: 'Disc Band', album: 'Grand Opus', title, track: `${t}/2`, disc: `${d}/2` }),
    });
  };
  disc('CD1/01 - Overture.flac', 'flac', 1, 1, 'Overture', 'flac');
  disc('CD1/02 - Aria.flac', 'flac', 1, 2, 'Aria', 'flac');
  disc('CD2/01 - Finale.flac', 'flac', 2, 1, 'Finale', 'flac');
  disc('CD2/02 - Encore.m4a', 'm4a', 2, 2, 'Encore', 'm4a');
  add({
    origin: 'origin-a', relPath: 'Box/Second Thoughts/second.opus',
    expectedPath: 'Disc Band/Second Thoughts/2-05 - Afterthought.opus',
    note: 'Opus with DISCNUMBER=2 and no disc total: the disc number alone (> 1) gives the "2-" prefix',
    source: tone('opus', { artist: 'Disc Band', album: 'Second Thoughts', title: 'Afterthought', track: '5', disc: '2' }),
  });
  add({
    origin: 'origin-a', relPath: 'Singles/Lonely Disc/01 - Alone.ogg',
    expectedPath: 'Solo Act/Lonely Disc/01 - Alone.ogg',
    note: 'Ogg Vorbis tagged disc 1/1 → no disc prefix',
    source: tone('ogg', { artist: 'Solo Act', album: 'Lonely Disc', title: 'Alone', track: '1/1', disc: '1/1' }),
  });

  // --- Unicode (origin-a) ---------------------------------------------------
  add({
    origin: 'origin-a', relPath: 'Unicode/日本語/01 - 桜.flac',
    expectedPath: '山田太郎/日本語のアルバム/01 - 桜.flac',
    note: 'CJK artist/album/title (and CJK folder name on disk)',
    source: tone('flac', { artist: '山田太郎', album: '日本語のアルバム', title: '桜', track: '1' }),
  });
  add({
    origin: 'origin-a', relPath: 'Unicode/arabic/01.opus',
    expectedPath: 'فيروز/ألبوم عربي/01 - أغنية.opus',
    note: 'RTL (Arabic) artist/album/title in Opus',
    source: tone('opus', { artist: 'فيروز', album: 'ألبوم عربي', title: 'أغنية', track: '1' }),
  });
  add({
    origin: 'origin-a', relPath: 'Unicode/hebrew/02.mp3',
    expectedPath: 'להקה/אלבום/02 - שיר.mp3',
    note: 'RTL (Hebrew) artist/album/title in MP3 ID3v2.4 (UTF-8 frames)',
    source: tone('mp3-id3v24', { artist: 'להקה', album: 'אלבום', title: 'שיר', track: '2' }),
  });
  add({
    origin: 'origin-a', relPath: 'Unicode/emoji/party.ogg',
    expectedPath: '🎸 Emoji Band/Party 🎉/01 - 🎵 Song.ogg',
    note: 'emoji (astral-plane characters) in artist/album/title, Ogg Vorbis',
    source: tone('ogg', { artist: '🎸 Emoji Band', album: 'Party 🎉', title: '🎵 Song', track: '1' }),
  });
  add({
    origin: 'origin-a', relPath: 'Unicode/cafe/01 - nfd.flac',
    expectedPath: 'Barista/Café Sessions/01 - Crème.flac',
    note: 'album and title tagged in NFD ("Cafe\\u0301", "Cre\\u0300me") → NFC; same folder as the NFC-tagged track 2',
    source: tone('flac', { artist: 'Barista', albumArtist: 'Barista', album: 'Cafe\u0301 Sessions', title: 'Cre\u0300me', track: '1' }),
  });
  add({
    origin: 'origin-a', relPath: 'Unicode/cafe/02 - nfc.flac',
    expectedPath: 'Barista/Café Sessions/02 - Latte.flac',
    note: 'album tagged in NFC ("Caf\\u00e9"): one folder with the NFD-tagged track 1',
    source: tone('flac', { artist: 'Barista', albumArtist: 'Barista', album: 'Caf\u00e9 Sessions', title: 'Latte', track: '2' }),
  });

  // --- A hidden folder with real audio in it (origin-a) ---------------------
  add({
    origin: 'origin-a', relPath: '.thumbnails/preview.flac', kind: 'ignored', expectedPath: null,
    pathIfScanned: 'Thumb Artist/Thumb Album/01 - Preview.flac',
    note: 'real, tagged FLAC inside a hidden folder: must not be scanned',
    source: tone('flac', { artist: 'Thumb Artist', album: 'Thumb Album', title: 'Preview', track: '1' }),
  });

  // --- Two origins sharing an album -----------------------------------------
  const shared: [string, string][] = [['01 - Meet.flac', 'Meet'], ['02 - Greet.flac', 'Greet']];
  shared.forEach(([file, title], i) => {
    add({
      origin: 'origin-a', relPath: `Shared/Common Ground/${file}`,
      expectedPath: `Both Sides/Common Ground/${file}`,
      note: 'shared album, origin-a copy: byte-identical to the origin-b copy → ONE file in the mount',
      source: tone('flac', { artist: 'Both Sides', albumArtist: 'Both Sides', album: 'Common Ground', title, track: `${i + 1}/3` }),
    });
  });
  shared.forEach(([file]) => {
    add({
      origin: 'origin-b', relPath: `Backup/Common Ground (copy)/${file}`,
      expectedPath: `Both Sides/Common Ground/${file}`,
      note: 'shared album, origin-b copy (different folder name, same bytes as origin-a) → ONE file in the mount',
      source: { type: 'copy', origin: 'origin-a', relPath: `Shared/Common Ground/${file}` },
    });
  });
  add({
    origin: 'origin-b', relPath: 'Backup/Common Ground (copy)/03 - Part.flac',
    expectedPath: 'Both Sides/Common Ground/03 - Part.flac',
    note: 'track 3 of the shared album exists only in origin-b: joins the same folder',
    source: tone('flac', { artist: 'Both Sides', albumArtist: 'Both Sides', album: 'Common Ground', title: 'Part', track: '3/3' }),
  });

  // --- Path-hostile tags (origin-b) -----------------------------------------
  const hostile = { artist: 'Path Breakers', album: 'Hostile Takeover' };
  add({
    origin: 'origin-b', relPath: 'Hostile/slash.flac',
    expectedPath: 'Path Breakers/Hostile Takeover/01 - Either_Or.flac',
    note: 'title with "/" (Vorbis comment, not a separator there) → "_"',
    source: tone('flac', { ...hostile, title: 'Either/Or', track: '1' }),
  });
  add({
    origin: 'origin-b', relPath: 'Hostile/control.flac',
    expectedPath: 'Path Breakers/Hostile Takeover/02 - Ctrl_Bell_Esc.flac',
    note: 'title with control characters inside (U+0007 BEL, U+001B ESC) → "_"',
    source: tone('flac', { ...hostile, title: 'Ctrl\u0007Bell\u001bEsc', track: '2' }),
  });
  add({
    origin: 'origin-b', relPath: 'Hostile/long-title.flac',
    expectedPath: `Path Breakers/Hostile Takeover/${LONG_CJK_FILE}`,
    note: 'title of 300 bytes of CJK (100 chars × 3 bytes): file name truncated to 255 bytes of UTF-8 on a character boundary, keeping ".flac" (81 chars kept, 253 bytes)',
    source: tone('flac', { ...hostile, title: LONG_CJK_TITLE, track: '3' }),
  });
  add({
    origin: 'origin-b', relPath: 'Hostile/dotdot.flac',
    expectedPath: 'Path Breakers/Hostile Takeover/_..flac',
    note: 'title ".." with no track number: file name "...flac" → leading "." replaced by "_" → "_..flac" (only the first dot is replaced)',
    source: tone('flac', { ...hostile, title: '..' }),
  });
  add({
    origin: 'origin-b', relPath: 'Hostile/dotdot-album.flac',
    expectedPath: 'Path Breakers/_./01 - Up.flac',
    note: 'album ".." (path traversal attempt) → leading "." replaced → folder "_."',
    source: tone('flac', { artist: 'Path Breakers', album: '..', title: 'Up', track: '1' }),
  });
  add({
    origin: 'origin-b', relPath: 'Hostile/hidden-album.flac',
    expectedPath: 'Path Breakers/_hidden/01 - Secret.flac',
    note: 'album ".hidden" → folder "_hidden" (no hidden folders in the mount)',
    source: tone('flac', { artist: 'Path Breakers', album: '.hidden', title: 'Secret', track: '1' }),
  });
  add({
    origin: 'origin-b', relPath: 'Hostile/spaces.flac',
    expectedPath: 'Padded Artist/Padded Album/01 - Padded Title.flac',
    note: 'leading/trailing spaces in artist, album and title → trimmed',
    source: tone('flac', { artist: '  Padded Artist  ', album: ' Padded Album ', title: '  Padded Title  ', track: '1' }),
  });
  add({
    origin: 'origin-b', relPath: 'Hostile/acdc.mp3',
    expectedPath: 'AC_DC/High Voltage/01 - Live Wire.mp3',
    note: 'artist "AC/DC" in an ID3v2.3 TPE1 frame: one name (music-metadata splits v2.3 on "/", the product rejoins) → "AC_DC"',
    source: tone('mp3-id3v23', { artist: 'AC/DC', album: 'High Voltage', title: 'Live Wire', track: '1' }),
  });

  // --- Missing tags (origin-b) ----------------------------------------------
  add({
    origin: 'origin-b', relPath: 'Loose/untagged-recording.flac',
    expectedPath: 'Unknown Artist/Unknown Album/untagged-recording.flac',
    note: 'FLAC with no tags at all (not even an encoder/vendor tag) → Unknown Artist/Unknown Album/<file name>',
    source: tone('flac', {}),
  });
  add({
    origin: 'origin-b', relPath: 'Loose/Nai\u0308ve untagged.mp3',
    expectedPath: 'Unknown Artist/Unknown Album/Naïve untagged.mp3',
    note: 'MP3 with no ID3 tag at all, file name in NFD on disk → fallback title is the NFC file name',
    source: tone('mp3-bare', {}),
  });
  add({
    origin: 'origin-b', relPath: 'Loose/some-file-name.ogg',
    expectedPath: 'Unknown Artist/Unknown Album/Only A Title.ogg',
    note: 'Ogg Vorbis with only a title: unknown artist and album, no track number',
    source: tone('ogg', { title: 'Only A Title' }),
  });
  add({
    origin: 'origin-b', relPath: 'Loose/no-track.flac',
    expectedPath: 'Trackless/No Numbers/Floating.flac',
    note: 'artist, album and title but no track number → "{title}.flac"',
    source: tone('flac', { artist: 'Trackless', album: 'No Numbers', title: 'Floating' }),
  });
  add({
    origin: 'origin-b', relPath: 'Loose/old-school.mp3',
    expectedPath: 'ID3v1 Artist/ID3v1 Album/07 - Old School.mp3',
    note: 'MP3 with an ID3v1.1 tag only (no ID3v2)',
    source: tone('mp3-id3v1', { artist: 'ID3v1 Artist', album: 'ID3v1 Album', title: 'Old School', track: '7', date: '1999' }),
  });
  add({
    origin: 'origin-b', relPath: 'Loose/wave-file.wav',
    expectedPath: 'Wave Artist/Wave Album/03 - Wave Title.wav',
    note: 'WAV with RIFF LIST/INFO tags (IART, IPRD, INAM, ITRK) as written by ffmpeg; music-metadata 11 reads them',
    source: tone('wav', { artist: 'Wave Artist', album: 'Wave Album', title: 'Wave Title', track: '3' }),
  });
  add({
    origin: 'origin-b', relPath: 'Loose/.secret.flac', kind: 'ignored', expectedPath: null,
    pathIfScanned: 'Secret Artist/Secret Album/01 - Hidden.flac',
    note: 'hidden (dot) file that is real, tagged audio: must not be scanned',
    source: tone('flac', { artist: 'Secret Artist', album: 'Secret Album', title: 'Hidden', track: '1' }),
  });
  add({
    origin: 'origin-b', relPath: 'Upper/TRACK.FLAC',
    expectedPath: 'Upper Case/Shouting/01 - Loud.flac',
    note: 'upper-case extension ".FLAC" → ".flac" in the mount',
    source: tone('flac', { artist: 'Upper Case', album: 'Shouting', title: 'Loud', track: '1' }),
  });

  // --- Colliding names (origin-b) -------------------------------------------
  (['take-1', 'take-2'] as const).forEach((take) => {
    add({
      origin: 'origin-b', relPath: `Dupes/${take}/track.flac`,
      expectedPath: 'Collide Band/Collide Album/01 - Same Name.flac',
      collisionGroup: 'same-name',
      note: `two different recordings (different tones) with identical tags (${take}): one gets the plain path, the other " (2)"`,
      source: tone('flac', { artist: 'Collide Band', album: 'Collide Album', title: 'Same Name', track: '1' }),
    });
  });

  // --- Loop (origin-b) ------------------------------------------------------
  add({
    origin: 'origin-b', relPath: 'Loop/loop', kind: 'ignored', expectedPath: null,
    note: 'symlink loop: "loop -> .." points at the origin root (its own ancestor); a scan must terminate',
    source: { type: 'symlink', target: '..' },
  });
  add({
    origin: 'origin-b', relPath: 'Loop/self', kind: 'ignored', expectedPath: null,
    note: 'symlink loop: "self -> ." points at its own folder',
    source: { type: 'symlink', target: '.' },
  });

  // --- Junk and broken files (origin-b) -------------------------------------
  add({
    origin: 'origin-b', relPath: 'Junk/empty.flac', kind: 'broken', expectedPath: null,
    pathIfScanned: 'Unknown Artist/Unknown Album/empty.flac',
    note: 'empty file (0 bytes) with an audio extension (music-metadata 11 does not throw on it: no codec, no sample rate)',
    source: { type: 'bytes', data: Buffer.alloc(0) },
  });
  add({
    origin: 'origin-b', relPath: 'Junk/truncated.flac', kind: 'broken',
    expectedPath: 'Trunc Artist/Trunc Album/01 - Cut Short.flac', flexible: true,
    note: 'first 2048 bytes of a real FLAC: fLaC header, STREAMINFO and tags intact, audio frames cut; music-metadata reads the tags, so it may appear (or be rejected)',
    source: { type: 'truncated-tone', format: 'flac', tags: { artist: 'Trunc Artist', album: 'Trunc Album', title: 'Cut Short', track: '1' }, bytes: 2048 },
  });
  add({
    origin: 'origin-b', relPath: 'Junk/noise.mp3', kind: 'broken', expectedPath: null,
    pathIfScanned: 'Unknown Artist/Unknown Album/noise.mp3',
    note: '16 KiB of (seeded) random bytes named .mp3: no real audio stream. music-metadata 11 does NOT throw on it (it reports an ADTS/AAC stream with no sample rate): the scanner must reject a parse without a sample rate',
    source: { type: 'bytes', data: deterministicBytes('musicfs-noise', 16384) },
  });
  add({
    origin: 'origin-b', relPath: 'Junk/not-really.flac', kind: 'broken', expectedPath: null,
    pathIfScanned: 'Unknown Artist/Unknown Album/not-really.flac',
    note: 'a text file named .flac (no fLaC signature)',
    source: { type: 'bytes', data: Buffer.from('This is not a FLAC file.\nJust some notes somebody saved with the wrong name.\n'.repeat(20), 'utf8') },
  });
  add({
    origin: 'origin-b', relPath: 'Junk/actually-ogg.mp3', kind: 'broken',
    expectedPath: 'Unknown Artist/Unknown Album/actually-ogg.mp3', flexible: true,
    alternatePaths: ['Mislabel Artist/Mislabel Album/01 - Wrong Suit.mp3'],
    note: 'a real, tagged Ogg Vorbis file misnamed .mp3 (mislabelled). music-metadata 11 parseFile picks the parser by extension: the MPEG parser finds a bogus "MPEG 1 Layer 1, 32 kHz" frame and no tags → Unknown Artist/Unknown Album/actually-ogg.mp3. A content-sniffing scanner would place it under its Vorbis tags (alternatePaths); skipping it is also acceptable',
    source: tone('ogg', { artist: 'Mislabel Artist', album: 'Mislabel Album', title: 'Wrong Suit', track: '1' }),
  });
  add({
    origin: 'origin-b', relPath: 'Junk/cover.jpg', kind: 'ignored', expectedPath: null,
    note: 'image file: non-audio extension', source: { type: 'bytes', data: JPEG_1X1 },
  });
  add({
    origin: 'origin-b', relPath: 'Junk/notes.txt', kind: 'ignored', expectedPath: null,
    note: 'text file: non-audio extension', source: { type: 'bytes', data: Buffer.from('tracklist:\n1. nothing\n', 'utf8') },
  });

  return list;
}

// ---------------------------------------------------------------------------

const CONCURRENCY = 3;

/**
 * Creates `root/origin-a` and `root/origin-b` (which must not exist yet) and fills them.
 * Temporary renders go to `root/.corpus-scratch`, removed before returning.
 */
export async function makeCorpus(root: string): Promise<Corpus> {
  const origins: Corpus['origins'] = [
    { name: 'origin-a', dir: join(root, 'origin-a') },
    { name: 'origin-b', dir: join(root, 'origin-b') },
  ];
  // Fails when an origin already exists: the corpus is always made from scratch.
  await mkdir(root, { recursive: true });
  for (const o of origins) await mkdir(o.dir);
  const scratch = join(root, '.corpus-scratch');
  await mkdir(scratch, { recursive: true });

  const list = entries();
  const abs = (origin: OriginName, relPath: string): string => join(root, origin, ...relPath.split('/'));

  // Pass 1: everything ffmpeg renders, in parallel. One distinct frequency per recording.
  const jobs: (() => Promise<void>)[] = [];
  let toneIndex = 0;
  for (const e of list) {
    const src = e.source;
    if (src.type !== 'tone' && src.type !== 'truncated-tone') continue;
    const frequency = 220 + 11 * toneIndex++;
    const out = abs(e.origin, e.relPath);
    if (src.type === 'tone') {
      jobs.push(() => renderTone(src.format, src.tags, frequency, out));
    } else {
      const full = join(scratch, `full-${toneIndex}.${src.format}`);
      jobs.push(async () => {
        await renderTone(src.format, src.tags, frequency, full);
        const size = (await stat(full)).size;
        if (size <= src.bytes) throw new Error(`corpus: ${full} is only ${size} bytes, cannot truncate to ${src.bytes}`);
        const fh = await open(full, 'r');
        try {
          const head = Buffer.alloc(src.bytes);
          await fh.read(head, 0, src.bytes, 0);
          await mkdir(dirname(out), { recursive: true });
          await writeFile(out, head);
        } finally {
          await fh.close();
        }
      });
    }
  }
  await runPool(jobs, CONCURRENCY);

  // Pass 2: literal bytes, copies, then symlinks (their targets exist by now).
  for (const e of list) {
    const src = e.source;
    const out = abs(e.origin, e.relPath);
    if (src.type === 'bytes') {
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, src.data);
    } else if (src.type === 'copy') {
      await mkdir(dirname(out), { recursive: true });
      await copyFile(abs(src.origin, src.relPath), out);
    }
  }
  for (const e of list) {
    if (e.source.type !== 'symlink') continue;
    const out = abs(e.origin, e.relPath);
    await mkdir(dirname(out), { recursive: true });
    await symlink(e.source.target, out, 'dir');
  }
  await rm(scratch, { recursive: true, force: true });

  const files: CorpusFile[] = list.map(({ source: _source, ...file }) => file);
  return { root, origins, files };
}

/** Derives what the mount must, may and must not contain from a corpus. */
export function corpusExpectations(corpus: Corpus): CorpusExpectations {
  const required = new Set<string>();
  const optional = new Set<string>();
  const forbidden = new Set<string>();
  const groups = new Map<string, { path: string; members: Set<string> }>();
  for (const f of corpus.files) {
    if (f.pathIfScanned !== undefined) forbidden.add(f.pathIfScanned);
    if (f.expectedPath === null) continue;
    if (f.collisionGroup !== undefined) {
      const g = groups.get(f.collisionGroup) ?? { path: f.expectedPath, members: new Set<string>() };
      g.members.add(`${f.origin}/${f.relPath}`);
      groups.set(f.collisionGroup, g);
    } else if (f.flexible === true) {
      optional.add(f.expectedPath);
      for (const p of f.alternatePaths ?? []) optional.add(p);
    } else {
      required.add(f.expectedPath);
    }
  }
  const collisions = new Map<string, { path: string; count: number }>();
  for (const [name, g] of groups) collisions.set(name, { path: g.path, count: g.members.size });
  return { required, optional, collisions, forbidden };
}

/** `X.flac` → `X (n).flac`: the name the n-th recording on one path gets. */
export function withCollisionSuffix(path: string, n: number): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return dot > slash + 1 ? `${path.slice(0, dot)} (${n})${path.slice(dot)}` : `${path} (${n})`;
}

/** Reads a corpus file's bytes (test convenience). */
export async function readCorpusFile(corpus: Corpus, file: CorpusFile): Promise<Buffer> {
  return readFile(join(corpus.root, file.origin, ...file.relPath.split('/')));
}
