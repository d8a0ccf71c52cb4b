import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueConsumer } from '../../../src/broker/queues/types.ts';
import { ErrorCode } from '../../../src/common/errors.ts';
import { eventually, hasCode, Inbox, produce, sleep, startQueueBroker, textOf, values } from './helpers.ts';

test('competing consumers of a shared subscription get each record exactly once when all ack', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('jobs', { partitions: 2 });
  await broker.createSubscription('jobs', 'workers', { mode: 'shared' });
  const inboxes = [new Inbox(), new Inbox(), new Inbox(), new Inbox()];
  const consumers: QueueConsumer[] = [];
  for (const inbox of inboxes) {
    const consumer = await broker.subscribe('jobs', 'workers', 'shared', { prefetch: 50, onDeliver: inbox.onDeliver });
    inbox.onMessages = (messages) => {
      for (const message of messages) void consumer.ack(message.partition, [message.offset]);
    };
    consumers.push(consumer);
  }
  for (let batch = 0; batch < 10; batch++) {
    await produce(broker, 'jobs', values(100, `p0-${batch}-`), 0);
    await produce(broker, 'jobs', values(100, `p1-${batch}-`), 1);
  }
  await eventually(() => inboxes.reduce((sum, inbox) => sum + inbox.messages.length, 0) >= 2000, 10_000, '2000 deliveries');
  await sleep(100); // nothing more may arrive
  const all = inboxes.flatMap((inbox) => inbox.values());
  assert.equal(all.length, 2000);
  assert.equal(new Set(all).size, 2000, 'no record delivered twice');
  for (const inbox of inboxes) assert.ok(inbox.messages.length > 0, 'every consumer got work');
  assert.ok(inboxes.every((inbox) => inbox.messages.every((message) => message.deliveryCount === 1)));
  await eventually(async () => (await broker.describeSubscription('jobs', 'workers')).backlog === 0, 5_000, 'backlog 0');
  const description = await broker.describeSubscription('jobs', 'workers');
  assert.equal(description.inFlight, 0);
  assert.deepEqual(
    description.partitions.map((p) => p.ackFloor),
    [1000, 1000],
  );
});

test('prefetch bounds what a consumer holds unacked', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('jobs');
  const inbox = new Inbox();
  const consumer = await broker.subscribe('jobs', 'slow', 'shared', { prefetch: 7, onDeliver: inbox.onDeliver });
  await produce(broker, 'jobs', values(100));
  await inbox.waitFor(7);
  await sleep(50);
  assert.equal(inbox.messages.length, 7);
  assert.equal(consumer.inFlight, 7);
  await consumer.ack(
    0,
    inbox.messages.slice(0, 3).map((m) => m.offset),
  );
  await inbox.waitFor(10);
  await sleep(50);
  assert.equal(inbox.messages.length, 10);
  assert.deepEqual(
    inbox.messages.map((m) => m.offset),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
});

test('a consumer that closes mid-work has its records redelivered to another', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('jobs');
  const first = new Inbox();
  const quitter = await broker.subscribe('jobs', 'w', 'shared', { prefetch: 10, onDeliver: first.onDeliver });
  await produce(broker, 'jobs', values(10));
  await first.waitFor(10);
  await quitter.ack(0, [0, 1, 2]);
  const second = new Inbox();
  await broker.subscribe('jobs', 'w', 'shared', { prefetch: 100, onDeliver: second.onDeliver });
  await quitter.close();
  await second.waitFor(7);
  assert.deepEqual(
    second.messages.map((m) => m.offset),
    [3, 4, 5, 6, 7, 8, 9],
  );
  assert.ok(second.messages.every((m) => m.deliveryCount === 2));
  await assert.rejects(quitter.ack(0, [3]), hasCode(ErrorCode.CONNECTION_CLOSED));
});

test('nack with a delay redelivers after the delay, not before, with the delivery count raised', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('jobs');
  const inbox = new Inbox();
  const consumer = await broker.subscribe('jobs', 'w', 'shared', { onDeliver: inbox.onDeliver });
  await produce(broker, 'jobs', ['a', 'b']);
  await inbox.waitFor(2);
  const nackedAt = Date.now();
  consumer.nack(0, [0], 300);
  await consumer.ack(0, [1]);
  await sleep(150);
  assert.equal(inbox.messages.length, 2, 'not redelivered before its delay');
  await inbox.waitFor(3, 2_000);
  const again = inbox.messages[2]!;
  assert.equal(textOf(again), 'a');
  assert.equal(again.deliveryCount, 2);
  assert.ok(Date.now() - nackedAt >= 290, 'redelivered after the delay');
});

test('an expired ack deadline redelivers with an incremented delivery count; extending it holds the record', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('jobs');
  await broker.createSubscription('jobs', 'w', { mode: 'shared', ackTimeoutMs: 150, backoff: { minMs: 0, maxMs: 0 } });
  const inbox = new Inbox();
  const consumer = await broker.subscribe('jobs', 'w', 'shared', { onDeliver: inbox.onDeliver });
  await produce(broker, 'jobs', ['slow', 'extended']);
  await inbox.waitFor(2);
  const extender = setInterval(() => consumer.extendDeadline(0, [1], 150), 50);
  t.after(() => clearInterval(extender));
  await inbox.waitFor(3, 2_000);
  const redelivered = inbox.messages[2]!;
  assert.equal(textOf(redelivered), 'slow');
  assert.equal(redelivered.deliveryCount, 2);
  await inbox.waitFor(4, 2_000);
  assert.equal(textOf(inbox.messages[3]!), 'slow', 'expires again, the extended one does not');
  assert.equal(inbox.messages[3]!.deliveryCount, 3);
  clearInterval(extender);
  await consumer.ack(0, [0, 1]);
  const description = await broker.describeSubscription('jobs', 'w');
  assert.equal(description.backlog, 0);
  assert.ok(description.redeliveries >= 2);
});

test('acks are confirmed only once durable, and a duplicate ack is harmless', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('jobs');
  const inbox = new Inbox();
  const consumer = await broker.subscribe('jobs', 'w', 'shared', { onDeliver: inbox.onDeliver });
  await produce(broker, 'jobs', values(5));
  await inbox.waitFor(5);
  await Promise.all([consumer.ack(0, [0, 1]), consumer.ack(0, [1, 2]), consumer.ack(0, [4])]);
  await consumer.ack(0, [0]);
  const description = await broker.describeSubscription('jobs', 'w');
  assert.equal(description.partitions[0]!.ackFloor, 3);
  assert.equal(description.backlog, 1);
  assert.equal(description.inFlight, 1);
  assert.ok(description.oldestUnackedAgeMs >= 0);
});

test('two subscriptions on one topic each get every record (broadcast)', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('events');
  const a = new Inbox();
  const b = new Inbox();
  await broker.subscribe('events', 'billing', 'shared', { onDeliver: a.onDeliver });
  await broker.subscribe('events', 'audit', 'shared', { onDeliver: b.onDeliver });
  await produce(broker, 'events', values(20));
  await a.waitFor(20);
  await b.waitFor(20);
  assert.deepEqual(a.values(), values(20));
  assert.deepEqual(b.values(), values(20));
  assert.deepEqual(
    broker.listSubscriptions('events').map((s) => [s.name, s.mode, s.consumerCount]),
    [
      ['audit', 'shared', 1],
      ['billing', 'shared', 1],
    ],
  );
});
