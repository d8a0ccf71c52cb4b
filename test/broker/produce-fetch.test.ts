import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../../src/broker/types.ts';
import { ErrorCode } from '../../src/common/errors.ts';
import { encodeRecordBatch } from '../../src/common/record-batch.ts';
import { batchOf, only, openBroker, recordsOf, startBroker, tempDir, valuesOf } from './helpers.ts';

function hasCode(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    return true;
  };
}

test('produce with acks 0, 1 and -1 appends and makes records readable', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const results = [];
  for (const acks of [0, 1, -1] as const) {
    results.push(await broker.produce({ topic: 't', partition: 0, batches: batchOf([`a${acks}`, `b${acks}`]), acks }));
  }
  assert.deepEqual(
    results.map((r) => [r.baseOffset, r.isDuplicate, r.logStartOffset, r.logAppendTimeMs]),
    [
      [0, false, 0, -1],
      [2, false, 0, -1],
      [4, false, 0, -1],
    ],
  );
  const fetched = only(
    await broker.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
    }),
  );
  assert.equal(fetched.error, null);
  assert.equal(fetched.highWatermark, 6);
  assert.equal(fetched.lastStableOffset, 6);
  assert.deepEqual(valuesOf(fetched.records), ['a0', 'b0', 'a1', 'b1', 'a-1', 'b-1']);
  const partition = broker.describeTopic('t').partitions[0]!;
  assert.equal(partition.logEndOffset, 6);
  assert.equal(partition.highWatermark, 6);
});

test('produce refuses bad acks, unknown partitions, internal topics and malformed batches', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t', { partitions: 2 });
  const batches = batchOf(['x']);
  await assert.rejects(broker.produce({ topic: 't', partition: 0, batches, acks: 2 as 1 }), hasCode(ErrorCode.INVALID_REQUIRED_ACKS));
  await assert.rejects(broker.produce({ topic: 'nope', partition: 0, batches, acks: 1 }), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  await assert.rejects(broker.produce({ topic: 't', partition: 2, batches, acks: 1 }), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  await assert.rejects(broker.produce({ topic: 't', partition: -1, batches, acks: 1 }), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  await assert.rejects(broker.produce({ topic: '__consumer_offsets', partition: 0, batches, acks: 1 }), hasCode(ErrorCode.INVALID_TOPIC));
  await assert.rejects(broker.produce({ topic: 't', partition: 0, batches: Buffer.alloc(0), acks: 1 }), hasCode(ErrorCode.INVALID_RECORD));
  await assert.rejects(
    broker.produce({ topic: 't', partition: 0, batches: batches.subarray(0, 40), acks: 1 }),
    hasCode(ErrorCode.CORRUPT_MESSAGE),
  );
  const flipped = Buffer.from(batches);
  flipped[flipped.length - 1]! ^= 0xff;
  await assert.rejects(broker.produce({ topic: 't', partition: 0, batches: flipped, acks: 1 }), hasCode(ErrorCode.CORRUPT_MESSAGE));
  assert.equal(broker.describeTopic('t').partitions[0]!.logEndOffset, 0);
});

test('several batches in one produce request get consecutive offsets', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const result = await broker.produce({ topic: 't', partition: 0, batches: Buffer.concat([batchOf(['a', 'b']), batchOf(['c'])]), acks: 1 });
  assert.equal(result.baseOffset, 0);
  const fetched = only(
    await broker.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    }),
  );
  assert.deepEqual(recordsOf(fetched.records), [
    { offset: 0, value: 'a' },
    { offset: 1, value: 'b' },
    { offset: 2, value: 'c' },
  ]);
});

