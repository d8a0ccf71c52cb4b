import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/common/errors.ts';
import { encodeRecordBatch } from '../../../src/common/record-batch.ts';
import { ReservedHeader } from '../../../src/common/reserved-headers.ts';
import {
  closeAtEnd,
  eventually,
  hasCode,
  headerOf,
  Inbox,
  openQueueBroker,
  produce,
  readTopic,
  sleep,
  startQueueBroker,
  tempDir,
} from './helpers.ts';

test('a scheduled record is not visible before its time and is delivered on time, to fetch and to subscriptions', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('reminders');
  const inbox = new Inbox();
  const arrivals: number[] = [];
  inbox.onMessages = () => arrivals.push(Date.now());
  await broker.subscribe('reminders', 's', 'shared', { onDeliver: inbox.onDeliver });
  const dueMs = Date.now() + 500;
  const result = await produce(broker, 'reminders', [{ value: 'later', headers: { [ReservedHeader.deliverAt]: String(dueMs) } }]);
  assert.equal(result.baseOffset, -1, 'nothing was appended to the topic yet');
  await sleep(250);
  assert.equal((await readTopic(broker, 'reminders')).length, 0, 'not visible to fetch early');
  assert.equal(inbox.messages.length, 0, 'not delivered early');
  await inbox.waitFor(1, 6_000);
  assert.ok(arrivals[0]! >= dueMs, 'not before its time');
  // A loose bound only: lateness under load is the benchmark's to measure.
  assert.ok(arrivals[0]! - dueMs < 2_000, `on time (${arrivals[0]! - dueMs} ms late)`);
  const [record] = await readTopic(broker, 'reminders');
  assert.equal(record!.value!.toString(), 'later');
  assert.equal(headerOf(record!, ReservedHeader.deliverAt), String(dueMs));
  assert.equal(headerOf(record!, ReservedHeader.targetTopic), null, 'routing headers are not delivered');
  await eventually(() => broker.scheduleStats().delivered === 1 && broker.scheduleStats().pending === 0, 5_000, 'stats updated');
});

test('a batch mixing immediate and delayed records: the immediate ones now, the delayed ones later, in due order', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('mixed');
  await produce(broker, 'mixed', ['before']);
  const result = await produce(broker, 'mixed', [
    'now-0',
    { value: 'in-400', headers: { [ReservedHeader.delayMs]: '400' } },
    { value: 'in-200', headers: { [ReservedHeader.delayMs]: '200' } },
    { value: 'past', headers: { [ReservedHeader.deliverAt]: String(Date.now() - 1_000) } },
  ]);
  assert.equal(result.baseOffset, 1);
  assert.deepEqual(
    (await readTopic(broker, 'mixed')).map((r) => r.value!.toString()),
    ['before', 'now-0', 'past'],
  );
  await eventually(async () => (await readTopic(broker, 'mixed')).length === 5, 6_000, 'both delayed records');
  const records = await readTopic(broker, 'mixed');
  assert.deepEqual(
    records.map((r) => r.value!.toString()),
    ['before', 'now-0', 'past', 'in-200', 'in-400'],
  );
  assert.equal(headerOf(records[3]!, ReservedHeader.delayMs), null, 'a delay becomes an absolute delivery time');
  assert.ok(headerOf(records[3]!, ReservedHeader.deliverAt) !== null);
});

test('scheduled records survive a restart: one due while the broker was down, one due after it is back', async (t) => {
  const dir = await tempDir(t);
  const first = await openQueueBroker(dir);
  await first.createTopic('later');
  await produce(first, 'later', [
    { value: 'during-downtime', headers: { [ReservedHeader.delayMs]: '300' } },
    { value: 'after-restart', headers: { [ReservedHeader.delayMs]: '1500' } },
  ]);
  await first.close();
  await sleep(500);
  const second = closeAtEnd(dir, await openQueueBroker(dir));
  await eventually(async () => (await readTopic(second, 'later')).length === 1, 5_000, 'the overdue record at start');
  assert.equal((await readTopic(second, 'later'))[0]!.value!.toString(), 'during-downtime');
  await eventually(() => second.scheduleStats().pending === 1, 5_000, 'one pending');
  await eventually(async () => (await readTopic(second, 'later')).length === 2, 6_000, 'the other at its time');
  assert.deepEqual(
    (await readTopic(second, 'later')).map((r) => r.value!.toString()),
    ['during-downtime', 'after-restart'],
  );
  await sleep(300);
  assert.equal((await readTopic(second, 'later')).length, 2, 'each delivered once');
});

