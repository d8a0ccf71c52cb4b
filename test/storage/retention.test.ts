import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { buildBatch, parseBatches } from './batch-fixtures.ts';
import { CountingFileSystem, harness, readAll, SMALL } from './storage-helpers.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

async function logFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
}

function isOutOfRange(error: unknown): boolean {
  return error instanceof FerryError && error.code === ErrorCode.OFFSET_OUT_OF_RANGE;
}

describe('retention', () => {
  it('deletes closed segments whose largest timestamp is older than retentionMs, never the active one', async (t) => {
    const h = await harness(t, { ...SMALL, retentionMs: DAY_MS });
    let nowMs = 10 * DAY_MS;
    const manager = await h.open({ now: () => nowMs });
    const log = await manager.createLog('events', 0);
    // 5 batches of 200 bytes per 1000-byte segment; batch i is stamped at day i.
    for (let i = 0; i < 23; i++) await log.append(buildBatch({ payloadBytes: 139, baseTimestamp: i * DAY_MS, maxTimestamp: i * DAY_MS }));
    assert.equal((await logFiles(log.dir)).length, 5);

    nowMs = 6 * DAY_MS + 1; // segments 0..4 (max day 4) and 5..9 (max day 9): only the first is older than a day
    await manager.enforceRetention();
    assert.deepEqual(await logFiles(log.dir), [
      '00000000000000000005.log',
      '00000000000000000010.log',
      '00000000000000000015.log',
      '00000000000000000020.log',
    ]);
    assert.equal(log.logStartOffset, 5);
    await assert.rejects(log.read(4, 100), isOutOfRange);
    assert.equal(parseBatches((await log.read(5, 100)).data)[0]!.baseOffset, 5);

    nowMs = 1000 * DAY_MS; // everything is old: all closed segments go, the active one stays
    await manager.enforceRetention();
    assert.deepEqual(await logFiles(log.dir), ['00000000000000000020.log']);
    assert.equal(log.logStartOffset, 20);
    assert.equal((await readAll(log)).length, 3);
    assert.equal((await log.append(buildBatch())).baseOffset, 23);
  });

  it('deletes the oldest closed segments while the log is larger than retentionBytes', async (t) => {
    const h = await harness(t, { ...SMALL, retentionBytes: 2500, retentionMs: -1 });
    const manager = await h.open();
    const log = await manager.createLog('events', 0);
    for (let i = 0; i < 23; i++) await log.append(buildBatch({ payloadBytes: 139 }));
    assert.equal(log.sizeBytes(), 4600);
    await manager.enforceRetention();
    // 4600 > 2500: drop 1000 (3600), drop 1000 (2600), drop 1000 (1600 <= 2500): stop.
    assert.equal(log.sizeBytes(), 1600);
    assert.equal(log.logStartOffset, 15);
    assert.deepEqual(await logFiles(log.dir), ['00000000000000000015.log', '00000000000000000020.log']);
  });

  it('keeps segments without timestamps under time retention and keeps everything with -1', async (t) => {
    const h = await harness(t, { ...SMALL, retentionMs: 1 });
    const manager = await h.open({ now: () => 10 ** 15 });
    const untimed = await manager.createLog('untimed', 0);
    for (let i = 0; i < 12; i++) await untimed.append(buildBatch({ payloadBytes: 139, baseTimestamp: -1, maxTimestamp: -1 }));
    const forever = await manager.createLog('forever', 0, { retentionMs: -1, retentionBytes: -1 });
    for (let i = 0; i < 12; i++) await forever.append(buildBatch({ payloadBytes: 139 }));
    await manager.enforceRetention();
    assert.equal(untimed.logStartOffset, 0);
    assert.equal(forever.logStartOffset, 0);
  });

  it('runs in the background every retentionCheckIntervalMs', async (t) => {
    const h = await harness(t, { ...SMALL, retentionBytes: 1000, retentionMs: -1 });
    const manager = await h.open({ retentionCheckIntervalMs: 20 });
    const log = await manager.createLog('events', 0);
    for (let i = 0; i < 23; i++) await log.append(buildBatch({ payloadBytes: 139 }));
    const deadline = Date.now() + 5000;
    while (log.logStartOffset !== 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(log.logStartOffset, 20);
  });

  it('does not break a read in flight on a segment being deleted', async (t) => {
    const fs = new CountingFileSystem();
    const h = await harness(t, { ...SMALL, retentionBytes: 0, retentionMs: -1 });
    // No tail cache: the read must go to the file being deleted.
    const manager = await h.open({ fs, tailCacheMaxBytesPerPartition: 0 });
    const log = await manager.createLog('events', 0);
    for (let i = 0; i < 23; i++) await log.append(buildBatch({ payloadBytes: 139, fill: i }));
    let release: () => void = () => {};
    let isHeld = false;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reachedRead: () => void = () => {};
    const atRead = new Promise<void>((resolve) => (reachedRead = resolve));
    fs.beforeRead = async (filePath) => {
      if (!isHeld && filePath.endsWith('00000000000000000000.log')) {
        isHeld = true;
        reachedRead();
        await held;
      }
    };
    const reading = log.read(2, 600);
    await atRead;
    const retention = manager.enforceRetention();
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await retention;
    const { data } = await reading; // it started before the deletion: it gets its bytes
    assert.deepEqual(
      parseBatches(data).map((b) => b.payload[0]),
      [2, 3, 4],
    );
    assert.equal(log.logStartOffset, 20);
    await assert.rejects(log.read(2, 300), isOutOfRange);
    assert.deepEqual(await logFiles(log.dir), ['00000000000000000020.log']);
  });
});
