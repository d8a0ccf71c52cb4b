import { ErrorCode, FerryError, toFerryError } from '../common/errors.ts';
import type { ReadBufferPool } from './read-buffers.ts';
import { type LogSegment, SegmentCorruptError } from './segment.ts';
import { readSegmentBatches } from './segment-reader.ts';
import type { LogConfig } from './types.ts';

/** Remembered (offset -> position) pairs where reads ended: the next sequential read starts
 *  there without an index lookup. A few slots serve a few consumers of one partition. */
const READ_CACHE_SLOTS = 4;
/** A read retries when retention or truncation changed the segment list under it. */
const MAX_READ_ATTEMPTS = 4;
/** A stored batch claiming more than this (or maxBatchBytes, if larger) is corrupt: a read never
 *  allocates what a damaged length field says. Above any sane max.message.bytes change. */
const MIN_READ_BATCH_LIMIT_BYTES = 64 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

export interface ReaderContext {
  readonly buffers: ReadBufferPool;
  segments(): readonly LogSegment[];
  logEndOffset(): number;
  config(): LogConfig;
}

/**
 * The read side of a log. Reads never wait for the writer: they see committed bytes only (each
 * segment's committed size is read when the read starts). Retention may delete segments and
 * truncation may cut the log while a read runs; both bump a version, and a read that overlapped
 * a truncation (or failed while segments were deleted) runs again.
 */
export class LogReader {
  private readonly ctx: ReaderContext;
  /** Bumped when the log is cut at its end: bytes a read saw may have been rewritten since. */
  private truncationVersion = 0;
  /** Bumped when old segments are deleted: what a read got is still right (it happened before),
   *  but a read that failed because its file went away runs again. */
  private deletionVersion = 0;
  private readonly cacheSegments: (LogSegment | null)[] = new Array<LogSegment | null>(READ_CACHE_SLOTS).fill(null);
  private readonly cacheOffsets: number[] = new Array<number>(READ_CACHE_SLOTS).fill(-1);
  private readonly cachePositions: number[] = new Array<number>(READ_CACHE_SLOTS).fill(0);
  private cacheNext = 0;

  constructor(ctx: ReaderContext) {
    this.ctx = ctx;
  }

  layoutChanged(kind: 'truncation' | 'deletion'): void {
    if (kind === 'truncation') this.truncationVersion++;
    else this.deletionVersion++;
    this.cacheSegments.fill(null);
    this.cacheOffsets.fill(-1);
  }

  /**
   * Runs a read; runs it again if the log was cut under it, or if it failed while segments were
   * deleted. Damage found in a log that did not change goes to `onCorrupt` (which must throw).
   */
  async withLayoutRetry<T>(run: () => Promise<T>, onCorrupt: (error: SegmentCorruptError) => never): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const truncations = this.truncationVersion;
      const deletions = this.deletionVersion;
      try {
        const value = await run();
        if (truncations === this.truncationVersion) return value;
      } catch (error) {
        const isLayoutChanged = truncations !== this.truncationVersion || deletions !== this.deletionVersion;
        // Damage seen while the log changed under the read may be the change: look again first.
        if (error instanceof SegmentCorruptError && !isLayoutChanged) onCorrupt(error);
        if (!isLayoutChanged || attempt >= MAX_READ_ATTEMPTS) throw toFerryError(error, ErrorCode.STORAGE_ERROR);
      }
      if (attempt >= MAX_READ_ATTEMPTS) throw new FerryError(ErrorCode.STORAGE_ERROR, 'the log kept changing during a read');
    }
  }

  /** Whole batches from the one holding `offset` (below the log end offset) up to maxBytes. */
  async read(offset: number, maxBytes: number, maxOffset: number): Promise<Buffer> {
    const segments = this.ctx.segments();
    const config = this.ctx.config();
    for (let i = floorSegment(segments, offset); i < segments.length; i++) {
      const segment = segments[i]!;
      let startPosition = this.cachedPosition(segment, offset);
      let slackBytes = 0;
      if (startPosition < 0) {
        const { offsetIndex } = await segment.loadIndexes();
        startPosition = offsetIndex.lookup(offset);
        slackBytes = config.indexIntervalBytes;
      }
      let result: Awaited<ReturnType<typeof readSegmentBatches>>;
      try {
        result = await readSegmentBatches(segment.log, this.ctx.buffers, {
          startPosition,
          endPosition: segment.sizeBytes,
          offset,
          maxBytes,
          maxOffset,
          slackBytes,
          maxBatchBytes: Math.max(config.maxBatchBytes, MIN_READ_BATCH_LIMIT_BYTES),
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
        const reason = `offset ${offset} is below the log end offset ${this.ctx.logEndOffset()} but no segment holds it`;
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
}

/** Index of the last segment whose base offset is at or below `offset` (0 if none). */
export function floorSegment(segments: readonly LogSegment[], offset: number): number {
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
