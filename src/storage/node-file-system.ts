import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { FileSystem, OpenMode, StorageFile } from './types.ts';

const OPEN_FLAGS: Readonly<Record<OpenMode, number>> = {
  read: constants.O_RDONLY,
  readWrite: constants.O_RDWR,
  // Never O_TRUNC: reopening an existing segment must keep its bytes.
  create: constants.O_RDWR | constants.O_CREAT,
};

class NodeStorageFile implements StorageFile {
  readonly path: string;
  private readonly handle: FileHandle;

  constructor(filePath: string, handle: FileHandle) {
    this.path = filePath;
    this.handle = handle;
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
      // A short pwritev: drop what went out and go on with the rest.
      let skip = bytesWritten;
      let first = 0;
      while (first < buffers.length && skip >= buffers[first]!.length) skip -= buffers[first++]!.length;
      if (first === buffers.length) return;
      buffers = [buffers[first]!.subarray(skip), ...buffers.slice(first + 1)];
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

/** `FileSystem` over node:fs/promises. `sync()` is fdatasync; directories are fsynced by fd. */
export class NodeFileSystem implements FileSystem {
  private tempCounter = 0;

  async open(filePath: string, mode: OpenMode): Promise<StorageFile> {
    return new NodeStorageFile(filePath, await open(filePath, OPEN_FLAGS[mode], 0o644));
  }

  readFile(filePath: string): Promise<Buffer> {
    return readFile(filePath);
  }

  async writeFileAtomic(filePath: string, data: Buffer): Promise<void> {
    const tempPath = `${filePath}.tmp-${process.pid}-${++this.tempCounter}`;
    try {
      const handle = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
      try {
        await new NodeStorageFile(tempPath, handle).write(data, 0);
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
