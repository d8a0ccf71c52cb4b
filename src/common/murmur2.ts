/**
 * Kafka's default partitioning: murmur2 of the key bytes (exactly Kafka's `Utils.murmur2`, seed
 * 0x9747b28c), made positive, modulo the partition count. Matching it bit for bit is what makes a
 * keyed record land on the partition Kafka clients expect, so keys keep their order across
 * protocols and clients.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 of `data[start, end)` as a signed int32 (Java's `int`). */
export function murmur2(data: Uint8Array, start = 0, end = data.length): number {
  const length = end - start;
  let h = SEED ^ length;
  const tail = start + (length & ~3);
  for (let i = start; i < tail; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs, which differs on MIN_VALUE). */
export function toPositive(value: number): number {
  return value & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a keyed record. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  if (!(Number.isInteger(partitionCount) && partitionCount > 0)) {
    throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  }
  return toPositive(murmur2(key)) % partitionCount;
}

export interface StickyPartitionerOptions {
  /** Most topics remembered; the least recently used is forgotten first. Default 10,000. */
  maxTopics?: number;
  /** Source of randomness in [0, 1); default Math.random (tests pass a seeded one). */
  random?: () => number;
}

/**
 * Kafka's sticky choice for keyless records (KIP-480): one random partition per topic until the
 * batch being filled for it is sent, then another one, so keyless traffic fills large batches
 * instead of spreading one record per batch over every partition.
 */
export class StickyPartitioner {
  private readonly current = new Map<string, number>();
  private readonly maxTopics: number;
  private readonly random: () => number;

  constructor(options: StickyPartitionerOptions = {}) {
    this.maxTopics = options.maxTopics ?? 10_000;
    this.random = options.random ?? Math.random;
  }

  /** The partition keyless records of `topic` go to now. */
  partition(topic: string, partitionCount: number): number {
    const sticky = this.current.get(topic);
    if (sticky !== undefined && sticky < partitionCount) return sticky;
    return this.choose(topic, partitionCount, -1);
  }

  /**
   * The batch being filled on `partition` was sent (or sealed): move keyless records of `topic`
   * to another partition. A call about a partition that is no longer the sticky one is ignored,
   * so racing batch completions move the choice once.
   */
  onBatchSent(topic: string, partition: number, partitionCount: number): void {
    if (this.current.get(topic) !== partition) return;
    this.choose(topic, partitionCount, partition);
  }

  private choose(topic: string, partitionCount: number, previous: number): number {
    if (!(Number.isInteger(partitionCount) && partitionCount > 0)) {
      throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
    }
    let next: number;
    if (previous < 0 || previous >= partitionCount || partitionCount === 1) {
      next = Math.floor(this.random() * partitionCount);
    } else {
      // Uniform over the others: never the partition whose batch just left.
      next = Math.floor(this.random() * (partitionCount - 1));
      if (next >= previous) next++;
    }
    this.current.delete(topic); // re-insert: Map order is the LRU order
    this.current.set(topic, next);
    if (this.current.size > this.maxTopics) {
      const oldest = this.current.keys().next().value;
      if (oldest !== undefined) this.current.delete(oldest);
    }
    return next;
  }
}
