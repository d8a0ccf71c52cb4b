import assert from 'node:assert/strict';

/**
 * The growable in-memory array of fixed-size entries behind the offset and time indexes. The
 * files hold exactly these bytes (big-endian, Kafka's layout); `encode` is what gets written.
 * Capacity doubles from a small start so 10,000 quiet partitions cost little memory.
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
    this.buf = Buffer.allocUnsafe(Math.max(16, entries) * entryBytes);
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
      const grown = Buffer.allocUnsafe(Math.min(this.maxEntries, this.count * 2) * this.entryBytes);
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

  /** Largest i in [0, count) with keyAt(i) <= key (or < key when strict), -1 if none. */
  protected floorEntry(key: number, keyAt: (i: number) => number, strict: boolean): number {
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = keyAt(mid);
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
