/**
 * A binary min-heap ordered by a numeric key (a due time). Used for redeliveries waiting out
 * their backoff and for extended ack deadlines: both bounded by the records in flight.
 */
export class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** Smallest key, or +Infinity when empty. */
  peekKey(): number {
    return this.keys.length === 0 ? Number.POSITIVE_INFINITY : this.keys[0]!;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(key: number, item: T): void {
    const keys = this.keys;
    const items = this.items;
    let i = keys.length;
    keys.push(key);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    keys[i] = key;
    items[i] = item;
  }

  pop(): T | undefined {
    const keys = this.keys;
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const lastKey = keys.pop()!;
    const lastItem = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && keys[right]! < keys[left]! ? right : left;
        if (keys[child]! >= lastKey) break;
        keys[i] = keys[child]!;
        items[i] = items[child]!;
        i = child;
      }
      keys[i] = lastKey;
      items[i] = lastItem;
    }
    return top;
  }

  /** Removes every item for which `drop` is true (rebuilds: O(n), for rare cleanups). */
  removeWhere(drop: (item: T) => boolean): number {
    const keptKeys: number[] = [];
    const keptItems: T[] = [];
    for (let i = 0; i < this.items.length; i++) {
      if (drop(this.items[i]!)) continue;
      keptKeys.push(this.keys[i]!);
      keptItems.push(this.items[i]!);
    }
    const removed = this.items.length - keptItems.length;
    this.keys.length = 0;
    this.items.length = 0;
    for (let i = 0; i < keptItems.length; i++) this.push(keptKeys[i]!, keptItems[i]!);
    return removed;
  }

  *values(): IterableIterator<T> {
    yield* this.items;
  }
}
