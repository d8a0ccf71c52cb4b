import { join } from 'node:path';
import { ErrorCode, FerryError } from '../common/errors.ts';
import type { FileSystem } from '../storage/types.ts';

const FILE_NAME = 'producer-ids.json';
const FILE_VERSION = 1;

/**
 * Hands out producer ids from blocks whose end is persisted before the first id of the block is
 * used (as Kafka's ProducerIdManager does with its blocks), so an id is never handed out twice,
 * even across an unclean stop: a restart starts at the next block and skips what was left.
 */
export class ProducerIdAllocator {
  private readonly fs: FileSystem;
  private readonly path: string;
  private readonly blockSize: number;
  /** Every id below this was (or may have been) handed out; persisted. */
  private persistedEnd: number;
  private nextId: number;
  private blockEnd: number;
  private reserving: Promise<void> | null = null;

  private constructor(fs: FileSystem, path: string, blockSize: number, persistedEnd: number) {
    this.fs = fs;
    this.path = path;
    this.blockSize = blockSize;
    this.persistedEnd = persistedEnd;
    this.nextId = persistedEnd;
    this.blockEnd = persistedEnd;
  }

  static async open(fs: FileSystem, metadataDir: string, blockSize: number): Promise<ProducerIdAllocator> {
    const path = join(metadataDir, FILE_NAME);
    let persistedEnd = 0;
    if (await fs.exists(path)) {
      const data = await fs.readFile(path);
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString('utf8'));
      } catch {
        parsed = null;
      }
      const nextBlockStart = (parsed as { nextBlockStart?: unknown } | null)?.nextBlockStart;
      if (typeof nextBlockStart !== 'number' || !Number.isSafeInteger(nextBlockStart) || nextBlockStart < 0) {
        // Refusing to start beats handing out ids that producers already hold.
        throw new FerryError(ErrorCode.STORAGE_ERROR, `producer id counter ${path} is unreadable`, { file: path });
      }
      persistedEnd = nextBlockStart;
    }
    return new ProducerIdAllocator(fs, path, blockSize, persistedEnd);
  }

  /** True when `producerId` may have been handed out by this broker. */
  isAllocated(producerId: number): boolean {
    return producerId >= 0 && producerId < this.persistedEnd;
  }

  async allocate(): Promise<number> {
    while (this.nextId >= this.blockEnd) {
      this.reserving ??= this.reserveBlock().finally(() => {
        this.reserving = null;
      });
      await this.reserving;
    }
    return this.nextId++;
  }

  private async reserveBlock(): Promise<void> {
    const start = this.persistedEnd;
    const end = start + this.blockSize;
    if (!Number.isSafeInteger(end)) throw new FerryError(ErrorCode.UNKNOWN_SERVER_ERROR, 'producer ids are exhausted');
    await this.fs.writeFileAtomic(this.path, Buffer.from(JSON.stringify({ version: FILE_VERSION, nextBlockStart: end })));
    this.persistedEnd = end;
    this.nextId = start;
    this.blockEnd = end;
  }
}
