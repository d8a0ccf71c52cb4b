import { ErrorCode, FerryError } from '../common/errors.ts';
import { forEachRecord } from '../common/record-batch.ts';
import { BATCH_HEADER_BYTES } from '../common/record-batch-header.ts';
import type { TimestampOffset } from '../storage/types.ts';
import type { Partition } from './partition.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type ListOffsetResult } from './types.ts';

/** Kafka's ListOffsets -3 (KIP-734): the record with the largest timestamp. */
export const MAX_TIMESTAMP = -3;

function checkOnline(partition: Partition): void {
  if (partition.log.isOffline) {
    throw new FerryError(ErrorCode.PARTITION_OFFLINE, `partition ${partition.topic}-${partition.index} is offline`, {
      topic: partition.topic,
      partition: partition.index,
    });
  }
}

/**
 * Kafka's ListOffsets for one partition: -1 the high watermark (what a consumer can read to),
 * -2 the log start offset, a timestamp the first record at or after it, or offset -1 when none
 * below the high watermark is (the Java consumer's `null`).
 */
export async function listOffset(partition: Partition, timestamp: number): Promise<ListOffsetResult> {
  checkOnline(partition);
  const log = partition.log;
  const leaderEpoch = Math.max(partition.leaderEpoch, log.latestEpoch());
  if (timestamp === LATEST_TIMESTAMP) return { offset: log.highWatermark, timestamp: -1, leaderEpoch };
  if (timestamp === EARLIEST_TIMESTAMP) return { offset: log.logStartOffset, timestamp: -1, leaderEpoch };
  if (timestamp === MAX_TIMESTAMP) {
    throw new FerryError(ErrorCode.INVALID_REQUEST, 'ListOffsets by max timestamp (-3) is not supported yet', { timestamp });
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new FerryError(ErrorCode.INVALID_REQUEST, `timestamp ${timestamp} is neither a time nor -1 (latest) / -2 (earliest)`, {
      timestamp,
    });
  }
  const found = await log.offsetForTimestamp(timestamp);
  if (found === null || found.offset >= log.highWatermark) return { offset: -1, timestamp: -1, leaderEpoch: -1 };
  const record = await firstRecordAtOrAfter(partition, found.offset, timestamp);
  return { ...(record ?? { offset: Math.max(found.offset, log.logStartOffset), timestamp: found.timestamp }), leaderEpoch };
}

/**
 * The time index finds the batch; Kafka answers with the record, so the records of that one
 * batch are scanned (decompressed if need be: a rare admin or seek call, bounded by the batch
 * size). Null when the batch cannot be read, and the answer stays batch-grained.
 */
async function firstRecordAtOrAfter(partition: Partition, fromOffset: number, timestamp: number): Promise<TimestampOffset | null> {
  const log = partition.log;
  let found: TimestampOffset | null = null;
  try {
    const { data } = await log.read(fromOffset, 1, { maxOffset: log.highWatermark });
    if (data.length < BATCH_HEADER_BYTES) return null;
    forEachRecord(data, (record) => {
      if (record.offset < fromOffset || record.offset < log.logStartOffset || record.timestamp < timestamp) return true;
      found = { offset: record.offset, timestamp: record.timestamp };
      return false;
    });
  } catch {
    return null;
  }
  return found;
}

/**
 * Kafka's DeleteRecords: moves the log start offset up to `beforeOffset` (-1: the high
 * watermark); returns the new log start offset (Kafka's low watermark). Producers whose batches
 * are all gone lose their state, as in Kafka, so their next sequence is accepted as it comes.
 */
export async function deleteRecords(partition: Partition, beforeOffset: number): Promise<number> {
  checkOnline(partition);
  const log = partition.log;
  const target = beforeOffset === -1 ? log.highWatermark : beforeOffset;
  if (!Number.isSafeInteger(target) || target < 0 || target > log.highWatermark) {
    throw new FerryError(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `cannot delete records before ${beforeOffset} of ${partition.topic}-${partition.index}: the high watermark is ${log.highWatermark}`,
      { topic: partition.topic, partition: partition.index, beforeOffset, highWatermark: log.highWatermark },
    );
  }
  if (target <= log.logStartOffset) return log.logStartOffset;
  const logStartOffset = await log.deleteRecordsBefore(target);
  partition.producers.removeBelow(logStartOffset);
  return logStartOffset;
}
