import { ErrorCode, FerryError } from './errors.ts';
import { crc32c } from './crc32c.ts';

/**
 * Field positions of a Kafka RecordBatch v2 header (KIP-98). The broker works on these fields
 * only: it checks the CRC, patches the base offset and leader epoch, and never decodes records
 * on the produce path (DESIGN.md section 4).
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
 *   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
 *   producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records...
 *
 * `batchLength` counts the bytes after itself; the CRC covers `attributes` to the end.
 */
export const BatchField = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;

export const BATCH_HEADER_BYTES = 61;
/** Bytes before the `batchLength` field's count starts: baseOffset + batchLength. */
export const BATCH_LOG_OVERHEAD = 12;
export const CURRENT_MAGIC = 2;
/** Smallest possible uncompressed record in a v2 batch. */
const MIN_RECORD_BYTES = 7;

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof Compression;
export type CompressionCode = (typeof Compression)[CompressionName];

export const Attribute = {
  compressionMask: 0x07,
  logAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const;

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

/** The header fields of one batch, read without touching its records. */
export interface BatchHeader {
  baseOffset: number;
  /** Whole batch size in bytes, including baseOffset and batchLength. */
  sizeBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

// Offsets, timestamps and producer ids are int64 on the wire and `number` in Ferry: exact up to
// 2^53, which no log reaches. Reading the halves avoids a BigInt allocation per batch.
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

export function writeInt64(buf: Buffer, value: number, at: number): void {
  const high = Math.floor(value / 0x1_0000_0000);
  buf.writeInt32BE(high, at);
  buf.writeUInt32BE(value - high * 0x1_0000_0000, at + 4);
}

export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  return {
    baseOffset: readInt64(buf, at + BatchField.baseOffset),
    sizeBytes: buf.readInt32BE(at + BatchField.batchLength) + BATCH_LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(at + BatchField.partitionLeaderEpoch),
    magic: buf.readInt8(at + BatchField.magic),
    crc: buf.readUInt32BE(at + BatchField.crc),
    attributes: buf.readInt16BE(at + BatchField.attributes),
    lastOffsetDelta: buf.readInt32BE(at + BatchField.lastOffsetDelta),
    baseTimestamp: readInt64(buf, at + BatchField.baseTimestamp),
    maxTimestamp: readInt64(buf, at + BatchField.maxTimestamp),
    producerId: readInt64(buf, at + BatchField.producerId),
    producerEpoch: buf.readInt16BE(at + BatchField.producerEpoch),
    baseSequence: buf.readInt32BE(at + BatchField.baseSequence),
    recordCount: buf.readInt32BE(at + BatchField.recordCount),
  };
}

export function batchBaseOffset(buf: Buffer, at = 0): number {
  return readInt64(buf, at + BatchField.baseOffset);
}

export function batchSizeBytes(buf: Buffer, at = 0): number {
  return buf.readInt32BE(at + BatchField.batchLength) + BATCH_LOG_OVERHEAD;
}

export function batchLastOffset(buf: Buffer, at = 0): number {
  return batchBaseOffset(buf, at) + buf.readInt32BE(at + BatchField.lastOffsetDelta);
}

/** The offset after the last whole batch in `records`, or null when there is none. */
export function nextOffsetAfter(records: Buffer): number | null {
  let at = 0;
  let next: number | null = null;
  while (records.length - at >= BATCH_HEADER_BYTES) {
    const size = batchSizeBytes(records, at);
    if (size <= BATCH_LOG_OVERHEAD || at + size > records.length) break;
    next = batchLastOffset(records, at) + 1;
    at += size;
  }
  return next;
}

export function batchMaxTimestamp(buf: Buffer, at = 0): number {
  return readInt64(buf, at + BatchField.maxTimestamp);
}

export function batchCompression(buf: Buffer, at = 0): CompressionCode {
  return (buf.readInt16BE(at + BatchField.attributes) & Attribute.compressionMask) as CompressionCode;
}

export function computeBatchCrc(buf: Buffer, at: number, sizeBytes: number): number {
  return crc32c(buf.subarray(at + BatchField.attributes, at + sizeBytes));
}

export interface BatchCheckLimits {
  /** Largest batch accepted, in bytes (Kafka's `max.message.bytes`). */
  maxBatchBytes: number;
}

/**
 * The framing part of `checkBatch`, without reading records or the CRC: a whole header, a length
 * that fits both the buffer and `maxBatchBytes`, magic 2. Returns the batch size. Storage runs
 * it before queuing an append (to stamp offsets safely) and the full check while the write runs.
 */
export function checkBatchFraming(buf: Buffer, at: number, end: number, limits: BatchCheckLimits): number {
  const available = end - at;
  if (available < BATCH_HEADER_BYTES) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch truncated: ${available} bytes, a header needs ${BATCH_HEADER_BYTES}`, {
      at,
      available,
    });
  }
  const sizeBytes = batchSizeBytes(buf, at);
  if (sizeBytes < BATCH_HEADER_BYTES) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch length ${sizeBytes} is smaller than its header`, { at, sizeBytes });
  }
  if (sizeBytes > limits.maxBatchBytes) {
    throw new FerryError(ErrorCode.MESSAGE_TOO_LARGE, `record batch of ${sizeBytes} bytes exceeds the limit of ${limits.maxBatchBytes}`, {
      at,
      sizeBytes,
      maxBatchBytes: limits.maxBatchBytes,
    });
  }
  if (sizeBytes > available) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch declares ${sizeBytes} bytes but only ${available} follow`, {
      at,
      sizeBytes,
      available,
    });
  }
  const magic = buf.readInt8(at + BatchField.magic);
  if (magic !== CURRENT_MAGIC) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch magic ${magic} is not supported (only v2)`, { at, magic });
  }
  return sizeBytes;
}

