import { ErrorCode, FerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { QueueConfig } from './config.ts';
import type { QueueConsumerHandle } from './consumer.ts';
import { type Placement, placementFor } from './dispatch-modes.ts';
import type { QueueHost } from './host.ts';
import type { InFlight, PartitionCursor } from './partition-cursor.ts';
import type { StateJournal } from './state-journal.ts';
import type { StoredSubscription } from './subscription-definition.ts';
import type { TopicQueuePolicy } from './types.ts';

export interface SubscriptionContext {
  host: QueueHost;
  config: QueueConfig;
  journal: StateJournal;
  logger: Logger;
  policy(topic: string): TopicQueuePolicy;
  random(): number;
}

/**
 * What the parts of one subscription (dispatcher, settlement, redelivery schedule, describe)
 * share: its cursors, its consumers in join order, and the in-flight bookkeeping. One object so
 * that every part sees the same counts; the parts hold no copy of it.
 */
export class SubscriptionState {
  readonly definition: StoredSubscription;
  readonly ctx: SubscriptionContext;
  readonly cursors: PartitionCursor[] = [];
  /** Open consumers in join order (failover and exclusive pick the first). */
  consumers: QueueConsumerHandle[] = [];
  readonly placement: Placement;
  inFlightTotal = 0;
  isClosed = false;
  redeliveryCount = 0;
  deadLetterCount = 0;

  constructor(ctx: SubscriptionContext, definition: StoredSubscription) {
    this.ctx = ctx;
    this.definition = definition;
    this.placement = placementFor(definition.mode);
  }

  get topic(): string {
    return this.definition.topic;
  }

  get name(): string {
    return this.definition.name;
  }

  totalCredit(): number {
    let credit = 0;
    for (const consumer of this.consumers) credit += Math.max(0, consumer.credit);
    return credit;
  }

  /** Ends an in-flight entry's hold on its consumer's credit and its key; idempotent. */
  release(entry: InFlight): void {
    if (!entry.isLive) return;
    entry.isLive = false;
    entry.cursor.inFlight.delete(entry.offset);
    entry.consumer.inFlightCount--;
    this.placement.released(entry.key);
    this.inFlightTotal--;
  }

  /** True while `offset` needs nothing more: acknowledged, delivered now, or on its way to the dead letters. */
  isSettledOrHeld(cursor: PartitionCursor, offset: number): boolean {
    // Every in-flight offset is below the delivered mark: a first delivery skips that lookup.
    return (
      cursor.isAcked(offset) ||
      (offset < cursor.deliveredMark && cursor.inFlight.has(offset)) ||
      (cursor.transit.size > 0 && cursor.transit.has(offset))
    );
  }
}

export function checkInteger(value: number, name: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new FerryError(ErrorCode.INVALID_REQUEST, `${name} must be an integer in [${min}, ${max}], got ${value}`, { [name]: value });
  }
}
