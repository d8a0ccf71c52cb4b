import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../src/common/errors.ts';
import { RecordingLogger } from '../../src/common/logger.ts';
import { batchOf, openBroker, startBroker, tempDir } from './helpers.ts';

function rejectsWith(code: string, message?: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    if (message) assert.match((error as Error).message, message);
    return true;
  };
}

test('creates a topic with partitions and config, and describes it', async (t) => {
  const { broker } = await startBroker(t);
  const created = await broker.createTopic('orders', { partitions: 3, config: { 'retention.ms': '60000', 'flush.policy': 'none' } });
  assert.equal(created.name, 'orders');
  assert.match(created.topicId, /^[0-9a-f]{32}$/);
  assert.equal(created.isInternal, false);
  assert.deepEqual(
    created.partitions.map((p) => [p.partition, p.leader, p.logEndOffset, p.highWatermark, p.isOffline]),
    [
      [0, 0, 0, 0, false],
      [1, 0, 0, 0, false],
      [2, 0, 0, 0, false],
    ],
  );
  assert.deepEqual(created.overrides, { 'retention.ms': '60000', 'flush.policy': 'none' });
  assert.equal(created.config['retention.ms'], '60000');
  assert.equal(created.config['cleanup.policy'], 'delete');
  assert.equal(created.config['max.message.bytes'], '1048588');
  assert.equal(created.warnings, undefined);
  assert.deepEqual(broker.describeTopic('orders'), created);
  assert.equal(broker.hasTopic('orders'), true);
});

test('uses the default partition count and refuses bad counts and replication factors', async (t) => {
  const { broker } = await startBroker(t, { config: { defaultPartitions: 2 } });
  assert.equal((await broker.createTopic('a')).partitions.length, 2);
  await assert.rejects(broker.createTopic('b', { partitions: 0 }), rejectsWith(ErrorCode.INVALID_PARTITIONS));
  await assert.rejects(broker.createTopic('b', { partitions: 1.5 }), rejectsWith(ErrorCode.INVALID_PARTITIONS));
  await assert.rejects(broker.createTopic('b', { replicationFactor: 3 }), rejectsWith(ErrorCode.INVALID_REQUEST, /replication factor 3/));
  assert.equal((await broker.createTopic('c', { replicationFactor: 1 })).partitions.length, 2);
  await assert.rejects(broker.createTopic('a'), rejectsWith(ErrorCode.TOPIC_ALREADY_EXISTS));
});

test("enforces Kafka's topic name rules, including '.' / '_' collisions", async (t) => {
  const { broker } = await startBroker(t);
  for (const bad of ['', '.', '..', 'a b', 'a/b', 'é', 'x'.repeat(250)]) {
    await assert.rejects(broker.createTopic(bad), rejectsWith(ErrorCode.INVALID_TOPIC), `name ${JSON.stringify(bad)}`);
  }
  await broker.createTopic('x'.repeat(249));
  await broker.createTopic('metrics.cpu');
  await assert.rejects(
    broker.createTopic('metrics_cpu'),
    rejectsWith(ErrorCode.INVALID_TOPIC, /collides with existing topic metrics\.cpu/),
  );
  await broker.createTopic('a-b_c.D-9');
  await broker.deleteTopic('metrics.cpu');
  await broker.createTopic('metrics_cpu');
});

test('concurrent admin calls are applied one at a time', async (t) => {
  const { broker } = await startBroker(t);
  const outcomes = await Promise.allSettled([
    broker.createTopic('race', { partitions: 2 }),
    broker.createTopic('race', { partitions: 3 }),
    broker.createTopic('race_x'),
    broker.createTopic('race.x'),
  ]);
  assert.deepEqual(
    outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as { code: string }).code)),
    ['ok', ErrorCode.TOPIC_ALREADY_EXISTS, 'ok', ErrorCode.INVALID_TOPIC],
  );
  assert.equal(broker.describeTopic('race').partitions.length, 2);
  await Promise.all([broker.createPartitions('race', 4), broker.alterTopicConfig('race', { 'retention.ms': '1' })]);
  const described = broker.describeTopic('race');
  assert.equal(described.partitions.length, 4);
  assert.deepEqual(described.overrides, { 'retention.ms': '1' });
});

