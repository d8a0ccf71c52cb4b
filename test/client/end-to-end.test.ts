import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConsumerMessage, connect, ErrorCode, type FerryClient } from '../../src/client/index.ts';
import { partitionForKey } from '../../src/common/murmur2.ts';
import { startRealBroker } from './real-broker.ts';

async function client(t: { after: (fn: () => Promise<void>) => void }, url: string): Promise<FerryClient> {
  const c = await connect(url, { retryBackoffMs: 20 });
  t.after(async () => {
    await c.close().catch(() => {});
  });
  return c;
}

async function take(iterator: AsyncIterable<ConsumerMessage>, count: number, timeoutMs = 20_000): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  if (count === 0) return out;
  const deadline = Date.now() + timeoutMs;
  for await (const message of iterator) {
    out.push(message);
    if (out.length === count) break;
    if (Date.now() > deadline) throw new Error(`only ${out.length} of ${count} messages within ${timeoutMs} ms`);
  }
  return out;
}

test('produce and consume through the real broker, keyed records keep per-key order', async (t) => {
  const { url } = await startRealBroker(t);
  const c = await client(t, url);
  await c.admin().createTopic({ name: 'orders', partitions: 3 });
  const producer = c.producer({ lingerMs: 2 });
  const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
  const receipts = [];
  for (let i = 0; i < 1000; i++) {
    const key = keys[i % keys.length]!;
    receipts.push(producer.send({ topic: 'orders', key, value: `${key}:${Math.floor(i / keys.length)}` }));
  }
  const metadata = await Promise.all(receipts);
  for (let i = 0; i < metadata.length; i++) {
    assert.equal(metadata[i]!.partition, partitionForKey(Buffer.from(keys[i % keys.length]!), 3), 'murmur2 picks the partition');
  }
  const consumer = c.consumer({ topics: ['orders'], fromBeginning: true });
  const messages = await take(consumer, 1000);
  const seen = new Map<string, number>();
  for (const message of messages) {
    const [key, n] = message.value!.toString().split(':');
    assert.equal(message.key!.toString(), key);
    assert.equal(Number(n), seen.get(key!) ?? 0, `per-key order for ${key}`);
    seen.set(key!, Number(n) + 1);
  }
  assert.equal(seen.size, 5);
  await consumer.close();
});

test('commit, then a restarted consumer resumes from the committed offset', async (t) => {
  const { url } = await startRealBroker(t);
  const c = await client(t, url);
  await c.admin().createTopic({ name: 'resume', partitions: 1 });
  const producer = c.producer();
  await producer.sendBatch(Array.from({ length: 100 }, (_, i) => ({ topic: 'resume', value: String(i) })));

  const first = c.consumer({ groupId: 'g-resume', topics: ['resume'], fromBeginning: true, autoCommit: false });
  const firstBatch = await take(first, 40);
  assert.equal(firstBatch.at(-1)!.offset, 39);
  await first.commit();
  await first.close();

  const second = c.consumer({ groupId: 'g-resume', topics: ['resume'], fromBeginning: true, autoCommit: false });
  const rest = await take(second, 60);
  assert.equal(rest[0]!.offset, 40, 'resumes right after the last processed message');
  assert.equal(rest.at(-1)!.offset, 99);
  const description = await c.admin().describeGroup('g-resume');
  assert.equal(description.offsets.find((o) => o.partition === 0)?.committedOffset, 40);
  await second.close();
});

test('admin: describe topic and group with lag, list and delete groups, delete records', async (t) => {
  const { url } = await startRealBroker(t);
  const c = await client(t, url);
  const admin = c.admin();
  await admin.createTopics([
    { name: 'a', partitions: 2 },
    { name: 'b', partitions: 1, config: { 'retention.ms': '60000' } },
  ]);
  assert.equal((await admin.describeTopic('b')).overrides['retention.ms'], '60000');
  await admin.alterTopicConfig('b', { 'retention.ms': '120000' });
  assert.equal((await admin.describeTopic('b')).config['retention.ms'], '120000');
  const producer = c.producer();
  await producer.sendBatch(Array.from({ length: 10 }, (_, i) => ({ topic: 'a', value: String(i), partition: 0 })));
  const consumer = c.consumer({ groupId: 'lagging', topics: ['a'], fromBeginning: true, autoCommit: false });
  await take(consumer, 4);
  await consumer.commit();
  const group = await admin.describeGroup('lagging');
  const p0 = group.offsets.find((o) => o.topic === 'a' && o.partition === 0)!;
  assert.equal(p0.committedOffset, 4);
  assert.equal(p0.lag, 6);
  assert.ok((await admin.listGroups()).some((g) => g.groupId === 'lagging'));
  await assert.rejects(admin.deleteGroups(['lagging']), { code: ErrorCode.NON_EMPTY_GROUP });
  await consumer.close();
  await admin.deleteGroups(['lagging']);
  assert.equal(await admin.deleteRecords('a', 0, 5), 5);
  assert.deepEqual(
    (await admin.listOffsets('a', 'earliest')).map((p) => p.offset),
    [5, 0],
  );
  assert.deepEqual(
    (await admin.listOffsets('a', 'latest')).map((p) => p.offset),
    [10, 0],
  );
});

test('a producer creates a missing topic when the broker allows it, and is refused when not', async (t) => {
  const allowing = await startRealBroker(t);
  const c = await client(t, allowing.url);
  const metadata = await c.producer().send({ topic: 'made-on-first-send', value: 'x' });
  assert.equal(metadata.offset, 0);
  assert.equal((await c.admin().describeTopic('made-on-first-send')).partitions.length, 1);

  const refusing = await startRealBroker(t, { config: { autoCreateTopics: false } });
  const d = await client(t, refusing.url);
  await assert.rejects(Promise.resolve(d.producer().send({ topic: 'never-made', value: 'x' })), {
    code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  });
  // A consumer never creates topics: it waits with no partitions for that topic.
  const consumer = c.consumer({ topics: ['not-by-consumers'] });
  await consumer.ready();
  assert.deepEqual(consumer.assignment(), []);
  assert.equal(
    (await c.admin().listTopics()).some((topic) => topic.name === 'not-by-consumers'),
    false,
  );
  await consumer.close();
});
