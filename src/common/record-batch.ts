import { BufferReader, utf8Size, varintSize, varlongSize, writeInt64At, writeVarintAt, writeVarlongAt } from './binary.ts';
import { type CompressOptions, compress, compressionName, type DecompressOptions, decompress } from './compression.ts';
import { crc32c } from './crc32c.ts';
import { ErrorCode, FerryError } from './errors.ts';
import {
  Attribute,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD,
  BatchField,
  type BatchHeader,
  Compression,
  type CompressionName,
  CURRENT_MAGIC,
  computeBatchCrc,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  readBatchHeader,
} from './record-batch-header.ts';

/**
 * Records inside a Kafka RecordBatch v2 (KIP-98; the protocol guide's "Record" section):
 *
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint (-1 null) | key | valueLength varint (-1 null) | value |
 *   headerCount varint | [headerKeyLength varint | headerKey utf8 | headerValueLength varint (-1 null) | value]...
 *
 * The batch header itself lives in record-batch-header.ts (the broker's view: no records).
 * Compression covers the whole records section (everything after the 61-byte header).
 *
 * Decoded keys, values and header values are **views** into the input (or into the decompressed
 * records): copy them if they must outlive a buffer that is reused.
 */

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A record as consumers see it: absolute offset and timestamp. */
export interface Record {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Alias of `Record` for modules that also use TypeScript's `Record<K, V>`. */
export type DecodedRecord = Record;

/** A record to encode. Missing key/value are null; a missing timestamp is the batch's `now`. */
export interface ProducerRecord {
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: readonly RecordHeader[];
  timestamp?: number;
}

export type TimestampType = 'create' | 'logAppend';

export interface EncodeBatchInput {
  records: readonly ProducerRecord[];
  /** Default 0: the broker assigns the real base offset by patching the header. */
  baseOffset?: number;
  compression?: CompressionName;
  compressionLevel?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  timestampType?: TimestampType;
  /** Timestamp (ms) for records without one; default Date.now(), read once per batch. */
  now?: number;
}

export interface DecodeOptions extends DecompressOptions {
  /** Default true. Only skip for bytes this process checked already (e.g. at append). */
  verifyCrc?: boolean;
}

export interface DecodedBatch {
  header: BatchHeader;
  compression: CompressionName;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  records: Record[];
}

// ------------------------------------------------------------------------- encode

/** Sizes computed in the first pass, reused by the second: no per-record arrays or objects. */
let recordSizes = new Int32Array(1024);
/** Records are encoded here before compression; kept between calls up to SCRATCH_RETAIN_BYTES. */
let scratch = Buffer.allocUnsafe(64 * 1024);
const SCRATCH_RETAIN_BYTES = 4 * 1024 * 1024;
const MAX_BATCH_BYTES = 0x7fff_ffff;

/**
 * Encodes one RecordBatch v2: sizes every record first, then writes header and records into one
 * buffer of the exact size (uncompressed) or into a reused scratch buffer that is compressed.
 * Fills lastOffsetDelta, baseTimestamp (the first record's), maxTimestamp, recordCount and the
 * CRC32C. Throws INVALID_RECORD for an empty batch or a bad timestamp.
 */
export function encodeRecordBatch(input: EncodeBatchInput): Buffer {
  const records = input.records;
  const count = records.length;
  if (count === 0) throw new FerryError(ErrorCode.INVALID_RECORD, 'a record batch needs at least one record');
  const codec = input.compression ?? 'none';
  const codecBits = Compression[codec];
  if (codecBits === undefined) {
    throw new FerryError(ErrorCode.UNSUPPORTED_COMPRESSION, `unknown compression codec ${String(codec)}`, { codec });
  }
  if (recordSizes.length < count) recordSizes = new Int32Array(Math.max(count, recordSizes.length * 2));
  const sizes = recordSizes;

  // Pass 1: timestamps and sizes.
  let now = input.now;
  let firstTimestamp = 0;
  let maxTimestamp = 0;
  let recordsBytes = 0;
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    let timestamp = record.timestamp;
    if (timestamp === undefined) timestamp = now ??= Date.now();
    else if (!Number.isSafeInteger(timestamp)) {
      throw new FerryError(ErrorCode.INVALID_RECORD, `record ${i} has timestamp ${timestamp}, not an integer of ms`, { index: i });
    }
    if (i === 0) firstTimestamp = maxTimestamp = timestamp;
    else if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const key = record.key;
    const value = record.value;
    let size = 1 + varlongSize(timestamp - firstTimestamp) + varintSize(i);
    size += key == null ? 1 : varintSize(key.length) + key.length;
    size += value == null ? 1 : varintSize(value.length) + value.length;
    const headers = record.headers;
    if (headers === undefined || headers.length === 0) {
      size += 1;
    } else {
      size += varintSize(headers.length);
      for (let h = 0; h < headers.length; h++) {
        const header = headers[h]!;
        const keyBytes = utf8Size(header.key);
        size += varintSize(keyBytes) + keyBytes;
        size += header.value == null ? 1 : varintSize(header.value.length) + header.value.length;
      }
    }
    sizes[i] = size;
    recordsBytes += varintSize(size) + size;
  }
  if (recordsBytes > MAX_BATCH_BYTES - BATCH_HEADER_BYTES) {
    throw new FerryError(ErrorCode.MESSAGE_TOO_LARGE, `record batch of ${recordsBytes} bytes is too large to encode`, { recordsBytes });
  }

