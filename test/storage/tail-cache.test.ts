import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchBaseOffset, batchLastOffset, batchSizeBytes, patchBaseOffset } from '../../src/common/record-batch-header.ts';
import { TAIL_CACHE_COPY_MAX_BYTES, TAIL_CACHE_ENTRY_OVERHEAD_BYTES as OVERHEAD, TailCachePool } from '../../src/storage/tail-cache.ts';
import type { PartitionLog } from '../../src/storage/types.ts';
import { buildBatch, buildBatches } from './batch-fixtures.ts';
import { CountingFileSystem, harness } from './storage-helpers.ts';

/** A seeded xorshift, so a failure replays with FERRY_SEED. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/** `count` batches of `records` each stamped from `baseOffset`, as the writer would store them. */
function stamped(baseOffset: number, count: number, records = 1, payloadBytes = 40): Buffer {
  const data = buildBatches(count, { records, payloadBytes });
  let at = 0;
  let offset = baseOffset;
  while (at < data.length) {
    patchBaseOffset(data, at, offset);
    offset += records;
    at += batchSizeBytes(data, at);
  }
  // A buffer of its own (not a slice of Node's shared pool), as appended frames of that size are.
  const own = Buffer.allocUnsafeSlow(data.length);
  data.copy(own);
  return own;
}

function offsetsOf(data: Buffer): number[][] {
  const out: number[][] = [];
  for (let at = 0; at < data.length; at += batchSizeBytes(data, at)) out.push([batchBaseOffset(data, at), batchLastOffset(data, at)]);
  return out;
}