/**
 * Checks one batch at `at` and returns its size. Throws CORRUPT_MESSAGE for anything that is not
 * a whole, well-formed v2 batch with a matching CRC, MESSAGE_TOO_LARGE above the limit. Never
 * reads past `end`: a lying length is an error, not an out-of-bounds read.
 */
export function checkBatch(buf: Buffer, at: number, end: number, limits: BatchCheckLimits): number {
  const sizeBytes = checkBatchFraming(buf, at, end, limits);
  const lastOffsetDelta = buf.readInt32BE(at + BatchField.lastOffsetDelta);
  const recordCount = buf.readInt32BE(at + BatchField.recordCount);
  const compression = buf.readInt16BE(at + BatchField.attributes) & Attribute.compressionMask;
  // An uncompressed record takes at least 7 bytes (length, attributes, timestamp delta, offset
  // delta, key length, value length, header count); a compressed batch may hold far more
  // records than bytes (zstd packs 100,000 empty records into 59 KB), so only a sign check there.
  const maxRecords = compression === Compression.none ? (sizeBytes - BATCH_HEADER_BYTES) / MIN_RECORD_BYTES : Number.MAX_SAFE_INTEGER;
  if (lastOffsetDelta < 0 || recordCount < 0 || recordCount > maxRecords) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch has lastOffsetDelta ${lastOffsetDelta} and ${recordCount} records`, {
      at,
      lastOffsetDelta,
      recordCount,
    });
  }
  if (compression > Compression.zstd) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch names unknown compression codec ${compression}`, { at, compression });
  }
  const expected = buf.readUInt32BE(at + BatchField.crc);
  const actual = computeBatchCrc(buf, at, sizeBytes);
  if (expected !== actual) {
    throw new FerryError(
      ErrorCode.CORRUPT_MESSAGE,
      `record batch CRC mismatch: stored ${expected.toString(16)}, computed ${actual.toString(16)}`,
      { at, expected, actual },
    );
  }
  return sizeBytes;
}

/** Offsets are not covered by the CRC, so assigning them is a patch of 8 bytes. */
export function patchBaseOffset(buf: Buffer, at: number, baseOffset: number): void {
  writeInt64(buf, baseOffset, at + BatchField.baseOffset);
}

export function patchPartitionLeaderEpoch(buf: Buffer, at: number, epoch: number): void {
  buf.writeInt32BE(epoch, at + BatchField.partitionLeaderEpoch);
}

/** LogAppendTime topics stamp maxTimestamp, which the CRC covers: recompute it. */
export function patchLogAppendTime(buf: Buffer, at: number, timestampMs: number): void {
  const attributes = buf.readInt16BE(at + BatchField.attributes) | Attribute.logAppendTime;
  buf.writeInt16BE(attributes, at + BatchField.attributes);
  writeInt64(buf, timestampMs, at + BatchField.maxTimestamp);
  const sizeBytes = batchSizeBytes(buf, at);
  buf.writeUInt32BE(computeBatchCrc(buf, at, sizeBytes), at + BatchField.crc);
}
