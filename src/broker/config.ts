import { ErrorCode, FerryError } from '../common/errors.ts';
import type { LogConfig } from '../storage/types.ts';
import { DEFAULT_GROUP_CONFIG } from './groups/group-config.ts';

/**
 * The broker's settings: one typed object, defaults in one place (STYLE.md habit 7). Kafka's name
 * for each option is given where there is one, so operators can map what they know. The group
 * fields are read by the group coordinator (src/broker/groups/group-config.ts) as they are.
 */
export interface BrokerConfig {
  /** This broker's id (`node.id`); 0 on a single node. */
  nodeId: number;
  /** Partitions of a topic created without a count (`num.partitions`). */
  defaultPartitions: number;
  /** Protocol adapters create unknown topics named in metadata requests (`auto.create.topics.enable`). */
  autoCreateTopics: boolean;
  /** deleteTopic is allowed (`delete.topic.enable`); otherwise TOPIC_DELETION_DISABLED. */
  deleteTopicEnable: boolean;
  /** Largest record batch a topic accepts unless it sets `max.message.bytes` (`message.max.bytes`). */
  maxMessageBytes: number;
  /** Log settings (retention, segments, flush policy, ...) for every topic that does not override them. */
  log: Partial<LogConfig>;
  /** Partitions this broker holds across all topics; create and grow beyond it get INVALID_PARTITIONS. */
  maxPartitions: number;
  /** The topic metadata journal (one record per topic change) is folded into its snapshot once it
   *  is larger than this; bounds the replay at start and the journal's disk use. */
  metadataJournalMaxBytes: number;
  /** Producer ids allocated per persisted block: the counter on disk moves once per block. */
  producerIdBlockSize: number;
  /** Producers whose sequence state one partition keeps; the least recently active is dropped above it. */
  maxProducerIdsPerPartition: number;
  /** A producer idle this long loses its sequence state (`producer.id.expiration.ms`). */
  producerIdExpirationMs: number;
  /** How often idle producers are looked for (`producer.id.expiration.check.interval.ms`). */
  producerIdExpirationCheckIntervalMs: number;
  /** How often changed producer state is snapshotted; bounds the log scan after an unclean stop. */
  producerStateSnapshotIntervalMs: number;
  /** Longest long poll a fetch may ask for; larger maxWaitMs values are capped to it. */
  fetchMaxWaitMs: number;
  /** Largest fetch response; larger maxBytes values are capped to it (`fetch.max.bytes`). */
  fetchMaxBytes: number;
  /** Fetches parked in a long poll at once; above it a fetch answers at once with what it has. */
  maxParkedFetches: number;
  /** Shortest session a group member may ask for (`group.min.session.timeout.ms`). */
  groupMinSessionTimeoutMs: number;
  /** Longest session a group member may ask for (`group.max.session.timeout.ms`). */
  groupMaxSessionTimeoutMs: number;
  /** How long the first rebalance of an empty group waits for more members (`group.initial.rebalance.delay.ms`). */
  groupInitialRebalanceDelayMs: number;
  /** Members per group (`group.max.size`). */
  groupMaxSize: number;
  /** Groups the coordinator holds; TOO_MANY_GROUPS above it (Ferry's own bound). */
  groupMaxCount: number;
  /** Partitions of `__consumer_offsets` when it is created (`offsets.topic.num.partitions`); the
   *  single-node coordinator uses partition 0. */
  offsetsTopicPartitions: number;
  /** How long a group without members keeps its committed offsets (`offsets.retention.minutes`). */
  offsetsRetentionMs: number;
  /** How often expired offsets are looked for (`offsets.retention.check.interval.ms`). */
  offsetsRetentionCheckIntervalMs: number;
  /** UTF-8 bytes of one committed offset's metadata string (`offset.metadata.max.bytes`). */
  offsetMetadataMaxBytes: number;
  /** Bytes of one member's JoinGroup protocol metadata, and of one member's assignment. */
  groupMaxMemberMetadataBytes: number;
  /** Protocols (assignors) one member may offer in JoinGroup. */
  groupMaxProtocolsPerMember: number;
}

const DAY_MS = 24 * 60 * 60 * 1_000;

