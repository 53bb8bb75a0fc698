/**
 * What the catalog knows of one audio file, independent of where it lives.
 * Pure data: shared by the daemon, the CLI and the UI.
 */

/** Tags as read from the file, normalised (trimmed, NFC), absent when the file has none. */
export interface TrackTags {
  artist?: string;
  albumArtist?: string;
  album?: string;
  title?: string;
  track?: number;
  trackTotal?: number;
  disc?: number;
  discTotal?: number;
  year?: number;
  genre?: string;
  compilation: boolean;
}

/** Stream properties as read from the file. */
export interface AudioProperties {
  /** Container/format, e.g. "FLAC", "MPEG", "Ogg", "MPEG-4". */
  container?: string;
  /** Codec, e.g. "FLAC", "MPEG 1 Layer 3", "Opus", "AAC". */
  codec?: string;
  durationSec?: number;
  /** Average bitrate in bits per second. */
  bitrate?: number;
  sampleRate?: number;
  channels?: number;
}

/** Everything the layout needs to name a track in the mount. */
export interface LayoutInput {
  tags: TrackTags;
  audio: AudioProperties;
  /** The file's own name on its origin, without directory and without extension. */
  stem: string;
  /** The file's extension on its origin, lower case, without the dot ("flac"). */
  ext: string;
}
