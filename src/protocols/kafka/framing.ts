import { ErrorCode, FerryError } from '../../common/errors.ts';

/** A request frame starts with int32 size, then apiKey int16, apiVersion int16, correlationId int32. */
export const SIZE_PREFIX_BYTES = 4;
export const MIN_REQUEST_BYTES = 8;

/**
 * Splits a byte stream into Kafka request frames: `int32 size` then `size` bytes. A small state
 * machine over the socket's chunks: a frame inside one chunk is returned as a view of it (no
 * copy); a frame spanning chunks is copied once into a buffer of its exact size. The size is
 * checked against `maxRequestBytes` before anything is allocated, so a lying size costs nothing.
 *
 * After `next()` throws, framing is lost and the caller closes the connection (as Kafka does).
 */
export class FrameSplitter {
  readonly maxRequestBytes: number;
  private chunks: Buffer[] = [];
  private head = 0;
  private headOffset = 0;
  private buffered = 0;
  /** Size of the frame being assembled, or -1 while its prefix is incomplete. */
  private pendingSize = -1;

  constructor(maxRequestBytes: number) {
    this.maxRequestBytes = maxRequestBytes;
  }

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next whole frame (without its size prefix), or null until more bytes arrive. */
  next(): Buffer | null {
    if (this.pendingSize < 0) {
      if (this.buffered < SIZE_PREFIX_BYTES) return null;
      const size = this.take(SIZE_PREFIX_BYTES).readInt32BE(0);
      if (size > this.maxRequestBytes) {
        throw new FerryError(ErrorCode.FRAME_TOO_LARGE, `request of ${size} bytes exceeds the limit of ${this.maxRequestBytes}`, {
          sizeBytes: size,
          maxRequestBytes: this.maxRequestBytes,
        });
      }
      if (size < MIN_REQUEST_BYTES) {
        throw new FerryError(ErrorCode.INVALID_REQUEST, `request size ${size} is smaller than a request header`, { sizeBytes: size });
      }
      this.pendingSize = size;
    }
    if (this.buffered < this.pendingSize) return null;
    const frame = this.take(this.pendingSize);
    this.pendingSize = -1;
    return frame;
  }

  /** Removes `n` buffered bytes (n <= buffered): a view when they lie in one chunk. */
  private take(n: number): Buffer {
    const first = this.chunks[this.head]!;
    let out: Buffer;
    if (first.length - this.headOffset >= n) {
      out = first.subarray(this.headOffset, this.headOffset + n);
      this.headOffset += n;
      if (this.headOffset === first.length) this.dropHead();
    } else {
      out = Buffer.allocUnsafe(n);
      let written = 0;
      while (written < n) {
        const chunk = this.chunks[this.head]!;
        const count = Math.min(n - written, chunk.length - this.headOffset);
        chunk.copy(out, written, this.headOffset, this.headOffset + count);
        written += count;
        this.headOffset += count;
        if (this.headOffset === chunk.length) this.dropHead();
      }
    }
    this.buffered -= n;
    return out;
  }

  private dropHead(): void {
    this.head++;
    this.headOffset = 0;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 64) {
      // Compact now and then rather than shift() per chunk (O(n) each).
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
