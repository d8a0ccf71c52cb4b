import { ErrorCode, FerryError } from '../common/errors.ts';
import type { ProducerRecord } from './records.ts';
import { toBuffer } from './records.ts';

/** Picks a partition for a record that names none. Must return 0 <= p < partitionCount. */
export type Partitioner = (record: ProducerRecord, partitionCount: number) => number;

/**
 * Kafka's default: keyed records by murmur2 of the key (so Kafka clients and Ferry agree where a
 * key lives); keyless records stick to one partition until its batch is sealed, then move on,
 * which fills big batches instead of many small ones (KIP-480).
 */
// TEMPORARY until src/common/murmur2.ts lands.
function partitionForKey(_key: Buffer, _partitionCount: number): number {
  throw new FerryError(ErrorCode.UNKNOWN_SERVER_ERROR, 'keyed records need src/common/murmur2.ts');
}

export class DefaultPartitioner {
  private readonly sticky = new Map<string, number>();

  partition(record: ProducerRecord, partitionCount: number): number {
    if (record.key != null) return partitionForKey(toBuffer(record.key), partitionCount);
    let partition = this.sticky.get(record.topic);
    if (partition === undefined || partition >= partitionCount) {
      partition = Math.floor(Math.random() * partitionCount);
      this.sticky.set(record.topic, partition);
    }
    return partition;
  }

  /** A batch of `topic` was sealed: keyless records move to another partition. */
  onBatchSealed(topic: string, partition: number, partitionCount: number): void {
    if (partitionCount <= 1 || this.sticky.get(topic) !== partition) return;
    const next = Math.floor(Math.random() * (partitionCount - 1));
    this.sticky.set(topic, next >= partition ? next + 1 : next);
  }
}
