import assert from 'node:assert/strict';
import { BATCH_HEADER_BYTES, batchBaseOffset, batchLastOffset, batchSizeBytes } from '../common/record-batch-header.ts';

/** Defaults of the two bounds (storage.tailCacheMaxBytesPerPartition / storage.tailCacheMaxBytes). */
export const DEFAULT_TAIL_CACHE_MAX_BYTES_PER_PARTITION = 1024 * 1024;
/** Small on purpose: a consumer at the tail needs the last few appends, and 1,000 topics with
 *  light traffic and no consumer should not keep their recent appends alive (broker RSS). */
export const DEFAULT_TAIL_CACHE_MAX_BYTES = 8 * 1024 * 1024;
/** A read answered from several entries is copied into one buffer of at most this size; past it
 *  the read ends with the entries it has (at least the first, as a view). */
export const TAIL_CACHE_COPY_MAX_BYTES = 64 * 1024;
/** Counted per entry besides its buffer: the entry object, its slot, the buffer's bookkeeping. */
export const TAIL_CACHE_ENTRY_OVERHEAD_BYTES = 128;

/** Evicted entries are removed from the front of the array in bulk, not one `shift` each. */
const COMPACT_AFTER_ENTRIES = 256;
const EMPTY = Buffer.alloc(0);

export interface TailCacheLimits {
  /** Bytes of recent appends kept per partition; older ones are dropped first. 0 turns the cache off. */
  maxBytesPerPartition: number;
  /** Bytes kept across every partition; beyond it the partitions appended to least recently lose theirs. */
  maxBytes: number;
}

interface Entry {
  /** Base offset of the first batch and one past the last offset of the last. */
  baseOffset: number;
  nextOffset: number;
  /** Base offset of the segment the bytes were written to: a read never crosses segments, as a
   *  file read does not. */
  segmentBase: number;
  data: Buffer;
  /** What keeping `data` costs: the whole buffer behind it (a view of a socket chunk keeps the
   *  chunk alive) and the entry's own overhead. Entries sharing a chunk each count it, so the
   *  bounds can only be undercut. */
  costBytes: number;
}

/**
 * The memory budget shared by every partition's tail cache, and the order in which partitions
 * were last appended to (a Set keeps insertion order: the first one is the coldest).
 */
export class TailCachePool {
  readonly maxBytesPerPartition: number;
  readonly maxBytes: number;
  private totalBytes = 0;
  /** Reads answered from memory (tests and benchmarks check the cache is used). */
  hitCount = 0;
  private readonly byRecency = new Set<TailCache>();
  private newest: TailCache | null = null;

  constructor(limits?: Partial<TailCacheLimits>) {
    this.maxBytesPerPartition = limits?.maxBytesPerPartition ?? DEFAULT_TAIL_CACHE_MAX_BYTES_PER_PARTITION;
    this.maxBytes = limits?.maxBytes ?? DEFAULT_TAIL_CACHE_MAX_BYTES;
    assert.ok(Number.isSafeInteger(this.maxBytesPerPartition) && this.maxBytesPerPartition >= 0, 'tail cache bytes per partition');
    assert.ok(Number.isSafeInteger(this.maxBytes) && this.maxBytes >= 0, 'tail cache bytes');
  }

  get sizeBytes(): number {
    return this.totalBytes;
  }

  /** A cache for one partition (empty until its first append). */
  create(): TailCache {
    return new TailCache(this);
  }

  /** @internal */
  grew(cache: TailCache, bytes: number): void {
    this.totalBytes += bytes;
    if (this.newest !== cache) {
      this.byRecency.delete(cache);
      this.byRecency.add(cache);
      this.newest = cache;
    }
    // Cold partitions go first, whole; the one being appended to only loses its oldest entries.
    while (this.totalBytes > this.maxBytes) {
      const coldest = this.byRecency.values().next().value!;
      if (coldest === cache) {
        cache.dropOldest();
      } else {
        coldest.clear();
      }
    }
  }

  /** @internal */
  shrank(cache: TailCache, bytes: number, isEmpty: boolean): void {
    this.totalBytes -= bytes;
    if (!isEmpty) return;
    this.byRecency.delete(cache);
    if (this.newest === cache) this.newest = null;
  }
}

/**
 * The most recently appended batches of one partition, kept in memory so that a consumer at the
 * tail is answered without a positional read on the thread pool (a hop, and a wait behind the
 * fdatasyncs sharing that pool). It holds a contiguous run of offsets ending at the last append
 * it was given; reads outside it miss and go to the file. What a read returns is exactly what
 * the file read returns (the same stored bytes, whole batches, the same limits), so callers
 * cannot tell the two apart.
 *
 * The log feeds it when an append is acknowledged (so the bytes are committed, and durable per
 * the flush policy) and clears it when the log is cut at its end. Reads still stop at the
 * caller's maxOffset (the high watermark), as file reads do. A read not bounded by the high
 * watermark may stop earlier than the file read would: at the last acknowledged append, where
 * written-but-unsynced bytes (flush always) begin. Whole batches either way.
 */
export class TailCache {
  private readonly pool: TailCachePool;
  private entries: Entry[] = [];
  private head = 0;
  private bytes = 0;

