import assert from 'node:assert/strict';
import path from 'node:path';
import { ErrorCode, FerryError } from '../common/errors.ts';
import { checkAppendShape, verifyAppend } from './append-validation.ts';
import { AppendWriter, type PendingAppend } from './append-writer.ts';
import { writeCheckpoint } from './checkpoint-file.ts';
import type { DirSync } from './dir-sync.ts';
import { LEADER_EPOCH_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT } from './file-names.ts';
import type { LeaderEpochCache } from './leader-epoch-cache.ts';
import { resolveLogConfig } from './log-config.ts';
import { floorSegment, LogReader } from './log-reader.ts';
import { decideRetention } from './retention.ts';
import { LogSegment, SegmentCorruptError, type SegmentEnv } from './segment.ts';
import { type TailCache, TailCachePool } from './tail-cache.ts';
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

const MAX_INT32 = 0x7fff_ffff;
const EMPTY = Buffer.alloc(0);

export interface PartitionLogEnv extends SegmentEnv {
  readonly now: () => number;
  /** The data directory: a new log dir's name becomes durable with its first sync. */
  readonly dataDirSync: DirSync;
  /** Memory for the partitions' tail caches; without one, each log gets a default-sized pool
   *  of its own (tests that build an env by hand). */
  readonly tailCache?: TailCachePool;
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
 * One partition's log: an ordered list of segments, the last one active. Appends go through the
 * single writer (append-writer.ts) in call order; reads go straight to the segments
 * (log-reader.ts) and see committed bytes only. Changes to the segment list (truncation,
 * retention, deleting records) run as tasks in the writer's queue, so they never overlap a
 * write.
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
  private readonly writer: AppendWriter;
  private readonly reader: LogReader;
  /** Recently acknowledged appends, so tailing reads skip the file (tail-cache.ts). */
  private readonly tail: TailCache;

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
    this.writer = new AppendWriter({
      logger: env.logger,
      dirSync,
      dataDirSync: env.dataDirSync,
      config: () => this.cfg,
      offlineError: () => this.offlineError,
      activeSegment: () => this.activeSegment,
      logEndOffset: () => this.endOffset,
      now: env.now,
      latestEpoch: () => this.epochs.latestEpoch(),
      recordEpoch: (epoch, startOffset) => this.recordEpoch(epoch, startOffset),
      startNextSegment: () => this.startNextSegment(),
      persistClosedSegment: (segment) => this.persistClosedSegment(segment),
      advanceEndOffset: (nextOffset) => {
        assert.ok(nextOffset > this.endOffset, 'the log end offset only grows on append');
        this.endOffset = nextOffset;
      },
      advanceRecoveryPoint: (offset) => {
        if (offset > this.recoveryPointOffset) this.recoveryPointOffset = offset;
      },
      goOffline: (reason, details) => this.goOffline(reason, details),
    });
    this.tail = (env.tailCache ?? new TailCachePool()).create();
    this.reader = new LogReader({
      buffers: env.buffers,
      segments: () => this.segments,
      logEndOffset: () => this.endOffset,
      config: () => this.cfg,
    });
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
    return this.writer.syncCount;
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
    this.tail?.clear();
    this.writer?.clearFlushTimer();
  }

  private readonly onCorrupt = (error: SegmentCorruptError): never => {
    this.goOffline('corrupt segment', { file: error.segment.logPath, position: error.scan.position, reason: error.scan.reason });
    throw this.offlineError;
  };

  // -- append ---------------------------------------------------------------------------------

  append(batches: Buffer, options?: AppendOptions): Promise<AppendResult> {
    const unusable = this.unusableError();
    if (unusable !== null) return Promise.reject(unusable);
    const leaderEpoch = options?.leaderEpoch ?? -1;
    if (!Number.isSafeInteger(leaderEpoch) || leaderEpoch < -1 || leaderEpoch > MAX_INT32) {
      return Promise.reject(new FerryError(ErrorCode.INVALID_REQUEST, `leader epoch ${leaderEpoch} is invalid`, { leaderEpoch }));
    }
    return new Promise<AppendResult>((resolveAppend, reject) => {
      // Acknowledged appends are committed (and durable per the flush policy) and resolve in
      // offset order: the tail cache takes them here, before the caller moves the high watermark.
      const resolve = (result: AppendResult): void => {
        this.cacheTail(batches, result);
        resolveAppend(result);
      };
      const item: PendingAppend = {
        kind: 'append',
        batches,
        leaderEpoch,
        isVerified: false,
        batchCount: 0,
        offsetCount: 0,
        sizeBytes: 0,
        baseOffset: -1,
        lastOffset: -1,
        logAppendTimeMs: -1,
        resolve,
        reject,
      };
      // Throws (and so rejects) before anything is queued. The CRCs are checked by the writer
      // while the write runs, except where stamping LogAppendTime rewrites them: check first.
      checkAppendShape(batches, this.cfg.maxBatchBytes, item);
      if (this.cfg.timestampType === 'LogAppendTime') {
        const problem = verifyAppend(batches, this.cfg.maxBatchBytes);
        if (problem !== null) throw problem;
        item.isVerified = true;
      }
      this.writer.append(item);
    });
  }

  private cacheTail(batches: Buffer, result: AppendResult): void {
    if (this.isClosing || this.offlineError !== null) return;
    const segments = this.segments;
    const last = segments[segments.length - 1]!;
    const segmentBase =
      last.baseOffset <= result.baseOffset ? last.baseOffset : segments[floorSegment(segments, result.baseOffset)]!.baseOffset;
    this.tail.add(batches, result.baseOffset, result.lastOffset + 1, segmentBase);
  }

  /** Called by the writer to roll: the next segment starts at the log end offset. */
  private async startNextSegment(): Promise<LogSegment> {
    const old = this.activeSegment;
    const next = await LogSegment.create(this.env, this.dirSync, this.settings, this.endOffset);
    old.finishAsClosed();
    this.segments.push(next);
    this.env.logger.debug({ topic: this.topic, partition: this.partition, baseOffset: next.baseOffset }, 'rolled a new segment');
    return next;
  }

  /** Called by the writer once a closed segment's log is on disk. */
  private async persistClosedSegment(segment: LogSegment): Promise<void> {
    try {
      await segment.persistIndexes(true);
    } catch (error) {
      this.env.logger.warn(
        { file: segment.indexPath, err: error },
        'writing a closed segment index failed: it will be rebuilt when needed',
      );
    }
    if (segment.areIndexesLoaded) await segment.loadIndexes(); // enters the index cache
  }

  // -- reads ----------------------------------------------------------------------------------

  async read(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult> {
    this.throwIfUnusable();
    const maxOffset = options?.maxOffset ?? Number.POSITIVE_INFINITY;
    if (offset >= this.startOffset && offset < this.endOffset && offset < maxOffset) {
      const cached = this.tail.read(offset, maxBytes, maxOffset);
      if (cached !== null) {
        return { data: cached, logStartOffset: this.startOffset, logEndOffset: this.endOffset, highWatermark: this.hw };
      }
    }
    const data = await this.reader.withLayoutRetry(() => {
      if (!Number.isSafeInteger(offset) || offset < this.startOffset || offset > this.endOffset) {
        throw new FerryError(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          `offset ${offset} is outside ${this.topic}-${this.partition}'s range [${this.startOffset}, ${this.endOffset}]`,
          { topic: this.topic, partition: this.partition, offset, logStartOffset: this.startOffset, logEndOffset: this.endOffset },
        );
      }
      if (offset === this.endOffset || offset >= maxOffset) return Promise.resolve(EMPTY);
      return this.reader.read(offset, maxBytes, maxOffset);
    }, this.onCorrupt);
    return { data, logStartOffset: this.startOffset, logEndOffset: this.endOffset, highWatermark: this.hw };
  }

  async offsetForTimestamp(timestampMs: number): Promise<TimestampOffset | null> {
    this.throwIfUnusable();
    return this.reader.withLayoutRetry(async () => {
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
    }, this.onCorrupt);
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
    return this.writer.enqueueTask(async () => {
      this.throwIfUnusable();
      if (offset >= this.endOffset) return;
      await this.writer.whenSyncIdle();
      this.reader.layoutChanged('truncation');
      this.tail.clear();
      if (offset < this.startOffset) {
        await this.truncateFullyAndStartAt(offset);
        return;
      }
      const keep = floorSegment(this.segments, offset);
      const removed = this.segments.slice(keep + 1);
      this.segments = this.segments.slice(0, keep + 1);
      // Newest first, and durable before the kept segment is cut: a crash must never keep the
      // cut and bring a removed segment back (a hole), whatever the flush policy.
      for (let i = removed.length - 1; i >= 0; i--) await removed[i]!.deleteFiles();
      if (removed.length > 0) await this.dirSync.sync();
      const segment = this.activeSegment;
      if (!segment.isActive) await segment.reopenAsActive();
      const found = await segment.findBatch(offset);
      if (found !== null) await segment.truncateTo(found.position, found.baseOffset);
      this.endOffset = segment.nextOffset;
      this.hw = Math.min(this.hw, this.endOffset);
      this.recoveryPointOffset = Math.min(this.recoveryPointOffset, this.endOffset);
      if (this.epochs.truncateFromEnd(this.endOffset)) await this.writeEpochCheckpoint();
      await segment.log.sync();
      this.env.logger.info({ topic: this.topic, partition: this.partition, offset, logEndOffset: this.endOffset }, 'log truncated');
    });
  }

  /** Everything goes; the log restarts empty at `offset` (a follower far behind a leader). */
  private async truncateFullyAndStartAt(offset: number): Promise<void> {
    this.tail.clear();
    const removed = this.segments;
    // Files first: the fresh segment may take the name of one of them (same base offset).
    for (let i = removed.length - 1; i >= 0; i--) await removed[i]!.deleteFiles();
    const fresh = await LogSegment.create(this.env, this.dirSync, this.settings, offset);
    this.segments = [fresh];
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
    return this.writer
      .enqueueTask(async () => {
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
          this.tail.dropBelow(offset);
          // Durable before any file goes, so a restart never moves the start back.
          await this.writeLogStartCheckpoint();
          if (this.epochs.truncateFromStart(offset)) await this.writeEpochCheckpoint();
          const segments = this.segments;
          let count = 0;
          while (count < segments.length - 1 && segments[count + 1]!.baseOffset <= offset) count++;
          await this.removeOldestSegments(count, 'logStartOffset');
        }
        result = this.startOffset;
      })
      .then(() => result);
  }

  /** Drops the `count` oldest segments (never the active one) from the list, then their files. */
  private async removeOldestSegments(count: number, reason: string): Promise<void> {
    if (count <= 0) return;
    assert.ok(count < this.segments.length, 'the active segment is never deleted');
    await this.writer.whenSyncIdle(); // a closed segment's background sync is done with its file
    const removed = this.segments.slice(0, count);
    this.segments = this.segments.slice(count);
    this.reader.layoutChanged('deletion');
    const newStart = this.segments[0]!.baseOffset;
    if (newStart > this.startOffset) {
      this.startOffset = newStart;
      this.tail.dropBelow(newStart);
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
    await this.writer.enqueueTask(async () => {
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
    return this.writer.enqueueTask(() => this.recordEpoch(epoch, startOffset));
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
    await this.writer.enqueueTask(async () => {
      synced = this.writer.flush();
    });
    await synced;
  }

  updateConfig(config: Partial<LogConfig>): void {
    this.throwIfUnusable();
    this.cfg = resolveLogConfig(this.cfg, config);
    this.settings.indexIntervalBytes = this.cfg.indexIntervalBytes;
    this.writer.onConfigChanged();
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.isClosing = true;
    await this.writer.enqueueTask(async () => {}); // every append queued before close is written
    this.tail.clear(); // its memory goes back to the pool for the logs that stay open
    this.writer.clearFlushTimer();
    if (this.offlineError === null) {
      try {
        await this.activeSegment.persistIndexes(false);
        // Index files first, so their names are synced with the log's; nothing to sync when
        // nothing changed since the last sync (a restart of 10,000 idle logs costs no fsync).
        if (this.writer.hasUnsyncedWrites || this.dirSync.isDirty || this.env.dataDirSync.isDirty) await this.writer.flush();
        else await this.writer.whenSyncIdle();
        this.hasCleanClose = true;
      } catch (error) {
        this.env.logger.warn({ topic: this.topic, partition: this.partition, err: error }, 'flushing the log at close failed');
      }
    }
    for (const segment of this.segments) await segment.close();
  }
}
