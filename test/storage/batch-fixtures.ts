/**
 * Builds RecordBatch v2 bytes with a correct header and CRC around opaque record bytes. Storage
 * never decodes records, so the tests need nothing more (the codec's full encoder lives in
 * src/common/record-batch.ts).
 */
import {
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD,
  BatchField,
  batchBaseOffset,
  batchLastOffset,
  batchMaxTimestamp,
  batchSizeBytes,
  computeBatchCrc,
  CURRENT_MAGIC,
  writeInt64,
} from '../../src/common/record-batch-header.ts';

/** The smallest encoded record (attributes, deltas, lengths): checkBatch's bound per record. */
export const MIN_RECORD_BYTES = 7;

export interface TestBatchOptions {
  /** Records claimed by the header (lastOffsetDelta = records - 1). Default 1. */
  records?: number;
  /** Opaque bytes after the header. Default 32 bytes derived from `fill`. */
  payloadBytes?: number;
  payload?: Buffer;
  /** Byte the default payload is made of. Default 0x61. */
  fill?: number;
  baseTimestamp?: number;
  /** Default baseTimestamp + records - 1. */
  maxTimestamp?: number;
  attributes?: number;
  magic?: number;
}

export function buildBatch(options: TestBatchOptions = {}): Buffer {
  const records = options.records ?? 1;
  const payload = options.payload ?? Buffer.alloc(options.payloadBytes ?? Math.max(32, records * MIN_RECORD_BYTES), options.fill ?? 0x61);
  if ((options.attributes ?? 0) % 8 === 0 && payload.length < records * MIN_RECORD_BYTES) {
    // checkBatch refuses an uncompressed batch with fewer bytes than its records need.
    throw new Error(`test batch of ${records} records needs at least ${records * MIN_RECORD_BYTES} payload bytes`);
  }
  const batch = Buffer.alloc(BATCH_HEADER_BYTES + payload.length);
  const baseTimestamp = options.baseTimestamp ?? 1_700_000_000_000;
  writeInt64(batch, 0, BatchField.baseOffset);
  batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, BatchField.batchLength);
  batch.writeInt32BE(-1, BatchField.partitionLeaderEpoch);
  batch.writeInt8(options.magic ?? CURRENT_MAGIC, BatchField.magic);
  batch.writeInt16BE(options.attributes ?? 0, BatchField.attributes);
  batch.writeInt32BE(records - 1, BatchField.lastOffsetDelta);
  writeInt64(batch, baseTimestamp, BatchField.baseTimestamp);
  writeInt64(batch, options.maxTimestamp ?? baseTimestamp + records - 1, BatchField.maxTimestamp);
  writeInt64(batch, -1, BatchField.producerId);
  batch.writeInt16BE(-1, BatchField.producerEpoch);
  batch.writeInt32BE(-1, BatchField.baseSequence);
  batch.writeInt32BE(records, BatchField.recordCount);
  payload.copy(batch, BATCH_HEADER_BYTES);
  batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), BatchField.crc);
  return batch;
}

/** Several batches back to back, as one append carries them. */
export function buildBatches(count: number, options: TestBatchOptions = {}): Buffer {
  return Buffer.concat(Array.from({ length: count }, () => buildBatch(options)));
}

export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  sizeBytes: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
  payload: Buffer;
}

/** Walks whole batches of a read result. Throws if the bytes are not whole batches. */
export function parseBatches(data: Buffer): StoredBatch[] {
  const out: StoredBatch[] = [];
  let at = 0;
  while (at < data.length) {
    const sizeBytes = batchSizeBytes(data, at);
    if (sizeBytes < BATCH_HEADER_BYTES || at + sizeBytes > data.length) throw new Error(`not a whole batch at ${at}`);
    out.push({
      baseOffset: batchBaseOffset(data, at),
      lastOffset: batchLastOffset(data, at),
      sizeBytes,
      maxTimestamp: batchMaxTimestamp(data, at),
      partitionLeaderEpoch: data.readInt32BE(at + BatchField.partitionLeaderEpoch),
      payload: Buffer.from(data.subarray(at + BATCH_HEADER_BYTES, at + sizeBytes)),
    });
    at += sizeBytes;
  }
  return out;
}