export const DEFAULT_BROKER_CONFIG: Readonly<BrokerConfig> = Object.freeze({
  nodeId: 0,
  defaultPartitions: 1,
  autoCreateTopics: true,
  deleteTopicEnable: true,
  maxMessageBytes: 1_048_588,
  log: Object.freeze({}),
  maxPartitions: 100_000,
  metadataJournalMaxBytes: 1024 * 1024,
  producerIdBlockSize: 1_000,
  maxProducerIdsPerPartition: 100_000,
  producerIdExpirationMs: 7 * DAY_MS,
  producerIdExpirationCheckIntervalMs: 600_000,
  producerStateSnapshotIntervalMs: 60_000,
  fetchMaxWaitMs: 60_000,
  fetchMaxBytes: 50 * 1024 * 1024,
  maxParkedFetches: 100_000,
  groupMinSessionTimeoutMs: DEFAULT_GROUP_CONFIG.groupMinSessionTimeoutMs,
  groupMaxSessionTimeoutMs: DEFAULT_GROUP_CONFIG.groupMaxSessionTimeoutMs,
  groupInitialRebalanceDelayMs: DEFAULT_GROUP_CONFIG.groupInitialRebalanceDelayMs,
  groupMaxSize: DEFAULT_GROUP_CONFIG.groupMaxSize,
  groupMaxCount: DEFAULT_GROUP_CONFIG.groupMaxCount,
  offsetsTopicPartitions: 1,
  offsetsRetentionMs: DEFAULT_GROUP_CONFIG.offsetsRetentionMs,
  offsetsRetentionCheckIntervalMs: DEFAULT_GROUP_CONFIG.offsetsRetentionCheckIntervalMs,
  offsetMetadataMaxBytes: DEFAULT_GROUP_CONFIG.offsetMetadataMaxBytes,
  groupMaxMemberMetadataBytes: DEFAULT_GROUP_CONFIG.groupMaxMemberMetadataBytes,
  groupMaxProtocolsPerMember: DEFAULT_GROUP_CONFIG.groupMaxProtocolsPerMember,
});

type NumericKey = { [K in keyof BrokerConfig]: BrokerConfig[K] extends number ? K : never }[keyof BrokerConfig];

/** Smallest value of each numeric option (all are integers). */
const MINIMUMS: Readonly<Record<NumericKey, number>> = {
  nodeId: 0,
  defaultPartitions: 1,
  maxMessageBytes: 0,
  maxPartitions: 1,
  metadataJournalMaxBytes: 0,
  producerIdBlockSize: 1,
  maxProducerIdsPerPartition: 1,
  producerIdExpirationMs: 1,
  producerIdExpirationCheckIntervalMs: 1,
  producerStateSnapshotIntervalMs: 1,
  fetchMaxWaitMs: 0,
  fetchMaxBytes: 1,
  maxParkedFetches: 0,
  groupMinSessionTimeoutMs: 0,
  groupMaxSessionTimeoutMs: 0,
  groupInitialRebalanceDelayMs: 0,
  groupMaxSize: 1,
  groupMaxCount: 1,
  offsetsTopicPartitions: 1,
  offsetsRetentionMs: 1,
  offsetsRetentionCheckIntervalMs: 1,
  offsetMetadataMaxBytes: 0,
  groupMaxMemberMetadataBytes: 0,
  groupMaxProtocolsPerMember: 1,
};

/** Merges `overrides` over the defaults and validates the result once, at the edge. */
export function resolveBrokerConfig(overrides: Partial<BrokerConfig> = {}): BrokerConfig {
  const config: BrokerConfig = { ...DEFAULT_BROKER_CONFIG, ...dropUndefined(overrides) };
  config.log = { ...DEFAULT_BROKER_CONFIG.log, ...overrides.log };
  for (const key of Object.keys(MINIMUMS) as NumericKey[]) {
    const value = config[key];
    if (!Number.isSafeInteger(value) || value < MINIMUMS[key]) {
      throw new FerryError(ErrorCode.INVALID_CONFIG, `broker config ${key} must be an integer >= ${MINIMUMS[key]}, got ${value}`, {
        key,
        value,
      });
    }
  }
  for (const key of ['autoCreateTopics', 'deleteTopicEnable'] as const) {
    if (typeof config[key] !== 'boolean') {
      throw new FerryError(ErrorCode.INVALID_CONFIG, `broker config ${key} must be a boolean, got ${String(config[key])}`, { key });
    }
  }
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    throw new FerryError(ErrorCode.INVALID_CONFIG, 'broker config groupMinSessionTimeoutMs is above groupMaxSessionTimeoutMs', {
      key: 'groupMinSessionTimeoutMs',
    });
  }
  return config;
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
