import type { LogConfig } from '../storage/types.ts';
import type { BrokerConfig } from './config.ts';
import { formatFlushPolicy } from './topic-config.ts';
import type { TopicConfigEntries } from './types.ts';

/** The LogConfig every topic starts from: storage defaults, the broker's `log` settings, and
 *  `maxMessageBytes` (Kafka's `message.max.bytes` is the broker-wide default of a topic's
 *  `max.message.bytes`, so it wins over `log.maxBatchBytes`). */
export function brokerLogDefaults(storageDefaults: LogConfig, config: BrokerConfig): LogConfig {
  return {
    ...storageDefaults,
    ...config.log,
    flush: { ...(config.log.flush ?? storageDefaults.flush) },
    maxBatchBytes: config.maxMessageBytes,
  };
}

/** The broker's settings under Kafka's broker config names (DescribeConfigs on the broker). */
export function brokerConfigEntries(config: BrokerConfig, log: LogConfig): TopicConfigEntries {
  return {
    'node.id': String(config.nodeId),
    'broker.id': String(config.nodeId),
    'num.partitions': String(config.defaultPartitions),
    'default.replication.factor': '1',
    'auto.create.topics.enable': String(config.autoCreateTopics),
    'delete.topic.enable': String(config.deleteTopicEnable),
    'message.max.bytes': String(config.maxMessageBytes),
    'log.retention.ms': String(log.retentionMs),
    'log.retention.bytes': String(log.retentionBytes),
    'log.segment.bytes': String(log.segmentBytes),
    'log.roll.ms': String(log.segmentMs),
    'log.index.interval.bytes': String(log.indexIntervalBytes),
    'log.message.timestamp.type': log.timestampType,
    'log.cleanup.policy': 'delete',
    'log.flush.policy': formatFlushPolicy(log.flush),
    'producer.id.expiration.ms': String(config.producerIdExpirationMs),
    'producer.id.expiration.check.interval.ms': String(config.producerIdExpirationCheckIntervalMs),
    'fetch.max.bytes': String(config.fetchMaxBytes),
    'group.min.session.timeout.ms': String(config.groupMinSessionTimeoutMs),
    'group.max.session.timeout.ms': String(config.groupMaxSessionTimeoutMs),
    'group.initial.rebalance.delay.ms': String(config.groupInitialRebalanceDelayMs),
    'group.max.size': String(config.groupMaxSize),
    'offsets.topic.num.partitions': String(config.offsetsTopicPartitions),
    'offsets.topic.replication.factor': '1',
    'offsets.retention.minutes': String(Math.floor(config.offsetsRetentionMs / 60_000)),
    'offsets.retention.check.interval.ms': String(config.offsetsRetentionCheckIntervalMs),
    'offset.metadata.max.bytes': String(config.offsetMetadataMaxBytes),
  };
}
