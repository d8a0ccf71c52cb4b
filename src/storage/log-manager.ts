import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ErrorCode, FerryError } from '../common/errors.ts';
import { createLogger, type Logger } from '../common/logger.ts';
import { encodeCheckpoint, parseCheckpointNumber, readCheckpoint } from './checkpoint-file.ts';
import { DirSync } from './dir-sync.ts';
import { FilePool } from './file-pool.ts';
import {
  CLEAN_SHUTDOWN_MARKER,
  DELETING_DIR_SUFFIX,
  isTempFileName,
  isValidPartition,
  isValidTopicName,
  logDirName,
  parseLogDirName,
  RECOVERY_POINT_CHECKPOINT,
} from './file-names.ts';
import { IndexCache } from './index-cache.ts';
import { DEFAULT_LOG_CONFIG, resolveLogConfig } from './log-config.ts';
import { NodeFileSystem } from './node-file-system.ts';
import { OfflinePartitionLog } from './offline-log.ts';
import type { FerryPartitionLog, PartitionLogEnv } from './partition-log.ts';
import { ReadBufferPool } from './read-buffers.ts';
import { TailCachePool } from './tail-cache.ts';
import { loadPartitionLog } from './recovery.ts';
import type { FileSystem, LogConfig, LogManager, LogManagerOptions, PartitionLog } from './types.ts';

/** Storage tuning beyond the shared contract; every field optional with a documented default. */

/** Data-directory entries with this prefix that are not logs are owned by higher layers. */
const RESERVED_ENTRY_PREFIX = '__';
export interface LogManagerTuning {
  /** How often the recovery-point checkpoint is written. Default 60 s (Kafka's
   *  log.flush.offset.checkpoint.interval.ms). */
  checkpointIntervalMs?: number;
  /** Memory for the indexes of closed segments across all logs; least recently used ones are
   *  unloaded beyond it. Default 64 MiB. */
  maxIndexCacheBytes?: number;
  /** Logs opened (at start) or closed (at stop) at the same time. Default 16. */
  openConcurrency?: number;
  /** Recent appends kept in memory per partition for tailing reads (tail-cache.ts). Default 1 MiB; 0 = off. */
  tailCacheMaxBytesPerPartition?: number;
  /** The same across all partitions; the least recently appended lose theirs first. Default 8 MiB. */
  tailCacheMaxBytes?: number;
}

export const DEFAULT_MAX_OPEN_FILES = 4096;
export const DEFAULT_RETENTION_CHECK_INTERVAL_MS = 5 * 60 * 1000;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60 * 1000;
export const DEFAULT_MAX_INDEX_CACHE_BYTES = 64 * 1024 * 1024;
const DEFAULT_OPEN_CONCURRENCY = 16;
const MARKER_HEADER = 'clean';

type AnyLog = FerryPartitionLog | OfflinePartitionLog;

/** Opens every `<topic>-<partition>` directory of `options.dataDir`, recovering after an
 *  unclean stop, and starts the retention task. */
export async function openLogManager(options: LogManagerOptions & LogManagerTuning): Promise<LogManager> {
  const manager = new FerryLogManager(options);
  await manager.open();
  return manager;
}

