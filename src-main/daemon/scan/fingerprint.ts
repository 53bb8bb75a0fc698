import { createHash } from 'node:crypto';

/**
 * A content fingerprint that is cheap everywhere, remote origins included:
 * sha256 over the size and the first and last 64 KiB. Tags live at the head
 * (ID3v2, FLAC/Vorbis comments, MP4 moov usually) or the tail (ID3v1, APE),
 * so a retag changes it; two byte-identical files on two origins share it.
 */
export const FINGERPRINT_EDGE_BYTES = 64 * 1024;

/** The byte ranges to read for a file of `size`: one range when head and tail would overlap. */
export function fingerprintRanges(size: number): { position: number; length: number }[] {
  if (size <= 2 * FINGERPRINT_EDGE_BYTES) return [{ position: 0, length: size }];
  return [
    { position: 0, length: FINGERPRINT_EDGE_BYTES },
    { position: size - FINGERPRINT_EDGE_BYTES, length: FINGERPRINT_EDGE_BYTES },
  ];
}

/** Hex sha256 of `size` (as 8 bytes, big-endian) followed by the parts from `fingerprintRanges`. */
export function fingerprintOf(size: number, parts: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  const sizeBytes = Buffer.alloc(8);
  sizeBytes.writeBigUInt64BE(BigInt(size));
  hash.update(sizeBytes);
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
