import assert from 'node:assert/strict';
import { preloadCrc32c } from '../common/crc32c.ts';
import { ErrorCode, type FerryError, toFerryError } from '../common/errors.ts';
import {
  BatchField,
  batchSizeBytes,
  patchBaseOffset,
  patchLogAppendTime,
  patchPartitionLeaderEpoch,
  readInt64,
} from '../common/record-batch-header.ts';
import { type AppendShape, verifyAppend } from './append-validation.ts';
import { Deque } from './deque.ts';
import type { DirSync } from './dir-sync.ts';
import { GroupCommit } from './group-commit.ts';
import type { Logger } from '../common/logger.ts';
import type { LogSegment } from './segment.ts';
import type { AppendResult, LogConfig } from './types.ts';

export interface PendingAppend extends AppendShape {
  kind: 'append';
  batches: Buffer;
  leaderEpoch: number;
  /** The batches passed checkBatch (CRC included); false until the writer checks them. */
  isVerified: boolean;
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

/** One positional write of appends that were queued together, in flight or done. */
interface WriteGroup {
  segment: LogSegment;
  position: number;
  bytes: number;
  firstOffset: number;
  nextOffset: number;
  nowMs: number;
  items: PendingAppend[];
  /** Resolves (never rejects) when the write is done, `writeError` set if it failed. */
  settled: Promise<void>;
  writeError: unknown;
  /** Appends whose batches failed checkBatch, with the error each gets. */
  invalid: Map<PendingAppend, FerryError> | null;
}

/** Appends queued while writes are in flight go out together, up to these bounds per write
 *  (a group always takes its first append, however large). 1 MiB, not more: 64 appenders of
 *  1 MiB batches under flush none went faster in 1 MiB writes than in 4 MiB pwritevs (bench:storage
 *  on the shared 2-core VM: median 717 against 453 MB/s over 12 paired runs), and a smaller
 *  write lets the next group's CRC check overlap it sooner; small batches still gather by the
 *  hundred. */
const MAX_WRITE_GROUP_BYTES = 1024 * 1024;
const MAX_WRITE_GROUP_APPENDS = 1024;
/** Writes in flight at once, at consecutive positions: libuv runs 4 by default, and a log
 *  that waited for each write before starting the next left the disk idle between them. */
const MAX_WRITES_IN_FLIGHT = 4;
const MAX_INT32 = 0x7fff_ffff;
const WRITTEN: Promise<void> = Promise.resolve();

/** What the writer needs from its log. */
export interface AppendHost {
  readonly logger: Logger;
  readonly dirSync: DirSync;
  readonly dataDirSync: DirSync;
  config(): LogConfig;
  offlineError(): FerryError | null;
  activeSegment(): LogSegment;
  logEndOffset(): number;
  now(): number;
  latestEpoch(): number;
  /** Records an epoch start (and checkpoints it). */
  recordEpoch(epoch: number, startOffset: number): Promise<void>;
  /** Creates the next segment at the log end offset and makes it the active one. */
  startNextSegment(): Promise<LogSegment>;
  /** Writes a closed segment's index files, its log being on disk already. */
  persistClosedSegment(segment: LogSegment): Promise<void>;
  /** Appends up to `nextOffset` are written (committed bytes grew). */
  advanceEndOffset(nextOffset: number): void;
  /** Everything below `offset` is on disk. */
  advanceRecoveryPoint(offset: number): void;
  goOffline(reason: string, details: Record<string, unknown>): void;
}

/**
 * The single writer of a log. Appends and tasks (truncation, retention, close) leave the queue in
 * call order. Appends queued together form a group: offsets are stamped into their headers and
 * the group goes out in one positional write (pwritev), while up to MAX_WRITES_IN_FLIGHT groups
 * are in flight at consecutive positions. While a group's write runs, its batches get their full
 * check (checkBatch: CRC and all), so checking overlaps the I/O instead of preceding it. Groups
 * complete in order: the bytes become readable (the log end offset moves) and the appends are
 * acknowledged per the flush policy (under `always`, after group commit's fdatasync).
 *
 * If a group's write fails, or one of its batches fails its check, the writer rewinds: it waits
 * for the later groups, cuts the file back to the failed group's start, refuses the failed write's
 * appends (or just the invalid ones) and queues every other one again, ahead of the rest, to be
 * stamped and written anew. A refused append thus leaves nothing in the committed log; at most
 * its bytes passed through the file past the committed end, where neither reads nor recovery
 * keep them.
 */
export class AppendWriter {
  private readonly host: AppendHost;
  private readonly queue = new Deque<QueueItem>();
  private readonly inflight = new Deque<WriteGroup>();
  private isWriting = false;
  /** Where the next group goes, counting groups still in flight. */
  private pendingPosition = 0;
  private pendingOffset = 0;
  private readonly groupCommit: GroupCommit<PendingAppend>;
  private flushTimer: NodeJS.Timeout | null = null;
  /** Bytes were written since the last sync started. */
  private hasUnsyncedWritesFlag = false;