  constructor(pool: TailCachePool) {
    this.pool = pool;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** First offset held (Infinity when empty). */
  get firstOffset(): number {
    return this.head < this.entries.length ? this.entries[this.head]!.baseOffset : Number.POSITIVE_INFINITY;
  }

  /** One past the last offset held (-1 when empty). */
  get nextOffset(): number {
    return this.head < this.entries.length ? this.entries[this.entries.length - 1]!.nextOffset : -1;
  }

  /**
   * Remembers appended batches (`data` as stored: offsets stamped) that follow the cached run; a
   * gap (or a single append costing more than the per-partition bound) starts the run afresh.
   * The log owns `data` once appended (the writer stamps it in place), so it is kept without a
   * copy: copying every appended byte would cost throughput for reads a pread serves anyway.
   */
  add(data: Buffer, baseOffset: number, nextOffset: number, segmentBase: number): void {
    const limit = Math.min(this.pool.maxBytesPerPartition, this.pool.maxBytes);
    if (limit === 0) return;
    if (this.head < this.entries.length && baseOffset !== this.nextOffset) this.clear();
    const costBytes = Math.max(data.length, data.buffer.byteLength) + TAIL_CACHE_ENTRY_OVERHEAD_BYTES;
    if (costBytes > limit || data.length === 0) {
      this.clear();
      return;
    }
    this.entries.push({ baseOffset, nextOffset, segmentBase, data, costBytes });
    this.bytes += costBytes;
    while (this.bytes > limit) this.dropOldest();
    this.pool.grew(this, costBytes);
  }

  /**
   * Whole batches from the one holding `offset` up to `maxBytes` (at least one), none starting
   * at or above `maxOffset`, within one segment; null when the cache does not hold `offset`.
   */
  read(offset: number, maxBytes: number, maxOffset: number): Buffer | null {
    const entries = this.entries;
    if (this.head >= entries.length || offset < entries[this.head]!.baseOffset || offset >= this.nextOffset) return null;
    this.pool.hitCount++;
    let index = this.find(offset);
    const first = entries[index]!;
    let at = 0;
    while (batchLastOffset(first.data, at) < offset) at += batchSizeBytes(first.data, at);
    if (batchBaseOffset(first.data, at) >= maxOffset) return EMPTY;
    const start = at;
    let total = batchSizeBytes(first.data, at);
    at += total;
    // Extend within the first entry: the common case, answered with a view and no copy.
    for (;;) {
      if (at + BATCH_HEADER_BYTES > first.data.length) break;
      const sizeBytes = batchSizeBytes(first.data, at);
      if (total + sizeBytes > maxBytes || batchBaseOffset(first.data, at) >= maxOffset) {
        return first.data.subarray(start, at);
      }
      total += sizeBytes;
      at += sizeBytes;
    }
    const parts: Buffer[] = [first.data.subarray(start)];
    // Then whole entries, then batches of the next one, copied into one buffer, but only while the
    // copy stays small: many small appends are worth one answer, while big ones are cheaper to
    // hand out a view at a time (a consumer asks again) than to copy into a fresh buffer, which
    // V8 counts as external memory and pays back with major GCs (and it is copied once per
    // consumer group reading it).
    const copyLimit = Math.min(maxBytes, TAIL_CACHE_COPY_MAX_BYTES);
    for (index++; index < entries.length; index++) {
      const entry = entries[index]!;
      if (entry.segmentBase !== first.segmentBase) break;
      // Whole entry when it fits (an entry ending at or below maxOffset has no batch above it).
      if (total + entry.data.length <= copyLimit && entry.nextOffset <= maxOffset) {
        parts.push(entry.data);
        total += entry.data.length;
        continue;
      }
      let end = 0;
      while (end + BATCH_HEADER_BYTES <= entry.data.length) {
        const sizeBytes = batchSizeBytes(entry.data, end);
        if (total + sizeBytes > copyLimit || batchBaseOffset(entry.data, end) >= maxOffset) break;
        total += sizeBytes;
        end += sizeBytes;
      }
      if (end > 0) parts.push(entry.data.subarray(0, end));
      break;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  }

  /** Forgets everything (the log was cut, closed, or went offline; or the pool needs the room). */
  clear(): void {
    if (this.head >= this.entries.length) return;
    const bytes = this.bytes;
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
    this.pool.shrank(this, bytes, true);
  }

  /** Forgets the entries wholly below `offset` (records deleted from the log's start). */
  dropBelow(offset: number): void {
    while (this.head < this.entries.length && this.entries[this.head]!.nextOffset <= offset) this.dropOldest();
  }

  /** @internal Drops the oldest entry. */
  dropOldest(): void {
    const entry = this.entries[this.head]!;
    this.entries[this.head] = undefined as unknown as Entry;
    this.head++;
    this.bytes -= entry.costBytes;
    if (this.head >= this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER_ENTRIES && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    this.pool.shrank(this, entry.costBytes, this.head >= this.entries.length);
  }

  /** Index of the entry holding `offset` (known to be in range): tailing reads hit the last few. */
  private find(offset: number): number {
    const entries = this.entries;
    let low = this.head;
    let high = entries.length - 1;
    if (entries[high]!.baseOffset <= offset) return high;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (entries[mid]!.baseOffset <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}
