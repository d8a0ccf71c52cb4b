import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRecordBatch } from '../../../src/common/record-batch.ts';
import { startAdminApi } from './admin-helpers.ts';

test('topics: create, list, describe with partition offsets and config, alter config, add partitions, delete', async (t) => {
  const api = await startAdminApi(t);
  const created = await api.call('POST', '/api/topics', { name: 'orders', partitions: 2, config: { 'retention.ms': '60000' } });
  assert.equal(created.status, 201);
  assert.equal(created.body.name, 'orders');
  assert.equal(created.body.partitions.length, 2);
  assert.equal(created.body.overrides['retention.ms'], '60000');

  await api.broker.produce({
    topic: 'orders',
    partition: 1,
    batches: encodeRecordBatch({ records: [{ value: Buffer.from('x') }] }),
    acks: -1,
  });
  const listed = await api.call('GET', '/api/topics');
  assert.deepEqual(listed.body, { topics: [{ name: 'orders', partitionCount: 2, isInternal: false }] });

  const described = await api.call('GET', '/api/topics/orders');
  assert.equal(described.status, 200);
  const partition1 = described.body.partitions.find((p: { partition: number }) => p.partition === 1);
  assert.equal(partition1.logStartOffset, 0);
  assert.equal(partition1.logEndOffset, 1);
  assert.equal(partition1.highWatermark, 1);
  assert.ok(partition1.sizeBytes > 0);
  assert.equal(described.body.config['cleanup.policy'], 'delete');

  const altered = await api.call('PATCH', '/api/topics/orders/config', { set: { 'retention.bytes': '1048576' }, remove: ['retention.ms'] });
  assert.equal(altered.status, 200);
  assert.deepEqual(altered.body.overrides, { 'retention.bytes': '1048576' });
  assert.equal(api.broker.describeTopic('orders').overrides['retention.bytes'], '1048576');

  const grown = await api.call('POST', '/api/topics/orders/partitions', { count: 4 });
  assert.equal(grown.status, 200);
  assert.equal(api.broker.describeTopic('orders').partitions.length, 4);

  const deleted = await api.call('DELETE', '/api/topics/orders');
  assert.equal(deleted.status, 204);
  assert.equal(api.broker.hasTopic('orders'), false);
});

test('topics: internal topics are listed only when asked for', async (t) => {
  const api = await startAdminApi(t);
  await api.call('POST', '/api/topics', { name: 'a' });
  const plain = await api.call('GET', '/api/topics');
  assert.ok(plain.body.topics.every((topic: { isInternal: boolean }) => !topic.isInternal));
  const all = await api.call('GET', '/api/topics?internal=true');
  assert.ok(all.body.topics.length >= plain.body.topics.length);
});

test('records: produce JSON records by key, partition and round robin; peek them back decoded with offsets, headers and timestamps', async (t) => {
  const api = await startAdminApi(t);
  await api.call('POST', '/api/topics', { name: 'events', partitions: 3 });
  const produced = await api.call('POST', '/api/topics/events/records', {
    records: [
      { partition: 2, key: 'k1', value: 'first', headers: { source: 'curl' }, timestamp: 1_700_000_000_000 },
      { partition: 2, value: null },
      { partition: 2, value: '{"n":3}' },
    ],
  });
  assert.equal(produced.status, 200);
  assert.deepEqual(produced.body.offsets, [
    { partition: 2, offset: 0 },
    { partition: 2, offset: 1 },
    { partition: 2, offset: 2 },
  ]);

  const page = await api.call('GET', '/api/topics/events/partitions/2/records');
  assert.equal(page.status, 200);
  assert.equal(page.body.highWatermark, 3);
  assert.equal(page.body.nextOffset, 3);
  assert.deepEqual(page.body.records[0], {
    offset: 0,
    timestamp: 1_700_000_000_000,
    key: 'k1',
    keyEncoding: 'utf8',
    value: 'first',
    valueEncoding: 'utf8',
    headers: [{ key: 'source', value: 'curl', valueEncoding: 'utf8' }],
  });
  assert.equal(page.body.records[1].value, null);
  assert.equal(page.body.records[2].value, '{"n":3}');

  // Same key, same partition (murmur2, as Kafka clients place it); no key: spread round robin.
  const keyed = await api.call('POST', '/api/topics/events/records', {
    records: [
      { key: 'user-7', value: 'a' },
      { key: 'user-7', value: 'b' },
    ],
  });
  assert.equal(keyed.body.offsets[0].partition, keyed.body.offsets[1].partition);
  const unkeyed = await api.call('POST', '/api/topics/events/records', { records: [{ value: '1' }, { value: '2' }, { value: '3' }] });
  assert.deepEqual(new Set(unkeyed.body.offsets.map((o: { partition: number }) => o.partition)).size, 3);
});

