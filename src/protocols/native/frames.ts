import { ChunkQueue } from '../../common/chunk-queue.ts';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import { FRAME_HEADER_BYTES, FrameType, LENGTH_PREFIX_BYTES } from './constants.ts';

/**
 * Framing of the native protocol (docs/native-protocol.md section 2):
 *
 *   length u32 | frameType u8 | apiKey u16 | apiVersion u16 | correlationId u32 | flags u8 | body
 *
 * `length` counts everything after itself (header + body). Big-endian throughout.
 */
export interface FrameHeader {
  type: FrameType;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  flags: number;
}

export interface Frame extends FrameHeader {
  body: Buffer;
  /** Whole frame on the wire, length prefix included (what in-flight limits count). */
  sizeBytes: number;
}

/** Header + length prefix for a body of `bodyBytes`: lets a writer send `[header, ...bodyParts]`
 *  without copying a large body (fetch responses carry stored batches as they are). */
export function encodeFrameHeader(header: FrameHeader, bodyBytes: number): Buffer {
  const buf = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + FRAME_HEADER_BYTES);
  buf.writeUInt32BE(FRAME_HEADER_BYTES + bodyBytes, 0);
  buf.writeUInt8(header.type, 4);
  buf.writeUInt16BE(header.apiKey, 5);
  buf.writeUInt16BE(header.apiVersion, 7);
  buf.writeUInt32BE(header.correlationId >>> 0, 9);
  buf.writeUInt8(header.flags, 13);
  return buf;
}

/** One contiguous frame (copies the body parts once). */
export function encodeFrame(header: FrameHeader, body: Buffer | readonly Buffer[]): Buffer {
  const parts = Buffer.isBuffer(body) ? [body] : body;
  let bodyBytes = 0;
  for (const part of parts) bodyBytes += part.length;
  return Buffer.concat([encodeFrameHeader(header, bodyBytes), ...parts], LENGTH_PREFIX_BYTES + FRAME_HEADER_BYTES + bodyBytes);
}

function isFrameType(value: number): value is FrameType {
  return value >= FrameType.request && value <= FrameType.error;
}

/** Parses a header + body slice (without the length prefix). Throws INVALID_REQUEST. */
export function parseFrame(frameBytes: Buffer): Frame {
  if (frameBytes.length < FRAME_HEADER_BYTES) {
    throw new FerryError(
      ErrorCode.INVALID_REQUEST,
      `frame of ${frameBytes.length} bytes is shorter than its ${FRAME_HEADER_BYTES}-byte header`,
      {
        frameBytes: frameBytes.length,
      },
    );
  }
  const type = frameBytes.readUInt8(0);
  if (!isFrameType(type)) {
    throw new FerryError(ErrorCode.INVALID_REQUEST, `unknown frame type ${type}`, { frameType: type });
  }
  return {
    type,
    apiKey: frameBytes.readUInt16BE(1),
    apiVersion: frameBytes.readUInt16BE(3),
    correlationId: frameBytes.readUInt32BE(5),
    flags: frameBytes.readUInt8(9),
    body: frameBytes.subarray(FRAME_HEADER_BYTES),
    sizeBytes: LENGTH_PREFIX_BYTES + frameBytes.length,
  };
}

/**
 * Incremental frame parser: a small state machine over a list of socket chunks. A frame lying
 * inside one chunk is returned as a view of it (no copy); only a frame spanning chunks is copied,
 * once, into a buffer of its exact size. The length is checked against `maxFrameBytes` before
 * anything is allocated, so a lying length costs nothing but the error.
 *
 * After `next()` throws, framing is lost: the caller closes the connection.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  private readonly bytes = new ChunkQueue();
  /** Index of the first chunk with unread bytes, and the read position inside it. */
  /** Length field of the frame being assembled, or -1 while the prefix is incomplete. */
  private pendingLength = -1;
  private failure: FerryError | null = null;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.bytes.length;
  }

  push(chunk: Buffer): void {
    this.bytes.push(chunk);
  }

  /** The next whole frame, or null until more bytes arrive. Throws FRAME_TOO_LARGE or
   *  INVALID_REQUEST when the stream cannot be framed. */
  next(): Frame | null {
    if (this.failure) throw this.failure;
    if (this.pendingLength < 0) {
      if (this.bytes.length < LENGTH_PREFIX_BYTES) return null;
      const length = this.bytes.take(LENGTH_PREFIX_BYTES).readUInt32BE(0);
      if (length > this.maxFrameBytes) {
        this.failure = new FerryError(ErrorCode.FRAME_TOO_LARGE, `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`, {
          frameBytes: length,
          maxFrameBytes: this.maxFrameBytes,
        });
        throw this.failure;
      }
      if (length < FRAME_HEADER_BYTES) {
        this.failure = new FerryError(
          ErrorCode.INVALID_REQUEST,
          `frame length ${length} is shorter than the ${FRAME_HEADER_BYTES}-byte header`,
          {
            frameBytes: length,
          },
        );
        throw this.failure;
      }
      this.pendingLength = length;
    }
    if (this.bytes.length < this.pendingLength) return null;
    const frameBytes = this.bytes.take(this.pendingLength);
    this.pendingLength = -1;
    try {
      return parseFrame(frameBytes);
    } catch (error) {
      this.failure = error as FerryError;
      throw error;
    }
  }
}

/** Pure helper for tests and fuzzing: every whole frame in `bytes`, or the typed error that
 *  stopped framing. Trailing bytes of an incomplete frame are reported as `remainingBytes`. */
export function decodeFrames(bytes: Buffer, maxFrameBytes: number): { frames: Frame[]; error: FerryError | null; remainingBytes: number } {
  const decoder = new FrameDecoder(maxFrameBytes);
  decoder.push(bytes);
  const frames: Frame[] = [];
  try {
    for (let frame = decoder.next(); frame; frame = decoder.next()) frames.push(frame);
  } catch (error) {
    return { frames, error: error as FerryError, remainingBytes: decoder.bufferedBytes };
  }
  return { frames, error: null, remainingBytes: decoder.bufferedBytes };
}
