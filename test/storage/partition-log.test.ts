import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { Attribute, BatchField, checkBatch, computeBatchCrc } from '../../src/common/record-batch-header.ts';
import { buildBatch, buildBatches, parseBatches } from './batch-fixtures.ts';
import { CountingFileSystem, harness, readAll, SMALL } from './storage-helpers.ts';

function isCode(code: string): (error: unknown) => boolean {
  return (error: unknown) => error instanceof FerryError && error.code === code;
}

describe('partition log: append and read', () => {
  it('round-trips batches across segment rolls, offsets dense and bytes unchanged', async (t) => {
    const h = await harness(t);
    const manager = await h.open();
    const log = await manager.createLog('orders', 0);
    const sent: Buffer[] = [];
    let expectedBase = 0;
    for (let i = 0; i < 60; i++) {
      const batch = buildBatch({ records: 1 + (i % 4), payloadBytes: 20 + i * 3, fill: i });
      const result = await log.append(batch);
      assert.deepEqual([result.baseOffset, result.lastOffset], [expectedBase, expectedBase + (i % 4)]);
      expectedBase = result.lastOffset + 1;
      assert.equal(result.batchCount, 1);
      assert.equal(result.sizeBytes, batch.length);
      sent.push(batch);
    }
    const files = await readdir(log.dir);
    assert.ok(files.filter((name) => name.endsWith('.log')).length > 3, 'several segments rolled');
    const stored = await readAll(log, 300);
    assert.equal(stored.length, 60);
    let next = 0;
    for (let i = 0; i < 60; i++) {
      assert.equal(stored[i]!.baseOffset, next);
      assert.deepEqual(stored[i]!.payload, Buffer.alloc(20 + i * 3, i));
      next = stored[i]!.lastOffset + 1;
    }
    assert.equal(log.logEndOffset, next);
    assert.equal(
      log.sizeBytes(),
      sent.reduce((sum, b) => sum + b.length, 0),
    );
  });

  it('appends several batches at once and patches each header (offsets, leader epoch) with a valid CRC', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    await log.append(buildBatch({ records: 2 }));
    const result = await log.append(buildBatches(3, { records: 5 }), { leaderEpoch: 7 });
    assert.deepEqual([result.baseOffset, result.lastOffset, result.batchCount], [2, 16, 3]);
    const { data } = await log.read(2, 10_000);
    const batches = parseBatches(data);
    assert.deepEqual(
      batches.map((b) => [b.baseOffset, b.lastOffset, b.partitionLeaderEpoch]),
      [
        [2, 6, 7],
        [7, 11, 7],
        [12, 16, 7],
      ],
    );
    for (let at = 0; at < data.length; ) at += checkBatch(data, at, data.length, { maxBatchBytes: 1 << 20 });
    assert.equal(log.latestEpoch(), 7);
  });

  it('stamps LogAppendTime from the injected clock and keeps the CRC valid', async (t) => {
    const h = await harness(t, { ...SMALL, timestampType: 'LogAppendTime' });
    const log = await (await h.open({ now: () => 1_234_567 })).createLog('stamped', 0);
    const result = await log.append(buildBatch({ baseTimestamp: 5 }));
    assert.equal(result.logAppendTimeMs, 1_234_567);
    const { data } = await log.read(0, 1000);
    assert.equal(parseBatches(data)[0]!.maxTimestamp, 1_234_567);
    assert.ok((data.readInt16BE(BatchField.attributes) & Attribute.logAppendTime) !== 0);
    checkBatch(data, 0, data.length, { maxBatchBytes: 1 << 20 });
  });

  it('reads from an offset in the middle of a batch: the whole batch holding it comes first', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    for (let i = 0; i < 30; i++) await log.append(buildBatch({ records: 10, payloadBytes: 70 }));
    for (const offset of [0, 5, 9, 10, 133, 299]) {
      const { data } = await log.read(offset, 1);
      const first = parseBatches(data)[0]!;
      assert.ok(first.baseOffset <= offset && offset <= first.lastOffset, `offset ${offset} in ${first.baseOffset}..${first.lastOffset}`);
      assert.equal(first.baseOffset, Math.floor(offset / 10) * 10);
    }
  });

  it('respects maxBytes with whole batches, but returns one whole batch even above it', async (t) => {
    const h = await harness(t, { ...SMALL, segmentBytes: 1 << 20 });
    const log = await (await h.open()).createLog('orders', 0);
    for (let i = 0; i < 20; i++) await log.append(buildBatch({ payloadBytes: 39 })); // 100 bytes each
    assert.equal(parseBatches((await log.read(0, 350)).data).length, 3);
    assert.equal(parseBatches((await log.read(0, 400)).data).length, 4);
    assert.equal(parseBatches((await log.read(4, 10)).data).length, 1);
    const big = buildBatch({ payloadBytes: 5000 });
    const at = (await log.append(big)).baseOffset;
    const { data } = await log.read(at, 100);
    assert.equal(data.length, big.length);
  });

  it('stops before maxOffset (the high watermark) and returns nothing at or above it', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    for (let i = 0; i < 10; i++) await log.append(buildBatch({ records: 2 }));
    const batches = parseBatches((await log.read(0, 10_000, { maxOffset: 6 })).data);
    assert.deepEqual(
      batches.map((b) => b.baseOffset),
      [0, 2, 4],
    );
    assert.equal((await log.read(6, 10_000, { maxOffset: 6 })).data.length, 0);
    assert.equal((await log.read(7, 10_000, { maxOffset: 6 })).data.length, 0);
  });

  it('answers an empty read at the log end offset and OFFSET_OUT_OF_RANGE outside the log', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    await log.append(buildBatch({ records: 3 }));
    const atEnd = await log.read(3, 1000);
    assert.equal(atEnd.data.length, 0);
    assert.deepEqual([atEnd.logStartOffset, atEnd.logEndOffset], [0, 3]);
    await assert.rejects(log.read(4, 1000), isCode(ErrorCode.OFFSET_OUT_OF_RANGE));
    await assert.rejects(log.read(-1, 1000), isCode(ErrorCode.OFFSET_OUT_OF_RANGE));
    await assert.rejects(log.read(Number.NaN, 1000), isCode(ErrorCode.OFFSET_OUT_OF_RANGE));
  });

  it('keeps the high watermark apart from the log end offset, clamped to the log', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    await log.append(buildBatches(3));
    log.setHighWatermark(1);
    assert.deepEqual([log.highWatermark, log.logEndOffset], [1, 3]);
    assert.equal((await log.read(0, 1000)).highWatermark, 1);
    log.setHighWatermark(99);
    assert.equal(log.highWatermark, 3);
  });

  it('applies concurrent appends in call order', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => log.append(buildBatch({ records: 1 + (i % 3), fill: i % 256 }))),
    );
    let next = 0;
    for (let i = 0; i < results.length; i++) {
      assert.equal(results[i]!.baseOffset, next);
      next = results[i]!.lastOffset + 1;
    }
    const stored = await readAll(log);
    assert.deepEqual(
      stored.map((b) => b.payload[0]),
      results.map((_, i) => i % 256),
    );
  });
});

