import assert from 'node:assert/strict';
import { readInt64, writeInt64 } from '../common/record-batch-header.ts';
import { IndexEntries } from './index-entries.ts';
import { MAX_INDEX_BYTES } from './offset-index.ts';

export const TIME_INDEX_ENTRY_BYTES = 12;

/**
 * Sparse time index of one segment: entries (max timestamp so far: int64, offset - baseOffset of
 * the batch holding it: int32), added at the offset index's cadence when the max grows, plus a
 * final entry when the segment closes so its last entry is the segment's largest timestamp
 * (what time retention and offsetForTimestamp compare against).
 */
export class TimeIndex extends IndexEntries {
  readonly baseOffset: number;

  constructor(baseOffset: number, data?: Buffer, maxEntries = Math.floor(MAX_INDEX_BYTES / TIME_INDEX_ENTRY_BYTES)) {
    super(TIME_INDEX_ENTRY_BYTES, maxEntries, data);
    this.baseOffset = baseOffset;
  }

  timestampAt(i: number): number {
    return readInt64(this.buf, i * TIME_INDEX_ENTRY_BYTES);
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
  }

  relativeAt(i: number): number {
    return this.buf.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
  }

  /** Largest timestamp indexed, -1 when empty. */
  get lastTimestamp(): number {
    return this.count === 0 ? -1 : this.timestampAt(this.count - 1);
  }

  /** Adds (timestamp, offset) if the timestamp is above the last entry's; returns whether it did. */
  maybeAppend(timestamp: number, offset: number): boolean {
    if (timestamp <= this.lastTimestamp || this.isFull) return false;
    const relative = offset - this.baseOffset;
    assert.ok(relative >= 0 && relative <= 0x7fff_ffff, 'relative offset out of int32 range');
    if (this.count > 0) assert.ok(offset >= this.offsetAt(this.count - 1), 'time index offsets must not decrease');
    const at = this.reserveEntry();
    writeInt64(this.buf, timestamp, at);
    this.buf.writeInt32BE(relative, at + 8);
    return true;
  }

  /** Offset of the batch holding the largest indexed timestamp below `timestampMs`, or -1:
   *  every batch up to that one has timestamps below it, so a search can start there. */
  offsetBefore(timestampMs: number): number {
    const i = this.floorEntry(timestampMs, timestampAt, true);
    return i < 0 ? -1 : this.offsetAt(i);
  }

  /** Drops entries for batches at or above `offset`. */
  truncateToOffset(offset: number): void {
    const i = this.floorEntry(offset - this.baseOffset, relativeAt, true);
    this.truncateToCount(i + 1);
  }

  sanityCheck(endOffset: number): string | null {
    let previousTimestamp = Number.NEGATIVE_INFINITY;
    let previousRelative = 0;
    for (let i = 0; i < this.count; i++) {
      const timestamp = this.timestampAt(i);
      const relative = this.relativeAt(i);
      if (timestamp <= previousTimestamp) return `entry ${i} timestamp does not increase`;
      if (relative < previousRelative) return `entry ${i} offset decreases`;
      if (this.baseOffset + relative >= endOffset) return `entry ${i} names offset ${this.baseOffset + relative}, past ${endOffset - 1}`;
      previousTimestamp = timestamp;
      previousRelative = relative;
    }
    return null;
  }
}

function timestampAt(index: TimeIndex, i: number): number {
  return index.timestampAt(i);
}

function relativeAt(index: TimeIndex, i: number): number {
  return index.relativeAt(i);
}
