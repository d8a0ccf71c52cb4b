import assert from 'node:assert/strict';
import { open, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode, FerryError, isFerryError } from '../../src/common/errors.ts';
import type { LogLine } from '../../src/common/logger.ts';
import { mulberry32, randomInt, testSeed } from '../helpers/fault-file-system.ts';
import { buildBatch, parseBatches } from './batch-fixtures.ts';
import { forgetCleanShutdown, type Harness, harness, readAll } from './storage-helpers.ts';

const TRUNCATED = 'truncated a torn or corrupt tail of the log';

function linesWith(lines: LogLine[], msg: string): LogLine[] {
  return lines.filter((line) => line.msg === msg);
}

function field(line: LogLine | undefined, name: string): unknown {
  return (line?.obj as Record<string, unknown> | undefined)?.[name];
}

/** A closed log `orders-0` of `count` 100-byte single-record batches in 1000-byte segments. */
async function writeLog(h: Harness, count: number): Promise<string> {
  const manager = await h.open();
  const log = await manager.createLog('orders', 0);
  for (let i = 0; i < count; i++) await log.append(buildBatch({ payloadBytes: 39, fill: i, baseTimestamp: 1000 + i }));
  await manager.close();
  h.logger.lines.length = 0;
  return log.dir;
}

async function segmentPaths(dir: string, suffix: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => path.join(dir, name));
}

async function patchFile(filePath: string, position: number, bytes: Buffer): Promise<void> {
  const handle = await open(filePath, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, position);
  } finally {
    await handle.close();
  }
}

