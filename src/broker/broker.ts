import { decodeAssignment } from '../common/consumer-protocol.ts';
import { ErrorCode, FerryError, toFerryError } from '../common/errors.ts';
import { createLogger, type Logger } from '../common/logger.ts';
import { type BrokerMetrics, NOOP_BROKER_METRICS, type PartitionMetrics } from '../observability/metrics/recorder.ts';
import { DEFAULT_LOG_CONFIG, validateLogConfig } from '../storage/log-config.ts';
import { NodeFileSystem } from '../storage/node-file-system.ts';
import type { FileSystem, LogConfig, LogManager } from '../storage/types.ts';
import { brokerConfigEntries, brokerLogDefaults } from './broker-config-entries.ts';
import { type BrokerConfig, resolveBrokerConfig } from './config.ts';
import { ConsumerOffsetsLog } from './consumer-offsets-log.ts';
import { FetchService } from './fetch.ts';
import { GroupCoordinator } from './groups/group-coordinator.ts';
import { withDeliveryMetrics } from './delivery-metrics.ts';
import { deleteRecords, listOffset } from './log-offsets.ts';
import type { Partition } from './partition.ts';
import { appendAndPublish, type ProduceContext, produceToPartition } from './produce.ts';
import { ProducerIdAllocator } from './producer-id-allocator.ts';
import { ProducerStateTable } from './producer-state.ts';
import { loadProducerState } from './producer-state-recovery.ts';
import { producerSnapshotDir } from './producer-state-snapshot.ts';
import type { QueueConfig } from './queues/config.ts';
import type { QueueHost } from './queues/host.ts';
import { QueueManager } from './queues/queue-manager.ts';
import type {
  CreateSubscriptionOptions,
  QueueApi,
  QueueConsumer,
  ReplayDeadLettersOptions,
  ReplayDeadLettersResult,
  ScheduleStats,
  SubscribeOptions,
  SubscriptionDescription,
  SubscriptionMode,
  SubscriptionSummary,
  TopicQueuePolicy,
} from './queues/types.ts';
import { metadataDir, TopicMetadataStore } from './topic-metadata-store.ts';
import { CONSUMER_OFFSETS_TOPIC, isInternalTopic } from './topic-names.ts';
import { TopicRegistry } from './topic-registry.ts';
import type {
  BrokerApi,
  CommittedOffset,
  CreateTopicOptions,
  FetchPartitionResult,
  FetchRequest,
  GroupDescription,
  GroupSummary,
  HeartbeatRequest,
  InitProducerIdRequest,
  InitProducerIdResult,
  JoinGroupRequest,
  JoinGroupResult,
  ListOffsetResult,
  OffsetCommitRequest,
  ProduceRequest,
  ProduceResult,
  SyncGroupRequest,
  TopicConfigEntries,
  TopicDescription,
  TopicSummary,
} from './types.ts';

export interface BrokerOptions {
  /** Opened by the caller (server wiring or test); the broker closes it in close(). */
  logs: LogManager;
  config?: Partial<BrokerConfig>;
  logger?: Logger;
  /** Where metadata and producer state snapshots go; default NodeFileSystem. Pass the same
   *  FileSystem the LogManager uses (tests put a fault layer under both). */
  fs?: FileSystem;
  /** Wall clock (producer expiry, commit timestamps); timers always use real time. */
  now?: () => number;
  /** Queue engine settings (subscriptions, scheduled delivery); defaults in src/broker/queues/config.ts. */
  queues?: Partial<QueueConfig>;
  /** Where produce and fetch record their counters; default off (src/observability/metrics/). */
  metrics?: BrokerMetrics;
}

/** Kafka's Short.MaxValue: an epoch that cannot be bumped any more gets a new producer id. */
const MAX_PRODUCER_EPOCH = 0x7fff;

/**
 * The broker: topics, produce (with idempotence), fetch (with long poll), offsets, and the group
 * coordinator, over one LogManager. No sockets: every protocol session calls these methods.
 */
