import { MinHeap } from './min-heap.ts';
import type { InFlight, PartitionCursor } from './partition-cursor.ts';

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
 * When records come back: redeliveries due at a time (after a nack, an expired deadline or a
 * closed consumer) and extended deadlines, each in a min-heap by time, plus the one interval timer
 * that checks them. Plain deadlines are not here: each consumer keeps them in delivery order.
 * The timer runs only while something is in flight or due (the owner stops it when idle).
 */
export class RedeliverySchedule {
  private readonly redeliveries = new MinHeap<Redelivery>();
  private readonly extended = new MinHeap<ExtendedEntry>();
  private readonly intervalMs: number;
  private readonly onTick: () => void;
  private timer: NodeJS.Timeout | null = null;
  private isStopped = false;

  constructor(intervalMs: number, onTick: () => void) {
    this.intervalMs = intervalMs;
    this.onTick = onTick;
  }

  /** Offsets waiting for their redelivery time. */
  get pendingCount(): number {
    return this.redeliveries.size;
  }

  get isIdle(): boolean {
    return this.redeliveries.size === 0 && this.extended.size === 0;
  }

  queue(cursor: PartitionCursor, offset: number, atMs: number): void {
    cursor.awaitingRedelivery++;
    this.redeliveries.push(atMs, { cursor, offset });
    this.ensureTimer();
  }

  extend(entry: InFlight, deadlineMs: number): void {
    this.extended.push(deadlineMs, { entry, deadlineMs });
  }

  hasDue(nowMs: number): boolean {
    return this.redeliveries.peekKey() <= nowMs;
  }

  /**
   * Takes up to `budget` due redeliveries off the heap, grouped by cursor; `isHeld` drops those
   * that need nothing any more (acknowledged or delivered again meanwhile).
   */
  takeDue(nowMs: number, budget: number, isHeld: (cursor: PartitionCursor, offset: number) => boolean): Map<PartitionCursor, number[]> {
    const byCursor = new Map<PartitionCursor, number[]>();
    while (budget > 0 && this.redeliveries.peekKey() <= nowMs) {
      const { cursor, offset } = this.redeliveries.pop()!;
      cursor.awaitingRedelivery--;
      if (cursor.isRemoved || isHeld(cursor, offset)) continue;
      let offsets = byCursor.get(cursor);
      if (offsets === undefined) byCursor.set(cursor, (offsets = []));
      offsets.push(offset);
      budget--;
    }
    return byCursor;
  }

  /** Calls `onExpired` for each extended deadline passed at `nowMs` that is still current. */
  expireExtended(nowMs: number, onExpired: (entry: InFlight) => void): void {
    while (this.extended.peekKey() <= nowMs) {
      const { entry, deadlineMs } = this.extended.pop()!;
      if (entry.isLive && entry.deadlineMs === deadlineMs) onExpired(entry);
    }
  }

  ensureTimer(): void {
    if (this.timer !== null || this.isStopped) return;
    this.timer = setInterval(this.onTick, this.intervalMs).unref();
  }

  /** Stops the timer until the next `ensureTimer` (nothing left to watch). */
  pauseTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Stops for good (the subscription closed). */
  stop(): void {
    this.isStopped = true;
    this.pauseTimer();
  }
}
