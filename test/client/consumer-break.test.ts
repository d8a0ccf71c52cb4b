import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Consumer, type ConsumerMessage, connect, type FerryClient } from '../../src/client/index.ts';
import { startRealBroker } from './real-broker.ts';

// At-least-once across a `break`: the offset committed after leaving a loop in the middle of a
// fetched batch is the one after the last message the loop received, never the batch's end.

async function client(t: { after: (fn: () => Promise<void>) => void }, url: string): Promise<FerryClient> {
  const c = await connect(url, { retryBackoffMs: 20 });
  t.after(async () => {
    await c.close().catch(() => {});
  });
  return c;
}

async function take(consumer: Consumer, count: number): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  for await (const message of consumer) {
    out.push(message);
    if (out.length === count) break;
  }
  return out;
}

async function produceOneBatch(c: FerryClient, topic: string, count: number): Promise<void> {
  await c.admin().createTopic({ name: topic, partitions: 1 });
  const results = await c
    .producer({ lingerMs: 50 })
    .sendBatch(Array.from({ length: count }, (_, i) => ({ topic, partition: 0, value: String(i) })));
  assert.equal(results.offsets[count - 1], count - 1);
}

async function committedOffset(c: FerryClient, groupId: string): Promise<number | undefined> {
  return (await c.admin().describeGroup(groupId)).offsets.find((o) => o.partition === 0)?.committedOffset;
}

for (const mode of ['commit', 'close with autoCommit'] as const) {
  test(`break after 10 of a 100-record batch, ${mode}: the next consumer starts at offset 10`, async (t) => {
    const { url } = await startRealBroker(t);
    const c = await client(t, url);
    await produceOneBatch(c, 'break', 100);
    const options = { groupId: 'g-break', topics: ['break'], fromBeginning: true, autoCommit: mode !== 'commit' };

    const first = c.consumer(options);
    const seen = await take(first, 10);
    assert.deepEqual(
      seen.map((m) => m.offset),
      Array.from({ length: 10 }, (_, i) => i),
    );
    if (mode === 'commit') await first.commit();
    await first.close();
    assert.equal(await committedOffset(c, 'g-break'), 10);

    const second = c.consumer(options);
    const rest = await take(second, 90);
    assert.deepEqual(
      rest.map((m) => m.offset),
      Array.from({ length: 90 }, (_, i) => 10 + i),
      'nothing skipped, nothing before 10 repeated',
    );
    await second.close();
  });
}

test('a new loop after a break goes on right after the last message received, and commits from there', async (t) => {
  const { url } = await startRealBroker(t);
  const c = await client(t, url);
  await produceOneBatch(c, 'again', 100);
  const consumer = c.consumer({ groupId: 'g-again', topics: ['again'], fromBeginning: true, autoCommit: false });
  const first = await take(consumer, 10);
  assert.equal(first.at(-1)!.offset, 9);
  // More records behind the first batch: a loop that lost offsets 10-99 would get these.
  await c.producer().sendBatch(Array.from({ length: 100 }, (_, i) => ({ topic: 'again', partition: 0, value: `b${i}` })));
  const second = await take(consumer, 5);
  assert.deepEqual(
    second.map((m) => m.offset),
    [10, 11, 12, 13, 14],
  );
  await consumer.commit();
  assert.equal(await committedOffset(c, 'g-again'), 15);
  await consumer.close();
});