test('fetch returns the stored bytes from the batch holding the offset', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const first = batchOf(['a', 'b', 'c']);
  await broker.produce({ topic: 't', partition: 0, batches: first, acks: 1 });
  await broker.produce({ topic: 't', partition: 0, batches: batchOf(['d']), acks: 1 });
  const fetched = only(
    await broker.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 1, maxBytes: 1 << 20 }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    }),
  );
  // Whole stored batches: the first starts below offset 1, as in Kafka.
  assert.deepEqual(fetched.records.subarray(0, first.length), first);
  assert.deepEqual(valuesOf(fetched.records, 1), ['b', 'c', 'd']);
  const atEnd = only(
    await broker.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 4, maxBytes: 1 << 20 }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    }),
  );
  assert.equal(atEnd.error, null);
  assert.equal(atEnd.records.length, 0);
});

test('fetch reports errors per partition instead of throwing', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  await broker.produce({ topic: 't', partition: 0, batches: batchOf(['a']), acks: 1 });
  const results = await broker.fetch({
    partitions: [
      { topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 },
      { topic: 't', partition: 0, offset: 7, maxBytes: 1 << 20 },
      { topic: 'missing', partition: 0, offset: 0, maxBytes: 1 << 20 },
      { topic: 't', partition: 0, offset: -5, maxBytes: 1 << 20 },
    ],
    maxWaitMs: 1000,
    minBytes: 1 << 20,
    maxBytes: 1 << 20,
  });
  assert.deepEqual(
    results.map((r) => r.error?.code ?? null),
    [null, ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.OFFSET_OUT_OF_RANGE],
  );
  assert.deepEqual(valuesOf(results[0]!.records), ['a']);
  assert.equal(results[1]!.highWatermark, 1);
  assert.equal(results[2]!.highWatermark, -1);
});

test('a long poll whose read stopped short of the high watermark answers at once, not after maxWaitMs', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  // Two appends of 40 KiB each: the tail cache answers a read with the first as a view, since
  // copying both into one buffer would pass its 64 KiB copy limit.
  const big = (fill: string) => batchOf(Array.from({ length: 40 }, () => fill.repeat(1024)));
  await broker.produce({ topic: 't', partition: 0, batches: big('a'), acks: 1 });
  await broker.produce({ topic: 't', partition: 0, batches: big('b'), acks: 1 });
  const startedAt = performance.now();
  const first = only(
    await broker.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
      maxWaitMs: 5_000,
      minBytes: 1 << 20,
      maxBytes: 1 << 20,
    }),
  );
  assert.ok(performance.now() - startedAt < 2_000, 'more was readable: the fetch did not wait for appends');
  const firstValues = valuesOf(first.records);
  assert.deepEqual(new Set(firstValues), new Set(['a'.repeat(1024)]));
  assert.equal(firstValues.length, 40);
  // The rest is there for the next fetch, from where the first one ended.
  const rest = only(
    await broker.fetch({ partitions: [{ topic: 't', partition: 0, offset: 40, maxBytes: 1 << 20 }], maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20 }),
  );
  assert.deepEqual(valuesOf(rest.records), Array.from({ length: 40 }, () => 'b'.repeat(1024)));
});

test('fetch never reads past the high watermark', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  await broker.produce({ topic: 't', partition: 0, batches: batchOf(['a', 'b']), acks: 1 });
  // Hold the high watermark back, as a replicated partition would while followers catch up.
  const log = broker.logs.getLog('t', 0)!;
  await log.append(batchOf(['c']));
  assert.equal(log.logEndOffset, 3);
  assert.equal(log.highWatermark, 2);
  const fetched = only(
    await broker.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    }),
  );
  assert.equal(fetched.highWatermark, 2);
  assert.deepEqual(valuesOf(fetched.records), ['a', 'b']);
  const between = only(
    await broker.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 2, maxBytes: 1 << 20 }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    }),
  );
  assert.equal(between.error, null);
  assert.equal(between.records.length, 0);
  assert.equal((await broker.listOffset('t', 0, LATEST_TIMESTAMP)).offset, 2);
});

