import type { RecordHeader, ProducerRecord as EncodableRecord } from '../common/record-batch.ts';
import { encodeRecordBatch } from '../common/record-batch.ts';
import { BatchField, batchSizeBytes, type CompressionName, computeBatchCrc, writeInt64 } from '../common/record-batch-header.ts';
import type { ProducerBatch } from './producer-batch.ts';
import { type ProducerRecord, toBuffer } from './records.ts';

export interface BatchStamp {
  compression: CompressionName;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

/** True when the encoder can take the record as it is: Buffer (or null) key and value, no headers. */
function isEncodable(record: ProducerRecord): boolean {
  return (
    (record.key == null || Buffer.isBuffer(record.key)) &&
    (record.value == null || Buffer.isBuffer(record.value)) &&
    record.headers === undefined
  );
}

function toEncodable(record: ProducerRecord): EncodableRecord {
  const headers: RecordHeader[] = [];
  if (record.headers) for (const key in record.headers) headers.push({ key, value: toBuffer(record.headers[key]!) });
  return {
    key: record.key == null ? null : toBuffer(record.key),
    value: record.value == null ? null : toBuffer(record.value),
    headers,
    timestamp: record.timestamp,
  };
}

/**
 * Encodes a producer batch as one RecordBatch v2 (src/common/record-batch.ts). Records of Buffers
 * without headers are handed to the encoder as they are (no object per record); others are
 * converted. Records without a timestamp get the time the batch was opened.
 */
export function encodeProducerBatch(batch: ProducerBatch, stamp: BatchStamp): Buffer {
  const records = batch.records;
  let encodable: readonly EncodableRecord[] = records as readonly EncodableRecord[];
  for (let i = 0; i < records.length; i++) {
    if (!isEncodable(records[i]!)) {
      encodable = records.map((record) => (isEncodable(record) ? (record as EncodableRecord) : toEncodable(record)));
      break;
    }
  }
  return encodeRecordBatch({
    records: encodable,
    compression: stamp.compression,
    producerId: stamp.producerId,
    producerEpoch: stamp.producerEpoch,
    baseSequence: stamp.baseSequence,
    now: batch.createdAtMs,
  });
}

/**
 * Rewrites producer id, epoch and base sequence in an encoded batch (after an epoch bump) and
 * recomputes the CRC, which covers them: no re-encoding of the records.
 */
export function stampProducerBatch(encoded: Buffer, producerId: number, producerEpoch: number, baseSequence: number): void {
  writeInt64(encoded, producerId, BatchField.producerId);
  encoded.writeInt16BE(producerEpoch, BatchField.producerEpoch);
  encoded.writeInt32BE(baseSequence, BatchField.baseSequence);
  encoded.writeUInt32BE(computeBatchCrc(encoded, 0, batchSizeBytes(encoded, 0)), BatchField.crc);
}
