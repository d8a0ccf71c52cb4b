import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { startKafka } from './helpers.ts';

function client(bootstrap: string): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId: 'offsets-test', logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}

/** Runs `consumer` until `count` records arrived; returns them as [offset, value]. */
async function consume(consumer: Consumer, count: number, onStart?: () => void): Promise<[number, string][]> {
  const seen: [number, string][] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.push([Number(message.offset), message.value?.toString() ?? '']);
        if (seen.length === count) resolve();
      },
    });
    onStart?.();
  });
  return seen;
}

describe('kafkajs offsets against Ferry', () => {
  test('committed offsets survive a broker restart and a new member resumes after them', async (t) => {
    const h = await startKafka(t);
    await h.broker.createTopic('durable', { partitions: 1 });
    {
      const kafka = client(h.bootstrap);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'durable', messages: Array.from({ length: 10 }, (_, i) => ({ value: `before-${i}` })) });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: 'keeper', maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: 'durable', fromBeginning: true });
      assert.equal((await consume(consumer, 10)).length, 10);
      await consumer.disconnect(); // commits what it consumed
    }

    await h.restart();

    const kafka = client(h.bootstrap);
    const admin = h.cleanup(kafka.admin());
    await admin.connect();
    assert.deepEqual(await admin.fetchOffsets({ groupId: 'keeper', topics: ['durable'] }), [
      { topic: 'durable', partitions: [{ partition: 0, offset: '10', metadata: null }] },
    ]);
    const producer = h.cleanup(kafka.producer());
    await producer.connect();
    await producer.send({ topic: 'durable', messages: Array.from({ length: 5 }, (_, i) => ({ value: `after-${i}` })) });
    const consumer = h.cleanup(kafka.consumer({ groupId: 'keeper', maxWaitTimeInMs: 100 }));
    await consumer.connect();
    await consumer.subscribe({ topic: 'durable', fromBeginning: true });
    assert.deepEqual(await consume(consumer, 5), [
      [10, 'after-0'],
      [11, 'after-1'],
      [12, 'after-2'],
      [13, 'after-3'],
      [14, 'after-4'],
    ]);
  });

  test('seek to an offset, and to the offset of a timestamp', async (t) => {
    const h = await startKafka(t);
    await h.broker.createTopic('seekable', { partitions: 1 });
    const kafka = client(h.bootstrap);
    const producer = h.cleanup(kafka.producer());
    await producer.connect();
    const base = Date.now() - 100_000;
    await producer.send({
      topic: 'seekable',
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, timestamp: String(base + i * 10_000) })),
    });

    const byOffset = h.cleanup(kafka.consumer({ groupId: 'seeker-1', maxWaitTimeInMs: 100 }));
    await byOffset.connect();
    await byOffset.subscribe({ topic: 'seekable', fromBeginning: true });
    const fromSeven = await consume(byOffset, 3, () => byOffset.seek({ topic: 'seekable', partition: 0, offset: '7' }));
    assert.deepEqual(fromSeven, [
      [7, 'm7'],
      [8, 'm8'],
      [9, 'm9'],
    ]);

    const admin = h.cleanup(kafka.admin());
    await admin.connect();
    const [{ offset } = { offset: '' }] = await admin.fetchTopicOffsetsByTimestamp('seekable', base + 45_000);
    assert.equal(offset, '5', 'the first record at or after the timestamp');
    const byTime = h.cleanup(kafka.consumer({ groupId: 'seeker-2', maxWaitTimeInMs: 100 }));
    await byTime.connect();
    await byTime.subscribe({ topic: 'seekable', fromBeginning: true });
    const fromTime = await consume(byTime, 5, () => byTime.seek({ topic: 'seekable', partition: 0, offset }));
    assert.deepEqual(
      fromTime.map(([o]) => o),
      [5, 6, 7, 8, 9],
    );
  });
});
