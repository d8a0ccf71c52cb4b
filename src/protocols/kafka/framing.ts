import { ChunkQueue } from '../../common/chunk-queue.ts';
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
  private readonly bytes = new ChunkQueue();
  /** Size of the frame being assembled, or -1 while its prefix is incomplete. */
  private pendingSize = -1;

  constructor(maxRequestBytes: number) {
    this.maxRequestBytes = maxRequestBytes;
  }

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.bytes.length;
  }

  push(chunk: Buffer): void {
    this.bytes.push(chunk);
  }

  /** The next whole frame (without its size prefix), or null until more bytes arrive. */
  next(): Buffer | null {
    if (this.pendingSize < 0) {
      if (this.bytes.length < SIZE_PREFIX_BYTES) return null;
      const size = this.bytes.take(SIZE_PREFIX_BYTES).readInt32BE(0);
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
    if (this.bytes.length < this.pendingSize) return null;
    const frame = this.bytes.take(this.pendingSize);
    this.pendingSize = -1;
    return frame;
  }
}
