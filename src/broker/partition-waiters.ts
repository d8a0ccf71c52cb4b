/** A parked request that wants to hear about appends to a partition. */
export interface AppendWaiter {
  /** `sizeBytes` were appended and are now readable (below the high watermark); Infinity when
   *  the partition goes away or the broker closes (wake up and look again). */
  onAppend(sizeBytes: number): void;
}

/**
 * The long-poll fetches parked on one partition. An append notifies each of them once, with no
 * timer or promise per partition: the fetch owns the one timer of its request and removes
 * itself from every partition it watches when it completes, times out or is aborted. The number
 * of parked fetches is bounded by the broker (`maxParkedFetches`).
 */
export class PartitionWaiters {
  private readonly waiters = new Set<AppendWaiter>();

  get size(): number {
    return this.waiters.size;
  }

  add(waiter: AppendWaiter): void {
    this.waiters.add(waiter);
  }

  delete(waiter: AppendWaiter): void {
    this.waiters.delete(waiter);
  }

  notify(sizeBytes: number): void {
    if (this.waiters.size === 0) return;
    // A waiter that wakes removes itself; Set iteration tolerates deleting visited entries.
    for (const waiter of this.waiters) waiter.onAppend(sizeBytes);
  }

  wakeAll(): void {
    this.notify(Number.POSITIVE_INFINITY);
  }
}
