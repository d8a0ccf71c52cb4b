import { partitionForKey, StickyPartitioner } from '../common/murmur2.ts';
import type { ProducerRecord } from './records.ts';
import { toBuffer } from './records.ts';

/** Picks a partition for a record that names none. Must return 0 <= p < partitionCount. */
export type Partitioner = (record: ProducerRecord, partitionCount: number) => number;

/**
 * Kafka's default: keyed records by murmur2 of the key (so Kafka clients and Ferry agree where a
 * key lives); keyless records stick to one partition until its batch is sealed, then move on,
 * which fills big batches instead of many small ones (KIP-480). Both from src/common/murmur2.ts.
 */
export class DefaultPartitioner {
  private readonly sticky = new StickyPartitioner();

  partition(record: ProducerRecord, partitionCount: number): number {
    if (record.key != null) return partitionForKey(toBuffer(record.key), partitionCount);
    return this.sticky.partition(record.topic, partitionCount);
  }

  /** A batch of `topic` was sealed: keyless records move to another partition. */
  onBatchSealed(topic: string, partition: number, partitionCount: number): void {
    this.sticky.onBatchSent(topic, partition, partitionCount);
  }
}
