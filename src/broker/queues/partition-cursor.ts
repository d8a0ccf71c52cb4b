import assert from 'node:assert/strict';
import { Deque } from '../../storage/deque.ts';
import type { Partition } from '../partition.ts';
import type { QueueConsumerHandle } from './consumer.ts';
import { MessageReader } from './message-reader.ts';
import { OffsetMap } from './offset-map.ts';
import { RangeSet } from './range-set.ts';
import type { CursorState } from './state-codec.ts';
import type { QueueMessage } from './types.ts';

/** One record delivered to a consumer and not yet acked, nacked or expired. */
export interface InFlight {
  cursor: PartitionCursor;
  offset: number;
  consumer: QueueConsumerHandle;
  deadlineMs: number;
  deliveryCount: number;
  /** key_shared: the key (latin1 string) whose ownership this delivery holds; else null. */
  key: string | null;
  /** False once settled: the consumer's deadline queue skips it. */
  isLive: boolean;
  /** Its deadline was extended: tracked by the subscription's heap, not the consumer's FIFO. */
  isExtended: boolean;
}

/**
 * A subscription's position in one partition (docs/queues.md): the ack floor (everything below
 * is acknowledged), acknowledged ranges above it, delivery counts of records delivered and not
 * acknowledged, the records in flight, and the reader for first deliveries. The persisted part
 * (floor, ranges, delivered mark, counts >= 2) changes through the methods here, which also
 * collect the delta for the next group commit.
 */
export class PartitionCursor {
  readonly topic: string;
  readonly subscription: string;
  readonly index: number;
  readonly partition: Partition;
  ackFloor: number;
  readonly acked = new RangeSet();
  /** Every offset below it that is not acked has been delivered at least once. */
  deliveredMark: number;
  /** Delivery counts of records delivered and not yet acked. After a restart, offsets below the
   *  delivered mark without an entry count as delivered once. Bounded by maxUnackedPerPartition. */
  readonly counts = new OffsetMap<number>();
  readonly inFlight = new OffsetMap<InFlight>();
  /** Records on their way to the dead-letter topic: neither delivered nor acked yet. */
  readonly transit = new Set<number>();
  /** Redelivered records read back from the log but not yet placed with a consumer. */
  readonly ready = new Deque<QueueMessage>();
  /** key_shared: records held back because their key's consumer has no credit (copies). */
  readonly blocked = new Deque<QueueMessage>();
  readonly reader: MessageReader;
  /** Entries of the subscription's redelivery heap for this cursor. */
  awaitingRedelivery = 0;
  /** The floor as of the last completed state write (until_acked retention uses it). */
  persistedFloor: number;
  isRemoved = false;

  // The delta not yet handed to the journal.
  private pendingRanges = new RangeSet();
  private pendingCounts: number[] = [];
  private isMarkDirty = false;
  isDirty = false;

  constructor(topic: string, subscription: string, partition: Partition, state: CursorState, chunkBytes: number) {
    this.topic = topic;
    this.subscription = subscription;
    this.index = partition.index;
    this.partition = partition;
    this.ackFloor = state.ackFloor;
    this.persistedFloor = state.ackFloor;
    this.deliveredMark = Math.max(state.deliveredMark, state.ackFloor);
    for (let i = 0; i < state.ranges.length; i += 2) this.acked.addRange(state.ranges[i]!, state.ranges[i + 1]!);
    for (let i = 0; i < state.counts.length; i += 2) this.counts.set(state.counts[i]!, state.counts[i + 1]!);
    this.reader = new MessageReader(partition.log, partition.index, chunkBytes, state.ackFloor);
    this.advanceFloor();
  }

  get highWatermark(): number {
    return this.partition.log.highWatermark;
  }

  /** Records not acknowledged below the high watermark. */
  get backlog(): number {
    return Math.max(0, this.highWatermark - this.ackFloor - this.acked.countIn(this.ackFloor, this.highWatermark));
  }

  /** Delivered and not acknowledged (bounded by maxUnackedPerPartition). */
  get unackedDelivered(): number {
    return this.counts.size;
  }

