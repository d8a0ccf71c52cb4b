import { ErrorCode, FerryError } from '../../common/errors.ts';
import type { CommittedOffset, OffsetCommitEntry } from '../types.ts';
import type { TopicInfo } from './describe-group.ts';
import type { Group } from './group.ts';
import type { GroupConfig } from './group-config.ts';
import type { OffsetsRecord } from './offsets-batch.ts';
import type { OffsetCommitValue } from './offsets-codec.ts';
import { OffsetStore } from './offset-store.ts';
import { type OffsetsWriter, offsetCommitRecord, offsetTombstone } from './offsets-writer.ts';

export interface ValidCommitEntry {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string;
}

export interface OffsetManagerOptions {
  config: GroupConfig;
  topicInfo: TopicInfo;
  writer: OffsetsWriter;
  now: () => number;
}

/**
 * Committed offsets: checked, appended to the offsets log, then applied to memory; fetched;
 * expired; deleted with tombstones. Group membership checks are the caller's (membership.ts).
 */
export class OffsetManager {
  readonly store = new OffsetStore();
  private readonly config: GroupConfig;
  private readonly topicInfo: TopicInfo;
  private readonly writer: OffsetsWriter;
  private readonly now: () => number;
  private commitSequence = 0;

  constructor(options: OffsetManagerOptions) {
    this.config = options.config;
    this.topicInfo = options.topicInfo;
    this.writer = options.writer;
    this.now = options.now;
  }

  /** The values replayed by load(), as they were committed. */
  restore(offsets: ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<number, OffsetCommitValue>>>): void {
    for (const [groupId, topics] of offsets) {
      for (const [topic, partitions] of topics) {
        for (const [partition, value] of partitions) {
          const { offset, leaderEpoch, metadata, commitTimestampMs } = value;
          this.store.set(groupId, topic, partition, { offset, leaderEpoch, metadata, commitTimestampMs, sequence: 0 });
        }
      }
    }
  }

