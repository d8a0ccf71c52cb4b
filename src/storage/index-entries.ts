import assert from 'node:assert/strict';

/** Capacity of the first allocation. */
const INITIAL_ENTRIES = 16;
const EMPTY = Buffer.alloc(0);

/**
 * The growable in-memory array of fixed-size entries behind the offset and time indexes. The
 * files hold exactly these bytes (big-endian, Kafka's layout); `encode` is what gets written.
 * No memory until the first entry (a segment gets one only after indexIntervalBytes of log),
 * then capacity doubles from a small start, so 10,000 quiet partitions cost little memory. The
 * memory is the index's own (allocUnsafeSlow): a 128-byte slice of Node's shared 64 KiB
 * allocation pool would keep the whole pool chunk alive as long as the segment lives.
 */
export class IndexEntries {
  readonly entryBytes: number;
  readonly maxEntries: number;
  protected buf: Buffer;
  protected count = 0;
  /** Entries in memory differ from the file (appended or truncated since the last persist). */
  isDirty = false;

  constructor(entryBytes: number, maxEntries: number, data?: Buffer) {
    assert.ok(maxEntries >= 1);
    this.entryBytes = entryBytes;
    this.maxEntries = maxEntries;
    const entries = data === undefined ? 0 : Math.floor(data.length / entryBytes);
    this.buf = entries === 0 ? EMPTY : Buffer.allocUnsafeSlow(entries * entryBytes);
    if (data !== undefined && entries > 0) {
      data.copy(this.buf, 0, 0, entries * entryBytes);
      this.count = entries;
    }
  }

  get entryCount(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  /** Bytes of memory held, for the index cache's budget. */
  get memoryBytes(): number {
    return this.buf.length;
  }

  /** Room for one more entry; returns the byte position to write it at. */
  protected reserveEntry(): number {
    assert.ok(this.count < this.maxEntries, 'index is full');
    const at = this.count * this.entryBytes;
    if (at + this.entryBytes > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.min(this.maxEntries, Math.max(INITIAL_ENTRIES, this.count * 2)) * this.entryBytes);
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.count++;
    this.isDirty = true;
    return at;
  }

  protected truncateToCount(count: number): void {
    if (count >= this.count) return;
    this.count = count;
    this.isDirty = true;
  }

  /** The file's contents: a view, valid until the next append. */
  encode(): Buffer {
    return this.buf.subarray(0, this.count * this.entryBytes);
  }

  /** Largest i in [0, count) with keyAt(this, i) <= key (or < key when strict), -1 if none. The key
   *  readers are module functions, not per-instance arrows: 3 closures per partition add up. */
  protected floorEntry<T extends IndexEntries>(this: T, key: number, keyAt: (index: T, i: number) => number, strict: boolean): number {
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = keyAt(this, mid);
      if (strict ? at < key : at <= key) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }
}
