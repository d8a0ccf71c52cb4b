import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, ErrorCode, type FerryClient, type QueueMessage, type QueueSubscription } from '../../src/client/index.ts';
import { startRealBroker } from './real-broker.ts';
import { TcpProxy } from './tcp-proxy.ts';

/** Queue subscriptions through the real client, over real sockets, against the real broker. */

async function setup(t: { after: (fn: () => Promise<void>) => void }, partitions = 4) {
  const running = await startRealBroker(t);
  const clients: FerryClient[] = [];
  const open = async () => {
    const client = await connect(running.url, { retryBackoffMs: 20, maxRetryBackoffMs: 200 });
    clients.push(client);
    return client;
  };
  t.after(async () => {
    for (const client of clients) await client.close().catch(() => {});
  });
  const admin = (await open()).admin();
  const topic = `jobs-${Math.random().toString(36).slice(2, 8)}`;
  await admin.createTopic({ name: topic, partitions });
  return { running, open, admin, topic };
}

async function produce(client: FerryClient, topic: string, count: number, key?: (i: number) => string): Promise<void> {
  const producer = client.producer({ lingerMs: 1 });
  await producer.sendBatch(Array.from({ length: count }, (_, i) => ({ topic, key: key?.(i) ?? null, value: `m${i}` })));
  await producer.close();
}

/** Reads until `until()` or the time limit; returns what was read. */
async function collect(sub: QueueSubscription, onMessage: (m: QueueMessage) => Promise<void> | void, until: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  const iterator = sub[Symbol.asyncIterator]();
  while (!until()) {
    if (Date.now() > deadline) throw new Error('timed out collecting');
    const result = await Promise.race([iterator.next(), new Promise<null>((resolve) => setTimeout(() => resolve(null), 50))]);
    if (result === null) continue;
    if (result.done) return;
    await onMessage(result.value);
  }
}

test('competing consumers each get every record once when all ack', async (t) => {
  const { open, admin, topic } = await setup(t);
  const client = await open();
  const subs = await Promise.all([0, 1, 2, 3].map(async () => (await open()).subscribe({ topic, subscription: 'work', prefetch: 50 })));
  await produce(client, topic, 2000);
  const seen = new Map<string, number>();
  const perConsumer = [0, 0, 0, 0];
  await Promise.all(
    subs.map((sub, i) =>
      collect(
        sub,
        (m) => {
          const id = `${m.partition}/${m.offset}`;
          seen.set(id, (seen.get(id) ?? 0) + 1);
          perConsumer[i]!++;
          void m.ack();
        },
        () => seen.size >= 2000,
      ),
    ),
  );
  for (const sub of subs) await sub.close();
  assert.equal(seen.size, 2000);
  assert.ok(
    [...seen.values()].every((n) => n === 1),
    'no record delivered twice',
  );
  assert.ok(perConsumer.filter((n) => n > 0).length >= 2, `work was shared: ${perConsumer}`);
  const description = await admin.describeSubscription(topic, 'work');
  assert.equal(description.backlog, 0);
  assert.equal(description.inFlight, 0);
});

test('a consumer whose connection dies mid-work has its records redelivered to another', async (t) => {
  const { open, topic } = await setup(t, 1);
  const producerClient = await open();
  const doomed = await open();
  const doomedSub = await doomed.subscribe({ topic, subscription: 'work', prefetch: 100, ackTimeoutMs: 60_000 });
  await produce(producerClient, topic, 100);
  const held: QueueMessage[] = [];
  await collect(
    doomedSub,
    (m) => void held.push(m),
    () => held.length >= 100,
  );
  doomed.destroy(); // socket gone, nothing acked
  const survivor = await (await open()).subscribe({ topic, subscription: 'work', prefetch: 100 });
  const redelivered = new Set<number>();
  await collect(
    survivor,
    async (m) => {
      assert.equal(m.deliveryCount, 2);
      redelivered.add(m.offset);
      await m.ack();
    },
    () => redelivered.size >= 100,
  );
  assert.equal(redelivered.size, 100);
  await assert.rejects(held[0]!.ack(), { code: ErrorCode.CONNECTION_CLOSED });
});

test('nack with a delay redelivers after the delay, with the delivery count', async (t) => {
  const { open, topic } = await setup(t, 1);
  const client = await open();
  const sub = await client.subscribe({ topic, subscription: 'work' });
  await produce(client, topic, 1);
  const deliveries: { count: number; at: number }[] = [];
  await collect(
    sub,
    async (m) => {
      deliveries.push({ count: m.deliveryCount, at: Date.now() });
      if (m.deliveryCount === 1) await m.nack({ delayMs: 300 });
      else await m.ack();
    },
    () => deliveries.length >= 2,
  );
  assert.deepEqual(
    deliveries.map((d) => d.count),
    [1, 2],
  );
  assert.ok(deliveries[1]!.at - deliveries[0]!.at >= 250, 'not redelivered before its delay');
});

