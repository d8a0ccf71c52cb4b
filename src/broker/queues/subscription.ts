import assert from 'node:assert/strict';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import type { Partition } from '../partition.ts';
import type { AppendWaiter } from '../partition-waiters.ts';
import { trimOverflow } from './backlog-overflow.ts';
import { type ConsumerOwner, QueueConsumerHandle } from './consumer.ts';
import { Dispatcher } from './dispatcher.ts';
import { PartitionCursor } from './partition-cursor.ts';
import { RedeliverySchedule } from './redelivery-schedule.ts';
import { Settlement } from './settlement.ts';
import type { CursorState } from './state-codec.ts';
import type { StoredSubscription } from './subscription-definition.ts';
import { describeSubscription } from './subscription-describe.ts';
import { checkInteger, type SubscriptionContext, SubscriptionState } from './subscription-state.ts';
import type { SubscribeOptions, SubscriptionDescription } from './types.ts';

export type { SubscriptionContext } from './subscription-state.ts';

/**
 * One subscription: its cursors (one per partition), its consumers, and what consumers call on it
 * (ack, nack, extend, prefetch, leave). The work is done by its parts, over one shared
 * `SubscriptionState`: the `Dispatcher` moves records to consumers with credit, `Settlement` ends
 * records other than by ack, the `RedeliverySchedule` holds what comes back later (docs/queues.md).
 * Everything runs on the event loop. Memory is bounded by credit (prefetch),
 * maxUnackedPerPartition, one read chunk per partition and keySharedMaxBlockedRecords.
 */
export class Subscription implements ConsumerOwner {
  private readonly state: SubscriptionState;
  private readonly schedule: RedeliverySchedule;
  private readonly settlement: Settlement;
  private readonly dispatcher: Dispatcher;
  private readonly waiters: { partition: Partition; waiter: AppendWaiter }[] = [];
  private consumerSequence = 0;

  constructor(ctx: SubscriptionContext, definition: StoredSubscription) {
    this.state = new SubscriptionState(ctx, definition);
    this.schedule = new RedeliverySchedule(ctx.config.deadlineCheckIntervalMs, () => this.checkDeadlines());
    this.settlement = new Settlement(this.state, this.schedule, () => this.schedulePump());
    this.dispatcher = new Dispatcher(this.state, this.schedule, this.settlement, (consumer) => {
      void this.removeConsumer(consumer, 'the delivery callback failed');
    });
  }

  get definition(): StoredSubscription {
    return this.state.definition;
  }

  get topic(): string {
    return this.state.topic;
  }

  get name(): string {
    return this.state.name;
  }

  get consumerCount(): number {
    return this.state.consumers.length;
  }

  get partitionCount(): number {
    return this.state.cursors.length;
  }

  get redeliveryCount(): number {
    return this.state.redeliveryCount;
  }

  get deadLetterCount(): number {
    return this.state.deadLetterCount;
  }

  allCursors(): readonly PartitionCursor[] {
    return this.state.cursors;
  }

  cursor(partition: number): PartitionCursor | undefined {
    return this.state.cursors[partition];
  }

  /** Adds the cursor of a partition (at open, creation, or when the topic grows). */
  addPartition(partition: Partition, state: CursorState): PartitionCursor {
    const cursors = this.state.cursors;
    assert.equal(partition.index, cursors.length, 'cursors are added in partition order');
    const cursor = new PartitionCursor(this.topic, this.name, partition, state, this.state.ctx.config.readChunkBytes);
    cursors.push(cursor);
    const waiter: AppendWaiter = { onAppend: (sizeBytes) => this.onAppend(cursor, sizeBytes) };
    partition.waiters.add(waiter);
    this.waiters.push({ partition, waiter });
    if (cursor.reader.hasUnread) this.schedulePump();
    return cursor;
  }

  // ------------------------------------------------------------------------------ consumers

