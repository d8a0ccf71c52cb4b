import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from './helpers.ts';

function client(bootstrap: string): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId: 'admin-test', logLevel: logLevel.NOTHING, retry: { retries: 2 } });
}

describe('kafkajs admin against Ferry', () => {
  test('creates, lists, grows and deletes topics', async (t) => {
    const h = await startKafka(t, { config: { defaultPartitions: 2 } });
    const admin = client(h.bootstrap).admin();
    await admin.connect();
    h.cleanup(admin);

    assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }, { topic: 'events' }] }), true);
    assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] }), false, 'already exists');
    const topics = await admin.listTopics();
    assert.ok(topics.includes('orders') && topics.includes('events'));
    assert.equal(h.broker.describeTopic('orders').partitions.length, 3);
    assert.equal(h.broker.describeTopic('events').partitions.length, 2, 'no count (-1 on the wire): the broker default');

    await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] });
    const metadata = await admin.fetchTopicMetadata({ topics: ['orders'] });
    assert.equal(metadata.topics[0]?.partitions.length, 5);
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 2 }] }), /partitions/i);

    await admin.deleteTopics({ topics: ['events'] });
    assert.equal(h.broker.hasTopic('events'), false);
    assert.ok(!(await admin.listTopics()).includes('events'));
  });

  test('metadata for an unknown topic creates it with the broker defaults, unless the broker forbids it', async (t) => {
    const h = await startKafka(t, { config: { defaultPartitions: 3 } });
    const producer = h.cleanup(client(h.bootstrap).producer());
    await producer.connect();
    await producer.send({ topic: 'made-on-demand', messages: [{ value: 'first' }] });
    assert.equal(h.broker.describeTopic('made-on-demand').partitions.length, 3);

    const strict = await startKafka(t, { config: { autoCreateTopics: false } });
    const admin = strict.cleanup(client(strict.bootstrap).admin());
    await admin.connect();
    await assert.rejects(admin.fetchTopicMetadata({ topics: ['not-made'] }), /does not host this topic-partition/);
    assert.equal(strict.broker.hasTopic('not-made'), false);
  });

  test('creating an invalid topic or one with replication above the cluster size fails with a Kafka error', async (t) => {
    const h = await startKafka(t);
    const admin = client(h.bootstrap).admin();
    await admin.connect();
    h.cleanup(admin);
    await assert.rejects(admin.createTopics({ topics: [{ topic: 'bad/name' }] }), (error: Error & { errors?: { type: string }[] }) => {
      assert.equal(error.errors?.[0]?.type, 'INVALID_TOPIC_EXCEPTION');
      return true;
    });
    await assert.rejects(admin.createTopics({ topics: [{ topic: 'replicated', replicationFactor: 3 }] }));
    assert.equal(h.broker.hasTopic('replicated'), false);
  });

  test('describes and alters topic configs, and describes the broker', async (t) => {
    const h = await startKafka(t);
    const admin = client(h.bootstrap).admin();
    await admin.connect();
    h.cleanup(admin);
    await admin.createTopics({ topics: [{ topic: 'configured', configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });

    const described = await admin.describeConfigs({ resources: [{ type: 2, name: 'configured' }], includeSynonyms: false });
    const retention = described.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms');
    assert.equal(retention?.configValue, '3600000');
    assert.equal(retention?.isDefault, false);

    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: 'configured', configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
    });
    assert.equal(h.broker.describeTopic('configured').overrides['retention.ms'], '7200000');

    const brokerConfig = await admin.describeConfigs({ resources: [{ type: 4, name: '0' }], includeSynonyms: false });
    const autoCreate = brokerConfig.resources[0]?.configEntries.find((e) => e.configName === 'auto.create.topics.enable');
    assert.equal(autoCreate?.configValue, 'true');
  });

  test('describes the cluster as this broker, reached at the advertised address', async (t) => {
    const h = await startKafka(t);
    const admin = client(h.bootstrap).admin();
    await admin.connect();
    h.cleanup(admin);
    const cluster = await admin.describeCluster();
    assert.deepEqual(cluster.brokers, [{ nodeId: 0, host: '127.0.0.1', port: h.server.port }]);
    assert.equal(cluster.controller, 0);
    assert.equal(typeof cluster.clusterId, 'string');
  });

  test('fetches offsets, offsets by timestamp, and deletes records', async (t) => {
    const h = await startKafka(t);
    const kafka = client(h.bootstrap);
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    h.cleanup(admin);
    h.cleanup(producer);
    await admin.createTopics({ topics: [{ topic: 'timed', numPartitions: 1 }] });
    const base = Date.now() - 60_000;
    await producer.send({
      topic: 'timed',
      messages: [0, 1, 2, 3, 4].map((i) => ({ value: `m${i}`, timestamp: String(base + i * 1000) })),
    });
    assert.deepEqual(await admin.fetchTopicOffsets('timed'), [{ partition: 0, offset: '5', high: '5', low: '0' }]);
    const byTime = await admin.fetchTopicOffsetsByTimestamp('timed', base + 2500);
    assert.deepEqual(byTime, [{ partition: 0, offset: '3' }]);

    await admin.deleteTopicRecords({ topic: 'timed', partitions: [{ partition: 0, offset: '2' }] });
    assert.deepEqual(await admin.fetchTopicOffsets('timed'), [{ partition: 0, offset: '5', high: '5', low: '2' }]);
  });
});