describe('partition log: refused appends write nothing', () => {
  const cases: [string, () => Buffer, string][] = [
    [
      'a bad CRC',
      () => {
        const batch = buildBatch();
        batch[batch.length - 1]! ^= 0xff;
        return batch;
      },
      ErrorCode.CORRUPT_MESSAGE,
    ],
    ['a wrong magic', () => buildBatch({ magic: 1 }), ErrorCode.CORRUPT_MESSAGE],
    ['an oversized batch', () => buildBatch({ payloadBytes: 5000 }), ErrorCode.MESSAGE_TOO_LARGE],
    ['a truncated batch', () => buildBatch().subarray(0, 40), ErrorCode.CORRUPT_MESSAGE],
    ['nothing at all', () => Buffer.alloc(0), ErrorCode.CORRUPT_MESSAGE],
    ['a good batch followed by a bad one', () => Buffer.concat([buildBatch(), buildBatch({ magic: 0 })]), ErrorCode.CORRUPT_MESSAGE],
    [
      'a record count that disagrees with lastOffsetDelta',
      () => {
        const batch = buildBatch({ records: 3 });
        batch.writeInt32BE(2, BatchField.recordCount);
        batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), BatchField.crc);
        return batch;
      },
      ErrorCode.INVALID_RECORD,
    ],
  ];
  for (const [name, make, code] of cases) {
    it(`refuses ${name} with ${code}`, async (t) => {
      const h = await harness(t, { ...SMALL, maxBatchBytes: 4096 });
      const log = await (await h.open()).createLog('orders', 0);
      await log.append(buildBatch());
      const before = log.sizeBytes();
      await assert.rejects(log.append(make()), isCode(code));
      assert.equal(log.sizeBytes(), before);
      assert.equal(log.logEndOffset, 1);
      const next = await log.append(buildBatch());
      assert.equal(next.baseOffset, 1);
    });
  }
});

