import { effectiveLimits, excessRecords } from './backlog.ts';
import type { PartitionCursor } from './partition-cursor.ts';
import type { Settlement } from './settlement.ts';
import type { SubscriptionState } from './subscription-state.ts';

/**
 * After an append to a partition: with overflow `drop_oldest` or `dead_letter`, acknowledges or
 * dead-letters the subscription's oldest unacknowledged records down to its backlog limit.
 * (`reject_publish` is enforced before the append, by the queue manager.)
 */
export function trimOverflow(state: SubscriptionState, settlement: Settlement, cursor: PartitionCursor): void {
  const limits = effectiveLimits(state.definition.limits, state.ctx.policy(state.topic));
  if (limits === null || limits.overflow === 'reject_publish') return;
  const excess = excessRecords(cursor.backlog - cursor.transit.size, 0, limits, cursor.partition.log);
  if (excess > 0) dropOldest(state, settlement, cursor, excess, limits.overflow === 'dead_letter');
}

function dropOldest(
  state: SubscriptionState,
  settlement: Settlement,
  cursor: PartitionCursor,
  count: number,
  toDeadLetters: boolean,
): void {
  // Dead letters in transit are bounded like unacked records; beyond that, the oldest are dropped.
  const asDeadLetters = toDeadLetters && cursor.transit.size < state.ctx.config.maxUnackedPerPartition;
  const end = cursor.highWatermark;
  let offset = cursor.ackFloor;
  let dropped = 0;
  let changed = false;
  while (dropped < count && offset < end) {
    offset = cursor.acked.nextGap(offset);
    if (offset >= end) break;
    if (!cursor.transit.has(offset)) {
      if (asDeadLetters) {
        settlement.deadLetter(cursor, offset, 'backlog_overflow', cursor.deliveriesOf(offset), null);
      } else {
        const entry = cursor.inFlight.get(offset);
        if (entry !== undefined) state.release(entry);
        if (cursor.ack(offset)) changed = true;
      }
      dropped++;
    }
    offset++;
  }
  if (changed) {
    state.ctx.journal.touch(cursor);
    state.ctx.journal.commit().catch(() => {});
  }
}
