import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Broker } from '../../src/broker/broker.ts';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '../../src/common/errors.ts';
import { RecordingLogger } from '../../src/common/logger.ts';
import { encodeRecordBatch } from '../../src/common/record-batch.ts';
import { batchOf, only, openBroker, startBroker, tempDir, valuesOf } from './helpers.ts';

function hasCode(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    return true;
  };
}

/** A producer that numbers its batches like a Kafka idempotent producer. */
function idempotentBatch(producerId: number, producerEpoch: number, baseSequence: number, values: string[]): Buffer {
  return batchOf(values, { producerId, producerEpoch, baseSequence });
}

async function logEnd(broker: Broker, topic = 't', partition = 0): Promise<number> {
  return broker.describeTopic(topic).partitions[partition]!.logEndOffset;
}

async function readAll(broker: Broker, topic = 't', partition = 0): Promise<string[]> {
  const fetched = only(
    await broker.fetch({ partitions: [{ topic, partition, offset: 0, maxBytes: 1 << 24 }], maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24 }),
  );
  return valuesOf(fetched.records);
}

/** Internals the tests poke: the periodic tasks, run now instead of waiting for their timers. */
interface BrokerInternals {
  snapshotProducers(): Promise<void>;
  expireProducers(): void;
}

test('initProducerId hands out distinct ids at epoch 0, never reused after a restart', async (t) => {
  const dir = await tempDir(t);
  const first = await openBroker(dir, { config: { producerIdBlockSize: 3 } });
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await first.initProducerId({}));
  assert.ok(ids.every((id) => id.producerEpoch === 0));
  assert.equal(new Set(ids.map((id) => id.producerId)).size, 5);
  const concurrent = await Promise.all(Array.from({ length: 7 }, () => first.initProducerId({})));
  assert.equal(new Set([...ids, ...concurrent].map((id) => id.producerId)).size, 12);
  // Not closed: an unclean stop must not hand out the rest of the current block again.
  const second = await openBroker(dir, { config: { producerIdBlockSize: 3 } });
  const after = await second.initProducerId({});
  const maxBefore = Math.max(...[...ids, ...concurrent].map((id) => id.producerId));
  assert.ok(after.producerId > maxBefore, `${after.producerId} > ${maxBefore}`);
});

test('initProducerId bumps the epoch of a known producer and refuses transactions', async (t) => {
  const { broker } = await startBroker(t);
  const { producerId } = await broker.initProducerId({});
  assert.deepEqual(await broker.initProducerId({ producerId, producerEpoch: 0 }), { producerId, producerEpoch: 1 });
  const exhausted = await broker.initProducerId({ producerId, producerEpoch: 32766 });
  assert.notEqual(exhausted.producerId, producerId);
  assert.equal(exhausted.producerEpoch, 0);
  await assert.rejects(broker.initProducerId({ producerId: 123_456_789, producerEpoch: 0 }), hasCode(ErrorCode.UNKNOWN_PRODUCER_ID));
  await assert.rejects(broker.initProducerId({ transactionalId: 'tx' }), hasCode(ErrorCode.INVALID_REQUEST));
  assert.equal((await broker.initProducerId({ transactionalId: null, producerId: -1, producerEpoch: -1 })).producerEpoch, 0);
});

test('a retried batch returns its original offsets and appends nothing', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const { producerId, producerEpoch } = await broker.initProducerId({});
  const first = await broker.produce({
    topic: 't',
    partition: 0,
    batches: idempotentBatch(producerId, producerEpoch, 0, ['a', 'b']),
    acks: -1,
  });
  const second = await broker.produce({
    topic: 't',
    partition: 0,
    batches: idempotentBatch(producerId, producerEpoch, 2, ['c']),
    acks: -1,
  });
  assert.deepEqual([first.baseOffset, first.isDuplicate, second.baseOffset], [0, false, 2]);
  const retryFirst = await broker.produce({
    topic: 't',
    partition: 0,
    batches: idempotentBatch(producerId, producerEpoch, 0, ['a', 'b']),
    acks: -1,
  });
  const retrySecond = await broker.produce({
    topic: 't',
    partition: 0,
    batches: idempotentBatch(producerId, producerEpoch, 2, ['c']),
    acks: 1,
  });
  assert.deepEqual([retryFirst.baseOffset, retryFirst.isDuplicate], [0, true]);
  assert.deepEqual([retrySecond.baseOffset, retrySecond.isDuplicate], [2, true]);
  assert.equal(await logEnd(broker), 3);
  assert.deepEqual(await readAll(broker), ['a', 'b', 'c']);
});