  addConsumer(options: SubscribeOptions): QueueConsumerHandle {
    this.checkOpen();
    const { config } = this.state.ctx;
    const consumers = this.state.consumers;
    if (consumers.length >= config.maxConsumersPerSubscription) {
      throw new FerryError(
        ErrorCode.CONSUMER_BUSY,
        `subscription ${this.name} on ${this.topic} has ${consumers.length} consumers, the limit (maxConsumersPerSubscription)`,
        { topic: this.topic, subscription: this.name },
      );
    }
    if (this.definition.mode === 'exclusive' && consumers.length > 0) {
      throw new FerryError(
        ErrorCode.CONSUMER_BUSY,
        `exclusive subscription ${this.name} on ${this.topic} already has a consumer (${consumers[0]!.id})`,
        { topic: this.topic, subscription: this.name, consumer: consumers[0]!.id },
      );
    }
    const prefetch = options.prefetch ?? config.defaultPrefetch;
    checkInteger(prefetch, 'prefetch', 1, config.maxPrefetch);
    const ackTimeoutMs = options.ackTimeoutMs ?? this.definition.ackTimeoutMs;
    checkInteger(ackTimeoutMs, 'ackTimeoutMs', 1, config.maxAckTimeoutMs);
    const sequence = this.consumerSequence++;
    const id = options.consumerId ?? `${this.name}-${sequence}`;
    if (consumers.some((consumer) => consumer.id === id)) {
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
    consumers.push(consumer);
    this.schedulePump();
    return consumer;
  }

  async removeConsumer(consumer: QueueConsumerHandle, reason: string): Promise<void> {
    const state = this.state;
    if (!state.consumers.includes(consumer)) return;
    state.consumers = state.consumers.filter((other) => other !== consumer);
    // Its in-flight records go back at once, counts kept: the next consumer gets them first.
    const nowMs = state.ctx.host.now();
    for (const cursor of state.cursors) {
      for (const entry of cursor.inFlight.values()) {
        if (entry.consumer === consumer) this.settlement.requeue(entry, nowMs);
      }
    }
    consumer.markClosed(reason, reason !== 'closed by the consumer');
    this.schedulePump();
  }

  setPrefetch(consumer: QueueConsumerHandle, prefetch: number): void {
    checkInteger(prefetch, 'prefetch', 1, this.state.ctx.config.maxPrefetch);
    consumer.prefetch = prefetch;
    this.schedulePump();
  }

  // ------------------------------------------------------------------------------ acks

  ack(consumer: QueueConsumerHandle, partition: number, offsets: ArrayLike<number>): Promise<void> {
    const state = this.state;
    const cursor = state.cursors[partition];
    if (cursor === undefined || consumer.isClosed) return Promise.reject(this.badPartition(partition, consumer));
    let changed = false;
    const inFlight = cursor.inFlight;
    const transit = cursor.transit;
    for (let i = 0; i < offsets.length; i++) {
      const offset = offsets[i]!;
      const entry = inFlight.get(offset);
      if (entry !== undefined) state.release(entry);
      else if (offset >= cursor.deliveredMark && !cursor.counts.has(offset)) continue; // never delivered
      if (transit.size > 0 && transit.has(offset)) continue;
      if (cursor.ack(offset)) changed = true;
    }
    // Acks come in delivery order: drop the settled front of the deadline queue now rather than
    // at the next deadline tick, so its entries die young (fewer survivors per scavenge).
    const deadlines = consumer.deadlines;
    for (let front = deadlines.peek(); front !== undefined && (!front.isLive || front.isExtended); front = deadlines.peek())
      deadlines.shift();
    if (changed) {
      state.ctx.journal.touch(cursor);
      this.schedulePump();
    }
    return state.ctx.journal.commit();
  }

  nack(consumer: QueueConsumerHandle, partition: number, offsets: ArrayLike<number>, delayMs: number | undefined): void {
    const cursor = this.state.cursors[partition];
    if (cursor === undefined || consumer.isClosed) throw this.badPartition(partition, consumer);
    if (delayMs !== undefined) checkInteger(delayMs, 'delayMs', 0, this.state.ctx.config.maxAckTimeoutMs);
    const nowMs = this.state.ctx.host.now();
    for (let i = 0; i < offsets.length; i++) {
      const entry = cursor.inFlight.get(offsets[i]!);
      if (entry === undefined || entry.consumer !== consumer) continue;
      this.settlement.giveUpDelivery(entry, nowMs, delayMs);
    }
    this.schedulePump();
  }

  extendDeadline(consumer: QueueConsumerHandle, partition: number, offsets: ArrayLike<number>, extendMs: number): void {
    const cursor = this.state.cursors[partition];
    if (cursor === undefined || consumer.isClosed) throw this.badPartition(partition, consumer);
    checkInteger(extendMs, 'extendMs', 1, this.state.ctx.config.maxAckTimeoutMs);
    const deadlineMs = this.state.ctx.host.now() + extendMs;
    for (let i = 0; i < offsets.length; i++) {
      const entry = cursor.inFlight.get(offsets[i]!);
      if (entry === undefined || entry.consumer !== consumer) continue;
      entry.deadlineMs = deadlineMs;
      entry.isExtended = true;
      this.schedule.extend(entry, deadlineMs);
    }
  }

  // ------------------------------------------------------------------------------ dispatch

  schedulePump(): void {
    this.dispatcher.schedulePump();
  }

  /** Runs dispatch rounds until nothing more can be placed. One at a time. */
  pump(): Promise<void> {
    return this.dispatcher.pump();
  }

  /** After an append: drop or dead-letter the oldest records above the subscription's limit. */
  private onAppend(cursor: PartitionCursor, sizeBytes: number): void {
    if (this.state.isClosed || cursor.isRemoved || sizeBytes === Number.POSITIVE_INFINITY) return;
    trimOverflow(this.state, this.settlement, cursor);
    if (this.state.consumers.length > 0) this.schedulePump();
  }

  /** Expires in-flight records past their deadline; wakes the dispatcher for due redeliveries. */
  checkDeadlines(): void {
    const state = this.state;
    if (state.isClosed) return;
    const nowMs = state.ctx.host.now();
    for (const consumer of state.consumers) {
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
        this.settlement.giveUpDelivery(entry, nowMs, undefined);
      }
    }
    this.schedule.expireExtended(nowMs, (entry) => this.settlement.giveUpDelivery(entry, nowMs, undefined));
    let hasReady = false;
    for (const cursor of state.cursors) if (cursor.ready.length > 0 || cursor.blocked.length > 0) hasReady = true;
    if (this.schedule.hasDue(nowMs) || hasReady) this.schedulePump();
    if (state.inFlightTotal === 0 && this.schedule.isIdle && !hasReady) this.schedule.pauseTimer();
  }

  describe(): Promise<SubscriptionDescription> {
    return describeSubscription(this.state);
  }

  // ------------------------------------------------------------------------------ lifecycle

  /** Ends every consumer (with `reason`), stops timers and detaches from the partitions. */
  close(reason: string): void {
    const state = this.state;
    if (state.isClosed) return;
    state.isClosed = true;
    this.schedule.stop();
    this.settlement.close();
    for (const { partition, waiter } of this.waiters) partition.waiters.delete(waiter);
    const consumers = state.consumers;
    state.consumers = [];
    for (const consumer of consumers) consumer.markClosed(reason, true);
  }

  /** Closes and marks every cursor removed (the subscription or its topic is gone). */
  remove(reason: string): void {
    this.close(reason);
    for (const cursor of this.state.cursors) cursor.isRemoved = true;
  }

  private checkOpen(): void {
    if (this.state.isClosed) {
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
