import { ErrorCode, FerryError } from '../common/errors.ts';
import type { AppendResult, EpochEndOffset, LogConfig, PartitionLog, ReadResult, TimestampOffset } from './types.ts';

/**
 * Stands in for a log that could not even be opened (its directory unreadable, an I/O error at
 * recovery): it is listed, reports itself offline, and refuses every call, while every other
 * partition of the data directory works.
 */
export class OfflinePartitionLog implements PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly config: LogConfig;
  readonly logStartOffset = 0;
  readonly logEndOffset = 0;
  readonly highWatermark = 0;
  readonly isOffline = true;
  private readonly error: FerryError;

  constructor(topic: string, partition: number, dir: string, config: LogConfig, reason: string) {
    this.topic = topic;
    this.partition = partition;
    this.dir = dir;
    this.config = config;
    this.error = new FerryError(ErrorCode.PARTITION_OFFLINE, `partition ${topic}-${partition} is offline: ${reason}`, {
      topic,
      partition,
    });
  }

  private fail(): never {
    throw this.error;
  }

  append(): Promise<AppendResult> {
    return Promise.reject(this.error);
  }
  read(): Promise<ReadResult> {
    return Promise.reject(this.error);
  }
  offsetForTimestamp(): Promise<TimestampOffset | null> {
    return Promise.reject(this.error);
  }
  setHighWatermark(): void {
    this.fail();
  }
  truncateTo(): Promise<void> {
    return Promise.reject(this.error);
  }
  deleteRecordsBefore(): Promise<number> {
    return Promise.reject(this.error);
  }
  assignEpoch(): Promise<void> {
    return Promise.reject(this.error);
  }
  latestEpoch(): number {
    return this.fail();
  }
  endOffsetForEpoch(): EpochEndOffset {
    return this.fail();
  }
  sizeBytes(): number {
    return 0;
  }
  flush(): Promise<void> {
    return Promise.reject(this.error);
  }
  updateConfig(): void {
    this.fail();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
