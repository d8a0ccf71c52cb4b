import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queuePolicyFromConfig, queuePolicyToConfig } from '../../../src/broker/queues/topic-policy-config.ts';
import { ErrorCode } from '../../../src/common/errors.ts';
import { closeAtEnd, hasCode, Inbox, openQueueBroker, produce, sleep, startQueueBroker, tempDir, values } from './helpers.ts';

test('ferry.queue.* keys at topic creation become the topic queue policy and are listed with the topic config', async (t) => {
  const { broker } = await startQueueBroker(t);
  const description = await broker.createTopic('orders', {
    partitions: 1,
    config: {
      'ferry.queue.ttl.ms': '60000',
      'ferry.queue.ttl.action': 'dead_letter',
      'ferry.queue.backlog.max.records': '100',
      'ferry.queue.backlog.overflow': 'drop_oldest',
    },
  });
  assert.deepEqual(broker.topicQueuePolicy('orders'), {
    ttlMs: 60000,
    ttlAction: 'dead_letter',
    limits: { overflow: 'drop_oldest', maxRecords: 100 },
  });
  assert.equal(description.config['ferry.queue.ttl.ms'], '60000');
  assert.equal(description.config['ferry.queue.backlog.max.bytes'], '-1', 'unset keys show their default');
  assert.equal(description.config['ferry.queue.retention'], 'log');
  // A topic without queue keys has no policy.
  await broker.createTopic('plain');
  assert.deepEqual(broker.topicQueuePolicy('plain'), {});
});

test('altering a backlog key takes effect at once: reject_publish refuses the produce beyond it', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('jobs');
  await broker.createSubscription('jobs', 'workers', { mode: 'shared' });
  await broker.alterTopicConfig('jobs', { 'ferry.queue.backlog.max.records': '3' });
  await produce(broker, 'jobs', values(3));
  await assert.rejects(produce(broker, 'jobs', ['one-too-many']), hasCode(ErrorCode.BACKLOG_LIMIT_EXCEEDED));
  // Removing the key removes the limit.
  await broker.alterTopicConfig('jobs', {}, ['ferry.queue.backlog.max.records']);
  assert.deepEqual(broker.topicQueuePolicy('jobs'), {});
  await produce(broker, 'jobs', ['now-accepted']);
});

test('ferry.queue.ttl.ms set by config expires records before delivery', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('quotes', { config: { 'ferry.queue.ttl.ms': '300' } });
  await broker.createSubscription('quotes', 's', { mode: 'shared' });
  await produce(broker, 'quotes', ['stale']);
  await sleep(400);
  await produce(broker, 'quotes', ['fresh']);
  const inbox = new Inbox();
  await broker.subscribe('quotes', 's', 'shared', { onDeliver: inbox.onDeliver });
  await inbox.waitFor(1);
  await sleep(50);
  assert.deepEqual(inbox.values(), ['fresh']);
});

test('ferry.queue.retention=until_acked switches the topic time and size retention off', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('events');
  const description = await broker.alterTopicConfig('events', { 'ferry.queue.retention': 'until_acked' });
  assert.equal(broker.topicQueuePolicy('events').retention, 'until_acked');
  assert.equal(description.overrides['ferry.queue.retention'], 'until_acked');
  const after = broker.describeTopic('events');
  assert.equal(after.config['retention.ms'], '-1');
  assert.equal(after.config['retention.bytes'], '-1');
});

test('bad ferry.queue.* values are INVALID_CONFIG naming the key; nothing changes', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('t', { config: { 'ferry.queue.ttl.ms': '1000' } });
  const cases: [string, string, RegExp][] = [
    ['ferry.queue.ttl.ms', '0', /ferry\.queue\.ttl\.ms: 0 must be -1 \(none\) or at least 1/],
    ['ferry.queue.ttl.ms', 'soon', /not an integer/],
    ['ferry.queue.ttl.action', 'explode', /not one of drop, dead_letter/],
    ['ferry.queue.backlog.overflow', 'block', /not one of reject_publish, drop_oldest, dead_letter/],
    ['ferry.queue.retention', 'forever', /not one of log, until_acked/],
    ['ferry.queue.backlog.max.bytes', '-5', /must be -1/],
  ];
  for (const [key, value, message] of cases) {
    await assert.rejects(broker.alterTopicConfig('t', { [key]: value }), (error: unknown) => {
      assert.equal((error as { code: string }).code, ErrorCode.INVALID_CONFIG);
      assert.match((error as Error).message, message);
      return true;
    });
  }
  await assert.rejects(broker.createTopic('u', { config: { 'ferry.queue.ttl.ms': 'x' } }), hasCode(ErrorCode.INVALID_CONFIG));
  assert.equal(broker.hasTopic('u'), false);
  assert.deepEqual(broker.topicQueuePolicy('t'), { ttlMs: 1000 });
});

test('setTopicQueuePolicy writes the same keys, so the API, describe and the policy agree', async (t) => {
  const { broker } = await startQueueBroker(t);
  await broker.createTopic('t', { config: { 'ferry.queue.ttl.ms': '1000', 'retention.ms': '5000' } });
  await broker.setTopicQueuePolicy('t', { limits: { maxBytes: 4096, overflow: 'dead_letter' } });
  const overrides = broker.describeTopic('t').overrides;
  assert.deepEqual(overrides, {
    'retention.ms': '5000',
    'ferry.queue.backlog.max.bytes': '4096',
    'ferry.queue.backlog.overflow': 'dead_letter',
  });
  assert.deepEqual(broker.topicQueuePolicy('t'), { limits: { overflow: 'dead_letter', maxBytes: 4096 } });
  await assert.rejects(broker.setTopicQueuePolicy('t', { ttlMs: -3 }), hasCode(ErrorCode.INVALID_CONFIG));
});

test('a policy set by config keys survives a restart, and the keys win over a stale stored policy', async (t) => {
  const dir = await tempDir(t);
  let broker = await openQueueBroker(dir);
  await broker.createTopic('t', { config: { 'ferry.queue.ttl.ms': '2000', 'ferry.queue.backlog.max.records': '50' } });
  await broker.close();
  broker = closeAtEnd(dir, await openQueueBroker(dir));
  assert.deepEqual(broker.topicQueuePolicy('t'), { ttlMs: 2000, limits: { overflow: 'reject_publish', maxRecords: 50 } });
  assert.equal(broker.describeTopic('t').overrides['ferry.queue.ttl.ms'], '2000');
  // As after a crash between the config write and the policy write: the open reconciles to the keys.
  await broker.queueManager.setTopicQueuePolicy('t', { ttlMs: 9 });
  await broker.close();
  broker = closeAtEnd(dir, await openQueueBroker(dir));
  assert.deepEqual(broker.topicQueuePolicy('t'), { ttlMs: 2000, limits: { overflow: 'reject_publish', maxRecords: 50 } });
});

test('policy <-> config keys round-trip', () => {
  const policy = {
    ttlMs: 5,
    ttlAction: 'drop' as const,
    limits: { overflow: 'reject_publish' as const, maxRecords: 1, maxBytes: 2 },
    retention: 'log' as const,
  };
  const { set, remove } = queuePolicyToConfig(policy);
  assert.deepEqual(remove, []);
  assert.deepEqual(queuePolicyFromConfig(set), policy);
  assert.deepEqual(queuePolicyToConfig({}).set, {});
  assert.equal(queuePolicyToConfig({}).remove.length, 6);
  // An overflow policy alone sets no limit.
  assert.deepEqual(queuePolicyFromConfig({ 'ferry.queue.backlog.overflow': 'drop_oldest' }), {});
});
