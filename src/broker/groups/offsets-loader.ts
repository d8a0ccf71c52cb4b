import { toFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { decodeOffsetsBatches } from './offsets-batch.ts';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
  type GroupMetadataValue,
  type OffsetCommitValue,
} from './offsets-codec.ts';
import type { OffsetsLog } from './offsets-log.ts';

export interface LoadedOffsets {
  /** groupId -> "topic" -> partition -> latest value (tombstoned keys absent). */
  offsets: Map<string, Map<string, Map<number, OffsetCommitValue>>>;
  groups: Map<string, GroupMetadataValue>;
  recordCount: number;
  skippedCount: number;
}

/**
 * Replays the offsets log the way a compacted topic reads: the latest value per key wins and a
 * null value deletes the key. A record that does not decode is logged and skipped (a corrupt
 * record must not keep the broker from starting); a batch that does not decode is an error of
 * the log itself and is thrown.
 */
export async function loadOffsetsLog(log: OffsetsLog, logger: Logger): Promise<LoadedOffsets> {
  const loaded: LoadedOffsets = { offsets: new Map(), groups: new Map(), recordCount: 0, skippedCount: 0 };
  for await (const chunk of log.readAll()) {
    for (const record of decodeOffsetsBatches(chunk)) {
      loaded.recordCount++;
      try {
        const key = decodeOffsetsTopicKey(record.key);
        if (key.kind === 'offset') {
          const value = record.value === null ? null : decodeOffsetCommitValue(record.value);
          applyOffset(loaded, key.groupId, key.topic, key.partition, value);
        } else if (record.value === null) {
          loaded.groups.delete(key.groupId);
        } else {
          loaded.groups.set(key.groupId, decodeGroupMetadataValue(record.value));
        }
      } catch (error) {
        loaded.skippedCount++;
        logger.warn(
          { error: toFerryError(error).message, keyBytes: record.key.length },
          'skipping an undecodable __consumer_offsets record',
        );
      }
    }
  }
  return loaded;
}

function applyOffset(loaded: LoadedOffsets, groupId: string, topic: string, partition: number, value: OffsetCommitValue | null): void {
  let topics = loaded.offsets.get(groupId);
  if (value === null) {
    const partitions = topics?.get(topic);
    if (topics === undefined || partitions === undefined) return;
    partitions.delete(partition);
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) loaded.offsets.delete(groupId);
    return;
  }
  if (topics === undefined) loaded.offsets.set(groupId, (topics = new Map()));
  let partitions = topics.get(topic);
  if (partitions === undefined) topics.set(topic, (partitions = new Map()));
  partitions.set(partition, value);
}
