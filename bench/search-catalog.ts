/**
 * A big, realistic catalog for search benchmarks and tests, written straight
 * into SQLite through `Catalog` (no audio files, no scan).
 *
 * Shape of the default 100,000 tracks: ~5,000 artists (a few with many
 * albums, most with one or two), ~10,000 albums of 1–20 tracks, titles of 1–5
 * words drawn from a word list with a Zipf-like skew (so "love" is everywhere
 * and a few are everywhere; one title in a hundred gets a rare word), ~40 genres, years 1950–2025, ~8% compilations
 * ("Various Artists"), ~15% without an album artist, names with diacritics and
 * in other scripts (Cyrillic, Greek, CJK). Deterministic: the same `n` and
 * `seed` give the same rows. 100,000 tracks take a few seconds.
 *
 * A few fixed albums are always present so tests can count on them:
 * Miles Davis "Kind of Blue" (1959, Jazz, 5 tracks), Beyoncé "Lemonade"
 * (2016, R&B), Björk "Homogenic" (1997, Electronic), 坂本龍一 "音楽図鑑" (1984).
 */
import { silentLogger } from '../src-main/daemon/base/logger.js';
import { Catalog, type TrackUpsert } from '../src-main/daemon/catalog/catalog.js';
import type { TrackTags } from '../src-shared/track.js';
import { Rng } from './rng.js';

export interface SearchCatalogOptions {
  /** PRNG seed: another seed, another catalog of the same shape. */
  seed?: number;
  /** Tracks per transaction. */
  batchSize?: number;
}

