import { decodeRecordBatches, encodeRecordBatch } from '../../common/record-batch.ts';

/** One `__consumer_offsets` record: a key from offsets-codec.ts and its value, null to delete. */
export interface OffsetsRecord {
  key: Buffer;
  value: Buffer | null;
}

/** One uncompressed v2 batch holding the records of one commit (or one deletion), so that a
 *  commit is appended, and replayed, all together. */
export function encodeOffsetsBatch(records: readonly OffsetsRecord[], timestampMs: number): Buffer {
  return encodeRecordBatch({ records, now: timestampMs });
}

/**
 * The records of every whole batch in `buf`, in log order (a trailing partial batch is left for
 * the next read). Control batches (transaction markers) and records without a key are not ours.
 * Keys and values are views into `buf`: the codec copies what it keeps.
 */
export function* decodeOffsetsBatches(buf: Buffer): Generator<OffsetsRecord> {
  for (const batch of decodeRecordBatches(buf)) {
    if (batch.isControl) continue;
    for (const record of batch.records) {
      if (record.key === null) continue;
      yield { key: record.key, value: record.value };
    }
  }
}