async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class FerryLogManager implements LogManager {
  readonly dataDir: string;
  private isClean = false;
  private readonly fs: FileSystem;
  private readonly logger: Logger;
  private readonly defaults: LogConfig;
  private readonly env: PartitionLogEnv;
  private readonly pool: FilePool;
  private readonly retentionCheckIntervalMs: number;
  private readonly checkpointIntervalMs: number;
  private readonly openConcurrency: number;
  private readonly byName = new Map<string, AnyLog>();
  private readonly pending = new Map<string, Promise<AnyLog>>();
  private retentionTimer: NodeJS.Timeout | null = null;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private retentionRun: Promise<void> | null = null;
  private checkpointRun: Promise<void> | null = null;
  private lastRecoveryPoints: Buffer | null = null;
  private isClosed = false;

  constructor(options: LogManagerOptions & LogManagerTuning) {
    this.dataDir = options.dataDir;
    this.fs = options.fs ?? new NodeFileSystem();
    this.logger = options.logger ?? createLogger({ name: 'ferry-storage' });
    this.defaults = resolveLogConfig(DEFAULT_LOG_CONFIG, options.defaults);
    this.retentionCheckIntervalMs = options.retentionCheckIntervalMs ?? DEFAULT_RETENTION_CHECK_INTERVAL_MS;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    this.openConcurrency = options.openConcurrency ?? DEFAULT_OPEN_CONCURRENCY;
    this.pool = new FilePool(this.fs, options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES, this.logger);
    this.env = {
      fs: this.fs,
      pool: this.pool,
      logger: this.logger,
      indexCache: new IndexCache(options.maxIndexCacheBytes ?? DEFAULT_MAX_INDEX_CACHE_BYTES),
      buffers: new ReadBufferPool(),
      tailCache: new TailCachePool({
        maxBytesPerPartition: options.tailCacheMaxBytesPerPartition,
        maxBytes: options.tailCacheMaxBytes,
      }),
      now: options.now ?? Date.now,
      dataDirSync: new DirSync(this.fs, this.dataDir),
    };
  }

  get wasCleanShutdown(): boolean {
    return this.isClean;
  }

  /** Descriptors held open right now (bounded by maxOpenFiles). */
  get openFileCount(): number {
    return this.pool.openFileCount;
  }

  async open(): Promise<void> {
    await this.fs.mkdir(this.dataDir);
    const markerPath = path.join(this.dataDir, CLEAN_SHUTDOWN_MARKER);
    const needRecovery = await this.readCleanShutdownMarker(markerPath);
    this.isClean = needRecovery !== null;
    const recoveryPoints = await this.readRecoveryPoints();
    if (this.isClean) {
      // From here on a crash must count as unclean: the marker goes before anything is written.
      await this.fs.unlink(markerPath);
      await this.fs.syncDir(this.dataDir);
    }
    const found: { name: string; topic: string; partition: number }[] = [];
    for (const name of await this.fs.readdir(this.dataDir)) {
      if (name === CLEAN_SHUTDOWN_MARKER || name === RECOVERY_POINT_CHECKPOINT) continue;
      const entryPath = path.join(this.dataDir, name);
      if (isTempFileName(name)) {
        await this.fs.unlink(entryPath).catch(() => {});
        continue;
      }
      if (name.endsWith(DELETING_DIR_SUFFIX)) {
        this.logger.info({ dir: entryPath }, 'finishing the removal of a deleted log');
        await this.fs.removeDir(entryPath);
        continue;
      }
      const parsed = parseLogDirName(name);
      if (parsed === null) {
        // Names starting with `__` that are not `<topic>-<partition>` belong to the layers above
        // (the broker's `__cluster_metadata`): expected, so not worth a warning at every start.
        if (name.startsWith(RESERVED_ENTRY_PREFIX)) {
          this.logger.debug({ file: entryPath }, 'leaving a reserved data directory entry to the layers above');
          continue;
        }
        this.logger.warn({ file: entryPath }, 'ignoring an entry of the data directory that is not a log');
        continue;
      }
      found.push({ name, ...parsed });
    }
    await forEachLimited(found, this.openConcurrency, async ({ name, topic, partition }) => {
      const isLogClean = this.isClean && needRecovery?.has(name) !== true;
      this.byName.set(name, await this.load(topic, partition, this.defaults, isLogClean, recoveryPoints.get(name) ?? null));
    });
    this.logger.info(
      { dataDir: this.dataDir, logs: this.byName.size, wasCleanShutdown: this.isClean },
      this.isClean
        ? 'opened logs after a clean shutdown'
        : found.length === 0
          ? 'opened a data directory with no logs'
          : 'recovered logs after an unclean shutdown',
    );
    await this.writeRecoveryPoints();
    this.startTimers();
  }

  private async load(
    topic: string,
    partition: number,
    config: LogConfig,
    isCleanShutdown: boolean,
    recoveryPoint: number | null,
  ): Promise<AnyLog> {
    const dir = path.join(this.dataDir, logDirName(topic, partition));
    try {
      return await loadPartitionLog({ env: this.env, dir, topic, partition, config, isCleanShutdown, recoveryPoint });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.logger.error({ dir, err: error }, 'could not open a log: it stays offline');
      return new OfflinePartitionLog(topic, partition, dir, config, code === 'ENOTDIR' ? 'not a directory' : 'could not be opened');
    }
  }

  private startTimers(): void {
    this.retentionTimer = setInterval(() => {
      if (this.retentionRun === null) void this.enforceRetention();
    }, this.retentionCheckIntervalMs);
    this.retentionTimer.unref();
    this.checkpointTimer = setInterval(() => {
      if (this.checkpointRun === null) void this.writeRecoveryPoints().catch(() => {});
    }, this.checkpointIntervalMs);
    this.checkpointTimer.unref();
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.byName.get(logDirName(topic, partition));
  }

  async createLog(topic: string, partition: number, config?: Partial<LogConfig>): Promise<PartitionLog> {
    this.throwIfClosed();
    if (!isValidTopicName(topic))
      throw new FerryError(ErrorCode.INVALID_TOPIC, `topic name ${JSON.stringify(topic)} is invalid`, { topic });
    if (!isValidPartition(partition)) {
      throw new FerryError(ErrorCode.INVALID_PARTITIONS, `partition ${partition} is invalid`, { topic, partition });
    }
    const name = logDirName(topic, partition);
    const existing = this.byName.get(name);
    if (existing !== undefined) {
      if (config !== undefined && !existing.isOffline) existing.updateConfig(config);
      return existing;
    }
    let creating = this.pending.get(name);
    if (creating === undefined) {
      const resolved = resolveLogConfig(this.defaults, config);
      this.env.dataDirSync.markChanged();
      creating = this.load(topic, partition, resolved, false, null);
      this.pending.set(name, creating);
      try {
        const log = await creating;
        this.byName.set(name, log);
        return log;
      } finally {
        this.pending.delete(name);
      }
    }
    return creating;
  }

  async deleteLog(topic: string, partition: number): Promise<void> {
    this.throwIfClosed();
    const name = logDirName(topic, partition);
    await this.pending.get(name)?.catch(() => {});
    const log = this.byName.get(name);
    if (log === undefined) return;
    this.byName.delete(name);
    await log.close();
    const dir = path.join(this.dataDir, name);
    const doomed = path.join(this.dataDir, `${name}.${randomBytes(4).toString('hex')}${DELETING_DIR_SUFFIX}`);
    await this.fs.rename(dir, doomed);
    await this.fs.syncDir(this.dataDir);
    await this.fs.removeDir(doomed);
    this.logger.info({ topic, partition }, 'deleted a log');
  }

  logs(): IterableIterator<PartitionLog> {
    return this.byName.values();
  }

  async enforceRetention(): Promise<void> {
    if (this.retentionRun !== null) return this.retentionRun;
    const run = (async () => {
      const nowMs = this.env.now();
      for (const log of [...this.byName.values()]) {
        if (this.isClosed) break;
        if (log.isOffline || !('enforceRetention' in log)) continue;
        try {
          await log.enforceRetention(nowMs);
        } catch (error) {
          this.logger.warn({ topic: log.topic, partition: log.partition, err: error }, 'retention failed for a log');
        }
      }
    })();
    this.retentionRun = run;
    try {
      await run;
    } finally {
      this.retentionRun = null;
    }
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    if (this.checkpointTimer !== null) clearInterval(this.checkpointTimer);
    await this.retentionRun?.catch(() => {});
    await this.checkpointRun?.catch(() => {});
    await Promise.allSettled(this.pending.values());
    const logs = [...this.byName.values()];
    await forEachLimited(logs, this.openConcurrency, (log) => log.close());
    await this.writeRecoveryPoints();
    // The marker names the logs that did not close cleanly (offline, failed flush): the next
    // start recovers those as after a crash, and trusts the others.
    const unclean: string[] = [];
    for (const [name, log] of this.byName) if (!('wasClosedCleanly' in log && log.wasClosedCleanly)) unclean.push(name);
    if (unclean.length > 0)
      this.logger.warn({ dataDir: this.dataDir, logs: unclean }, 'some logs did not close cleanly: the next start recovers them');
    await this.fs.writeFileAtomic(path.join(this.dataDir, CLEAN_SHUTDOWN_MARKER), Buffer.from([MARKER_HEADER, ...unclean, ''].join('\n')));
    this.byName.clear();
  }

  /** null when there is no marker (unclean stop); else the logs it says still need recovery. */
  private async readCleanShutdownMarker(markerPath: string): Promise<Set<string> | null> {
    let data: Buffer;
    try {
      data = await this.fs.readFile(markerPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const lines = data.toString('utf8').split('\n');
    if (lines[0] !== MARKER_HEADER) {
      this.logger.warn({ file: markerPath }, 'clean shutdown marker is unreadable: recovering every log');
      return null;
    }
    return new Set(lines.slice(1).filter((line) => line !== ''));
  }

  private throwIfClosed(): void {
    if (this.isClosed) throw new FerryError(ErrorCode.LOG_CLOSED, `log manager for ${this.dataDir} is closed`);
  }

  private async readRecoveryPoints(): Promise<Map<string, number>> {
    const filePath = path.join(this.dataDir, RECOVERY_POINT_CHECKPOINT);
    const points = new Map<string, number>();
    try {
      for (const [name, offset] of (await readCheckpoint(this.fs, filePath, 2)) ?? []) {
        const value = parseCheckpointNumber(offset!);
        if (Number.isSafeInteger(value) && value >= 0) points.set(name!, value);
      }
    } catch (error) {
      // Without it, recovery checks every segment: slower, never wrong.
      this.logger.warn({ file: filePath, err: error }, 'recovery point checkpoint is unreadable: ignoring it');
      points.clear();
    }
    return points;
  }

  /** Offsets below which each log is on disk. Offline logs are left out: the next start then
   *  checks every one of their segments again. */
  private async writeRecoveryPoints(): Promise<void> {
    const entries: [string, number][] = [];
    for (const [name, log] of this.byName) {
      if (!log.isOffline && 'recoveryPoint' in log) entries.push([name, log.recoveryPoint]);
    }
    const data = encodeCheckpoint(entries);
    // An idle broker rewrites nothing: the timer finds the same points as last time.
    if (this.lastRecoveryPoints?.equals(data) === true) return;
    const run = this.fs.writeFileAtomic(path.join(this.dataDir, RECOVERY_POINT_CHECKPOINT), data);
    this.checkpointRun = run;
    try {
      await run;
      this.lastRecoveryPoints = data;
    } finally {
      this.checkpointRun = null;
    }
  }
}
