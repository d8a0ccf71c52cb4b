import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/common/errors.ts';
import { ReservedHeader } from '../../../src/common/reserved-headers.ts';
import { eventually, hasCode, headerOf, Inbox, produce, readTopic, sleep, startQueueBroker, textOf, values } from './helpers.ts';

test('TTL per topic: an expired record is not delivered (drop)', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('quotes');
  await broker.setTopicQueuePolicy('quotes', { ttlMs: 500 });
  await broker.createSubscription('quotes', 's', { mode: 'shared' });
  await produce(broker, 'quotes', ['stale-0', 'stale-1']);
  await sleep(600);
  await produce(broker, 'quotes', ['fresh']);
  const inbox = new Inbox();
  await broker.subscribe('quotes', 's', 'shared', { onDeliver: inbox.onDeliver });
  await inbox.waitFor(1);
  await sleep(50);
  assert.deepEqual(inbox.values(), ['fresh']);
  const description = await broker.describeSubscription('quotes', 's');
  assert.equal(description.partitions[0]!.ackFloor, 2, 'expired records count as settled');
  assert.equal(broker.hasTopic('quotes.s.dlq'), false);
});

test('TTL per record (ferry-ttl-ms, ferry-expires-at) with dead-lettering', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('quotes');
  await broker.setTopicQueuePolicy('quotes', { ttlAction: 'dead_letter' });
  await broker.createSubscription('quotes', 's', { mode: 'shared' });
  await produce(broker, 'quotes', [
    { value: 'short', headers: { [ReservedHeader.ttlMs]: '50' } },
    { value: 'past', headers: { [ReservedHeader.expiresAt]: String(Date.now() - 1) } },
    { value: 'long', headers: { [ReservedHeader.ttlMs]: '60000' } },
    'forever',
  ]);
  await sleep(100);
  const inbox = new Inbox();
  await broker.subscribe('quotes', 's', 'shared', { onDeliver: inbox.onDeliver });
  await inbox.waitFor(2);
  assert.deepEqual(inbox.values(), ['long', 'forever']);
  await eventually(
    () => broker.hasTopic('quotes.s.dlq') && broker.describeTopic('quotes.s.dlq').partitions[0]!.highWatermark === 2,
    5_000,
    'dead letters',
  );
  const letters = await readTopic(broker, 'quotes.s.dlq');
  assert.deepEqual(
    letters.map((r) => [r.value!.toString(), headerOf(r, ReservedHeader.deadLetterReason), headerOf(r, ReservedHeader.deliveryCount)]),
    [
      ['short', 'expired', '0'],
      ['past', 'expired', '0'],
    ],
  );
});

test('overflow reject_publish: the producer gets BACKLOG_LIMIT_EXCEEDED until consumers catch up', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('q');
  await broker.createSubscription('q', 's', { mode: 'shared', limits: { maxRecords: 10 } });
  await produce(broker, 'q', values(8));
  await assert.rejects(produce(broker, 'q', values(3, 'x')), (error: unknown) => {
    assert.equal((error as { code: string }).code, ErrorCode.BACKLOG_LIMIT_EXCEEDED);
    assert.match((error as Error).message, /subscription s of q has 8 unacknowledged records .* limit is 10 records/);
    assert.equal((error as { isRetriable: boolean }).isRetriable, true);
    return true;
  });
  await produce(broker, 'q', values(2, 'y'));
  const inbox = new Inbox();
  const consumer = await broker.subscribe('q', 's', 'shared', { onDeliver: inbox.onDeliver });
  await inbox.waitFor(10);
  await consumer.ack(
    0,
    inbox.messages.slice(0, 5).map((m) => m.offset),
  );
  await produce(broker, 'q', values(5, 'z'));
  // A byte limit too: about two of these records.
  await broker.setTopicQueuePolicy('q', { limits: { maxBytes: 1 } });
  await broker.createSubscription('q', 'tiny', { mode: 'shared', startAt: 'latest' });
  await produce(broker, 'q', ['first']).catch(() => {});
  await assert.rejects(produce(broker, 'q', ['second']), hasCode(ErrorCode.BACKLOG_LIMIT_EXCEEDED));
});

