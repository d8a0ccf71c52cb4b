import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { decodeCheckpoint, encodeCheckpoint, readCheckpoint, writeCheckpoint } from '../../src/storage/checkpoint-file.ts';
import { Deque } from '../../src/storage/deque.ts';
import { FilePool } from '../../src/storage/file-pool.ts';
import { isTempFileName, parseLogDirName, parseSegmentFileName, segmentFileName } from '../../src/storage/file-names.ts';
import { NodeFileSystem } from '../../src/storage/node-file-system.ts';
import type { FileSystem, OpenMode, StorageFile } from '../../src/storage/types.ts';
import { CountingFileSystem, tempDir } from './storage-helpers.ts';

describe('file names', () => {
  it('names segments with 20-digit base offsets and parses them back', () => {
    assert.equal(segmentFileName(1234, '.log'), '00000000000000001234.log');
    assert.deepEqual(parseSegmentFileName('00000000000000001234.timeindex'), { baseOffset: 1234, kind: 'timeindex' });
    for (const name of ['1234.log', '00000000000000001234.txt', '99999999999999999999.log', 'x0000000000000001234.log']) {
      assert.equal(parseSegmentFileName(name), null, name);
    }
  });

  it('splits a log dir name at the last dash', () => {
    assert.deepEqual(parseLogDirName('orders-eu-west-12'), { topic: 'orders-eu-west', partition: 12 });
    for (const name of ['orders', 'orders-', '-3', 'orders-007', 'a b-1', 'orders-0.abcd.deleting', 'x-99999999999']) {
      assert.equal(parseLogDirName(name), null, name);
    }
  });

  it('recognises leftovers of atomic writes', () => {
    assert.equal(isTempFileName('leader-epoch-checkpoint.tmp-12-3'), true);
    assert.equal(isTempFileName('x.tmp'), true);
    assert.equal(isTempFileName('00000000000000000000.log'), false);
  });
});

describe('checkpoint files', () => {
  it('round-trip entries in Kafka checkpoint text', () => {
    const bytes = encodeCheckpoint([
      ['orders-0', 42],
      ['orders-1', 7],
    ]);
    assert.equal(bytes.toString(), '0\n2\norders-0 42\norders-1 7\n');
    assert.deepEqual(decodeCheckpoint('f', bytes, 2), [
      ['orders-0', '42'],
      ['orders-1', '7'],
    ]);
  });

  it('refuses malformed ones with CORRUPT_MESSAGE', () => {
    for (const text of ['', '1\n0\n', '0\n2\na 1\n', '0\n1\na 1 2\n', '0\nx\n']) {
      assert.throws(
        () => decodeCheckpoint('f', Buffer.from(text), 2),
        (error: unknown) => error instanceof FerryError && error.code === ErrorCode.CORRUPT_MESSAGE,
        JSON.stringify(text),
      );
    }
  });

  it('are written atomically and read back; a missing one reads as null', async (t) => {
    const dir = await tempDir(t);
    const fs = new NodeFileSystem();
    const file = path.join(dir, 'cp');
    assert.equal(await readCheckpoint(fs, file, 2), null);
    await writeCheckpoint(fs, file, [[3, 4]]);
    assert.deepEqual(await readCheckpoint(fs, file, 2), [['3', '4']]);
  });
});

