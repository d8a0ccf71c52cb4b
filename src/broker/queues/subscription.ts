import assert from 'node:assert/strict';
import { ErrorCode, FerryError, toFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { Partition } from '../partition.ts';
import type { AppendWaiter } from '../partition-waiters.ts';
import { redeliveryDelayMs } from './backoff.ts';
import { effectiveLimits, excessRecords } from './backlog.ts';
import type { QueueConfig } from './config.ts';
import { type ConsumerOwner, QueueConsumerHandle } from './consumer.ts';
import { type DeadLetterReason, DeadLetterWriter } from './dead-letter.ts';
import { type Placement, placementFor } from './dispatch-modes.ts';
import { expiresAtMs } from './expiry.ts';
import type { QueueHost } from './host.ts';
import { readMessagesAt } from './message-reader.ts';
import { MinHeap } from './min-heap.ts';
import { type InFlight, PartitionCursor } from './partition-cursor.ts';
import type { CursorState } from './state-codec.ts';
import type { StateJournal } from './state-journal.ts';
import type { StoredSubscription } from './subscription-definition.ts';
import type { QueueMessage, SubscribeOptions, SubscriptionDescription, TopicQueuePolicy } from './types.ts';

/** Deliveries handed to a consumer's callback in one call, at most. */
const MAX_DELIVERY_BATCH = 512;
/** Bytes read around each record read back for a redelivery. */
const REDELIVERY_READ_BYTES = 64 * 1024;

export interface SubscriptionContext {
  host: QueueHost;
  config: QueueConfig;
  journal: StateJournal;
  logger: Logger;
  policy(topic: string): TopicQueuePolicy;
  random(): number;
}

interface Redelivery {
  cursor: PartitionCursor;
  offset: number;
}

/** Heap key of an extended deadline: the entry is current only while they match. */
interface ExtendedEntry {
  entry: InFlight;
  deadlineMs: number;
}

/**
 * One subscription: its cursors (one per partition), its consumers, and the dispatcher that moves
 * records from the logs to consumers with credit (docs/queues.md). Everything runs on the event
 * loop; `pump()` is the only async path and runs one at a time. Memory is bounded by credit
 * (prefetch), maxUnackedPerPartition, one read chunk per partition and keySharedMaxBlockedRecords.
 */
export class Subscription implements ConsumerOwner {
  readonly definition: StoredSubscription;
  private readonly ctx: SubscriptionContext;
  private readonly cursors: PartitionCursor[] = [];
  private consumers: QueueConsumerHandle[] = [];
  private readonly placement: Placement;
  private readonly redeliveries = new MinHeap<Redelivery>();
  private readonly extended = new MinHeap<ExtendedEntry>();
  private readonly deadLetters: DeadLetterWriter;
  private readonly waiters: { partition: Partition; waiter: AppendWaiter }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlightTotal = 0;
  private isPumping = false;
  private pumpAgain = false;
  private isPumpScheduled = false;
  private nextCursor = 0;
  private consumerSequence = 0;
  private isClosed = false;
  redeliveryCount = 0;
  deadLetterCount = 0;

  constructor(ctx: SubscriptionContext, definition: StoredSubscription) {
    this.ctx = ctx;
    this.definition = definition;
    this.placement = placementFor(definition.mode);
    this.deadLetters = new DeadLetterWriter({
      host: ctx.host,
      topic: definition.topic,
      subscription: definition.name,
      deadLetterTopic: definition.deadLetterTopic,
      logger: ctx.logger,
      onWritten: (cursor, offsets) => this.settleDeadLetters(cursor, offsets),
    });
  }

  get topic(): string {
    return this.definition.topic;
  }

  get name(): string {
    return this.definition.name;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  get partitionCount(): number {
    return this.cursors.length;
  }

  allCursors(): readonly PartitionCursor[] {
    return this.cursors;
  }

  cursor(partition: number): PartitionCursor | undefined {
    return this.cursors[partition];
  }

  /** Adds the cursor of a partition (at open, creation, or when the topic grows). */
  addPartition(partition: Partition, state: CursorState): PartitionCursor {
    assert.equal(partition.index, this.cursors.length, 'cursors are added in partition order');
    const cursor = new PartitionCursor(this.topic, this.name, partition, state, this.ctx.config.readChunkBytes);
    this.cursors.push(cursor);
    const waiter: AppendWaiter = { onAppend: (sizeBytes) => this.onAppend(cursor, sizeBytes) };
    partition.waiters.add(waiter);
    this.waiters.push({ partition, waiter });
    if (cursor.reader.hasUnread) this.schedulePump();
    return cursor;
  }

  // ------------------------------------------------------------------------------ consumers

  addConsumer(options: SubscribeOptions): QueueConsumerHandle {
    this.checkOpen();
    const config = this.ctx.config;
    if (this.consumers.length >= config.maxConsumersPerSubscription) {
      throw new FerryError(
        ErrorCode.CONSUMER_BUSY,
        `subscription ${this.name} on ${this.topic} has ${this.consumers.length} consumers, the limit (maxConsumersPerSubscription)`,
        { topic: this.topic, subscription: this.name },
      );
    }
    if (this.definition.mode === 'exclusive' && this.consumers.length > 0) {
      throw new FerryError(
        ErrorCode.CONSUMER_BUSY,
        `exclusive subscription ${this.name} on ${this.topic} already has a consumer (${this.consumers[0]!.id})`,
        { topic: this.topic, subscription: this.name, consumer: this.consumers[0]!.id },
      );
    }
    const prefetch = options.prefetch ?? config.defaultPrefetch;
    checkInteger(prefetch, 'prefetch', 1, config.maxPrefetch);
    const ackTimeoutMs = options.ackTimeoutMs ?? this.definition.ackTimeoutMs;
    checkInteger(ackTimeoutMs, 'ackTimeoutMs', 1, config.maxAckTimeoutMs);
    const sequence = this.consumerSequence++;
    const id = options.consumerId ?? `${this.name}-${sequence}`;
    if (this.consumers.some((consumer) => consumer.id === id)) {
      throw new FerryError(ErrorCode.CONSUMER_BUSY, `consumer id ${id} is already attached to ${this.name}`, { consumer: id });
    }
    const consumer = new QueueConsumerHandle(this, {
      id,
      topic: this.topic,
      subscription: this.name,
      prefetch,
      ackTimeoutMs,
      sequence,
      onDeliver: options.onDeliver,
      onClose: options.onClose,
    });
    this.consumers.push(consumer);
    this.schedulePump();
    return consumer;
  }

  async removeConsumer(consumer: QueueConsumerHandle, reason: string): Promise<void> {
    const index = this.consumers.indexOf(consumer);
    if (index < 0) return;
    this.consumers = this.consumers.filter((other) => other !== consumer);
    // Its in-flight records go back at once, counts kept: the next consumer gets them first.
    const nowMs = this.ctx.host.now();
    for (const cursor of this.cursors) {
      for (const entry of cursor.inFlight.values()) {
        if (entry.consumer !== consumer) continue;
        this.release(entry);
        this.redeliveryCount++;
        this.queueRedelivery(cursor, entry.offset, nowMs);
      }
    }
    consumer.markClosed(reason, reason !== 'closed by the consumer');
    this.schedulePump();
  }

  setPrefetch(consumer: QueueConsumerHandle, prefetch: number): void {
    checkInteger(prefetch, 'prefetch', 1, this.ctx.config.maxPrefetch);
    consumer.prefetch = prefetch;
    this.schedulePump();
  }

  // ------------------------------------------------------------------------------ acks

  ack(consumer: QueueConsumerHandle, partition: number, offsets: ArrayLike<number>): Promise<void> {
    const cursor = this.cursors[partition];
    if (cursor === undefined || consumer.isClosed) return Promise.reject(this.badPartition(partition, consumer));
    let changed = false;
    for (let i = 0; i < offsets.length; i++) {
      const offset = offsets[i]!;
      const entry = cursor.inFlight.get(offset);
      if (entry !== undefined) this.release(entry);
      else if (!cursor.counts.has(offset) && offset >= cursor.deliveredMark) continue; // never delivered
      if (cursor.transit.has(offset)) continue;
      if (cursor.ack(offset)) changed = true;
    }
    if (changed) {
      this.ctx.journal.touch(cursor);
      this.schedulePump();
    }
    return this.ctx.journal.commit();
  }

  nack(consumer: QueueConsumerHandle, partition: number, offsets: ArrayLike<number>, delayMs: number | undefined): void {
    const cursor = this.cursors[partition];
    if (cursor === undefined || consumer.isClosed) throw this.badPartition(partition, consumer);
    if (delayMs !== undefined) checkInteger(delayMs, 'delayMs', 0, this.ctx.config.maxAckTimeoutMs);
    const nowMs = this.ctx.host.now();
    for (let i = 0; i < offsets.length; i++) {
      const entry = cursor.inFlight.get(offsets[i]!);
      if (entry === undefined || entry.consumer !== consumer) continue;
      this.giveUpDelivery(entry, nowMs, delayMs);
    }
    this.schedulePump();
  }

  extendDeadline(consumer: QueueConsumerHandle, partition: number, offsets: ArrayLike<number>, extendMs: number): void {
    const cursor = this.cursors[partition];
    if (cursor === undefined || consumer.isClosed) throw this.badPartition(partition, consumer);
    checkInteger(extendMs, 'extendMs', 1, this.ctx.config.maxAckTimeoutMs);
    const deadlineMs = this.ctx.host.now() + extendMs;
    for (let i = 0; i < offsets.length; i++) {
      const entry = cursor.inFlight.get(offsets[i]!);
      if (entry === undefined || entry.consumer !== consumer) continue;
      entry.deadlineMs = deadlineMs;
      entry.isExtended = true;
      this.extended.push(deadlineMs, { entry, deadlineMs });
    }
  }

  // ------------------------------------------------------------------------------ dispatch

  schedulePump(): void {
    if (this.isPumpScheduled || this.isClosed) return;
    this.isPumpScheduled = true;
    setImmediate(() => {
      this.isPumpScheduled = false;
      void this.pump();
    });
  }

  /** Runs dispatch rounds until nothing more can be placed. One at a time. */
  async pump(): Promise<void> {
    if (this.isPumping) {
      this.pumpAgain = true;
      return;
    }
    this.isPumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.dispatch();
      } while (this.pumpAgain && !this.isClosed);
    } catch (error) {
      if (!this.isClosed)
        this.ctx.logger.error({ topic: this.topic, subscription: this.name, err: toFerryError(error).message }, 'dispatch failed');
    } finally {
      this.isPumping = false;
      this.flushAll();
    }
  }

  private totalCredit(): number {
    let credit = 0;
    for (const consumer of this.consumers) credit += Math.max(0, consumer.credit);
    return credit;
  }

  private async dispatch(): Promise<void> {
    if (this.consumers.length === 0 || this.isClosed) return;
    await this.loadDueRedeliveries();
    const cursors = this.cursors;
    const n = cursors.length;
    if (n === 0) return;
    let progressed = true;
    while (progressed && !this.isClosed && this.totalCredit() > 0) {
      progressed = false;
      const quota = Math.max(SHARE_MIN, Math.ceil(this.totalCredit() / n));
      for (let k = 0; k < n && !this.isClosed; k++) {
        const cursor = cursors[(this.nextCursor + k) % n]!;
        if (cursor.isRemoved) continue;
        if ((await this.placeCursor(cursor, quota)) > 0) progressed = true;
      }
      this.nextCursor = (this.nextCursor + 1) % n;
    }
    this.flushAll();
  }

  /** Places up to `quota` records of one cursor: redeliveries, held-back keys, then new records. */
  private async placeCursor(cursor: PartitionCursor, quota: number): Promise<number> {
    const nowMs = this.ctx.host.now();
    const policy = this.ctx.policy(this.topic);
    const blockedKeys = this.definition.mode === 'key_shared' ? new Set<string>() : null;
    let placed = 0;
    // Redeliveries first: they are the oldest.
    while (placed < quota && cursor.ready.length > 0) {
      const message = cursor.ready.peek()!;
      const outcome = this.offer(cursor, message, nowMs, policy, blockedKeys);
      if (outcome === Offer.waiting) break;
      cursor.ready.shift();
      if (outcome === Offer.placed) placed++;
    }
    if (blockedKeys !== null && cursor.blocked.length > 0) {
      const count = cursor.blocked.length;
      for (let i = 0; i < count; i++) {
        const message = cursor.blocked.shift()!;
        const outcome = placed < quota ? this.offer(cursor, message, nowMs, policy, blockedKeys) : Offer.waiting;
        if (outcome === Offer.placed) placed++;
        else if (outcome === Offer.waiting) {
          cursor.blocked.push(message);
          const keyId = this.placement.keyId(message.key);
          if (keyId !== null) blockedKeys.add(keyId);
        }
      }
    }
    const maxUnacked = this.ctx.config.maxUnackedPerPartition;
    const maxBlocked = this.ctx.config.keySharedMaxBlockedRecords;
    const reader = cursor.reader;
    while (placed < quota && !this.isClosed && !cursor.isRemoved) {
      if (cursor.unackedDelivered >= maxUnacked) break;
      const message = reader.next();
      if (message === null) {
        if (!reader.hasUnread) break;
        this.flushAll(); // deliver what is assembled before waiting on the disk
        const before = reader.nextOffset;
        const hasData = await reader.fill();
        if (reader.nextOffset > before) this.skipDeleted(cursor, before, reader.nextOffset);
        if (!hasData) break;
        continue;
      }
      if (cursor.isAcked(message.offset) || cursor.inFlight.has(message.offset) || cursor.transit.has(message.offset)) continue;
      const outcome = this.offer(cursor, message, nowMs, policy, blockedKeys);
      if (outcome === Offer.placed) placed++;
      else if (outcome === Offer.waiting) {
        if (blockedKeys !== null && message.key !== null && cursor.blocked.length < maxBlocked) {
          cursor.blocked.push(copyMessage(message));
          blockedKeys.add(this.placement.keyId(message.key)!);
          continue;
        }
        reader.unread(message);
        break;
      }
    }
    if (placed > 0) this.ctx.journal.touch(cursor);
    return placed;
  }

  /** Delivers, settles (expired, too many deliveries) or holds one record. */
  private offer(
    cursor: PartitionCursor,
    message: QueueMessage,
    nowMs: number,
    policy: TopicQueuePolicy,
    blockedKeys: Set<string> | null,
  ): Offer {
    const offset = message.offset;
    if (cursor.isAcked(offset) || cursor.inFlight.has(offset) || cursor.transit.has(offset)) return Offer.settled;
    if (expiresAtMs(message, policy.ttlMs) <= nowMs) {
      this.expireRecord(cursor, message, policy);
      return Offer.settled;
    }
    const deliveries = cursor.deliveriesOf(offset);
    const maxDeliveries = this.definition.maxDeliveries;
    if (maxDeliveries > 0 && deliveries >= maxDeliveries) {
      this.deadLetter(cursor, offset, 'max_deliveries', deliveries, message);
      return Offer.settled;
    }
    if (blockedKeys !== null && message.key !== null && blockedKeys.has(this.placement.keyId(message.key)!)) return Offer.waiting;
    const consumer = this.placement.pick(this.consumers, message.key);
    if (consumer === null) return Offer.waiting;
    this.deliver(consumer, cursor, message, nowMs);
    return Offer.placed;
  }

  private deliver(consumer: QueueConsumerHandle, cursor: PartitionCursor, message: QueueMessage, nowMs: number): void {
    const count = cursor.recordDelivery(message.offset);
    message.deliveryCount = count;
    const keyId = this.placement.keyId(message.key);
    const entry: InFlight = {
      cursor,
      offset: message.offset,
      consumer,
      deadlineMs: nowMs + consumer.ackTimeoutMs,
      deliveryCount: count,
      key: keyId,
      isLive: true,
      isExtended: false,
    };
    cursor.inFlight.set(message.offset, entry);
    consumer.inFlightCount++;
    consumer.deadlines.push(entry);
    this.placement.placed(consumer, keyId);
    this.inFlightTotal++;
    consumer.outbox.push(message);
    if (consumer.outbox.length >= MAX_DELIVERY_BATCH) this.flushConsumer(consumer);
    this.ensureTimer();
  }

  private flushAll(): void {
    for (const consumer of this.consumers) this.flushConsumer(consumer);
  }

  private flushConsumer(consumer: QueueConsumerHandle): void {
    try {
      consumer.flush();
    } catch (error) {
      this.ctx.logger.warn(
        { topic: this.topic, subscription: this.name, consumer: consumer.id, err: toFerryError(error).message },
        'a consumer delivery callback threw; closing the consumer',
      );
      void this.removeConsumer(consumer, 'the delivery callback failed');
    }
  }

  /** Takes due redeliveries off the heap (as many as there is credit) and reads them back. */
  private async loadDueRedeliveries(): Promise<void> {
    const nowMs = this.ctx.host.now();
    let budget = this.totalCredit();
    if (budget === 0 || this.redeliveries.peekKey() > nowMs) return;
    const byCursor = new Map<PartitionCursor, number[]>();
    while (budget > 0 && this.redeliveries.peekKey() <= nowMs) {
      const { cursor, offset } = this.redeliveries.pop()!;
      cursor.awaitingRedelivery--;
      if (cursor.isRemoved || cursor.isAcked(offset) || cursor.inFlight.has(offset) || cursor.transit.has(offset)) continue;
      let offsets = byCursor.get(cursor);
      if (offsets === undefined) byCursor.set(cursor, (offsets = []));
      offsets.push(offset);
      budget--;
    }
    for (const [cursor, offsets] of byCursor) {
      offsets.sort((a, b) => a - b);
      const found = await readMessagesAt(cursor.partition.log, cursor.index, offsets, REDELIVERY_READ_BYTES);
      for (const offset of offsets) {
        const message = found.get(offset);
        if (message !== undefined) cursor.ready.push(message);
        else if (offset < cursor.partition.log.logStartOffset && cursor.ack(offset)) this.ctx.journal.touch(cursor); // deleted by retention
      }
    }
  }

  // ------------------------------------------------------------------------------ settling

  private release(entry: InFlight): void {
    if (!entry.isLive) return;
    entry.isLive = false;
    entry.cursor.inFlight.delete(entry.offset);
    entry.consumer.inFlightCount--;
    this.placement.released(entry.key);
    this.inFlightTotal--;
  }

  private queueRedelivery(cursor: PartitionCursor, offset: number, atMs: number): void {
    cursor.awaitingRedelivery++;
    this.redeliveries.push(atMs, { cursor, offset });
    this.ensureTimer();
  }

  /** A nack or an expired deadline: back to the queue after a delay, or to the dead letters. */
  private giveUpDelivery(entry: InFlight, nowMs: number, delayMs: number | undefined): void {
    this.release(entry);
    this.redeliveryCount++;
    const maxDeliveries = this.definition.maxDeliveries;
    if (maxDeliveries > 0 && entry.deliveryCount >= maxDeliveries) {
      this.deadLetter(entry.cursor, entry.offset, 'max_deliveries', entry.deliveryCount, null);
      return;
    }
    const waitMs = delayMs ?? redeliveryDelayMs(this.definition.backoff, entry.deliveryCount, this.ctx.random);
    this.queueRedelivery(entry.cursor, entry.offset, nowMs + waitMs);
  }

  private deadLetter(
    cursor: PartitionCursor,
    offset: number,
    reason: DeadLetterReason,
    deliveries: number,
    message: QueueMessage | null,
  ): void {
    const entry = cursor.inFlight.get(offset);
    if (entry !== undefined) this.release(entry);
    this.deadLetterCount++;
    this.deadLetters.add(cursor, offset, reason, deliveries, message);
  }

  private settleDeadLetters(cursor: PartitionCursor, offsets: readonly number[]): void {
    let changed = false;
    for (const offset of offsets) {
      cursor.transit.delete(offset);
      if (cursor.ack(offset)) changed = true;
    }
    if (!changed) return;
    this.ctx.journal.touch(cursor);
    this.ctx.journal.commit().catch(() => {}); // logged by the journal; a restart would redo it
    this.schedulePump();
  }

  private expireRecord(cursor: PartitionCursor, message: QueueMessage, policy: TopicQueuePolicy): void {
    if (policy.ttlAction === 'dead_letter') {
      this.deadLetter(cursor, message.offset, 'expired', cursor.deliveriesOf(message.offset), message);
    } else if (cursor.ack(message.offset)) {
      this.ctx.journal.touch(cursor);
    }
  }

  /** The log start moved past records never acked (retention): they count as dropped. */
  private skipDeleted(cursor: PartitionCursor, from: number, to: number): void {
    if (to <= cursor.ackFloor) return;
    for (const entry of [...cursor.inFlight.values()]) if (entry.offset >= from && entry.offset < to) this.release(entry);
    const dropped = cursor.ackRange(from, to);
    if (dropped > 0) {
      this.ctx.logger.warn(
        { topic: this.topic, subscription: this.name, partition: cursor.index, from, to, dropped },
        'records were deleted from the log before this subscription acknowledged them',
      );
      this.ctx.journal.touch(cursor);
    }
  }

  // ------------------------------------------------------------------------------ backlog

  /** After an append: drop or dead-letter the oldest records above the subscription's limit. */
  private onAppend(cursor: PartitionCursor, sizeBytes: number): void {
    if (this.isClosed || cursor.isRemoved || sizeBytes === Number.POSITIVE_INFINITY) return;
    const limits = effectiveLimits(this.definition.limits, this.ctx.policy(this.topic));
    if (limits !== null && limits.overflow !== 'reject_publish') {
      const excess = excessRecords(cursor.backlog - cursor.transit.size, 0, limits, cursor.partition.log);
      if (excess > 0) this.dropOldest(cursor, excess, limits.overflow === 'dead_letter');
    }
    if (this.consumers.length > 0) this.schedulePump();
  }

  private dropOldest(cursor: PartitionCursor, count: number, toDeadLetters: boolean): void {
    const asDeadLetters = toDeadLetters && cursor.transit.size < this.ctx.config.maxUnackedPerPartition;
    const end = cursor.highWatermark;
    let offset = cursor.ackFloor;
    let dropped = 0;
    let changed = false;
    while (dropped < count && offset < end) {
      offset = cursor.acked.nextGap(offset);
      if (offset >= end) break;
      if (!cursor.transit.has(offset)) {
        if (asDeadLetters) {
          this.deadLetter(cursor, offset, 'backlog_overflow', cursor.deliveriesOf(offset), null);
        } else {
          const entry = cursor.inFlight.get(offset);
          if (entry !== undefined) this.release(entry);
          if (cursor.ack(offset)) changed = true;
        }
        dropped++;
      }
      offset++;
    }
    if (changed) {
      this.ctx.journal.touch(cursor);
      this.ctx.journal.commit().catch(() => {});
    }
  }

  // ------------------------------------------------------------------------------ deadlines

  private ensureTimer(): void {
    if (this.timer !== null || this.isClosed) return;
    this.timer = setInterval(() => this.checkDeadlines(), this.ctx.config.deadlineCheckIntervalMs).unref();
  }

  /** Expires in-flight records past their deadline; wakes the dispatcher for due redeliveries. */
  checkDeadlines(): void {
    if (this.isClosed) return;
    const nowMs = this.ctx.host.now();
    for (const consumer of this.consumers) {
      const deadlines = consumer.deadlines;
      for (;;) {
        const entry = deadlines.peek();
        if (entry === undefined) break;
        if (!entry.isLive || entry.isExtended) {
          deadlines.shift(); // settled, or tracked by the extended heap
          continue;
        }
        if (entry.deadlineMs > nowMs) break;
        deadlines.shift();
        this.giveUpDelivery(entry, nowMs, undefined);
      }
    }
    while (this.extended.peekKey() <= nowMs) {
      const { entry, deadlineMs } = this.extended.pop()!;
      if (entry.isLive && entry.deadlineMs === deadlineMs) this.giveUpDelivery(entry, nowMs, undefined);
    }
    let hasReady = false;
    for (const cursor of this.cursors) if (cursor.ready.length > 0 || cursor.blocked.length > 0) hasReady = true;
    if (this.redeliveries.peekKey() <= nowMs || hasReady) this.schedulePump();
    if (this.inFlightTotal === 0 && this.redeliveries.size === 0 && this.extended.size === 0 && !hasReady) {
      clearInterval(this.timer!);
      this.timer = null;
    }
  }

  // ------------------------------------------------------------------------------ describe

  async describe(): Promise<SubscriptionDescription> {
    const nowMs = this.ctx.host.now();
    const partitions = this.cursors.map((cursor) => ({
      partition: cursor.index,
      ackFloor: cursor.ackFloor,
      highWatermark: cursor.highWatermark,
      backlog: cursor.backlog,
      inFlight: cursor.inFlight.size,
      awaitingRedelivery: cursor.awaitingRedelivery,
    }));
    let oldestUnackedAgeMs = 0;
    for (const cursor of this.cursors) {
      if (cursor.backlog === 0 || cursor.isRemoved) continue;
      try {
        const found = await readMessagesAt(cursor.partition.log, cursor.index, [cursor.ackFloor], 1);
        const message = found.get(cursor.ackFloor);
        if (message !== undefined) oldestUnackedAgeMs = Math.max(oldestUnackedAgeMs, nowMs - message.timestamp);
      } catch {
        // An offline partition: its age is unknown, the rest still describes.
      }
    }
    const { topic, name, mode, startAt, ackTimeoutMs, maxDeliveries, deadLetterTopic, backoff, limits } = this.definition;
    return {
      topic,
      name,
      mode,
      options: { mode, startAt, ackTimeoutMs, maxDeliveries, deadLetterTopic, backoff: { ...backoff }, limits },
      consumers: this.consumers.map((consumer, index) => ({
        id: consumer.id,
        prefetch: consumer.prefetch,
        inFlight: consumer.inFlightCount,
        isActive: mode === 'exclusive' || mode === 'failover' ? index === 0 : true,
      })),
      partitions,
      backlog: partitions.reduce((sum, p) => sum + p.backlog, 0),
      inFlight: this.inFlightTotal,
      redeliveries: this.redeliveryCount,
      deadLettered: this.deadLetterCount,
      oldestUnackedAgeMs,
    };
  }

  // ------------------------------------------------------------------------------ lifecycle

  /** Ends every consumer (with `reason`), stops timers and detaches from the partitions. */
  close(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.deadLetters.close();
    for (const { partition, waiter } of this.waiters) partition.waiters.delete(waiter);
    const consumers = this.consumers;
    this.consumers = [];
    for (const consumer of consumers) consumer.markClosed(reason, true);
  }

  /** Closes and marks every cursor removed (the subscription or its topic is gone). */
  remove(reason: string): void {
    this.close(reason);
    for (const cursor of this.cursors) cursor.isRemoved = true;
  }

  private checkOpen(): void {
    if (this.isClosed) {
      throw new FerryError(ErrorCode.SUBSCRIPTION_NOT_FOUND, `subscription ${this.name} on ${this.topic} is closed`, {
        topic: this.topic,
        subscription: this.name,
      });
    }
  }

  private badPartition(partition: number, consumer: QueueConsumerHandle): FerryError {
    if (consumer.isClosed) {
      return new FerryError(ErrorCode.CONNECTION_CLOSED, `consumer ${consumer.id} is closed`, { consumer: consumer.id });
    }
    return new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${this.topic}-${partition}`, {
      topic: this.topic,
      partition,
    });
  }
}

/** What became of a record offered to the consumers. */
const Offer = { placed: 0, settled: 1, waiting: 2 } as const;
type Offer = (typeof Offer)[keyof typeof Offer];

/** A cursor's share of a dispatch pass is at least this many records (fewer, smaller reads). */
const SHARE_MIN = 64;

/** Held-back records must not pin the read chunk they came from. */
function copyMessage(message: QueueMessage): QueueMessage {
  return {
    ...message,
    key: message.key === null ? null : Buffer.from(message.key),
    value: message.value === null ? null : Buffer.from(message.value),
    headers: message.headers.map((header) => ({ key: header.key, value: header.value === null ? null : Buffer.from(header.value) })),
  };
}

function checkInteger(value: number, name: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new FerryError(ErrorCode.INVALID_REQUEST, `${name} must be an integer in [${min}, ${max}], got ${value}`, { [name]: value });
  }
}