  constructor(host: AppendHost) {
    this.host = host;
    this.groupCommit = new GroupCommit<PendingAppend>(this.syncActiveSegment, this.settleSynced);
    // Loading the fast CRC-32C takes 60-100 ms once per process: pay it when logs open, not on
    // the first large append.
    preloadCrc32c();
  }

  get syncCount(): number {
    return this.groupCommit.syncCount;
  }

  get hasUnsyncedWrites(): boolean {
    return this.hasUnsyncedWritesFlag;
  }

  append(item: PendingAppend): void {
    this.queue.push(item);
    this.kick();
  }

  /** Runs `run` once every append queued before it is written (and no write is in flight). */
  enqueueTask(run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'task', run, resolve, reject });
      this.kick();
    });
  }

  /** Syncs the active segment: resolves once everything written before the call is durable. */
  flush(): Promise<void> {
    return this.groupCommit.flush();
  }

  /** Resolves once no sync runs: neither group commit's nor a closed segment's. */
  async whenSyncIdle(): Promise<void> {
    await this.closedSegmentSync;
    await this.groupCommit.whenIdle();
  }

  onConfigChanged(): void {
    if (this.host.config().flush.kind !== 'interval' && this.flushTimer !== null) {
      this.clearFlushTimer();
      this.groupCommit.flush().catch(() => {});
    }
  }

  clearFlushTimer(): void {
    if (this.flushTimer === null) return;
    clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  private kick(): void {
    if (this.isWriting) return;
    this.isWriting = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const item = this.queue.peek();
        if (item === undefined) {
          if (this.inflight.length === 0) break;
          await this.completeHead();
        } else if (item.kind === 'task') {
          await this.completeAll();
          if (this.queue.peek() !== item) continue; // a rewind put appends back ahead of it
          this.queue.shift();
          try {
            await item.run();
            item.resolve();
          } catch (error) {
            item.reject(error);
          }
        } else if (this.host.offlineError() !== null) {
          this.queue.shift();
          item.reject(this.host.offlineError());
        } else if (this.inflight.length >= MAX_WRITES_IN_FLIGHT) {
          await this.completeHead();
        } else {
          await this.startGroup(item);
        }
      }
    } catch (error) {
      // A broken invariant: nothing this log holds in memory can be trusted any more.
      this.host.goOffline('internal error in the writer', { err: error });
      this.rejectAll();
    } finally {
      this.isWriting = false;
    }
  }

  private rejectAll(): void {
    const failure = this.host.offlineError();
    for (let group = this.inflight.shift(); group !== undefined; group = this.inflight.shift()) {
      for (const item of group.items) item.reject(failure);
    }
    // Tasks still run: close must close, the others refuse an offline log themselves.
    for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) {
      if (item.kind === 'append') item.reject(failure);
      else item.run().then(item.resolve, item.reject);
    }
  }

  private async startGroup(first: PendingAppend): Promise<void> {
    const host = this.host;
    if (this.inflight.length === 0) {
      this.pendingPosition = host.activeSegment().sizeBytes;
      this.pendingOffset = host.logEndOffset();
    }
    const nowMs = host.now();
    let segment = host.activeSegment();
    const isNewEpoch = first.leaderEpoch > host.latestEpoch();
    if (isNewEpoch || this.shouldRoll(segment, this.pendingPosition, this.pendingOffset, first, nowMs)) {
      if (this.inflight.length > 0) {
        await this.completeAll(); // both need every earlier write in place; then look again
        return;
      }
      try {
        if (isNewEpoch) await host.recordEpoch(first.leaderEpoch, this.pendingOffset);
        if (this.shouldRoll(segment, this.pendingPosition, this.pendingOffset, first, nowMs)) segment = await this.roll();
      } catch (error) {
        this.queue.shift();
        first.reject(host.offlineError() ?? toFerryError(error, ErrorCode.STORAGE_ERROR));
        return;
      }
      this.pendingPosition = segment.sizeBytes;
    }
    const position = this.pendingPosition;
    const items: PendingAppend[] = [];
    const buffers: Buffer[] = [];
    let bytes = 0;
    let nextOffset = this.pendingOffset;
    for (;;) {
      const item = this.queue.peek();
      if (item === undefined || item.kind !== 'append') break;
      if (items.length > 0) {
        if (items.length >= MAX_WRITE_GROUP_APPENDS || bytes + item.sizeBytes > MAX_WRITE_GROUP_BYTES) break;
        if (item.leaderEpoch > host.latestEpoch() || this.shouldRoll(segment, position + bytes, nextOffset, item, nowMs)) break;
      }
      this.queue.shift();
      this.stampBatches(item, nextOffset, nowMs);
      nextOffset = item.lastOffset + 1;
      bytes += item.sizeBytes;
      items.push(item);
      buffers.push(item.batches);
    }
    const group: WriteGroup = {
      segment,
      position,
      bytes,
      firstOffset: this.pendingOffset,
      nextOffset,
      nowMs,
      items,
      settled: Promise.resolve(),
      writeError: undefined,
      invalid: null,
    };
    const write = this.issueWrite(segment, buffers, position, bytes);
    group.settled = write.then(
      () => {},
      (error: unknown) => {
        group.writeError = error ?? new Error('write failed');
      },
    );
    // The full check of each batch runs here, on this thread, while the write is in the pool's.
    for (const item of items) {
      if (item.isVerified) continue;
      const problem = verifyAppend(item.batches, host.config().maxBatchBytes);
      item.isVerified = true;
      if (problem !== null) (group.invalid ??= new Map()).set(item, problem);
    }
    this.inflight.push(group);
    this.pendingPosition = position + bytes;
    this.pendingOffset = nextOffset;
  }

  /**
   * Starts a group's write. Under flush `always` a small group is written on this thread when the
   * file system does so (NodeFileSystem's syncWriteMaxBytes): copying a few KiB into the page
   * cache costs less than a hop to the thread pool and back, and the append is then one hop (the
   * fdatasync) from its acknowledgement instead of two. Other policies keep every write in the
   * pool: without a sync after each write the dirty pages pile up, and a write the kernel
   * throttles would stall this thread.
   */
  private issueWrite(segment: LogSegment, buffers: Buffer[], position: number, bytes: number): Promise<void> {
    if (this.host.config().flush.kind === 'always') {
      try {
        if (segment.log.tryWriteSync(buffers, position, bytes)) return WRITTEN;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return buffers.length === 1 ? segment.log.write(buffers[0]!, position) : segment.log.writev(buffers, position, bytes);
  }

  private shouldRoll(segment: LogSegment, sizeBytes: number, nextOffset: number, item: PendingAppend, nowMs: number): boolean {
    if (sizeBytes === 0) return false;
    const config = this.host.config();
    if (sizeBytes + item.sizeBytes > config.segmentBytes) return true;
    // Index entries hold offsets relative to the segment's base as int32.
    if (nextOffset + item.offsetCount - 1 - segment.baseOffset > MAX_INT32) return true;
    if (segment.isIndexFull) return true;
    return segment.rollBaseMs >= 0 && nowMs - segment.rollBaseMs >= config.segmentMs;
  }

  /** Assigns offsets (and the epoch, and LogAppendTime) by patching each batch header. */
  private stampBatches(item: PendingAppend, baseOffset: number, nowMs: number): void {
    const batches = item.batches;
    const epoch = item.leaderEpoch;
    const isLogAppendTime = this.host.config().timestampType === 'LogAppendTime';
    let at = 0;
    let offset = baseOffset;
    while (at < batches.length) {
      patchBaseOffset(batches, at, offset);
      if (epoch >= 0) patchPartitionLeaderEpoch(batches, at, epoch);
      // Rewrites the CRC: such appends were verified before they were queued.
      if (isLogAppendTime) patchLogAppendTime(batches, at, nowMs);
      offset += batches.readInt32BE(at + BatchField.lastOffsetDelta) + 1;
      at += batchSizeBytes(batches, at);
    }
    item.baseOffset = baseOffset;
    item.lastOffset = offset - 1;
    item.logAppendTimeMs = nowMs;
  }

  private async completeAll(): Promise<void> {
    while (this.inflight.length > 0) await this.completeHead();
  }

  private async completeHead(): Promise<void> {
    const group = this.inflight.peek()!;
    await group.settled;
    if (group.writeError === undefined && group.invalid === null) {
      this.inflight.shift();
      this.commit(group);
    } else {
      await this.rewind();
    }
  }

  /** The group's bytes are in the file and valid: readers may see them, appenders hear back. */
  private commit(group: WriteGroup): void {
    const { segment } = group;
    assert.equal(group.position, segment.sizeBytes, 'groups commit in file order');
    assert.equal(group.firstOffset, this.host.logEndOffset(), 'groups commit in offset order');
    let at = group.position;
    for (const item of group.items) at = this.indexBatches(segment, item, at);
    assert.equal(at, group.position + group.bytes, 'indexed bytes match written bytes');
    segment.sizeBytes = at;
    if (segment.rollBaseMs < 0) segment.rollBaseMs = group.nowMs;
    this.host.advanceEndOffset(group.nextOffset);
    this.hasUnsyncedWritesFlag = true;
    switch (this.host.config().flush.kind) {
      case 'always':
        for (const item of group.items) this.groupCommit.add(item);
        break;
      case 'interval':
        for (const item of group.items) resolveAppend(item);
        this.scheduleIntervalFlush();
        break;
      case 'none':
        for (const item of group.items) resolveAppend(item);
        break;
    }
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

  /** See the class comment: refuse what failed, queue the rest again, cut the file back. */
  private async rewind(): Promise<void> {
    const failed = this.inflight.shift()!;
    const later: WriteGroup[] = [];
    for (let group = this.inflight.shift(); group !== undefined; group = this.inflight.shift()) later.push(group);
    for (const group of later) await group.settled;
    const again: PendingAppend[] = [];
    const refused: [PendingAppend, FerryError][] = [];
    const writeFailure = failed.writeError === undefined ? null : toFerryError(failed.writeError, ErrorCode.STORAGE_ERROR);
    for (const group of [failed, ...later]) {
      for (const item of group.items) {
        const invalid = group.invalid?.get(item);
        if (invalid !== undefined) refused.push([item, invalid]);
        else if (group === failed && writeFailure !== null) refused.push([item, writeFailure]);
        else again.push(item);
      }
    }
    // Refusals wait for the cut below: an appender that hears back finds the file as it was.
    try {
      await failed.segment.log.truncate(failed.position);
    } catch (error) {
      // Reads stop at the committed size and the next write overwrites from there; recovery
      // would drop any leftover tail. Worth a line, not the partition.
      this.host.logger.warn(
        { file: failed.segment.logPath, position: failed.position, err: error },
        'could not cut the tail of a failed write',
      );
    }
    for (const [item, error] of refused) item.reject(error);
    for (let i = again.length - 1; i >= 0; i--) this.queue.unshift(again[i]!);
    this.pendingPosition = failed.position;
    this.pendingOffset = failed.firstOffset;
  }

  /**
   * Closes the active segment and starts the next at the log end offset. A closed segment's
   * index files are written (and synced) only once its log is synced: recovery takes index files
   * that check out as proof that the segment reached the disk whole, so damage found in it is
   * corruption (offline), not a torn write (cut).
   *
   * Under `always` and `interval` the closed segment is synced first: acknowledgements waiting
   * for group commit must be covered by a sync of the file they were written to, and an interval
   * flush leaves little to sync. Under `none` a segment may hold a gigabyte of page cache: its
   * sync runs in the background while appends go on into the next segment (Kafka does the same),
   * and every later sync waits for it, so a flush() or close still covers everything before it.
   */
  private async roll(): Promise<LogSegment> {
    const isBackground = this.host.config().flush.kind === 'none';
    if (!isBackground) await this.groupCommit.flush();
    const closing = this.host.activeSegment();
    const next = await this.host.startNextSegment();
    if (!isBackground) {
      await this.host.persistClosedSegment(closing);
      return next;
    }
    const previous = this.closedSegmentSync;
    const sync = (async () => {
      await previous;
      await closing.log.sync();
      this.host.advanceRecoveryPoint(next.baseOffset);
      await this.host.persistClosedSegment(closing);
    })();
    this.closedSegmentSync = sync.catch((error: unknown) => {
      this.host.goOffline('sync of a closed segment failed', { file: closing.logPath, err: error });
    });
    return next;
  }

  /** The background sync of segments closed under `none`, if one runs. */
  private closedSegmentSync: Promise<void> = Promise.resolve();

  /** The sync behind group commit, interval flushes, rolls, flush() and close. */
  private readonly syncActiveSegment = async (): Promise<void> => {
    const host = this.host;
    // After a failed fsync a later one can succeed without the lost pages: never ack on it.
    await this.closedSegmentSync;
    if (host.offlineError() !== null) throw host.offlineError();
    const upTo = host.logEndOffset();
    const segment = host.activeSegment();
    this.hasUnsyncedWritesFlag = false;
    try {
      // Names first: once the file's sync completes, its bytes must be reachable after a crash.
      if (host.dataDirSync.isDirty) await host.dataDirSync.sync();
      if (host.dirSync.isDirty) await host.dirSync.sync();
      await segment.log.sync();
    } catch (error) {
      // After a failed fsync the kernel may have dropped the dirty pages ("fsyncgate"): what the
      // page cache shows can no longer be trusted to be on disk. Stop serving this partition.
      host.goOffline('sync failed', { file: segment.logPath, err: error });
      throw error;
    }
    host.advanceRecoveryPoint(upTo);
  };

  private readonly settleSynced = (items: PendingAppend[], error: unknown): void => {
    if (error === undefined) {
      for (const item of items) resolveAppend(item);
      return;
    }
    const failure = this.host.offlineError() ?? toFerryError(error, ErrorCode.STORAGE_ERROR);
    for (const item of items) item.reject(failure);
  };

  private scheduleIntervalFlush(): void {
    const flush = this.host.config().flush;
    if (this.flushTimer !== null || flush.kind !== 'interval') return;
    this.flushTimer = setTimeout(this.onFlushTimer, flush.intervalMs);
    this.flushTimer.unref();
  }

  private readonly onFlushTimer = (): void => {
    this.flushTimer = null;
    if (this.host.offlineError() !== null) return;
    this.groupCommit.flush().catch(() => {});
  };
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
