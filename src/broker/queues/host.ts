import type { Logger } from '../../common/logger.ts';
import type { AppendResult, FileSystem } from '../../storage/types.ts';
import type { Partition } from '../partition.ts';
import type { ProduceResult, TopicConfigEntries } from '../types.ts';

/**
 * What the queue engine needs from the broker around it: partitions to read and append to, the
 * produce path, and topic admin. The broker builds one (src/broker/broker.ts); tests may too.
 */
export interface QueueHost {
  readonly dataDir: string;
  readonly fs: FileSystem;
  readonly logger: Logger;
  now(): number;
  partition(topic: string, index: number): Partition | undefined;
  /** 0 when the topic does not exist. */
  partitionCount(topic: string): number;
  /** Appends whole batches without producer checks (internal topics, dead letters, due records). */
  append(partition: Partition, batches: Buffer): Promise<AppendResult>;
  /** The broker's produce path (idempotence checks) without queue admission. */
  produce(partition: Partition, batches: Buffer): Promise<ProduceResult>;
  /** Creates an internal topic (hidden, not deletable) unless it exists. */
  ensureInternalTopic(name: string, partitions: number, config: TopicConfigEntries): Promise<void>;
  /** Creates an ordinary topic (dead-letter topics) unless it exists. */
  ensureTopic(name: string, partitions: number): Promise<void>;
  alterTopicConfig(name: string, set: TopicConfigEntries): Promise<void>;
}
