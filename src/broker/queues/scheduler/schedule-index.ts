import { join } from 'node:path';
import { toFerryError } from '../../../common/errors.ts';
import type { Logger } from '../../../common/logger.ts';
import type { FileSystem, StorageFile } from '../../../storage/types.ts';

/** (dueMs int64, offset int64) per entry of a bucket file. */
const ENTRY_BYTES = 16;
/** offset int64 per entry of a fired file. */
const FIRED_BYTES = 8;
/** Bucket files held open for appends (the recent ones). */
const MAX_OPEN_FILES = 8;
/** Delivered marks are synced in groups this often (see markFired). */
const FIRED_SYNC_MS = 100;
const INDEX_SUFFIX = '.idx';
const FIRED_SUFFIX = '.fired';
const CHECKPOINT_FILE = 'indexed-offset';
const DEDUPE_FILE = 'dedupe-from-offset';

/** What memory keeps of a bucket that is not loaded: counts and offsets, never its entries. */
export interface BucketInfo {
  startMs: number;
  /** Entries in the bucket file (duplicates included until the bucket is loaded). */
  entries: number;
  fired: number;
  minOffset: number;
  maxOffset: number;
  sizeBytes: number;
  firedBytes: number;
}

export interface LoadedBucket {
  /** In file order; fired and duplicate entries removed. */
  dues: Float64Array;
  offsets: Float64Array;
}

/**
 * The on-disk index of scheduled records (docs/queues.md): one file per time bucket
 * (`<bucketStartMs>.idx`, fixed 16-byte entries appended as records are scheduled) and its
 * `.fired` file (offsets delivered). Files are not synced per append: `__scheduled` is the
 * durable truth, and `indexed-offset` says up to where the synced bucket files cover it, so a
 * start re-indexes only the tail. A bucket is read only when the wheel reaches it.
 */
export class ScheduleIndex {
  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly bucketMs: number;
  private readonly logger: Logger;
  readonly buckets = new Map<number, BucketInfo>();
  private readonly open = new Map<string, StorageFile>();
  /** Operations in progress per file name: such a file is never evicted. */
  private readonly busy = new Map<string, number>();
  /** Entries for offsets in [dedupeFromOffset, dedupeToOffset) may be in a bucket file twice (see noteReindex). */
  private dedupeFromOffset = Number.POSITIVE_INFINITY;
  private dedupeToOffset = Number.NEGATIVE_INFINITY;
  /** Delivered marks not yet written, per bucket (see markFired). */
  private readonly firedPending = new Map<number, number[]>();
  private firedTimer: NodeJS.Timeout | null = null;
  private firedFlush: Promise<void> = Promise.resolve();
  /** Settles when every append issued so far to a bucket file has landed (read() waits on it). */
  private readonly writes = new Map<number, Promise<void>>();

  constructor(fs: FileSystem, dir: string, bucketMs: number, logger: Logger) {
    this.fs = fs;
    this.dir = dir;
    this.bucketMs = bucketMs;
    this.logger = logger;
  }

  bucketOf(dueMs: number): number {
    return Math.floor(dueMs / this.bucketMs) * this.bucketMs;
  }

  /** Reads what exists: bucket sizes and offset ranges (streamed, nothing kept per entry). */
  async load(): Promise<void> {
    await this.fs.mkdir(this.dir);
    const dedupePath = join(this.dir, DEDUPE_FILE);
    if (await this.fs.exists(dedupePath)) {
      const [from, to] = (await this.fs.readFile(dedupePath)).toString('utf8').trim().split(' ').map(Number);
      const isValid = Number.isSafeInteger(from) && Number.isSafeInteger(to);
      // Unreadable: dedupe everything (correct, only slower).
      this.dedupeFromOffset = isValid ? from! : 0;
      this.dedupeToOffset = isValid ? to! : Number.POSITIVE_INFINITY;
    }
    for (const name of await this.fs.readdir(this.dir)) {
      if (!name.endsWith(INDEX_SUFFIX)) continue;
      const startMs = Number(name.slice(0, -INDEX_SUFFIX.length));
      if (!Number.isSafeInteger(startMs)) continue;
      const data = await this.fs.readFile(join(this.dir, name));
      const entries = Math.floor(data.length / ENTRY_BYTES);
      let minOffset = Number.POSITIVE_INFINITY;
      let maxOffset = -1;
      for (let i = 0; i < entries; i++) {
        const offset = readNumber(data, i * ENTRY_BYTES + 8);
        if (offset < minOffset) minOffset = offset;
        if (offset > maxOffset) maxOffset = offset;
      }
      const firedPath = join(this.dir, `${startMs}${FIRED_SUFFIX}`);
      const firedBytes = (await this.fs.exists(firedPath)) ? (await this.fs.readFile(firedPath)).length : 0;
      this.buckets.set(startMs, {
        startMs,
        entries,
        fired: Math.floor(firedBytes / FIRED_BYTES),
        minOffset,
        maxOffset,
        sizeBytes: entries * ENTRY_BYTES, // a torn tail entry is overwritten by the next append
        firedBytes: Math.floor(firedBytes / FIRED_BYTES) * FIRED_BYTES,
      });
    }
  }

