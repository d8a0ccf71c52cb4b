import { ProducerBatch } from './producer-batch.ts';
import type { ProducerRecord } from './records.ts';

export interface AccumulatorOptions {
  batchBytes: number;
  lingerMs: number;
  /** Called with each batch as it is sealed (full, lingered, or flushed). */
  onSealed: (batch: ProducerBatch) => void;
  /**
   * A sealed batch of the partition that is still waiting for a request slot and not yet
   * encoded, if any. New records join it instead of opening a batch of their own: while the
   * pipeline is full, a partition's records gather into one batch (as Kafka's accumulator keeps
   * a ready batch appendable until the sender drains it), instead of queueing many tiny batches
   * that each wait for a slot and an fsync.
   */
  appendableQueued?: (topic: string, partition: number) => ProducerBatch | undefined;
  /** Called after linger sealed batches: the sender may send them now, not a loop turn later. */
  afterLinger?: () => void;
}

/**
 * Collects records into one open batch per partition. A batch is sealed when adding a record
 * would pass `batchBytes`, or `lingerMs` after it was opened, or on flush. One timer serves all
 * partitions; nothing here is per record but an array push.
 */
export class Accumulator {
  private readonly options: AccumulatorOptions;
  /** Open batch per partition, keyed by topic, then partition. */
  private readonly open = new Map<string, Map<number, ProducerBatch>>();
  private openCount = 0;
  private lingerTimer: NodeJS.Timeout | null = null;
  private lingerImmediate: NodeJS.Immediate | null = null;

  constructor(options: AccumulatorOptions) {
    this.options = options;
  }

  get openBatches(): number {
    return this.openCount;
  }

  /** Appends a record; returns its batch, where it is the last record (`recordCount - 1`). The
   *  batch is returned even when adding the record sealed it. */
  append(topic: string, partition: number, record: ProducerRecord, estimatedBytes: number): ProducerBatch {
    let byPartition = this.open.get(topic);
    if (!byPartition) {
      byPartition = new Map();
      this.open.set(topic, byPartition);
    }
    let batch = byPartition.get(partition);
    if (batch && batch.estimatedBytes + estimatedBytes > this.options.batchBytes) {
      this.seal(byPartition, batch);
      batch = undefined;
    }
    if (!batch) {
      const queued = this.options.appendableQueued?.(topic, partition);
      if (queued && queued.estimatedBytes + estimatedBytes <= this.options.batchBytes) {
        queued.add(record, estimatedBytes);
        return queued;
      }
      batch = new ProducerBatch(topic, partition, Date.now());
      byPartition.set(partition, batch);
      this.openCount++;
      this.armLinger();
    }
    batch.add(record, estimatedBytes);
    if (batch.estimatedBytes >= this.options.batchBytes) this.seal(byPartition, batch);
    return batch;
  }

  /** The open batch of a partition, if any (the sticky partitioner asks). */
  isOpen(topic: string, partition: number): boolean {
    return this.open.get(topic)?.has(partition) ?? false;
  }

  sealAll(): void {
    for (const byPartition of this.open.values()) for (const batch of [...byPartition.values()]) this.seal(byPartition, batch);
  }

  close(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    if (this.lingerImmediate) clearImmediate(this.lingerImmediate);
    this.lingerTimer = null;
    this.lingerImmediate = null;
  }

  private seal(byPartition: Map<number, ProducerBatch>, batch: ProducerBatch): void {
    byPartition.delete(batch.partition);
    this.openCount--;
    this.options.onSealed(batch);
  }

  private armLinger(): void {
    if (this.options.lingerMs === 0) {
      // setTimeout(0) waits a whole millisecond; linger 0 means "once the caller's synchronous
      // sends are in", which is the end of this loop turn.
      this.lingerImmediate ??= setImmediate(() => {
        this.lingerImmediate = null;
        this.sealAll();
        this.options.afterLinger?.();
      });
      return;
    }
    if (this.lingerTimer) return;
    this.lingerTimer = setTimeout(() => this.onLinger(), this.options.lingerMs);
  }

  private onLinger(): void {
    this.lingerTimer = null;
    const nowMs = Date.now();
    let oldestLeftMs = Number.POSITIVE_INFINITY;
    for (const byPartition of this.open.values()) {
      for (const batch of [...byPartition.values()]) {
        const ageMs = nowMs - batch.createdAtMs;
        // Timers fire up to a millisecond early or late: seal what is (nearly) due.
        if (ageMs >= this.options.lingerMs - 1) this.seal(byPartition, batch);
        else oldestLeftMs = Math.min(oldestLeftMs, this.options.lingerMs - ageMs);
      }
    }
    this.options.afterLinger?.();
    if (this.openCount > 0)
      this.lingerTimer = setTimeout(() => this.onLinger(), Number.isFinite(oldestLeftMs) ? oldestLeftMs : this.options.lingerMs);
  }
}