test('a start that re-indexes the whole schedule (index checkpoint lost) still delivers each record once', async (t) => {
  const dir = await tempDir(t);
  const first = await openQueueBroker(dir);
  await first.createTopic('later');
  await produce(
    first,
    'later',
    Array.from({ length: 20 }, (_, i) => ({ value: `r${i}`, headers: { [ReservedHeader.delayMs]: String(i < 10 ? 100 : 1_200) } })),
  );
  await eventually(async () => (await readTopic(first, 'later')).length === 10, 6_000, 'the first ten');
  await first.close();
  // As after a crash before the first checkpoint: the whole of __scheduled is indexed again.
  await rm(join(dir, '__cluster_metadata', 'queues', 'schedule', 'indexed-offset'));
  const second = closeAtEnd(dir, await openQueueBroker(dir));
  await eventually(async () => (await readTopic(second, 'later')).length >= 20, 6_000, 'the other ten');
  await sleep(300);
  const delivered = (await readTopic(second, 'later')).map((r) => r.value!.toString());
  assert.equal(delivered.length, 20);
  assert.equal(new Set(delivered).size, 20);
});

test('scheduled records are refused in idempotent batches and beyond the maximum delay', async (t) => {
  const { broker } = await startQueueBroker(t, { queues: { scheduleMaxDelayMs: 60_000 } });
  await broker.createTopic('t');
  const { producerId, producerEpoch } = await broker.initProducerId({});
  const idempotent = encodeRecordBatch({
    records: [{ value: Buffer.from('x'), headers: [{ key: ReservedHeader.delayMs, value: Buffer.from('1000') }] }],
    producerId,
    producerEpoch,
    baseSequence: 0,
  });
  await assert.rejects(broker.produce({ topic: 't', partition: 0, batches: idempotent, acks: -1 }), hasCode(ErrorCode.INVALID_RECORD));
  await assert.rejects(
    produce(broker, 't', [{ value: 'far', headers: { [ReservedHeader.delayMs]: '120000' } }]),
    hasCode(ErrorCode.INVALID_RECORD),
  );
});

test('many scheduled records spread over buckets are all delivered once, in due order', async (t) => {
  const { broker } = await startQueueBroker(t, { queues: { scheduleBucketMs: 200, scheduleTickMs: 5 } });
  await broker.createTopic('many');
  // Everything is stored well before the first due time: a record stored late is delivered late.
  const start = Date.now() + 1_000;
  const records = Array.from({ length: 500 }, (_, i) => ({
    value: `r${i}`,
    headers: { [ReservedHeader.deliverAt]: String(start + ((i * 7919) % 1000)) },
  }));
  for (let i = 0; i < 500; i += 250) await produce(broker, 'many', records.slice(i, i + 250));
  await eventually(
    async () => broker.scheduleStats().delivered >= 500,
    10_000,
    `all delivered (${JSON.stringify(broker.scheduleStats())})`,
  );
  await sleep(100);
  const delivered = await readTopic(broker, 'many');
  assert.equal(delivered.length, 500);
  assert.equal(new Set(delivered.map((r) => r.value!.toString())).size, 500);
  const dues = delivered.map((r) => Number(headerOf(r, ReservedHeader.deliverAt)));
  // Due order, up to records that became due within the same tick (lateness is measured by bench/queues.ts).
  for (let i = 1; i < dues.length; i++) assert.ok(dues[i]! >= dues[i - 1]! - 5, `record ${i} out of due order`);
  assert.equal(broker.scheduleStats().delivered, 500);
});