test('fetch respects per-partition and response maxBytes, but always returns one batch first', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t', { partitions: 2 });
  const size = batchOf(['x'.repeat(100)]).length;
  for (let i = 0; i < 5; i++) {
    await broker.produce({ topic: 't', partition: 0, batches: batchOf([`${i}`.repeat(100)]), acks: 1 });
    await broker.produce({ topic: 't', partition: 1, batches: batchOf([`${i}`.repeat(100)]), acks: 1 });
  }
  const partitions = [
    { topic: 't', partition: 0, offset: 0, maxBytes: size * 2 },
    { topic: 't', partition: 1, offset: 0, maxBytes: size * 5 },
  ];
  const both = await broker.fetch({ partitions, maxWaitMs: 0, minBytes: 0, maxBytes: size * 3 });
  assert.equal(both[0]!.records.length, size * 2);
  assert.equal(both[1]!.records.length, size, 'the response budget leaves room for one more batch');
  // A budget smaller than one batch still returns that batch for the first partition only.
  const tiny = await broker.fetch({ partitions, maxWaitMs: 0, minBytes: 0, maxBytes: 10 });
  assert.equal(tiny[0]!.records.length, size);
  assert.equal(tiny[1]!.records.length, 0);
  assert.equal(tiny[1]!.error, null);
  const partitionTiny = await broker.fetch({
    partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 }],
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
  });
  assert.equal(partitionTiny[0]!.records.length, size);
});

test('long poll: answers at once when minBytes are there', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  await broker.produce({ topic: 't', partition: 0, batches: batchOf(['a']), acks: 1 });
  const started = Date.now();
  const fetched = only(
    await broker.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
      maxWaitMs: 5000,
      minBytes: 1,
      maxBytes: 1 << 20,
    }),
  );
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(valuesOf(fetched.records), ['a']);
});

test('long poll: wakes on an append to any watched partition', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t', { partitions: 3 });
  const started = Date.now();
  const pending = broker.fetch({
    partitions: [0, 1, 2].map((partition) => ({ topic: 't', partition, offset: 0, maxBytes: 1 << 20 })),
    maxWaitMs: 10_000,
    minBytes: 1,
    maxBytes: 1 << 20,
  });
  setTimeout(() => void broker.produce({ topic: 't', partition: 2, batches: batchOf(['late']), acks: 1 }), 50);
  const results = await pending;
  assert.ok(Date.now() - started < 5000, 'woken by the append, not the timeout');
  assert.deepEqual(valuesOf(results[2]!.records), ['late']);
  assert.equal(results[0]!.records.length, 0);
});

test('long poll: waits until minBytes have arrived', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const oneBatch = batchOf(['abc']).length;
  const pending = broker.fetch({
    partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
    maxWaitMs: 10_000,
    minBytes: oneBatch * 3,
    maxBytes: 1 << 20,
  });
  let isDone = false;
  void pending.then(() => (isDone = true));
  for (let i = 0; i < 2; i++) {
    await broker.produce({ topic: 't', partition: 0, batches: batchOf(['abc']), acks: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(isDone, false, `still waiting after ${i + 1} batches`);
  }
  await broker.produce({ topic: 't', partition: 0, batches: batchOf(['abc']), acks: 1 });
  const fetched = only(await pending);
  assert.deepEqual(valuesOf(fetched.records), ['abc', 'abc', 'abc']);
});

test('long poll: times out after maxWaitMs with what is there', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const started = Date.now();
  const fetched = only(
    await broker.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
      maxWaitMs: 150,
      minBytes: 1,
      maxBytes: 1 << 20,
    }),
  );
  const elapsedMs = Date.now() - started;
  assert.ok(elapsedMs >= 140 && elapsedMs < 2000, `waited ${elapsedMs} ms`);
  assert.equal(fetched.error, null);
  assert.equal(fetched.records.length, 0);
});

test('long poll: maxWaitMs is capped by fetchMaxWaitMs', async (t) => {
  const { broker } = await startBroker(t, { config: { fetchMaxWaitMs: 100 } });
  await broker.createTopic('t');
  const started = Date.now();
  await broker.fetch({
    partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
    maxWaitMs: 60_000,
    minBytes: 1,
    maxBytes: 1 << 20,
  });
  assert.ok(Date.now() - started < 2000);
});

