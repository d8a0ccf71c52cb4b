import { crc32c } from '../common/crc32c.ts';
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, BatchField, CURRENT_MAGIC, readInt64 } from '../common/record-batch-header.ts';

/** Reads from a file at a position; `readFully` returns fewer bytes only at the end of file. */
export interface PositionalReader {
  readFully(target: Buffer, targetOffset: number, length: number, position: number): Promise<number>;
}

/** One batch seen by a scan. The same object is reused for every batch: copy what you keep. */
export interface ScannedBatch {
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

/** `end`: reached `to`; `stopped`: the callback said stop (position = that batch's start);
 *  `torn`: a batch runs past the end; `corrupt`: a header or CRC is wrong. */
export type ScanStop = 'end' | 'stopped' | 'torn' | 'corrupt';

export interface ScanResult {
  stop: ScanStop;
  /** End of the last good batch (or the stopped batch's start). */
  position: number;
  /** One past the last good batch's last offset, or `minOffset` when there was none. */
  nextOffset: number;
  reason: string;
}

export interface ScanOptions {
  from: number;
  to: number;
  /** The first batch must start at or above this; each next batch above the previous one. */
  minOffset: number;
  /** Check each batch's CRC too (recovery); header checks only otherwise. */
  verifyCrc: boolean;
  /** Read size. Recovery streams big chunks; header scans use small ones. */
  chunkBytes: number;
}

/**
 * Walks the batches of a file range reading chunks, never a whole segment and never a whole
 * batch in memory: a CRC is computed incrementally across chunk boundaries, so a garbage length
 * field costs a bounded read, not an allocation of that size. No file content makes it throw;
 * only a failing read does.
 */
export async function scanBatches(
  reader: PositionalReader,
  options: ScanOptions,
  onBatch: (batch: ScannedBatch) => boolean,
): Promise<ScanResult> {
  const { from, to, verifyCrc } = options;
  const chunk = Buffer.allocUnsafe(Math.max(BATCH_HEADER_BYTES, Math.min(options.chunkBytes, to - from)));
  let chunkStart = from;
  let chunkEnd = from;
  const fill = async (at: number): Promise<void> => {
    const bytesRead = await reader.readFully(chunk, 0, Math.min(chunk.length, to - at), at);
    chunkStart = at;
    chunkEnd = at + bytesRead;
  };
  const batch: ScannedBatch = { position: 0, sizeBytes: 0, baseOffset: 0, lastOffset: 0, maxTimestamp: 0 };
  let position = from;
  let nextOffset = options.minOffset;
  const stop = (kind: ScanStop, reason: string): ScanResult => ({ stop: kind, position, nextOffset, reason });

  while (position < to) {
    if (to - position < BATCH_HEADER_BYTES) return stop('torn', `${to - position} trailing bytes, less than a batch header`);
    if (position < chunkStart || position + BATCH_HEADER_BYTES > chunkEnd) {
      await fill(position);
      if (chunkEnd - position < BATCH_HEADER_BYTES) return stop('torn', `file ends ${chunkEnd - position} bytes into a batch header`);
    }
    const h = position - chunkStart;
    const sizeBytes = chunk.readInt32BE(h + BatchField.batchLength) + BATCH_LOG_OVERHEAD;
    if (sizeBytes < BATCH_HEADER_BYTES) return stop('corrupt', `batch length ${sizeBytes} is smaller than a header`);
    if (sizeBytes > to - position) return stop('torn', `batch of ${sizeBytes} bytes runs past the end (${to - position} bytes left)`);
    const magic = chunk.readInt8(h + BatchField.magic);
    if (magic !== CURRENT_MAGIC) return stop('corrupt', `batch magic ${magic}`);
    const baseOffset = readInt64(chunk, h + BatchField.baseOffset);
    const lastOffsetDelta = chunk.readInt32BE(h + BatchField.lastOffsetDelta);
    if (lastOffsetDelta < 0) return stop('corrupt', `lastOffsetDelta ${lastOffsetDelta}`);
    if (baseOffset < nextOffset || !Number.isSafeInteger(baseOffset + lastOffsetDelta)) {
      return stop('corrupt', `batch offset ${baseOffset} is below the expected ${nextOffset}`);
    }
    const maxTimestamp = readInt64(chunk, h + BatchField.maxTimestamp);
    if (verifyCrc) {
      const storedCrc = chunk.readUInt32BE(h + BatchField.crc);
      const end = position + sizeBytes;
      let crc: number;
      if (end <= chunkEnd) {
        crc = crc32c(chunk.subarray(h + BatchField.attributes, end - chunkStart));
      } else {
        crc = crc32c(chunk.subarray(h + BatchField.attributes, chunkEnd - chunkStart));
        let at = chunkEnd;
        while (at < end) {
          await fill(at);
          if (chunkEnd === at) return stop('torn', 'file ends inside a batch');
          const upTo = Math.min(end, chunkEnd);
          crc = crc32c(chunk.subarray(0, upTo - chunkStart), crc);
          at = upTo;
        }
      }
      if (crc !== storedCrc) return stop('corrupt', `CRC mismatch (stored ${storedCrc.toString(16)}, computed ${crc.toString(16)})`);
    }
    batch.position = position;
    batch.sizeBytes = sizeBytes;
    batch.baseOffset = baseOffset;
    batch.lastOffset = baseOffset + lastOffsetDelta;
    batch.maxTimestamp = maxTimestamp;
    if (!onBatch(batch)) return stop('stopped', 'stopped by caller');
    position += sizeBytes;
    nextOffset = batch.lastOffset + 1;
  }
  return stop('end', 'end of range');
}
