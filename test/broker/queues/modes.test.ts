import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueConsumer, QueueMessage } from '../../../src/broker/queues/types.ts';
import { ErrorCode } from '../../../src/common/errors.ts';
import { eventually, hasCode, Inbox, produce, sleep, startQueueBroker, textOf, values } from './helpers.ts';

/** A small seeded PRNG (mulberry32): the test prints its seed and replays from FERRY_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('key_shared keeps each key on one consumer at a time, in order, under 4 consumers acking at random', async (t) => {
  const seed = Number(process.env.FERRY_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (replay with FERRY_SEED=${seed})`);
  const random = rng(seed);
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('orders');
  await broker.createSubscription('orders', 'shippers', { mode: 'key_shared' });
  const keys = Array.from({ length: 24 }, (_, i) => `customer-${i}`);
  const total = 2_000;
  /** key -> consumer index holding records of it in flight, and how many. */
  const holders = new Map<string, { consumer: number; inFlight: number }>();
  const seen = new Map<string, number[]>();
  let received = 0;
  let violations = 0;
  const consumers: QueueConsumer[] = [];
  for (let c = 0; c < 4; c++) {
    const onDeliver = (messages: QueueMessage[]): void => {
      for (const message of messages) {
        received++;
        const key = message.key!.toString();
        const holder = holders.get(key);
        if (holder !== undefined && holder.consumer !== c) violations++;
        holders.set(key, { consumer: c, inFlight: (holder?.consumer === c ? holder.inFlight : 0) + 1 });
        const list = seen.get(key) ?? [];
        list.push(Number(textOf(message).split(':')[1]));
        seen.set(key, list);
        // Ack after a random pause, so that keys sit in flight while others flow.
        setTimeout(
          () => {
            const current = holders.get(key)!;
            if (--current.inFlight === 0) holders.delete(key);
            consumers[c]!.ack(message.partition, [message.offset]).catch(() => {});
          },
          Math.floor(random() * 5),
        );
      }
    };
    consumers.push(await broker.subscribe('orders', 'shippers', 'key_shared', { prefetch: 20, onDeliver }));
  }
  const sequence = new Map<string, number>();
  for (let batch = 0; batch < 20; batch++) {
    const records = [];
    for (let i = 0; i < total / 20; i++) {
      const key = keys[Math.floor(random() * keys.length)]!;
      const n = sequence.get(key) ?? 0;
      sequence.set(key, n + 1);
      records.push({ key, value: `${key}:${n}` });
    }
    await produce(broker, 'orders', records);
  }
  await eventually(() => received >= total, 15_000, `${total} deliveries`);
  assert.equal(violations, 0, 'a key was in flight at two consumers at once');
  for (const [key, list] of seen) {
    assert.deepEqual(
      list,
      Array.from({ length: sequence.get(key)! }, (_, i) => i),
      `records of ${key} in order, once each`,
    );
  }
});

test('key_shared spreads keys over consumers and moves a key only when nothing of it is in flight', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('orders');
  const a = new Inbox();
  const consumerA = await broker.subscribe('orders', 'ks', 'key_shared', { prefetch: 100, onDeliver: a.onDeliver });
  await produce(broker, 'orders', [
    { key: 'k1', value: 'k1-0' },
    { key: 'k2', value: 'k2-0' },
  ]);
  await a.waitFor(2);
  // A second consumer joins while both keys are in flight at A: later records of them stay with A.
  const b = new Inbox();
  await broker.subscribe('orders', 'ks', 'key_shared', { prefetch: 100, onDeliver: b.onDeliver });
  await produce(broker, 'orders', [
    { key: 'k1', value: 'k1-1' },
    { key: 'k2', value: 'k2-1' },
  ]);
  await a.waitFor(4);
  assert.equal(b.messages.length, 0);
  await consumerA.ack(0, [0, 1, 2, 3]);
  // Nothing in flight now: many keys spread over both consumers by hash.
  await produce(
    broker,
    'orders',
    Array.from({ length: 64 }, (_, i) => ({ key: `key-${i}`, value: `v${i}` })),
  );
  await eventually(() => a.messages.length + b.messages.length >= 68, 5_000, 'all delivered');
  assert.ok(b.messages.length > 0, 'the new consumer got some keys');
  assert.ok(a.messages.length > 4, 'the old one kept some');
});

