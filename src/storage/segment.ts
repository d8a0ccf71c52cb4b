import assert from 'node:assert/strict';
import path from 'node:path';
import type { Logger } from '../common/logger.ts';
import { BATCH_HEADER_BYTES, BatchField, readInt64 } from '../common/record-batch-header.ts';
import { type ScanResult, scanBatches } from './batch-scanner.ts';
import type { DirSync } from './dir-sync.ts';
import type { FilePool, PooledFile } from './file-pool.ts';
import { INDEX_SUFFIX, LOG_SUFFIX, segmentFileName, TIME_INDEX_SUFFIX } from './file-names.ts';
import type { IndexCache, IndexHolder } from './index-cache.ts';
import { MAX_INDEX_BYTES, OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from './offset-index.ts';
import type { ReadBufferPool } from './read-buffers.ts';
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.ts';
import type { FileSystem } from './types.ts';

/** Shared by every segment of a data directory. */
export interface SegmentEnv {
  readonly fs: FileSystem;
  readonly pool: FilePool;
  readonly logger: Logger;
  readonly indexCache: IndexCache;
  readonly buffers: ReadBufferPool;
}

/** Header-only scans read this much at a time: a few index intervals of small batches. */
const HEADER_SCAN_CHUNK_BYTES = 64 * 1024;
/** Recovery reads whole batches for their CRC: bigger sequential reads. */
export const RECOVERY_SCAN_CHUNK_BYTES = 1024 * 1024;

/** The owning log's settings that segments read live (updateConfig changes them in place). */
export interface SegmentSettings {
  readonly indexIntervalBytes: number;
}

export interface SegmentIndexes {
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
}

/**
 * One segment: a `.log` file of batches starting at `baseOffset`, its sparse `.index` and
 * `.timeindex`. The active (last) segment keeps its indexes in memory and writes them out when it
 * rolls or the log closes; a closed segment's indexes are loaded on demand (and sanity-checked,
 * rebuilt from the log if they fail) and may be unloaded by the index cache.
 */
export class LogSegment implements IndexHolder {
  readonly baseOffset: number;
  readonly log: PooledFile;
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  private readonly env: SegmentEnv;
  private readonly dirSync: DirSync;
  private readonly settings: SegmentSettings;
  private indexes: SegmentIndexes | null = null;
  private loading: Promise<SegmentIndexes> | null = null;
  private indexFile: PooledFile | null = null;
  private timeIndexFile: PooledFile | null = null;
  hasIndexFile: boolean;
  hasTimeIndexFile: boolean;
  /** Committed bytes: what reads may see. */
  sizeBytes: number;
  /** One past the last offset held (the base offset when empty). For a closed segment that was
   *  never scanned, the next segment's base offset. */
  nextOffset: number;
  /** Largest batch max timestamp, -1 if none or not known yet (closed, indexes not loaded). */
  maxTimestamp = -1;
  offsetOfMaxTimestamp: number;
  /** When this segment started receiving data, for segment.ms; -1 while empty. */
  rollBaseMs = -1;
  private bytesSinceIndexEntry = 0;
  /** The scan of the last rebuild by loadIndexes: a caller about to scan the same bytes uses it. */
  private rebuildScan: ScanResult | null = null;
  isActive: boolean;

  private constructor(
    env: SegmentEnv,
    dirSync: DirSync,
    settings: SegmentSettings,
    baseOffset: number,
    log: PooledFile,
    sizeBytes: number,
    isActive: boolean,
  ) {
    this.env = env;
    this.dirSync = dirSync;
    this.settings = settings;
    this.baseOffset = baseOffset;
    this.log = log;
    this.logPath = log.path;
    this.indexPath = path.join(dirSync.path, segmentFileName(baseOffset, INDEX_SUFFIX));
    this.timeIndexPath = path.join(dirSync.path, segmentFileName(baseOffset, TIME_INDEX_SUFFIX));
    this.sizeBytes = sizeBytes;
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestamp = baseOffset;
    this.isActive = isActive;
    this.hasIndexFile = false;
    this.hasTimeIndexFile = false;
  }

  /** Creates an empty active segment (the `.log` file now; index files when first persisted). */
  static async create(env: SegmentEnv, dirSync: DirSync, settings: SegmentSettings, baseOffset: number): Promise<LogSegment> {
    const log = env.pool.file(path.join(dirSync.path, segmentFileName(baseOffset, LOG_SUFFIX)), 'create');
    if ((await log.size()) > 0) {
      // Left over from a segment this log no longer has: the new one starts empty.
      env.logger.warn({ file: log.path }, 'a new segment found bytes under its name: cutting them');
      await log.truncate(0);
    }
    dirSync.markChanged();
    const segment = new LogSegment(env, dirSync, settings, baseOffset, log, 0, true);
    segment.indexes = { offsetIndex: new OffsetIndex(baseOffset), timeIndex: new TimeIndex(baseOffset) };
    return segment;
  }

  /** A segment found on disk; its size is read now, its indexes when first needed. */
  static async open(
    env: SegmentEnv,
    dirSync: DirSync,
    settings: SegmentSettings,
    baseOffset: number,
    files: { index: boolean; timeIndex: boolean },
  ): Promise<LogSegment> {
    const log = env.pool.file(path.join(dirSync.path, segmentFileName(baseOffset, LOG_SUFFIX)), 'readWrite');
    const segment = new LogSegment(env, dirSync, settings, baseOffset, log, await log.size(), false);
    segment.hasIndexFile = files.index;
    segment.hasTimeIndexFile = files.timeIndex;
    return segment;
  }

  get isEmpty(): boolean {
    return this.sizeBytes === 0;
  }

  get areIndexesLoaded(): boolean {
    return this.indexes !== null;
  }

  /** The active segment's indexes (always in memory). */
  get activeIndexes(): SegmentIndexes {
    assert.ok(this.indexes !== null, 'active segment indexes must be loaded');
    return this.indexes;
  }

  get isIndexFull(): boolean {
    const indexes = this.indexes;
    return indexes !== null && (indexes.offsetIndex.isFull || indexes.timeIndex.isFull);
  }

  // -- indexes --------------------------------------------------------------------------------

  /** Loads (or rebuilds) the indexes; concurrent callers share one load. */
  loadIndexes(): Promise<SegmentIndexes> {
    const indexes = this.indexes;
    if (indexes !== null) {
      if (!this.isActive) this.env.indexCache.touch(this, this.indexMemoryBytes(indexes));
      return Promise.resolve(indexes);
    }
    if (this.loading === null) {
      const loading = this.readIndexes();
      this.loading = loading;
      void loading.then(
        () => (this.loading = null),
        () => (this.loading = null),
      );
    }
    return this.loading;
  }

  private indexMemoryBytes(indexes: SegmentIndexes): number {
    return indexes.offsetIndex.memoryBytes + indexes.timeIndex.memoryBytes;
  }

  /**
   * Whether this closed segment's index files are there and check out. They are written only
   * after the segment's log was synced, so this is the proof recovery needs that the segment
   * reached the disk whole (then damage in it is corruption, not an interrupted write).
   */
  async hasTrustedIndexFiles(): Promise<boolean> {
    if (!this.hasIndexFile || !this.hasTimeIndexFile) return false;
    return (await this.readIndexFiles()).indexes !== null;
  }

  private async readIndexes(): Promise<SegmentIndexes> {
    let { indexes, problem, file } = await this.readIndexFiles();
    if (indexes === null) {
      const result = await this.rebuildIndexes(false);
      if (result.stop !== 'end') throw new SegmentCorruptError(this, result);
      this.rebuildScan = result;
      indexes = this.indexes!;
      // An active segment too small for an entry has no index files (close skips empty ones):
      // nothing was lost then, and nothing is worth a warning.
      const isExpectedEmpty = problem === 'missing' && indexes.offsetIndex.entryCount === 0 && indexes.timeIndex.entryCount === 0;
      if (isExpectedEmpty) {
        this.env.logger.debug({ file, reason: problem }, 'no index file for a segment without index entries');
      } else {
        this.env.logger.warn({ file, reason: problem }, 'index file missing or failed its sanity check: rebuilt it from the log');
        // A closed segment's rebuilt indexes are trusted from now on (and by the next clean
        // start): on disk before anyone relies on them, or a power cut could leave zeros there.
        await this.persistIndexes(!this.isActive);
      }
    } else {
      this.indexes = indexes;
      if (!this.isActive) this.maxTimestampFromIndex(indexes.timeIndex);
    }
    if (!this.isActive) this.env.indexCache.touch(this, this.indexMemoryBytes(indexes));
    return indexes;
  }

  private async readIndexFiles(): Promise<{ indexes: SegmentIndexes | null; problem: string | null; file: string }> {
    const offsetData = this.hasIndexFile ? await this.readIndexFile(this.indexPath, OFFSET_INDEX_ENTRY_BYTES) : 'missing';
    const timeData = this.hasTimeIndexFile ? await this.readIndexFile(this.timeIndexPath, TIME_INDEX_ENTRY_BYTES) : 'missing';
    let problem: string | null = null;
    let file = this.indexPath;
    let indexes: SegmentIndexes | null = null;
    if (typeof offsetData === 'string') problem = offsetData;
    else if (typeof timeData === 'string') {
      problem = timeData;
      file = this.timeIndexPath;
    } else {
      const offsetIndex = new OffsetIndex(this.baseOffset, offsetData);
      const timeIndex = new TimeIndex(this.baseOffset, timeData);
      const endOffset = this.isActive ? Number.MAX_SAFE_INTEGER : this.nextOffset;
      problem = offsetIndex.sanityCheck(this.sizeBytes, endOffset) ?? (await this.checkLastOffsetEntry(offsetIndex));
      if (problem === null) {
        problem = timeIndex.sanityCheck(endOffset) ?? (await this.checkLastTimeEntry(offsetIndex, timeIndex));
        if (problem !== null) file = this.timeIndexPath;
      }
      if (problem === null) indexes = { offsetIndex, timeIndex };
    }
    return { indexes, problem, file };
  }

  /**
   * Entries can be well-ordered and still wrong: a file whose size survived a power cut but not
   * its data reads as zeros. So the last entries are checked against the log itself: the offset
   * index's last position must hold the batch it names, and the time index's last offset must
   * hold a batch with that max timestamp (else retention would read a 1970 timestamp).
   */
  private async checkLastOffsetEntry(offsetIndex: OffsetIndex): Promise<string | null> {
    if (offsetIndex.entryCount === 0) return null;
    const position = offsetIndex.lastPosition;
    const expected = offsetIndex.offsetAt(offsetIndex.entryCount - 1);
    const header = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
    const bytesRead = await this.log.readFully(header, 0, BATCH_HEADER_BYTES, position);
    if (bytesRead < BATCH_HEADER_BYTES) return `last entry points at position ${position}, past the last batch`;
    const found = readInt64(header, BatchField.baseOffset);
    return found === expected ? null : `last entry names offset ${expected} but the batch at position ${position} starts at ${found}`;
  }

  private async checkLastTimeEntry(offsetIndex: OffsetIndex, timeIndex: TimeIndex): Promise<string | null> {
    if (timeIndex.entryCount === 0) return null;
    const offset = timeIndex.offsetAt(timeIndex.entryCount - 1);
    const timestamp = timeIndex.lastTimestamp;
    let found = Number.NaN;
    await scanBatches(
      this.log,
      {
        from: offsetIndex.lookup(offset),
        to: this.sizeBytes,
        minOffset: this.baseOffset,
        verifyCrc: false,
        chunkBytes: HEADER_SCAN_CHUNK_BYTES,
      },
      (batch) => {
        if (batch.baseOffset < offset) return true;
        if (batch.baseOffset === offset) found = batch.maxTimestamp;
        return false;
      },
    );
    return found === timestamp ? null : `last entry says offset ${offset} has timestamp ${timestamp}, the log says ${found}`;
  }

  private maxTimestampFromIndex(timeIndex: TimeIndex): void {
    if (timeIndex.entryCount === 0) return;
    this.maxTimestamp = timeIndex.lastTimestamp;
    this.offsetOfMaxTimestamp = timeIndex.offsetAt(timeIndex.entryCount - 1);
  }

  private async readIndexFile(filePath: string, entryBytes: number): Promise<Buffer | string> {
    const file = this.indexFileHandle(filePath);
    let sizeBytes: number;
    try {
      sizeBytes = await file.size();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw error;
    }
    if (sizeBytes % entryBytes !== 0) return `size ${sizeBytes} is not a multiple of ${entryBytes}`;
    if (sizeBytes > MAX_INDEX_BYTES) return `size ${sizeBytes} is above the index limit`;
    const data = Buffer.allocUnsafe(sizeBytes);
    const bytesRead = await file.readFully(data, 0, sizeBytes, 0);
    if (bytesRead !== sizeBytes) return `short read: ${bytesRead} of ${sizeBytes} bytes`;
    return data;
  }

  private indexFileHandle(filePath: string): PooledFile {
    if (filePath === this.indexPath) {
      this.indexFile ??= this.env.pool.file(filePath, this.hasIndexFile ? 'readWrite' : 'create');
      return this.indexFile;
    }
    this.timeIndexFile ??= this.env.pool.file(filePath, this.hasTimeIndexFile ? 'readWrite' : 'create');
    return this.timeIndexFile;
  }

  /** Called by the index cache: drops the closed segment's indexes (files stay). */
  unloadIndexes(): void {
    const indexes = this.indexes;
    if (indexes === null || this.isActive || indexes.offsetIndex.isDirty || indexes.timeIndex.isDirty) return;
    this.indexes = null;
  }

  /**
   * Rebuilds both indexes by scanning the log from the start, with CRC checks when `verifyCrc`.
   * State (size aside) reflects the good batches; the caller decides what a bad stop means.
   */
  async rebuildIndexes(verifyCrc: boolean): Promise<ScanResult> {
    const offsetIndex = new OffsetIndex(this.baseOffset);
    const timeIndex = new TimeIndex(this.baseOffset);
    offsetIndex.isDirty = true;
    timeIndex.isDirty = true;
    this.indexes = { offsetIndex, timeIndex };
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = this.baseOffset;
    this.bytesSinceIndexEntry = 0;
    const result = await scanBatches(
      this.log,
      {
        from: 0,
        to: this.sizeBytes,
        minOffset: this.baseOffset,
        verifyCrc,
        chunkBytes: verifyCrc ? RECOVERY_SCAN_CHUNK_BYTES : HEADER_SCAN_CHUNK_BYTES,
      },
      (batch) => {
        if (this.rollBaseMs < 0 && batch.maxTimestamp >= 0) this.rollBaseMs = batch.maxTimestamp;
        this.recordBatch(batch.baseOffset, batch.lastOffset, batch.maxTimestamp, batch.position, batch.sizeBytes);
        return true;
      },
    );
    if (result.stop === 'end' || result.stop === 'stopped') this.nextOffset = result.nextOffset;
    if (!this.isActive) timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    return result;
  }

  /**
   * On a clean start of the active segment: indexes from their files, then a header scan from
   * the last index entry to the end for the offsets and timestamps after it.
   */
  async loadActiveTail(): Promise<ScanResult> {
    this.isActive = true;
    this.env.indexCache.remove(this);
    this.rebuildScan = null;
    const { offsetIndex, timeIndex } = await this.loadIndexes();
    if (this.rebuildScan !== null) {
      // Rebuilt from the log just now: that scan saw every batch already.
      this.bytesSinceIndexEntry = this.sizeBytes - offsetIndex.lastPosition;
      return this.rebuildScan;
    }
    this.maxTimestampFromIndex(timeIndex);
    const result = await this.scanTail(offsetIndex);
    if (result.stop !== 'end') return result;
    // Only now is the end offset known: entries past it mean the files lie.
    const problem = offsetIndex.sanityCheck(this.sizeBytes, this.nextOffset) ?? timeIndex.sanityCheck(this.nextOffset);
    if (problem === null) return result;
    this.env.logger.warn({ file: this.indexPath, reason: problem }, 'index file failed its sanity check: rebuilding it from the log');
    return this.rebuildIndexes(false);
  }

  private async scanTail(offsetIndex: OffsetIndex): Promise<ScanResult> {
    const from = offsetIndex.lastPosition;
    const minOffset = offsetIndex.entryCount === 0 ? this.baseOffset : offsetIndex.offsetAt(offsetIndex.entryCount - 1);
    const result = await scanBatches(
      this.log,
      { from, to: this.sizeBytes, minOffset, verifyCrc: false, chunkBytes: HEADER_SCAN_CHUNK_BYTES },
      (batch) => {
        if (batch.maxTimestamp > this.maxTimestamp) {
          this.maxTimestamp = batch.maxTimestamp;
          this.offsetOfMaxTimestamp = batch.baseOffset;
        }
        return true;
      },
    );
    this.nextOffset = result.nextOffset;
    this.bytesSinceIndexEntry = this.sizeBytes - from;
    return result;
  }

  /** Reads the first batch's max timestamp (segment.ms counts from it after a restart). */
  async readFirstTimestamp(): Promise<number> {
    if (this.sizeBytes < BATCH_HEADER_BYTES) return -1;
    const header = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
    const bytesRead = await this.log.readFully(header, 0, BATCH_HEADER_BYTES, 0);
    return bytesRead === BATCH_HEADER_BYTES ? readInt64(header, BatchField.maxTimestamp) : -1;
  }

  /** Index bookkeeping for a batch just written at `position` (Kafka's cadence: an entry once
   *  more than indexIntervalBytes were written since the last one). */
  recordBatch(baseOffset: number, lastOffset: number, maxTimestamp: number, position: number, sizeBytes: number): void {
    const indexes = this.indexes!;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = baseOffset;
    }
    if (this.bytesSinceIndexEntry > this.settings.indexIntervalBytes && !indexes.offsetIndex.isFull) {
      indexes.offsetIndex.append(baseOffset, position);
      indexes.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += sizeBytes;
    this.nextOffset = lastOffset + 1;
  }

  /** The segment stops being the active one: the time index gets its final (largest) entry. */
  finishAsClosed(): void {
    const indexes = this.activeIndexes;
    indexes.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    this.isActive = false;
  }

  /** A closed segment becomes the active one again (truncation removed those after it). */
  async reopenAsActive(): Promise<void> {
    await this.loadIndexes();
    this.isActive = true;
    this.env.indexCache.remove(this);
  }

  /** Writes index files that changed, trimmed to their entries. */
  async persistIndexes(shouldSync: boolean): Promise<void> {
    const indexes = this.indexes;
    if (indexes === null) return;
    for (const [index, filePath] of [
      [indexes.offsetIndex, this.indexPath],
      [indexes.timeIndex, this.timeIndexPath],
    ] as const) {
      const hadFile = filePath === this.indexPath ? this.hasIndexFile : this.hasTimeIndexFile;
      if (hadFile ? !index.isDirty : index.entryCount === 0) continue;
      const file = this.indexFileHandle(filePath);
      const data = index.encode();
      await file.write(data, 0);
      await file.truncate(data.length);
      if (shouldSync) await file.sync();
      index.isDirty = false;
      if (!hadFile) {
        this.dirSync.markChanged();
        if (filePath === this.indexPath) this.hasIndexFile = true;
        else this.hasTimeIndexFile = true;
      }
    }
  }

  // -- lookups ----------------------------------------------------------------------------------

  /** The batch holding `offset`, or the first after it: its position and base offset; null if
   *  none below the committed end. */
  async findBatch(offset: number): Promise<{ position: number; baseOffset: number } | null> {
    const { offsetIndex } = await this.loadIndexes();
    let found: { position: number; baseOffset: number } | null = null;
    const result = await scanBatches(
      this.log,
      {
        from: offsetIndex.lookup(offset),
        to: this.sizeBytes,
        minOffset: this.baseOffset,
        verifyCrc: false,
        chunkBytes: HEADER_SCAN_CHUNK_BYTES,
      },
      (batch) => {
        if (batch.lastOffset < offset) return true;
        found = { position: batch.position, baseOffset: batch.baseOffset };
        return false;
      },
    );
    if (found === null && result.stop !== 'end') throw new SegmentCorruptError(this, result);
    return found;
  }

  /** The first batch whose max timestamp is at or above `timestampMs`, or null. */
  async findTimestamp(timestampMs: number): Promise<{ baseOffset: number; maxTimestamp: number } | null> {
    const { offsetIndex, timeIndex } = await this.loadIndexes();
    const startOffset = timeIndex.offsetBefore(timestampMs);
    const from = startOffset < 0 ? 0 : offsetIndex.lookup(startOffset);
    let found: { baseOffset: number; maxTimestamp: number } | null = null;
    const result = await scanBatches(
      this.log,
      { from, to: this.sizeBytes, minOffset: this.baseOffset, verifyCrc: false, chunkBytes: HEADER_SCAN_CHUNK_BYTES },
      (batch) => {
        if (batch.maxTimestamp < timestampMs) return true;
        found = { baseOffset: batch.baseOffset, maxTimestamp: batch.maxTimestamp };
        return false;
      },
    );
    if (found === null && result.stop !== 'end') throw new SegmentCorruptError(this, result);
    return found;
  }

  /** Largest timestamp in the segment (loads a closed segment's time index), -1 if none. */
  async largestTimestamp(): Promise<number> {
    if (this.isActive) return this.maxTimestamp;
    await this.loadIndexes();
    return this.maxTimestamp;
  }

  // -- changes ----------------------------------------------------------------------------------

  /** Cuts the log at `position` (a batch boundary) holding offsets below `nextOffset`. */
  async truncateTo(position: number, nextOffset: number): Promise<void> {
    assert.ok(position >= 0 && position <= this.sizeBytes, 'truncation inside the committed size');
    const indexes = await this.loadIndexes();
    await this.log.truncate(position);
    this.sizeBytes = position;
    indexes.offsetIndex.truncateToPosition(position);
    indexes.timeIndex.truncateToOffset(nextOffset);
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = this.baseOffset;
    this.maxTimestampFromIndex(indexes.timeIndex);
    const result = await this.scanTail(indexes.offsetIndex);
    if (result.stop !== 'end') throw new SegmentCorruptError(this, result);
    assert.equal(this.nextOffset, nextOffset, 'truncation must land on a batch boundary');
    if (position === 0) this.rollBaseMs = -1;
  }

  async close(): Promise<void> {
    await this.log.close();
    await this.indexFile?.close();
    await this.timeIndexFile?.close();
    this.env.indexCache.remove(this);
  }

  /** Closes and unlinks the segment's files (missing ones are fine). */
  async deleteFiles(): Promise<void> {
    await this.close();
    for (const filePath of [this.logPath, this.indexPath, this.timeIndexPath]) {
      try {
        await this.env.fs.unlink(filePath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    this.dirSync.markChanged();
  }
}

/** A segment's bytes are not a well-formed run of batches where they must be. */
export class SegmentCorruptError extends Error {
  readonly segment: LogSegment;
  readonly scan: ScanResult;

  constructor(segment: LogSegment, scan: ScanResult) {
    super(`corrupt segment ${segment.logPath} at position ${scan.position}: ${scan.reason}`);
    this.name = 'SegmentCorruptError';
    this.segment = segment;
    this.scan = scan;
  }
}