test('overflow drop_oldest keeps the newest records within the limit', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('ticks');
  await broker.setTopicQueuePolicy('ticks', { limits: { maxRecords: 5, overflow: 'drop_oldest' } });
  await broker.createSubscription('ticks', 's', { mode: 'shared' });
  for (let i = 0; i < 4; i++) await produce(broker, 'ticks', values(5, `b${i}-`));
  await eventually(async () => (await broker.describeSubscription('ticks', 's')).backlog <= 5, 2_000, 'backlog at the limit');
  const inbox = new Inbox();
  await broker.subscribe('ticks', 's', 'shared', { onDeliver: inbox.onDeliver });
  await inbox.waitFor(5);
  await sleep(50);
  assert.deepEqual(inbox.values(), values(5, 'b3-'));
});

test('overflow dead_letter moves the oldest records to the dead-letter topic', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('ticks');
  await broker.createSubscription('ticks', 's', { mode: 'shared', limits: { maxRecords: 3, overflow: 'dead_letter' } });
  await produce(broker, 'ticks', values(5));
  await eventually(
    () => broker.hasTopic('ticks.s.dlq') && broker.describeTopic('ticks.s.dlq').partitions[0]!.highWatermark === 2,
    5_000,
    'two dead letters',
  );
  const letters = await readTopic(broker, 'ticks.s.dlq');
  assert.deepEqual(
    letters.map((r) => [r.value!.toString(), headerOf(r, ReservedHeader.deadLetterReason)]),
    [
      ['m0', 'backlog_overflow'],
      ['m1', 'backlog_overflow'],
    ],
  );
  const inbox = new Inbox();
  await broker.subscribe('ticks', 's', 'shared', { onDeliver: inbox.onDeliver });
  await inbox.waitFor(3);
  assert.deepEqual(inbox.values(), ['m2', 'm3', 'm4']);
});

test('topic limits without subscriptions bound the records kept', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('buffer', { config: { 'segment.bytes': '1024' } });
  await broker.setTopicQueuePolicy('buffer', { limits: { maxRecords: 20 } });
  await produce(broker, 'buffer', values(20));
  await assert.rejects(produce(broker, 'buffer', ['x']), hasCode(ErrorCode.BACKLOG_LIMIT_EXCEEDED));
  await broker.setTopicQueuePolicy('buffer', { limits: { maxRecords: 20, overflow: 'drop_oldest' } });
  for (let i = 0; i < 5; i++) await produce(broker, 'buffer', values(10, `more${i}-`));
  await broker.queueManager.enforceRetention();
  const partition = broker.describeTopic('buffer').partitions[0]!;
  assert.equal(partition.highWatermark - partition.logStartOffset, 20);
});

test('retention until_acked deletes segments once every subscription acknowledged past them', async (t) => {
  const { broker, dir } = await startQueueBroker(t);
  await broker.createTopic('work', { config: { 'segment.bytes': '1024' } });
  await broker.setTopicQueuePolicy('work', { retention: 'until_acked' });
  assert.equal(broker.describeTopic('work').config['retention.ms'], '-1', 'time retention is off');
  await broker.createSubscription('work', 'fast', { mode: 'shared' });
  await broker.createSubscription('work', 'slow', { mode: 'shared' });
  for (let i = 0; i < 20; i++) await produce(broker, 'work', values(10, `r${i}-`));
  const segments = async () => (await readdir(join(dir, 'work-0'))).filter((name) => name.endsWith('.log')).length;
  const before = await segments();
  assert.ok(before >= 3, `several segments (${before})`);
  const fast = new Inbox();
  const fastConsumer = await broker.subscribe('work', 'fast', 'shared', { prefetch: 1000, onDeliver: fast.onDeliver });
  await fast.waitFor(200);
  await fastConsumer.ack(
    0,
    fast.messages.map((m) => m.offset),
  );
  await broker.queueManager.enforceRetention();
  assert.equal(await segments(), before, 'the slow subscription still needs them');
  const slow = new Inbox();
  const slowConsumer = await broker.subscribe('work', 'slow', 'shared', { prefetch: 1000, onDeliver: slow.onDeliver });
  await slow.waitFor(200);
  await slowConsumer.ack(
    0,
    slow.messages.slice(0, 150).map((m) => m.offset),
  );
  await broker.queueManager.enforceRetention();
  const partition = broker.describeTopic('work').partitions[0]!;
  assert.equal(partition.logStartOffset, 150);
  const after = await segments();
  assert.ok(after < before, `segments deleted (${before} -> ${after})`);
  assert.deepEqual(slow.values().slice(150), fast.values().slice(150));
  assert.equal(textOf(slow.messages[199]!), 'r19-9');
});