describe('tail cache: reads', () => {
  it('answers from the batch holding the offset, whole batches within maxBytes and below maxOffset', () => {
    const cache = new TailCachePool().create();
    const first = stamped(0, 3, 2); // offsets 0-5
    const second = stamped(6, 2, 2); // offsets 6-9
    cache.add(first, 0, 6, 0);
    cache.add(second, 6, 10, 0);
    const batchBytes = batchSizeBytes(first, 0);
    assert.deepEqual(offsetsOf(cache.read(3, 10_000, Infinity)!), [
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    // At least one batch, however small maxBytes is; then only what fits.
    assert.deepEqual(offsetsOf(cache.read(3, 1, Infinity)!), [[2, 3]]);
    assert.deepEqual(offsetsOf(cache.read(3, batchBytes * 3, Infinity)!), [
      [2, 3],
      [4, 5],
      [6, 7],
    ]);
    // Nothing starting at or above maxOffset (the high watermark).
    assert.deepEqual(offsetsOf(cache.read(3, 10_000, 6)!), [
      [2, 3],
      [4, 5],
    ]);
    assert.equal(cache.read(6, 10_000, 6)!.length, 0);
    // Outside the cached run: a miss, the file answers.
    assert.equal(cache.read(10, 10_000, Infinity), null);
    assert.equal(cache.read(-1, 10_000, Infinity), null);
  });

  it('never crosses a segment boundary, as a file read does not', () => {
    const cache = new TailCachePool().create();
    cache.add(stamped(0, 2), 0, 2, 0);
    cache.add(stamped(2, 2), 2, 4, 2);
    assert.deepEqual(offsetsOf(cache.read(0, 10_000, Infinity)!), [
      [0, 0],
      [1, 1],
    ]);
    assert.deepEqual(offsetsOf(cache.read(2, 10_000, Infinity)!), [
      [2, 2],
      [3, 3],
    ]);
  });

  it('starts afresh after a gap in offsets', () => {
    const cache = new TailCachePool().create();
    cache.add(stamped(0, 2), 0, 2, 0);
    cache.add(stamped(5, 1), 5, 6, 0);
    assert.equal(cache.read(0, 10_000, Infinity), null);
    assert.equal(cache.firstOffset, 5);
  });

  it('combines entries into one copy only up to the copy limit; past it a read ends with a view', () => {
    const cache = new TailCachePool({ maxBytesPerPartition: 1 << 20 }).create();
    // Small entries: one answer for many of them, copied, up to 64 KiB.
    let offset = 0;
    const small: Buffer[] = [];
    while (offset < 400) {
      const entry = stamped(offset, 1, 1, 400);
      small.push(entry);
      cache.add(entry, offset, offset + 1, 0);
      offset++;
    }
    const combined = cache.read(0, 1 << 20, Infinity)!;
    assert.ok(combined.length <= TAIL_CACHE_COPY_MAX_BYTES && combined.length > TAIL_CACHE_COPY_MAX_BYTES - small[0]!.length);
    assert.deepEqual(combined, Buffer.concat(small.slice(0, combined.length / small[0]!.length)));
    // A big entry: its view alone, whatever maxBytes allows, and no copy.
    const big = stamped(offset, 8, 1, 10_000);
    const next = stamped(offset + 8, 8, 1, 10_000);
    cache.add(big, offset, offset + 8, 0);
    cache.add(next, offset + 8, offset + 16, 0);
    const read = cache.read(offset, 1 << 20, Infinity)!;
    assert.equal(read.buffer, big.buffer);
    assert.deepEqual(offsetsOf(read).map(([base]) => base), [400, 401, 402, 403, 404, 405, 406, 407]);
    assert.equal(cache.read(offset + 8, 1 << 20, Infinity)!.buffer, next.buffer);
  });

  it('counts a view at the size of the buffer it keeps alive, and keeps it without a copy', () => {
    const pool = new TailCachePool({ maxBytesPerPartition: 32 * 1024 });
    const cache = pool.create();
    const batch = stamped(0, 1);
    const chunk = Buffer.alloc(16 * 1024);
    batch.copy(chunk, 100);
    cache.add(chunk.subarray(100, 100 + batch.length), 0, 1, 0);
    const read = cache.read(0, 10_000, Infinity)!;
    assert.deepEqual(read, batch);
    assert.equal(read.buffer, chunk.buffer);
    assert.equal(cache.sizeBytes, 16 * 1024 + OVERHEAD);
    assert.equal(pool.sizeBytes, 16 * 1024 + OVERHEAD);
    // A view of a buffer bigger than the bound is not kept at all.
    const huge = Buffer.alloc(64 * 1024);
    stamped(1, 1).copy(huge);
    cache.add(huge.subarray(0, batch.length), 1, 2, 0);
    assert.equal(cache.read(1, 10_000, Infinity), null);
    assert.equal(pool.sizeBytes, 0);
  });
});

describe('tail cache: bounds', () => {
  it('keeps at most maxBytesPerPartition, dropping the oldest appends first', () => {
    const batchBytes = stamped(0, 1).length + OVERHEAD;
    const pool = new TailCachePool({ maxBytesPerPartition: batchBytes * 4, maxBytes: 1024 * 1024 });
    const cache = pool.create();
    for (let offset = 0; offset < 20; offset++) {
      cache.add(stamped(offset, 1), offset, offset + 1, 0);
      assert.ok(cache.sizeBytes <= batchBytes * 4);
    }
    assert.equal(cache.firstOffset, 16);
    assert.equal(cache.read(15, 10_000, Infinity), null);
    assert.deepEqual(offsetsOf(cache.read(16, 10_000, Infinity)!), [
      [16, 16],
      [17, 17],
      [18, 18],
      [19, 19],
    ]);
    assert.equal(pool.sizeBytes, cache.sizeBytes);
    // An append larger than the bound is not kept, nor is anything before it.
    cache.add(stamped(20, 12), 20, 32, 0);
    assert.equal(cache.sizeBytes, 0);
    assert.equal(pool.sizeBytes, 0);
  });

  it('keeps at most maxBytes across partitions, the least recently appended losing theirs first', () => {
    const batchBytes = stamped(0, 1).length + OVERHEAD;
    const pool = new TailCachePool({ maxBytesPerPartition: batchBytes * 4, maxBytes: batchBytes * 6 });
    const a = pool.create();
    const b = pool.create();
    const c = pool.create();
    for (let offset = 0; offset < 3; offset++) a.add(stamped(offset, 1), offset, offset + 1, 0);
    for (let offset = 0; offset < 3; offset++) b.add(stamped(offset, 1), offset, offset + 1, 0);
    assert.equal(pool.sizeBytes, batchBytes * 6);
    c.add(stamped(0, 1), 0, 1, 0); // a is the coldest: it goes whole
    assert.equal(a.sizeBytes, 0);
    assert.equal(b.sizeBytes, batchBytes * 3);
    assert.equal(pool.sizeBytes, batchBytes * 4);
    b.add(stamped(3, 1), 3, 4, 0);
    c.add(stamped(1, 1), 1, 2, 0);
    c.add(stamped(2, 1), 2, 3, 0); // b is now the coldest
    assert.equal(b.sizeBytes, 0);
    assert.equal(pool.sizeBytes, c.sizeBytes);
  });

  it('never holds more than its bounds under random appends to many partitions', () => {
    const seed = Number(process.env.FERRY_SEED ?? Date.now() % 1_000_000);
    const random = rng(seed);
    const pool = new TailCachePool({ maxBytesPerPartition: 2000, maxBytes: 5000 });
    const caches = Array.from({ length: 5 }, () => pool.create());
    const next = caches.map(() => 0);
    for (let i = 0; i < 2000; i++) {
      const p = Math.floor(random() * caches.length);
      const count = 1 + Math.floor(random() * 4);
      caches[p]!.add(stamped(next[p]!, count), next[p]!, next[p]! + count, 0);
      next[p]! += count;
      const total = caches.reduce((sum, cache) => sum + cache.sizeBytes, 0);
      assert.equal(pool.sizeBytes, total, `seed ${seed}`);
      assert.ok(total <= 5000, `seed ${seed}: ${total} bytes held`);
      for (const cache of caches) assert.ok(cache.sizeBytes <= 2000, `seed ${seed}`);
    }
  });

  it('is off with a bound of 0', () => {
    const cache = new TailCachePool({ maxBytesPerPartition: 0 }).create();
    cache.add(stamped(0, 1), 0, 1, 0);
    assert.equal(cache.read(0, 10_000, Infinity), null);
  });
});

describe('tail cache in the partition log', () => {
  /** Reads the log from `from` in steps of `maxBytes` up to the high watermark. */
  async function readSteps(log: PartitionLog, from: number, maxBytes: number): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (let offset = from; offset < log.highWatermark; ) {
      const { data } = await log.read(offset, maxBytes, { maxOffset: log.highWatermark });
      assert.ok(data.length > 0);
      out.push(Buffer.from(data));
      const batches = offsetsOf(data);
      offset = batches.at(-1)![1] + 1;
    }
    return out;
  }

  it('serves tailing reads from memory with exactly the bytes the file holds', async (t) => {
    const seed = Number(process.env.FERRY_SEED ?? Date.now() % 1_000_000);
    const random = rng(seed);
    const h = await harness(t, { segmentBytes: 16 * 1024, indexIntervalBytes: 256, flush: { kind: 'none' } });
    const fs = new CountingFileSystem();
    let logReads = 0;
    fs.beforeRead = async (filePath) => {
      if (filePath.endsWith('.log')) logReads++;
    };
    const manager = await h.open({ fs, tailCacheMaxBytesPerPartition: 8 * 1024 });
    const log = await manager.createLog('tail', 0);
    const reads: { offset: number; maxBytes: number; maxOffset: number; data: Buffer }[] = [];
    let tailReadsFromFile = 0;
    for (let i = 0; i < 200; i++) {
      const records = 1 + Math.floor(random() * 3);
      const appends = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, j) =>
        log.append(buildBatch({ records, payloadBytes: 20 * records + Math.floor(random() * 300), fill: (i + j) & 0xff })),
      );
      const results = await Promise.all(appends);
      log.setHighWatermark(log.logEndOffset);
      // A consumer at the tail, and one a little behind it.
      for (const offset of [results[0]!.baseOffset, Math.max(0, results[0]!.baseOffset - Math.floor(random() * 40))]) {
        const maxBytes = 1 + Math.floor(random() * 4000);
        const before = logReads;
        const { data } = await log.read(offset, maxBytes, { maxOffset: log.highWatermark });
        if (offset === results[0]!.baseOffset && logReads > before) tailReadsFromFile++;
        reads.push({ offset, maxBytes, maxOffset: log.highWatermark, data: Buffer.from(data) });
      }
    }
    assert.equal(tailReadsFromFile, 0, `seed ${seed}: every read at the tail came from memory`);
    const wholeLog = await readSteps(log, 0, 100_000);
    await manager.close();
    // The same reads from the files alone.
    const uncached = await h.open({ tailCacheMaxBytesPerPartition: 0 });
    const reopened = uncached.getLog('tail', 0)!;
    for (const read of reads) {
      const { data } = await reopened.read(read.offset, read.maxBytes, { maxOffset: read.maxOffset });
      assert.deepEqual(read.data, data, `seed ${seed}: read at ${read.offset} of ${read.maxBytes} bytes`);
    }
    assert.deepEqual(Buffer.concat(await readSteps(reopened, 0, 100_000)), Buffer.concat(wholeLog), `seed ${seed}`);
  });

  it('forgets cut bytes: after truncation a read returns what was appended since', async (t) => {
    const h = await harness(t);
    const log = await (await h.open()).createLog('cut', 0);
    for (let i = 0; i < 5; i++) await log.append(buildBatch({ records: 1, payloadBytes: 40, fill: 0x11 }));
    log.setHighWatermark(log.logEndOffset);
    assert.equal((await log.read(3, 10_000, { maxOffset: log.highWatermark })).data.length > 0, true);
    await log.truncateTo(3);
    await log.append(buildBatch({ records: 1, payloadBytes: 40, fill: 0x22 }));
    log.setHighWatermark(log.logEndOffset);
    const { data } = await log.read(3, 10_000, { maxOffset: log.highWatermark });
    assert.deepEqual(offsetsOf(data), [[3, 3]]);
    assert.equal(data.at(-1), 0x22, 'the new bytes, not the cut ones');
    assert.deepEqual(data, (await log.read(3, 10_000, { maxOffset: log.highWatermark })).data);
  });

  it('forgets deleted records', async (t) => {
    const h = await harness(t);
    const manager = await h.open({ tailCacheMaxBytes: 1024 * 1024 });
    const log = await manager.createLog('gone', 0);
    for (let i = 0; i < 6; i++) await log.append(buildBatch({ records: 1, payloadBytes: 40 }));
    log.setHighWatermark(log.logEndOffset);
    await log.deleteRecordsBefore(4);
    await assert.rejects(log.read(2, 10_000, { maxOffset: log.highWatermark }), /outside/);
    assert.deepEqual(offsetsOf((await log.read(4, 10_000, { maxOffset: log.highWatermark })).data), [
      [4, 4],
      [5, 5],
    ]);
  });
});