  isAcked(offset: number): boolean {
    return offset < this.ackFloor || this.acked.has(offset);
  }

  /** Deliveries made of this record so far (0: never delivered). */
  deliveriesOf(offset: number): number {
    const count = this.counts.get(offset);
    if (count !== undefined) return count;
    return offset < this.deliveredMark ? 1 : 0;
  }

  /** Records a delivery: returns the new count. */
  recordDelivery(offset: number): number {
    const count = this.deliveriesOf(offset) + 1;
    this.counts.set(offset, count);
    if (offset >= this.deliveredMark) {
      this.deliveredMark = offset + 1;
      this.isMarkDirty = true;
    }
    if (count >= 2) this.pendingCounts.push(offset, count);
    this.isDirty = true;
    return count;
  }

  /** Acknowledges one offset (consumer ack, drop, dead letter written). False if it was already. */
  ack(offset: number): boolean {
    const floor = this.ackFloor;
    if (offset < floor) return false;
    if (offset === floor) {
      // Most acks land on the floor (shared consumers ack in delivery order): move it by one
      // without a push and a splice in the range set; the invariant keeps `acked` above it.
      this.ackFloor = floor + 1;
      if (this.acked.rangeCount > 0 && this.acked.firstStart === floor + 1) this.advanceFloor();
      else if (this.deliveredMark < floor + 1) this.deliveredMark = floor + 1;
    } else if (!this.acked.add(offset)) {
      return false;
    }
    this.counts.delete(offset);
    this.pendingRanges.add(offset);
    this.isDirty = true;
    return true;
  }

  /** Acknowledges [start, end) whatever its state (records dropped or deleted by retention). */
  ackRange(start: number, end: number): number {
    const from = Math.max(start, this.ackFloor);
    if (end <= from) return 0;
    const added = this.acked.addRange(from, end);
    if (added === 0) return 0;
    if (this.counts.size > 0) {
      if (end - from < this.counts.size) {
        for (let offset = from; offset < end; offset++) this.counts.delete(offset);
      } else {
        for (const offset of this.counts.keys()) if (offset >= from && offset < end) this.counts.delete(offset);
      }
    }
    this.pendingRanges.addRange(from, end);
    this.isDirty = true;
    this.advanceFloor();
    return added;
  }

  /** The full persisted state (snapshot). */
  snapshot(): CursorState {
    const ranges: number[] = [];
    for (let i = 0; i < this.acked.rangeCount; i++) ranges.push(this.acked.startAt(i), this.acked.endAt(i));
    const counts: number[] = [];
    for (const [offset, count] of this.counts) if (count >= 2) counts.push(offset, count);
    return { ackFloor: this.ackFloor, deliveredMark: this.deliveredMark, ranges, counts };
  }

  /** The changes since the last call (for a group commit), or null when there are none. */
  takeDelta(): CursorState | null {
    if (!this.isDirty) return null;
    this.isDirty = false;
    const ranges: number[] = [];
    const pending = this.pendingRanges;
    for (let i = 0; i < pending.rangeCount; i++) ranges.push(pending.startAt(i), pending.endAt(i));
    const delta: CursorState = {
      ackFloor: this.ackFloor,
      deliveredMark: this.isMarkDirty ? this.deliveredMark : -1,
      ranges,
      counts: this.pendingCounts,
    };
    if (ranges.length === 0 && delta.deliveredMark < 0 && delta.counts.length === 0) return null;
    this.pendingRanges = new RangeSet();
    this.pendingCounts = [];
    this.isMarkDirty = false;
    return delta;
  }

  private advanceFloor(): void {
    const acked = this.acked;
    while (acked.rangeCount > 0 && acked.firstStart <= this.ackFloor) {
      if (acked.firstEnd > this.ackFloor) this.ackFloor = acked.firstEnd;
      acked.removeBelow(this.ackFloor);
    }
    if (this.deliveredMark < this.ackFloor) this.deliveredMark = this.ackFloor;
    assert.ok(acked.rangeCount === 0 || acked.firstStart > this.ackFloor, 'acked ranges start above the floor');
  }
}