test('validates topic config, naming the key and the reason', async (t) => {
  const { broker } = await startBroker(t);
  const cases: [Record<string, string>, RegExp][] = [
    [{ 'retention.ms': 'soon' }, /retention\.ms: "soon" is not an integer/],
    [{ 'retention.ms': '-2' }, /retention\.ms: -2 is below the minimum of -1/],
    [{ 'segment.bytes': '10' }, /segment\.bytes/],
    [{ 'cleanup.policy': 'archive' }, /cleanup\.policy/],
    [{ 'message.timestamp.type': 'Now' }, /message\.timestamp\.type/],
    [{ 'flush.policy': 'interval:0' }, /flush\.policy/],
    [{ 'flush.policy': 'sometimes' }, /flush\.policy/],
    [{ 'compression.type': 'gzip' }, /compression\.type/],
    [{ 'no.such.key': '1' }, /unknown topic config no\.such\.key/],
  ];
  for (const [config, message] of cases) {
    await assert.rejects(broker.createTopic('t', { config }), rejectsWith(ErrorCode.INVALID_CONFIG, message), JSON.stringify(config));
  }
  assert.equal(broker.hasTopic('t'), false);
  const ok = await broker.createTopic('t', {
    config: { 'flush.policy': 'interval:250', 'message.timestamp.type': 'LogAppendTime', 'cleanup.policy': 'compact,delete' },
  });
  assert.equal(ok.config['flush.policy'], 'interval:250');
});

test('validateOnly checks everything and creates nothing', async (t) => {
  const { broker } = await startBroker(t);
  const described = await broker.createTopic('dry', { partitions: 4, validateOnly: true });
  assert.equal(described.partitions.length, 4);
  assert.equal(broker.hasTopic('dry'), false);
  await assert.rejects(
    broker.createTopic('dry', { validateOnly: true, config: { 'retention.ms': 'x' } }),
    rejectsWith(ErrorCode.INVALID_CONFIG),
  );
});

test('lists topics, hiding __consumer_offsets unless asked for', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('b');
  await broker.createTopic('a', { partitions: 2 });
  assert.deepEqual(broker.listTopics(), [
    { name: 'a', partitionCount: 2, isInternal: false },
    { name: 'b', partitionCount: 1, isInternal: false },
  ]);
  const all = broker.listTopics({ includeInternal: true });
  assert.deepEqual(
    all.find((topic) => topic.name === '__consumer_offsets'),
    { name: '__consumer_offsets', partitionCount: 1, isInternal: true },
  );
  const offsets = broker.describeTopic('__consumer_offsets');
  assert.equal(offsets.config['cleanup.policy'], 'compact');
  assert.match(offsets.warnings?.[0] ?? '', /compaction is not implemented/);
  await assert.rejects(broker.deleteTopic('__consumer_offsets'), rejectsWith(ErrorCode.INVALID_TOPIC));
  await assert.rejects(broker.createTopic('__consumer_offsets'), rejectsWith(ErrorCode.TOPIC_ALREADY_EXISTS));
});

