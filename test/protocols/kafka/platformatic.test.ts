import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { decodeRecordBatches } from '../../../src/common/record-batch.ts';
import { startKafka } from './helpers.ts';

/** @platformatic/kafka negotiates the newest versions Ferry serves, all flexible (KIP-482):
 *  Metadata v12, Produce v11, Fetch v17 by topic id, JoinGroup v9, CreateTopics v7, ... */
describe('@platformatic/kafka (flexible versions) against Ferry', () => {
  test('creates a topic, produces with headers, consumes in a group, deletes the topic', async (t) => {
    const h = await startKafka(t);
    const options = { clientId: 'flex-test', bootstrapBrokers: [h.bootstrap] };
    const admin = new Admin(options);
    const producer = new Producer({ ...options, serializers: stringSerializers });
    const consumer = new Consumer({ ...options, groupId: 'flex-group', deserializers: stringDeserializers, maxWaitTime: 100 });
    h.cleanup({ disconnect: () => consumer.close(true) });
    h.cleanup({ disconnect: () => producer.close() });
    h.cleanup({ disconnect: () => admin.close() });

    await admin.createTopics({ topics: ['flex'], partitions: 3, replicas: 1 });
    assert.equal(h.broker.describeTopic('flex').partitions.length, 3);

    const messages = Array.from({ length: 30 }, (_, i) => ({
      topic: 'flex',
      key: `key-${i}`,
      value: `value-${i}`,
      headers: { n: String(i) },
    }));
    const sent = await producer.send({ messages });
    assert.ok(sent.offsets && sent.offsets.length > 0);

    // Through the broker API: the same records, at the offsets the producer was told.
    let stored = 0;
    for (let partition = 0; partition < 3; partition++) {
      const [result] = await h.broker.fetch({
        partitions: [{ topic: 'flex', partition, offset: 0, maxBytes: 1 << 20 }],
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
      });
      const records = decodeRecordBatches(result!.records).flatMap((b) => b.records);
      stored += records.length;
      const first: { offset: bigint } | undefined = sent.offsets?.find((o) => o.partition === partition);
      if (records.length > 0) assert.equal(BigInt(records[0]!.offset), first?.offset);
      for (const r of records) assert.equal(r.headers[0]?.value?.toString(), r.value?.toString().slice('value-'.length));
    }
    assert.equal(stored, 30);

    const stream = await consumer.consume({
      autocommit: true,
      topics: ['flex'],
      mode: 'earliest',
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    const seen = new Map<string, string>();
    for await (const message of stream) {
      seen.set(message.key, message.value);
      assert.equal(message.headers.get('n'), message.value.slice('value-'.length));
      if (seen.size === 30) break;
    }
    await stream.close();
    assert.deepEqual([...seen.keys()].sort(), messages.map((m) => m.key).sort());

    await admin.deleteTopics({ topics: ['flex'] });
    assert.equal(h.broker.hasTopic('flex'), false);
  });
});