describe('partition log: refusals among concurrent appends', () => {
  it('refuses a bad batch queued among good ones; the others get dense offsets and are all stored', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    const bad = buildBatch({ fill: 0xee });
    bad[bad.length - 1]! ^= 1;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => log.append(i === 17 || i === 31 ? Buffer.from(bad) : buildBatch({ records: 2, fill: i }))),
    );
    const refused = outcomes.flatMap((outcome, i) => (outcome.status === 'rejected' ? [i] : []));
    assert.deepEqual(refused, [17, 31]);
    for (const i of refused) assert.ok(isCode(ErrorCode.CORRUPT_MESSAGE)((outcomes[i] as PromiseRejectedResult).reason));
    const stored = await readAll(log);
    assert.equal(stored.length, 38);
    assert.equal(log.logEndOffset, 76);
    assert.ok(stored.every((batch, i) => batch.baseOffset === i * 2));
    assert.deepEqual(
      stored.map((batch) => batch.payload[0]),
      Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 17 && i !== 31),
    );
    assert.equal(
      log.sizeBytes(),
      stored.reduce((sum, batch) => sum + batch.sizeBytes, 0),
    );
  });

  it('refuses the appends of a failed write with DISK_FULL, keeps the rest, and the file has no torn tail', async (t) => {
    const fs = new CountingFileSystem();
    const h = await harness(t);
    const manager = await h.open({ fs });
    const log = await manager.createLog('orders', 0);
    await log.append(buildBatch());
    fs.failLogWrites = 1;
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => log.append(buildBatch({ fill: i }))));
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    assert.ok(refused.length >= 1);
    for (const outcome of refused) assert.ok(isCode(ErrorCode.DISK_FULL)((outcome as PromiseRejectedResult).reason));
    const stored = await readAll(log);
    assert.equal(stored.length, 1 + 30 - refused.length);
    assert.ok(stored.every((batch, i) => batch.baseOffset === i));
    assert.equal((await log.append(buildBatch())).baseOffset, stored.length);
    await manager.close();
    const reopened = await h.open();
    assert.equal(reopened.getLog('orders', 0)!.logEndOffset, stored.length + 1);
    assert.equal(h.logger.lines.filter((line) => line.msg === 'truncated a torn or corrupt tail of the log').length, 0);
  });
});

describe('partition log: offsets for timestamps', () => {
  it('finds the first batch whose max timestamp reaches the target, across segments', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    for (let i = 0; i < 50; i++)
      await log.append(buildBatch({ records: 2, baseTimestamp: 1000 + i * 10, maxTimestamp: 1000 + i * 10 + 5 }));
    assert.deepEqual(await log.offsetForTimestamp(0), { offset: 0, timestamp: 1005 });
    assert.deepEqual(await log.offsetForTimestamp(1005), { offset: 0, timestamp: 1005 });
    assert.deepEqual(await log.offsetForTimestamp(1006), { offset: 2, timestamp: 1015 });
    assert.deepEqual(await log.offsetForTimestamp(1333), { offset: 66, timestamp: 1335 });
    assert.deepEqual(await log.offsetForTimestamp(1336), { offset: 68, timestamp: 1345 });
    assert.deepEqual(await log.offsetForTimestamp(1495), { offset: 98, timestamp: 1495 });
    assert.equal(await log.offsetForTimestamp(1496), null);
  });

  it('answers from time indexes reloaded after a restart', async (t) => {
    const h = await harness(t);
    let manager = await h.open();
    let log = await manager.createLog('orders', 0);
    for (let i = 0; i < 50; i++) await log.append(buildBatch({ baseTimestamp: 5000 + i, maxTimestamp: 5000 + i }));
    await manager.close();
    manager = await h.open();
    log = manager.getLog('orders', 0)!;
    assert.deepEqual(await log.offsetForTimestamp(5031), { offset: 31, timestamp: 5031 });
  });
});

