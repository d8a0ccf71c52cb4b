import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Consumer, type ConsumerMessage, connect, ErrorCode, type FerryError } from '../../src/client/index.ts';
import { startRealBroker } from './real-broker.ts';
import { TcpProxy } from './tcp-proxy.ts';

function drain(consumer: Consumer, into: ConsumerMessage[]): Promise<void> {
  return (async () => {
    for await (const message of consumer) into.push(message);
  })();
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('pause stops a partition, resume picks it up where it was', async (t) => {
  const { url } = await startRealBroker(t);
  const client = await connect(url);
  t.after(() => client.close());
  await client.admin().createTopic({ name: 'pausable', partitions: 2 });
  const consumer = client.consumer({ topics: ['pausable'], fromBeginning: true, maxWaitMs: 50 });
  await consumer.ready();
  consumer.pause('pausable', [1]);
  assert.deepEqual(consumer.paused(), [{ topic: 'pausable', partition: 1 }]);
  const seen: ConsumerMessage[] = [];
  const loop = drain(consumer, seen);
  const producer = client.producer();
  await producer.sendBatch(
    [0, 1].flatMap((partition) => Array.from({ length: 10 }, (_, i) => ({ topic: 'pausable', partition, value: `${partition}-${i}` }))),
  );
  await until(() => seen.length === 10, 5000, 'partition 0');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(
    seen.every((m) => m.partition === 0),
    'nothing from the paused partition',
  );
  consumer.resume('pausable');
  await until(() => seen.length === 20, 5000, 'partition 1 after resume');
  assert.deepEqual(
    seen.filter((m) => m.partition === 1).map((m) => m.offset),
    Array.from({ length: 10 }, (_, i) => i),
  );
  await consumer.close();
  await loop;
});

test('consumer and producer carry on over a dropped connection', async (t) => {
  const { server } = await startRealBroker(t);
  const proxy = await TcpProxy.start(server.port);
  t.after(() => proxy.close());
  const client = await connect(`127.0.0.1:${proxy.port}`, { retryBackoffMs: 20 });
  t.after(() => client.close());
  await client.admin().createTopic({ name: 'flaky', partitions: 1 });
  const producer = client.producer({ retryBackoffMs: 20 });
  const consumer = client.consumer({
    groupId: 'flaky-group',
    topics: ['flaky'],
    fromBeginning: true,
    maxWaitMs: 100,
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 200,
  });
  const seen: ConsumerMessage[] = [];
  const loop = drain(consumer, seen);
  await producer.sendBatch(Array.from({ length: 100 }, (_, i) => ({ topic: 'flaky', value: `a${i}` })));
  await until(() => seen.length >= 100, 10_000, 'the first 100');
  proxy.dropAll();
  await producer.sendBatch(Array.from({ length: 100 }, (_, i) => ({ topic: 'flaky', value: `b${i}` })));
  await until(() => new Set(seen.map((m) => m.value!.toString())).size === 200, 10_000, 'all 200 after the drop');
  const offsets = seen.map((m) => m.offset);
  assert.deepEqual(
    [...new Set(offsets)].sort((a, b) => a - b),
    Array.from({ length: 200 }, (_, i) => i),
    'nothing skipped',
  );
  await consumer.close();
  await loop;
});

test('commitAsync reports its outcome; a consumer without group cannot commit', async (t) => {
  const { url } = await startRealBroker(t);
  const client = await connect(url);
  t.after(() => client.close());
  await client.admin().createTopic({ name: 'async-commit', partitions: 1 });
  await client.producer().sendBatch(Array.from({ length: 5 }, (_, i) => ({ topic: 'async-commit', value: String(i) })));
  const consumer = client.consumer({ groupId: 'ac', topics: ['async-commit'], fromBeginning: true, autoCommit: false });
  let count = 0;
  for await (const _message of consumer) if (++count === 5) break;
  const outcome = await new Promise<FerryError | null>((resolve) => consumer.commitAsync(resolve));
  assert.equal(outcome, null);
  assert.equal((await client.admin().describeGroup('ac')).offsets[0]!.committedOffset, 5);
  await consumer.close();
  const loner = client.consumer({ topics: ['async-commit'] });
  await assert.rejects(loner.commit(), { code: ErrorCode.INVALID_GROUP_ID });
  await loner.close();
});
