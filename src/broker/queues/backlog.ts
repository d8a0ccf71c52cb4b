import type { PartitionLog } from '../../storage/types.ts';
import type { BacklogLimits, TopicQueuePolicy } from './types.ts';

/** A subscription's own limits, else its topic's; null when neither limits anything. */
export function effectiveLimits(own: BacklogLimits | null, policy: TopicQueuePolicy): BacklogLimits | null {
  return own ?? policy.limits ?? null;
}

/**
 * Average stored bytes per record of a partition: byte limits are checked against record counts
 * times this (the broker does not keep the size of each record; whole segments are what it
 * knows). 0 when the log is empty.
 */
export function averageRecordBytes(log: PartitionLog): number {
  const records = log.logEndOffset - log.logStartOffset;
  return records > 0 ? log.sizeBytes() / records : 0;
}

/** Records above the limits once `incomingRecords` (of `incomingBytes`) are added to `backlog`. */
export function excessRecords(
  backlog: number,
  incomingRecords: number,
  limits: BacklogLimits,
  log: PartitionLog,
  incomingBytes = 0,
): number {
  let excess = limits.maxRecords === undefined ? 0 : backlog + incomingRecords - limits.maxRecords;
  if (limits.maxBytes !== undefined) {
    const average = averageRecordBytes(log);
    const perRecord = average > 0 ? average : incomingRecords > 0 ? incomingBytes / incomingRecords : 0;
    if (perRecord > 0) {
      const bytes = backlog * perRecord + (incomingBytes > 0 ? incomingBytes : incomingRecords * perRecord);
      excess = Math.max(excess, Math.ceil((bytes - limits.maxBytes) / perRecord));
    }
  }
  return Math.max(0, excess);
}