describe('partition log: truncation and deleting records', () => {
  it('truncateTo removes whole batches at and above the offset, across segments, and appends continue there', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    for (let i = 0; i < 40; i++) await log.append(buildBatch({ records: 5, payloadBytes: 60 }));
    const segmentsBefore = (await readdir(log.dir)).filter((name) => name.endsWith('.log')).length;
    await log.truncateTo(52); // inside the batch 50..54: that batch goes too
    assert.equal(log.logEndOffset, 50);
    const segmentsAfter = (await readdir(log.dir)).filter((name) => name.endsWith('.log')).length;
    assert.ok(segmentsAfter < segmentsBefore);
    const stored = await readAll(log);
    assert.equal(stored.at(-1)!.lastOffset, 49);
    assert.equal((await log.append(buildBatch({ records: 2 }))).baseOffset, 50);
    assert.equal((await readAll(log)).at(-1)!.lastOffset, 51);
    await log.truncateTo(1000); // at or above the end: nothing to do
    assert.equal(log.logEndOffset, 52);
  });

  it('truncateTo at a segment base keeps that segment as the new, empty active segment', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    for (let i = 0; i < 40; i++) await log.append(buildBatch({ payloadBytes: 139 })); // 200 bytes: 5 per segment
    await log.truncateTo(10);
    assert.equal(log.logEndOffset, 10);
    const names = await readdir(log.dir);
    assert.ok(names.includes('00000000000000000010.log'));
    assert.ok(!names.includes('00000000000000000015.log'));
    await log.append(buildBatch());
    assert.equal((await readAll(log)).length, 11);
  });

  it('truncateTo keeps the high watermark at or below the new end', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    await log.append(buildBatches(10));
    log.setHighWatermark(10);
    await log.truncateTo(4);
    assert.deepEqual([log.logEndOffset, log.highWatermark], [4, 4]);
  });

  it('deleteRecordsBefore advances the log start, deletes whole segments below it, and survives a restart', async (t) => {
    const h = await harness(t);
    let manager = await h.open();
    let log = await manager.createLog('orders', 0);
    for (let i = 0; i < 40; i++) await log.append(buildBatch({ payloadBytes: 139 }));
    assert.equal(await log.deleteRecordsBefore(12), 12);
    assert.equal(log.logStartOffset, 12);
    const names = await readdir(log.dir);
    assert.ok(!names.includes('00000000000000000005.log'), 'segments wholly below the start are gone');
    assert.ok(names.includes('00000000000000000010.log'), 'the segment holding the start stays');
    await assert.rejects(log.read(11, 100), isCode(ErrorCode.OFFSET_OUT_OF_RANGE));
    assert.equal(parseBatches((await log.read(12, 100)).data)[0]!.baseOffset, 12);
    assert.equal(await log.deleteRecordsBefore(3), 12, 'never moves back');
    await assert.rejects(log.deleteRecordsBefore(41), isCode(ErrorCode.OFFSET_OUT_OF_RANGE));
    await manager.close();
    manager = await h.open();
    log = manager.getLog('orders', 0)!;
    assert.equal(log.logStartOffset, 12);
    assert.equal(log.logEndOffset, 40);
  });

  it('truncating below the log start empties the log and restarts it there', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('orders', 0);
    await log.append(buildBatches(10));
    await log.deleteRecordsBefore(8);
    await log.truncateTo(5);
    assert.deepEqual([log.logStartOffset, log.logEndOffset], [5, 5]);
    assert.equal((await log.append(buildBatch())).baseOffset, 5);
  });
});

