/**
 * Group commit: appends written to the page cache wait here for an fdatasync. While one sync
 * runs, everything written meanwhile waits for the next, which then covers all of it at once:
 * with 64 appenders, one sync acknowledges dozens of appends.
 *
 * An item is added only after its write completed, so the sync started next covers it.
 */
export class GroupCommit<T> {
  private waiting: T[] = [];
  private spare: T[] = [];
  private flushWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private inFlight: Promise<void> | null = null;
  private idleWaiters: (() => void)[] = [];
  /** Syncs run so far (a test counts them to see coalescing). */
  syncCount = 0;
  private readonly syncFn: () => Promise<void>;
  private readonly settle: (items: T[], error: unknown) => void;

  /** `settle` gets the items a sync covered, and its error (undefined on success). */
  constructor(syncFn: () => Promise<void>, settle: (items: T[], error: unknown) => void) {
    this.syncFn = syncFn;
    this.settle = settle;
  }

  get isIdle(): boolean {
    return this.inFlight === null && this.waiting.length === 0 && this.flushWaiters.length === 0;
  }

  add(item: T): void {
    this.waiting.push(item);
    if (this.inFlight === null) this.start();
  }

  /** Resolves after a sync that started after this call: everything written before is durable. */
  flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.flushWaiters.push({ resolve, reject });
      if (this.inFlight === null) this.start();
    });
  }

  /** Resolves once no sync runs and nothing waits. */
  whenIdle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private start(): void {
    const items = this.waiting;
    this.waiting = this.spare;
    const flushWaiters = this.flushWaiters;
    this.flushWaiters = [];
    this.syncCount++;
    this.inFlight = this.run(items, flushWaiters);
  }

  private async run(items: T[], flushWaiters: { resolve: () => void; reject: (error: unknown) => void }[]): Promise<void> {
    let failure: unknown;
    try {
      await this.syncFn();
    } catch (error) {
      failure = error ?? new Error('sync failed');
    }
    if (items.length > 0) this.settle(items, failure);
    items.length = 0;
    this.spare = items;
    for (const waiter of flushWaiters) {
      if (failure === undefined) waiter.resolve();
      else waiter.reject(failure);
    }
    this.inFlight = null;
    if (this.waiting.length > 0 || this.flushWaiters.length > 0) {
      this.start();
    } else if (this.idleWaiters.length > 0) {
      const idleWaiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of idleWaiters) resolve();
    }
  }
}
