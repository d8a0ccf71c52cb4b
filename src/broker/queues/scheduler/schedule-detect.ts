import { ErrorCode, FerryError } from '../../../common/errors.ts';
import { decodeRecordBatch, encodeRecordBatch, type ProducerRecord, type RecordHeader } from '../../../common/record-batch.ts';
import { Attribute, BATCH_HEADER_BYTES, BatchField, batchSizeBytes, readInt64 } from '../../../common/record-batch-header.ts';
import { deliveryTimeOf, ReservedHeader, SCHEDULE_HEADER_MARKER } from '../../../common/reserved-headers.ts';

export interface ScheduledRecord {
  record: ProducerRecord;
  deliverAtMs: number;
}

export interface ScheduleSplit {
  scheduled: ScheduledRecord[];
  /** Batches to append now: untouched originals and re-encoded remainders; null when none. */
  immediate: Buffer | null;
}

/**
 * True when a produce request may hold records with a delivery time: an uncompressed batch holds
 * the header name `ferry-del...` somewhere in its bytes (one native memmem per batch, no record
 * decoding), or a batch is compressed and `scanCompressed` is on. False means: append as is.
 */
export function mayHoldScheduledRecords(batches: Buffer, scanCompressed: boolean): boolean {
  let at = 0;
  while (batches.length - at >= BATCH_HEADER_BYTES) {
    const sizeBytes = batchSizeBytes(batches, at);
    if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > batches.length - at) return false; // the produce path refuses it
    const isCompressed = (batches.readInt16BE(at + BatchField.attributes) & Attribute.compressionMask) !== 0;
    if (isCompressed) {
      if (scanCompressed) return true;
    } else {
      const found = batches.indexOf(SCHEDULE_HEADER_MARKER, at + BATCH_HEADER_BYTES);
      if (found >= 0 && found < at + sizeBytes) return true;
    }
    at += sizeBytes;
  }
  return false;
}

const SCHEDULING_HEADERS: ReadonlySet<string> = new Set([ReservedHeader.deliverAt, ReservedHeader.delayMs]);

/**
 * Splits a produce request into records due later (delivery time after `nowMs`) and the rest.
 * A batch without scheduled records is kept byte for byte; one with some is re-encoded without
 * them (same codec). Scheduled records keep key, value, timestamp and headers, with the delivery
 * time normalised into `ferry-deliver-at` (a `ferry-delay-ms` becomes an absolute time, so a
 * consumer that forwards the record does not delay it again). Null when nothing is scheduled.
 * Idempotent batches cannot be split without breaking their sequence numbers: INVALID_RECORD.
 */
export function splitScheduled(batches: Buffer, nowMs: number): ScheduleSplit | null {
  const scheduled: ScheduledRecord[] = [];
  const immediate: Buffer[] = [];
  let at = 0;
  while (batches.length - at >= BATCH_HEADER_BYTES) {
    const sizeBytes = batchSizeBytes(batches, at);
    if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > batches.length - at) break;
    const original = batches.subarray(at, at + sizeBytes);
    at += sizeBytes;
    const decoded = decodeRecordBatch(original);
    const keep: ProducerRecord[] = [];
    let scheduledHere = 0;
    for (const record of decoded.records) {
      const deliverAtMs = record.headers.length === 0 ? null : deliveryTimeOf(record.headers, nowMs);
      if (deliverAtMs === null || deliverAtMs <= nowMs) {
        keep.push(record);
        continue;
      }
      scheduledHere++;
      scheduled.push({
        deliverAtMs,
        record: { key: record.key, value: record.value, timestamp: record.timestamp, headers: normalise(record.headers, deliverAtMs) },
      });
    }
    if (scheduledHere === 0) {
      immediate.push(original);
      continue;
    }
    if (readInt64(original, BatchField.producerId) >= 0) {
      throw new FerryError(
        ErrorCode.INVALID_RECORD,
        'records with ferry-deliver-at or ferry-delay-ms cannot be sent in idempotent batches: disable idempotence for scheduled records',
        { producerId: readInt64(original, BatchField.producerId) },
      );
    }
    if (keep.length > 0) {
      immediate.push(encodeRecordBatch({ records: keep, compression: decoded.compression, timestampType: decoded.timestampType }));
    }
  }
  if (scheduled.length === 0) return null;
  return { scheduled, immediate: immediate.length === 0 ? null : immediate.length === 1 ? immediate[0]! : Buffer.concat(immediate) };
}

function normalise(headers: readonly RecordHeader[], deliverAtMs: number): RecordHeader[] {
  const kept = headers.filter((header) => !SCHEDULING_HEADERS.has(header.key));
  kept.push({ key: ReservedHeader.deliverAt, value: Buffer.from(String(deliverAtMs)) });
  return kept;
}
