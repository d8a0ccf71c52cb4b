import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ErrorCode, FerryError, toFerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { FileSystem, LogConfig, LogManager, PartitionLog } from '../storage/types.ts';
import { Partition } from './partition.ts';
import type { ProducerStateTable } from './producer-state.ts';
import { parseProducerSnapshotName, producerSnapshotName } from './producer-state-snapshot.ts';
import { effectiveTopicConfig, topicConfigWarnings, topicLogConfig, validateConfigKeys, validateTopicConfig } from './topic-config.ts';
import type { StoredTopic, TopicMetadataStore } from './topic-metadata-store.ts';
import { isInternalTopic, topicCollisionKey, validateTopicName } from './topic-names.ts';
import type { CreateTopicOptions, TopicConfigEntries, TopicDescription, TopicSummary } from './types.ts';

export interface TopicRegistryOptions {
  logs: LogManager;
  store: TopicMetadataStore;
  fs: FileSystem;
  /** Directory of the producer state snapshots, one file per (topic id, partition). */
  producerSnapshotDir: string;
  logger: Logger;
  nodeId: number;
  /** The LogConfig a topic without overrides gets. */
  logDefaults: LogConfig;
  /** Partitions a topic gets when created without a count. */
  defaultPartitions: number;
  /** Partitions across all topics. */
  maxPartitions: number;
  deleteTopicEnable: boolean;
  now: () => number;
  /** State of an existing log's producers (snapshot + replay of the log tail). */
  loadProducers(log: PartitionLog, snapshotPath: string): Promise<ProducerStateTable>;
  /** State for a new, empty log. */
  newProducers(): ProducerStateTable;
  /** Called after a topic's logs are gone (the coordinator forgets its committed offsets). */
  onTopicDeleted(topic: string): Promise<void>;
}

interface Topic {
  stored: StoredTopic;
  logConfig: LogConfig;
  partitions: Partition[];
}

/**
 * The topics of this broker: names, ids, partition counts and config overrides, persisted in the
 * metadata store, and their Partition objects. Admin changes run one at a time (they check names
 * and write the metadata file); produce and fetch only read `partition()`.
 *
 * Order of effects, so a crash leaves nothing the next open cannot handle: create writes the logs
 * then the metadata (a crash in between leaves logs without metadata: warned about at open and
 * removed if the topic is created again); delete writes the metadata then removes the logs.
 */
export class TopicRegistry {
  private readonly options: TopicRegistryOptions;
  private readonly logger: Logger;
  private readonly topics = new Map<string, Topic>();
  /** Collision key (`.` as `_`) to the topic name holding it. */
  private readonly collisionKeys = new Map<string, string>();
  private partitionCount = 0;
  private adminQueue: Promise<unknown> = Promise.resolve();

  constructor(options: TopicRegistryOptions) {
    this.options = options;
    this.logger = options.logger;
  }

  /** Loads the metadata, opens every partition's log and rebuilds its producer state. */
  async open(): Promise<void> {
    const stored = await this.options.store.load();
    await this.options.fs.mkdir(this.options.producerSnapshotDir);
    for (const entry of stored) {
      const logConfig = topicLogConfig(this.options.logDefaults, entry.overrides);
      const partitions: Partition[] = [];
      for (let index = 0; index < entry.partitionCount; index++) {
        if (this.options.logs.getLog(entry.name, index) === undefined) {
          this.logger.warn({ topic: entry.name, partition: index }, 'partition log missing on disk; creating it empty');
        }
        const log = await this.options.logs.createLog(entry.name, index, logConfig);
        if (log.isOffline) {
          // Served as offline (PARTITION_OFFLINE) so the rest of the broker starts.
          this.logger.error({ topic: entry.name, partition: index }, 'partition is offline');
        } else {
          log.updateConfig(logConfig);
          // One node: whatever survived recovery is committed.
          if (log.highWatermark < log.logEndOffset) log.setHighWatermark(log.logEndOffset);
        }
        const snapshotPath = this.snapshotPath(entry.topicId, index);
        partitions.push(new Partition(entry.name, index, log, await this.options.loadProducers(log, snapshotPath), snapshotPath));
      }
      this.add({ stored: entry, logConfig, partitions });
    }
    for (const log of this.options.logs.logs()) {
      const topic = this.topics.get(log.topic);
      if (topic === undefined || log.partition >= topic.partitions.length) {
        this.logger.warn(
          { topic: log.topic, partition: log.partition, dir: log.dir },
          'log on disk has no topic metadata; it is not served',
        );
      }
    }
    await this.removeStaleSnapshots();
  }