test('long poll: an abort ends the wait and leaves no waiter behind', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const controller = new AbortController();
  const started = Date.now();
  const pending = broker.fetch({
    partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
    maxWaitMs: 10_000,
    minBytes: 1,
    maxBytes: 1 << 20,
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(), 30);
  const fetched = only(await pending);
  assert.ok(Date.now() - started < 5000);
  assert.equal(fetched.records.length, 0);
  // Internal check: no parked fetch remains and the partition has no waiter.
  const internals = broker as unknown as { fetcher: { parkedCount: number } };
  assert.equal(internals.fetcher.parkedCount, 0);
  // An already aborted signal answers at once.
  const aborted = AbortSignal.abort();
  const again = Date.now();
  await broker.fetch({
    partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 }],
    maxWaitMs: 10_000,
    minBytes: 1,
    maxBytes: 1,
    signal: aborted,
  });
  assert.ok(Date.now() - again < 1000);
});

test('long poll: parked fetches are bounded and all wake on close', async (t) => {
  const { broker } = await startBroker(t, { config: { maxParkedFetches: 2 } });
  await broker.createTopic('t');
  const request = {
    partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
    maxWaitMs: 10_000,
    minBytes: 1,
    maxBytes: 1 << 20,
  };
  const parked = [broker.fetch(request), broker.fetch(request)];
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = Date.now();
  await broker.fetch(request);
  assert.ok(Date.now() - started < 1000, 'a fetch beyond the bound answers at once');
  await broker.close();
  const results = await Promise.all(parked);
  assert.ok(Date.now() - started < 5000);
  assert.equal(results.length, 2);
});

