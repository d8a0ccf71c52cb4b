/** Something whose indexes can be dropped from memory and loaded again from its files. */
export interface IndexHolder {
  unloadIndexes(): void;
}

/**
 * Bounds the memory held by the indexes of closed segments across all logs: least recently used
 * ones are unloaded (their files stay; the next lookup reloads them). Active segments' indexes
 * are not counted: they are bounded by segmentBytes / indexIntervalBytes per log.
 */
export class IndexCache {
  readonly maxBytes: number;
  private totalBytes = 0;
  private readonly entries = new Map<IndexHolder, number>();

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Records a use (most recent last); adds it with `bytes` if new. */
  touch(holder: IndexHolder, bytes: number): void {
    const previous = this.entries.get(holder);
    if (previous !== undefined) {
      this.entries.delete(holder);
      this.totalBytes -= previous;
    }
    this.entries.set(holder, bytes);
    this.totalBytes += bytes;
    for (const [oldest, oldestBytes] of this.entries) {
      if (this.totalBytes <= this.maxBytes || oldest === holder) break;
      this.entries.delete(oldest);
      this.totalBytes -= oldestBytes;
      oldest.unloadIndexes();
    }
  }

  remove(holder: IndexHolder): void {
    const bytes = this.entries.get(holder);
    if (bytes === undefined) return;
    this.entries.delete(holder);
    this.totalBytes -= bytes;
  }
}
