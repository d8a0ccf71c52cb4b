import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConsumerMessage, connect, ErrorCode } from '../../src/client/index.ts';
import { startNativeServer } from '../../src/protocols/native/server.ts';
import { FakeBroker } from '../protocols/native/fake-broker.ts';

// Client paths that need no consumer group, against the in-memory broker (the real broker's
// end-to-end tests are in end-to-end.test.ts).

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const broker = new FakeBroker();
  const server = await startNativeServer({ broker, host: '127.0.0.1', port: 0 });
  const client = await connect(`127.0.0.1:${server.port}`);
  t.after(async () => {
    await client.close();
    await server.close();
  });
  return { broker, client };
}

async function take(iterator: AsyncIterable<ConsumerMessage>, count: number): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  if (count === 0) return out;
  for await (const message of iterator) {
    out.push(message);
    if (out.length === count) break;
  }
  return out;
}

test('send resolves each record with its own offset; a consumer without group reads them back in order', async (t) => {
  const { client } = await setup(t);
  await client.admin().createTopic({ name: 'plain', partitions: 1 });
  const producer = client.producer({ lingerMs: 2 });
  const receipts = Array.from({ length: 500 }, (_, i) =>
    producer.send({ topic: 'plain', value: `v${i}`, headers: i % 2 ? { 'x-i': String(i) } : undefined }),
  );
  const metadata = await Promise.all(receipts);
  assert.deepEqual(
    metadata.map((m) => m.offset),
    Array.from({ length: 500 }, (_, i) => i),
  );
  assert.ok(metadata.every((m) => m.topic === 'plain' && m.partition === 0));

  const consumer = client.consumer({ topics: ['plain'], fromBeginning: true });
  const messages = await take(consumer, 500);
  assert.deepEqual(
    messages.map((m) => m.value!.toString()),
    Array.from({ length: 500 }, (_, i) => `v${i}`),
  );
  assert.deepEqual(
    messages.map((m) => m.offset),
    Array.from({ length: 500 }, (_, i) => i),
  );
  assert.equal(messages[3]!.headers['x-i']!.toString(), '3');
  assert.deepEqual(messages[2]!.headers, {});
  await consumer.close();
});

test('sendBatch resolves with per-record partitions and offsets', async (t) => {
  const { client } = await setup(t);
  await client.admin().createTopic({ name: 'bulk', partitions: 1 });
  const producer = client.producer({ batchBytes: 16 * 1024 });
  const records = Array.from({ length: 20_000 }, (_, i) => ({ topic: 'bulk', value: Buffer.from(`record-${i}`) }));
  const result = await producer.sendBatch(records);
  assert.equal(result.offsets.length, 20_000);
  assert.equal(result.offsets[0], 0);
  assert.equal(result.offsets[19_999], 19_999);
  assert.ok(result.partitions.every((p) => p === 0));
});

test('a consumer skips records below its position inside a fetched batch', async (t) => {
  const { client } = await setup(t);
  await client.admin().createTopic({ name: 'skip', partitions: 1 });
  const producer = client.producer({ lingerMs: 50 });
  await producer.sendBatch(Array.from({ length: 10 }, (_, i) => ({ topic: 'skip', value: `m${i}` })));
  const consumer = client.consumer({ topics: ['skip'], fromBeginning: true });
  await consumer.ready();
  consumer.seek('skip', 0, 7);
  const messages = await take(consumer, 3);
  assert.deepEqual(
    messages.map((m) => m.offset),
    [7, 8, 9],
  );
  await consumer.close();
});

test('records sent to a partition that does not exist fail; flush reports it', async (t) => {
  const { client } = await setup(t);
  await client.admin().createTopic({ name: 'one', partitions: 1 });
  const producer = client.producer();
  await assert.rejects(Promise.resolve(producer.send({ topic: 'one', value: 'x', partition: 4 })), {
    code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  });
  await producer.send({ topic: 'one', value: 'known now' });
  await assert.rejects(Promise.resolve(producer.send({ topic: 'one', value: 'x', partition: 4 })), {
    code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  });
  await assert.rejects(Promise.resolve(producer.send({ topic: 'missing-topic', value: 'x' })), {
    code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  });
});

