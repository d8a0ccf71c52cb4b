import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConsumerMessage, connect } from '../../src/client/index.ts';
import { FrameType } from '../../src/protocols/native/constants.ts';
import { ApiKey } from '../../src/protocols/native/constants.ts';
import { startRealBroker } from './real-broker.ts';
import { TcpProxy } from './tcp-proxy.ts';

/** A server chunk that starts with a produce answer. */
function isProduceAnswer(chunk: Buffer): boolean {
  return chunk.length >= 14 && chunk.readUInt8(4) === FrameType.response && chunk.readUInt16BE(5) === ApiKey.produce;
}

async function readAll(url: string, topic: string, expected: number): Promise<ConsumerMessage[]> {
  const client = await connect(url);
  const consumer = client.consumer({ topics: [topic], fromBeginning: true, maxWaitMs: 100 });
  const messages: ConsumerMessage[] = [];
  for await (const message of consumer) {
    messages.push(message);
    if (messages.length >= expected) break;
  }
  await client.close();
  return messages;
}

async function produceThroughDrops(idempotent: boolean, t: { after: (fn: () => Promise<void>) => void }) {
  const { url, server, broker } = await startRealBroker(t);
  const proxy = await TcpProxy.start(server.port);
  t.after(() => proxy.close());
  const client = await connect(`127.0.0.1:${proxy.port}`, { retryBackoffMs: 10 });
  t.after(() => client.close());
  await client.admin().createTopic({ name: 'idem', partitions: 1 });
  const producer = client.producer({ idempotent, lingerMs: 1, batchBytes: 2048, retryBackoffMs: 10 });
  await producer.sendBatch(Array.from({ length: 50 }, (_, i) => ({ topic: 'idem', value: `warmup-${i}` })));
  // The broker appends the batches, then the connection dies before the answer reaches us.
  proxy.dropNextResponse(isProduceAnswer);
  const result = await producer.sendBatch(Array.from({ length: 500 }, (_, i) => ({ topic: 'idem', value: `v-${i}` })));
  assert.equal(proxy.droppedConnections, 1, 'a connection was dropped mid-request');
  assert.ok(proxy.acceptedConnections >= 2, 'the producer reconnected');
  const logEndOffset = broker.describeTopic('idem').partitions[0]!.logEndOffset;
  return { url, result, logEndOffset };
}

test('an idempotent producer retrying after a dropped connection writes no duplicate', async (t) => {
  const { url, result, logEndOffset } = await produceThroughDrops(true, t);
  assert.equal(logEndOffset, 550, 'every record exactly once in the log');
  assert.deepEqual(
    [...result.offsets],
    Array.from({ length: 500 }, (_, i) => 50 + i),
    'acknowledged offsets are the records’ real offsets (duplicates answered with the original)',
  );
  const messages = await readAll(url, 'idem', 550);
  assert.equal(messages.length, 550);
  assert.equal(new Set(messages.map((m) => m.value!.toString())).size, 550);
  assert.deepEqual(
    messages.slice(50).map((m) => m.value!.toString()),
    Array.from({ length: 500 }, (_, i) => `v-${i}`),
    'in send order',
  );
});

test('negative control: without idempotence the same drop duplicates records', async (t) => {
  const { logEndOffset } = await produceThroughDrops(false, t);
  assert.ok(logEndOffset > 550, `the retried batches were written twice (log end ${logEndOffset})`);
});

test('a batch refused for good does not wedge its partition: the producer bumps its epoch and goes on', async (t) => {
  const { url, broker } = await startRealBroker(t);
  const client = await connect(url);
  t.after(() => client.close());
  await client.admin().createTopic({ name: 'strict', partitions: 1, config: { 'max.message.bytes': '2000' } });
  const producer = client.producer({ lingerMs: 0 });
  assert.equal((await producer.send({ topic: 'strict', value: 'small-1' })).offset, 0);
  await assert.rejects(Promise.resolve(producer.send({ topic: 'strict', value: Buffer.alloc(5000) })), { code: 'MESSAGE_TOO_LARGE' });
  const after = await Promise.all([
    producer.send({ topic: 'strict', value: 'small-2' }),
    producer.send({ topic: 'strict', value: 'small-3' }),
  ]);
  assert.deepEqual(
    after.map((m) => m.offset),
    [1, 2],
  );
  await producer.flush();
  assert.equal(broker.describeTopic('strict').partitions[0]!.logEndOffset, 3);
});
