import assert from 'node:assert/strict';
import path from 'node:path';
import { ErrorCode, FerryError, toFerryError } from '../common/errors.ts';
import {
  BatchField,
  batchSizeBytes,
  patchBaseOffset,
  patchLogAppendTime,
  patchPartitionLeaderEpoch,
  readInt64,
} from '../common/record-batch-header.ts';
import { type AppendShape, checkAppend } from './append-validation.ts';
import { writeCheckpoint } from './checkpoint-file.ts';
import { Deque } from './deque.ts';
import type { DirSync } from './dir-sync.ts';
import { LEADER_EPOCH_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT } from './file-names.ts';
import { GroupCommit } from './group-commit.ts';
import type { LeaderEpochCache } from './leader-epoch-cache.ts';
import { resolveLogConfig } from './log-config.ts';
import { decideRetention } from './retention.ts';
import { LogSegment, SegmentCorruptError, type SegmentEnv } from './segment.ts';
import { readSegmentBatches } from './segment-reader.ts';
import type {
  AppendOptions,
  AppendResult,
  EpochEndOffset,
  LogConfig,
  PartitionLog,
  ReadOptions,
  ReadResult,
  TimestampOffset,
} from './types.ts';

interface PendingAppend extends AppendShape {
  kind: 'append';
  batches: Buffer;
  leaderEpoch: number;
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

interface PendingTask {
  kind: 'task';
  run: () => Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

type QueueItem = PendingAppend | PendingTask;

/** Appends queued while a write is in flight go out in one write, up to these bounds. */
const MAX_WRITE_GROUP_BYTES = 8 * 1024 * 1024;
const MAX_WRITE_GROUP_APPENDS = 1024;
/** Remembered (offset -> position) pairs where reads ended: the next sequential read starts
 *  there without an index lookup. A few slots serve a few consumers of one partition. */
const READ_CACHE_SLOTS = 4;
/** A read retries when retention or truncation changed the segment list under it. */
const MAX_READ_ATTEMPTS = 4;
const MAX_INT32 = 0x7fff_ffff;
/** A stored batch claiming more than this (or maxBatchBytes, if larger) is corrupt: a read never
 *  allocates what a damaged length field says. Above any sane max.message.bytes change. */
const MIN_READ_BATCH_LIMIT_BYTES = 64 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

export interface PartitionLogEnv extends SegmentEnv {
  readonly now: () => number;
  /** The data directory: a new log dir's name becomes durable with its first sync. */
  readonly dataDirSync: DirSync;
}

/** What loading a log dir (recovery.ts) hands to the log. */
export interface LoadedLog {
  /** The object the segments read live settings from; the log keeps it current. */
  settings: { indexIntervalBytes: number };
  /** Ascending; the last one is the active segment, its indexes loaded. */
  segments: LogSegment[];
  logStartOffset: number;
  epochCache: LeaderEpochCache;
  /** Offsets below this are known to be on disk. */
  recoveryPoint: number;
  /** Set when a closed segment is corrupt: the log opens offline. */
  offline?: { reason: string; details: Record<string, unknown> };
}

/**
 * One partition's log: an ordered list of segments, the last one active.
 *
 * Appends are validated synchronously, queued, and applied by a single writer in call order:
 * it takes every queued append (up to a bound), assigns offsets by patching headers, writes them
 * with one positional write, updates the indexes, and then acknowledges according to the flush
 * policy (for `always`, through group commit). Truncation, retention and other changes to the
 * segment list run as tasks in the same queue. Reads never wait for the writer: they see
 * committed bytes only, and retry if the segment list changed under them.
 */
export class FerryPartitionLog implements PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  private cfg: LogConfig;
  private readonly settings: { indexIntervalBytes: number };
  private readonly env: PartitionLogEnv;
  private readonly dirSync: DirSync;
  private segments: LogSegment[];
  private startOffset: number;
  private endOffset: number;
  private hw: number;
  private recoveryPointOffset: number;
  private readonly epochs: LeaderEpochCache;
  private offlineError: FerryError | null = null;
  private isClosing = false;
  private closing: Promise<void> | null = null;
  private hasCleanClose = false;
  /** Bumped when the log is cut at its end: bytes a read saw may have been rewritten since, so
   *  an in-flight read runs again. */
  private truncationVersion = 0;
  /** Bumped when old segments are deleted: what a read got is still right (it happened before),
   *  but a read that failed because its file went away runs again (and then finds the new
   *  log start offset). */
  private deletionVersion = 0;
  private readonly queue = new Deque<QueueItem>();
  private isWriting = false;
  private readonly group: PendingAppend[] = [];
  private readonly groupBuffers: Buffer[] = [];
  private readonly groupCommit: GroupCommit<PendingAppend>;
  private flushTimer: NodeJS.Timeout | null = null;
  /** Bytes were written since the last sync started: close has something to flush. */
  private hasUnsyncedWrites = false;
  private readonly cacheSegments: (LogSegment | null)[] = new Array<LogSegment | null>(READ_CACHE_SLOTS).fill(null);
  private readonly cacheOffsets: number[] = new Array<number>(READ_CACHE_SLOTS).fill(-1);
  private readonly cachePositions: number[] = new Array<number>(READ_CACHE_SLOTS).fill(0);
  private cacheNext = 0;