  /** Appends entries (any buckets). Resolves when written (not synced). */
  async append(dues: readonly number[], offsets: readonly number[]): Promise<void> {
    const byBucket = new Map<number, number[]>();
    for (let i = 0; i < dues.length; i++) {
      const bucket = this.bucketOf(dues[i]!);
      let list = byBucket.get(bucket);
      if (list === undefined) byBucket.set(bucket, (list = []));
      list.push(i);
    }
    const writes: Promise<void>[] = [];
    for (const [startMs, indexes] of byBucket) {
      const buf = Buffer.allocUnsafe(indexes.length * ENTRY_BYTES);
      const info = this.bucket(startMs);
      for (let j = 0; j < indexes.length; j++) {
        const i = indexes[j]!;
        writeNumber(buf, j * ENTRY_BYTES, dues[i]!);
        writeNumber(buf, j * ENTRY_BYTES + 8, offsets[i]!);
        if (offsets[i]! < info.minOffset) info.minOffset = offsets[i]!;
        if (offsets[i]! > info.maxOffset) info.maxOffset = offsets[i]!;
      }
      const position = info.sizeBytes;
      info.sizeBytes += buf.length;
      info.entries += indexes.length;
      const write = this.withFile(`${startMs}${INDEX_SUFFIX}`, (file) => file.write(buf, position));
      const previous = this.writes.get(startMs);
      const landed: Promise<void> = (previous === undefined ? write : Promise.allSettled([previous, write])).then(
        () => {},
        () => {},
      );
      this.writes.set(startMs, landed);
      void landed.then(() => {
        if (this.writes.get(startMs) === landed) this.writes.delete(startMs);
      });
      writes.push(write);
    }
    await Promise.all(writes);
  }

