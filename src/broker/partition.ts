import type { PartitionMetrics } from '../observability/metrics/recorder.ts';
import type { FileSystem, PartitionLog } from '../storage/types.ts';
import { PartitionWaiters } from './partition-waiters.ts';
import type { ProducerStateTable } from './producer-state.ts';
import { writeSnapshot } from './producer-state-snapshot.ts';
import type { PartitionInfo } from './types.ts';

/** Leader epoch of every partition on a single node; a cluster will bump it on leader change. */
export const SINGLE_NODE_LEADER_EPOCH = 0;

/**
 * One partition as the broker serves it: its log, its idempotent producer state and the fetches
 * parked on it. Created by the topic registry; produce and fetch work on it directly, so the hot
 * paths do one map lookup per request.
 */
export class Partition {
  readonly topic: string;
  readonly index: number;
  readonly log: PartitionLog;
  readonly producers: ProducerStateTable;
  readonly waiters = new PartitionWaiters();
  readonly leaderEpoch = SINGLE_NODE_LEADER_EPOCH;
  /** Where its producer state snapshot goes. */
  readonly snapshotPath: string;
  /** Set when its topic is deleted (or shrinks away): requests in flight see it and stop. */
  isDeleted = false;
  /** Its metric counters, resolved on first use (Broker.metricsOf) so hot paths skip label lookups. */
  metrics: PartitionMetrics | null = null;

  constructor(topic: string, index: number, log: PartitionLog, producers: ProducerStateTable, snapshotPath: string) {
    this.topic = topic;
    this.index = index;
    this.log = log;
    this.producers = producers;
    this.snapshotPath = snapshotPath;
  }

  /**
   * Makes appended batches visible: on one node the high watermark follows the durable log end
   * (DESIGN.md section 3: the two are kept apart so replication adds no rewrite). Appends resolve
   * in call order, so `endOffset` only grows; the check keeps it so if that ever changes.
   */
  publish(endOffset: number, sizeBytes: number): void {
    if (endOffset > this.log.highWatermark) this.log.setHighWatermark(endOffset);
    this.waiters.notify(sizeBytes);
  }

  info(nodeId: number): PartitionInfo {
    const log = this.log;
    return {
      partition: this.index,
      leader: nodeId,
      replicas: [nodeId],
      isr: [nodeId],
      leaderEpoch: log.isOffline ? this.leaderEpoch : Math.max(this.leaderEpoch, log.latestEpoch()),
      logStartOffset: log.logStartOffset,
      logEndOffset: log.logEndOffset,
      highWatermark: log.highWatermark,
      sizeBytes: log.sizeBytes(),
      isOffline: log.isOffline,
    };
  }

  /** Writes the producer state snapshot if it changed; its end offset is the high watermark,
   *  which covers exactly the batches whose state was applied. */
  async snapshotProducers(fs: FileSystem): Promise<boolean> {
    if (!this.producers.isDirty || this.isDeleted || this.log.isOffline) return false;
    await writeSnapshot(fs, this.snapshotPath, this.producers, this.log.highWatermark);
    return true;
  }
}
