/**
 * The broker's public API: plain calls, no sockets (DESIGN.md section 2). Every protocol session
 * (native, Kafka, HTTP, ...) calls these same methods, and tests drive them directly. Errors are
 * FerryError with a stable code.
 *
 * Records cross this API as whole Kafka RecordBatch v2 buffers (DESIGN.md section 4): produce
 * hands the broker encoded batches, fetch hands back stored batches.
 */

import type { QueueApi } from './queues/types.ts';

import type {
  GroupDescription,
  GroupMemberDescription,
  GroupOffsetLag,
  GroupState,
  GroupSummary,
  PartitionInfo,
  TopicConfigEntries,
  TopicDescription,
  TopicSummary,
} from '../common/admin-types.ts';

export type {
  GroupDescription,
  GroupMemberDescription,
  GroupOffsetLag,
  GroupState,
  GroupSummary,
  PartitionInfo,
  TopicConfigEntries,
  TopicDescription,
  TopicSummary,
};

// ------------------------------------------------------------------------------------ topics

export interface CreateTopicOptions {
  /** Default: the broker's `num.partitions` (config `defaultPartitions`). */
  partitions?: number;
  /** Single node: must be 1 or omitted. */
  replicationFactor?: number;
  config?: TopicConfigEntries;
  /** Validate only; create nothing (Kafka's validateOnly). */
  validateOnly?: boolean;
}

// ----------------------------------------------------------------------------------- produce

/** 0: no answer expected; 1: leader wrote it; -1 ("all"): every in-sync replica has it. On one
 *  node 1 and -1 both resolve after the append is durable under the log's flush policy. */
export type Acks = 0 | 1 | -1;

export interface ProduceRequest {
  topic: string;
  partition: number;
  /** One or more whole v2 batches, back to back. Idempotent batches carry producer id, epoch
   *  and base sequence in their headers. The buffer is patched in place (offsets). */
  batches: Buffer;
  acks: Acks;
  timeoutMs?: number;
}

export interface ProduceResult {
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  /** True when an idempotent retry matched a batch already appended (nothing new written). */
  isDuplicate: boolean;
}

export interface InitProducerIdRequest {
  transactionalId?: string | null;
  /** When re-initialising: the current id and epoch (bumps the epoch). */
  producerId?: number;
  producerEpoch?: number;
}

export interface InitProducerIdResult {
  producerId: number;
  producerEpoch: number;
}

// ------------------------------------------------------------------------------------- fetch

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  offset: number;
  /** Per-partition byte budget (at least one whole batch is returned regardless). */
  maxBytes: number;
}

export interface FetchRequest {
  partitions: FetchPartitionRequest[];
  /** Long poll: wait up to this long for `minBytes` to be available. */
  maxWaitMs: number;
  minBytes: number;
  /** Whole-response byte budget. */
  maxBytes: number;
  /** 'read_committed' reads up to the last stable offset (= high watermark without transactions). */
  isolationLevel?: 'read_uncommitted' | 'read_committed';
  /** Aborts the long poll early (connection closed). */
  signal?: AbortSignal;
}

export interface FetchPartitionResult {
  topic: string;
  partition: number;
  /** Set when this partition failed; `records` is then empty. */
  error: import('../common/errors.ts').FerryError | null;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Whole stored batches; the first may start below the requested offset. */
  records: Buffer;
}

// ------------------------------------------------------------------------------- list offsets

/** Kafka's special timestamps: -1 latest (log end / high watermark), -2 earliest. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface ListOffsetResult {
  offset: number;
  /** -1 when the offset came from a special timestamp. */
  timestamp: number;
  leaderEpoch: number;
}

// ------------------------------------------------------------------------------------ groups
// The coordinator is Kafka's: members send opaque protocol metadata, the leader computes the
// assignment (client side) and hands it back in SyncGroup. Native and Kafka clients use the same
// "consumer" protocol encoding (src/common/consumer-protocol.ts), so a group is one group whichever
// protocol its members speak.

