import { redeliveryDelayMs } from './backoff.ts';
import { type DeadLetterReason, DeadLetterWriter } from './dead-letter.ts';
import type { InFlight, PartitionCursor } from './partition-cursor.ts';
import type { RedeliverySchedule } from './redelivery-schedule.ts';
import type { SubscriptionState } from './subscription-state.ts';
import type { QueueMessage, TopicQueuePolicy } from './types.ts';

/**
 * How records of one subscription end up other than by a consumer's ack: back to the queue (nack,
 * deadline), to the dead-letter topic (too many deliveries, expired, overflow), acknowledged by
 * the broker (expired with ttlAction drop, deleted by retention). `wake` asks the dispatcher for a
 * pass when records became available again.
 */
export class Settlement {
  private readonly state: SubscriptionState;
  private readonly schedule: RedeliverySchedule;
  private readonly wake: () => void;
  private readonly deadLetters: DeadLetterWriter;

  constructor(state: SubscriptionState, schedule: RedeliverySchedule, wake: () => void) {
    this.state = state;
    this.schedule = schedule;
    this.wake = wake;
    const { definition, ctx } = state;
    this.deadLetters = new DeadLetterWriter({
      host: ctx.host,
      topic: definition.topic,
      subscription: definition.name,
      deadLetterTopic: definition.deadLetterTopic,
      logger: ctx.logger,
      onWritten: (cursor, offsets) => this.settleDeadLetters(cursor, offsets),
    });
  }

  /** Back to the queue at `atMs`, counted as a redelivery (a closed consumer's records). */
  requeue(entry: InFlight, atMs: number): void {
    this.state.release(entry);
    this.state.redeliveryCount++;
    this.schedule.queue(entry.cursor, entry.offset, atMs);
  }

  /** A nack or an expired deadline: back to the queue after a delay, or to the dead letters. */
  giveUpDelivery(entry: InFlight, nowMs: number, delayMs: number | undefined): void {
    const state = this.state;
    state.release(entry);
    state.redeliveryCount++;
    const maxDeliveries = state.definition.maxDeliveries;
    if (maxDeliveries > 0 && entry.deliveryCount >= maxDeliveries) {
      this.deadLetter(entry.cursor, entry.offset, 'max_deliveries', entry.deliveryCount, null);
      return;
    }
    const waitMs = delayMs ?? redeliveryDelayMs(state.definition.backoff, entry.deliveryCount, state.ctx.random);
    this.schedule.queue(entry.cursor, entry.offset, nowMs + waitMs);
  }

  deadLetter(cursor: PartitionCursor, offset: number, reason: DeadLetterReason, deliveries: number, message: QueueMessage | null): void {
    const entry = cursor.inFlight.get(offset);
    if (entry !== undefined) this.state.release(entry);
    this.state.deadLetterCount++;
    this.deadLetters.add(cursor, offset, reason, deliveries, message);
  }

  /** A record whose TTL passed: dead-lettered or dropped, as the topic's ttlAction says. */
  expireRecord(cursor: PartitionCursor, message: QueueMessage, policy: TopicQueuePolicy): void {
    if (policy.ttlAction === 'dead_letter') {
      this.deadLetter(cursor, message.offset, 'expired', cursor.deliveriesOf(message.offset), message);
    } else if (cursor.ack(message.offset)) {
      this.state.ctx.journal.touch(cursor);
    }
  }

  /** The log start moved past records never acked (retention): they count as dropped. */
  skipDeleted(cursor: PartitionCursor, from: number, to: number): void {
    if (to <= cursor.ackFloor) return;
    const state = this.state;
    for (const entry of [...cursor.inFlight.values()]) if (entry.offset >= from && entry.offset < to) state.release(entry);
    const dropped = cursor.ackRange(from, to);
    if (dropped > 0) {
      state.ctx.logger.warn(
        { topic: state.topic, subscription: state.name, partition: cursor.index, from, to, dropped },
        'records were deleted from the log before this subscription acknowledged them',
      );
      state.ctx.journal.touch(cursor);
    }
  }

  /** Stops writing dead letters (those not yet durable are redelivered after a restart). */
  close(): void {
    this.deadLetters.close();
  }

  private settleDeadLetters(cursor: PartitionCursor, offsets: readonly number[]): void {
    let changed = false;
    for (const offset of offsets) {
      cursor.transit.delete(offset);
      if (cursor.ack(offset)) changed = true;
    }
    if (!changed) return;
    const journal = this.state.ctx.journal;
    journal.touch(cursor);
    journal.commit().catch(() => {}); // logged by the journal; a restart would redo it
    this.wake();
  }
}