test('duplicates are found among the last five batches only', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const { producerId } = await broker.initProducerId({});
  for (let seq = 0; seq < 6; seq++) {
    await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, seq, [`v${seq}`]), acks: 1 });
  }
  const recent = await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 1, ['v1']), acks: 1 });
  assert.deepEqual([recent.baseOffset, recent.isDuplicate], [1, true]);
  await assert.rejects(
    broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 0, ['v0']), acks: 1 }),
    hasCode(ErrorCode.OUT_OF_ORDER_SEQUENCE),
  );
  assert.equal(await logEnd(broker), 6);
});

test('a sequence gap is OUT_OF_ORDER_SEQUENCE and appends nothing', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const { producerId } = await broker.initProducerId({});
  await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 0, ['a', 'b']), acks: 1 });
  await assert.rejects(
    broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 3, ['d']), acks: 1 }),
    (error: unknown) => {
      hasCode(ErrorCode.OUT_OF_ORDER_SEQUENCE)(error);
      assert.equal((error as { details: { expectedSequence: number } }).details.expectedSequence, 2);
      return true;
    },
  );
  assert.equal(await logEnd(broker), 2);
  // The producer carries on from where the log is.
  await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 2, ['c']), acks: 1 });
  assert.deepEqual(await readAll(broker), ['a', 'b', 'c']);
});

test('sequences are tracked per partition', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t', { partitions: 2 });
  const { producerId } = await broker.initProducerId({});
  await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 0, ['a']), acks: 1 });
  await broker.produce({ topic: 't', partition: 1, batches: idempotentBatch(producerId, 0, 0, ['b']), acks: 1 });
  const dup = await broker.produce({ topic: 't', partition: 1, batches: idempotentBatch(producerId, 0, 0, ['b']), acks: 1 });
  assert.equal(dup.isDuplicate, true);
});

test('an old epoch is fenced; a new epoch starts at sequence 0', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const { producerId } = await broker.initProducerId({});
  await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 0, ['a']), acks: 1 });
  const bumped = await broker.initProducerId({ producerId, producerEpoch: 0 });
  assert.equal(bumped.producerEpoch, 1);
  await assert.rejects(
    broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 1, 5, ['x']), acks: 1 }),
    hasCode(ErrorCode.OUT_OF_ORDER_SEQUENCE),
  );
  await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 1, 0, ['b']), acks: 1 });
  await assert.rejects(
    broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 1, ['zombie']), acks: 1 }),
    hasCode(ErrorCode.INVALID_PRODUCER_EPOCH),
  );
  assert.deepEqual(await readAll(broker), ['a', 'b']);
});

test('a producer id this broker never allocated is UNKNOWN_PRODUCER_ID', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  await assert.rejects(
    broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(987_654_321, 0, 0, ['a']), acks: 1 }),
    hasCode(ErrorCode.UNKNOWN_PRODUCER_ID),
  );
});

test('a producer without state may start at any sequence (Kafka >= 2.5)', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const { producerId } = await broker.initProducerId({});
  const result = await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 42, ['a']), acks: 1 });
  assert.equal(result.isDuplicate, false);
  await assert.rejects(
    broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 44, ['c']), acks: 1 }),
    hasCode(ErrorCode.OUT_OF_ORDER_SEQUENCE),
  );
});

test('pipelined requests of one producer are sequenced in order', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const { producerId } = await broker.initProducerId({});
  const inFlight = [];
  for (let i = 0; i < 5; i++) {
    inFlight.push(
      broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, i * 2, [`${i}a`, `${i}b`]), acks: -1 }),
    );
  }
  const results = await Promise.all(inFlight);
  assert.deepEqual(
    results.map((r) => r.baseOffset),
    [0, 2, 4, 6, 8],
  );
  assert.equal(await logEnd(broker), 10);
});

test('a retry of a batch still in flight waits for it and gets its offsets', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const { producerId } = await broker.initProducerId({});
  const batch = idempotentBatch(producerId, 0, 0, ['once']);
  const [original, retry] = await Promise.all([
    broker.produce({ topic: 't', partition: 0, batches: batch, acks: -1 }),
    broker.produce({ topic: 't', partition: 0, batches: Buffer.from(batch), acks: -1 }),
  ]);
  assert.deepEqual([original.baseOffset, original.isDuplicate], [0, false]);
  assert.deepEqual([retry.baseOffset, retry.isDuplicate], [0, true]);
  assert.deepEqual(await readAll(broker), ['once']);
});