  // Pass 2: records, straight into the output when uncompressed.
  let out: Buffer;
  if (codec === 'none') {
    out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + recordsBytes);
    writeRecords(out, BATCH_HEADER_BYTES, records, sizes, firstTimestamp, now ?? 0);
  } else {
    const buffer = recordsBytes <= scratch.length ? scratch : Buffer.allocUnsafe(recordsBytes);
    if (buffer !== scratch && recordsBytes <= SCRATCH_RETAIN_BYTES) scratch = buffer;
    writeRecords(buffer, 0, records, sizes, firstTimestamp, now ?? 0);
    const options: CompressOptions = input.compressionLevel === undefined ? {} : { level: input.compressionLevel };
    const compressed = compress(codec, buffer.subarray(0, recordsBytes), options);
    out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + compressed.length);
    compressed.copy(out, BATCH_HEADER_BYTES);
  }

  let attributes = codecBits;
  if (input.timestampType === 'logAppend') attributes |= Attribute.logAppendTime;
  if (input.isTransactional) attributes |= Attribute.transactional;
  if (input.isControl) attributes |= Attribute.control;
  writeInt64At(out, BatchField.baseOffset, input.baseOffset ?? 0);
  out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, BatchField.batchLength);
  out.writeInt32BE(input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, BatchField.partitionLeaderEpoch);
  out.writeInt8(CURRENT_MAGIC, BatchField.magic);
  out.writeInt16BE(attributes, BatchField.attributes);
  out.writeInt32BE(count - 1, BatchField.lastOffsetDelta);
  writeInt64At(out, BatchField.baseTimestamp, firstTimestamp);
  writeInt64At(out, BatchField.maxTimestamp, maxTimestamp);
  writeInt64At(out, BatchField.producerId, input.producerId ?? NO_PRODUCER_ID);
  out.writeInt16BE(input.producerEpoch ?? NO_PRODUCER_EPOCH, BatchField.producerEpoch);
  out.writeInt32BE(input.baseSequence ?? NO_SEQUENCE, BatchField.baseSequence);
  out.writeInt32BE(count, BatchField.recordCount);
  out.writeUInt32BE(crc32c(out.subarray(BatchField.attributes)), BatchField.crc);
  return out;
}

function writeRecords(
  buf: Buffer,
  start: number,
  records: readonly ProducerRecord[],
  sizes: Int32Array,
  firstTimestamp: number,
  now: number,
): void {
  let pos = start;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    pos = writeVarintAt(buf, pos, sizes[i]!);
    buf[pos++] = 0; // record attributes: unused
    pos = writeVarlongAt(buf, pos, (record.timestamp ?? now) - firstTimestamp);
    pos = writeVarintAt(buf, pos, i);
    pos = writeBytes(buf, pos, record.key);
    pos = writeBytes(buf, pos, record.value);
    const headers = record.headers;
    if (headers === undefined || headers.length === 0) {
      buf[pos++] = 0;
    } else {
      pos = writeVarintAt(buf, pos, headers.length);
      for (let h = 0; h < headers.length; h++) {
        const header = headers[h]!;
        const keyBytes = utf8Size(header.key);
        pos = writeVarintAt(buf, pos, keyBytes);
        pos += buf.write(header.key, pos, keyBytes, 'utf8');
        pos = writeBytes(buf, pos, header.value);
      }
    }
  }
}

function writeBytes(buf: Buffer, pos: number, value: Uint8Array | null | undefined): number {
  if (value == null) {
    buf[pos] = 1; // zigzag(-1)
    return pos + 1;
  }
  const length = value.length;
  pos = writeVarintAt(buf, pos, length);
  if (length < 16) {
    // Short keys: a byte loop beats the typed-array copy's call overhead.
    for (let j = 0; j < length; j++) buf[pos + j] = value[j]!;
  } else {
    buf.set(value, pos);
  }
  return pos + length;
}