export class Broker implements BrokerApi, QueueApi {
  readonly config: BrokerConfig;
  readonly logs: LogManager;
  readonly metrics: BrokerMetrics;
  private readonly logger: Logger;
  private readonly fs: FileSystem;
  private readonly now: () => number;
  private readonly logDefaults: LogConfig;
  private readonly producerIds: ProducerIdAllocator;
  private readonly registry: TopicRegistry;
  private readonly fetcher: FetchService;
  private readonly produceContext: ProduceContext;
  private coordinator!: GroupCoordinator;
  private queues!: QueueManager;
  private readonly queueConfig: Partial<QueueConfig>;
  private readonly timers: NodeJS.Timeout[] = [];
  private appendsInFlight = 0;
  private onAppendsDrained: (() => void) | null = null;
  private snapshotRun: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  /** A partition's counters, looked up once and kept on it. */
  private readonly metricsOf = (partition: Partition): PartitionMetrics =>
    (partition.metrics ??= this.metrics.partition(partition.topic, partition.index));

  private constructor(
    options: BrokerOptions,
    config: BrokerConfig,
    logger: Logger,
    fs: FileSystem,
    logDefaults: LogConfig,
    producerIds: ProducerIdAllocator,
  ) {
    this.config = config;
    this.logs = options.logs;
    this.logger = logger;
    this.fs = fs;
    this.now = options.now ?? Date.now;
    this.logDefaults = logDefaults;
    this.producerIds = producerIds;
    this.queueConfig = options.queues ?? {};
    this.metrics = options.metrics ?? NOOP_BROKER_METRICS;
    const limits = { maxProducerIds: config.maxProducerIdsPerPartition };
    this.registry = new TopicRegistry({
      logs: options.logs,
      store: new TopicMetadataStore(fs, options.logs.dataDir, { logger, maxJournalBytes: config.metadataJournalMaxBytes }),
      fs,
      producerSnapshotDir: producerSnapshotDir(metadataDir(options.logs.dataDir)),
      logger,
      nodeId: config.nodeId,
      logDefaults,
      defaultPartitions: config.defaultPartitions,
      maxPartitions: config.maxPartitions,
      deleteTopicEnable: config.deleteTopicEnable,
      now: this.now,
      loadProducers: (log, snapshotPath) => loadProducerState({ log, snapshotPath, fs, logger, limits, nowMs: this.now() }),
      newProducers: () => new ProducerStateTable(limits),
      onTopicDeleted: async (topic) => {
        await this.coordinator.deleteTopicOffsets(topic);
        await this.queues.onTopicDeleted(topic);
      },
    });
    this.fetcher = new FetchService((topic, partition) => this.registry.partition(topic, partition), config, this.metricsOf);
    this.produceContext = {
      now: this.now,
      isAllocatedProducerId: (producerId) => this.producerIds.isAllocated(producerId),
      metricsOf: this.metricsOf,
      appendStarted: () => {
        this.appendsInFlight++;
      },
      appendSettled: () => {
        if (--this.appendsInFlight === 0) this.onAppendsDrained?.();
      },
    };
  }

  /**
   * Opens the broker over `options.logs`: loads topic metadata, opens every partition and
   * rebuilds its producer state, creates `__consumer_offsets` if missing and loads the group
   * coordinator from it, then starts the producer expiry and snapshot timers.
   */
  static async open(options: BrokerOptions): Promise<Broker> {
    const config = resolveBrokerConfig(options.config);
    const logger = (options.logger ?? createLogger()).child({ component: 'broker' });
    const fs = options.fs ?? new NodeFileSystem();
    const logDefaults = brokerLogDefaults(DEFAULT_LOG_CONFIG, config);
    validateLogConfig(logDefaults);
    const dir = metadataDir(options.logs.dataDir);
    await fs.mkdir(dir);
    const producerIds = await ProducerIdAllocator.open(fs, dir, config.producerIdBlockSize);
    const broker = new Broker(options, config, logger, fs, logDefaults, producerIds);
    await broker.start();
    return broker;
  }

