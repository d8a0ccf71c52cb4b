import { constants, writeSync, writevSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, FerryError } from '../common/errors.ts';
import type { FileSystem, OpenMode, StorageFile } from './types.ts';

const OPEN_FLAGS: Readonly<Record<OpenMode, number>> = {
  read: constants.O_RDONLY,
  readWrite: constants.O_RDWR,
  // Never O_TRUNC: reopening an existing segment must keep its bytes.
  create: constants.O_RDWR | constants.O_CREAT,
};

/** Default bound of `NodeFileSystemOptions.syncWriteMaxBytes`. */
export const DEFAULT_SYNC_WRITE_MAX_BYTES = 16 * 1024;

export interface NodeFileSystemOptions {
  /**
   * Writes of at most this many bytes that storage asks to do synchronously (small appends under
   * flush `always`) are pwrite(v)s on the calling thread: a copy into the page cache of a few KiB
   * costs 5-20 µs, less than handing it to the thread pool and waking back up, and the append
   * then needs only the fdatasync's hop. Larger writes, and every write when 0, go to the pool.
   * Default 16 KiB.
   */
  syncWriteMaxBytes?: number;
}

class NodeStorageFile implements StorageFile {
  readonly path: string;
  private readonly handle: FileHandle;
  private readonly syncWriteMaxBytes: number;

  constructor(filePath: string, handle: FileHandle, syncWriteMaxBytes: number) {
    this.path = filePath;
    this.handle = handle;
    this.syncWriteMaxBytes = syncWriteMaxBytes;
  }

  tryWriteSync(data: readonly Buffer[], position: number, totalBytes: number): boolean {
    if (totalBytes > this.syncWriteMaxBytes) return false;
    const fd = this.handle.fd;
    if (data.length === 1) {
      const buffer = data[0]!;
      for (let written = 0; written < buffer.length; ) {
        written += writeSync(fd, buffer, written, buffer.length - written, position + written);
      }
      return true;
    }
    let buffers = data;
    let at = position;
    for (;;) {
      const bytesWritten = writevSync(fd, buffers as Buffer[], at);
      at += bytesWritten;
      buffers = afterShortWrite(buffers, bytesWritten);
      if (buffers.length === 0) return true;
    }
  }

  async read(target: Buffer, targetOffset: number, length: number, position: number): Promise<number> {
    const { bytesRead } = await this.handle.read(target, targetOffset, length, position);
    return bytesRead;
  }

  async write(data: Buffer, position: number): Promise<void> {
    // pwrite may write less than asked (signals, quotas); keep going until all of it is written.
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.handle.write(data, written, data.length - written, position + written);
      written += bytesWritten;
    }
  }

  async writev(data: readonly Buffer[], position: number): Promise<void> {
    let buffers = data;
    let at = position;
    for (;;) {
      const { bytesWritten } = await this.handle.writev(buffers as Buffer[], at);
      at += bytesWritten;
      buffers = afterShortWrite(buffers, bytesWritten);
      if (buffers.length === 0) return;
    }
  }

  sync(): Promise<void> {
    return this.handle.datasync();
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** What a pwritev that wrote `bytesWritten` bytes left of `buffers` (empty once all went out). */
function afterShortWrite(buffers: readonly Buffer[], bytesWritten: number): readonly Buffer[] {
  let skip = bytesWritten;
  let first = 0;
  while (first < buffers.length && skip >= buffers[first]!.length) skip -= buffers[first++]!.length;
  if (first === buffers.length) return [];
  return [buffers[first]!.subarray(skip), ...buffers.slice(first + 1)];
}

/** `FileSystem` over node:fs/promises. `sync()` is fdatasync; directories are fsynced by fd. */
export class NodeFileSystem implements FileSystem {
  private tempCounter = 0;
  private readonly syncWriteMaxBytes: number;

  constructor(options: NodeFileSystemOptions = {}) {
    const syncWriteMaxBytes = options.syncWriteMaxBytes ?? DEFAULT_SYNC_WRITE_MAX_BYTES;
    if (!Number.isSafeInteger(syncWriteMaxBytes) || syncWriteMaxBytes < 0) {
      throw new FerryError(ErrorCode.INVALID_CONFIG, `syncWriteMaxBytes=${syncWriteMaxBytes} is invalid: an integer >= 0`, {
        field: 'syncWriteMaxBytes',
        value: syncWriteMaxBytes,
      });
    }
    this.syncWriteMaxBytes = syncWriteMaxBytes;
  }

  async open(filePath: string, mode: OpenMode): Promise<StorageFile> {
    return new NodeStorageFile(filePath, await open(filePath, OPEN_FLAGS[mode], 0o644), this.syncWriteMaxBytes);
  }

  readFile(filePath: string): Promise<Buffer> {
    return readFile(filePath);
  }

  async writeFileAtomic(filePath: string, data: Buffer): Promise<void> {
    const tempPath = `${filePath}.tmp-${process.pid}-${++this.tempCounter}`;
    try {
      const handle = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
      try {
        await new NodeStorageFile(tempPath, handle, 0).write(data, 0);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tempPath, filePath);
    } catch (error) {
      await unlink(tempPath).catch(() => {});
      throw error;
    }
    await this.syncDir(path.dirname(filePath));
  }

  async exists(filePath: string): Promise<boolean> {
    try {
      await stat(filePath);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async mkdir(filePath: string): Promise<void> {
    await mkdir(filePath, { recursive: true });
  }

  readdir(filePath: string): Promise<string[]> {
    return readdir(filePath);
  }

  unlink(filePath: string): Promise<void> {
    return unlink(filePath);
  }

  rename(from: string, to: string): Promise<void> {
    return rename(from, to);
  }

  removeDir(filePath: string): Promise<void> {
    return rm(filePath, { recursive: true, force: true });
  }

  async syncDir(filePath: string): Promise<void> {
    const handle = await open(filePath, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
