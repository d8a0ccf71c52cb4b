import type {
  QueueConsumer,
  ReplayDeadLettersResult,
  ScheduleStats,
  SubscriptionDescription,
  SubscriptionSummary,
  TopicQueuePolicy,
} from '../../../src/broker/queues/types.ts';
import type {
  BrokerWithQueues,
  CommittedOffset,
  CreateTopicOptions,
  FetchPartitionResult,
  FetchRequest,
  GroupDescription,
  GroupSummary,
  InitProducerIdResult,
  JoinGroupResult,
  ListOffsetResult,
  OffsetCommitRequest,
  ProduceRequest,
  ProduceResult,
  TopicDescription,
  TopicSummary,
} from '../../../src/broker/types.ts';
import { ErrorCode, FerryError } from '../../../src/common/errors.ts';
import { BATCH_HEADER_BYTES, BatchField, batchSizeBytes, patchBaseOffset } from '../../../src/common/record-batch-header.ts';

interface FakePartition {
  /** Stored payloads with their base offsets. A produce of v2 batches takes as many offsets as
   *  the batches hold records (base offsets patched in); other bytes take one offset. */
  entries: { offset: number; lastOffset: number; data: Buffer }[];
  nextOffset: number;
  waiters: Set<() => void>;
}

/** Offsets taken by produced bytes, patching base offsets into v2 batches. */
function assignOffsets(data: Buffer, baseOffset: number): number {
  if (data.length < BATCH_HEADER_BYTES || data.readInt8(BatchField.magic) !== 2) return baseOffset + 1;
  let at = 0;
  let next = baseOffset;
  while (data.length - at >= BATCH_HEADER_BYTES) {
    patchBaseOffset(data, at, next);
    next += data.readInt32BE(at + BatchField.lastOffsetDelta) + 1;
    at += batchSizeBytes(data, at);
  }
  return next;
}

/**
 * An in-memory stand-in for the broker: enough to drive the native server before (and apart
 * from) the real one. Produce stores the bytes as they are, one offset per call; fetch hands
 * them back concatenated and long-polls until data or maxWait.
 */
export class FakeBroker implements BrokerWithQueues {
  readonly nodeId = 0;
  readonly topics = new Map<string, FakePartition[]>();
  /** Produce calls in arrival order, for ordering assertions. */
  readonly produceLog: { topic: string; partition: number }[] = [];
  /** Optional delay per produce call (to make answers come back out of order). */
  produceDelayMs: (request: ProduceRequest) => number = () => 0;
  /** Aborted fetch long polls seen (connection closed while waiting). */
  abortedFetches = 0;
  fetchCalls = 0;

