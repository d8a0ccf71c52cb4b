import { join } from 'node:path';
import { ErrorCode, FerryError, toFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { encodeRecordBatch, type ProducerRecord } from '../../common/record-batch.ts';
import { BATCH_HEADER_BYTES, BatchField, batchSizeBytes } from '../../common/record-batch-header.ts';
import { headerInteger, headerText, ReservedHeader, textHeader } from '../../common/reserved-headers.ts';
import type { Partition } from '../partition.ts';
import { metadataDir } from '../topic-metadata-store.ts';
import type { ProduceResult, TopicConfigEntries } from '../types.ts';
import { effectiveLimits, excessRecords } from './backlog.ts';
import { type QueueConfig, resolveQueueConfig } from './config.ts';
import { DEAD_LETTER_HEADERS } from './dead-letter.ts';
import type { QueueHost } from './host.ts';
import { decodeMessages } from './message-reader.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { type CursorState, StateKind, type StateRecord } from './state-codec.ts';
import { type FullState, StateJournal } from './state-journal.ts';
import { cursorKey, type LoadedState, loadState, subscriptionKey } from './state-loader.ts';
import { Subscription } from './subscription.ts';
import { resolveSubscription, type StoredSubscription, validateMode, validateTopicPolicy } from './subscription-definition.ts';
import { hasQueuePolicyKeys, isQueueTopicKey, queuePolicyFromConfig, queuePolicyToConfig } from './topic-policy-config.ts';
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
} from './types.ts';

/** Internal topic of subscription state (definitions, policies, cursor snapshots and deltas). */
export const SUBSCRIPTIONS_TOPIC = '__subscriptions';
/** Internal topic holding scheduled records until they are due. */
export const SCHEDULED_TOPIC = '__scheduled';

const REPLAY_READ_BYTES = 1024 * 1024;
const EMPTY_POLICY: TopicQueuePolicy = Object.freeze({});

export interface QueueManagerOptions {
  host: QueueHost;
  config?: Partial<QueueConfig>;
  logger: Logger;
  /** For backoff jitter; tests pass a seeded one. */
  random?: () => number;
}

/**
 * The queue engine behind QueueApi (docs/queues.md): subscriptions over the partition logs, their
 * persisted state, topic queue policies, backlog admission on produce, `until_acked` retention,
 * dead-letter replay and the scheduler. The broker owns one and delegates to it.
 */
export class QueueManager implements QueueApi {
  readonly config: QueueConfig;
  private readonly host: QueueHost;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly byTopic = new Map<string, Set<Subscription>>();
  private readonly policies = new Map<string, TopicQueuePolicy>();
  private journal!: StateJournal;
  private scheduler!: Scheduler;
  private readonly internalTopics = new Map<string, Promise<Partition>>();
  private retentionTimer: NodeJS.Timeout | null = null;
  private isRetaining = false;
  private isClosed = false;

  private constructor(options: QueueManagerOptions, config: QueueConfig) {
    this.host = options.host;
    this.config = config;
    this.logger = options.logger;
    this.random = options.random ?? Math.random;
  }

  /** Creates the internal topics if missing, replays the state, opens every subscription and the scheduler. */
  static async open(options: QueueManagerOptions): Promise<QueueManager> {
    const manager = new QueueManager(options, resolveQueueConfig(options.config));
    await manager.start();
    return manager;
  }

