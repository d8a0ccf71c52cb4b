// TEMPORARY until the codec engineer lands src/common/record-batch.ts (announced API): keeps the
// shared tree's typecheck green meanwhile. Remove this directive when the module exists.
// @ts-ignore
import { decodeRecordBatches, encodeRecordBatch } from '../../common/record-batch.ts';

/** One `__consumer_offsets` record: a key from offsets-codec.ts and its value, null to delete. */
export interface OffsetsRecord {
  key: Buffer;
  value: Buffer | null;
}

/** One uncompressed v2 batch holding the records of one commit (or one deletion), so that a
 *  commit is appended, and replayed, all together. */
export function encodeOffsetsBatch(records: readonly OffsetsRecord[], timestampMs: number): Buffer {
  return encodeRecordBatch({
    records: records.map((record) => ({ key: record.key, value: record.value, timestamp: timestampMs })),
  });
}

/** The records of every batch in `buf`, in log order. Records without a key are not ours: skipped. */
export function* decodeOffsetsBatches(buf: Buffer): Generator<OffsetsRecord> {
  for (const batch of decodeRecordBatches(buf)) {
    for (const record of batch.records) {
      if (record.key === null) continue;
      yield { key: record.key, value: record.value };
    }
  }
}