  /** Snapshots of partitions that no longer exist (a delete interrupted before it removed them). */
  private async removeStaleSnapshots(): Promise<void> {
    const live = new Set<string>();
    for (const { stored } of this.topics.values()) {
      for (let index = 0; index < stored.partitionCount; index++) live.add(producerSnapshotName(stored.topicId, index));
    }
    for (const name of await this.options.fs.readdir(this.options.producerSnapshotDir)) {
      if (live.has(name) || parseProducerSnapshotName(name) === null) continue;
      this.logger.info({ file: name }, 'removing the producer state snapshot of a partition that no longer exists');
      await this.removeFile(join(this.options.producerSnapshotDir, name));
    }
  }

  private snapshotPath(topicId: string, index: number): string {
    return join(this.options.producerSnapshotDir, producerSnapshotName(topicId, index));
  }

  private async removeFile(path: string): Promise<void> {
    try {
      await this.options.fs.unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn({ file: path, err: toFerryError(error).message }, 'could not remove a file');
      }
    }
  }

  // -------------------------------------------------------------------------------- lookups

  partition(topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.partitions[index];
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  *allPartitions(): IterableIterator<Partition> {
    for (const topic of this.topics.values()) yield* topic.partitions;
  }

  list(includeInternal: boolean): TopicSummary[] {
    const summaries: TopicSummary[] = [];
    for (const { stored, partitions } of this.topics.values()) {
      if (stored.isInternal && !includeInternal) continue;
      summaries.push({ name: stored.name, partitionCount: partitions.length, isInternal: stored.isInternal });
    }
    return summaries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  describe(name: string): TopicDescription {
    const topic = this.topics.get(name);
    if (topic === undefined) throw unknownTopic(name);
    return this.description(
      topic.stored,
      topic.partitions.map((partition) => partition.info(this.options.nodeId)),
    );
  }

  // --------------------------------------------------------------------------------- changes

  async create(name: string, options: CreateTopicOptions = {}, isInternal = false): Promise<TopicDescription> {
    validateTopicName(name);
    const partitionCount = options.partitions ?? this.options.defaultPartitions;
    const count = partitionCount === -1 ? this.options.defaultPartitions : partitionCount;
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new FerryError(ErrorCode.INVALID_PARTITIONS, `a topic needs at least 1 partition, got ${partitionCount}`, {
        topic: name,
        partitions: partitionCount,
      });
    }
    const replicationFactor = options.replicationFactor;
    if (replicationFactor !== undefined && replicationFactor !== -1 && replicationFactor !== 1) {
      throw new FerryError(ErrorCode.INVALID_REQUEST, `replication factor ${replicationFactor} is larger than the 1 available broker`, {
        topic: name,
        replicationFactor,
      });
    }
    const overrides = validateTopicConfig(options.config);
    const logConfig = topicLogConfig(this.options.logDefaults, overrides);
    return this.serialized(async () => {
      this.checkCreatable(name, count, isInternal);
      const stored: StoredTopic = {
        name,
        topicId: randomBytes(16).toString('hex'),
        partitionCount: count,
        overrides,
        isInternal,
        createdAtMs: this.options.now(),
      };
      if (options.validateOnly === true) return this.description(stored, this.emptyPartitions(count));
      await this.removeOrphanLogs(name);
      const logs = await this.createLogs(name, 0, count, logConfig);
      try {
        await this.options.store.put(stored);
      } catch (error) {
        await this.deleteLogs(name, 0, count);
        throw toFerryError(error, ErrorCode.STORAGE_ERROR);
      }
      const partitions = logs.map(
        (log, index) => new Partition(name, index, log, this.options.newProducers(), this.snapshotPath(stored.topicId, index)),
      );
      this.add({ stored, logConfig, partitions });
      // The broker's own compacted topic is a known limitation, not something an operator did.
      const note = isInternal ? this.logger.info.bind(this.logger) : this.logger.warn.bind(this.logger);
      for (const warning of topicConfigWarnings(overrides)) note({ topic: name }, warning);
      this.logger.info({ topic: name, partitions: count, topicId: stored.topicId }, 'topic created');
      return this.describe(name);
    });
  }

  delete(name: string): Promise<void> {
    return this.serialized(async () => {
      const topic = this.topics.get(name);
      if (!this.options.deleteTopicEnable) {
        throw new FerryError(ErrorCode.TOPIC_DELETION_DISABLED, 'topic deletion is disabled on this broker (deleteTopicEnable)', {
          topic: name,
        });
      }
      if (topic === undefined) throw unknownTopic(name);
      if (topic.stored.isInternal) {
        throw new FerryError(ErrorCode.INVALID_TOPIC, `${name} is an internal topic and cannot be deleted`, { topic: name });
      }
      await this.options.store.remove(name);
      this.remove(topic);
      await this.deleteLogs(name, 0, topic.partitions.length);
      for (const partition of topic.partitions) await this.removeFile(partition.snapshotPath);
      await this.options.onTopicDeleted(name);
      this.logger.info({ topic: name }, 'topic deleted');
    });
  }

  createPartitions(name: string, totalCount: number): Promise<TopicDescription> {
    return this.serialized(async () => {
      const topic = this.topics.get(name);
      if (topic === undefined) throw unknownTopic(name);
      if (topic.stored.isInternal) {
        throw new FerryError(ErrorCode.INVALID_PARTITIONS, `${name} is an internal topic; its partitions are managed by the broker`, {
          topic: name,
        });
      }
      const current = topic.partitions.length;
      if (!Number.isSafeInteger(totalCount) || totalCount <= current) {
        throw new FerryError(
          ErrorCode.INVALID_PARTITIONS,
          `topic ${name} has ${current} partitions; it can only grow (asked for ${totalCount})`,
          { topic: name, partitions: current, totalCount },
        );
      }
      this.checkPartitionBudget(totalCount - current);
      const logs = await this.createLogs(name, current, totalCount, topic.logConfig);
      const stored: StoredTopic = { ...topic.stored, partitionCount: totalCount };
      try {
        await this.options.store.put(stored);
      } catch (error) {
        await this.deleteLogs(name, current, totalCount);
        throw toFerryError(error, ErrorCode.STORAGE_ERROR);
      }
      topic.stored = stored;
      for (const [i, log] of logs.entries()) {
        const index = current + i;
        topic.partitions.push(new Partition(name, index, log, this.options.newProducers(), this.snapshotPath(stored.topicId, index)));
      }
      this.partitionCount += logs.length;
      this.logger.info({ topic: name, partitions: totalCount }, 'partitions added');
      return this.describe(name);
    });
  }

  async alterConfig(name: string, set: TopicConfigEntries, remove: readonly string[] = []): Promise<TopicDescription> {
    const valid = validateTopicConfig(set);
    validateConfigKeys(remove);
    for (const key of remove) {
      if (Object.hasOwn(valid, key)) {
        throw new FerryError(ErrorCode.INVALID_CONFIG, `topic config ${key} is both set and removed`, { key });
      }
    }
    return this.serialized(async () => {
      const topic = this.topics.get(name);
      if (topic === undefined) throw unknownTopic(name);
      const overrides: TopicConfigEntries = { ...topic.stored.overrides, ...valid };
      for (const key of remove) delete overrides[key];
      const logConfig = topicLogConfig(this.options.logDefaults, overrides);
      const stored: StoredTopic = { ...topic.stored, overrides };
      await this.options.store.put(stored);
      topic.stored = stored;
      topic.logConfig = logConfig;
      for (const partition of topic.partitions) if (!partition.log.isOffline) partition.log.updateConfig(logConfig);
      for (const warning of topicConfigWarnings(overrides)) this.logger.warn({ topic: name }, warning);
      this.logger.info({ topic: name, set: valid, remove }, 'topic config changed');
      return this.describe(name);
    });
  }

  /** After the admin changes queued so far: closes the metadata journal. */
  close(): Promise<void> {
    return this.serialized(() => this.options.store.close());
  }

  // -------------------------------------------------------------------------------- helpers

  /** Admin changes one at a time: each checks names and appends to the metadata journal. */
  private serialized<T>(change: () => Promise<T>): Promise<T> {
    const result = this.adminQueue.then(change);
    this.adminQueue = result.catch(() => {});
    return result;
  }

  private checkCreatable(name: string, partitionCount: number, isInternal: boolean): void {
    if (this.topics.has(name)) {
      throw new FerryError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`, { topic: name });
    }
    const holder = this.collisionKeys.get(topicCollisionKey(name));
    if (holder !== undefined) {
      throw new FerryError(
        ErrorCode.INVALID_TOPIC,
        `topic ${name} collides with existing topic ${holder}: names that differ only in '.' and '_' are not allowed`,
        { topic: name, collidesWith: holder },
      );
    }
    if (isInternalTopic(name) && !isInternal) {
      throw new FerryError(ErrorCode.INVALID_TOPIC, `${name} is reserved for an internal topic`, { topic: name });
    }
    this.checkPartitionBudget(partitionCount);
  }

  private checkPartitionBudget(added: number): void {
    if (this.partitionCount + added > this.options.maxPartitions) {
      throw new FerryError(
        ErrorCode.INVALID_PARTITIONS,
        `this broker holds ${this.partitionCount} partitions; ${added} more would pass its limit of ${this.options.maxPartitions}`,
        { partitions: this.partitionCount, added, maxPartitions: this.options.maxPartitions },
      );
    }
  }

  private async createLogs(name: string, from: number, to: number, logConfig: LogConfig): Promise<PartitionLog[]> {
    const logs: PartitionLog[] = [];
    try {
      for (let index = from; index < to; index++) logs.push(await this.options.logs.createLog(name, index, logConfig));
    } catch (error) {
      await this.deleteLogs(name, from, from + logs.length);
      throw toFerryError(error, ErrorCode.STORAGE_ERROR);
    }
    return logs;
  }

  /** Best effort: a log that cannot be removed is logged and left (warned about at next open). */
  private async deleteLogs(name: string, from: number, to: number): Promise<void> {
    for (let index = from; index < to; index++) {
      try {
        await this.options.logs.deleteLog(name, index);
      } catch (error) {
        this.logger.error({ topic: name, partition: index, err: toFerryError(error).message }, 'could not delete partition log');
      }
    }
  }

  /** Logs left on disk by a topic whose metadata is gone must not resurface in a new topic. */
  private async removeOrphanLogs(name: string): Promise<void> {
    const orphans = [...this.options.logs.logs()].filter((log) => log.topic === name);
    for (const log of orphans) {
      this.logger.warn(
        { topic: name, partition: log.partition, dir: log.dir },
        'removing a log without topic metadata before creating the topic',
      );
      await this.options.logs.deleteLog(name, log.partition);
    }
  }

  private add(topic: Topic): void {
    this.topics.set(topic.stored.name, topic);
    this.collisionKeys.set(topicCollisionKey(topic.stored.name), topic.stored.name);
    this.partitionCount += topic.partitions.length;
  }

  private remove(topic: Topic): void {
    this.topics.delete(topic.stored.name);
    this.collisionKeys.delete(topicCollisionKey(topic.stored.name));
    this.partitionCount -= topic.partitions.length;
    for (const partition of topic.partitions) {
      partition.isDeleted = true;
      partition.waiters.wakeAll();
    }
  }

  /** What a topic about to be created would show (validateOnly). */
  private emptyPartitions(count: number): TopicDescription['partitions'] {
    const nodeId = this.options.nodeId;
    return Array.from({ length: count }, (_, partition) => ({
      partition,
      leader: nodeId,
      replicas: [nodeId],
      isr: [nodeId],
      leaderEpoch: 0,
      logStartOffset: 0,
      logEndOffset: 0,
      highWatermark: 0,
      sizeBytes: 0,
      isOffline: false,
    }));
  }

  private description(stored: StoredTopic, partitions: TopicDescription['partitions']): TopicDescription {
    const warnings = topicConfigWarnings(stored.overrides);
    return {
      name: stored.name,
      topicId: stored.topicId,
      isInternal: stored.isInternal,
      partitions,
      config: effectiveTopicConfig(this.options.logDefaults, stored.overrides),
      overrides: { ...stored.overrides },
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }
}

function unknownTopic(name: string): FerryError {
  return new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name} does not exist`, { topic: name });
}