test("acks 'none' resolves without an answer, offsets -1", async (t) => {
  const { client, broker } = await setup(t);
  await client.admin().createTopic({ name: 'fire', partitions: 1 });
  const producer = client.producer({ acks: 'none' });
  const metadata = await producer.send({ topic: 'fire', value: 'x' });
  assert.equal(metadata.offset, -1);
  await producer.flush();
  const deadline = Date.now() + 2000;
  while (broker.topics.get('fire')![0]!.nextOffset === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.equal(broker.topics.get('fire')![0]!.nextOffset, 1);
});

test('a full buffer makes send wait instead of growing', async (t) => {
  const { client, broker } = await setup(t);
  await client.admin().createTopic({ name: 'slow', partitions: 1 });
  broker.produceDelayMs = () => 30;
  const producer = client.producer({ maxBufferedBytes: 4096, lingerMs: 1, batchBytes: 1024 });
  const value = Buffer.alloc(200);
  const receipts = Array.from({ length: 100 }, () => producer.send({ topic: 'slow', value }));
  const offsets = (await Promise.all(receipts)).map((m) => m.offset);
  assert.deepEqual(
    offsets,
    Array.from({ length: 100 }, (_, i) => i),
    'records that waited keep their order',
  );
});

test('a record the encoder refuses fails alone; the producer carries on', async (t) => {
  const { client } = await setup(t);
  await client.admin().createTopic({ name: 'bad-ts', partitions: 1 });
  const producer = client.producer({ lingerMs: 0 });
  await producer.send({ topic: 'bad-ts', value: 'ok' });
  await assert.rejects(Promise.resolve(producer.send({ topic: 'bad-ts', value: 'x', timestamp: Number.NaN })), {
    code: ErrorCode.INVALID_RECORD,
  });
  assert.equal((await producer.send({ topic: 'bad-ts', value: 'still fine' })).offset, 1);
});

test('while every request slot is busy, records sent in later turns gather into one queued batch', async (t) => {
  const { client, broker } = await setup(t);
  await client.admin().createTopic({ name: 'gather', partitions: 1 });
  let produceCalls = 0;
  // The first produce is answered late, so the single slot stays busy while 20 more sends arrive.
  broker.produceDelayMs = () => (produceCalls++ === 0 ? 100 : 0);
  const producer = client.producer({ lingerMs: 0, maxInFlight: 1 });
  const receipts = [producer.send({ topic: 'gather', value: 'r0' })];
  for (let i = 1; i <= 20; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    receipts.push(producer.send({ topic: 'gather', value: `r${i}` }));
  }
  const offsets = (await Promise.all(receipts)).map((m) => m.offset);
  assert.deepEqual(
    offsets,
    Array.from({ length: 21 }, (_, i) => i),
  );
  assert.equal(broker.produceLog.filter((p) => p.topic === 'gather').length, 2, 'one request for r0, one for the 20 that waited');
  const consumer = client.consumer({ topics: ['gather'], fromBeginning: true });
  const messages = await take(consumer, 21);
  assert.deepEqual(
    messages.map((m) => m.value!.toString()),
    Array.from({ length: 21 }, (_, i) => `r${i}`),
  );
  await consumer.close();
});

test('a queued batch that would pass batchBytes is not grown: the next record opens a new batch', async (t) => {
  const { client, broker } = await setup(t);
  await client.admin().createTopic({ name: 'capped', partitions: 1 });
  let produceCalls = 0;
  broker.produceDelayMs = () => (produceCalls++ === 0 ? 100 : 0);
  const producer = client.producer({ lingerMs: 0, maxInFlight: 1, batchBytes: 1024 });
  const value = Buffer.alloc(300);
  const receipts = [producer.send({ topic: 'capped', value })];
  for (let i = 1; i <= 9; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    receipts.push(producer.send({ topic: 'capped', value }));
  }
  const offsets = (await Promise.all(receipts)).map((m) => m.offset);
  assert.deepEqual(
    offsets,
    Array.from({ length: 10 }, (_, i) => i),
  );
  // 9 waiting records of ~300 B in batches of at most 1 KiB: more than one request, fewer than 9.
  const requests = broker.produceLog.filter((p) => p.topic === 'capped').length;
  assert.ok(requests > 2 && requests < 10, `requests: ${requests}`);
});
