import { ErrorCode, FerryError } from '../common/errors.ts';
import { BatchField, checkBatch, checkBatchFraming } from '../common/record-batch-header.ts';
import { MAX_SEGMENT_BYTES } from './log-config.ts';

/** What an append holds, learned while checking it. */
export interface AppendShape {
  batchCount: number;
  /** Offsets the batches take: the sum of lastOffsetDelta + 1. */
  offsetCount: number;
  sizeBytes: number;
}

const MAX_INT32 = 0x7fff_ffff;

/**
 * The header checks the writer relies on to stamp offsets into an append safely, without its
 * CRCs: whole batches (every length inside the buffer), magic 2, no batch above maxBatchBytes,
 * and dense offsets (lastOffsetDelta + 1 = record count). Throws CORRUPT_MESSAGE,
 * MESSAGE_TOO_LARGE or INVALID_RECORD before anything is queued. The full check of each batch
 * (`verifyAppend`, CRC included) follows while the write runs.
 */
export function checkAppendShape(batches: Buffer, maxBatchBytes: number, shape: AppendShape): void {
  const end = batches.length;
  if (end === 0) throw new FerryError(ErrorCode.CORRUPT_MESSAGE, 'append holds no record batch', { sizeBytes: 0 });
  if (end > MAX_SEGMENT_BYTES) {
    throw new FerryError(ErrorCode.MESSAGE_TOO_LARGE, `append of ${end} bytes cannot fit in a segment`, { sizeBytes: end });
  }
  const limits = { maxBatchBytes };
  let at = 0;
  let batchCount = 0;
  let offsetCount = 0;
  while (at < end) {
    const sizeBytes = checkBatchFraming(batches, at, end, limits);
    const lastOffsetDelta = batches.readInt32BE(at + BatchField.lastOffsetDelta);
    const recordCount = batches.readInt32BE(at + BatchField.recordCount);
    if (lastOffsetDelta < 0 || recordCount !== lastOffsetDelta + 1) {
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
  if (offsetCount > MAX_INT32) {
    throw new FerryError(ErrorCode.INVALID_RECORD, `append claims ${offsetCount} records`, { offsetCount });
  }
  shape.batchCount = batchCount;
  shape.offsetCount = offsetCount;
  shape.sizeBytes = end;
}

/** checkBatch (CRC and all) on every batch of an append whose shape was checked; the error, or
 *  null when every batch is valid. Offsets and the leader epoch are outside the CRC, so this
 *  holds before and after they are stamped. */
export function verifyAppend(batches: Buffer, maxBatchBytes: number): FerryError | null {
  const limits = { maxBatchBytes };
  try {
    for (let at = 0; at < batches.length; ) at += checkBatch(batches, at, batches.length, limits);
    return null;
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
}