test('long poll: deleting a watched topic wakes the fetch with an error', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const pending = broker.fetch({
    partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
    maxWaitMs: 10_000,
    minBytes: 1,
    maxBytes: 1 << 20,
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = Date.now();
  await broker.deleteTopic('t');
  const fetched = only(await pending);
  assert.ok(Date.now() - started < 5000);
  assert.equal(fetched.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('listOffset: earliest, latest and by timestamp', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  await broker.produce({ topic: 't', partition: 0, batches: batchOf(['a', 'b'], { timestamp: 1_000 }), acks: 1 });
  await broker.produce({ topic: 't', partition: 0, batches: batchOf(['c'], { timestamp: 2_000 }), acks: 1 });
  await broker.produce({ topic: 't', partition: 0, batches: batchOf(['d'], { timestamp: 3_000 }), acks: 1 });
  assert.deepEqual(await broker.listOffset('t', 0, EARLIEST_TIMESTAMP), { offset: 0, timestamp: -1, leaderEpoch: 0 });
  assert.deepEqual(await broker.listOffset('t', 0, LATEST_TIMESTAMP), { offset: 4, timestamp: -1, leaderEpoch: 0 });
  assert.equal((await broker.listOffset('t', 0, 0)).offset, 0);
  assert.deepEqual(await broker.listOffset('t', 0, 1_500), { offset: 2, timestamp: 2_000, leaderEpoch: 0 });
  assert.equal((await broker.listOffset('t', 0, 2_000)).offset, 2);
  assert.equal((await broker.listOffset('t', 0, 2_001)).offset, 3);
  assert.deepEqual(await broker.listOffset('t', 0, 9_999), { offset: -1, timestamp: -1, leaderEpoch: -1 });
  await assert.rejects(broker.listOffset('t', 0, -7), hasCode(ErrorCode.INVALID_REQUEST));
  await assert.rejects(broker.listOffset('t', 1, LATEST_TIMESTAMP), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
});

test('listOffset by timestamp finds the record inside a batch, as Kafka does', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const batch = encodeRecordBatch({
    records: [1_000, 2_000, 3_000].map((timestamp) => ({ value: Buffer.from(String(timestamp)), timestamp })),
    compression: 'gzip',
  });
  await broker.produce({ topic: 't', partition: 0, batches: batch, acks: 1 });
  assert.deepEqual(await broker.listOffset('t', 0, 1_500), { offset: 1, timestamp: 2_000, leaderEpoch: 0 });
  assert.deepEqual(await broker.listOffset('t', 0, 3_000), { offset: 2, timestamp: 3_000, leaderEpoch: 0 });
  assert.equal((await broker.listOffset('t', 0, 3_001)).offset, -1);
});

test('deleteRecords moves the log start offset; fetch below it is out of range', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  for (let i = 0; i < 4; i++) await broker.produce({ topic: 't', partition: 0, batches: batchOf([`v${i}`]), acks: 1 });
  assert.equal(await broker.deleteRecords('t', 0, 2), 2);
  assert.equal((await broker.listOffset('t', 0, EARLIEST_TIMESTAMP)).offset, 2);
  assert.equal(await broker.deleteRecords('t', 0, 1), 2, 'never moves back');
  const below = only(
    await broker.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    }),
  );
  assert.equal(below.error?.code, ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.equal(below.logStartOffset, 2);
  const from = only(
    await broker.fetch({
      partitions: [{ topic: 't', partition: 0, offset: 2, maxBytes: 1 << 20 }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    }),
  );
  assert.deepEqual(valuesOf(from.records, 2), ['v2', 'v3']);
  await assert.rejects(broker.deleteRecords('t', 0, 5), hasCode(ErrorCode.OFFSET_OUT_OF_RANGE));
  assert.equal(await broker.deleteRecords('t', 0, -1), 4, '-1 means the high watermark');
  await assert.rejects(broker.deleteRecords('__consumer_offsets', 0, 0), hasCode(ErrorCode.INVALID_TOPIC));
});

test('LogAppendTime topics report the append time', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t', { config: { 'message.timestamp.type': 'LogAppendTime' } });
  const before = Date.now();
  const result = await broker.produce({ topic: 't', partition: 0, batches: batchOf(['a'], { timestamp: 5 }), acks: 1 });
  assert.ok(result.logAppendTimeMs >= before && result.logAppendTimeMs <= Date.now() + 1);
});

test('an offline partition answers PARTITION_OFFLINE and does not stop the broker', async (t) => {
  const dir = await tempDir(t);
  const first = await openBroker(dir);
  await first.createTopic('t', { partitions: 2 });
  await first.produce({ topic: 't', partition: 1, batches: batchOf(['fine']), acks: 1 });
  await first.close();
  // A log directory that cannot be opened (here: a file in its place) keeps only it offline.
  await rm(join(dir, 't-0'), { recursive: true });
  await writeFile(join(dir, 't-0'), 'not a directory');
  const broker = await openBroker(dir);
  const described = broker.describeTopic('t');
  assert.deepEqual(
    described.partitions.map((p) => p.isOffline),
    [true, false],
  );
  await assert.rejects(
    broker.produce({ topic: 't', partition: 0, batches: batchOf(['x']), acks: 1 }),
    hasCode(ErrorCode.PARTITION_OFFLINE),
  );
  await assert.rejects(broker.listOffset('t', 0, LATEST_TIMESTAMP), hasCode(ErrorCode.PARTITION_OFFLINE));
  const results = await broker.fetch({
    partitions: [
      { topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 },
      { topic: 't', partition: 1, offset: 0, maxBytes: 1 << 20 },
    ],
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
  });
  assert.equal(results[0]!.error?.code, ErrorCode.PARTITION_OFFLINE);
  assert.deepEqual(valuesOf(results[1]!.records), ['fine']);
  await broker.alterTopicConfig('t', { 'retention.ms': '1000' });
  await broker.produce({ topic: 't', partition: 1, batches: batchOf(['still']), acks: 1 });
});

test('calls after close fail cleanly', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  await broker.close();
  await broker.close();
  await assert.rejects(broker.produce({ topic: 't', partition: 0, batches: batchOf(['a']), acks: 1 }), hasCode(ErrorCode.LOG_CLOSED));
});