// ------------------------------------------------------------------------- decode

/**
 * One record during `forEachRecord`: the same object for every record of a scan (no allocation
 * per record). Positions point into `buf`; `key()`, `value()` and `headers()` materialise on
 * demand. Do not keep it past the callback: copy what you need (or call `toRecord()`).
 */
export class RecordView {
  /** The bytes holding this record: the batch itself, or its decompressed records section. */
  buf: Buffer = EMPTY;
  /** Position of the record within its batch, from 0. */
  index = 0;
  offset = 0;
  timestamp = 0;
  keyStart = 0;
  /** -1 for a null key. */
  keyLength = -1;
  valueStart = 0;
  /** -1 for a null value. */
  valueLength = -1;
  headersStart = 0;
  headerCount = 0;

  key(): Buffer | null {
    return this.keyLength < 0 ? null : this.buf.subarray(this.keyStart, this.keyStart + this.keyLength);
  }

  value(): Buffer | null {
    return this.valueLength < 0 ? null : this.buf.subarray(this.valueStart, this.valueStart + this.valueLength);
  }

  headers(): RecordHeader[] {
    const headers: RecordHeader[] = [];
    if (this.headerCount === 0) return headers;
    // Already walked and validated by the scan: these reads cannot fail.
    const reader = new BufferReader(this.buf, ErrorCode.CORRUPT_MESSAGE, this.headersStart);
    for (let h = 0; h < this.headerCount; h++) {
      const key = reader.varintString();
      headers.push({ key, value: reader.nullableVarintBytes() });
    }
    return headers;
  }

  toRecord(): Record {
    return { offset: this.offset, timestamp: this.timestamp, key: this.key(), value: this.value(), headers: this.headers() };
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Decodes the batch at `at`: validates it (magic, lengths, CRC, record framing) and returns its
 * header and records with absolute offsets and timestamps. Any malformed input is
 * FerryError(CORRUPT_MESSAGE) (MESSAGE_TOO_LARGE when decompression passes `maxOutputBytes`).
 */
export function decodeRecordBatch(buf: Buffer, at = 0, options: DecodeOptions = {}): DecodedBatch {
  const records: Record[] = [];
  const batch = scanBatch(buf, at, options, (view) => {
    records.push(view.toRecord());
  });
  return { ...batch, records };
}

/**
 * Decodes every whole batch in `buf`, in order. A trailing partial batch (a fetch response may
 * end mid-batch) is ignored; anything else malformed is CORRUPT_MESSAGE.
 */
export function decodeRecordBatches(buf: Buffer, options: DecodeOptions = {}): DecodedBatch[] {
  const batches: DecodedBatch[] = [];
  let at = 0;
  while (buf.length - at >= BATCH_LOG_OVERHEAD) {
    const sizeBytes = buf.readInt32BE(at + BatchField.batchLength) + BATCH_LOG_OVERHEAD;
    if (sizeBytes >= BATCH_HEADER_BYTES && sizeBytes > buf.length - at) break;
    batches.push(decodeRecordBatch(buf, at, options));
    at += sizeBytes;
  }
  return batches;
}

/**
 * Calls `callback` for each record of the batch at `at` with one reused RecordView (no object per
 * record); return `false` from the callback to stop early. Validates like decodeRecordBatch.
 * Returns the batch header.
 */
export function forEachRecord(buf: Buffer, callback: RecordCallback, at = 0, options: DecodeOptions = {}): BatchHeader {
  return scanBatch(buf, at, options, callback).header;
}

/** Called once per record; returning `false` stops the scan, anything else continues. */
export type RecordCallback = (record: RecordView) => unknown;

type BatchInfo = Omit<DecodedBatch, 'records'>;

function scanBatch(buf: Buffer, at: number, options: DecodeOptions, callback: RecordCallback): BatchInfo {
  if (!Number.isSafeInteger(at) || at < 0) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch position ${at} is invalid`, { at });
  }
  const sizeBytes = checkFraming(buf, at);
  const header = readBatchHeader(buf, at);
  if (options.verifyCrc !== false) {
    const actual = computeBatchCrc(buf, at, sizeBytes);
    if (actual !== header.crc) {
      throw new FerryError(
        ErrorCode.CORRUPT_MESSAGE,
        `record batch CRC mismatch: stored ${header.crc.toString(16)}, computed ${actual.toString(16)}`,
        {
          at,
          expected: header.crc,
          actual,
        },
      );
    }
  }
  if (header.recordCount < 0 || header.lastOffsetDelta < 0) {
    throw new FerryError(
      ErrorCode.CORRUPT_MESSAGE,
      `record batch has ${header.recordCount} records, lastOffsetDelta ${header.lastOffsetDelta}`,
      {
        at,
      },
    );
  }
  const codecBits = header.attributes & Attribute.compressionMask;
  if (codecBits > Compression.zstd) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch names unknown compression codec ${codecBits}`, { at, codecBits });
  }
  const codec = compressionName(codecBits);
  const info: BatchInfo = {
    header,
    compression: codec,
    timestampType: (header.attributes & Attribute.logAppendTime) !== 0 ? 'logAppend' : 'create',
    isTransactional: (header.attributes & Attribute.transactional) !== 0,
    isControl: (header.attributes & Attribute.control) !== 0,
  };
  let data = buf;
  let start = at + BATCH_HEADER_BYTES;
  let end = at + sizeBytes;
  if (codec !== 'none') {
    data = decompress(codec, buf.subarray(start, end), options);
    start = 0;
    end = data.length;
  }
  scanRecords(data, start, end, header, info.timestampType === 'logAppend', callback);
  return info;
}