test('records: bytes that are not UTF-8 come back as base64; base64 input is accepted and checked', async (t) => {
  const api = await startAdminApi(t);
  await api.call('POST', '/api/topics', { name: 'bin', partitions: 1 });
  const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
  await api.broker.produce({
    topic: 'bin',
    partition: 0,
    batches: encodeRecordBatch({
      records: [{ key: Buffer.from('text'), value: bytes, headers: [{ key: 'h', value: Buffer.from([0xc3]) }] }],
    }),
    acks: -1,
  });
  const page = await api.call('GET', '/api/topics/bin/partitions/0/records');
  const [record] = page.body.records;
  assert.equal(record.key, 'text');
  assert.equal(record.keyEncoding, 'utf8');
  assert.equal(record.valueEncoding, 'base64');
  assert.deepEqual(Buffer.from(record.value, 'base64'), bytes);
  assert.equal(record.headers[0].valueEncoding, 'base64');

  const forced = await api.call('GET', '/api/topics/bin/partitions/0/records?encoding=base64');
  assert.equal(forced.body.records[0].key, Buffer.from('text').toString('base64'));

  const sent = await api.call('POST', '/api/topics/bin/records', { encoding: 'base64', records: [{ value: bytes.toString('base64') }] });
  assert.equal(sent.status, 200);
  const again = await api.call('GET', `/api/topics/bin/partitions/0/records?offset=${sent.body.offsets[0].offset}`);
  assert.deepEqual(Buffer.from(again.body.records[0].value, 'base64'), bytes);

  const bad = await api.call('POST', '/api/topics/bin/records', { encoding: 'base64', records: [{ value: 'not base64!' }] });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'INVALID_REQUEST');
  assert.match(bad.body.error.message, /records\[0\]\.value is not valid base64/);
});

test('peek pages by offset and limit, and a byte budget stops a page early but always returns one record', async (t) => {
  const api = await startAdminApi(t);
  await api.call('POST', '/api/topics', { name: 'log', partitions: 1 });
  // Three batches of 10 records, 100-byte values.
  for (let batch = 0; batch < 3; batch++) {
    const records = Array.from({ length: 10 }, (_, i) => ({ value: `${String(batch * 10 + i).padStart(3, '0')}${'v'.repeat(97)}` }));
    await api.call('POST', '/api/topics/log/records', { records: records.map((r) => ({ ...r, partition: 0 })) });
  }
  const first = await api.call('GET', '/api/topics/log/partitions/0/records?limit=7');
  assert.deepEqual(
    first.body.records.map((r: { offset: number }) => r.offset),
    [0, 1, 2, 3, 4, 5, 6],
  );
  assert.equal(first.body.nextOffset, 7);

  // Across batch boundaries, starting inside a batch.
  const middle = await api.call('GET', '/api/topics/log/partitions/0/records?offset=7&limit=15');
  assert.deepEqual(
    middle.body.records.map((r: { offset: number }) => r.offset),
    Array.from({ length: 15 }, (_, i) => 7 + i),
  );
  assert.equal(middle.body.records[0].value.slice(0, 3), '007');

  const budget = await api.call('GET', '/api/topics/log/partitions/0/records?offset=0&limit=30&maxBytes=250');
  assert.equal(budget.body.records.length, 2);
  assert.equal(budget.body.nextOffset, 2);
  const tiny = await api.call('GET', '/api/topics/log/partitions/0/records?offset=5&maxBytes=1');
  assert.equal(tiny.body.records.length, 1);
  assert.equal(tiny.body.records[0].offset, 5);

  const end = await api.call('GET', '/api/topics/log/partitions/0/records?offset=30');
  assert.equal(end.status, 200);
  assert.deepEqual(end.body.records, []);
  assert.equal(end.body.nextOffset, 30);
});

test('peek limits are the configured ones: a larger limit or byte budget is a 400 that names it', async (t) => {
  const api = await startAdminApi(t, { maxPeekRecords: 5, maxPeekBytes: 1000, maxProduceRecords: 2 });
  await api.call('POST', '/api/topics', { name: 'small', partitions: 1 });
  const tooMany = await api.call('GET', '/api/topics/small/partitions/0/records?limit=6');
  assert.equal(tooMany.status, 400);
  assert.match(tooMany.body.error.message, /querystring\/limit must be <= 5/);
  const tooBig = await api.call('GET', '/api/topics/small/partitions/0/records?maxBytes=1001');
  assert.equal(tooBig.status, 400);
  const produce = await api.call('POST', '/api/topics/small/records', { records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
  assert.equal(produce.status, 400);
  assert.match(produce.body.error.message, /body\/records must NOT have more than 2 items/);
});
