/**
 * A byte budget refilled at a fixed rate, shared by every connection of a
 * FaultProxy (so N parallel downloads split the cap instead of each getting
 * it). Callers ask for at most `pieceBytes` at a time and, when refused, come
 * back after the number of ms `take` returned; nothing here owns a timer.
 */

/** One piece is this many ms of traffic at the current rate (bounded below). */
const PIECE_MS = 20;
const MAX_PIECE_BYTES = 64 * 1024;

export class TokenBucket {
  private bytesPerSecond: number | undefined;
  private tokens = 0;
  private refilledAtMs = performance.now();

  /** True while a cap is set. */
  get limited(): boolean {
    return this.bytesPerSecond !== undefined;
  }

  /** The largest amount one `take` may ask for (also the burst size). */
  get pieceBytes(): number {
    if (this.bytesPerSecond === undefined) return MAX_PIECE_BYTES;
    return Math.max(1, Math.min(MAX_PIECE_BYTES, Math.floor((this.bytesPerSecond * PIECE_MS) / 1000)));
  }

  /** `undefined` removes the cap. A new cap starts with one piece of burst. */
  setRate(bytesPerSecond: number | undefined): void {
    if (bytesPerSecond !== undefined && !(bytesPerSecond > 0)) throw new RangeError(`bandwidth must be > 0 bytes/s, got ${bytesPerSecond}`);
    this.bytesPerSecond = bytesPerSecond;
    this.tokens = this.pieceBytes;
    this.refilledAtMs = performance.now();
  }

  /** Takes `bytes` (≤ pieceBytes) and returns 0, or takes nothing and returns the ms to wait before asking again. */
  take(bytes: number): number {
    const rate = this.bytesPerSecond;
    if (rate === undefined) return 0;
    this.refill(rate);
    if (this.tokens >= bytes) {
      this.tokens -= bytes;
      return 0;
    }
    return Math.max(1, Math.ceil(((bytes - this.tokens) * 1000) / rate));
  }

  private refill(rate: number): void {
    const now = performance.now();
    this.tokens = Math.min(this.pieceBytes, this.tokens + ((now - this.refilledAtMs) * rate) / 1000);
    this.refilledAtMs = now;
  }
}
