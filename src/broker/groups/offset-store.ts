/** A committed offset as the coordinator keeps it in memory. */
export interface StoredOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Order in which the commit was appended to the offsets log: a commit whose append resolves
   *  after a later one (it should not happen) must not overwrite it. */
  sequence: number;
}

export interface StoredOffsetEntry {
  topic: string;
  partition: number;
  value: StoredOffset;
}

/**
 * Committed offsets by group, topic and partition: the in-memory view of `__consumer_offsets`.
 * Nothing here writes to the log; the coordinator appends first and applies after. Bounded by
 * the coordinator: groups by `groupMaxCount`, partitions by the topics that exist.
 */
export class OffsetStore {
  private readonly groups = new Map<string, Map<string, Map<number, StoredOffset>>>();

  get(groupId: string, topic: string, partition: number): StoredOffset | undefined {
    return this.groups.get(groupId)?.get(topic)?.get(partition);
  }

  /** Applies a value unless a later-appended one is already there. */
  set(groupId: string, topic: string, partition: number, value: StoredOffset): void {
    let topics = this.groups.get(groupId);
    if (topics === undefined) this.groups.set(groupId, (topics = new Map()));
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = new Map()));
    const current = partitions.get(partition);
    if (current === undefined || current.sequence <= value.sequence) partitions.set(partition, value);
  }

  delete(groupId: string, topic: string, partition: number): void {
    const topics = this.groups.get(groupId);
    const partitions = topics?.get(topic);
    if (topics === undefined || partitions === undefined) return;
    partitions.delete(partition);
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.groups.delete(groupId);
  }

  deleteGroup(groupId: string): void {
    this.groups.delete(groupId);
  }

  hasOffsets(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  *entries(groupId: string): Generator<StoredOffsetEntry> {
    const topics = this.groups.get(groupId);
    if (topics === undefined) return;
    for (const [topic, partitions] of topics) {
      for (const [partition, value] of partitions) yield { topic, partition, value };
    }
  }

  groupIds(): IterableIterator<string> {
    return this.groups.keys();
  }

  /** Removes one topic's offsets from every group (the topic was deleted); returns what went. */
  deleteTopic(topic: string): { groupId: string; partition: number }[] {
    const removed: { groupId: string; partition: number }[] = [];
    for (const [groupId, topics] of this.groups) {
      const partitions = topics.get(topic);
      if (partitions === undefined) continue;
      for (const partition of partitions.keys()) removed.push({ groupId, partition });
      topics.delete(topic);
      if (topics.size === 0) this.groups.delete(groupId);
    }
    return removed;
  }
}