describe('recovery of a torn or corrupt tail', () => {
  for (const isClean of [false, true]) {
    it(`cuts a tail torn mid-batch with one warn line naming file, offset and bytes dropped (${isClean ? 'clean' : 'unclean'} start)`, async (t) => {
      const h = await harness(t);
      const dir = await writeLog(h, 25); // segments of 10 batches: 0, 10, 20 (5 batches)
      if (!isClean) await forgetCleanShutdown(h.dataDir);
      const last = (await segmentPaths(dir, '.log')).at(-1)!;
      assert.equal(path.basename(last), '00000000000000000020.log');
      await truncate(last, 4 * 100 + 37); // batch 24 keeps 37 of its 100 bytes
      const manager = await h.open();
      const log = manager.getLog('orders', 0)!;
      assert.equal(log.logEndOffset, 24);
      const warned = linesWith(h.logger.lines, TRUNCATED);
      assert.equal(warned.length, 1);
      assert.equal(warned[0]!.level, 'warn');
      assert.equal(field(warned[0], 'file'), last);
      assert.equal(field(warned[0], 'offset'), 24);
      assert.equal(field(warned[0], 'bytesDropped'), 37);
      assert.equal((await stat(last)).size, 400);
      assert.equal((await log.append(buildBatch())).baseOffset, 24);
      assert.equal((await readAll(log)).length, 25);
    });
  }

  it('cuts at a batch whose bits were flipped (CRC), dropping it and everything after', async (t) => {
    const h = await harness(t);
    const dir = await writeLog(h, 25);
    await forgetCleanShutdown(h.dataDir);
    const last = (await segmentPaths(dir, '.log')).at(-1)!;
    await patchFile(last, 2 * 100 + 80, Buffer.from([0x5a])); // inside batch 22's payload
    const log = (await h.open()).getLog('orders', 0)!;
    assert.equal(log.logEndOffset, 22);
    const [line] = linesWith(h.logger.lines, TRUNCATED);
    assert.equal(field(line, 'offset'), 22);
    assert.equal(field(line, 'bytesDropped'), 300);
    assert.match(String(field(line, 'reason')), /CRC/);
  });

  it('cuts at a header whose length is huge, zero or negative without allocating it', async (t) => {
    for (const length of [0x7fff_ffff, 0, -5]) {
      const h = await harness(t);
      const dir = await writeLog(h, 25);
      await forgetCleanShutdown(h.dataDir);
      const last = (await segmentPaths(dir, '.log')).at(-1)!;
      const bytes = Buffer.alloc(4);
      bytes.writeInt32BE(length);
      await patchFile(last, 3 * 100 + 8, bytes);
      const log = (await h.open()).getLog('orders', 0)!;
      assert.equal(log.logEndOffset, 23, `length ${length}`);
      assert.equal(linesWith(h.logger.lines, TRUNCATED).length, 1);
    }
  });

  it('treats a segment of random bytes as a torn tail (all of it dropped)', async (t) => {
    const h = await harness(t);
    const dir = path.join(h.dataDir, 'orders-0');
    const manager = await h.open();
    await manager.createLog('orders', 0);
    await manager.close();
    await forgetCleanShutdown(h.dataDir);
    const rng = mulberry32(testSeed());
    const garbage = Buffer.alloc(3000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(rng() * 256);
    await writeFile(path.join(dir, '00000000000000000000.log'), garbage);
    const log = (await h.open()).getLog('orders', 0)!;
    assert.equal(log.logEndOffset, 0);
    assert.equal(field(linesWith(h.logger.lines, TRUNCATED)[0], 'bytesDropped'), 3000);
    assert.equal((await log.append(buildBatch())).baseOffset, 0);
  });

  it('opens an empty last segment (a crash right after a roll) and appends into it', async (t) => {
    const h = await harness(t);
    const dir = await writeLog(h, 25);
    await forgetCleanShutdown(h.dataDir);
    await writeFile(path.join(dir, '00000000000000000025.log'), Buffer.alloc(0));
    const log = (await h.open()).getLog('orders', 0)!;
    assert.equal(log.logEndOffset, 25);
    assert.equal(linesWith(h.logger.lines, TRUNCATED).length, 0);
    assert.equal((await log.append(buildBatch())).baseOffset, 25);
    assert.equal((await readAll(log)).length, 26);
  });

  it('opens a zero-length only segment as an empty log', async (t) => {
    const h = await harness(t);
    const dir = path.join(h.dataDir, 'orders-0');
    const manager = await h.open();
    await manager.createLog('orders', 0);
    await manager.close();
    await truncate(path.join(dir, '00000000000000000000.log'), 0);
    const log = (await h.open()).getLog('orders', 0)!;
    assert.deepEqual([log.logStartOffset, log.logEndOffset], [0, 0]);
  });
});

describe('recovery of index files', () => {
  it('rebuilds a deleted index of the active segment at a clean start, with a warn line', async (t) => {
    const h = await harness(t);
    const dir = await writeLog(h, 25);
    const index = (await segmentPaths(dir, '.index')).at(-1)!;
    await unlink(index);
    const manager = await h.open();
    const log = manager.getLog('orders', 0)!;
    const rebuilt = h.logger.lines.filter((line) => line.level === 'warn' && field(line, 'file') === index);
    assert.equal(rebuilt.length, 1);
    assert.equal(log.logEndOffset, 25);
    assert.equal(parseBatches((await log.read(23, 1)).data)[0]!.baseOffset, 23);
    await manager.close();
    assert.ok((await stat(index)).size > 0, 'the rebuilt index was written back');
  });

  it('rebuilds a deleted index of a closed segment at open', async (t) => {
    const h = await harness(t);
    const dir = await writeLog(h, 25);
    const index = (await segmentPaths(dir, '.index'))[0]!;
    await unlink(index);
    const log = (await h.open()).getLog('orders', 0)!;
    assert.equal(h.logger.lines.filter((line) => line.level === 'warn' && field(line, 'file') === index).length, 1);
    for (const offset of [0, 4, 9]) assert.equal(parseBatches((await log.read(offset, 1)).data)[0]!.baseOffset, offset);
  });

  it('rebuilds a corrupt index (garbage, wrong size, decreasing entries) when it is first loaded', async (t) => {
    const damages: [string, Buffer][] = [
      ['wrong size', Buffer.alloc(13, 1)],
      ['decreasing entries', Buffer.from([0, 0, 0, 5, 0, 0, 1, 0, 0, 0, 0, 3, 0, 0, 0, 100])],
      ['positions past the log', Buffer.from([0, 0, 0, 1, 0x7f, 0, 0, 0])],
    ];
    for (const [why, bytes] of damages) {
      const h = await harness(t);
      const dir = await writeLog(h, 25);
      const indexes = await segmentPaths(dir, '.index');
      await writeFile(indexes[0]!, bytes); // closed: checked when first used
      await writeFile(indexes.at(-1)!, bytes); // active: checked at open
      const log = (await h.open()).getLog('orders', 0)!;
      assert.equal(h.logger.lines.filter((line) => line.level === 'warn' && field(line, 'file') === indexes.at(-1)).length, 1, why);
      for (let offset = 0; offset < 25; offset += 3) {
        assert.equal(parseBatches((await log.read(offset, 1)).data)[0]!.baseOffset, offset, why);
      }
      assert.equal(h.logger.lines.filter((line) => line.level === 'warn' && field(line, 'file') === indexes[0]).length, 1, why);
    }
  });

  it('rebuilds a corrupt time index and still answers offsetForTimestamp', async (t) => {
    const h = await harness(t);
    const dir = await writeLog(h, 25);
    for (const file of await segmentPaths(dir, '.timeindex')) await writeFile(file, Buffer.alloc(24, 0xff));
    const log = (await h.open()).getLog('orders', 0)!;
    assert.deepEqual(await log.offsetForTimestamp(1007), { offset: 7, timestamp: 1007 });
    assert.deepEqual(await log.offsetForTimestamp(1021), { offset: 21, timestamp: 1021 });
    assert.ok(h.logger.lines.filter((line) => line.level === 'warn').length >= 2);
  });
});

describe('recovery: index entries checked against the log', () => {
  it('rebuilds a time index zeroed by a power cut (size kept, data lost) instead of trusting 1970', async (t) => {
    const h = await harness(t);
    const dir = path.join(h.dataDir, 'orders-0');
    const nowMs = Date.now();
    let manager = await h.open({ now: () => nowMs });
    const log = await manager.createLog('orders', 0, { retentionMs: 60_000 });
    for (let i = 0; i < 25; i++) await log.append(buildBatch({ payloadBytes: 39, baseTimestamp: nowMs }));
    await manager.close();
    for (const file of await segmentPaths(dir, '.timeindex')) await writeFile(file, Buffer.alloc((await stat(file)).size));
    h.logger.lines.length = 0;
    manager = await h.open({ now: () => nowMs });
    await manager.enforceRetention();
    const reopened = manager.getLog('orders', 0)!;
    assert.equal(reopened.logStartOffset, 0, 'nothing recent was deleted');
    assert.equal((await readAll(reopened)).length, 25);
    assert.ok(h.logger.lines.some((line) => line.level === 'warn' && String(field(line, 'file')).endsWith('.timeindex')));
  });
});

describe('recovery: names and leftovers', () => {
  it('ignores a garbage file name with a warning, removes leftovers and orphan indexes', async (t) => {
    const h = await harness(t);
    const dir = await writeLog(h, 5);
    await writeFile(path.join(dir, 'notes.txt'), 'hello');
    await writeFile(path.join(dir, '00000000000000000000.log.tmp-3'), 'x');
    await writeFile(path.join(dir, '00000000000000000099.log.deleted'), 'x');
    await writeFile(path.join(dir, '00000000000000000500.index'), Buffer.alloc(8));
    await writeFile(path.join(h.dataDir, 'stray-file'), 'x');
    const log = (await h.open()).getLog('orders', 0)!;
    assert.equal(log.logEndOffset, 5);
    const warns = h.logger.lines.filter((line) => line.level === 'warn').map((line) => path.basename(String(field(line, 'file'))));
    assert.ok(warns.includes('notes.txt'));
    assert.ok(warns.includes('00000000000000000500.index'));
    const names = await readdir(dir);
    assert.ok(names.includes('notes.txt'), 'an unknown file is left alone');
    assert.ok(!names.includes('00000000000000000000.log.tmp-3'));
    assert.ok(!names.includes('00000000000000000099.log.deleted'));
    assert.ok(!names.includes('00000000000000000500.index'));
  });

  it('opens a topic whose name contains dashes, splitting the partition at the last one', async (t) => {
    const h = await harness(t);
    let manager = await h.open();
    await (await manager.createLog('my-topic-v2', 11)).append(buildBatch());
    await manager.close();
    manager = await h.open();
    const log = manager.getLog('my-topic-v2', 11)!;
    assert.deepEqual([log.topic, log.partition, log.logEndOffset], ['my-topic-v2', 11, 1]);
  });

  it('ignores corrupt checkpoint files with a warning', async (t) => {
    const h = await harness(t);
    const dir = await writeLog(h, 12);
    await writeFile(path.join(dir, 'leader-epoch-checkpoint'), 'garbage\n\u0000');
    await writeFile(path.join(dir, 'log-start-offset-checkpoint'), '0\n1\n-7\n');
    await writeFile(path.join(h.dataDir, 'recovery-point-offset-checkpoint'), Buffer.from([0xff, 0xfe, 0]));
    await forgetCleanShutdown(h.dataDir);
    const log = (await h.open()).getLog('orders', 0)!;
    assert.deepEqual([log.logStartOffset, log.logEndOffset, log.latestEpoch()], [0, 12, -1]);
    assert.ok(h.logger.lines.filter((line) => line.level === 'warn').length >= 3);
  });
});

describe('recovery: corruption in a closed segment', () => {
  it('takes only that partition offline, with one error line; every call on it throws PARTITION_OFFLINE', async (t) => {
    const h = await harness(t);
    let manager = await h.open();
    for (const partition of [0, 1]) {
      const log = await manager.createLog('orders', partition);
      for (let i = 0; i < 25; i++) await log.append(buildBatch({ payloadBytes: 39 }));
    }
    await manager.close();
    await forgetCleanShutdown(h.dataDir, { dropRecoveryPoints: true });
    const middle = (await segmentPaths(path.join(h.dataDir, 'orders-0'), '.log'))[1]!;
    await patchFile(middle, 250, Buffer.from('bit rot'));
    h.logger.lines.length = 0;

    manager = await h.open();
    const broken = manager.getLog('orders', 0)!;
    const healthy = manager.getLog('orders', 1)!;
    assert.equal(broken.isOffline, true);
    assert.equal(healthy.isOffline, false);
    const errors = h.logger.lines.filter((line) => line.level === 'error');
    assert.equal(errors.length, 1);
    assert.equal(field(errors[0], 'file'), middle);
    const isOffline = (error: unknown) => error instanceof FerryError && error.code === ErrorCode.PARTITION_OFFLINE;
    await assert.rejects(broken.append(buildBatch()), isOffline);
    await assert.rejects(broken.read(0, 100), isOffline);
    await assert.rejects(broken.offsetForTimestamp(0), isOffline);
    await assert.rejects(broken.truncateTo(0), isOffline);
    await assert.rejects(broken.deleteRecordsBefore(1), isOffline);
    await assert.rejects(broken.flush(), isOffline);
    assert.throws(() => broken.latestEpoch(), isOffline);
    assert.throws(() => broken.setHighWatermark(1), isOffline);
    assert.equal((await healthy.append(buildBatch())).baseOffset, 25);
    assert.equal((await readAll(healthy)).length, 26);

    // Still offline after a clean close and a restart: the marker names it for recovery.
    await manager.close();
    h.logger.lines.length = 0;
    manager = await h.open();
    assert.equal(manager.wasCleanShutdown, true);
    assert.equal(manager.getLog('orders', 0)!.isOffline, true);
    assert.equal(manager.getLog('orders', 1)!.isOffline, false);
  });

  it('takes a partition offline when a closed segment turns out corrupt at first read', async (t) => {
    const h = await harness(t);
    const dir = await writeLog(h, 25);
    const first = (await segmentPaths(dir, '.log'))[0]!;
    await unlink((await segmentPaths(dir, '.index'))[0]!.replace('.index', '.timeindex')).catch(() => {});
    await patchFile(first, 508, Buffer.from([0, 0, 0, 3])); // batch 5's length
    const log = (await h.open()).getLog('orders', 0)!;
    // The missing time index made open rebuild it, which found the damage.
    assert.equal(log.isOffline, true);
  });
});

describe('recovery: no file content crashes the process', () => {
  it('opens randomly damaged data directories: each log is readable or offline, never a crash', async (t) => {
    const seed = testSeed();
    const rng = mulberry32(seed);
    for (let round = 0; round < 12; round++) {
      const h = await harness(t);
      let manager = await h.open();
      for (const partition of [0, 1]) {
        const log = await manager.createLog('fuzz', partition);
        for (let i = 0; i < 30; i++) {
          const records = randomInt(rng, 1, 4);
          await log.append(buildBatch({ records, payloadBytes: randomInt(rng, records * 7, 120) }));
        }
      }
      await manager.close();
      if (rng() < 0.7) await forgetCleanShutdown(h.dataDir);
      const files: string[] = [];
      for (const partition of [0, 1]) {
        const dir = path.join(h.dataDir, `fuzz-${partition}`);
        for (const name of await readdir(dir)) files.push(path.join(dir, name));
      }
      files.push(path.join(h.dataDir, 'recovery-point-offset-checkpoint'));
      for (let damage = randomInt(rng, 1, 4); damage > 0; damage--) {
        const file = files[randomInt(rng, 0, files.length - 1)]!;
        const size = (await stat(file).catch(() => null))?.size ?? 0;
        const kind = randomInt(rng, 0, 3);
        if (kind === 0) await truncate(file, randomInt(rng, 0, size));
        else if (kind === 1) await writeFile(file, Buffer.alloc(0));
        else {
          const bytes = Buffer.alloc(randomInt(rng, 1, 16));
          for (let i = 0; i < bytes.length; i++) bytes[i] = kind === 2 ? Math.floor(rng() * 256) : 0xff;
          await patchFile(file, randomInt(rng, 0, Math.max(0, size - 1)), bytes);
        }
      }
      manager = await h.open();
      for (const log of manager.logs()) {
        if (log.isOffline) continue;
        try {
          await readAll(log);
        } catch (error) {
          assert.ok(isFerryError(error), `round ${round} (seed ${seed}): a read threw ${String(error)}`);
        }
        if (log.isOffline) continue; // a read found damage in a closed segment
        const appended = await log.append(buildBatch());
        assert.equal(appended.baseOffset, log.logEndOffset - 1);
      }
      await manager.close();
      await readFile(path.join(h.dataDir, '.clean-shutdown'));
    }
  });
});
