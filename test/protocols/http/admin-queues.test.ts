import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueMessage } from '../../../src/broker/queues/types.ts';
import { encodeRecordBatch } from '../../../src/common/record-batch.ts';
import { type AdminApi, startAdminApi } from './admin-helpers.ts';

async function produce(api: AdminApi, topic: string, values: string[]): Promise<void> {
  await api.broker.produce({
    topic,
    partition: 0,
    batches: encodeRecordBatch({ records: values.map((value) => ({ key: Buffer.from(`k-${value}`), value: Buffer.from(value) })) }),
    acks: -1,
  });
}

/** Polls until `check` holds; the test's own timeout bounds it (no timed assertion). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

test('subscriptions: create, list, describe backlog and in flight, delete; unknown ones are 404', async (t) => {
  const api = await startAdminApi(t);
  await api.call('POST', '/api/topics', { name: 'jobs', partitions: 1 });
  await produce(api, 'jobs', ['a', 'b', 'c']);

  const created = await api.call('POST', '/api/topics/jobs/subscriptions', { name: 'workers', mode: 'shared', maxDeliveries: 3 });
  assert.equal(created.status, 201);
  assert.equal(created.body.options.maxDeliveries, 3);
  assert.equal(created.body.options.deadLetterTopic, 'jobs.workers.dlq');

  const delivered: QueueMessage[] = [];
  const consumer = await api.broker.subscribe('jobs', 'workers', 'shared', {
    prefetch: 2,
    onDeliver: (messages) => delivered.push(...messages),
  });
  await until(async () => delivered.length === 2);
  await consumer.ack(0, [delivered[0]!.offset]);

  const listed = await api.call('GET', '/api/topics/jobs/subscriptions');
  assert.deepEqual(listed.body, { subscriptions: [{ topic: 'jobs', name: 'workers', mode: 'shared', consumerCount: 1 }] });

  const described = await api.call('GET', '/api/topics/jobs/subscriptions/workers');
  assert.equal(described.status, 200);
  assert.equal(described.body.backlog, 2);
  // One acked, so prefetch 2 brought the third in: both unacked records are in flight.
  assert.equal(described.body.inFlight, 2);
  assert.equal(described.body.consumers.length, 1);
  assert.equal(described.body.partitions[0].highWatermark, 3);
  assert.equal(typeof described.body.oldestUnackedAgeMs, 'number');
  assert.equal(typeof described.body.redeliveries, 'number');

  await consumer.close();
  const deleted = await api.call('DELETE', '/api/topics/jobs/subscriptions/workers');
  assert.equal(deleted.status, 204);
  const gone = await api.call('GET', '/api/topics/jobs/subscriptions/workers');
  assert.equal(gone.status, 404);
  assert.equal(gone.body.error.code, 'SUBSCRIPTION_NOT_FOUND');
  const noTopic = await api.call('GET', '/api/topics/nothing/subscriptions');
  assert.equal(noTopic.status, 404);
  assert.equal(noTopic.body.error.code, 'UNKNOWN_TOPIC_OR_PARTITION');
});

test('dead letters: browse them with their ferry-dlq headers, then replay them to the topic', async (t) => {
  const api = await startAdminApi(t);
  await api.call('POST', '/api/topics', { name: 'tasks', partitions: 1 });
  const empty = await api.call('POST', '/api/topics/tasks/subscriptions', { name: 'svc', mode: 'shared', maxDeliveries: 1 });
  assert.equal(empty.status, 201);
  // No dead letter yet: the dead-letter topic does not exist, the page is empty.
  const none = await api.call('GET', '/api/topics/tasks/subscriptions/svc/dead-letters');
  assert.equal(none.status, 200);
  assert.deepEqual(none.body.records, []);
  assert.equal(none.body.deadLetterTopic, 'tasks.svc.dlq');

  await produce(api, 'tasks', ['poison-1', 'poison-2', 'fine']);
  const consumer = await api.broker.subscribe('tasks', 'svc', 'shared', {
    prefetch: 10,
    onDeliver: (messages) => {
      for (const message of messages) {
        if (message.value?.toString().startsWith('poison')) consumer.nack(message.partition, [message.offset], 0);
        else void consumer.ack(message.partition, [message.offset]);
      }
    },
  });
  // Dead letters are written in the background after the subscription counts them.
  let page = await api.call('GET', '/api/topics/tasks/subscriptions/svc/dead-letters');
  await until(async () => {
    page = await api.call('GET', '/api/topics/tasks/subscriptions/svc/dead-letters');
    return page.body.records.length === 2;
  });
  await consumer.close();
  assert.equal((await api.call('GET', '/api/topics/tasks/subscriptions/svc')).body.deadLettered, 2);
  assert.equal(page.status, 200);
  assert.equal(page.body.records.length, 2);
  const [first] = page.body.records;
  assert.equal(first.value, 'poison-1');
  assert.equal(first.key, 'k-poison-1');
  assert.deepEqual(first.deadLetter, {
    reason: 'max_deliveries',
    originalTopic: 'tasks',
    originalPartition: 0,
    originalOffset: 0,
    subscription: 'svc',
    deliveryCount: 1,
  });
  assert.ok(first.headers.some((header: { key: string }) => header.key === 'ferry-dlq-reason'));
  const second = await api.call('GET', '/api/topics/tasks/subscriptions/svc/dead-letters?offset=1&limit=1');
  assert.equal(second.body.records.length, 1);
  assert.equal(second.body.records[0].deadLetter.originalOffset, 1);

  const replayOne = await api.call('POST', '/api/topics/tasks/subscriptions/svc/dead-letters/replay', { maxRecords: 1 });
  assert.deepEqual(replayOne.body, { deadLetterTopic: 'tasks.svc.dlq', replayed: 1 });
  const replayRest = await api.call('POST', '/api/topics/tasks/subscriptions/svc/dead-letters/replay', {});
  assert.deepEqual(replayRest.body, { deadLetterTopic: 'tasks.svc.dlq', replayed: 1 });
  const after = await api.call('GET', '/api/topics/tasks/subscriptions/svc/dead-letters');
  assert.deepEqual(after.body.records, []);
  // The replayed records are back at the end of the topic, marked as replays.
  const topic = await api.call('GET', '/api/topics/tasks/partitions/0/records?offset=3');
  assert.deepEqual(
    topic.body.records.map((r: { value: string }) => r.value),
    ['poison-1', 'poison-2'],
  );
  assert.ok(
    topic.body.records[0].headers.some((h: { key: string; value: string }) => h.key === 'ferry-replay-of' && h.value === 'tasks/0/0'),
  );
});

test('groups: list, describe committed offsets and lag per partition, delete; unknown groups are 404', async (t) => {
  const api = await startAdminApi(t);
  await api.call('POST', '/api/topics', { name: 'clicks', partitions: 2 });
  await produce(api, 'clicks', ['1', '2', '3', '4', '5']);
  // A standalone commit (generation -1, no member), as Kafka's admin tools do.
  await api.broker.commitOffsets({
    groupId: 'analytics',
    generationId: -1,
    memberId: '',
    offsets: [{ topic: 'clicks', partition: 0, offset: 2 }],
  });

  const listed = await api.call('GET', '/api/groups');
  assert.equal(listed.status, 200);
  assert.deepEqual(
    listed.body.groups.map((g: { groupId: string }) => g.groupId),
    ['analytics'],
  );
  const described = await api.call('GET', '/api/groups/analytics');
  assert.equal(described.status, 200);
  assert.equal(described.body.state, 'Empty');
  const partition0 = described.body.offsets.find((o: { partition: number }) => o.partition === 0);
  assert.deepEqual(partition0, { topic: 'clicks', partition: 0, committedOffset: 2, logEndOffset: 5, lag: 3, memberId: null });
  assert.equal(described.body.totalLag, 3);

  const deleted = await api.call('DELETE', '/api/groups/analytics');
  assert.equal(deleted.status, 204);
  const gone = await api.call('GET', '/api/groups/analytics');
  assert.equal(gone.status, 404);
  assert.equal(gone.body.error.code, 'GROUP_ID_NOT_FOUND');
  const deleteAgain = await api.call('DELETE', '/api/groups/analytics');
  assert.equal(deleteAgain.status, 404);
});
