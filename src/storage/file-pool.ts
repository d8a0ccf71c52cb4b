import assert from 'node:assert/strict';
import { ErrorCode, FerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { Deque } from './deque.ts';
import type { FileSystem, OpenMode, StorageFile } from './types.ts';

/**
 * A bounded pool of open file handles shared by every log of a data directory, so that 10,000
 * partitions with several segments each fit under a modest `ulimit -n`.
 *
 * A `PooledFile` names a file; its descriptor is opened on first use and may be closed again
 * whenever it is idle and the pool needs the slot (least recently used first). A handle is
 * pinned for the duration of each call, never across calls, so every pinned handle is released
 * by a syscall that completes: eviction cannot deadlock. Linux syncs by inode, so a sync through
 * a reopened descriptor covers writes made through an evicted one.
 */
export class FilePool {
  readonly maxOpenFiles: number;
  private readonly fs: FileSystem;
  readonly logger: Logger;
  /** Descriptors open, opening or closing: never above maxOpenFiles. */
  private openCount = 0;
  /** Open and unpinned, least recently used first (Map keeps insertion order). */
  private readonly idle = new Map<PooledFile, true>();
  /** Opens waiting for a slot, first come first served. */
  private readonly waiters = new Deque<() => void>();

  constructor(fs: FileSystem, maxOpenFiles: number, logger: Logger) {
    assert.ok(Number.isSafeInteger(maxOpenFiles) && maxOpenFiles >= 1, 'maxOpenFiles must be a positive integer');
    this.fs = fs;
    this.maxOpenFiles = maxOpenFiles;
    this.logger = logger;
  }

  file(path: string, mode: OpenMode): PooledFile {
    return new PooledFile(this, path, mode);
  }

  get openFileCount(): number {
    return this.openCount;
  }

  /** @internal */
  async openHandle(path: string, mode: OpenMode): Promise<StorageFile> {
    await this.reserveSlot();
    try {
      return await this.fs.open(path, mode);
    } catch (error) {
      this.releaseSlot();
      throw error;
    }
  }

  private async reserveSlot(): Promise<void> {
    for (;;) {
      if (this.openCount < this.maxOpenFiles) {
        this.openCount++;
        return;
      }
      const victim = this.idle.keys().next();
      if (victim.done !== true) {
        this.idle.delete(victim.value);
        await victim.value.evict();
        continue;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** @internal */
  releaseSlot(): void {
    this.openCount--;
    assert.ok(this.openCount >= 0, 'file pool slot released twice');
    this.wake();
  }

  /** @internal The file is open and unpinned: it may be evicted from now on. */
  markIdle(file: PooledFile): void {
    this.idle.set(file, true);
    this.wake();
  }

  /** @internal */
  markBusy(file: PooledFile): void {
    this.idle.delete(file);
  }

  /** One slot freed or one file became evictable: one waiter can make progress. Waking them all
   *  would have thousands retry for every release when 10,000 logs open at once. */
  private wake(): void {
    this.waiters.shift()?.();
  }
}

export class PooledFile {
  path: string;
  private readonly pool: FilePool;
  /** `create` applies to the first open only; later reopens must find the file. */
  private mode: OpenMode;
  private handle: StorageFile | null = null;
  private opening: Promise<StorageFile> | null = null;
  private closing: Promise<void> | null = null;
  private pins = 0;
  private isClosed = false;
  private onUnpinned: (() => void) | null = null;

  constructor(pool: FilePool, path: string, mode: OpenMode) {
    this.pool = pool;
    this.path = path;
    this.mode = mode;
  }

  get isOpen(): boolean {
    return this.handle !== null;
  }

  private async acquire(): Promise<StorageFile> {
    if (this.isClosed) {
      throw new FerryError(ErrorCode.LOG_CLOSED, `file ${this.path} is closed`, { file: this.path });
    }
    this.pins++;
    const handle = this.handle;
    if (handle !== null) {
      if (this.pins === 1) this.pool.markBusy(this);
      return handle;
    }
    try {
      return await this.open();
    } catch (error) {
      this.release();
      throw error;
    }
  }

  private open(): Promise<StorageFile> {
    if (this.opening !== null) return this.opening;
    const opening = (async () => {
      // An eviction of the previous descriptor may still be closing it: never hold two.
      if (this.closing !== null) await this.closing;
      const handle = await this.pool.openHandle(this.path, this.mode);
      if (this.mode === 'create') this.mode = 'readWrite';
      this.handle = handle;
      return handle;
    })();
    this.opening = opening;
    void opening.then(
      () => {
        this.opening = null;
      },
      () => {
        this.opening = null;
      },
    );
    return opening;
  }

  private release(): void {
    this.pins--;
    assert.ok(this.pins >= 0, 'pooled file released more often than acquired');
    if (this.pins > 0) return;
    if (this.onUnpinned !== null) {
      const resume = this.onUnpinned;
      this.onUnpinned = null;
      resume();
    } else if (this.handle !== null) {
      this.pool.markIdle(this);
    }
  }

  /** @internal Called by the pool on an idle file to free its slot. */
  async evict(): Promise<void> {
    assert.equal(this.pins, 0, 'evicting a pinned file');
    const handle = this.handle;
    if (handle === null) return;
    this.handle = null;
    const closing = handle.close().then(
      () => {},
      (error: unknown) => this.pool.logger.warn({ file: this.path, err: error }, 'closing an evicted file failed'),
    );
    this.closing = closing;
    await closing;
    if (this.closing === closing) this.closing = null;
    this.pool.releaseSlot();
  }

  async read(target: Buffer, targetOffset: number, length: number, position: number): Promise<number> {
    const handle = await this.acquire();
    try {
      return await handle.read(target, targetOffset, length, position);
    } finally {
      this.release();
    }
  }

  /** Reads until `length` bytes or the end of the file; returns the bytes read. */
  async readFully(target: Buffer, targetOffset: number, length: number, position: number): Promise<number> {
    const handle = await this.acquire();
    try {
      let total = 0;
      while (total < length) {
        const bytesRead = await handle.read(target, targetOffset + total, length - total, position + total);
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      return total;
    } finally {
      this.release();
    }
  }

  /**
   * Pins the open handle now, without waiting a tick, or returns null (closed, or not open yet).
   * Writes use it to reach the thread pool before their caller's next synchronous work: the
   * writer checks a batch's CRC right after asking for its write, and an `await` here used to
   * put that check (0.25 ms per MiB) in front of the pwrite instead of beside it.
   */
  private acquireOpen(): StorageFile | null {
    const handle = this.handle;
    if (handle === null || this.isClosed) return null;
    if (++this.pins === 1) this.pool.markBusy(this);
    return handle;
  }

  /** Runs `start` on a pinned handle and releases the pin once its I/O settles, whatever the
   *  outcome; a file system that throws instead of rejecting still gets a rejection. */
  private releaseAfter(start: () => Promise<void>): Promise<void> {
    let io: Promise<void>;
    try {
      io = start();
    } catch (error) {
      this.release();
      return Promise.reject(error);
    }
    return io.then(
      () => this.release(),
      (error: unknown) => {
        this.release();
        throw error;
      },
    );
  }

  /** Issues the write before returning when the descriptor is open (see acquireOpen). */
  write(data: Buffer, position: number): Promise<void> {
    const handle = this.acquireOpen();
    if (handle === null) return this.writeWhenOpen(data, position);
    return this.releaseAfter(() => handle.write(data, position));
  }

  private async writeWhenOpen(data: Buffer, position: number): Promise<void> {
    const handle = await this.acquire();
    try {
      await handle.write(data, position);
    } finally {
      this.release();
    }
  }

  /** Writes `data` back to back at `position`: one pwritev when the file has it. Issued before
   *  returning when the descriptor is open (see acquireOpen). */
  writev(data: readonly Buffer[], position: number, totalBytes: number): Promise<void> {
    const handle = this.acquireOpen();
    if (handle === null) return this.writevWhenOpen(data, position, totalBytes);
    return this.releaseAfter(() => writeAll(handle, data, position, totalBytes));
  }

  private async writevWhenOpen(data: readonly Buffer[], position: number, totalBytes: number): Promise<void> {
    const handle = await this.acquire();
    try {
      await writeAll(handle, data, position, totalBytes);
    } finally {
      this.release();
    }
  }

  /**
   * Writes `data` at `position` on this thread and returns true when the descriptor is open and
   * its file writes `totalBytes` that way (StorageFile.tryWriteSync); otherwise writes nothing and
   * returns false, and the caller uses `write`/`writev`. Throws the write's error.
   */
  tryWriteSync(data: readonly Buffer[], position: number, totalBytes: number): boolean {
    const handle = this.acquireOpen();
    if (handle === null) return false;
    try {
      return handle.tryWriteSync?.(data, position, totalBytes) === true;
    } finally {
      this.release();
    }
  }

  async sync(): Promise<void> {
    const handle = await this.acquire();
    try {
      await handle.sync();
    } finally {
      this.release();
    }
  }

  async truncate(length: number): Promise<void> {
    const handle = await this.acquire();
    try {
      await handle.truncate(length);
    } finally {
      this.release();
    }
  }

  async size(): Promise<number> {
    const handle = await this.acquire();
    try {
      return await handle.size();
    } finally {
      this.release();
    }
  }

  /** Closes the descriptor for good once in-flight calls finish; later calls throw LOG_CLOSED. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.opening !== null) await this.opening.catch(() => {});
    if (this.pins > 0) await new Promise<void>((resolve) => (this.onUnpinned = resolve));
    this.pool.markBusy(this);
    if (this.handle !== null) await this.evict();
    else if (this.closing !== null) await this.closing;
  }
}

function writeAll(handle: StorageFile, data: readonly Buffer[], position: number, totalBytes: number): Promise<void> {
  return handle.writev !== undefined ? handle.writev(data, position) : handle.write(Buffer.concat(data, totalBytes), position);
}