test('exclusive subscriptions refuse a second consumer', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('ledger');
  const inbox = new Inbox();
  const owner = await broker.subscribe('ledger', 'one', 'exclusive', { onDeliver: inbox.onDeliver });
  await assert.rejects(broker.subscribe('ledger', 'one', 'exclusive', { onDeliver: () => {} }), hasCode(ErrorCode.CONSUMER_BUSY));
  await assert.rejects(broker.subscribe('ledger', 'one', 'shared', { onDeliver: () => {} }), hasCode(ErrorCode.INVALID_REQUEST));
  await produce(broker, 'ledger', values(5));
  await inbox.waitFor(5);
  assert.deepEqual(inbox.values(), values(5));
  await owner.close();
  const next = new Inbox();
  await broker.subscribe('ledger', 'one', 'exclusive', { onDeliver: next.onDeliver });
  await next.waitFor(5);
  assert.deepEqual(next.values(), values(5), 'the unacked records come back in order');
});

test('failover: one active consumer; standbys take over in join order when it leaves', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('ledger');
  const inboxes = [new Inbox(), new Inbox(), new Inbox()];
  const consumers: QueueConsumer[] = [];
  for (const inbox of inboxes) consumers.push(await broker.subscribe('ledger', 'fo', 'failover', { onDeliver: inbox.onDeliver }));
  await produce(broker, 'ledger', values(10));
  await inboxes[0]!.waitFor(10);
  await sleep(50);
  assert.equal(inboxes[1]!.messages.length + inboxes[2]!.messages.length, 0, 'standbys get nothing');
  await consumers[0]!.ack(0, [0, 1, 2, 3]);
  const described = await broker.describeSubscription('ledger', 'fo');
  assert.deepEqual(
    described.consumers.map((c) => c.isActive),
    [true, false, false],
  );
  await consumers[0]!.close();
  await inboxes[1]!.waitFor(6);
  assert.deepEqual(inboxes[1]!.values(), values(10).slice(4), 'the next in line gets the unacked records, in order');
  assert.equal(inboxes[2]!.messages.length, 0);
  await consumers[1]!.close();
  await inboxes[2]!.waitFor(6);
  assert.deepEqual(inboxes[2]!.values(), values(10).slice(4));
});

test('subscriptions: create is idempotent per mode, describe, list, delete', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('t', { partitions: 3 });
  const created = await broker.createSubscription('t', 's', { mode: 'shared', ackTimeoutMs: 5_000, maxDeliveries: 4 });
  assert.equal(created.options.deadLetterTopic, 't.s.dlq');
  assert.equal(created.options.maxDeliveries, 4);
  assert.equal(created.partitions.length, 3);
  assert.equal((await broker.createSubscription('t', 's', { mode: 'shared' })).options.ackTimeoutMs, 5_000);
  await assert.rejects(broker.createSubscription('t', 's', { mode: 'exclusive' }), hasCode(ErrorCode.INVALID_REQUEST));
  await assert.rejects(broker.createSubscription('nope', 's', { mode: 'shared' }), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  await assert.rejects(broker.createSubscription('t', 'bad name', { mode: 'shared' }), hasCode(ErrorCode.INVALID_REQUEST));
  await assert.rejects(broker.createSubscription('t', 'x', { mode: 'stream' as 'shared' }), hasCode(ErrorCode.INVALID_REQUEST));
  await assert.rejects(broker.createSubscription('t', 'x', { mode: 'shared', ackTimeoutMs: 0 }), hasCode(ErrorCode.INVALID_CONFIG));
  await assert.rejects(
    broker.subscribe('t', 'missing', 'shared', { onDeliver: () => {}, createIfMissing: false }),
    hasCode(ErrorCode.SUBSCRIPTION_NOT_FOUND),
  );
  assert.equal(broker.listSubscriptions().length, 1);
  const inbox = new Inbox();
  let closedWith: string | null = null;
  await broker.subscribe('t', 's', 'shared', { onDeliver: inbox.onDeliver, onClose: (reason) => (closedWith = reason) });
  await broker.deleteSubscription('t', 's');
  assert.equal(closedWith, 'subscription deleted');
  assert.deepEqual(broker.listSubscriptions(), []);
  await assert.rejects(broker.describeSubscription('t', 's'), hasCode(ErrorCode.SUBSCRIPTION_NOT_FOUND));
  await assert.rejects(broker.deleteSubscription('t', 's'), hasCode(ErrorCode.SUBSCRIPTION_NOT_FOUND));
});

test('deleting a topic ends its subscriptions; growing it adds cursors', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('grow');
  const inbox = new Inbox();
  await broker.subscribe('grow', 's', 'shared', { onDeliver: inbox.onDeliver });
  await broker.createPartitions('grow', 2);
  await produce(broker, 'grow', ['on-1'], 1);
  await inbox.waitFor(1);
  assert.equal(inbox.messages[0]!.partition, 1);
  let closed = '';
  await broker.subscribe('grow', 's', 'shared', { onDeliver: () => {}, onClose: (reason) => (closed = reason) });
  await broker.deleteTopic('grow');
  assert.equal(closed, 'topic deleted');
  assert.deepEqual(broker.listSubscriptions(), []);
});
