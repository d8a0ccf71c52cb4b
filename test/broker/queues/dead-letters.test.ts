import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReservedHeader } from '../../../src/common/reserved-headers.ts';
import { eventually, headerOf, Inbox, produce, readTopic, startQueueBroker, textOf, values } from './helpers.ts';

test('after max deliveries a record goes to the dead-letter topic with headers naming why and from where', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('jobs', { partitions: 2 });
  await broker.createSubscription('jobs', 'w', { mode: 'shared', maxDeliveries: 3, backoff: { minMs: 0, maxMs: 0 } });
  const inbox = new Inbox();
  const consumer = await broker.subscribe('jobs', 'w', 'shared', { onDeliver: inbox.onDeliver });
  inbox.onMessages = (messages) => {
    for (const message of messages) {
      if (textOf(message) === 'poison') consumer.nack(message.partition, [message.offset]);
      else void consumer.ack(message.partition, [message.offset]);
    }
  };
  await produce(broker, 'jobs', ['ok-0', { value: 'poison', key: 'k', headers: { trace: 'abc' } }, 'ok-1'], 1);
  await eventually(
    () => broker.hasTopic('jobs.w.dlq') && broker.describeTopic('jobs.w.dlq').partitions[0]!.highWatermark === 1,
    5_000,
    'a dead letter',
  );
  const poisonDeliveries = inbox.messages.filter((m) => textOf(m) === 'poison').map((m) => m.deliveryCount);
  assert.deepEqual(poisonDeliveries, [1, 2, 3]);
  const [letter] = await readTopic(broker, 'jobs.w.dlq');
  assert.equal(letter!.value!.toString(), 'poison');
  assert.equal(letter!.key!.toString(), 'k');
  assert.equal(headerOf(letter!, 'trace'), 'abc');
  assert.equal(headerOf(letter!, ReservedHeader.deadLetterReason), 'max_deliveries');
  assert.equal(headerOf(letter!, ReservedHeader.originalTopic), 'jobs');
  assert.equal(headerOf(letter!, ReservedHeader.originalPartition), '1');
  assert.equal(headerOf(letter!, ReservedHeader.originalOffset), '1');
  assert.equal(headerOf(letter!, ReservedHeader.subscription), 'w');
  assert.equal(headerOf(letter!, ReservedHeader.deliveryCount), '3');
  await eventually(async () => (await broker.describeSubscription('jobs', 'w')).backlog === 0, 5_000, 'the dead letter acked');
  assert.equal((await broker.describeSubscription('jobs', 'w')).deadLettered, 1);
});

test('dead letters can be replayed back to their topic and partition', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('jobs', { partitions: 2 });
  await broker.createSubscription('jobs', 'w', { mode: 'shared', maxDeliveries: 1 });
  const inbox = new Inbox();
  const consumer = await broker.subscribe('jobs', 'w', 'shared', { onDeliver: inbox.onDeliver });
  let failing = true;
  inbox.onMessages = (messages) => {
    for (const message of messages) {
      if (failing) consumer.nack(message.partition, [message.offset]);
      else void consumer.ack(message.partition, [message.offset]);
    }
  };
  await produce(broker, 'jobs', values(3, 'a'), 0);
  await produce(broker, 'jobs', values(2, 'b'), 1);
  await eventually(
    () => broker.hasTopic('jobs.w.dlq') && broker.describeTopic('jobs.w.dlq').partitions[0]!.highWatermark === 5,
    5_000,
    '5 dead letters',
  );
  failing = false;
  const result = await broker.replayDeadLetters('jobs', 'w', { maxRecords: 4 });
  assert.deepEqual(result, { deadLetterTopic: 'jobs.w.dlq', replayed: 4 });
  await inbox.waitFor(5 + 4);
  const replayed = inbox.messages.slice(5);
  assert.ok(replayed.every((m) => m.deliveryCount === 1));
  assert.ok(replayed.every((m) => headerOf(m, ReservedHeader.deadLetterReason) === null));
  assert.deepEqual(replayed.map((m) => [textOf(m), m.partition]).sort(), [
    ['a0', 0],
    ['a1', 0],
    ['a2', 0],
    ['b0', 1],
  ]);
  assert.match(headerOf(replayed[0]!, ReservedHeader.replayOf)!, /^jobs\/[01]\/\d+$/);
  const rest = await broker.replayDeadLetters('jobs', 'w');
  assert.equal(rest.replayed, 1);
  await inbox.waitFor(10);
  assert.equal(broker.describeTopic('jobs.w.dlq').partitions[0]!.logStartOffset, 5, 'moved records leave the dead-letter topic');
});
