import type { EpochEndOffset } from './types.ts';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

/**
 * Leader epoch -> first offset written in it (Kafka's LeaderEpochFileCache, KIP-101/279): how a
 * follower finds where its log diverged from a new leader's. Epochs and start offsets both
 * increase strictly along the list. The owner checkpoints `entries` after every change.
 */
export class LeaderEpochCache {
  private list: EpochEntry[];

  constructor(entries: readonly EpochEntry[] = []) {
    this.list = [];
    for (const entry of entries) this.assign(entry.epoch, entry.startOffset);
  }

  get entries(): readonly EpochEntry[] {
    return this.list;
  }

  latestEpoch(): number {
    return this.list.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /** Records that `epoch` starts at `startOffset`; returns whether anything changed. Entries
   *  that contradict it (same or higher epoch, same or higher start) are dropped, as Kafka does. */
  assign(epoch: number, startOffset: number): boolean {
    if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(startOffset) || startOffset < 0) return false;
    const latest = this.list.at(-1);
    if (latest !== undefined && latest.epoch === epoch && latest.startOffset <= startOffset) return false;
    this.list = this.list.filter((entry) => entry.epoch < epoch && entry.startOffset < startOffset);
    this.list.push({ epoch, startOffset });
    return true;
  }

  /** Kafka's OffsetsForLeaderEpoch answer: the largest epoch <= `epoch` and the start offset of
   *  the first epoch above it (the log end offset for the latest epoch); (-1, -1) if unknown. */
  endOffsetFor(epoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (epoch === UNDEFINED_EPOCH || this.list.length === 0) return undefinedAnswer;
    const latest = this.list.at(-1)!;
    if (epoch === latest.epoch) return { epoch, endOffset: logEndOffset };
    const higherIndex = this.list.findIndex((entry) => entry.epoch > epoch);
    if (higherIndex < 0) return undefinedAnswer;
    const higher = this.list[higherIndex]!;
    if (higherIndex === 0) return { epoch, endOffset: higher.startOffset };
    return { epoch: this.list[higherIndex - 1]!.epoch, endOffset: higher.startOffset };
  }

  /** The log was cut to end at `endOffset`: epochs starting at or after it are gone. */
  truncateFromEnd(endOffset: number): boolean {
    const kept = this.list.filter((entry) => entry.startOffset < endOffset);
    if (kept.length === this.list.length) return false;
    this.list = kept;
    return true;
  }

  /** The log now starts at `startOffset`: the epoch in force there starts there. */
  truncateFromStart(startOffset: number): boolean {
    let lastBelow = -1;
    for (let i = 0; i < this.list.length; i++) if (this.list[i]!.startOffset <= startOffset) lastBelow = i;
    if (lastBelow < 0) return false;
    const entry = this.list[lastBelow]!;
    if (lastBelow === 0 && entry.startOffset === startOffset) return false;
    this.list = [{ epoch: entry.epoch, startOffset }, ...this.list.slice(lastBelow + 1)];
    return true;
  }

  clear(): boolean {
    if (this.list.length === 0) return false;
    this.list = [];
    return true;
  }
}