test('a failed append is undone so that the retry is appended', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const { producerId } = await broker.initProducerId({});
  const batch = idempotentBatch(producerId, 0, 0, ['a']);
  const corrupt = Buffer.from(batch);
  corrupt[corrupt.length - 1]! ^= 0xff;
  await assert.rejects(broker.produce({ topic: 't', partition: 0, batches: corrupt, acks: 1 }), hasCode(ErrorCode.CORRUPT_MESSAGE));
  const retry = await broker.produce({ topic: 't', partition: 0, batches: batch, acks: 1 });
  assert.deepEqual([retry.baseOffset, retry.isDuplicate], [0, false]);
});

test('a request mixing a duplicate with a new batch is refused', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const { producerId } = await broker.initProducerId({});
  await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 0, ['a']), acks: 1 });
  await assert.rejects(
    broker.produce({
      topic: 't',
      partition: 0,
      batches: Buffer.concat([idempotentBatch(producerId, 0, 0, ['a']), idempotentBatch(producerId, 0, 1, ['b'])]),
      acks: 1,
    }),
    hasCode(ErrorCode.DUPLICATE_SEQUENCE),
  );
  // Two new batches of one producer in one request are checked one after the other.
  const both = await broker.produce({
    topic: 't',
    partition: 0,
    batches: Buffer.concat([idempotentBatch(producerId, 0, 1, ['b']), idempotentBatch(producerId, 0, 2, ['c'])]),
    acks: 1,
  });
  assert.equal(both.baseOffset, 1);
  const retryBoth = await broker.produce({
    topic: 't',
    partition: 0,
    batches: Buffer.concat([idempotentBatch(producerId, 0, 1, ['b']), idempotentBatch(producerId, 0, 2, ['c'])]),
    acks: 1,
  });
  assert.deepEqual([retryBoth.baseOffset, retryBoth.isDuplicate], [1, true]);
});

test('transactional batches are refused', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const { producerId } = await broker.initProducerId({});
  const batch = encodeRecordBatch({
    records: [{ value: Buffer.from('x') }],
    producerId,
    producerEpoch: 0,
    baseSequence: 0,
    isTransactional: true,
  });
  await assert.rejects(broker.produce({ topic: 't', partition: 0, batches: batch, acks: 1 }), hasCode(ErrorCode.INVALID_RECORD));
});

async function produceSequence(broker: Broker, producerId: number, from: number, count: number): Promise<void> {
  for (let seq = from; seq < from + count; seq++) {
    await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, seq, [`v${seq}`]), acks: -1 });
  }
}

async function assertStateKept(broker: Broker, producerId: number, lastSeq: number): Promise<void> {
  const retry = await broker.produce({
    topic: 't',
    partition: 0,
    batches: idempotentBatch(producerId, 0, lastSeq, [`v${lastSeq}`]),
    acks: -1,
  });
  assert.deepEqual([retry.baseOffset, retry.isDuplicate], [lastSeq, true], 'the retry of the last batch is a duplicate');
  await assert.rejects(
    broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, lastSeq + 2, ['gap']), acks: -1 }),
    hasCode(ErrorCode.OUT_OF_ORDER_SEQUENCE),
  );
  const next = await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, lastSeq + 1, ['next']), acks: -1 });
  assert.deepEqual([next.baseOffset, next.isDuplicate], [lastSeq + 1, false]);
}

test('producer state survives a clean close and reopen', async (t) => {
  const dir = await tempDir(t);
  const first = await openBroker(dir);
  await first.createTopic('t');
  const { producerId } = await first.initProducerId({});
  await produceSequence(first, producerId, 0, 4);
  await first.close();
  const logger = new RecordingLogger();
  const second = await openBroker(dir, { logger });
  await assertStateKept(second, producerId, 3);
  assert.ok(logger.lines.some((line) => line.msg === 'opened logs after a clean shutdown'));
  assert.ok(!logger.lines.some((line) => line.msg === 'producer state rebuilt from the log tail'), 'nothing to replay after a clean close');
});

