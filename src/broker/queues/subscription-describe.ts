import { readMessagesAt } from './message-reader.ts';
import type { SubscriptionState } from './subscription-state.ts';
import type { SubscriptionDescription } from './types.ts';

/** The subscription's state for admins: backlog, in flight, counters, consumers, per-partition floors. */
export async function describeSubscription(state: SubscriptionState): Promise<SubscriptionDescription> {
  const nowMs = state.ctx.host.now();
  const partitions = state.cursors.map((cursor) => ({
    partition: cursor.index,
    ackFloor: cursor.ackFloor,
    highWatermark: cursor.highWatermark,
    backlog: cursor.backlog,
    inFlight: cursor.inFlight.size,
    awaitingRedelivery: cursor.awaitingRedelivery,
  }));
  let oldestUnackedAgeMs = 0;
  for (const cursor of state.cursors) {
    if (cursor.backlog === 0 || cursor.isRemoved) continue;
    try {
      const found = await readMessagesAt(cursor.partition.log, cursor.index, [cursor.ackFloor], 1);
      const message = found.get(cursor.ackFloor);
      if (message !== undefined) oldestUnackedAgeMs = Math.max(oldestUnackedAgeMs, nowMs - message.timestamp);
    } catch {
      // An offline partition: its age is unknown, the rest still describes.
    }
  }
  const { topic, name, mode, startAt, ackTimeoutMs, maxDeliveries, deadLetterTopic, backoff, limits } = state.definition;
  return {
    topic,
    name,
    mode,
    options: { mode, startAt, ackTimeoutMs, maxDeliveries, deadLetterTopic, backoff: { ...backoff }, limits },
    consumers: state.consumers.map((consumer, index) => ({
      id: consumer.id,
      prefetch: consumer.prefetch,
      inFlight: consumer.inFlightCount,
      isActive: mode === 'exclusive' || mode === 'failover' ? index === 0 : true,
    })),
    partitions,
    backlog: partitions.reduce((sum, p) => sum + p.backlog, 0),
    inFlight: state.inFlightTotal,
    redeliveries: state.redeliveryCount,
    deadLettered: state.deadLetterCount,
    oldestUnackedAgeMs,
  };
}