test('max deliveries sends a record to the dead-letter topic with headers the client sees, and replay brings it back', async (t) => {
  const { open, admin, topic } = await setup(t, 1);
  const client = await open();
  const sub = await client.subscribe({ topic, subscription: 'work', maxDeliveries: 2, backoff: { minMs: 10, maxMs: 10 } });
  await produce(client, topic, 1);
  let nacks = 0;
  await collect(
    sub,
    async (m) => {
      nacks++;
      await m.nack({ delayMs: 0 });
    },
    () => nacks >= 2,
  );
  // The dead letter (and its topic, made on first use) is written after the last nack: wait for it.
  let dlq: QueueSubscription | null = null;
  for (let i = 0; i < 200 && dlq === null; i++) {
    dlq = await client.subscribe({ topic: `${topic}.work.dlq`, subscription: 'inspect', createIfMissing: true }).catch(() => null);
    if (dlq === null) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.ok(dlq, 'the dead-letter topic appeared');
  let dead: QueueMessage | null = null;
  await collect(
    dlq,
    async (m) => {
      dead = m;
      await m.ack();
    },
    () => dead !== null,
  );
  const headers = (dead as unknown as QueueMessage).headers;
  assert.equal(headers['ferry-dlq-reason']?.toString(), 'max_deliveries');
  assert.equal(headers['ferry-original-topic']?.toString(), topic);
  assert.equal(headers['ferry-delivery-count']?.toString(), '2');
  const described = await admin.describeSubscription(topic, 'work');
  assert.equal(described.deadLettered, 1);
  const replay = await admin.replayDeadLetters(topic, 'work', {});
  assert.equal(replay.replayed, 1);
  let replayed: QueueMessage | null = null;
  await collect(
    sub,
    async (m) => {
      replayed = m;
      await m.ack();
    },
    () => replayed !== null,
  );
  assert.equal((replayed as unknown as QueueMessage).value?.toString(), 'm0');
});

test('key_shared keeps per-key order with 4 consumers', async (t) => {
  const { open, topic } = await setup(t, 2);
  const client = await open();
  const subs = await Promise.all(
    [0, 1, 2, 3].map(async () => (await open()).subscribe({ topic, subscription: 'ks', mode: 'key_shared', prefetch: 20 })),
  );
  await produce(client, topic, 800, (i) => `k${i % 16}`);
  const lastByKey = new Map<string, number>();
  const consumerOfKey = new Map<string, Set<number>>();
  let total = 0;
  await Promise.all(
    subs.map((sub, c) =>
      collect(
        sub,
        async (m) => {
          const key = m.key!.toString();
          const n = Number(m.value!.toString().slice(1));
          const last = lastByKey.get(key) ?? -1;
          assert.ok(n > last, `key ${key}: ${n} after ${last}`);
          lastByKey.set(key, n);
          (consumerOfKey.get(key) ?? consumerOfKey.set(key, new Set()).get(key)!).add(c);
          total++;
          await m.ack();
        },
        () => total >= 800,
      ),
    ),
  );
  assert.equal(total, 800);
  const busy = new Set([...consumerOfKey.values()].flatMap((s) => [...s]));
  assert.ok(busy.size >= 2, 'keys were spread over consumers');
});

test('exclusive refuses a second consumer; failover hands over when the active one leaves', async (t) => {
  const { open, topic } = await setup(t, 1);
  const client = await open();
  const first = await client.subscribe({ topic, subscription: 'solo', mode: 'exclusive' });
  await assert.rejects((await open()).subscribe({ topic, subscription: 'solo', mode: 'exclusive' }), { code: ErrorCode.CONSUMER_BUSY });
  await first.close();

  const active = await (await open()).subscribe({ topic, subscription: 'fo', mode: 'failover' });
  const standby = await (await open()).subscribe({ topic, subscription: 'fo', mode: 'failover' });
  await produce(client, topic, 10);
  let activeCount = 0;
  await collect(
    active,
    async (m) => {
      activeCount++;
      if (activeCount <= 5) await m.ack();
    },
    () => activeCount >= 10,
  );
  assert.equal(standby.bufferedCount, 0, 'the standby got nothing while the active consumer lived');
  await active.close();
  const taken: number[] = [];
  await collect(
    standby,
    async (m) => {
      taken.push(m.offset);
      await m.ack();
    },
    () => taken.length >= 5,
  );
  assert.deepEqual(taken, [5, 6, 7, 8, 9]);
});

test('a delayed send is not delivered early and is delivered after its delay; TTL expires records', async (t) => {
  const { open, admin, topic } = await setup(t, 1);
  const client = await open();
  const sub = await client.subscribe({ topic, subscription: 'timed' });
  const producer = client.producer(); // idempotent by default: delayed records still work
  const sentAt = Date.now();
  await producer.send({
    topic,
    messages: [
      { value: 'later', delayMs: 600 },
      { value: 'at', deliverAt: new Date(Date.now() + 600) },
    ],
  });
  await producer.send({ topic, value: 'now' });
  const got: { value: string; at: number }[] = [];
  await collect(
    sub,
    async (m) => {
      got.push({ value: m.value!.toString(), at: Date.now() });
      await m.ack();
    },
    () => got.length >= 3,
  );
  assert.equal(got[0]!.value, 'now');
  for (const delayed of got.slice(1)) assert.ok(delayed.at - sentAt >= 550, `${delayed.value} came after ${delayed.at - sentAt} ms`);
  assert.deepEqual(got.map((g) => g.value).sort(), ['at', 'later', 'now']);

  // TTL: a record with ttlMs that nobody reads in time is never delivered.
  const ttlTopic = `${topic}-ttl`;
  await admin.createTopic({ name: ttlTopic, partitions: 1 });
  await admin.createSubscription(ttlTopic, 'slow', { mode: 'shared' });
  await producer.send({
    topic: ttlTopic,
    messages: [
      { value: 'short', ttlMs: 50 },
      { value: 'long', ttlMs: 600_000 },
    ],
  });
  await producer.close();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const slow = await client.subscribe({ topic: ttlTopic, subscription: 'slow' });
  const values: string[] = [];
  await collect(
    slow,
    async (m) => {
      values.push(m.value!.toString());
      await m.ack();
    },
    () => values.length >= 1,
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual([...values, ...Array.from({ length: slow.bufferedCount }, () => 'extra')], ['long']);
});

test('request/reply round trip, and a request nobody answers times out', async (t) => {
  const { open, admin, topic } = await setup(t, 1);
  const server = await open();
  const requester = await open();
  const sub = await server.subscribe({ topic, subscription: 'rpc' });
  const stray = server.producer();
  const serving = sub.run({
    eachMessage: async (m) => {
      // A reply nobody asked for goes first: the requester drops it and keeps waiting.
      await stray.send({ topic: m.headers['ferry-reply-to']!.toString(), value: 'stray', headers: { 'ferry-correlation-id': 'unknown' } });
      await server.reply(m, { value: `echo:${m.value!.toString()}`, headers: { served: 'yes' } });
    },
  });
  const reply = await requester.request(topic, { value: 'ping' }, { timeoutMs: 10_000 });
  assert.equal(reply.value!.toString(), 'echo:ping');
  assert.equal(reply.headers.served!.toString(), 'yes');

  const silent = `${topic}-silent`;
  await admin.createTopic({ name: silent, partitions: 1 });
  await assert.rejects(requester.request(silent, { value: 'hello?' }, { timeoutMs: 300 }), { code: ErrorCode.TIMEOUT });
  // The reply topic is the requester's own and goes away with it.
  const replyTopics = (await admin.listTopics()).filter((topic) => topic.name.startsWith('__reply-'));
  assert.equal(replyTopics.length, 1);
  await requester.close();
  assert.equal((await admin.listTopics()).filter((topic) => topic.name.startsWith('__reply-')).length, 0);
  await sub.close();
  await serving;
});

test('admin lists, describes, creates and deletes subscriptions and sets the topic queue policy', async (t) => {
  const { open, admin, topic } = await setup(t, 2);
  await open();
  const created = await admin.createSubscription(topic, 'a', { mode: 'key_shared', maxDeliveries: 3, ackTimeoutMs: 5000 });
  assert.equal(created.mode, 'key_shared');
  assert.equal(created.options.maxDeliveries, 3);
  assert.equal(created.partitions.length, 2);
  await admin.createSubscription(topic, 'b', { mode: 'shared', limits: { maxRecords: 100, overflow: 'reject_publish' } });
  const list = await admin.listSubscriptions(topic);
  assert.deepEqual(list.map((s) => s.name).sort(), ['a', 'b']);
  assert.deepEqual((await admin.describeSubscription(topic, 'b')).options.limits, { maxRecords: 100, overflow: 'reject_publish' });
  await admin.deleteSubscription(topic, 'a');
  await assert.rejects(admin.describeSubscription(topic, 'a'), { code: ErrorCode.SUBSCRIPTION_NOT_FOUND });
  const policy = await admin.setTopicQueuePolicy(topic, { ttlMs: 60_000, ttlAction: 'dead_letter' });
  assert.equal(policy.ttlMs, 60_000);
  assert.equal((await admin.describeTopicQueuePolicy(topic)).ttlAction, 'dead_letter');
  await assert.rejects(admin.createSubscription(topic, 'bad', { mode: 'nonsense' as 'shared' }));
});

test('a subscription whose connection is cut re-subscribes and gets its unacked records again', async (t) => {
  const { running, open, topic } = await setup(t, 1);
  const proxy = await TcpProxy.start(running.server.port);
  t.after(() => proxy.close());
  const client = await connect(`127.0.0.1:${proxy.port}`, { retryBackoffMs: 20, maxRetryBackoffMs: 100 });
  t.after(() => client.close());
  const sub = await client.subscribe({ topic, subscription: 'work', prefetch: 10 });
  await produce(await open(), topic, 10);
  const first: QueueMessage[] = [];
  await collect(
    sub,
    (m) => void first.push(m),
    () => first.length >= 10,
  );
  proxy.dropAll();
  await assert.rejects(first[0]!.ack(), { code: ErrorCode.CONNECTION_CLOSED });
  const again = new Set<number>();
  await collect(
    sub,
    async (m) => {
      again.add(m.offset);
      await m.ack();
    },
    () => again.size >= 10,
  );
  assert.equal(again.size, 10);
});

test('deleting the subscription ends its consumers with the reason; extend and setPrefetch reach the broker', async (t) => {
  const { open, admin, topic } = await setup(t, 1);
  const client = await open();
  const sub = await client.subscribe({ topic, subscription: 'work', prefetch: 5, ackTimeoutMs: 200, consumerId: 'w1' });
  await sub.setPrefetch(7);
  await produce(client, topic, 3);
  let held: QueueMessage | null = null;
  await collect(
    sub,
    (m) => {
      held ??= m;
    },
    () => held !== null,
  );
  await (held as unknown as QueueMessage).extend(60_000);
  await new Promise((resolve) => setTimeout(resolve, 400)); // past the 200 ms deadline: extended, not redelivered
  const described = await admin.describeSubscription(topic, 'work');
  assert.equal(described.consumers[0]!.prefetch, 7);
  assert.equal(described.consumers[0]!.id, 'w1');
  assert.ok(described.inFlight >= 1);
  await (held as unknown as QueueMessage).ack();
  await admin.deleteSubscription(topic, 'work');
  const iterator = sub[Symbol.asyncIterator]();
  await assert.rejects(
    (async () => {
      for (;;) await iterator.next();
    })(),
    (error: unknown) => (error as { code?: string }).code === ErrorCode.CONNECTION_CLOSED,
  );
});

test('delayed records in compressed and mixed batches are held; the rest of the batch is not', async (t) => {
  const { open, topic } = await setup(t, 1);
  const client = await open();
  const sub = await client.subscribe({ topic, subscription: 'mixed' });
  for (const compression of ['gzip', 'lz4'] as const) {
    const producer = client.producer({ compression });
    const sentAt = Date.now();
    await producer.sendBatch([
      { topic, value: `${compression}-now` },
      { topic, value: `${compression}-later`, delayMs: 400 },
    ]);
    await producer.close();
    const got: { value: string; at: number }[] = [];
    await collect(
      sub,
      async (m) => {
        got.push({ value: m.value!.toString(), at: Date.now() });
        await m.ack();
      },
      () => got.length >= 2,
    );
    assert.deepEqual(
      got.map((g) => g.value),
      [`${compression}-now`, `${compression}-later`],
    );
    assert.ok(got[1]!.at - sentAt >= 350, `${compression}: the delayed record came after ${got[1]!.at - sentAt} ms`);
  }
});

test('run() nacks a message whose handler throws, and it comes back', async (t) => {
  const { open, topic } = await setup(t, 1);
  const client = await open();
  const sub = await client.subscribe({ topic, subscription: 'flaky', backoff: { minMs: 10, maxMs: 10 } });
  await produce(client, topic, 1);
  const counts: number[] = [];
  const running = sub.run({
    eachMessage: async (m) => {
      counts.push(m.deliveryCount);
      if (m.deliveryCount === 1) throw new Error('first attempt fails');
    },
  });
  const deadline = Date.now() + 10_000;
  while (counts.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await sub.close();
  await running;
  assert.deepEqual(counts, [1, 2]);
});