  constructor(env: PartitionLogEnv, topic: string, partition: number, dirSync: DirSync, config: LogConfig, loaded: LoadedLog) {
    assert.ok(loaded.segments.length > 0, 'a log has at least its active segment');
    const active = loaded.segments.at(-1)!;
    assert.ok(loaded.offline !== undefined || (active.isActive && active.areIndexesLoaded), 'the active segment has its indexes loaded');
    this.env = env;
    this.topic = topic;
    this.partition = partition;
    this.dir = dirSync.path;
    this.dirSync = dirSync;
    this.cfg = config;
    this.settings = loaded.settings;
    this.settings.indexIntervalBytes = config.indexIntervalBytes;
    this.segments = loaded.segments;
    this.endOffset = active.nextOffset;
    this.startOffset = Math.min(Math.max(loaded.logStartOffset, loaded.segments[0]!.baseOffset), this.endOffset);
    this.hw = this.endOffset;
    this.recoveryPointOffset = Math.min(loaded.recoveryPoint, this.endOffset);
    this.epochs = loaded.epochCache;
    this.groupCommit = new GroupCommit<PendingAppend>(this.syncActiveSegment, this.settleSynced);
    if (loaded.offline !== undefined) this.goOffline(loaded.offline.reason, loaded.offline.details);
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.endOffset;
  }

  get highWatermark(): number {
    return this.hw;
  }

  get isOffline(): boolean {
    return this.offlineError !== null;
  }

  get config(): LogConfig {
    return this.cfg;
  }

  /** Offsets below this are on disk (what the recovery-point checkpoint records). */
  get recoveryPoint(): number {
    return this.recoveryPointOffset;
  }