  private async start(): Promise<void> {
    const { host, config } = this;
    // The internal topics exist from first use on: a broker without queues has none.
    const statePartition = host.partition(SUBSCRIPTIONS_TOPIC, 0);
    const loaded = statePartition === undefined ? emptyState() : await loadState(statePartition.log, this.logger);
    this.journal = new StateJournal({
      host,
      partition: () =>
        this.internalTopic(SUBSCRIPTIONS_TOPIC, {
          'segment.bytes': String(config.stateSegmentBytes),
          'max.message.bytes': String(Math.min(config.stateSegmentBytes, 8 * 1024 * 1024)),
          'flush.policy': config.stateFlushPolicy,
          'retention.ms': '-1',
          'retention.bytes': '-1',
        }),
      snapshotBytes: config.stateSnapshotBytes,
      logger: this.logger,
      fullState: () => this.fullState(),
    });
    for (const [topic, policy] of loaded.policies) if (host.partitionCount(topic) > 0) this.policies.set(topic, policy);
    let changed = loaded.skipped > 0;
    for (const definition of loaded.subscriptions.values()) {
      if (host.partitionCount(definition.topic) === 0) {
        this.logger.warn({ topic: definition.topic, subscription: definition.name }, 'the topic of a subscription is gone; removing it');
        changed = true;
        continue;
      }
      const subscription = this.register(definition);
      for (let index = 0; index < host.partitionCount(definition.topic); index++) {
        const state = loaded.cursors.get(cursorKey(definition.topic, definition.name, index));
        if (state === undefined) changed = true;
        this.attachPartition(subscription, index, state);
      }
    }
    // A compact start: the replayed journal becomes one snapshot.
    if (changed || loaded.records > 0) await this.journal.snapshotNow();
    this.scheduler = await Scheduler.open({
      host,
      config,
      logger: this.logger.child({ component: 'scheduler' }),
      partition: host.partition(SCHEDULED_TOPIC, 0),
      ensurePartition: () => this.internalTopic(SCHEDULED_TOPIC, { 'retention.ms': '-1', 'retention.bytes': '-1' }),
      dir: join(metadataDir(host.dataDir), 'queues', 'schedule'),
    });
    this.retentionTimer = setInterval(() => void this.enforceRetention(), config.retentionCheckIntervalMs).unref();
    this.logger.info({ subscriptions: this.subscriptions.size, stateRecords: loaded.records }, 'queues open');
  }

  // ------------------------------------------------------------------------------ subscriptions

  async createSubscription(topic: string, name: string, options: CreateSubscriptionOptions): Promise<SubscriptionDescription> {
    return (await this.create(topic, name, options)).describe();
  }

  private async create(topic: string, name: string, options: CreateSubscriptionOptions): Promise<Subscription> {
    this.checkOpen();
    this.checkQueueTopic(topic);
    const existing = this.subscriptions.get(subscriptionKey(topic, name));
    if (existing !== undefined) {
      if (existing.definition.mode !== validateMode(options.mode)) {
        throw new FerryError(
          ErrorCode.INVALID_REQUEST,
          `subscription ${name} on ${topic} exists with mode ${existing.definition.mode}, not ${options.mode}`,
          { topic, subscription: name, mode: existing.definition.mode },
        );
      }
      return existing;
    }
    if (this.subscriptions.size >= this.config.maxSubscriptions) {
      throw new FerryError(
        ErrorCode.INVALID_REQUEST,
        `the broker holds ${this.subscriptions.size} subscriptions, the limit (maxSubscriptions)`,
        {
          maxSubscriptions: this.config.maxSubscriptions,
        },
      );
    }
    const definition = resolveSubscription(topic, name, options, this.config, this.host.now());
    const subscription = this.register(definition);
    const writes: Promise<void>[] = [this.journal.add({ key: definitionKey(topic, name), definition })];
    for (let index = 0; index < this.host.partitionCount(topic); index++)
      writes.push(this.writeSnapshot(this.attachPartition(subscription, index, undefined)));
    try {
      await Promise.all(writes);
    } catch (error) {
      this.unregister(subscription, 'the subscription could not be stored');
      throw toFerryError(error, ErrorCode.STORAGE_ERROR);
    }
    this.logger.info({ topic, subscription: name, mode: definition.mode }, 'subscription created');
    return subscription;
  }

  async deleteSubscription(topic: string, name: string): Promise<void> {
    this.checkOpen();
    const subscription = this.get(topic, name);
    this.unregister(subscription, 'subscription deleted');
    await this.journal.add({ key: definitionKey(topic, name), definition: null });
    this.logger.info({ topic, subscription: name }, 'subscription deleted');
  }

  listSubscriptions(topic?: string): SubscriptionSummary[] {
    const summaries: SubscriptionSummary[] = [];
    for (const subscription of this.subscriptions.values()) {
      if (topic !== undefined && subscription.topic !== topic) continue;
      summaries.push({
        topic: subscription.topic,
        name: subscription.name,
        mode: subscription.definition.mode,
        consumerCount: subscription.consumerCount,
      });
    }
    return summaries.sort((a, b) => (a.topic === b.topic ? compare(a.name, b.name) : compare(a.topic, b.topic)));
  }