test('deletes a topic with its logs; a new topic of the same name starts empty', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('gone', { partitions: 2 });
  await broker.produce({ topic: 'gone', partition: 1, batches: batchOf(['a', 'b']), acks: 1 });
  await broker.deleteTopic('gone');
  assert.equal(broker.hasTopic('gone'), false);
  assert.throws(() => broker.describeTopic('gone'), rejectsWith(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  await assert.rejects(broker.deleteTopic('gone'), rejectsWith(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  await assert.rejects(
    broker.produce({ topic: 'gone', partition: 0, batches: batchOf(['c']), acks: 1 }),
    rejectsWith(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
  );
  const again = await broker.createTopic('gone', { partitions: 2 });
  assert.equal(again.partitions[1]!.logEndOffset, 0);
});

test('refuses deletion when deleteTopicEnable is off', async (t) => {
  const { broker } = await startBroker(t, { config: { deleteTopicEnable: false } });
  await broker.createTopic('kept');
  await assert.rejects(broker.deleteTopic('kept'), rejectsWith(ErrorCode.TOPIC_DELETION_DISABLED));
  assert.equal(broker.hasTopic('kept'), true);
});

test('grows partitions, never shrinks them', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('grow', { partitions: 2 });
  const grown = await broker.createPartitions('grow', 5);
  assert.deepEqual(
    grown.partitions.map((p) => p.partition),
    [0, 1, 2, 3, 4],
  );
  const produced = await broker.produce({ topic: 'grow', partition: 4, batches: batchOf(['x']), acks: 1 });
  assert.equal(produced.baseOffset, 0);
  await assert.rejects(broker.createPartitions('grow', 5), rejectsWith(ErrorCode.INVALID_PARTITIONS));
  await assert.rejects(broker.createPartitions('grow', 3), rejectsWith(ErrorCode.INVALID_PARTITIONS));
  await assert.rejects(broker.createPartitions('nope', 3), rejectsWith(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  await assert.rejects(broker.createPartitions('__consumer_offsets', 3), rejectsWith(ErrorCode.INVALID_PARTITIONS));
});

test('bounds the partitions a broker holds', async (t) => {
  const { broker } = await startBroker(t, { config: { maxPartitions: 4 } });
  // __consumer_offsets holds one.
  await broker.createTopic('three', { partitions: 3 });
  await assert.rejects(broker.createTopic('more'), rejectsWith(ErrorCode.INVALID_PARTITIONS, /limit of 4/));
  await assert.rejects(broker.createPartitions('three', 4), rejectsWith(ErrorCode.INVALID_PARTITIONS));
  await broker.deleteTopic('three');
  await broker.createTopic('more', { partitions: 3 });
});

test('alters topic config: sets, removes, validates, and applies it to the logs', async (t) => {
  const { broker } = await startBroker(t);
  await broker.createTopic('conf', { partitions: 2, config: { 'retention.ms': '1000' } });
  const altered = await broker.alterTopicConfig('conf', { 'retention.bytes': '4096', 'max.message.bytes': '200' }, ['retention.ms']);
  assert.deepEqual(altered.overrides, { 'retention.bytes': '4096', 'max.message.bytes': '200' });
  assert.equal(altered.config['retention.ms'], String(7 * 24 * 3600 * 1000));
  // max.message.bytes is live: a batch above 200 bytes is refused now.
  await assert.rejects(
    broker.produce({ topic: 'conf', partition: 0, batches: batchOf(['x'.repeat(300)]), acks: 1 }),
    rejectsWith(ErrorCode.MESSAGE_TOO_LARGE),
  );
  await assert.rejects(
    broker.alterTopicConfig('conf', { 'retention.bytes': 'lots' }),
    rejectsWith(ErrorCode.INVALID_CONFIG, /retention\.bytes/),
  );
  await assert.rejects(broker.alterTopicConfig('conf', {}, ['bogus']), rejectsWith(ErrorCode.INVALID_CONFIG, /bogus/));
  await assert.rejects(
    broker.alterTopicConfig('conf', { 'retention.ms': '5' }, ['retention.ms']),
    rejectsWith(ErrorCode.INVALID_CONFIG, /both set and removed/),
  );
  await assert.rejects(broker.alterTopicConfig('missing', {}), rejectsWith(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  const compact = await broker.alterTopicConfig('conf', { 'cleanup.policy': 'compact' });
  assert.match(compact.warnings?.[0] ?? '', /compaction is not implemented/);
});

test('topic metadata survives close and reopen', async (t) => {
  const dir = await tempDir(t);
  const first = await openBroker(dir);
  const created = await first.createTopic('durable', { partitions: 3, config: { 'segment.bytes': '1048576' } });
  await first.createTopic('gone');
  await first.createPartitions('durable', 4);
  await first.alterTopicConfig('durable', { 'retention.ms': '3600000' });
  await first.deleteTopic('gone');
  await first.produce({ topic: 'durable', partition: 2, batches: batchOf(['a', 'b', 'c']), acks: -1 });
  await first.close();

  const second = await openBroker(dir);
  const described = second.describeTopic('durable');
  assert.equal(described.topicId, created.topicId);
  assert.equal(described.partitions.length, 4);
  assert.deepEqual(described.overrides, { 'segment.bytes': '1048576', 'retention.ms': '3600000' });
  assert.equal(described.partitions[2]!.logEndOffset, 3);
  assert.equal(described.partitions[2]!.highWatermark, 3);
  assert.equal(second.hasTopic('gone'), false);
  assert.deepEqual(
    second.listTopics().map((topic) => topic.name),
    ['durable'],
  );
});

test('warns about logs on disk that have no topic metadata', async (t) => {
  const dir = await tempDir(t);
  const first = await openBroker(dir);
  await first.createTopic('orphan');
  await first.close();
  // Simulate lost metadata: a log directory the metadata does not name.
  const { rm, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await writeFile(join(dir, '__cluster_metadata', 'topics.json'), JSON.stringify({ version: 1, topics: [] }));
  await rm(join(dir, '__cluster_metadata', 'topics.journal'));
  const logger = new RecordingLogger();
  const second = await openBroker(dir, { logger });
  assert.equal(second.hasTopic('orphan'), false);
  assert.ok(
    logger.lines.some(
      (line) => line.level === 'warn' && /no topic metadata/.test(line.msg ?? '') && (line.obj as { topic?: string }).topic === 'orphan',
    ),
  );
  // Creating the topic again starts it empty rather than resurrecting the orphan's data.
  const again = await second.createTopic('orphan');
  assert.equal(again.partitions[0]!.logEndOffset, 0);
});

test('brokerConfig reports the defaults under Kafka names', async (t) => {
  const { broker } = await startBroker(t, { config: { defaultPartitions: 3 } });
  const entries = broker.brokerConfig();
  assert.equal(entries['num.partitions'], '3');
  assert.equal(entries['message.max.bytes'], '1048588');
  assert.equal(entries['offsets.topic.num.partitions'], '1');
  assert.equal(entries['group.initial.rebalance.delay.ms'], '0');
  assert.equal(broker.nodeId, 0);
});