test('a topic deleted and created again does not inherit its producers', async (t) => {
  const dir = await tempDir(t);
  const first = await openBroker(dir);
  await first.createTopic('t');
  const { producerId } = await first.initProducerId({});
  await produceSequence(first, producerId, 0, 3);
  await first.close();
  const second = await openBroker(dir);
  const oldId = second.describeTopic('t').topicId;
  await second.deleteTopic('t');
  await second.createTopic('t');
  const fresh = await second.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 0, ['new']), acks: 1 });
  assert.deepEqual([fresh.baseOffset, fresh.isDuplicate], [0, false]);
  await second.close();
  const snapshots = await readdir(join(dir, '__cluster_metadata', 'producer-state'));
  assert.ok(!snapshots.some((name) => name.startsWith(oldId)), `no snapshot of the deleted topic: ${snapshots.join(', ')}`);
  const third = await openBroker(dir);
  assert.deepEqual(await readAll(third), ['new']);
  const retry = await third.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 0, ['new']), acks: 1 });
  assert.deepEqual([retry.baseOffset, retry.isDuplicate], [0, true]);
});

test('producer state survives an unclean stop (rebuilt from the log tail)', async (t) => {
  const dir = await tempDir(t);
  const first = await openBroker(dir);
  await first.createTopic('t');
  const { producerId } = await first.initProducerId({});
  await produceSequence(first, producerId, 0, 4);
  // No close: no snapshot, no clean-shutdown marker.
  const second = await openBroker(dir);
  await assertStateKept(second, producerId, 3);
});

test('after an unclean stop the tail past the last snapshot is replayed', async (t) => {
  const dir = await tempDir(t);
  const first = await openBroker(dir);
  await first.createTopic('t');
  const { producerId } = await first.initProducerId({});
  const other = await first.initProducerId({});
  await produceSequence(first, producerId, 0, 3);
  await first.produce({ topic: 't', partition: 0, batches: batchOf(['plain']), acks: 1 });
  await (first as unknown as BrokerInternals).snapshotProducers();
  await first.produce({ topic: 't', partition: 0, batches: idempotentBatch(other.producerId, 0, 0, ['o0']), acks: 1 });
  await first.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 3, ['v3']), acks: 1 });
  const second = await openBroker(dir);
  const retry = await second.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 3, ['v3']), acks: 1 });
  assert.deepEqual([retry.baseOffset, retry.isDuplicate], [5, true]);
  const retryOld = await second.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 1, ['v1']), acks: 1 });
  assert.deepEqual([retryOld.baseOffset, retryOld.isDuplicate], [1, true], 'from the snapshot');
  const retryOther = await second.produce({ topic: 't', partition: 0, batches: idempotentBatch(other.producerId, 0, 0, ['o0']), acks: 1 });
  assert.deepEqual([retryOther.baseOffset, retryOther.isDuplicate], [4, true], 'from the replayed tail');
  assert.equal(await logEnd(second), 6);
});

test('idle producers expire after producerIdExpirationMs', async (t) => {
  let nowMs = 1_000_000;
  const { broker } = await startBroker(t, { now: () => nowMs, config: { producerIdExpirationMs: 60_000 } });
  await broker.createTopic('t');
  const { producerId } = await broker.initProducerId({});
  await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 0, ['a']), acks: 1 });
  nowMs += 30_000;
  (broker as unknown as BrokerInternals).expireProducers();
  assert.equal(
    (await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 0, ['a']), acks: 1 })).isDuplicate,
    true,
  );
  nowMs += 60_001;
  (broker as unknown as BrokerInternals).expireProducers();
  // Forgotten: a new sequence is accepted, and the old batch is no longer recognised.
  const after = await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 9, ['b']), acks: 1 });
  assert.equal(after.isDuplicate, false);
});

test('deleting the records of a producer forgets its state', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('t');
  const { producerId } = await broker.initProducerId({});
  await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 0, ['a']), acks: 1 });
  await broker.produce({ topic: 't', partition: 0, batches: batchOf(['plain']), acks: 1 });
  await broker.deleteRecords('t', 0, 2);
  const fresh = await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(producerId, 0, 7, ['b']), acks: 1 });
  assert.equal(fresh.isDuplicate, false);
});

test('the producer ids tracked per partition are bounded', async (t) => {
  const { broker } = await startBroker(t, { config: { maxProducerIdsPerPartition: 2 } });
  await broker.createTopic('t');
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await broker.initProducerId({})).producerId);
  for (const id of ids) await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(id, 0, 0, [`${id}`]), acks: 1 });
  // The least recently active (the first) was dropped: its retry is appended again.
  const retryFirst = await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(ids[0]!, 0, 0, [`${ids[0]}`]), acks: 1 });
  assert.equal(retryFirst.isDuplicate, false);
  const retryLast = await broker.produce({ topic: 't', partition: 0, batches: idempotentBatch(ids[2]!, 0, 0, [`${ids[2]}`]), acks: 1 });
  assert.equal(retryLast.isDuplicate, true);
});
