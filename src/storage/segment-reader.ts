import { ErrorCode, FerryError } from '../common/errors.ts';
import { BATCH_HEADER_BYTES, batchBaseOffset, batchLastOffset, batchSizeBytes } from '../common/record-batch-header.ts';
import type { PositionalReader } from './batch-scanner.ts';
import type { ReadBufferPool } from './read-buffers.ts';

export interface SegmentReadRequest {
  /** A batch start at or before the batch holding `offset` (from the index or a read cache). */
  startPosition: number;
  /** Committed end of the segment: nothing at or past it is read. */
  endPosition: number;
  offset: number;
  maxBytes: number;
  /** Exclusive: no batch starting at or above it is returned. */
  maxOffset: number;
  /** Extra bytes to read beyond maxBytes to cover the skip from startPosition to the batch. */
  slackBytes: number;
  /** A batch claiming more is corrupt (bounds what a damaged length can make us allocate). */
  maxBatchBytes: number;
}

export interface SegmentReadResult {
  data: Buffer;
  /** File position just past the last batch returned. */
  endPosition: number;
  /** One past the last offset of the last batch returned. */
  nextOffset: number;
}

function corruptAt(filePath: string, position: number, why: string): FerryError {
  return new FerryError(ErrorCode.CORRUPT_MESSAGE, `corrupt batch in ${filePath} at position ${position}: ${why}`, {
    file: filePath,
    position,
  });
}

/**
 * Whole batches from the one holding `offset`, up to `maxBytes` (at least one batch). Usually one
 * positional read: from the index position, maxBytes plus the index interval, then the batch is
 * found by walking headers in memory and the result is a view of that same buffer. Returns null
 * when no batch at or after `offset` starts below `maxOffset` in this segment.
 */
export async function readSegmentBatches(
  file: PositionalReader & { readonly path: string },
  buffers: ReadBufferPool,
  request: SegmentReadRequest,
): Promise<SegmentReadResult | null> {
  const { endPosition, offset, maxOffset } = request;
  const maxBytes = Math.max(0, request.maxBytes);
  let position = request.startPosition;
  let slackBytes = request.slackBytes;
  let minWant = BATCH_HEADER_BYTES;
  for (;;) {
    const remaining = endPosition - position;
    if (remaining < BATCH_HEADER_BYTES) return null;
    const want = Math.min(remaining, Math.max(maxBytes + slackBytes, minWant));
    const buffer = buffers.take(want);
    const bytesRead = await file.readFully(buffer, 0, want, position);
    let at = 0;
    let isFound = false;
    while (at + BATCH_HEADER_BYTES <= bytesRead) {
      const sizeBytes = batchSizeBytes(buffer, at);
      if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > request.maxBatchBytes) {
        throw corruptAt(file.path, position + at, `length ${sizeBytes}`);
      }
      if (batchLastOffset(buffer, at) >= offset) {
        isFound = true;
        break;
      }
      at += sizeBytes;
    }
    if (!isFound) {
      buffers.trim(buffer, 0);
      if (at === 0) throw corruptAt(file.path, position, `short read of ${bytesRead} bytes`);
      position += at;
      slackBytes = 0;
      continue;
    }
    if (batchBaseOffset(buffer, at) >= maxOffset) {
      buffers.trim(buffer, 0);
      return null;
    }
    const firstSize = batchSizeBytes(buffer, at);
    if (at + firstSize > bytesRead) {
      buffers.trim(buffer, 0);
      if (at === 0 && (bytesRead < want || minWant >= firstSize)) {
        throw corruptAt(file.path, position, `batch of ${firstSize} bytes but only ${bytesRead} could be read`);
      }
      // Read again from the batch itself, big enough for all of it.
      position += at;
      slackBytes = 0;
      minWant = firstSize;
      continue;
    }
    let end = at + firstSize;
    let nextOffset = batchLastOffset(buffer, at) + 1;
    while (end + BATCH_HEADER_BYTES <= bytesRead) {
      const sizeBytes = batchSizeBytes(buffer, end);
      if (sizeBytes < BATCH_HEADER_BYTES || end + sizeBytes > bytesRead || end + sizeBytes - at > maxBytes) break;
      if (batchBaseOffset(buffer, end) >= maxOffset) break;
      nextOffset = batchLastOffset(buffer, end) + 1;
      end += sizeBytes;
    }
    return { data: buffers.trim(buffer, end).subarray(at), endPosition: position + end, nextOffset };
  }
}