  /**
   * The bucket's live entries (delivered ones removed), in file order: the wheel sorts them into
   * ticks, so nothing is sorted here. Covers exactly the entries appended before the call (their
   * writes are awaited); later ones are the caller's to add. Duplicates only come from a re-index
   * after a crash, so only offsets at or above `dedupeFromOffset` go through a set.
   */
  async read(startMs: number): Promise<LoadedBucket> {
    const info = this.buckets.get(startMs);
    if (info === undefined) return { dues: new Float64Array(0), offsets: new Float64Array(0) };
    // Both taken before any await: the prefix holds every entry appended so far, and only those.
    const sizeBytes = info.sizeBytes;
    const firedBytes = info.firedBytes;
    await this.writes.get(startMs);
    const data = await this.readPrefix(`${startMs}${INDEX_SUFFIX}`, sizeBytes);
    const fired = new Set<number>();
    if (firedBytes > 0) {
      const firedData = await this.readPrefix(`${startMs}${FIRED_SUFFIX}`, firedBytes);
      for (let at = 0; at + FIRED_BYTES <= firedData.length; at += FIRED_BYTES) fired.add(readNumber(firedData, at));
    }
    const count = Math.floor(data.length / ENTRY_BYTES);
    const dues = new Float64Array(count);
    const offsets = new Float64Array(count);
    const dedupeFrom = this.dedupeFromOffset;
    const dedupeTo = this.dedupeToOffset;
    const seen = new Set<number>();
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const offset = readNumber(data, i * ENTRY_BYTES + 8);
      if (fired.size > 0 && fired.has(offset)) continue;
      if (offset >= dedupeFrom && offset < dedupeTo) {
        if (seen.has(offset)) continue;
        seen.add(offset);
      }
      dues[kept] = readNumber(data, i * ENTRY_BYTES);
      offsets[kept++] = offset;
    }
    return { dues: dues.subarray(0, kept), offsets: offsets.subarray(0, kept) };
  }

  /**
   * A re-index is about to append entries for `__scheduled` offsets in [fromOffset, toOffset),
   * some of which the bucket files may hold already: reads dedupe offsets in that range (kept as
   * one covering range across starts, persisted so that a later start still knows).
   */
  async noteReindex(fromOffset: number, toOffset: number): Promise<void> {
    const from = Math.min(fromOffset, this.dedupeFromOffset);
    const to = Math.max(toOffset, this.dedupeToOffset);
    if (from === this.dedupeFromOffset && to === this.dedupeToOffset) return;
    await this.fs.writeFileAtomic(join(this.dir, DEDUPE_FILE), Buffer.from(`${from} ${to}\n`));
    this.dedupeFromOffset = from;
    this.dedupeToOffset = to;
  }

  /**
   * Records entries as delivered. Marks are written and synced in groups, at most FIRED_SYNC_MS
   * after the delivery (one fsync per bucket file per group, not one per tick): a crash loses at
   * most that window's marks, and those records are delivered again (at least once).
   */
  markFired(startMs: number, offsets: readonly number[]): void {
    let pending = this.firedPending.get(startMs);
    if (pending === undefined) this.firedPending.set(startMs, (pending = []));
    for (const offset of offsets) pending.push(offset);
    this.firedTimer ??= setTimeout(() => {
      this.firedTimer = null;
      void this.flushFired();
    }, FIRED_SYNC_MS).unref();
  }

  /** Writes and syncs the pending delivered marks (also at close). */
  flushFired(): Promise<void> {
    const run = this.firedFlush.then(async () => {
      const pending = [...this.firedPending];
      this.firedPending.clear();
      await Promise.all(
        pending.map(async ([startMs, offsets]) => {
          const info = this.buckets.get(startMs);
          if (info === undefined) return; // dropped meanwhile: nothing left to mark
          const buf = Buffer.allocUnsafe(offsets.length * FIRED_BYTES);
          for (let i = 0; i < offsets.length; i++) writeNumber(buf, i * FIRED_BYTES, offsets[i]!);
          const position = info.firedBytes;
          info.firedBytes += buf.length;
          info.fired += offsets.length;
          try {
            await this.withFile(`${startMs}${FIRED_SUFFIX}`, async (file) => {
              await file.write(buf, position);
              await file.sync();
            });
          } catch (error) {
            this.logger.warn(
              { bucket: startMs, err: toFerryError(error).message },
              'could not record delivered scheduled records; a restart may deliver them again',
            );
          }
        }),
      );
    });
    this.firedFlush = run;
    return run;
  }

  /** Forgets a bucket whose entries have all been delivered. */
  async drop(startMs: number): Promise<void> {
    this.buckets.delete(startMs);
    this.firedPending.delete(startMs);
    for (const suffix of [INDEX_SUFFIX, FIRED_SUFFIX]) {
      const name = `${startMs}${suffix}`;
      const file = this.open.get(name);
      this.open.delete(name);
      await file?.close().catch(() => {});
      await this.fs.unlink(join(this.dir, name)).catch(() => {});
    }
  }

  /** fdatasync every open bucket file (before the checkpoint moves past what they hold). */
  async sync(): Promise<void> {
    for (const file of this.open.values()) await file.sync();
  }

  async readCheckpoint(): Promise<number | null> {
    const path = join(this.dir, CHECKPOINT_FILE);
    if (!(await this.fs.exists(path))) return null;
    const value = Number((await this.fs.readFile(path)).toString('utf8').trim());
    return Number.isSafeInteger(value) && value >= 0 ? value : null;
  }

  async writeCheckpoint(offset: number): Promise<void> {
    await this.fs.writeFileAtomic(join(this.dir, CHECKPOINT_FILE), Buffer.from(`${offset}\n`));
  }

  async close(): Promise<void> {
    if (this.firedTimer !== null) clearTimeout(this.firedTimer);
    this.firedTimer = null;
    await this.flushFired();
    for (const [name, file] of this.open) {
      try {
        await file.sync();
        await file.close();
      } catch (error) {
        this.logger.warn({ file: name, err: toFerryError(error).message }, 'could not close a schedule index file');
      }
    }
    this.open.clear();
  }

  private bucket(startMs: number): BucketInfo {
    let info = this.buckets.get(startMs);
    if (info === undefined) {
      info = { startMs, entries: 0, fired: 0, minOffset: Number.POSITIVE_INFINITY, maxOffset: -1, sizeBytes: 0, firedBytes: 0 };
      this.buckets.set(startMs, info);
    }
    return info;
  }

  private async withFile(name: string, run: (file: StorageFile) => Promise<void>): Promise<void> {
    this.busy.set(name, (this.busy.get(name) ?? 0) + 1);
    try {
      await run(await this.file(name));
    } finally {
      const left = this.busy.get(name)! - 1;
      if (left === 0) this.busy.delete(name);
      else this.busy.set(name, left);
    }
  }

  private async file(name: string): Promise<StorageFile> {
    let file = this.open.get(name);
    if (file !== undefined) {
      // Most recently used last: Map order is the LRU order.
      this.open.delete(name);
      this.open.set(name, file);
      return file;
    }
    file = await this.fs.open(join(this.dir, name), 'create');
    const existing = this.open.get(name);
    if (existing !== undefined) {
      await file.close();
      return existing;
    }
    this.open.set(name, file);
    if (this.open.size > MAX_OPEN_FILES) {
      for (const [oldestName, oldest] of [...this.open]) {
        if (this.open.size <= MAX_OPEN_FILES) break;
        if (this.busy.has(oldestName)) continue;
        this.open.delete(oldestName);
        await oldest.sync().catch(() => {});
        await oldest.close().catch(() => {});
      }
    }
    return file;
  }

  private async readPrefix(name: string, bytes: number): Promise<Buffer> {
    const path = join(this.dir, name);
    if (!(await this.fs.exists(path))) return Buffer.alloc(0);
    const data = await this.fs.readFile(path);
    return data.length > bytes ? data.subarray(0, bytes) : data;
  }
}

function readNumber(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

function writeNumber(buf: Buffer, at: number, value: number): void {
  const high = Math.floor(value / 0x1_0000_0000);
  buf.writeInt32BE(high, at);
  buf.writeUInt32BE(value - high * 0x1_0000_0000, at + 4);
}
