import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../../protocols/kafka/helpers.ts';

// The queue policy keys through a real Kafka client: CreateTopics configs, DescribeConfigs and
// AlterConfigs (kafkajs sends the non-incremental form, which replaces every override).
test('kafkajs sets, describes and alters ferry.queue.* topic configs, and the policy follows', async (t) => {
  const h = await startKafka(t);
  const admin = new Kafka({ brokers: [h.bootstrap], clientId: 'queue-policy', logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
  await admin.connect();
  h.cleanup(admin);

  await admin.createTopics({
    topics: [{ topic: 'jobs', configEntries: [{ name: 'ferry.queue.ttl.ms', value: '60000' }] }],
  });
  assert.deepEqual(h.broker.topicQueuePolicy('jobs'), { ttlMs: 60000 });

  const described = await admin.describeConfigs({ resources: [{ type: 2, name: 'jobs' }], includeSynonyms: false });
  const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
  assert.equal(entries.get('ferry.queue.ttl.ms')?.configValue, '60000');
  assert.equal(entries.get('ferry.queue.ttl.ms')?.isDefault, false);
  assert.equal(entries.get('ferry.queue.backlog.overflow')?.configValue, 'reject_publish');
  assert.equal(entries.get('ferry.queue.backlog.overflow')?.isDefault, true);

  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: 2,
        name: 'jobs',
        configEntries: [
          { name: 'ferry.queue.backlog.max.records', value: '1000' },
          { name: 'ferry.queue.backlog.overflow', value: 'dead_letter' },
        ],
      },
    ],
  });
  // Non-incremental: the TTL override is gone with the rest, and so is the TTL.
  assert.deepEqual(h.broker.topicQueuePolicy('jobs'), { limits: { overflow: 'dead_letter', maxRecords: 1000 } });

  await assert.rejects(
    admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: 'jobs', configEntries: [{ name: 'ferry.queue.retention', value: 'sometimes' }] }],
    }),
    /INVALID_CONFIG|invalid/i,
  );
  assert.deepEqual(h.broker.topicQueuePolicy('jobs'), { limits: { overflow: 'dead_letter', maxRecords: 1000 } });
});
