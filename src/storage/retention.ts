import type { LogConfig } from './types.ts';

/** What retention needs to know of a closed segment. */
export interface RetainedSegment {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  /** Largest batch timestamp, -1 when unknown. */
  largestTimestamp(): Promise<number>;
}

export type RetentionReason = 'logStartOffset' | 'time' | 'size';

export interface RetentionDecision {
  /** How many of the oldest closed segments to delete. */
  count: number;
  reason: RetentionReason | null;
}

/**
 * Which prefix of the closed segments retention deletes (never the active one, and only whole
 * segments, oldest first, stopping at the first segment no rule applies to):
 * - below the log start offset: the next segment starts at or below it (DeleteRecords moved it);
 * - time: its largest timestamp is older than retentionMs (a segment with no timestamps is kept);
 * - size: the log is still larger than retentionBytes.
 * `closed[i + 1]` (or the active segment) bounds a segment's offsets: `nextBaseOffsets[i]`.
 */
export async function decideRetention(
  closed: readonly RetainedSegment[],
  nextBaseOffsets: readonly number[],
  totalBytes: number,
  config: Pick<LogConfig, 'retentionMs' | 'retentionBytes'>,
  nowMs: number,
  logStartOffset: number,
): Promise<RetentionDecision> {
  let count = 0;
  let reason: RetentionReason | null = null;
  let remainingBytes = totalBytes;
  for (let i = 0; i < closed.length; i++) {
    const segment = closed[i]!;
    let why: RetentionReason | null = null;
    if (nextBaseOffsets[i]! <= logStartOffset) why = 'logStartOffset';
    else if (config.retentionBytes >= 0 && remainingBytes > config.retentionBytes) why = 'size';
    else if (config.retentionMs >= 0) {
      const largest = await segment.largestTimestamp();
      if (largest >= 0 && nowMs - largest > config.retentionMs) why = 'time';
    }
    if (why === null) break;
    reason ??= why;
    remainingBytes -= segment.sizeBytes;
    count++;
  }
  return { count, reason };
}
