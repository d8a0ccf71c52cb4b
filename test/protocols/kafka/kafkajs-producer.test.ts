import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import kafkajs, { Kafka, logLevel, Partitioners } from 'kafkajs';
import { decodeRecordBatches } from '../../../src/common/record-batch.ts';
import { partitionForKey } from '../../../src/common/murmur2.ts';
import type { KafkaHarness } from './helpers.ts';
import { startKafka } from './helpers.ts';
import { registerKafkajsCodecs } from './kafkajs-codecs.ts';

registerKafkajsCodecs();
const { CompressionTypes } = kafkajs;

function client(bootstrap: string): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId: 'producer-test', logLevel: logLevel.NOTHING });
}

interface Stored {
  offset: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  compression: string;
}

/** Every record of a partition as the broker API returns it (not through Kafka). */
async function readThroughBroker(h: KafkaHarness, topic: string, partition: number): Promise<Stored[]> {
  const [result] = await h.broker.fetch({
    partitions: [{ topic, partition, offset: 0, maxBytes: 64 * 1024 * 1024 }],
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 64 * 1024 * 1024,
  });
  assert.ok(result && !result.error);
  return decodeRecordBatches(result.records).flatMap((batch) =>
    batch.records.map((r) => ({
      offset: r.offset,
      key: r.key?.toString() ?? null,
      value: r.value?.toString() ?? '',
      headers: Object.fromEntries(r.headers.map((hd) => [hd.key, hd.value?.toString() ?? ''])),
      compression: batch.compression,
    })),
  );
}

describe('kafkajs producer against Ferry', () => {
  test('keyed records land on the murmur2 partition and are stored at the offsets the producer was given', async (t) => {
    const h = await startKafka(t);
    const producer = client(h.bootstrap).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    h.cleanup(producer);
    await h.broker.createTopic('keyed', { partitions: 4 });

    const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const sent = await producer.send({
      topic: 'keyed',
      messages: keys.map((key, i) => ({ key, value: `value-${i}`, headers: { 'trace-id': `t${i}`, source: 'kafkajs' } })),
    });
    for (let partition = 0; partition < 4; partition++) {
      const stored = await readThroughBroker(h, 'keyed', partition);
      for (const record of stored) {
        assert.equal(partitionForKey(Buffer.from(record.key!), 4), partition, `${record.key} is on its murmur2 partition`);
        const i = Number(record.value.slice('value-'.length));
        assert.deepEqual(record.headers, { 'trace-id': `t${i}`, source: 'kafkajs' });
      }
      const baseOffset = sent.find((r) => r.partition === partition)?.baseOffset;
      if (stored.length > 0) assert.equal(String(stored[0]!.offset), baseOffset);
    }
    const total = (await Promise.all([0, 1, 2, 3].map((p) => readThroughBroker(h, 'keyed', p)))).flat().length;
    assert.equal(total, 40);
  });

  for (const [name, type] of [
    ['gzip', CompressionTypes.GZIP],
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
    ['zstd', CompressionTypes.ZSTD],
  ] as const) {
    test(`${name}-compressed batches are stored as sent and read back by a kafkajs consumer`, async (t) => {
      const h = await startKafka(t);
      const kafka = client(h.bootstrap);
      const producer = kafka.producer();
      await producer.connect();
      h.cleanup(producer);
      await h.broker.createTopic(`z-${name}`, { partitions: 1 });
      const values = Array.from({ length: 200 }, (_, i) => `${name} record ${i} ${'padding '.repeat(8)}`);
      await producer.send({ topic: `z-${name}`, compression: type, messages: values.map((value) => ({ value })) });

      const stored = await readThroughBroker(h, `z-${name}`, 0);
      assert.deepEqual(
        stored.map((r) => r.value),
        values,
      );
      assert.ok(stored.every((r) => r.compression === name));
      assert.deepEqual(
        stored.map((r) => r.offset),
        values.map((_, i) => i),
      );

      const consumer = kafka.consumer({ groupId: `g-${name}`, maxWaitTimeInMs: 200 });
      await consumer.connect();
      h.cleanup(consumer);
      await consumer.subscribe({ topic: `z-${name}`, fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(message.value?.toString() ?? '');
            if (seen.length === values.length) resolve();
          },
        });
      });
      assert.deepEqual(seen, values);
    });
  }

  test('an idempotent producer gets a producer id, and its batches carry it with dense sequences', async (t) => {
    const h = await startKafka(t);
    const producer = client(h.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    h.cleanup(producer);
    await h.broker.createTopic('exactly', { partitions: 1 });
    for (let i = 0; i < 5; i++) {
      await producer.send({ topic: 'exactly', acks: -1, messages: [{ value: `a${i}` }, { value: `b${i}` }] });
    }
    const [result] = await h.broker.fetch({
      partitions: [{ topic: 'exactly', partition: 0, offset: 0, maxBytes: 1 << 20 }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    });
    const batches = decodeRecordBatches(result!.records);
    assert.equal(batches.length, 5);
    const producerId = batches[0]!.header.producerId;
    assert.ok(producerId >= 0);
    assert.deepEqual(
      batches.map((b) => [b.header.producerId, b.header.baseSequence]),
      [0, 2, 4, 6, 8].map((sequence) => [producerId, sequence]),
    );
  });
});
