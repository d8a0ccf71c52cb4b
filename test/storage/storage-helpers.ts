/** Shared pieces of the storage engine's tests: temp dirs, a counting file system, readers. */
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { RecordingLogger } from '../../src/common/logger.ts';
import { CLEAN_SHUTDOWN_MARKER, RECOVERY_POINT_CHECKPOINT } from '../../src/storage/file-names.ts';
import { type LogManagerTuning, openLogManager } from '../../src/storage/log-manager.ts';
import { NodeFileSystem } from '../../src/storage/node-file-system.ts';
import type { FileSystem, LogConfig, LogManager, OpenMode, PartitionLog, StorageFile } from '../../src/storage/types.ts';
import { parseBatches, type StoredBatch } from './batch-fixtures.ts';

export async function tempDir(t: TestContext, base = os.tmpdir()): Promise<string> {
  const dir = await mkdtemp(path.join(base, 'ferry-storage-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A FileSystem over the real one that counts what storage does, and can slow syncs down. */
export class CountingFileSystem implements FileSystem {
  readonly inner = new NodeFileSystem();
  syncs = 0;
  syncsCompleted = 0;
  syncDirs = 0;
  writes = 0;
  opens = 0;
  openNow = 0;
  maxOpenNow = 0;
  /** Delay added to every file sync, so concurrent appends pile up behind it. */
  syncDelayMs = 0;
  /** Every file sync fails with EIO while set. */
  failSyncs = false;
  /** The next this many writes to a `.log` file fail with ENOSPC (after writing half). */
  failLogWrites = 0;
  /** Called before every positional read; may delay it. */
  beforeRead: ((filePath: string) => Promise<void>) | null = null;

  async open(filePath: string, mode: OpenMode): Promise<StorageFile> {
    const file = await this.inner.open(filePath, mode);
    this.opens++;
    this.openNow++;
    this.maxOpenNow = Math.max(this.maxOpenNow, this.openNow);
    return {
      path: file.path,
      read: async (target, targetOffset, length, position) => {
        if (this.beforeRead !== null) await this.beforeRead(filePath);
        return file.read(target, targetOffset, length, position);
      },
      write: async (data, position) => {
        this.writes++;
        if (this.failLogWrites > 0 && filePath.endsWith('.log')) {
          this.failLogWrites--;
          await file.write(data.subarray(0, data.length >>> 1), position);
          throw Object.assign(new Error(`ENOSPC: no space left on device, write '${filePath}'`), { code: 'ENOSPC' });
        }
        return file.write(data, position);
      },
      sync: async () => {
        this.syncs++;
        if (this.syncDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.syncDelayMs));
        if (this.failSyncs) throw Object.assign(new Error(`EIO: i/o error, fsync '${filePath}'`), { code: 'EIO' });
        await file.sync();
        this.syncsCompleted++;
      },
      truncate: (length) => file.truncate(length),
      size: () => file.size(),
      close: async () => {
        this.openNow--;
        await file.close();
      },
    };
  }
  readFile(filePath: string): Promise<Buffer> {
    return this.inner.readFile(filePath);
  }
  writeFileAtomic(filePath: string, data: Buffer): Promise<void> {
    return this.inner.writeFileAtomic(filePath, data);
  }
  exists(filePath: string): Promise<boolean> {
    return this.inner.exists(filePath);
  }
  mkdir(filePath: string): Promise<void> {
    return this.inner.mkdir(filePath);
  }
  readdir(filePath: string): Promise<string[]> {
    return this.inner.readdir(filePath);
  }
  unlink(filePath: string): Promise<void> {
    return this.inner.unlink(filePath);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  removeDir(filePath: string): Promise<void> {
    return this.inner.removeDir(filePath);
  }
  async syncDir(filePath: string): Promise<void> {
    this.syncDirs++;
    return this.inner.syncDir(filePath);
  }
}

/** Small segments and no fsync: fast tests that still roll and index. */
export const SMALL: Partial<LogConfig> = { segmentBytes: 1024, indexIntervalBytes: 128, flush: { kind: 'none' } };

export interface Harness {
  dataDir: string;
  logger: RecordingLogger;
  open(options?: Partial<Parameters<typeof openLogManager>[0]> & LogManagerTuning): Promise<LogManager>;
}

export async function harness(t: TestContext, defaults: Partial<LogConfig> = SMALL, baseDir = os.tmpdir()): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(baseDir, 'ferry-storage-'));
  const logger = new RecordingLogger();
  const opened: LogManager[] = [];
  // One hook, in this order: background work of an open manager (a closed segment's sync, its
  // index files) must be over before the directory goes.
  t.after(async () => {
    for (const manager of opened) await manager.close().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    logger,
    async open(options = {}) {
      const manager = await openLogManager({ dataDir, logger, defaults, ...options });
      opened.push(manager);
      return manager;
    },
  };
}

/** After a clean close, makes the directory look like the process was killed instead. */
export async function forgetCleanShutdown(dataDir: string, options: { dropRecoveryPoints?: boolean } = {}): Promise<void> {
  await unlink(path.join(dataDir, CLEAN_SHUTDOWN_MARKER));
  if (options.dropRecoveryPoints === true) await unlink(path.join(dataDir, RECOVERY_POINT_CHECKPOINT));
}

/** Every batch from the log start to the log end, following reads as a consumer would. */
export async function readAll(log: PartitionLog, maxBytes = 4096): Promise<StoredBatch[]> {
  const out: StoredBatch[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { data } = await log.read(offset, maxBytes);
    const batches = parseBatches(data);
    if (batches.length === 0) throw new Error(`empty read at ${offset} below ${log.logEndOffset}`);
    out.push(...batches);
    offset = batches.at(-1)!.lastOffset + 1;
  }
  return out;
}

export function segmentFiles(dir: string, names: string[], suffix: string): string[] {
  return names
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => path.join(dir, name));
}