  /** Closed after flushing everything: the data dir may be marked clean. */
  get wasClosedCleanly(): boolean {
    return this.hasCleanClose;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** How many fdatasyncs group commit ran (tests check coalescing with it). */
  get groupCommitSyncCount(): number {
    return this.groupCommit.syncCount;
  }

  private get activeSegment(): LogSegment {
    return this.segments.at(-1)!;
  }

  // -- state checks ---------------------------------------------------------------------------

  private unusableError(): FerryError | null {
    if (this.offlineError !== null) return this.offlineError;
    if (this.isClosing) {
      return new FerryError(ErrorCode.LOG_CLOSED, `log ${this.topic}-${this.partition} is closed`, {
        topic: this.topic,
        partition: this.partition,
      });
    }
    return null;
  }

  private throwIfUnusable(): void {
    const error = this.unusableError();
    if (error !== null) throw error;
  }

  /** Takes the partition offline: one error line, every call from now on throws. */
  goOffline(reason: string, details: Record<string, unknown>): void {
    if (this.offlineError !== null) return;
    this.offlineError = new FerryError(ErrorCode.PARTITION_OFFLINE, `partition ${this.topic}-${this.partition} is offline: ${reason}`, {
      topic: this.topic,
      partition: this.partition,
      ...details,
    });
    this.env.logger.error({ topic: this.topic, partition: this.partition, reason, ...details }, 'partition taken offline');
    this.clearFlushTimer();
  }

  // -- append ---------------------------------------------------------------------------------

  append(batches: Buffer, options?: AppendOptions): Promise<AppendResult> {
    const unusable = this.unusableError();
    if (unusable !== null) return Promise.reject(unusable);
    const leaderEpoch = options?.leaderEpoch ?? -1;
    if (!Number.isSafeInteger(leaderEpoch) || leaderEpoch < -1 || leaderEpoch > MAX_INT32) {
      return Promise.reject(new FerryError(ErrorCode.INVALID_REQUEST, `leader epoch ${leaderEpoch} is invalid`, { leaderEpoch }));
    }
    return new Promise<AppendResult>((resolve, reject) => {
      const item: PendingAppend = {
        kind: 'append',
        batches,
        leaderEpoch,
        batchCount: 0,
        offsetCount: 0,
        sizeBytes: 0,
        baseOffset: -1,
        lastOffset: -1,
        logAppendTimeMs: -1,
        resolve,
        reject,
      };
      // Throws (and so rejects) before anything is queued: nothing of a bad append is written.
      checkAppend(batches, this.cfg.maxBatchBytes, item);
      this.queue.push(item);
      this.kickWriter();
    });
  }

  private enqueueTask(run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'task', run, resolve, reject });
      this.kickWriter();
    });
  }

  private kickWriter(): void {
    if (this.isWriting) return;
    this.isWriting = true;
    void this.drainQueue();
  }

  private async drainQueue(): Promise<void> {
    try {
      for (;;) {
        const item = this.queue.peek();
        if (item === undefined) break;
        if (item.kind === 'task') {
          this.queue.shift();
          try {
            await item.run();
            item.resolve();
          } catch (error) {
            item.reject(error);
          }
        } else if (this.offlineError !== null) {
          this.queue.shift();
          item.reject(this.offlineError);
        } else {
          try {
            await this.writeNextGroup(item);
          } catch (error) {
            // A broken invariant: nothing this log holds in memory can be trusted any more.
            this.goOffline('internal error in the writer', { err: error });
          }
        }
      }
    } finally {
      this.isWriting = false;
    }
  }

  private async writeNextGroup(first: PendingAppend): Promise<void> {
    const nowMs = this.env.now();
    let segment = this.activeSegment;
    try {
      if (first.leaderEpoch > this.epochs.latestEpoch()) await this.recordEpoch(first.leaderEpoch, this.endOffset);
      if (this.shouldRoll(segment, 0, this.endOffset, first, nowMs)) segment = await this.roll();
    } catch (error) {
      this.queue.shift();
      first.reject(this.offlineError ?? toFerryError(error, ErrorCode.STORAGE_ERROR));
      return;
    }
    const group = this.group;
    const buffers = this.groupBuffers;
    const position = segment.sizeBytes;
    let bytes = 0;
    let nextOffset = this.endOffset;
    for (;;) {
      const item = this.queue.peek();
      if (item === undefined || item.kind !== 'append') break;
      if (group.length > 0) {
        if (group.length >= MAX_WRITE_GROUP_APPENDS || bytes + item.sizeBytes > MAX_WRITE_GROUP_BYTES) break;
        if (item.leaderEpoch > this.epochs.latestEpoch() || this.shouldRoll(segment, bytes, nextOffset, item, nowMs)) break;
      }
      this.queue.shift();
      this.stampBatches(item, nextOffset, nowMs);
      nextOffset = item.lastOffset + 1;
      bytes += item.sizeBytes;
      group.push(item);
      buffers.push(item.batches);
    }
    try {
      await segment.log.write(group.length === 1 ? group[0]!.batches : Buffer.concat(buffers, bytes), position);
    } catch (error) {
      const failure = toFerryError(error, ErrorCode.STORAGE_ERROR);
      for (const item of group) item.reject(failure);
      group.length = 0;
      buffers.length = 0;
      await this.undoPartialWrite(segment, position);
      return;
    }
    try {
      let at = position;
      for (const item of group) at = this.indexBatches(segment, item, at);
      assert.equal(at, position + bytes, 'indexed bytes match written bytes');
      assert.ok(nextOffset > this.endOffset, 'the log end offset only grows on append');
      segment.sizeBytes = at;
      if (segment.rollBaseMs < 0) segment.rollBaseMs = nowMs;
      this.endOffset = nextOffset;
      this.hasUnsyncedWrites = true;
      this.settleWritten(group);
    } catch (error) {
      this.goOffline('internal error after a write', { file: segment.logPath, err: error });
      for (const item of group) item.reject(this.offlineError);
    } finally {
      group.length = 0;
      buffers.length = 0;
    }
  }

  private shouldRoll(segment: LogSegment, pendingBytes: number, nextOffset: number, item: PendingAppend, nowMs: number): boolean {
    const sizeBytes = segment.sizeBytes + pendingBytes;
    if (sizeBytes === 0) return false;
    if (sizeBytes + item.sizeBytes > this.cfg.segmentBytes) return true;
    // Index entries hold offsets relative to the segment's base as int32.
    if (nextOffset + item.offsetCount - 1 - segment.baseOffset > MAX_INT32) return true;
    if (segment.isIndexFull) return true;
    return segment.rollBaseMs >= 0 && nowMs - segment.rollBaseMs >= this.cfg.segmentMs;
  }

  /** Assigns offsets (and the epoch, and LogAppendTime) by patching each batch header. */
  private stampBatches(item: PendingAppend, baseOffset: number, nowMs: number): void {
    const batches = item.batches;
    const epoch = item.leaderEpoch;
    const isLogAppendTime = this.cfg.timestampType === 'LogAppendTime';
    let at = 0;
    let offset = baseOffset;
    while (at < batches.length) {
      patchBaseOffset(batches, at, offset);
      if (epoch >= 0) patchPartitionLeaderEpoch(batches, at, epoch);
      if (isLogAppendTime) patchLogAppendTime(batches, at, nowMs);
      offset += batches.readInt32BE(at + BatchField.lastOffsetDelta) + 1;
      at += batchSizeBytes(batches, at);
    }
    item.baseOffset = baseOffset;
    item.lastOffset = offset - 1;
    item.logAppendTimeMs = nowMs;
  }

  private indexBatches(segment: LogSegment, item: PendingAppend, position: number): number {
    const batches = item.batches;
    let at = 0;
    while (at < batches.length) {
      const sizeBytes = batchSizeBytes(batches, at);
      const baseOffset = readInt64(batches, at + BatchField.baseOffset);
      const lastOffset = baseOffset + batches.readInt32BE(at + BatchField.lastOffsetDelta);
      segment.recordBatch(baseOffset, lastOffset, readInt64(batches, at + BatchField.maxTimestamp), position + at, sizeBytes);
      at += sizeBytes;
    }
    return position + at;
  }

  private settleWritten(group: PendingAppend[]): void {
    switch (this.cfg.flush.kind) {
      case 'always':
        for (const item of group) this.groupCommit.add(item);
        break;
      case 'interval':
        for (const item of group) resolveAppend(item);
        this.scheduleIntervalFlush();
        break;
      case 'none':
        for (const item of group) resolveAppend(item);
        break;
    }
  }

  private async undoPartialWrite(segment: LogSegment, position: number): Promise<void> {
    try {
      await segment.log.truncate(position);
    } catch (error) {
      // Reads stop at the committed size and the next write overwrites from there; recovery
      // would drop any leftover tail. Worth a line, not the partition.
      this.env.logger.warn({ file: segment.logPath, position, err: error }, 'could not cut the tail of a failed write');
    }
  }

  /** Sync of the active segment for group commit, interval flushes, rolls and close. */
  private readonly syncActiveSegment = async (): Promise<void> => {
    // After a failed fsync a later one can succeed without the lost pages: never ack on it.
    if (this.offlineError !== null) throw this.offlineError;
    const upTo = this.endOffset;
    const segment = this.activeSegment;
    this.hasUnsyncedWrites = false;
    try {
      // Names first: once the file's sync completes, its bytes must be reachable after a crash.
      if (this.env.dataDirSync.isDirty) await this.env.dataDirSync.sync();
      if (this.dirSync.isDirty) await this.dirSync.sync();
      await segment.log.sync();
    } catch (error) {
      // After a failed fsync the kernel may have dropped the dirty pages ("fsyncgate"): what the
      // page cache shows can no longer be trusted to be on disk. Stop serving this partition.
      this.goOffline('sync failed', { file: segment.logPath, err: error });
      throw error;
    }
    if (upTo > this.recoveryPointOffset) this.recoveryPointOffset = upTo;
  };

  private readonly settleSynced = (items: PendingAppend[], error: unknown): void => {
    if (error === undefined) {
      for (const item of items) resolveAppend(item);
      return;
    }
    const failure = this.offlineError ?? toFerryError(error, ErrorCode.STORAGE_ERROR);
    for (const item of items) item.reject(failure);
  };

  private scheduleIntervalFlush(): void {
    const flush = this.cfg.flush;
    if (this.flushTimer !== null || flush.kind !== 'interval') return;
    this.flushTimer = setTimeout(this.onFlushTimer, flush.intervalMs);
    this.flushTimer.unref();
  }

  private readonly onFlushTimer = (): void => {
    this.flushTimer = null;
    if (this.offlineError !== null) return;
    this.groupCommit.flush().catch(() => {});
  };

  private clearFlushTimer(): void {
    if (this.flushTimer === null) return;
    clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  /**
   * Closes the active segment and starts a new one at the log end offset. The closed segment is
   * synced first (whatever the flush policy): a torn write can then only ever be in the last
   * segment, so damage anywhere else is corruption, not a crash.
   */
  private async roll(): Promise<LogSegment> {
    const old = this.activeSegment;
    await this.groupCommit.flush();
    const next = await LogSegment.create(this.env, this.dirSync, this.settings, this.endOffset);
    old.finishAsClosed();
    this.segments.push(next);
    try {
      await old.persistIndexes(true);
    } catch (error) {
      this.env.logger.warn({ file: old.indexPath, err: error }, 'writing a closed segment index failed: it will be rebuilt when needed');
    }
    await old.loadIndexes(); // enters the index cache
    this.env.logger.debug({ topic: this.topic, partition: this.partition, baseOffset: next.baseOffset }, 'rolled a new segment');
    return next;
  }

  // -- reads ----------------------------------------------------------------------------------

  async read(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult> {
    this.throwIfUnusable();
    const maxOffset = options?.maxOffset ?? Number.POSITIVE_INFINITY;
    const data = await this.withLayoutRetry(() => {
      if (!Number.isSafeInteger(offset) || offset < this.startOffset || offset > this.endOffset) {
        throw new FerryError(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          `offset ${offset} is outside ${this.topic}-${this.partition}'s range [${this.startOffset}, ${this.endOffset}]`,
          { topic: this.topic, partition: this.partition, offset, logStartOffset: this.startOffset, logEndOffset: this.endOffset },
        );
      }
      if (offset === this.endOffset || offset >= maxOffset) return Promise.resolve(EMPTY);
      return this.readSegments(offset, maxBytes, maxOffset);
    });
    return { data, logStartOffset: this.startOffset, logEndOffset: this.endOffset, highWatermark: this.hw };
  }

  private async readSegments(offset: number, maxBytes: number, maxOffset: number): Promise<Buffer> {
    const segments = this.segments;
    for (let i = floorSegment(segments, offset); i < segments.length; i++) {
      const segment = segments[i]!;
      let startPosition = this.cachedPosition(segment, offset);
      let slackBytes = 0;
      if (startPosition < 0) {
        const { offsetIndex } = await segment.loadIndexes();
        startPosition = offsetIndex.lookup(offset);
        slackBytes = this.cfg.indexIntervalBytes;
      }
      let result: Awaited<ReturnType<typeof readSegmentBatches>>;
      try {
        result = await readSegmentBatches(segment.log, this.env.buffers, {
          startPosition,
          endPosition: segment.sizeBytes,
          offset,
          maxBytes,
          maxOffset,
          slackBytes,
          maxBatchBytes: Math.max(this.cfg.maxBatchBytes, MIN_READ_BATCH_LIMIT_BYTES),
        });
      } catch (error) {
        if (!(error instanceof FerryError) || error.code !== ErrorCode.CORRUPT_MESSAGE) throw error;
        const position = Number(error.details?.position ?? 0);
        throw new SegmentCorruptError(segment, { stop: 'corrupt', position, nextOffset: offset, reason: error.message });
      }
      if (result !== null) {
        this.rememberPosition(segment, result.nextOffset, result.endPosition);
        return result.data;
      }
      const next = segments[i + 1];
      if (next === undefined) {
        // Below the log end offset, yet no segment holds it: a closed segment lost its tail.
        const reason = `offset ${offset} is below the log end offset ${this.endOffset} but no segment holds it`;
        throw new SegmentCorruptError(segment, { stop: 'corrupt', position: segment.sizeBytes, nextOffset: offset, reason });
      }
      if (next.baseOffset >= maxOffset) break;
    }
    return EMPTY;
  }

  private cachedPosition(segment: LogSegment, offset: number): number {
    for (let i = 0; i < READ_CACHE_SLOTS; i++) {
      if (this.cacheOffsets[i] === offset && this.cacheSegments[i] === segment) return this.cachePositions[i]!;
    }
    return -1;
  }

  private rememberPosition(segment: LogSegment, offset: number, position: number): void {
    for (let i = 0; i < READ_CACHE_SLOTS; i++) if (this.cacheOffsets[i] === offset && this.cacheSegments[i] === segment) return;
    const slot = this.cacheNext;
    this.cacheNext = (slot + 1) % READ_CACHE_SLOTS;
    this.cacheSegments[slot] = segment;
    this.cacheOffsets[slot] = offset;
    this.cachePositions[slot] = position;
  }

  private layoutChanged(kind: 'truncation' | 'deletion'): void {
    if (kind === 'truncation') this.truncationVersion++;
    else this.deletionVersion++;
    this.cacheSegments.fill(null);
    this.cacheOffsets.fill(-1);
  }

  /** Runs a read; runs it again if the log was cut under it, or if it failed because segments
   *  were deleted under it. */
  private async withLayoutRetry<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const truncations = this.truncationVersion;
      const deletions = this.deletionVersion;
      try {
        const value = await run();
        if (truncations === this.truncationVersion) return value;
      } catch (error) {
        const isLayoutChanged = truncations !== this.truncationVersion || deletions !== this.deletionVersion;
        // Damage seen while the log changed under the read may be the change: look again first.
        if (error instanceof SegmentCorruptError && !isLayoutChanged) {
          this.goOffline('corrupt segment', { file: error.segment.logPath, position: error.scan.position, reason: error.scan.reason });
          throw this.offlineError;
        }
        if (!isLayoutChanged || attempt >= MAX_READ_ATTEMPTS) throw toFerryError(error, ErrorCode.STORAGE_ERROR);
      }
      this.throwIfUnusable();
      if (attempt >= MAX_READ_ATTEMPTS) {
        throw new FerryError(ErrorCode.STORAGE_ERROR, `log ${this.topic}-${this.partition} kept changing during a read`);
      }
    }
  }

  async offsetForTimestamp(timestampMs: number): Promise<TimestampOffset | null> {
    this.throwIfUnusable();
    return this.withLayoutRetry(async () => {
      const segments = this.segments;
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i]!;
        const nextBase = segments[i + 1]?.baseOffset ?? Number.POSITIVE_INFINITY;
        if (nextBase <= this.startOffset) continue;
        if ((await segment.largestTimestamp()) < timestampMs) continue;
        const found = await segment.findTimestamp(timestampMs);
        if (found !== null) return { offset: Math.max(found.baseOffset, this.startOffset), timestamp: found.maxTimestamp };
      }
      return null;
    });
  }

  setHighWatermark(offset: number): void {
    this.throwIfUnusable();
    if (!Number.isSafeInteger(offset)) throw new FerryError(ErrorCode.INVALID_REQUEST, `high watermark ${offset} is not an offset`);
    this.hw = Math.min(Math.max(offset, this.startOffset), this.endOffset);
  }

  // -- truncation, deletion, epochs -----------------------------------------------------------

  truncateTo(offset: number): Promise<void> {
    const unusable = this.unusableError();
    if (unusable !== null) return Promise.reject(unusable);
    if (!Number.isSafeInteger(offset) || offset < 0) {
      return Promise.reject(new FerryError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot truncate to offset ${offset}`, { offset }));
    }
    return this.enqueueTask(async () => {
      this.throwIfUnusable();
      if (offset >= this.endOffset) return;
      await this.groupCommit.whenIdle();
      this.layoutChanged('truncation');
      if (offset < this.startOffset) {
        await this.truncateFullyAndStartAt(offset);
        return;
      }
      const keep = floorSegment(this.segments, offset);
      const removed = this.segments.slice(keep + 1);
      this.segments = this.segments.slice(0, keep + 1);
      // Newest first: if a crash keeps only some of the unlinks, the log still has no hole.
      for (let i = removed.length - 1; i >= 0; i--) await removed[i]!.deleteFiles();
      const segment = this.activeSegment;
      if (!segment.isActive) await segment.reopenAsActive();
      const found = await segment.findBatch(offset);
      if (found !== null) await segment.truncateTo(found.position, found.baseOffset);
      this.endOffset = segment.nextOffset;
      this.hw = Math.min(this.hw, this.endOffset);
      this.recoveryPointOffset = Math.min(this.recoveryPointOffset, this.endOffset);
      if (this.epochs.truncateFromEnd(this.endOffset)) await this.writeEpochCheckpoint();
      if (this.cfg.flush.kind !== 'none') {
        await segment.log.sync();
        await this.dirSync.sync();
      }
      this.env.logger.info({ topic: this.topic, partition: this.partition, offset, logEndOffset: this.endOffset }, 'log truncated');
    });
  }

  /** Everything goes; the log restarts empty at `offset` (a follower far behind a leader). */
  private async truncateFullyAndStartAt(offset: number): Promise<void> {
    const removed = this.segments;
    const fresh = await LogSegment.create(this.env, this.dirSync, this.settings, offset);
    this.segments = [fresh];
    for (let i = removed.length - 1; i >= 0; i--) await removed[i]!.deleteFiles();
    this.startOffset = offset;
    this.endOffset = offset;
    this.hw = offset;
    this.recoveryPointOffset = offset;
    await this.writeLogStartCheckpoint();
    if (this.epochs.clear()) await this.writeEpochCheckpoint();
    await fresh.log.sync();
    await this.dirSync.sync();
  }

  deleteRecordsBefore(offset: number): Promise<number> {
    const unusable = this.unusableError();
    if (unusable !== null) return Promise.reject(unusable);
    if (!Number.isSafeInteger(offset) || offset < 0) {
      return Promise.reject(new FerryError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot delete records before ${offset}`, { offset }));
    }
    let result = this.startOffset;
    return this.enqueueTask(async () => {
      this.throwIfUnusable();
      if (offset > this.endOffset) {
        throw new FerryError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is above the log end offset ${this.endOffset}`, {
          offset,
          logEndOffset: this.endOffset,
        });
      }
      if (offset > this.startOffset) {
        this.startOffset = offset;
        this.hw = Math.max(this.hw, offset);
        // Durable before any file goes, so a restart never moves the start back.
        await this.writeLogStartCheckpoint();
        if (this.epochs.truncateFromStart(offset)) await this.writeEpochCheckpoint();
        const segments = this.segments;
        let count = 0;
        while (count < segments.length - 1 && segments[count + 1]!.baseOffset <= offset) count++;
        await this.removeOldestSegments(count, 'logStartOffset');
      }
      result = this.startOffset;
    }).then(() => result);
  }

  /** Drops the `count` oldest segments (never the active one) from the list, then their files. */
  private async removeOldestSegments(count: number, reason: string): Promise<void> {
    if (count <= 0) return;
    assert.ok(count < this.segments.length, 'the active segment is never deleted');
    const removed = this.segments.slice(0, count);
    this.segments = this.segments.slice(count);
    this.layoutChanged('deletion');
    const newStart = this.segments[0]!.baseOffset;
    if (newStart > this.startOffset) {
      this.startOffset = newStart;
      this.hw = Math.max(this.hw, newStart);
      if (this.epochs.truncateFromStart(newStart)) await this.writeEpochCheckpoint();
    }
    for (const segment of removed) await segment.deleteFiles();
    this.env.logger.info(
      {
        topic: this.topic,
        partition: this.partition,
        reason,
        segments: removed.length,
        bytes: removed.reduce((sum, segment) => sum + segment.sizeBytes, 0),
        logStartOffset: this.startOffset,
      },
      'deleted old segments',
    );
  }

  /** Applies retention now; returns how many segments were deleted. */
  async enforceRetention(nowMs: number): Promise<number> {
    if (this.unusableError() !== null) return 0;
    const segments = this.segments;
    const closed = segments.slice(0, -1);
    const nextBases = segments.slice(1).map((segment) => segment.baseOffset);
    let decision: Awaited<ReturnType<typeof decideRetention>>;
    try {
      decision = await decideRetention(closed, nextBases, this.sizeBytes(), this.cfg, nowMs, this.startOffset);
    } catch (error) {
      if (error instanceof SegmentCorruptError) {
        this.goOffline('corrupt segment', { file: error.segment.logPath, position: error.scan.position, reason: error.scan.reason });
        return 0;
      }
      throw error;
    }
    if (decision.count === 0) return 0;
    let deleted = 0;
    await this.enqueueTask(async () => {
      if (this.unusableError() !== null) return;
      // The list may have changed while deciding: delete only what is still the same prefix.
      let count = 0;
      while (count < decision.count && this.segments[count] === closed[count] && count < this.segments.length - 1) count++;
      await this.removeOldestSegments(count, decision.reason ?? 'retention');
      deleted = count;
    });
    return deleted;
  }

  assignEpoch(epoch: number, startOffset: number): Promise<void> {
    const unusable = this.unusableError();
    if (unusable !== null) return Promise.reject(unusable);
    return this.enqueueTask(() => this.recordEpoch(epoch, startOffset));
  }

  private async recordEpoch(epoch: number, startOffset: number): Promise<void> {
    if (this.epochs.assign(epoch, startOffset)) await this.writeEpochCheckpoint();
  }

  latestEpoch(): number {
    this.throwIfUnusable();
    return this.epochs.latestEpoch();
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    this.throwIfUnusable();
    return this.epochs.endOffsetFor(epoch, this.endOffset);
  }

  private writeEpochCheckpoint(): Promise<void> {
    const entries = this.epochs.entries.map((entry) => [entry.epoch, entry.startOffset]);
    return writeCheckpoint(this.env.fs, path.join(this.dir, LEADER_EPOCH_CHECKPOINT), entries);
  }

  private writeLogStartCheckpoint(): Promise<void> {
    return writeCheckpoint(this.env.fs, path.join(this.dir, LOG_START_OFFSET_CHECKPOINT), [[this.startOffset]]);
  }

  // -- the rest -------------------------------------------------------------------------------

  sizeBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.sizeBytes;
    return total;
  }

  async flush(): Promise<void> {
    this.throwIfUnusable();
    let synced: Promise<void> = Promise.resolve();
    // Queued behind earlier appends, so their bytes are written before the sync starts.
    await this.enqueueTask(async () => {
      synced = this.groupCommit.flush();
    });
    await synced;
  }

  updateConfig(config: Partial<LogConfig>): void {
    this.throwIfUnusable();
    const next = resolveLogConfig(this.cfg, config);
    this.cfg = next;
    this.settings.indexIntervalBytes = next.indexIntervalBytes;
    if (next.flush.kind !== 'interval' && this.flushTimer !== null) {
      this.clearFlushTimer();
      this.groupCommit.flush().catch(() => {});
    }
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.isClosing = true;
    await this.enqueueTask(async () => {}); // every append queued before close is written
    this.clearFlushTimer();
    if (this.offlineError === null) {
      try {
        await this.activeSegment.persistIndexes(false);
        // Index files first, so their names are synced with the log's; nothing to sync when
        // nothing changed since the last sync (a restart of 10,000 idle logs costs no fsync).
        if (this.hasUnsyncedWrites || this.dirSync.isDirty || this.env.dataDirSync.isDirty) await this.groupCommit.flush();
        else await this.groupCommit.whenIdle();
        this.hasCleanClose = true;
      } catch (error) {
        this.env.logger.warn({ topic: this.topic, partition: this.partition, err: error }, 'flushing the log at close failed');
      }
    }
    for (const segment of this.segments) await segment.close();
  }
}

function resolveAppend(item: PendingAppend): void {
  item.resolve({
    baseOffset: item.baseOffset,
    lastOffset: item.lastOffset,
    logAppendTimeMs: item.logAppendTimeMs,
    sizeBytes: item.sizeBytes,
    batchCount: item.batchCount,
  });
}

/** Index of the last segment whose base offset is at or below `offset` (0 if none). */
function floorSegment(segments: readonly LogSegment[], offset: number): number {
  let low = 0;
  let high = segments.length - 1;
  let found = 0;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}