describe('node file system', () => {
  it('opens without truncating, writes, gathers writes, reads, truncates and syncs', async (t) => {
    const dir = await tempDir(t);
    const fs = new NodeFileSystem();
    const file = path.join(dir, 'f');
    await assert.rejects(fs.open(file, 'readWrite'), (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
    let handle = await fs.open(file, 'create');
    await handle.write(Buffer.from('hello'), 0);
    await handle.writev!([Buffer.from(' wide'), Buffer.from(' world')], 5);
    await handle.sync();
    await handle.close();
    handle = await fs.open(file, 'create');
    assert.equal(await handle.size(), 16);
    const target = Buffer.alloc(5);
    assert.equal(await handle.read(target, 0, 5, 11), 5);
    assert.equal(target.toString(), 'world');
    await handle.truncate(5);
    await handle.close();
    assert.equal(await readFile(file, 'utf8'), 'hello');
    await fs.writeFileAtomic(file, Buffer.from('replaced'));
    assert.equal((await fs.readFile(file)).toString(), 'replaced');
    assert.deepEqual(await fs.readdir(dir), ['f']);
    await fs.syncDir(dir);
    assert.equal(await fs.exists(file), true);
  });
});

describe('file pool', () => {
  it('never holds more descriptors than its bound and reopens evicted files transparently', async (t) => {
    const dir = await tempDir(t);
    const fs = new CountingFileSystem();
    const pool = new FilePool(fs, 3, silentLogger);
    const files = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const file = path.join(dir, `f${i}`);
        await writeFile(file, `file ${i}`);
        return pool.file(file, 'readWrite');
      }),
    );
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        files.map(async (file, i) => {
          const target = Buffer.alloc(6);
          await file.readFully(target, 0, 6, 0);
          assert.equal(target.toString(), `file ${i}`);
        }),
      );
    }
    assert.ok(fs.maxOpenNow <= 3, `at most 3 open, saw ${fs.maxOpenNow}`);
    assert.ok(pool.openFileCount <= 3);
    for (const file of files) await file.close();
    assert.equal(fs.openNow, 0);
    await assert.rejects(files[0]!.size(), (error: unknown) => error instanceof FerryError && error.code === ErrorCode.LOG_CLOSED);
  });
});

describe('file pool writes', () => {
  /** A file system whose files record, synchronously, when each write reaches them. */
  function recordingFileSystem(events: string[], throwOnWrite = false): FileSystem {
    const inner = new NodeFileSystem();
    return Object.assign(Object.create(inner) as FileSystem, {
      open: async (filePath: string, mode: OpenMode): Promise<StorageFile> => {
        const file = await inner.open(filePath, mode);
        const write = (data: Buffer, position: number): Promise<void> => {
          events.push(`write ${position}`);
          if (throwOnWrite) throw new Error('synchronous failure');
          return file.write(data, position);
        };
        return {
          path: file.path,
          read: (target, targetOffset, length, position) => file.read(target, targetOffset, length, position),
          write,
          writev: (data, position) => write(Buffer.concat(data), position),
          sync: () => file.sync(),
          truncate: (length) => file.truncate(length),
          size: () => file.size(),
          close: () => file.close(),
        };
      },
    });
  }

  it('reach an open file before write() returns, so the next work of the caller runs beside them', async (t) => {
    const dir = await tempDir(t);
    const events: string[] = [];
    const pool = new FilePool(recordingFileSystem(events), 4, silentLogger);
    const file = pool.file(path.join(dir, 'a.log'), 'create');
    await file.write(Buffer.from('abc'), 0); // opens the descriptor
    const pending = file.write(Buffer.from('def'), 3);
    events.push('returned');
    const gathered = file.writev([Buffer.from('gh'), Buffer.from('i')], 6, 3);
    events.push('returned');
    await Promise.all([pending, gathered]);
    assert.deepEqual(events, ['write 0', 'write 3', 'returned', 'write 6', 'returned']);
    assert.equal((await readFile(path.join(dir, 'a.log'))).toString(), 'abcdefghi');
    await file.close();
    assert.equal(pool.openFileCount, 0);
  });

  it('turn a file system that throws into a rejection and release the file', async (t) => {
    const dir = await tempDir(t);
    const events: string[] = [];
    const pool = new FilePool(recordingFileSystem(events, true), 4, silentLogger);
    const file = pool.file(path.join(dir, 'a.log'), 'create');
    await file.size(); // opens the descriptor
    await assert.rejects(file.write(Buffer.from('x'), 0), /synchronous failure/);
    await assert.rejects(file.writev([Buffer.from('x')], 0, 1), /synchronous failure/);
    await file.close(); // would wait forever on a leaked pin
    assert.equal(pool.openFileCount, 0);
  });
});

describe('deque', () => {
  it('is a FIFO that grows, and takes items back at the front', () => {
    const deque = new Deque<number>(2);
    for (let i = 0; i < 5; i++) deque.push(i);
    assert.equal(deque.shift(), 0);
    deque.unshift(-1);
    const out: number[] = [];
    for (let item = deque.shift(); item !== undefined; item = deque.shift()) out.push(item);
    assert.deepEqual(out, [-1, 1, 2, 3, 4]);
    assert.equal(deque.length, 0);
  });
});