/**
 * Size and magic of the batch at `at`. Not record-batch-header's checkBatch: that one refuses
 * recordCount > batch bytes, which a compressed batch of tiny records legitimately has (zstd
 * packs 100,000 empty records into 59 KB); here the record scan bounds the count instead.
 */
function checkFraming(buf: Buffer, at: number): number {
  const available = buf.length - at;
  if (available < BATCH_HEADER_BYTES) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch truncated: ${available} bytes`, { at, available });
  }
  const sizeBytes = buf.readInt32BE(at + BatchField.batchLength) + BATCH_LOG_OVERHEAD;
  const magic = buf.readInt8(at + BatchField.magic);
  if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > available || magic !== CURRENT_MAGIC) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch at ${at} is malformed (size ${sizeBytes}, magic ${magic})`, {
      at,
      sizeBytes,
      magic,
    });
  }
  return sizeBytes;
}

const view = new RecordView();

function scanRecords(
  data: Buffer,
  start: number,
  end: number,
  header: BatchHeader,
  logAppendTime: boolean,
  callback: RecordCallback,
): void {
  const reader = new BufferReader(data, ErrorCode.CORRUPT_MESSAGE, start, end);
  const count = header.recordCount;
  // A reentrant callback (decoding another batch inside one) gets its own view.
  const record = view.buf === EMPTY ? view : new RecordView();
  record.buf = data;
  try {
    for (let i = 0; i < count; i++) {
      const length = reader.varint();
      if (length < 6 || length > reader.remaining) reader.fail(`record ${i} declares ${length} bytes, ${reader.remaining} left`);
      const recordEnd = reader.offset + length;
      reader.skip(1); // attributes
      const timestampDelta = reader.varlong();
      const offsetDelta = reader.varint();
      record.index = i;
      record.offset = header.baseOffset + offsetDelta;
      record.timestamp = logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta;
      record.keyLength = reader.varint();
      record.keyStart = reader.offset;
      if (record.keyLength < -1) reader.fail(`record ${i} has key length ${record.keyLength}`);
      if (record.keyLength > 0) reader.skip(record.keyLength);
      record.valueLength = reader.varint();
      record.valueStart = reader.offset;
      if (record.valueLength < -1) reader.fail(`record ${i} has value length ${record.valueLength}`);
      if (record.valueLength > 0) reader.skip(record.valueLength);
      const headerCount = reader.varint();
      if (headerCount < 0 || headerCount * 2 > recordEnd - reader.offset) reader.fail(`record ${i} has ${headerCount} headers`);
      record.headerCount = headerCount;
      record.headersStart = reader.offset;
      for (let h = 0; h < headerCount; h++) {
        const keyLength = reader.varint();
        if (keyLength < 0) reader.fail(`record ${i} has a header key of length ${keyLength}`);
        reader.skip(keyLength);
        const valueLength = reader.varint();
        if (valueLength < -1) reader.fail(`record ${i} has a header value of length ${valueLength}`);
        if (valueLength > 0) reader.skip(valueLength);
      }
      if (reader.offset !== recordEnd) reader.fail(`record ${i} declares ${length} bytes but holds ${length + reader.offset - recordEnd}`);
      if (callback(record) === false) return;
    }
    if (reader.remaining !== 0) reader.fail(`record batch has ${reader.remaining} bytes after its ${count} records`);
  } finally {
    record.buf = EMPTY;
  }
}
