/**
 * Descriptions of topics and groups as the broker reports them and every protocol carries them
 * (the native codec encodes these shapes field for field; the client returns them). They live in
 * common/ so that the broker, the codecs and the client share one declaration without the client
 * importing the broker.
 */

/** Topic-level config, Kafka's names and string values (`retention.ms`, `cleanup.policy`, ...).
 *  Unknown keys are refused with INVALID_CONFIG; values are validated. */
export type TopicConfigEntries = Record<string, string>;

export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  leaderEpoch: number;
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  sizeBytes: number;
  isOffline: boolean;
}

export interface TopicDescription {
  name: string;
  /** Stable id (16 random bytes as 32 hex chars), Kafka's topic id. */
  topicId: string;
  isInternal: boolean;
  partitions: PartitionInfo[];
  /** Effective config: explicit entries merged over broker defaults. */
  config: TopicConfigEntries;
  /** Only the entries set on this topic. */
  overrides: TopicConfigEntries;
  /** What the config values alone do not say, e.g. that `cleanup.policy=compact` is stored but
   *  compaction is not implemented yet. Absent when there is nothing to say. */
  warnings?: string[];
}

export interface TopicSummary {
  name: string;
  partitionCount: number;
  isInternal: boolean;
}

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  metadata: Buffer;
  assignment: Buffer;
  /** Decoded from `assignment` when the protocol type is `consumer`. */
  assignedPartitions: { topic: string; partitions: number[] }[];
}

export interface GroupOffsetLag {
  topic: string;
  partition: number;
  committedOffset: number;
  logEndOffset: number;
  /** logEndOffset - committed (or - logStartOffset when nothing is committed). */
  lag: number;
  memberId: string | null;
}

export interface GroupDescription {
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  generationId: number;
  leaderId: string | null;
  members: GroupMemberDescription[];
  offsets: GroupOffsetLag[];
}

export interface GroupSummary {
  groupId: string;
  protocolType: string;
  state: GroupState;
}
