import { toFerryError } from '../../common/errors.ts';
import type { QueueConsumerHandle } from './consumer.ts';
import { expiresAtMs } from './expiry.ts';
import { readMessagesAt } from './message-reader.ts';
import type { InFlight, PartitionCursor } from './partition-cursor.ts';
import type { RedeliverySchedule } from './redelivery-schedule.ts';
import type { Settlement } from './settlement.ts';
import type { SubscriptionState } from './subscription-state.ts';
import type { QueueMessage, TopicQueuePolicy } from './types.ts';

/** Deliveries handed to a consumer's callback in one call, at most. */
const MAX_DELIVERY_BATCH = 512;
/** Bytes read around each record read back for a redelivery. */
const REDELIVERY_READ_BYTES = 64 * 1024;
/** A cursor's share of a dispatch pass is at least this many records (fewer, smaller reads). */
const SHARE_MIN = 64;

/** What became of a record offered to the consumers. */
const Offer = { placed: 0, settled: 1, waiting: 2 } as const;
type Offer = (typeof Offer)[keyof typeof Offer];

/**
 * Moves records from the logs to consumers with credit: due redeliveries first, then records
 * held back for busy keys, then new records, a fair share per partition per pass. `pump()` is the
 * only async path of a subscription and runs one at a time; a request during a pass runs another.
 */
export class Dispatcher {
  private readonly state: SubscriptionState;
  private readonly schedule: RedeliverySchedule;
  private readonly settlement: Settlement;
  private readonly onCallbackFailed: (consumer: QueueConsumerHandle) => void;
  private isPumping = false;
  private pumpAgain = false;
  private isPumpScheduled = false;
  private nextCursor = 0;

  constructor(
    state: SubscriptionState,
    schedule: RedeliverySchedule,
    settlement: Settlement,
    onCallbackFailed: (consumer: QueueConsumerHandle) => void,
  ) {
    this.state = state;
    this.schedule = schedule;
    this.settlement = settlement;
    this.onCallbackFailed = onCallbackFailed;
  }