  async createTopic(name: string, options: CreateTopicOptions = {}): Promise<TopicDescription> {
    if (this.topics.has(name)) throw new FerryError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} exists`);
    if (!options.validateOnly) {
      this.topics.set(
        name,
        Array.from({ length: options.partitions ?? 1 }, () => ({ entries: [], nextOffset: 0, waiters: new Set<() => void>() })),
      );
    }
    return this.describeTopic(name);
  }

  async deleteTopic(name: string): Promise<void> {
    if (!this.topics.delete(name)) throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
  }

  listTopics(): TopicSummary[] {
    return [...this.topics].map(([name, partitions]) => ({ name, partitionCount: partitions.length, isInternal: false }));
  }

  describeTopic(name: string): TopicDescription {
    const partitions = this.topics.get(name);
    if (!partitions) throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
    return {
      name,
      topicId: '0'.repeat(32),
      isInternal: false,
      partitions: partitions.map((p, partition) => ({
        partition,
        leader: 0,
        replicas: [0],
        isr: [0],
        leaderEpoch: 0,
        logStartOffset: 0,
        logEndOffset: p.nextOffset,
        highWatermark: p.nextOffset,
        sizeBytes: 0,
        isOffline: false,
      })),
      config: { 'cleanup.policy': 'delete' },
      overrides: {},
    };
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  async createPartitions(name: string, totalCount: number): Promise<TopicDescription> {
    const partitions = this.partitions(name);
    while (partitions.length < totalCount) partitions.push({ entries: [], nextOffset: 0, waiters: new Set() });
    return this.describeTopic(name);
  }

  async alterTopicConfig(name: string): Promise<TopicDescription> {
    return this.describeTopic(name);
  }

  brokerConfig(): Record<string, string> {
    return { 'num.partitions': '1' };
  }

  async produce(request: ProduceRequest): Promise<ProduceResult> {
    this.produceLog.push({ topic: request.topic, partition: request.partition });
    const partition = this.partition(request.topic, request.partition);
    const offset = partition.nextOffset;
    const data = Buffer.from(request.batches);
    partition.nextOffset = assignOffsets(data, offset);
    partition.entries.push({ offset, lastOffset: partition.nextOffset - 1, data });
    const delayMs = this.produceDelayMs(request);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    for (const wake of partition.waiters) wake();
    return { baseOffset: offset, logAppendTimeMs: -1, logStartOffset: 0, isDuplicate: false };
  }

  async initProducerId(): Promise<InitProducerIdResult> {
    return { producerId: 1000, producerEpoch: 0 };
  }

  async fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    this.fetchCalls++;
    const collect = (): FetchPartitionResult[] =>
      request.partitions.map((p) => {
        const partition = this.topics.get(p.topic)?.[p.partition];
        if (!partition) {
          return {
            topic: p.topic,
            partition: p.partition,
            error: new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown'),
            highWatermark: -1,
            lastStableOffset: -1,
            logStartOffset: -1,
            records: Buffer.alloc(0),
          };
        }
        const records = Buffer.concat(partition.entries.filter((e) => e.lastOffset >= p.offset).map((e) => e.data));
        const end = partition.nextOffset;
        return {
          topic: p.topic,
          partition: p.partition,
          error: null,
          highWatermark: end,
          lastStableOffset: end,
          logStartOffset: 0,
          records,
        };
      });
    let results = collect();
    const bytes = () => results.reduce((sum, r) => sum + r.records.length, 0);
    if (bytes() >= Math.max(1, request.minBytes) || request.maxWaitMs === 0) return results;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        for (const p of request.partitions) this.topics.get(p.topic)?.[p.partition]?.waiters.delete(wake);
        resolve();
      };
      const onAbort = () => {
        this.abortedFetches++;
        wake();
      };
      const timer = setTimeout(wake, request.maxWaitMs);
      request.signal?.addEventListener('abort', onAbort);
      for (const p of request.partitions) this.topics.get(p.topic)?.[p.partition]?.waiters.add(wake);
    });
    results = collect();
    return results;
  }

  async listOffset(topic: string, partition: number, timestamp: number): Promise<ListOffsetResult> {
    const p = this.partition(topic, partition);
    return { offset: timestamp === -2 ? 0 : p.nextOffset, timestamp: -1, leaderEpoch: 0 };
  }

  async deleteRecords(topic: string, partition: number, beforeOffset: number): Promise<number> {
    this.partition(topic, partition);
    return beforeOffset;
  }

  async joinGroup(): Promise<JoinGroupResult> {
    throw new FerryError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the fake broker has no groups');
  }
  async syncGroup(): Promise<{ protocolType: string; protocolName: string; assignment: Buffer }> {
    throw new FerryError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the fake broker has no groups');
  }
  async heartbeat(): Promise<void> {
    throw new FerryError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the fake broker has no groups');
  }
  async leaveGroup(): Promise<void> {}
  async commitOffsets(_request: OffsetCommitRequest): Promise<void> {}
  async fetchOffsets(): Promise<CommittedOffset[]> {
    return [];
  }
  listGroups(): GroupSummary[] {
    return [];
  }
  describeGroup(groupId: string): GroupDescription {
    throw new FerryError(ErrorCode.GROUP_ID_NOT_FOUND, `no group ${groupId}`);
  }
  async deleteGroups(groupIds: string[]): Promise<Map<string, FerryError | null>> {
    return new Map(groupIds.map((id) => [id, new FerryError(ErrorCode.GROUP_ID_NOT_FOUND, `no group ${id}`)]));
  }
  async close(): Promise<void> {}

  private partitions(topic: string): FakePartition[] {
    const partitions = this.topics.get(topic);
    if (!partitions) throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${topic}`);
    return partitions;
  }

  private partition(topic: string, partition: number): FakePartition {
    const p = this.partitions(topic)[partition];
    if (!p) throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${topic}-${partition}`);
    return p;
  }

  // Queues: the fake has no subscriptions (the real broker's are tested over the wire in
  // test/client/queues*.test.ts).
  private noSubscription(topic: string, name: string): FerryError {
    return new FerryError(ErrorCode.SUBSCRIPTION_NOT_FOUND, `no subscription ${name} on ${topic} in the fake broker`);
  }

  async createSubscription(topic: string, name: string): Promise<SubscriptionDescription> {
    throw this.noSubscription(topic, name);
  }

  async deleteSubscription(topic: string, name: string): Promise<void> {
    throw this.noSubscription(topic, name);
  }

  listSubscriptions(): SubscriptionSummary[] {
    return [];
  }

  async describeSubscription(topic: string, name: string): Promise<SubscriptionDescription> {
    throw this.noSubscription(topic, name);
  }

  async subscribe(topic: string, name: string): Promise<QueueConsumer> {
    throw this.noSubscription(topic, name);
  }

  async replayDeadLetters(topic: string, name: string): Promise<ReplayDeadLettersResult> {
    throw this.noSubscription(topic, name);
  }

  async setTopicQueuePolicy(_topic: string, policy: TopicQueuePolicy): Promise<TopicQueuePolicy> {
    return policy;
  }

  topicQueuePolicy(): TopicQueuePolicy {
    return {};
  }

  scheduleStats(): ScheduleStats {
    return { pending: 0, inWheel: 0, delivered: 0, latenessP50Ms: 0, latenessP99Ms: 0, latenessMaxMs: 0 };
  }
}