export async function makeSearchCatalog(file: string, n = 100_000, options: SearchCatalogOptions = {}): Promise<void> {
  const rng = new Rng(options.seed ?? 1959);
  const batchSize = options.batchSize ?? 5_000;
  const catalog = Catalog.open(file, silentLogger);
  try {
    const origin = catalog.ensureOrigin('bench', '/bench/music', 'local');
    let batch: TrackUpsert[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      catalog.applyChanges(origin.id, { upserts: batch, errors: [], removed: [] });
      batch = [];
      // Let timers and I/O run between batches (the caller may be a test).
      await new Promise<void>((resolve) => setImmediate(resolve));
    };
    let count = 0;
    for (const tags of generateTracks(rng, n)) {
      count++;
      batch.push(toUpsert(tags, count));
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    catalog.close();
  }
}

/**
 * The tags of the tracks `makeSearchCatalog(file, n, { seed })` writes, in
 * the same order: for benchmarks that write them into real audio files.
 */
export function searchCatalogTags(n = 100_000, seed = 1959): Generator<TrackTags> {
  return generateTracks(new Rng(seed), n);
}

// ---------------------------------------------------------------------------
// Generation

interface Album {
  artist: string;
  albumArtist: string | undefined;
  title: string;
  year: number;
  genre: string;
  compilation: boolean;
  trackCount: number;
}

const FIXED_ALBUMS: readonly (Album & { titles: readonly string[] })[] = [
  {
    artist: 'Miles Davis', albumArtist: 'Miles Davis', title: 'Kind of Blue', year: 1959, genre: 'Jazz', compilation: false, trackCount: 5,
    titles: ['So What', 'Freddie Freeloader', 'Blue in Green', 'All Blues', 'Flamenco Sketches'],
  },
  {
    artist: 'Beyoncé', albumArtist: 'Beyoncé', title: 'Lemonade', year: 2016, genre: 'R&B', compilation: false, trackCount: 3,
    titles: ['Formation', 'Hold Up', 'Sorry'],
  },
  {
    artist: 'Björk', albumArtist: 'Björk', title: 'Homogenic', year: 1997, genre: 'Electronic', compilation: false, trackCount: 3,
    titles: ['Jóga', 'Bachelorette', 'Hunter'],
  },
  {
    artist: '坂本龍一', albumArtist: '坂本龍一', title: '音楽図鑑', year: 1984, genre: 'Electronic', compilation: false, trackCount: 2,
    titles: ['Tibetan Dance', '羽の林で'],
  },
];

function* generateTracks(rng: Rng, n: number): Generator<TrackTags> {
  let emitted = 0;
  for (const album of FIXED_ALBUMS) {
    for (let i = 0; i < album.titles.length && emitted < n; i++, emitted++) {
      yield trackTags(album, album.artist, album.titles[i]!, i + 1);
    }
  }
  // ~10 tracks per album and ~2 albums per artist, whatever n is.
  const artists = Array.from({ length: Math.max(1, Math.round(n / 20)) }, (_, i) => artistName(rng, i));
  while (emitted < n) {
    const album = makeAlbum(rng, artists);
    for (let i = 0; i < album.trackCount && emitted < n; i++, emitted++) {
      const artist = album.compilation ? rng.skewed(artists) : album.artist;
      yield trackTags(album, artist, titleOf(rng), i + 1);
    }
  }
}

function trackTags(album: Album, artist: string, title: string, track: number): TrackTags {
  const tags: TrackTags = { artist, album: album.title, title, track, trackTotal: album.trackCount, year: album.year, genre: album.genre, compilation: album.compilation };
  if (album.albumArtist !== undefined) tags.albumArtist = album.albumArtist;
  return tags;
}

function makeAlbum(rng: Rng, artists: readonly string[]): Album {
  const compilation = rng.chance(0.08);
  // A skewed pick: a few artists have dozens of albums, most have one or two.
  const artist = compilation ? 'Various Artists' : rng.skewed(artists, 1.6);
  const albumArtist = compilation ? 'Various Artists' : rng.chance(0.15) ? undefined : artist;
  const words = rng.int(1, 4);
  const title = compilation
    ? `${rng.pick(COMPILATION_PREFIXES)} ${capitalise(rng.skewed(WORDS))} ${rng.int(1, 30)}`
    : Array.from({ length: words }, () => capitalise(rng.skewed(WORDS))).join(' ');
  return { artist, albumArtist, title, year: rng.int(1950, 2025), genre: rng.skewed(GENRES, 1.5), compilation, trackCount: rng.int(1, 20) };
}

function titleOf(rng: Rng): string {
  const words = Array.from({ length: rng.int(1, 5) }, () => rng.skewed(WORDS));
  // About 1 title in 100 gets a rare word (~15 tracks each at 100,000).
  if (rng.chance(0.01)) words.splice(rng.int(0, words.length), 0, rng.pick(RARE_WORDS));
  let title = words.map((w, i) => (i === 0 || w.length > 3 ? capitalise(w) : w)).join(' ');
  if (rng.chance(0.06)) title += ` (${rng.pick(VERSIONS)})`;
  return title;
}

function artistName(rng: Rng, i: number): string {
  const r = rng.float();
  if (r < 0.02) return `${rng.pick(SPECIAL_ARTISTS)}${i < SPECIAL_ARTISTS.length ? '' : ` ${i}`}`;
  if (r < 0.55) return `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}${rng.chance(0.3) ? ` ${rng.pick(LAST_NAMES)}` : ''}`;
  if (r < 0.85) return `The ${rng.pick(BAND_ADJECTIVES)} ${rng.pick(BAND_NOUNS)}`;
  return `${rng.pick(BAND_ADJECTIVES)} ${rng.pick(BAND_NOUNS)}${rng.chance(0.3) ? ` & the ${rng.pick(BAND_NOUNS)}` : ''}`;
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function toUpsert(tags: TrackTags, i: number): TrackUpsert {
  const folder = `${(tags.albumArtist ?? tags.artist ?? 'Unknown').replaceAll('/', '_')}/${(tags.album ?? 'Unknown').replaceAll('/', '_')}`;
  const durationSec = 90 + ((i * 7919) % 420);
  return {
    path: `${folder}/${String(tags.track ?? 0).padStart(2, '0')} ${(tags.title ?? '').replaceAll('/', '_')} [${i}].flac`,
    size: Math.round(durationSec * 110_000),
    mtimeMs: 1_600_000_000_000 + i * 1000,
    fingerprint: i.toString(16).padStart(64, '0'),
    audio: { container: 'FLAC', codec: 'FLAC', durationSec, bitrate: 880_000, sampleRate: 44_100, channels: 2 },
    tags,
  };
}

// ---------------------------------------------------------------------------
// Word lists. WORDS is roughly in order of frequency (skewed picks favour the
// start); the tail holds rare words, diacritics and other scripts.

const WORDS = [
  'love', 'the', 'night', 'you', 'me', 'a', 'of', 'in', 'my', 'heart', 'time', 'day', 'blue', 'home', 'light', 'dream', 'world',
  'baby', 'life', 'rain', 'fire', 'star', 'song', 'way', 'dance', 'girl', 'boy', 'sun', 'moon', 'road', 'river', 'down', 'all',
  'tonight', 'again', 'forever', 'sweet', 'little', 'city', 'summer', 'winter', 'morning', 'black', 'white', 'red', 'gold', 'wild',
  'free', 'lost', 'young', 'old', 'new', 'blues', 'rock', 'soul', 'dark', 'cold', 'hot', 'high', 'low', 'long', 'back', 'away',
  'on', 'to', 'for', 'with', 'without', 'under', 'over', 'into', 'man', 'woman', 'king', 'queen', 'angel', 'devil', 'heaven', 'hell',
  'sky', 'sea', 'ocean', 'wind', 'storm', 'thunder', 'snow', 'ice', 'stone', 'glass', 'paper', 'silver', 'diamond', 'crystal',
  'shadow', 'ghost', 'spirit', 'echo', 'memory', 'story', 'secret', 'promise', 'lie', 'truth', 'kiss', 'touch', 'run', 'walk',
  'fall', 'rise', 'fly', 'burn', 'shine', 'cry', 'smile', 'tears', 'eyes', 'hands', 'blood', 'bones', 'skin', 'name', 'words',
  'music', 'rhythm', 'groove', 'funk', 'jazz', 'radio', 'television', 'machine', 'electric', 'neon', 'highway', 'train', 'station',
  'airport', 'harbour', 'island', 'mountain', 'valley', 'desert', 'forest', 'garden', 'flower', 'rose', 'lily', 'orchid', 'tree',
  'leaves', 'autumn', 'spring', 'april', 'june', 'july', 'december', 'sunday', 'monday', 'friday', 'midnight', 'dawn', 'dusk',
  'twilight', 'horizon', 'paradise', 'freedom', 'revolution', 'kingdom', 'empire', 'castle', 'cathedral', 'temple', 'church',
  'prayer', 'hymn', 'lullaby', 'serenade', 'ballad', 'anthem', 'requiem', 'sonata', 'nocturne', 'prelude', 'interlude', 'overture',
  'symphony', 'concerto', 'fugue', 'étude', 'café', 'naïve', 'déjà', 'vu', 'fiancée', 'über', 'schön', 'straße', 'mädchen', 'señor',
  'corazón', 'canción', 'mañana', 'noche', 'amor', 'été', 'hiver', 'lumière', 'rêve', 'cœur', 'coração', 'saudade', 'lágrimas',
  'fjörd', 'ísland', 'smörgåsbord', 'løve', 'ångström', 'çiçek', 'gönül', 'łza', 'miłość', 'любовь', 'ночь', 'звезда', 'сердце',
  'αγάπη', 'θάλασσα', 'νύχτα', '東京', '夜', '花', '愛', '雨', '月', '桜', '夢', 'さくら', 'ありがとう', '사랑', '바다', 'حب', 'ليل',
  'amethyst', 'labyrinth', 'zephyr', 'quixotic', 'juxtapose', 'kaleidoscope', 'marmalade', 'obsidian', 'periwinkle', 'quasar',
  'rhapsody', 'solstice', 'tangerine', 'ultraviolet', 'vermilion', 'wanderlust', 'xylophone', 'yesteryear', 'zeitgeist', 'zyzzyva',
];

/** Each used in ~1 title in 6,000. */
const RARE_WORDS = [
  'aardvark', 'bumblebee', 'cinnabar', 'dirigible', 'eucalyptus', 'flamingo', 'gondolier', 'hummingbird', 'iguana', 'jackalope',
  'kumquat', 'lighthouse', 'marzipan', 'narwhal', 'origami', 'pangolin', 'quokka', 'rutabaga', 'saxophone', 'tortoise',
  'umbrella', 'vanadium', 'walrus', 'xenon', 'yodel', 'zeppelin', 'axolotl', 'bergamot', 'chrysalis', 'dodecahedron',
  'echidna', 'fennel', 'gazpacho', 'hibiscus', 'isthmus', 'jacaranda', 'kiwano', 'lemming', 'mandolin', 'nebula',
  'ocelot', 'parsnip', 'quince', 'rhubarb', 'sasquatch', 'tamarind', 'ukulele', 'vicuña', 'wombat', 'yuzu',
  'größenwahn', 'pâtisserie', 'smörgås', 'tōfu', 'çay', 'ñandú', 'сковорода', 'χαμαιλέων', '蜻蛉', '向日葵',
];

const FIRST_NAMES = [
  'John', 'Mary', 'James', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Susan', 'Richard',
  'Jessica', 'Joseph', 'Sarah', 'Thomas', 'Karen', 'Charles', 'Nancy', 'Daniel', 'Lisa', 'Matthew', 'Betty', 'Anthony', 'Margaret',
  'Mark', 'Sandra', 'Paul', 'Ashley', 'Steven', 'Emily', 'Andrew', 'Donna', 'Kenneth', 'Michelle', 'Joshua', 'Carol', 'Kevin',
  'Amanda', 'Brian', 'Melissa', 'George', 'Deborah', 'Anna', 'Björn', 'Chloé', 'Dmitri', 'Elif', 'François', 'Greta', 'Hiro',
  'Inès', 'János', 'Kofi', 'Léa', 'Miloš', 'Nadia', 'Oskar', 'Paulo', 'Quinn', 'Renée', 'Søren', 'Tomás', 'Ulla', 'Vera',
  'Wojciech', 'Xavier', 'Yara', 'Zoë', 'Ángel', 'Émile', 'Jürgen', 'Ólafur', 'Miles', 'Nina', 'Ella', 'Billie', 'Aretha', 'Otis',
];
const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez',
  'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White', 'Harris',
  'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen',
  'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Andersson',
  'Brontë', 'Castañeda', 'Dvořák', 'Eriksen', 'Fähnrich', 'Høeg', 'Ivanova', 'Jansen', 'Kovačić', 'Lindqvist', 'Müller',
  'Nørgaard', 'Okafor', 'Pérez', 'Quintana', 'Rossi', 'Sørensen', 'Tanaka', 'Ueda', 'Varga', 'Wiśniewski', 'Xu', 'Yılmaz', 'Żak',
  'Coltrane', 'Monk', 'Mingus', 'Parker', 'Gillespie', 'Ellington', 'Basie', 'Holiday', 'Fitzgerald', 'Simone', 'Redding',
];
const BAND_ADJECTIVES = [
  'Electric', 'Silent', 'Crimson', 'Velvet', 'Northern', 'Golden', 'Broken', 'Neon', 'Midnight', 'Wandering', 'Frozen', 'Hollow',
  'Sunlit', 'Paper', 'Iron', 'Glass', 'Distant', 'Rolling', 'Flying', 'Burning', 'Sleeping', 'Dancing', 'Howling', 'Purple',
  'Arctic', 'Cosmic', 'Lunar', 'Solar', 'Atomic', 'Secret', 'Lonely', 'Happy', 'Savage', 'Gentle', 'Wicked', 'Holy', 'Royal',
  'Black', 'White', 'Red', 'Blue', 'Green', 'Silver', 'Last', 'First', 'Lost', 'Young', 'Old', 'New', 'Dead',
];
const BAND_NOUNS = [
  'Owls', 'Rivers', 'Machines', 'Lanterns', 'Echoes', 'Foxes', 'Satellites', 'Gardens', 'Ghosts', 'Tides', 'Harbours', 'Comets',
  'Mirrors', 'Wolves', 'Orchids', 'Pilots', 'Stones', 'Keys', 'Kings', 'Queens', 'Saints', 'Sinners', 'Angels', 'Demons', 'Birds',
  'Bears', 'Tigers', 'Lions', 'Horses', 'Sparrows', 'Ravens', 'Crows', 'Doves', 'Hearts', 'Bones', 'Shadows', 'Strangers',
  'Brothers', 'Sisters', 'Children', 'Dreamers', 'Drifters', 'Riders', 'Runners', 'Thieves', 'Monks', 'Sailors', 'Soldiers',
  'Lovers', 'Fools', 'Giants', 'Robots', 'Vampires', 'Planets', 'Moons', 'Suns', 'Stars', 'Clouds', 'Waves', 'Flames',
];
const SPECIAL_ARTISTS = [
  'Sigur Rós', 'Motörhead', 'Mötley Crüe', 'Zoë Keating', 'Céline Dion', 'Antonín Dvořák', 'Frédéric Chopin', 'Édith Piaf',
  'Ólafur Arnalds', 'Jóhann Jóhannsson', 'João Gilberto', 'Françoise Hardy', 'Einstürzende Neubauten', 'Die Ärzte',
  'Paco de Lucía', 'Rosalía', 'Tiësto', 'Hüsker Dü', 'Blue Öyster Cult', 'Queensrÿche', '宇多田ヒカル', '椎名林檎', '久石譲',
  'きゃりーぱみゅぱみゅ', '방탄소년단', 'Кино', 'Аквариум', 'Μίκης Θεοδωράκης', 'فيروز', 'AC/DC', 'Sunn O)))', '!!!',
  'Earth, Wind & Fire', 'R.E.M.', 'Guns N’ Roses', 'Simon & Garfunkel', 'Belle and Sebastian', 'The The', 'Kraftwerk', 'Can',
];
const GENRES = [
  'Rock', 'Pop', 'Jazz', 'Electronic', 'Classical', 'Folk', 'Hip-Hop', 'Metal', 'Ambient', 'Soul', 'Reggae', 'Indie', 'Post-Rock',
  'Chanson', 'Blues', 'Country', 'R&B', 'Funk', 'Disco', 'House', 'Techno', 'Trance', 'Drum & Bass', 'Dubstep', 'Punk', 'Grunge',
  'Shoegaze', 'Bossa Nova', 'Samba', 'Flamenco', 'Tango', 'Latin', 'K-Pop', 'J-Pop', 'Soundtrack', 'World', 'Gospel', 'Opera',
  'Singer-Songwriter', 'Experimental', 'Krautrock', 'Música Popular Brasileira',
];
const COMPILATION_PREFIXES = ['Best of', 'Now That’s What I Call', 'Hits of', 'Pure', 'Essential', 'The Sound of', 'Ultimate'];
const VERSIONS = ['Live', 'Remastered', 'Demo', 'Radio Edit', 'Acoustic', 'Remix', 'Live at Budokan', 'Mono Version', '2011 Remaster'];
