/**
 * Small appends under flush `always` are written on the main thread (NodeFileSystem's
 * syncWriteMaxBytes) so that the fdatasync is their only hop to the thread pool. These tests pin
 * down when that path is taken, that it writes the right bytes at the right place, and that a
 * bad CRC or a failing write on it leaves the log as it was, as on the pooled path.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { DEFAULT_SYNC_WRITE_MAX_BYTES, NodeFileSystem, type NodeFileSystemOptions } from '../../src/storage/node-file-system.ts';
import type { FileSystem, FlushPolicy, LogConfig, OpenMode, PartitionLog, StorageFile } from '../../src/storage/types.ts';
import { buildBatch, parseBatches } from './batch-fixtures.ts';
import { harness, readAll, tempDir } from './storage-helpers.ts';

/** NodeFileSystem whose files count how each write went out, and can fail synchronous ones. */
class SpyFileSystem extends NodeFileSystem {
  syncWrites = 0;
  poolWrites = 0;
  fileSyncs = 0;
  /** The next this many synchronous writes to a `.log` file throw ENOSPC (after writing part). */
  failSyncWrites = 0;

  override async open(filePath: string, mode: OpenMode): Promise<StorageFile> {
    const file = await super.open(filePath, mode);
    const { tryWriteSync, write, writev, sync } = file;
    assert.ok(tryWriteSync !== undefined && writev !== undefined);
    file.tryWriteSync = (data, position, totalBytes) => {
      if (this.failSyncWrites > 0 && filePath.endsWith('.log')) {
        this.failSyncWrites--;
        tryWriteSync.call(file, [data[0]!.subarray(0, 8)], position, 8);
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${filePath}'`), { code: 'ENOSPC' });
      }
      const isWritten = tryWriteSync.call(file, data, position, totalBytes);
      if (isWritten) this.syncWrites++;
      return isWritten;
    };
    file.write = (data, position) => {
      this.poolWrites++;
      return write.call(file, data, position);
    };
    file.writev = (data, position) => {
      this.poolWrites++;
      return writev.call(file, data, position);
    };
    file.sync = () => {
      this.fileSyncs++;
      return sync.call(file);
    };
    return file;
  }
}

const ALWAYS: FlushPolicy = { kind: 'always' };

async function openLog(t: Parameters<typeof harness>[0], fs: FileSystem, flush: FlushPolicy = ALWAYS): Promise<PartitionLog> {
  const config: Partial<LogConfig> = { segmentBytes: 1024 * 1024, indexIntervalBytes: 128, flush };
  const h = await harness(t, config);
  return (await h.open({ fs })).createLog('orders', 0);
}

async function logFile(log: PartitionLog): Promise<Buffer> {
  return readFile(path.join(log.dir, `${'0'.repeat(20)}.log`));
}

function isError(code: string): (error: unknown) => boolean {
  return (error) => error instanceof FerryError && error.code === code;
}

describe('NodeFileSystem.tryWriteSync', () => {
  it('writes one or several buffers back to back at the position, up to its bound', async (t) => {
    const dir = await tempDir(t);
    const file = await new NodeFileSystem({ syncWriteMaxBytes: 64 }).open(path.join(dir, 'f'), 'create');
    t.after(() => file.close());
    assert.equal(file.tryWriteSync!([Buffer.from('abc')], 0, 3), true);
    assert.equal(file.tryWriteSync!([Buffer.from('de'), Buffer.from('fgh'), Buffer.alloc(0), Buffer.from('i')], 3, 6), true);
    assert.equal(file.tryWriteSync!([Buffer.alloc(65, 0x7a)], 9, 65), false, 'above the bound: nothing written');
    assert.equal(file.tryWriteSync!([Buffer.alloc(64, 0x79)], 20, 64), true, 'at the bound');
    const expected = Buffer.concat([Buffer.from('abcdefghi'), Buffer.alloc(11), Buffer.alloc(64, 0x79)]);
    assert.deepEqual(await readFile(path.join(dir, 'f')), expected);
  });

  it('0 turns it off; a bound that is not an integer >= 0 is refused with INVALID_CONFIG', async (t) => {
    const dir = await tempDir(t);
    const file = await new NodeFileSystem({ syncWriteMaxBytes: 0 }).open(path.join(dir, 'f'), 'create');
    t.after(() => file.close());
    assert.equal(file.tryWriteSync!([Buffer.from('x')], 0, 1), false);
    for (const syncWriteMaxBytes of [-1, 1.5, Number.NaN, '16' as unknown as number]) {
      const options: NodeFileSystemOptions = { syncWriteMaxBytes };
      assert.throws(() => new NodeFileSystem(options), isError(ErrorCode.INVALID_CONFIG), String(syncWriteMaxBytes));
    }
    assert.equal(DEFAULT_SYNC_WRITE_MAX_BYTES, 16 * 1024);
  });
});