  private async start(): Promise<void> {
    await this.registry.open();
    if (!this.registry.has(CONSUMER_OFFSETS_TOPIC)) {
      await this.registry.create(
        CONSUMER_OFFSETS_TOPIC,
        { partitions: this.config.offsetsTopicPartitions, config: { 'cleanup.policy': 'compact' } },
        true,
      );
    }
    const offsetsPartition = this.registry.partition(CONSUMER_OFFSETS_TOPIC, 0)!;
    this.coordinator = new GroupCoordinator({
      config: this.config,
      logger: this.logger,
      offsetsLog: new ConsumerOffsetsLog(offsetsPartition, this.produceContext),
      topicInfo: (topic, partition) => {
        const log = this.registry.partition(topic, partition)?.log;
        if (log === undefined || log.isOffline) return undefined;
        return { logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, highWatermark: log.highWatermark };
      },
      now: this.now,
      decodeAssignment: (assignment) => decodeAssignment(assignment).assignedPartitions,
    });
    await this.coordinator.load();
    this.queues = await QueueManager.open({
      host: this.queueHost(),
      config: this.queueConfig,
      logger: this.logger.child({ component: 'queues' }),
    });
    for (const { name } of this.registry.list(false)) await this.queues.onTopicConfig(name, this.registry.describe(name).overrides, null);
    this.timers.push(
      setInterval(() => this.expireProducers(), this.config.producerIdExpirationCheckIntervalMs).unref(),
      setInterval(() => {
        if (this.snapshotRun === null) void this.snapshotProducers();
      }, this.config.producerStateSnapshotIntervalMs).unref(),
    );
    this.logger.info(
      { dataDir: this.logs.dataDir, topics: this.registry.list(true).length, wasCleanShutdown: this.logs.wasCleanShutdown },
      'broker open',
    );
  }

  get nodeId(): number {
    return this.config.nodeId;
  }

  // ---------------------------------------------------------------------------------- topics

  async createTopic(name: string, options?: CreateTopicOptions): Promise<TopicDescription> {
    this.checkOpen();
    const description = await this.registry.create(name, options);
    await this.queues.onTopicConfig(name, description.overrides, Object.keys(description.overrides)); // ferry.queue.* keys
    return description;
  }

  async deleteTopic(name: string): Promise<void> {
    this.checkOpen();
    return this.registry.delete(name);
  }

  listTopics(options: { includeInternal?: boolean } = {}): TopicSummary[] {
    return this.registry.list(options.includeInternal === true);
  }

  describeTopic(name: string): TopicDescription {
    return this.registry.describe(name);
  }

  hasTopic(name: string): boolean {
    return this.registry.has(name);
  }

  async createPartitions(name: string, totalCount: number): Promise<TopicDescription> {
    this.checkOpen();
    const description = await this.registry.createPartitions(name, totalCount);
    await this.queues.onPartitionsAdded(name);
    return description;
  }

  async alterTopicConfig(name: string, set: TopicConfigEntries, remove?: string[]): Promise<TopicDescription> {
    this.checkOpen();
    const description = await this.registry.alterConfig(name, set, remove);
    await this.queues.onTopicConfig(name, description.overrides, [...Object.keys(set), ...(remove ?? [])]); // ferry.queue.* keys
    return description;
  }

  brokerConfig(): TopicConfigEntries {
    return brokerConfigEntries(this.config, this.logDefaults);
  }

  // ------------------------------------------------------------------------ produce and fetch