  schedulePump(): void {
    if (this.isPumpScheduled || this.state.isClosed) return;
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
    const state = this.state;
    this.isPumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.dispatch();
      } while (this.pumpAgain && !state.isClosed);
    } catch (error) {
      if (!state.isClosed)
        state.ctx.logger.error({ topic: state.topic, subscription: state.name, err: toFerryError(error).message }, 'dispatch failed');
    } finally {
      this.isPumping = false;
      this.flushAll();
    }
  }

  /** Hands every consumer the deliveries assembled for it. */
  flushAll(): void {
    for (const consumer of this.state.consumers) this.flushConsumer(consumer);
  }

  private async dispatch(): Promise<void> {
    const state = this.state;
    if (state.consumers.length === 0 || state.isClosed) return;
    await this.loadDueRedeliveries();
    const cursors = state.cursors;
    const n = cursors.length;
    if (n === 0) return;
    let progressed = true;
    while (progressed && !state.isClosed && state.totalCredit() > 0) {
      progressed = false;
      const quota = Math.max(SHARE_MIN, Math.ceil(state.totalCredit() / n));
      for (let k = 0; k < n && !state.isClosed; k++) {
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
    const state = this.state;
    const nowMs = state.ctx.host.now();
    const policy = state.ctx.policy(state.topic);
    const blockedKeys = state.definition.mode === 'key_shared' ? new Set<string>() : null;
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
          const keyId = state.placement.keyId(message.key);
          if (keyId !== null) blockedKeys.add(keyId);
        }
      }
    }
    const maxUnacked = state.ctx.config.maxUnackedPerPartition;
    const maxBlocked = state.ctx.config.keySharedMaxBlockedRecords;
    const reader = cursor.reader;
    while (placed < quota && !state.isClosed && !cursor.isRemoved) {
      if (cursor.unackedDelivered >= maxUnacked) break;
      const message = reader.next();
      if (message === null) {
        if (!reader.hasUnread) break;
        this.flushAll(); // deliver what is assembled before waiting on the disk
        const before = reader.nextOffset;
        const hasData = await reader.fill();
        if (reader.nextOffset > before) this.settlement.skipDeleted(cursor, before, reader.nextOffset);
        if (!hasData) break;
        continue;
      }
      // offer() checks settled/held first (one lookup per record, not two).
      const outcome = this.offer(cursor, message, nowMs, policy, blockedKeys);
      if (outcome === Offer.placed) placed++;
      else if (outcome === Offer.waiting) {
        if (blockedKeys !== null && message.key !== null && cursor.blocked.length < maxBlocked) {
          cursor.blocked.push(copyMessage(message));
          blockedKeys.add(state.placement.keyId(message.key)!);
          continue;
        }
        reader.unread(message);
        break;
      }
    }
    if (placed > 0) {
      state.ctx.journal.touch(cursor);
      this.schedule.ensureTimer(); // once per pass, not per record: one timer watches every deadline
    }
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
    const state = this.state;
    const offset = message.offset;
    if (state.isSettledOrHeld(cursor, offset)) return Offer.settled;
    if (expiresAtMs(message, policy.ttlMs) <= nowMs) {
      this.settlement.expireRecord(cursor, message, policy);
      return Offer.settled;
    }
    const deliveries = cursor.deliveriesOf(offset);
    const maxDeliveries = state.definition.maxDeliveries;
    if (maxDeliveries > 0 && deliveries >= maxDeliveries) {
      this.settlement.deadLetter(cursor, offset, 'max_deliveries', deliveries, message);
      return Offer.settled;
    }
    if (blockedKeys !== null && message.key !== null && blockedKeys.has(state.placement.keyId(message.key)!)) return Offer.waiting;
    const consumer = state.placement.pick(state.consumers, message.key);
    if (consumer === null) return Offer.waiting;
    this.deliver(consumer, cursor, message, nowMs);
    return Offer.placed;
  }

  private deliver(consumer: QueueConsumerHandle, cursor: PartitionCursor, message: QueueMessage, nowMs: number): void {
    const state = this.state;
    const count = cursor.recordDelivery(message.offset);
    message.deliveryCount = count;
    const keyId = state.placement.keyId(message.key);
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
    state.placement.placed(consumer, keyId);
    state.inFlightTotal++;
    consumer.outbox.push(message);
    if (consumer.outbox.length >= MAX_DELIVERY_BATCH) this.flushConsumer(consumer);
  }

  private flushConsumer(consumer: QueueConsumerHandle): void {
    try {
      consumer.flush();
    } catch (error) {
      const state = this.state;
      state.ctx.logger.warn(
        { topic: state.topic, subscription: state.name, consumer: consumer.id, err: toFerryError(error).message },
        'a consumer delivery callback threw; closing the consumer',
      );
      this.onCallbackFailed(consumer);
    }
  }

  /** Takes due redeliveries off the schedule (as many as there is credit) and reads them back. */
  private async loadDueRedeliveries(): Promise<void> {
    const state = this.state;
    const nowMs = state.ctx.host.now();
    const budget = state.totalCredit();
    if (budget === 0 || !this.schedule.hasDue(nowMs)) return;
    const byCursor = this.schedule.takeDue(nowMs, budget, (cursor, offset) => state.isSettledOrHeld(cursor, offset));
    for (const [cursor, offsets] of byCursor) {
      offsets.sort((a, b) => a - b);
      const found = await readMessagesAt(cursor.partition.log, cursor.index, offsets, REDELIVERY_READ_BYTES);
      for (const offset of offsets) {
        const message = found.get(offset);
        if (message !== undefined) cursor.ready.push(message);
        else if (offset < cursor.partition.log.logStartOffset && cursor.ack(offset)) state.ctx.journal.touch(cursor); // deleted by retention
      }
    }
  }
}

/** Held-back records must not pin the read chunk they came from. */
function copyMessage(message: QueueMessage): QueueMessage {
  return {
    ...message,
    key: message.key === null ? null : Buffer.from(message.key),
    value: message.value === null ? null : Buffer.from(message.value),
    headers: message.headers.map((header) => ({ key: header.key, value: header.value === null ? null : Buffer.from(header.value) })),
  };
}