  describeSubscription(topic: string, name: string): Promise<SubscriptionDescription> {
    return this.get(topic, name).describe();
  }

  async subscribe(topic: string, name: string, mode: SubscriptionMode, options: SubscribeOptions): Promise<QueueConsumer> {
    this.checkOpen();
    validateMode(mode);
    let subscription = this.subscriptions.get(subscriptionKey(topic, name));
    if (subscription === undefined) {
      if (options.createIfMissing === false) throw this.notFound(topic, name);
      subscription = await this.create(topic, name, { ...options.create, mode });
    }
    if (subscription.definition.mode !== mode) {
      throw new FerryError(
        ErrorCode.INVALID_REQUEST,
        `subscription ${name} on ${topic} has mode ${subscription.definition.mode}; a ${mode} consumer cannot join it`,
        { topic, subscription: name, mode: subscription.definition.mode },
      );
    }
    return subscription.addConsumer(options);
  }

  // ------------------------------------------------------------------------------ dead letters

  async replayDeadLetters(topic: string, name: string, options: ReplayDeadLettersOptions = {}): Promise<ReplayDeadLettersResult> {
    this.checkOpen();
    const { deadLetterTopic } = this.get(topic, name).definition;
    let remaining = options.maxRecords ?? Number.POSITIVE_INFINITY;
    let replayed = 0;
    for (let index = 0; index < this.host.partitionCount(deadLetterTopic) && remaining > 0; index++) {
      const log = this.host.partition(deadLetterTopic, index)!.log;
      const end = log.highWatermark;
      let offset = log.logStartOffset;
      while (offset < end && remaining > 0) {
        const { data } = await log.read(offset, REPLAY_READ_BYTES, { maxOffset: end });
        if (data.length === 0) break;
        const groups = new Map<Partition, ProducerRecord[]>();
        let next = offset;
        decodeMessages(data, index, offset, end, (message) => {
          if (remaining <= 0) return false;
          const originalTopic = headerText(message.headers, ReservedHeader.originalTopic) ?? topic;
          const originalPartition = headerInteger(message.headers, ReservedHeader.originalPartition) ?? 0;
          const target = this.host.partition(originalTopic, originalPartition) ?? this.host.partition(topic, 0);
          next = message.offset + 1;
          if (target === undefined) return true;
          const headers = message.headers.filter((header) => !DEAD_LETTER_HEADERS.has(header.key));
          headers.push(
            textHeader(
              ReservedHeader.replayOf,
              `${originalTopic}/${originalPartition}/${headerText(message.headers, ReservedHeader.originalOffset) ?? '?'}`,
            ),
          );
          let records = groups.get(target);
          if (records === undefined) groups.set(target, (records = []));
          records.push({ key: message.key, value: message.value, headers, timestamp: message.timestamp });
          remaining--;
          replayed++;
          return true;
        });
        if (next <= offset) break;
        for (const [target, records] of groups) await this.host.append(target, encodeRecordBatch({ records, now: this.host.now() }));
        // Moved: gone from the dead-letter topic (a crash in between replays them twice).
        await log.deleteRecordsBefore(next);
        offset = next;
      }
    }
    this.logger.info({ topic, subscription: name, deadLetterTopic, replayed }, 'dead letters replayed');
    return { deadLetterTopic, replayed };
  }

  // ------------------------------------------------------------------------------ policies

  async setTopicQueuePolicy(topic: string, policy: TopicQueuePolicy): Promise<TopicQueuePolicy> {
    this.checkOpen();
    this.checkQueueTopic(topic);
    const stored = validateTopicPolicy(policy);
    if (stored.retention === 'until_acked') {
      // Time and size retention would delete records no subscription has acknowledged.
      await this.host.alterTopicConfig(topic, { 'retention.ms': '-1', 'retention.bytes': '-1' });
    }
    this.policies.set(topic, stored);
    await this.journal.add({ key: policyKey(topic), policy: stored });
    return { ...stored };
  }

  topicQueuePolicy(topic: string): TopicQueuePolicy {
    return { ...(this.policies.get(topic) ?? EMPTY_POLICY) };
  }

