import { ErrorCode, FerryError } from '../common/errors.ts';
import { BatchField, checkBatch } from '../common/record-batch-header.ts';
import { MAX_SEGMENT_BYTES } from './log-config.ts';

/** What an append holds, learned while checking it. */
export interface AppendShape {
  batchCount: number;
  /** Offsets the batches take: the sum of lastOffsetDelta + 1. */
  offsetCount: number;
  sizeBytes: number;
}

/**
 * Checks every batch of an append before anything is queued, so a bad one refuses the whole
 * append with nothing written: CORRUPT_MESSAGE (truncated, bad length, magic, CRC),
 * MESSAGE_TOO_LARGE (a batch above maxBatchBytes), INVALID_RECORD (offset delta and record
 * count disagree: offsets would not be dense).
 */
export function checkAppend(batches: Buffer, maxBatchBytes: number, shape: AppendShape): void {
  const end = batches.length;
  if (end === 0) throw new FerryError(ErrorCode.CORRUPT_MESSAGE, 'append holds no record batch', { sizeBytes: 0 });
  if (end > MAX_SEGMENT_BYTES) {
    throw new FerryError(ErrorCode.MESSAGE_TOO_LARGE, `append of ${end} bytes cannot fit in a segment`, { sizeBytes: end });
  }
  let at = 0;
  let batchCount = 0;
  let offsetCount = 0;
  const limits = { maxBatchBytes };
  while (at < end) {
    const sizeBytes = checkBatch(batches, at, end, limits);
    const lastOffsetDelta = batches.readInt32BE(at + BatchField.lastOffsetDelta);
    const recordCount = batches.readInt32BE(at + BatchField.recordCount);
    if (recordCount !== lastOffsetDelta + 1) {
      throw new FerryError(ErrorCode.INVALID_RECORD, `record batch has ${recordCount} records but lastOffsetDelta ${lastOffsetDelta}`, {
        at,
        recordCount,
        lastOffsetDelta,
      });
    }
    offsetCount += recordCount;
    batchCount++;
    at += sizeBytes;
  }
  // A segment's offsets are int32 relative to its base: one append must fit in one segment.
  if (offsetCount > 0x7fff_ffff) {
    throw new FerryError(ErrorCode.INVALID_RECORD, `append claims ${offsetCount} records`, { offsetCount });
  }
  shape.batchCount = batchCount;
  shape.offsetCount = offsetCount;
  shape.sizeBytes = end;
}
