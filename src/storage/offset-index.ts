import assert from 'node:assert/strict';
import { IndexEntries } from './index-entries.ts';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
/** Kafka's `segment.index.bytes` default: 10 MiB of entries, then the segment rolls. */
export const MAX_INDEX_BYTES = 10 * 1024 * 1024;

/**
 * Sparse offset index of one segment: entries (offset - baseOffset: int32, file position: int32)
 * pointing at batch starts, one every `indexIntervalBytes` of log. A lookup gives a position at
 * or before the batch holding an offset; a forward scan of batch headers finds it from there.
 */
export class OffsetIndex extends IndexEntries {
  readonly baseOffset: number;

  constructor(baseOffset: number, data?: Buffer, maxEntries = Math.floor(MAX_INDEX_BYTES / OFFSET_INDEX_ENTRY_BYTES)) {
    super(OFFSET_INDEX_ENTRY_BYTES, maxEntries, data);
    this.baseOffset = baseOffset;
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
  }

  positionAt(i: number): number {
    return this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4);
  }

  relativeAt(i: number): number {
    return this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
  }

  /** Position of the last entry, 0 when empty (the segment's first batch). */
  get lastPosition(): number {
    return this.count === 0 ? 0 : this.positionAt(this.count - 1);
  }

  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    assert.ok(relative >= 0 && relative <= 0x7fff_ffff, 'relative offset out of int32 range');
    if (this.count > 0) {
      assert.ok(offset > this.offsetAt(this.count - 1), 'offset index entries must increase');
      assert.ok(position > this.positionAt(this.count - 1), 'offset index positions must increase');
    }
    const at = this.reserveEntry();
    this.buf.writeInt32BE(relative, at);
    this.buf.writeInt32BE(position, at + 4);
  }

  /** File position of the last indexed batch starting at or below `offset`; 0 if none. */
  lookup(offset: number): number {
    const i = this.floorEntry(offset - this.baseOffset, relativeAt, false);
    return i < 0 ? 0 : this.positionAt(i);
  }

  /** Drops entries for batches starting at or above `offset`. */
  truncateToOffset(offset: number): void {
    const i = this.floorEntry(offset - this.baseOffset, relativeAt, true);
    this.truncateToCount(i + 1);
  }

  /** Drops entries pointing at or past `position` (after the log file was cut there). */
  truncateToPosition(position: number): void {
    let count = this.count;
    while (count > 0 && this.positionAt(count - 1) >= position) count--;
    this.truncateToCount(count);
  }

  /** Why this index cannot belong to a log of `logBytes` bytes whose offsets stay below
   *  `endOffset`; null when it can. Checks every entry: the index is small next to its log. */
  sanityCheck(logBytes: number, endOffset: number): string | null {
    let previousRelative = -1;
    let previousPosition = -1;
    for (let i = 0; i < this.count; i++) {
      const relative = this.relativeAt(i);
      const position = this.positionAt(i);
      if (relative <= previousRelative || position <= previousPosition) return `entry ${i} does not increase`;
      if (position >= logBytes) return `entry ${i} points at position ${position}, past the log's ${logBytes} bytes`;
      if (this.baseOffset + relative >= endOffset) return `entry ${i} names offset ${this.baseOffset + relative}, past ${endOffset - 1}`;
      previousRelative = relative;
      previousPosition = position;
    }
    return null;
  }
}

function relativeAt(index: OffsetIndex, i: number): number {
  return index.relativeAt(i);
}