describe('small appends under flush always go out on the main thread', () => {
  it('a small append is written synchronously, acknowledged after a sync, and reads back', async (t) => {
    const fs = new SpyFileSystem();
    const log = await openLog(t, fs);
    const batch = buildBatch({ records: 2, payloadBytes: 100, fill: 0x41 });
    const result = await log.append(batch);
    assert.equal(result.baseOffset, 0);
    assert.equal(fs.syncWrites, 1);
    assert.equal(fs.poolWrites, 0);
    assert.ok(fs.fileSyncs >= 1, 'acknowledged after an fdatasync');
    const [stored] = await readAll(log);
    assert.deepEqual(stored!.payload, Buffer.alloc(100, 0x41));
  });

  it('appends queued together still go out in one write per group; larger groups and other policies use the pool', async (t) => {
    const fs = new SpyFileSystem({ syncWriteMaxBytes: 4096 });
    const log = await openLog(t, fs);
    await log.append(buildBatch({ payloadBytes: 100 }));
    const writesBefore = fs.syncWrites;
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(buildBatch({ payloadBytes: 100, fill: i }))));
    assert.ok(fs.syncWrites - writesBefore < 10, 'grouped');
    await log.append(buildBatch({ payloadBytes: 5000 }));
    assert.equal(fs.poolWrites, 1, 'above syncWriteMaxBytes');

    const noneFs = new SpyFileSystem();
    const noneLog = await openLog(t, noneFs, { kind: 'none' });
    await noneLog.append(buildBatch({ payloadBytes: 100 }));
    assert.deepEqual([noneFs.syncWrites, noneFs.poolWrites], [0, 1]);
    const offsets = (await readAll(log, 64 * 1024)).map((b) => b.baseOffset);
    assert.deepEqual(
      offsets,
      Array.from({ length: 12 }, (_, i) => i),
    );
  });

  it('a bad CRC written this way is cut off before it is refused; the next append lands right after', async (t) => {
    const fs = new SpyFileSystem();
    const log = await openLog(t, fs);
    await log.append(buildBatch({ records: 3, payloadBytes: 64 }));
    const before = await logFile(log);
    const bad = buildBatch({ payloadBytes: 200, fill: 0x62 });
    bad[bad.length - 1]! ^= 0xff;
    await assert.rejects(log.append(bad), isError(ErrorCode.CORRUPT_MESSAGE));
    assert.equal(fs.syncWrites, 2, 'the bad batch went out synchronously');
    assert.deepEqual(await logFile(log), before);
    assert.equal(log.logEndOffset, 3);
    const next = await log.append(buildBatch({ payloadBytes: 40, fill: 0x63 }));
    assert.equal(next.baseOffset, 3);
    const file = await logFile(log);
    assert.deepEqual(
      parseBatches(file).map((b) => b.baseOffset),
      [0, 3],
    );
  });

  it('a synchronous write that fails refuses the append with DISK_FULL and leaves no tail; the log goes on', async (t) => {
    const fs = new SpyFileSystem();
    const log = await openLog(t, fs);
    await log.append(buildBatch({ payloadBytes: 64, fill: 1 }));
    const before = await logFile(log);
    fs.failSyncWrites = 1;
    await assert.rejects(log.append(buildBatch({ payloadBytes: 64, fill: 2 })), isError(ErrorCode.DISK_FULL));
    assert.deepEqual(await logFile(log), before);
    const next = await log.append(buildBatch({ payloadBytes: 64, fill: 3 }));
    assert.equal(next.baseOffset, 1);
    assert.deepEqual(
      (await readAll(log)).map((b) => b.payload[0]),
      [1, 3],
    );
  });
});
