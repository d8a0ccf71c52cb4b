import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/common/errors.ts';
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/common/record-batch.ts';
import { fetchApi } from '../../../src/protocols/native/apis/fetch.ts';
import { helloApi } from '../../../src/protocols/native/apis/hello.ts';
import { initProducerIdApi, produceApi } from '../../../src/protocols/native/apis/produce.ts';
import { createTopicsApi, listTopicsApi } from '../../../src/protocols/native/apis/topics.ts';
import { decodeResponse, encodeRequest } from '../../../src/protocols/native/codec.ts';
import { FrameType } from '../../../src/protocols/native/constants.ts';
import { startRealBroker } from '../../client/real-broker.ts';
import { RawClient } from './raw-client.ts';

function batchOf(values: string[], stamp: { producerId?: number; producerEpoch?: number; baseSequence?: number } = {}): Buffer {
  return encodeRecordBatch({ records: values.map((v) => ({ value: Buffer.from(v) })), ...stamp });
}

const fetchAll = (topic: string, offset: number, maxWaitMs = 0) => ({
  maxWaitMs,
  minBytes: 1,
  maxBytes: 1 << 20,
  isolationLevel: 'read_uncommitted' as const,
  partitions: [{ topic, partition: 0, offset, maxBytes: 1 << 20 }],
});

test('real broker: produce and fetch whole batches through the native server', async (t) => {
  const { server } = await startRealBroker(t);
  const client = await RawClient.open(server.port);
  t.after(() => client.close());
  await client.call(createTopicsApi, { topics: [{ name: 'logs', partitions: 1, replicationFactor: -1, config: {} }], validateOnly: false });
  const produced = await client.call(produceApi, {
    acks: -1,
    timeoutMs: 5000,
    partitions: [{ topic: 'logs', partition: 0, records: Buffer.concat([batchOf(['a', 'b']), batchOf(['c'])]) }],
  });
  assert.equal(produced.partitions[0]!.error, null);
  assert.equal(produced.partitions[0]!.baseOffset, 0);
  const corrupt = batchOf(['x']);
  corrupt[corrupt.length - 1]! ^= 0xff;
  const refused = await client.call(produceApi, {
    acks: -1,
    timeoutMs: 5000,
    partitions: [{ topic: 'logs', partition: 0, records: corrupt }],
  });
  assert.equal(refused.partitions[0]!.error?.code, ErrorCode.CORRUPT_MESSAGE, 'a bad CRC is refused per partition');
  const fetched = await client.call(fetchApi, fetchAll('logs', 1));
  const records = decodeRecordBatches(fetched.partitions[0]!.records).flatMap((b) => b.records);
  assert.deepEqual(
    records.map((r) => [r.offset, r.value!.toString()]),
    [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ],
    'whole stored batches come back; the first starts below the asked offset',
  );
  assert.equal(fetched.partitions[0]!.highWatermark, 3);
});

test('real broker: a long poll does not hold up requests pipelined behind it', async (t) => {
  const { server } = await startRealBroker(t);
  const client = await RawClient.open(server.port);
  t.after(() => client.close());
  await client.call(createTopicsApi, { topics: [{ name: 'poll', partitions: 1, replicationFactor: -1, config: {} }], validateOnly: false });
  const pollId = client.send(fetchApi, fetchAll('poll', 0, 5000));
  const produceId = client.send(produceApi, {
    acks: -1,
    timeoutMs: 5000,
    partitions: [{ topic: 'poll', partition: 0, records: batchOf(['wake']) }],
  });
  const first = await client.waitFor((f) => f.type === FrameType.response);
  assert.equal(first?.correlationId, produceId, 'the produce behind the parked fetch is answered first');
  const poll = await client.response(pollId);
  const records = decodeResponse(fetchApi, 1, poll.body).partitions[0]!.records;
  assert.equal(decodeRecordBatches(records)[0]!.records[0]!.value!.toString(), 'wake', 'the produce woke the long poll');
});

test('real broker: idempotent batches resent on a new connection are answered as duplicates', async (t) => {
  const { server } = await startRealBroker(t);
  const client = await RawClient.open(server.port);
  t.after(() => client.close());
  await client.call(createTopicsApi, { topics: [{ name: 'dup', partitions: 1, replicationFactor: -1, config: {} }], validateOnly: false });
  const { producerId, producerEpoch } = await client.call(initProducerIdApi, { transactionalId: null, producerId: -1, producerEpoch: -1 });
  const batch = batchOf(['once'], { producerId, producerEpoch, baseSequence: 0 });
  const first = await client.call(produceApi, {
    acks: -1,
    timeoutMs: 5000,
    partitions: [{ topic: 'dup', partition: 0, records: Buffer.from(batch) }],
  });
  const again = await RawClient.open(server.port);
  t.after(() => again.close());
  const second = await again.call(produceApi, {
    acks: -1,
    timeoutMs: 5000,
    partitions: [{ topic: 'dup', partition: 0, records: Buffer.from(batch) }],
  });
  assert.equal(second.partitions[0]!.isDuplicate, true);
  assert.equal(second.partitions[0]!.baseOffset, first.partitions[0]!.baseOffset);
});

test('real broker: a client that never reads its fetch answers keeps broker memory bounded', async (t) => {
  const { server } = await startRealBroker(t, { limits: { maxInFlightBytesPerConnection: 1024 * 1024 } });
  const writer = await RawClient.open(server.port);
  t.after(() => writer.close());
  await writer.call(createTopicsApi, { topics: [{ name: 'big', partitions: 1, replicationFactor: -1, config: {} }], validateOnly: false });
  const value = 'x'.repeat(900 * 1024);
  await writer.call(produceApi, { acks: -1, timeoutMs: 5000, partitions: [{ topic: 'big', partition: 0, records: batchOf([value]) }] });

  const hog = connect({ port: server.port, host: '127.0.0.1' });
  hog.on('error', () => {});
  t.after(() => hog.destroy());
  await new Promise<void>((resolve) => hog.once('connect', () => resolve()));
  hog.pause();
  hog.write(
    Buffer.concat(encodeRequest(helloApi, 1, 1, { minProtocolVersion: 1, maxProtocolVersion: 1, clientId: 'hog', clientSoftware: 'x' })),
  );
  const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const oneFetch = Buffer.concat(encodeRequest(fetchApi, 1, 2, fetchAll('big', 0)));
  // 2,000 pipelined fetches of a 900 KiB batch: 1.8 GB of answers if the broker served them all.
  for (let i = 0; i < 2000; i++) hog.write(oneFetch);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const grownBytes = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heapBefore;
  t.diagnostic(`broker memory grew ${Math.round(grownBytes / 1048576)} MiB under 2,000 unread fetches`);
  assert.ok(grownBytes < 150 * 1024 * 1024, `broker memory grew ${Math.round(grownBytes / 1048576)} MiB`);
  const started = Date.now();
  assert.equal((await writer.call(listTopicsApi, { includeInternal: false })).topics.length, 1);
  assert.ok(Date.now() - started < 1000, 'other clients are answered promptly');
});