export interface GroupProtocol {
  /** Assignor name: `range`, `roundrobin`, `cooperative-sticky`, ... */
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  groupId: string;
  /** Empty on the first join: the coordinator assigns one. */
  memberId: string;
  groupInstanceId?: string | null;
  clientId?: string;
  clientHost?: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  /** Kafka JoinGroup v4+: a first join without member id gets MEMBER_ID_REQUIRED and the id. */
  requireKnownMemberId?: boolean;
  signal?: AbortSignal;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResult {
  generationId: number;
  protocolType: string;
  protocolName: string;
  leaderId: string;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinGroupMember[];
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  /** Only the leader sends assignments. */
  assignments: { memberId: string; assignment: Buffer }[];
  signal?: AbortSignal;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
}

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch?: number;
  metadata?: string | null;
}

export interface OffsetCommitRequest {
  groupId: string;
  /** -1 with empty member id: a standalone commit (no group membership), as Kafka allows. */
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  offsets: OffsetCommitEntry[];
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1 when nothing is committed. */
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

// ------------------------------------------------------------------------------ the broker

/** What the broker offers its protocol sessions. Implemented by `Broker` (src/broker/broker.ts). */
export interface BrokerApi {
  /** This broker's id (0 on a single node) and where clients reach it. */
  readonly nodeId: number;
  /** Counters the protocol sessions record requests and connections into (observability/metrics);
   *  absent on test doubles. */
  readonly metrics?: import('../observability/metrics/recorder.ts').BrokerMetrics;

  // topics
  createTopic(name: string, options?: CreateTopicOptions): Promise<TopicDescription>;
  deleteTopic(name: string): Promise<void>;
  listTopics(options?: { includeInternal?: boolean }): TopicSummary[];
  /** UNKNOWN_TOPIC_OR_PARTITION when missing. */
  describeTopic(name: string): TopicDescription;
  hasTopic(name: string): boolean;
  /** Grows the topic to `totalCount` partitions (never shrinks: INVALID_PARTITIONS). */
  createPartitions(name: string, totalCount: number): Promise<TopicDescription>;
  /** Sets and removes topic config overrides; values validated as at create. */
  alterTopicConfig(name: string, set: TopicConfigEntries, remove?: string[]): Promise<TopicDescription>;
  /** Broker-level defaults as Kafka config entries (for DescribeConfigs on the broker). */
  brokerConfig(): TopicConfigEntries;

  // produce and fetch
  produce(request: ProduceRequest): Promise<ProduceResult>;
  initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdResult>;
  fetch(request: FetchRequest): Promise<FetchPartitionResult[]>;
  listOffset(topic: string, partition: number, timestamp: number): Promise<ListOffsetResult>;
  deleteRecords(topic: string, partition: number, beforeOffset: number): Promise<number>;

  // consumer groups
  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult>;
  syncGroup(request: SyncGroupRequest): Promise<{ protocolType: string; protocolName: string; assignment: Buffer }>;
  heartbeat(request: HeartbeatRequest): Promise<void>;
  leaveGroup(groupId: string, members: { memberId: string; groupInstanceId?: string | null }[]): Promise<void>;
  commitOffsets(request: OffsetCommitRequest): Promise<void>;
  /** All committed offsets of the group when `partitions` is omitted. */
  fetchOffsets(groupId: string, partitions?: { topic: string; partition: number }[]): Promise<CommittedOffset[]>;
  listGroups(): GroupSummary[];
  describeGroup(groupId: string): GroupDescription;
  deleteGroups(groupIds: string[]): Promise<Map<string, import('../common/errors.ts').FerryError | null>>;

  /** Stops timers, flushes, closes every log (clean-shutdown marker). */
  close(): Promise<void>;
}

// ------------------------------------------------------------------------------ queues

export type { QueueApi };

/** A broker that also serves queues (src/broker/queues/types.ts, docs/queues.md): what a protocol
 *  session needs to expose subscriptions. `Broker` implements it; BrokerApi stays as it is so
 *  that sessions and fakes that do not serve queues need not change. */
export interface BrokerWithQueues extends BrokerApi, QueueApi {}