  async produce(request: ProduceRequest): Promise<ProduceResult> {
    this.checkOpen();
    const { acks } = request;
    if (acks !== 1 && acks !== -1 && acks !== 0) {
      throw new FerryError(ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, got ${String(acks)}`, { acks });
    }
    const partition = this.partitionOf(request.topic, request.partition);
    if (isInternalTopic(partition.topic)) {
      throw new FerryError(ErrorCode.INVALID_TOPIC, `clients cannot produce to the internal topic ${partition.topic}`, {
        topic: partition.topic,
      });
    }
    // Queues: backlog limits (reject_publish) refuse here; records due later go to the scheduler.
    const admitted = this.queues.admitProduce(partition, request.batches);
    if (admitted !== null) return admitted;
    // acks 0, 1 and -1 all resolve after the append is durable under the flush policy: on one
    // node the leader is every in-sync replica. A session answering acks=0 need not wait.
    return produceToPartition(partition, request.batches, this.produceContext);
  }

  async initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdResult> {
    this.checkOpen();
    if (request.transactionalId !== undefined && request.transactionalId !== null) {
      throw new FerryError(
        ErrorCode.INVALID_REQUEST,
        'transactions are not supported: use an idempotent producer without a transactional id',
      );
    }
    const producerId = request.producerId ?? -1;
    const producerEpoch = request.producerEpoch ?? -1;
    if (producerId >= 0 || producerEpoch >= 0) {
      // KIP-360: a producer that lost track of its sequences bumps its epoch and starts over.
      if (producerId < 0 || producerEpoch < 0) {
        throw new FerryError(ErrorCode.INVALID_REQUEST, 'producerId and producerEpoch must be given together', {
          producerId,
          producerEpoch,
        });
      }
      if (!this.producerIds.isAllocated(producerId)) {
        throw new FerryError(ErrorCode.UNKNOWN_PRODUCER_ID, `producer id ${producerId} was never allocated by this broker`, { producerId });
      }
      if (producerEpoch + 1 < MAX_PRODUCER_EPOCH) return { producerId, producerEpoch: producerEpoch + 1 };
    }
    return { producerId: await this.producerIds.allocate(), producerEpoch: 0 };
  }

  async fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    this.checkOpen();
    return this.fetcher.fetch(request);
  }

  async listOffset(topic: string, partition: number, timestamp: number): Promise<ListOffsetResult> {
    this.checkOpen();
    return listOffset(this.partitionOf(topic, partition), timestamp);
  }

  async deleteRecords(topic: string, partition: number, beforeOffset: number): Promise<number> {
    this.checkOpen();
    if (isInternalTopic(topic)) {
      throw new FerryError(ErrorCode.INVALID_TOPIC, `records of the internal topic ${topic} cannot be deleted`, { topic });
    }
    return deleteRecords(this.partitionOf(topic, partition), beforeOffset);
  }

  // ------------------------------------------------------------------------------- groups

  async joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    return this.coordinator.joinGroup(request);
  }

  async syncGroup(request: SyncGroupRequest): Promise<{ protocolType: string; protocolName: string; assignment: Buffer }> {
    return this.coordinator.syncGroup(request);
  }

  async heartbeat(request: HeartbeatRequest): Promise<void> {
    return this.coordinator.heartbeat(request);
  }

  async leaveGroup(groupId: string, members: { memberId: string; groupInstanceId?: string | null }[]): Promise<void> {
    return this.coordinator.leaveGroup(groupId, members);
  }

  async commitOffsets(request: OffsetCommitRequest): Promise<void> {
    return this.coordinator.commitOffsets(request);
  }

  async fetchOffsets(groupId: string, partitions?: { topic: string; partition: number }[]): Promise<CommittedOffset[]> {
    return this.coordinator.fetchOffsets(groupId, partitions);
  }

  listGroups(): GroupSummary[] {
    return this.coordinator.listGroups();
  }

  describeGroup(groupId: string): GroupDescription {
    return this.coordinator.describeGroup(groupId);
  }

  async deleteGroups(groupIds: string[]): Promise<Map<string, FerryError | null>> {
    return this.coordinator.deleteGroups(groupIds);
  }

  // ------------------------------------------------------------------------------- queues
  // Subscriptions with per-message acks, dead letters, scheduled delivery, TTL and backlog
  // limits: the queue engine in src/broker/queues/ (docs/queues.md).

  async createSubscription(topic: string, name: string, options: CreateSubscriptionOptions): Promise<SubscriptionDescription> {
    return this.queues.createSubscription(topic, name, options);
  }

  async deleteSubscription(topic: string, name: string): Promise<void> {
    return this.queues.deleteSubscription(topic, name);
  }

  listSubscriptions(topic?: string): SubscriptionSummary[] {
    return this.queues.listSubscriptions(topic);
  }

  async describeSubscription(topic: string, name: string): Promise<SubscriptionDescription> {
    return this.queues.describeSubscription(topic, name);
  }

  async subscribe(topic: string, name: string, mode: SubscriptionMode, options: SubscribeOptions): Promise<QueueConsumer> {
    this.checkOpen();
    if (!this.metrics.isEnabled) return this.queues.subscribe(topic, name, mode, options);
    const counted = withDeliveryMetrics(options, topic, (t, p) => {
      const partition = this.registry.partition(t, p);
      return partition === undefined ? undefined : this.metricsOf(partition);
    });
    return this.queues.subscribe(topic, name, mode, counted);
  }

  async replayDeadLetters(topic: string, name: string, options?: ReplayDeadLettersOptions): Promise<ReplayDeadLettersResult> {
    this.checkOpen();
    return this.queues.replayDeadLetters(topic, name, options);
  }

  async setTopicQueuePolicy(topic: string, policy: TopicQueuePolicy): Promise<TopicQueuePolicy> {
    this.checkOpen();
    // Through the topic's ferry.queue.* config keys, so describe and Kafka DescribeConfigs show it.
    const { set, remove } = this.queues.policyAsTopicConfig(topic, policy);
    await this.alterTopicConfig(topic, set, remove);
    return this.queues.topicQueuePolicy(topic);
  }

  topicQueuePolicy(topic: string): TopicQueuePolicy {
    return this.queues.topicQueuePolicy(topic);
  }

  scheduleStats(): ScheduleStats {
    return this.queues.scheduleStats();
  }

  /** The queue engine itself, for tests and benchmarks (retention runs, stats resets). */
  get queueManager(): QueueManager {
    return this.queues;
  }

  /** What the queue engine needs from the broker: partitions, the append and produce paths, topic admin. */
  private queueHost(): QueueHost {
    const registry = this.registry;
    return {
      dataDir: this.logs.dataDir,
      fs: this.fs,
      logger: this.logger,
      now: this.now,
      partition: (topic, index) => registry.partition(topic, index),
      partitionCount: (topic) => {
        let count = 0;
        while (registry.partition(topic, count) !== undefined) count++;
        return count;
      },
      append: (partition, batches) => appendAndPublish(partition, batches, this.produceContext),
      produce: (partition, batches) => produceToPartition(partition, batches, this.produceContext),
      ensureInternalTopic: async (name, partitions, config) => {
        if (!registry.has(name)) await registry.create(name, { partitions, config }, true);
      },
      ensureTopic: async (name, partitions) => {
        if (registry.has(name)) return;
        try {
          await registry.create(name, { partitions });
        } catch (error) {
          if (!(error instanceof FerryError && error.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw error;
        }
      },
      alterTopicConfig: async (name, set) => {
        await registry.alterConfig(name, set);
      },
    };
  }

  // ---------------------------------------------------------------------------- lifecycle

  /**
   * Stops the timers, answers parked fetches and group requests, waits for appends in flight,
   * snapshots producer state (so the next open replays nothing) and closes every log, which
   * writes the clean-shutdown marker. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.fetcher.close();
    await this.coordinator.close();
    await this.queues.close();
    if (this.appendsInFlight > 0) {
      await new Promise<void>((resolve) => {
        this.onAppendsDrained = resolve;
      });
    }
    await this.snapshotProducers();
    await this.registry.close();
    await this.logs.close();
    this.logger.info({ dataDir: this.logs.dataDir }, 'broker closed');
  }

  private checkOpen(): void {
    if (this.closing !== null) throw new FerryError(ErrorCode.LOG_CLOSED, 'the broker is closing');
  }

  private partitionOf(topic: string, index: number): Partition {
    const partition = this.registry.partition(topic, index);
    if (partition === undefined) {
      throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${topic}-${index}`, { topic, partition: index });
    }
    return partition;
  }

  private expireProducers(): void {
    const nowMs = this.now();
    for (const partition of this.registry.allPartitions()) {
      partition.producers.expire(nowMs, this.config.producerIdExpirationMs);
    }
  }

  /**
   * Writes the snapshot of every partition whose producer state changed, one run at a time: a
   * call during a run waits for it and then runs again, so that close() snapshots the final state.
   */
  private async snapshotProducers(): Promise<void> {
    while (this.snapshotRun !== null) await this.snapshotRun;
    const run = this.writeSnapshots();
    this.snapshotRun = run;
    try {
      await run;
    } finally {
      this.snapshotRun = null;
    }
  }

  private async writeSnapshots(): Promise<void> {
    for (const partition of [...this.registry.allPartitions()]) {
      try {
        await partition.snapshotProducers(this.fs);
      } catch (error) {
        if (partition.isDeleted) continue;
        this.logger.warn(
          { topic: partition.topic, partition: partition.index, err: toFerryError(error).message },
          'could not write producer state snapshot',
        );
      }
    }
  }
}