describe('partition log: leader epochs', () => {
  it('caches epoch start offsets, answers endOffsetForEpoch like Kafka, and truncates with the log', async (t) => {
    const h = await harness(t);
    let manager = await h.open();
    let log = await manager.createLog('orders', 0);
    await log.append(buildBatches(3), { leaderEpoch: 1 });
    await log.append(buildBatches(2), { leaderEpoch: 1 });
    await log.append(buildBatches(4), { leaderEpoch: 3 });
    await log.append(buildBatches(1), { leaderEpoch: 4 });
    assert.equal(log.latestEpoch(), 4);
    assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 5 });
    assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 1, endOffset: 5 });
    assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 9 });
    assert.deepEqual(log.endOffsetForEpoch(4), { epoch: 4, endOffset: 10 });
    assert.deepEqual(log.endOffsetForEpoch(0), { epoch: 0, endOffset: 0 });
    assert.deepEqual(log.endOffsetForEpoch(9), { epoch: -1, endOffset: -1 });
    await manager.close();

    manager = await h.open();
    log = manager.getLog('orders', 0)!;
    assert.equal(log.latestEpoch(), 4, 'the checkpoint survives a restart');
    await log.truncateTo(7);
    assert.equal(log.latestEpoch(), 3);
    assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 7 });
    await manager.close();

    manager = await h.open();
    log = manager.getLog('orders', 0)!;
    assert.equal(log.latestEpoch(), 3, 'the truncated checkpoint was written');
    await log.assignEpoch(6, 7);
    assert.deepEqual(log.endOffsetForEpoch(5), { epoch: 3, endOffset: 7 });
  });
});

describe('partition log: lifecycle', () => {
  it('refuses every call after close with LOG_CLOSED, and close is idempotent', async (t) => {
    const h = await harness(t);
    const manager = await h.open();
    const log = await manager.createLog('orders', 0);
    const pending = log.append(buildBatch());
    await log.close();
    assert.equal((await pending).baseOffset, 0, 'appends queued before close are written');
    await log.close();
    await assert.rejects(log.append(buildBatch()), isCode(ErrorCode.LOG_CLOSED));
    await assert.rejects(log.read(0, 100), isCode(ErrorCode.LOG_CLOSED));
  });

  it('updateConfig changes rolling in place and rejects invalid values', async (t) => {
    const h = await harness(t, { ...SMALL, segmentBytes: 1 << 20 });
    const log = await (await h.open()).createLog('orders', 0);
    for (let i = 0; i < 10; i++) await log.append(buildBatch({ payloadBytes: 139 }));
    log.updateConfig({ segmentBytes: 400 });
    for (let i = 0; i < 10; i++) await log.append(buildBatch({ payloadBytes: 139 }));
    assert.ok((await readdir(log.dir)).filter((name) => name.endsWith('.log')).length >= 5);
    assert.throws(() => log.updateConfig({ segmentBytes: 10 }), isCode(ErrorCode.INVALID_CONFIG));
    assert.equal(log.config.segmentBytes, 400);
  });

  it('rolls by time (segmentMs) on the injected clock', async (t) => {
    const h = await harness(t, { ...SMALL, segmentBytes: 1 << 20, segmentMs: 1000 });
    let nowMs = 0;
    const log = await (await h.open({ now: () => nowMs })).createLog('orders', 0);
    await log.append(buildBatch());
    nowMs = 999;
    await log.append(buildBatch());
    assert.equal((await readdir(log.dir)).filter((name) => name.endsWith('.log')).length, 1);
    nowMs = 1000;
    await log.append(buildBatch());
    assert.deepEqual((await readdir(log.dir)).filter((name) => name.endsWith('.log')).sort(), [
      '00000000000000000000.log',
      '00000000000000000002.log',
    ]);
  });
});
