/**
 * The storage layer's public contract (DESIGN.md section 2: storage stores batches and knows
 * nothing of networks, protocols or what a topic means). The broker and the tests code against
 * these types; src/storage/ implements them.
 *
 * Offsets, timestamps and sizes are `number`: exact to 2^53.
 */
import type { Logger } from '../common/logger.ts';

// ---------------------------------------------------------------------------------------------
// The file interface. Every byte storage reads or writes goes through it, so a test can put a
// fault layer underneath (simulated power cut: keep only what was fsynced, tear the last write).

export interface StorageFile {
  readonly path: string;
  /** Reads into `target[targetOffset ..]` up to `length` bytes from `position`; returns bytes read. */
  read(target: Buffer, targetOffset: number, length: number, position: number): Promise<number>;
  /** Writes all of `data` at `position`. */
  write(data: Buffer, position: number): Promise<void>;
  /** Optional gathered write: all of `data`, back to back, at `position` (pwritev). Storage
   *  uses it to write appends queued together without copying them into one buffer; a file
   *  without it gets the concatenation through `write`. */
  writev?(data: readonly Buffer[], position: number): Promise<void>;
  /** Optional: writes all of `data`, back to back, at `position` on the calling thread and
   *  returns true, or writes nothing and returns false when `totalBytes` is above the file
   *  system's bound for such writes. Throws on an I/O error. Storage uses it for small appends
   *  under flush `always` (one thread-pool hop, the fdatasync, instead of two). */
  tryWriteSync?(data: readonly Buffer[], position: number, totalBytes: number): boolean;
  /** fdatasync: resolves when everything written so far is on stable storage. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export type OpenMode = 'read' | 'readWrite' | 'create';

export interface FileSystem {
  /** `create` makes the file if missing (never truncates); `read`/`readWrite` need it to exist. */
  open(path: string, mode: OpenMode): Promise<StorageFile>;
  readFile(path: string): Promise<Buffer>;
  /** Atomic replace: write a temp file, fsync it, rename over `path`, fsync the directory. */
  writeFileAtomic(path: string, data: Buffer): Promise<void>;
  exists(path: string): Promise<boolean>;
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a directory and everything in it. */
  removeDir(path: string): Promise<void>;
  /** fsync a directory, so that creates, renames and unlinks in it are durable. */
  syncDir(path: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Log configuration (per partition log; the broker derives it from the topic config).

export type FlushPolicy =
  /** Group commit: an append resolves only after its bytes are fdatasync'ed. */
  | { kind: 'always' }
  /** fdatasync at most every `intervalMs`; appends resolve once written to the page cache. */
  | { kind: 'interval'; intervalMs: number }
  /** Never fsync explicitly (page cache, the OS decides). */
  | { kind: 'none' };

export interface LogConfig {
  /** Roll the active segment at this size. Kafka `segment.bytes`, default 1 GiB. */
  segmentBytes: number;
  /** Roll the active segment at this age. Kafka `segment.ms`, default 7 days. */
  segmentMs: number;
  /** One sparse index entry every this many bytes. Kafka `index.interval.bytes`, default 4096. */
  indexIntervalBytes: number;
  /** Delete closed segments older than this; -1 keeps forever. Default 7 days. */
  retentionMs: number;
  /** Delete oldest closed segments while the log is larger than this; -1 = no limit. */
  retentionBytes: number;
  /** Largest batch accepted. Kafka `max.message.bytes`, default 1 MiB + overhead. */
  maxBatchBytes: number;
  flush: FlushPolicy;
  /** `CreateTime` keeps the producer's timestamps; `LogAppendTime` stamps the broker's clock. */
  timestampType: 'CreateTime' | 'LogAppendTime';
}

// ---------------------------------------------------------------------------------------------
// One partition's log.

export interface AppendOptions {
  /** Leader epoch stamped into each batch's partitionLeaderEpoch (and the epoch cache). */
  leaderEpoch?: number;
}

export interface AppendResult {
  /** Offset of the first record of the first batch appended. */
  baseOffset: number;
  /** Offset of the last record of the last batch appended. */
  lastOffset: number;
  /** The broker's clock at append (what LogAppendTime topics stamp). */
  logAppendTimeMs: number;
  /** Total bytes written. */
  sizeBytes: number;
  batchCount: number;
}

export interface ReadOptions {
  /** Exclusive upper bound: no batch starting at or above it is returned (the high watermark). */
  maxOffset?: number;
}

export interface ReadResult {
  /** Whole stored batches, concatenated, starting with the one that holds the offset asked for;
   *  the first batch may start before that offset (the reader skips records below it). Empty
   *  when nothing is there yet. At least one whole batch is returned if there is one, even when
   *  it is larger than maxBytes, so a consumer can never be stuck behind a big batch. */
  data: Buffer;
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
}

export interface TimestampOffset {
  offset: number;
  timestamp: number;
}

export interface EpochEndOffset {
  epoch: number;
  /** Start offset of the next larger epoch, or the log end offset for the latest epoch. */
  endOffset: number;
}

export interface PartitionLog {
  readonly topic: string;
  readonly partition: number;
  /** `<dataDir>/<topic>-<partition>` */
  readonly dir: string;
  readonly logStartOffset: number;
  /** Offset the next appended record gets. */
  readonly logEndOffset: number;
  /** Last offset consumers may read, exclusive; kept apart from the log end offset for
   *  replication. On a single node the broker sets it after each durable append. */
  readonly highWatermark: number;
  /** True when a closed segment is corrupt: every call then throws PARTITION_OFFLINE. */
  readonly isOffline: boolean;
  readonly config: LogConfig;

  /**
   * Appends one or more whole v2 batches lying back to back in `batches`. Each is checked
   * (magic, length, CRC, size limit); on any failure nothing is written and a FerryError
   * (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE) is thrown. Offsets are assigned by patching each batch
   * header in place. Resolves according to the flush policy. Appends are applied in call order.
   */
  append(batches: Buffer, options?: AppendOptions): Promise<AppendResult>;
  /** Whole batches from `offset` up to about `maxBytes`. Below the log start offset or above
   *  the log end offset: OFFSET_OUT_OF_RANGE. At the log end offset: empty data. */
  read(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult>;
  /** The earliest offset whose batch max timestamp is >= `timestampMs`, or null if none. */
  offsetForTimestamp(timestampMs: number): Promise<TimestampOffset | null>;
  setHighWatermark(offset: number): void;
  /** Removes every record at or above `offset` (replication: a follower truncating to the
   *  leader's epoch boundary). Batches are removed whole: `offset` must be a batch boundary
   *  or the log end offset, otherwise the enclosing batch is removed too. */
  truncateTo(offset: number): Promise<void>;
  /** Advances the log start offset to `offset` (Kafka DeleteRecords); whole segments below it
   *  are deleted. Returns the new log start offset. */
  deleteRecordsBefore(offset: number): Promise<number>;
  /** Leader epoch cache, checkpointed in `leader-epoch-checkpoint`. */
  assignEpoch(epoch: number, startOffset: number): Promise<void>;
  latestEpoch(): number;
  endOffsetForEpoch(epoch: number): EpochEndOffset;
  /** Bytes on disk across all segments of this log. */
  sizeBytes(): number;
  /** Forces everything appended so far to disk. */
  flush(): Promise<void>;
  /** Changes retention / roll / flush settings in place. */
  updateConfig(config: Partial<LogConfig>): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// All logs of one data directory.

export interface LogManagerOptions {
  dataDir: string;
  fs?: FileSystem;
  logger?: Logger;
  /** Defaults for logs created without a full config. */
  defaults?: Partial<LogConfig>;
  /** Bound on file descriptors held open across all logs (an LRU closes the rest). Default 4096. */
  maxOpenFiles?: number;
  /** How often the retention task runs. Default 5 minutes (Kafka's log.retention.check.interval.ms). */
  retentionCheckIntervalMs?: number;
  /** Injectable clock, for retention and segment.ms tests. */
  now?: () => number;
}

export interface LogManager {
  readonly dataDir: string;
  /** True when the last stop was clean (marker found at open). */
  readonly wasCleanShutdown: boolean;
  getLog(topic: string, partition: number): PartitionLog | undefined;
  /** Opens the log if it exists on disk, or creates it. */
  createLog(topic: string, partition: number, config?: Partial<LogConfig>): Promise<PartitionLog>;
  deleteLog(topic: string, partition: number): Promise<void>;
  logs(): IterableIterator<PartitionLog>;
  /** Runs retention on every log now (the background task calls this). */
  enforceRetention(): Promise<void>;
  /** Flushes every log, writes the clean-shutdown marker, closes files. */
  close(): Promise<void>;
}