  /**
   * All or nothing: every entry is checked (partition exists, metadata size) before anything is
   * written; the first problem is thrown with `details.partitions` listing each failing one.
   * Duplicates of one partition: the last wins.
   */
  validate(offsets: readonly OffsetCommitEntry[]): ValidCommitEntry[] {
    const byPartition = new Map<string, ValidCommitEntry>();
    const failures: { topic: string; partition: number; error: FerryError }[] = [];
    const maxBytes = this.config.offsetMetadataMaxBytes;
    for (const entry of offsets) {
      const { topic, partition } = entry;
      const metadata = entry.metadata ?? '';
      const metadataBytes = Buffer.byteLength(metadata, 'utf8');
      let error: FerryError | null = null;
      if (!Number.isSafeInteger(entry.offset) || !Number.isSafeInteger(partition) || partition < 0) {
        error = new FerryError(ErrorCode.INVALID_REQUEST, `offset ${entry.offset} for ${topic}-${partition} is not valid`);
      } else if (metadataBytes > maxBytes) {
        const message = `offset metadata for ${topic}-${partition} is ${metadataBytes} bytes, at most ${maxBytes}`;
        error = new FerryError(ErrorCode.OFFSET_METADATA_TOO_LARGE, message);
      } else if (this.topicInfo(topic, partition) === undefined) {
        error = new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition} does not exist`);
      }
      if (error !== null) failures.push({ topic, partition, error });
      else
        byPartition.set(`${topic}\u0000${partition}`, {
          topic,
          partition,
          offset: entry.offset,
          leaderEpoch: entry.leaderEpoch ?? -1,
          metadata,
        });
    }
    const first = failures[0];
    if (first !== undefined) {
      const partitions = failures.map(({ topic, partition, error }) => ({ topic, partition, code: error.code }));
      throw new FerryError(first.error.code, first.error.message, { partitions });
    }
    return [...byPartition.values()];
  }

  /** Appends the commit, then applies it, unless `isStillCurrent()` says the group was deleted
   *  meanwhile (its tombstones were appended after this commit, so the log agrees). */
  async commit(group: Group, entries: readonly ValidCommitEntry[], isStillCurrent: () => boolean): Promise<void> {
    if (entries.length === 0) return;
    const { groupId } = group;
    const commitTimestampMs = this.now();
    const sequence = ++this.commitSequence;
    const records = entries.map(({ topic, partition, offset, leaderEpoch, metadata }) =>
      offsetCommitRecord(groupId, topic, partition, { offset, leaderEpoch, metadata, commitTimestampMs }),
    );
    group.inFlightCommits++;
    try {
      await this.writer.append(records);
    } finally {
      group.inFlightCommits--;
    }
    if (!isStillCurrent()) return;
    for (const { topic, partition, offset, leaderEpoch, metadata } of entries) {
      this.store.set(groupId, topic, partition, { offset, leaderEpoch, metadata, commitTimestampMs, sequence });
    }
  }

  /** Committed offsets; -1 (and null metadata) for a requested partition without a commit. */
  fetch(groupId: string, partitions?: readonly { topic: string; partition: number }[]): CommittedOffset[] {
    if (partitions === undefined) {
      return [...this.store.entries(groupId)].map(({ topic, partition, value }) => ({
        topic,
        partition,
        offset: value.offset,
        leaderEpoch: value.leaderEpoch,
        metadata: value.metadata,
      }));
    }
    return partitions.map(({ topic, partition }) => {
      const value = this.store.get(groupId, topic, partition);
      if (value === undefined) return { topic, partition, offset: -1, leaderEpoch: -1, metadata: null };
      return { topic, partition, offset: value.offset, leaderEpoch: value.leaderEpoch, metadata: value.metadata };
    });
  }

  /**
   * Removes, and returns tombstones for, offsets that outlived the retention (Kafka 3.x rules):
   * - Empty group: counted from when the group became empty or from the commit, whichever is
   *   later (from the commit alone for a group that never had members);
   * - Stable group of consumers whose subscriptions are known: offsets of topics no member
   *   subscribes to any more, counted from the commit;
   * - otherwise none. A group with a commit in flight is left alone.
   */
  expire(group: Group, nowMs: number, subscribedTopics?: ReadonlySet<string>): OffsetsRecord[] {
    if (group.inFlightCommits > 0) return [];
    const retentionMs = this.config.offsetsRetentionMs;
    let expiresFrom: (topic: string, commitTimestampMs: number) => number | null;
    if (group.is('Empty')) {
      const emptySinceMs = group.protocolType === null ? 0 : group.stateTimestampMs;
      expiresFrom = (_topic, commitTimestampMs) => Math.max(emptySinceMs, commitTimestampMs);
    } else if (group.is('Stable') && subscribedTopics !== undefined) {
      expiresFrom = (topic, commitTimestampMs) => (subscribedTopics.has(topic) ? null : commitTimestampMs);
    } else {
      return [];
    }
    const tombstones: OffsetsRecord[] = [];
    for (const { topic, partition, value } of [...this.store.entries(group.groupId)]) {
      const sinceMs = expiresFrom(topic, value.commitTimestampMs);
      if (sinceMs === null || nowMs - sinceMs < retentionMs) continue;
      this.store.delete(group.groupId, topic, partition);
      tombstones.push(offsetTombstone(group.groupId, topic, partition));
    }
    return tombstones;
  }

  /** Forgets a group's offsets; returns their tombstones. */
  deleteGroup(groupId: string): OffsetsRecord[] {
    const tombstones = [...this.store.entries(groupId)].map(({ topic, partition }) => offsetTombstone(groupId, topic, partition));
    this.store.deleteGroup(groupId);
    return tombstones;
  }

  /** The topic was deleted: its offsets go from every group (Kafka's handleDeletedPartitions). */
  async deleteTopic(topic: string): Promise<void> {
    const removed = this.store.deleteTopic(topic);
    await this.writer.append(removed.map(({ groupId, partition }) => offsetTombstone(groupId, topic, partition)));
  }

  hasOffsets(groupId: string): boolean {
    return this.store.hasOffsets(groupId);
  }
}