  /**
   * The topic config changes (`ferry.queue.*` keys set, the others removed) that make `policy` the
   * topic's: the broker applies them like any config change, so the keys and the policy agree.
   */
  policyAsTopicConfig(topic: string, policy: TopicQueuePolicy): { set: TopicConfigEntries; remove: string[] } {
    this.checkOpen();
    this.checkQueueTopic(topic);
    return queuePolicyToConfig(validateTopicPolicy(policy));
  }

  /**
   * A topic's config was created or altered (`changedKeys`), or read at open (null): when its
   * `ferry.queue.*` keys changed, or at open disagree with the stored policy (a crash between the
   * two writes), the policy they describe becomes the topic's.
   */
  async onTopicConfig(topic: string, overrides: TopicConfigEntries, changedKeys: readonly string[] | null): Promise<void> {
    if (changedKeys === null ? !hasQueuePolicyKeys(overrides) : !changedKeys.some(isQueueTopicKey)) return;
    const policy = queuePolicyFromConfig(overrides);
    const current = this.policies.get(topic) ?? EMPTY_POLICY;
    if (changedKeys === null && JSON.stringify(validateTopicPolicy(policy)) === JSON.stringify(current)) return;
    await this.setTopicQueuePolicy(topic, policy);
  }

  scheduleStats(): ScheduleStats {
    return this.scheduler.stats();
  }

  /** Resets the scheduler's lateness samples and delivered count (benchmarks). */
  resetScheduleStats(): void {
    this.scheduler.resetStats();
  }

  // ------------------------------------------------------------------------------ broker hooks

  /**
   * Called by Broker.produce before the append: refuses the request when a `reject_publish`
   * backlog limit would be passed (BACKLOG_LIMIT_EXCEEDED), and diverts records due later to the
   * scheduler. Null: append the request as it is (the common case costs a map lookup and one
   * byte search per batch).
   */
  admitProduce(partition: Partition, batches: Buffer): Promise<ProduceResult> | null {
    this.checkBacklog(partition, batches);
    return this.scheduler.admit(partition, batches);
  }

  /** The topic is gone: its subscriptions and policy go too. */
  async onTopicDeleted(topic: string): Promise<void> {
    const subscriptions = [...(this.byTopic.get(topic) ?? [])];
    for (const subscription of subscriptions) {
      this.unregister(subscription, 'topic deleted');
      await this.journal.add({ key: definitionKey(topic, subscription.name), definition: null }).catch(() => {});
    }
    if (this.policies.delete(topic)) await this.journal.add({ key: policyKey(topic), policy: null }).catch(() => {});
  }

