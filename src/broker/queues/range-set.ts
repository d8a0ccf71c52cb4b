import assert from 'node:assert/strict';

/**
 * A set of offsets as sorted, disjoint, non-adjacent half-open ranges [start, end): the acks
 * above a subscription's ack floor. Acks arrive mostly in order per consumer, so adds look at
 * the last range first; a gap-ridden set costs one splice per add. The number of ranges is
 * bounded by the unacknowledged records between them (maxUnackedPerPartition).
 */
export class RangeSet {
  private starts: number[] = [];
  private ends: number[] = [];
  private total = 0;

  /** Offsets in the set. */
  get size(): number {
    return this.total;
  }

  get rangeCount(): number {
    return this.starts.length;
  }

  /** Start of the lowest range, or -1. */
  get firstStart(): number {
    return this.starts.length === 0 ? -1 : this.starts[0]!;
  }

  get firstEnd(): number {
    return this.ends.length === 0 ? -1 : this.ends[0]!;
  }

  startAt(index: number): number {
    return this.starts[index]!;
  }

  endAt(index: number): number {
    return this.ends[index]!;
  }

  has(offset: number): boolean {
    const n = this.starts.length;
    if (n === 0 || offset >= this.ends[n - 1]!) return false; // new records are above every range
    const i = this.indexOfRangeAtOrBefore(offset);
    return i >= 0 && offset < this.ends[i]!;
  }

  /**
   * Adds one offset; returns false when it was there already. Acks from several consumers
   * interleave, so most land at the end of some range other than the last: that range grows in
   * place (and merges with its successor when they meet) without a splice.
   */
  add(offset: number): boolean {
    const starts = this.starts;
    const ends = this.ends;
    const n = starts.length;
    if (n === 0 || offset > ends[n - 1]!) {
      starts.push(offset);
      ends.push(offset + 1);
      this.total++;
      return true;
    }
    if (offset === ends[n - 1]) {
      // In-order acks of one consumer grow the last range: no search.
      ends[n - 1] = offset + 1;
      this.total++;
      return true;
    }
    const i = this.indexOfRangeAtOrBefore(offset);
    if (i >= 0 && offset < ends[i]!) return false;
    this.total++;
    if (i >= 0 && offset === ends[i]!) {
      ends[i] = offset + 1;
      if (i + 1 < n && starts[i + 1] === offset + 1) {
        ends[i] = ends[i + 1]!;
        starts.splice(i + 1, 1);
        ends.splice(i + 1, 1);
      }
      return true;
    }
    if (i + 1 < n && starts[i + 1] === offset + 1) {
      starts[i + 1] = offset;
      return true;
    }
    starts.splice(i + 1, 0, offset);
    ends.splice(i + 1, 0, offset + 1);
    return true;
  }

  /** Adds [start, end); returns how many offsets were new. */
  addRange(start: number, end: number): number {
    if (end <= start) return 0;
    const starts = this.starts;
    const ends = this.ends;
    const n = starts.length;
    // Fast path: at or after the last range.
    if (n === 0 || start > ends[n - 1]!) {
      starts.push(start);
      ends.push(end);
      this.total += end - start;
      return end - start;
    }
    if (start >= starts[n - 1]! && start <= ends[n - 1]!) {
      const added = Math.max(0, end - ends[n - 1]!);
      if (added > 0) ends[n - 1] = end;
      this.total += added;
      return added;
    }
    // General case: merge every range touching [start, end).
    let first = this.indexOfRangeAtOrBefore(start);
    if (first < 0 || ends[first]! < start) first++;
    let last = first;
    let covered = 0;
    let mergedStart = start;
    let mergedEnd = end;
    while (last < n && starts[last]! <= end) {
      mergedStart = Math.min(mergedStart, starts[last]!);
      mergedEnd = Math.max(mergedEnd, ends[last]!);
      covered += ends[last]! - starts[last]!;
      last++;
    }
    const added = mergedEnd - mergedStart - covered;
    starts.splice(first, last - first, mergedStart);
    ends.splice(first, last - first, mergedEnd);
    this.total += added;
    return added;
  }

  /** Removes everything below `floor` (the floor moved past it). */
  removeBelow(floor: number): void {
    const starts = this.starts;
    const ends = this.ends;
    let drop = 0;
    while (drop < starts.length && ends[drop]! <= floor) {
      this.total -= ends[drop]! - starts[drop]!;
      drop++;
    }
    if (drop > 0) {
      starts.splice(0, drop);
      ends.splice(0, drop);
    }
    if (starts.length > 0 && starts[0]! < floor) {
      this.total -= floor - starts[0]!;
      starts[0] = floor;
    }
    assert.ok(this.total >= 0, 'range set count went negative');
  }

  /** Offsets of the set in [from, to). */
  countIn(from: number, to: number): number {
    let count = 0;
    let i = this.indexOfRangeAtOrBefore(from);
    if (i < 0) i = 0;
    for (; i < this.starts.length && this.starts[i]! < to; i++) {
      const s = Math.max(from, this.starts[i]!);
      const e = Math.min(to, this.ends[i]!);
      if (e > s) count += e - s;
    }
    return count;
  }

  /** The first offset >= `from` that is not in the set. */
  nextGap(from: number): number {
    const i = this.indexOfRangeAtOrBefore(from);
    if (i >= 0 && from < this.ends[i]!) return this.ends[i]!;
    return from;
  }

  clear(): void {
    this.starts = [];
    this.ends = [];
    this.total = 0;
  }

  /** Index of the last range starting at or before `offset`, or -1. */
  private indexOfRangeAtOrBefore(offset: number): number {
    const starts = this.starts;
    let low = 0;
    let high = starts.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (starts[mid]! <= offset) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }
}