  /** The topic grew: every subscription gets cursors for the new partitions (from their start). */
  async onPartitionsAdded(topic: string): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const subscription of this.byTopic.get(topic) ?? []) {
      for (let index = subscription.partitionCount; index < this.host.partitionCount(topic); index++) {
        writes.push(this.writeSnapshot(this.attachPartition(subscription, index, undefined, true)));
      }
    }
    await Promise.all(writes);
  }

  /** Closes every consumer (`broker closing`), stops the scheduler, writes a last snapshot. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    for (const subscription of this.subscriptions.values()) subscription.close('broker closing');
    await this.scheduler.close();
    await this.journal.close();
  }

  // ------------------------------------------------------------------------------ backlog and retention

  private checkBacklog(partition: Partition, batches: Buffer): void {
    const subscriptions = this.byTopic.get(partition.topic);
    const policy = this.policies.get(partition.topic);
    if (subscriptions === undefined && policy?.limits === undefined) return;
    const log = partition.log;
    let incoming = -1; // counted from the batch headers once a limit applies
    if (subscriptions === undefined || subscriptions.size === 0) {
      const limits = policy!.limits!;
      if ((limits.overflow ?? 'reject_publish') !== 'reject_publish') return;
      const backlog = log.highWatermark - log.logStartOffset;
      if (excessRecords(backlog, recordCount(batches), limits, log, batches.length) > 0)
        throw backlogError(partition, null, backlog, limits.maxRecords, limits.maxBytes);
      return;
    }
    for (const subscription of subscriptions) {
      const limits = effectiveLimits(subscription.definition.limits, policy ?? EMPTY_POLICY);
      if (limits === null || (limits.overflow ?? 'reject_publish') !== 'reject_publish') continue;
      const cursor = subscription.cursor(partition.index);
      if (cursor === undefined) continue;
      const backlog = cursor.backlog;
      if (incoming < 0) incoming = recordCount(batches);
      if (excessRecords(backlog, incoming, limits, log, batches.length) > 0) {
        throw backlogError(partition, subscription.name, backlog, limits.maxRecords, limits.maxBytes);
      }
    }
  }

  /** until_acked: delete what every subscription acknowledged; topic limits without subscriptions. */
  async enforceRetention(): Promise<void> {
    if (this.isRetaining || this.isClosed) return;
    this.isRetaining = true;
    try {
      for (const [topic, policy] of this.policies) {
        const subscriptions = [...(this.byTopic.get(topic) ?? [])];
        for (let index = 0; index < this.host.partitionCount(topic); index++) {
          const partition = this.host.partition(topic, index);
          if (partition === undefined || partition.log.isOffline) continue;
          const log = partition.log;
          let deleteBefore = log.logStartOffset;
          if (policy.retention === 'until_acked' && subscriptions.length > 0) {
            let floor = Number.POSITIVE_INFINITY;
            for (const subscription of subscriptions)
              floor = Math.min(floor, subscription.cursor(index)?.persistedFloor ?? log.logStartOffset);
            deleteBefore = Math.max(deleteBefore, Math.min(floor, log.highWatermark));
          }
          const limits = policy.limits;
          if (subscriptions.length === 0 && limits !== undefined && (limits.overflow ?? 'reject_publish') !== 'reject_publish') {
            const excess = excessRecords(log.highWatermark - log.logStartOffset, 0, limits, log);
            deleteBefore = Math.max(deleteBefore, log.logStartOffset + excess);
          }
          if (deleteBefore > log.logStartOffset) await log.deleteRecordsBefore(deleteBefore);
        }
      }
    } catch (error) {
      this.logger.warn({ err: toFerryError(error).message }, 'queue retention failed');
    } finally {
      this.isRetaining = false;
    }
  }

  // ------------------------------------------------------------------------------ helpers

  private register(definition: StoredSubscription): Subscription {
    const subscription = new Subscription(
      {
        host: this.host,
        config: this.config,
        journal: this.journal,
        logger: this.logger.child({ topic: definition.topic, subscription: definition.name }),
        policy: (topic) => this.policies.get(topic) ?? EMPTY_POLICY,
        random: this.random,
      },
      definition,
    );
    this.subscriptions.set(subscriptionKey(definition.topic, definition.name), subscription);
    let set = this.byTopic.get(definition.topic);
    if (set === undefined) this.byTopic.set(definition.topic, (set = new Set()));
    set.add(subscription);
    return subscription;
  }

  private unregister(subscription: Subscription, reason: string): void {
    subscription.remove(reason);
    this.subscriptions.delete(subscriptionKey(subscription.topic, subscription.name));
    const set = this.byTopic.get(subscription.topic);
    set?.delete(subscription);
    if (set?.size === 0) this.byTopic.delete(subscription.topic);
  }

  /** Adds partition `index`'s cursor from its stored state, or a new one at the start position. */
  private attachPartition(subscription: Subscription, index: number, stored: CursorState | undefined, isNewPartition = false) {
    const partition = this.host.partition(subscription.topic, index)!;
    const log = partition.log;
    const start = isNewPartition || subscription.definition.startAt === 'earliest' ? log.logStartOffset : log.highWatermark;
    const state: CursorState = stored ?? { ackFloor: start, deliveredMark: start, ranges: [], counts: [] };
    if (state.ackFloor > log.logEndOffset) {
      // The log lost records the subscription had acked (power loss under flush policy none):
      // new records will reuse those offsets and must not count as acked.
      this.logger.warn(
        {
          topic: subscription.topic,
          subscription: subscription.name,
          partition: index,
          ackFloor: state.ackFloor,
          logEndOffset: log.logEndOffset,
        },
        'subscription ack floor is above the log end; resetting it',
      );
      state.ackFloor = log.logEndOffset;
      state.deliveredMark = log.logEndOffset;
      state.ranges = [];
      state.counts = [];
    }
    const cursor = subscription.addPartition(partition, state);
    if (cursor.ackFloor < log.logStartOffset) cursor.ackRange(cursor.ackFloor, log.logStartOffset); // deleted while we were away
    return cursor;
  }

  private writeSnapshot(cursor: ReturnType<Subscription['addPartition']>): Promise<void> {
    return this.journal.add({
      key: { kind: StateKind.snapshot, topic: cursor.topic, subscription: cursor.subscription, partition: cursor.index },
      state: cursor.snapshot(),
    });
  }

  private fullState(): FullState {
    const records: StateRecord[] = [];
    const cursors: FullState['cursors'] = [];
    for (const [topic, policy] of this.policies) records.push({ key: policyKey(topic), policy });
    for (const subscription of this.subscriptions.values()) {
      records.push({ key: definitionKey(subscription.topic, subscription.name), definition: subscription.definition });
      for (const cursor of subscription.allCursors()) {
        cursors.push(cursor);
        records.push({
          key: { kind: StateKind.snapshot, topic: cursor.topic, subscription: cursor.subscription, partition: cursor.index },
          state: cursor.snapshot(),
        });
      }
    }
    return { records, cursors };
  }

  private get(topic: string, name: string): Subscription {
    const subscription = this.subscriptions.get(subscriptionKey(topic, name));
    if (subscription === undefined) throw this.notFound(topic, name);
    return subscription;
  }

  private notFound(topic: string, name: string): FerryError {
    return new FerryError(ErrorCode.SUBSCRIPTION_NOT_FOUND, `no subscription ${name} on topic ${topic}`, { topic, subscription: name });
  }

  private checkQueueTopic(topic: string): void {
    if (topic === SUBSCRIPTIONS_TOPIC || topic === SCHEDULED_TOPIC || this.host.partitionCount(topic) === 0) {
      throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${topic} to subscribe to`, { topic });
    }
  }

  /** Partition 0 of an internal topic, created on first use (one creation per topic, however many callers). */
  private internalTopic(topic: string, config: Record<string, string>): Promise<Partition> {
    let creating = this.internalTopics.get(topic);
    if (creating === undefined) {
      creating = (async () => {
        await this.host.ensureInternalTopic(topic, 1, config);
        const partition = this.host.partition(topic, 0);
        if (partition === undefined) throw new FerryError(ErrorCode.UNKNOWN_SERVER_ERROR, `internal topic ${topic} has no partition 0`);
        return partition;
      })();
      this.internalTopics.set(topic, creating);
      creating.catch(() => this.internalTopics.delete(topic));
    }
    return creating;
  }

  private checkOpen(): void {
    if (this.isClosed) throw new FerryError(ErrorCode.LOG_CLOSED, 'the broker is closing');
  }
}

function emptyState(): LoadedState {
  return { subscriptions: new Map(), policies: new Map(), cursors: new Map(), records: 0, skipped: 0 };
}

function definitionKey(topic: string, subscription: string) {
  return { kind: StateKind.definition, topic, subscription, partition: -1 } as const;
}

function policyKey(topic: string) {
  return { kind: StateKind.policy, topic, subscription: '', partition: -1 } as const;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Records in a produce request, from the batch headers alone. */
function recordCount(batches: Buffer): number {
  let count = 0;
  let at = 0;
  while (batches.length - at >= BATCH_HEADER_BYTES) {
    const sizeBytes = batchSizeBytes(batches, at);
    if (sizeBytes < BATCH_HEADER_BYTES) break;
    count += Math.max(0, batches.readInt32BE(at + BatchField.recordCount));
    at += sizeBytes;
  }
  return count;
}

function backlogError(
  partition: Partition,
  subscription: string | null,
  backlog: number,
  maxRecords?: number,
  maxBytes?: number,
): FerryError {
  const who = subscription === null ? `topic ${partition.topic}` : `subscription ${subscription} of ${partition.topic}`;
  const limit = [maxRecords !== undefined ? `${maxRecords} records` : null, maxBytes !== undefined ? `${maxBytes} bytes` : null]
    .filter((part) => part !== null)
    .join(' / ');
  return new FerryError(
    ErrorCode.BACKLOG_LIMIT_EXCEEDED,
    `${who} has ${backlog} unacknowledged records in partition ${partition.index}, its limit is ${limit} (overflow reject_publish): back off and retry`,
    { topic: partition.topic, partition: partition.index, subscription, backlog, maxRecords, maxBytes },
  );
}
