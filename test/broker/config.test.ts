import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_BROKER_CONFIG, resolveBrokerConfig } from '../../src/broker/config.ts';
import { effectiveTopicConfig, TOPIC_CONFIG_KEYS, topicLogConfig, validateTopicConfig } from '../../src/broker/topic-config.ts';
import { topicCollisionKey, validateTopicName } from '../../src/broker/topic-names.ts';
import { ErrorCode } from '../../src/common/errors.ts';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.ts';

test('broker config defaults are the documented ones', () => {
  const config = resolveBrokerConfig();
  assert.equal(config.nodeId, 0);
  assert.equal(config.defaultPartitions, 1);
  assert.equal(config.autoCreateTopics, true);
  assert.equal(config.deleteTopicEnable, true);
  assert.equal(config.maxMessageBytes, 1_048_588);
  assert.equal(config.maxProducerIdsPerPartition, 100_000);
  assert.equal(config.producerIdExpirationMs, 7 * 24 * 3600 * 1000);
  assert.equal(config.groupMinSessionTimeoutMs, 6000);
  assert.equal(config.groupMaxSessionTimeoutMs, 1_800_000);
  assert.equal(config.groupInitialRebalanceDelayMs, 3000);
  assert.equal(config.offsetsTopicPartitions, 1);
  assert.equal(config.offsetsRetentionMs, 7 * 24 * 3600 * 1000);
  assert.equal(config.groupMaxSize, 1000);
  assert.equal(config.fetchMaxBytes, 50 * 1024 * 1024);
  assert.deepEqual(config.log, {});
  assert.notEqual(config, DEFAULT_BROKER_CONFIG);
});

test('broker config overrides are validated, naming the option', () => {
  assert.equal(resolveBrokerConfig({ defaultPartitions: 4, log: { retentionMs: 5 } }).log.retentionMs, 5);
  for (const bad of [{ defaultPartitions: 0 }, { fetchMaxWaitMs: -1 }, { maxMessageBytes: 1.5 }, { nodeId: Number.NaN }]) {
    assert.throws(
      () => resolveBrokerConfig(bad),
      (error: unknown) => {
        assert.equal((error as { code: string }).code, ErrorCode.INVALID_CONFIG);
        assert.match((error as Error).message, new RegExp(Object.keys(bad)[0]!));
        return true;
      },
    );
  }
  assert.throws(() => resolveBrokerConfig({ autoCreateTopics: 'yes' as unknown as boolean }), /autoCreateTopics/);
  assert.throws(() => resolveBrokerConfig({ groupMinSessionTimeoutMs: 10, groupMaxSessionTimeoutMs: 5 }), /groupMinSessionTimeoutMs/);
  // An undefined override keeps the default (configs built from optional flags).
  assert.equal(resolveBrokerConfig({ defaultPartitions: undefined }).defaultPartitions, 1);
});

test('topic config maps onto LogConfig', () => {
  const log = topicLogConfig(DEFAULT_LOG_CONFIG, {
    'retention.ms': '1000',
    'retention.bytes': '2048',
    'segment.bytes': '4096',
    'segment.ms': '60000',
    'index.interval.bytes': '128',
    'max.message.bytes': '512',
    'message.timestamp.type': 'LogAppendTime',
    'flush.policy': 'interval:50',
  });
  assert.deepEqual(log, {
    retentionMs: 1000,
    retentionBytes: 2048,
    segmentBytes: 4096,
    segmentMs: 60_000,
    indexIntervalBytes: 128,
    maxBatchBytes: 512,
    timestampType: 'LogAppendTime',
    flush: { kind: 'interval', intervalMs: 50 },
  });
  assert.deepEqual(topicLogConfig(DEFAULT_LOG_CONFIG, { 'flush.policy': 'none' }).flush, { kind: 'none' });
});

test('a compact-only topic keeps its whole log until compaction exists', () => {
  const compact = topicLogConfig(DEFAULT_LOG_CONFIG, { 'cleanup.policy': 'compact', 'retention.ms': '1000' });
  assert.equal(compact.retentionMs, -1);
  assert.equal(compact.retentionBytes, -1);
  const both = topicLogConfig(DEFAULT_LOG_CONFIG, { 'cleanup.policy': 'compact,delete', 'retention.ms': '1000' });
  assert.equal(both.retentionMs, 1000);
});

test('effective topic config lists every key with its value', () => {
  const entries = effectiveTopicConfig(DEFAULT_LOG_CONFIG, { 'retention.ms': '5' });
  assert.deepEqual(Object.keys(entries).sort(), [...TOPIC_CONFIG_KEYS]);
  assert.equal(entries['retention.ms'], '5');
  assert.equal(entries['segment.bytes'], String(DEFAULT_LOG_CONFIG.segmentBytes));
  assert.equal(entries['flush.policy'], 'always');
  assert.equal(entries['message.timestamp.type'], 'CreateTime');
});

test('topic config values are strings of the right shape', () => {
  assert.deepEqual(validateTopicConfig({ 'segment.index.bytes': '1024' }), { 'segment.index.bytes': '1024' });
  assert.throws(() => validateTopicConfig({ 'retention.ms': 5 as unknown as string }), /must be a string/);
  assert.throws(() => validateTopicConfig({ 'retention.ms': '1e3' }), /not an integer/);
  assert.throws(() => validateTopicConfig({ 'retention.ms': '99999999999999999999' }), /not an integer/);
  assert.throws(() => validateTopicConfig({ 'segment.bytes': '3000000000' }), /segment\.bytes/);
  assert.throws(() => validateTopicConfig({ 'cleanup.policy': 'compact,archive' }), /cleanup\.policy/);
  assert.throws(() => validateTopicConfig({ toString: '1' }), /unknown topic config toString/);
});

test("topic names follow Kafka's rules", () => {
  for (const good of ['a', 'A-b_c.9', 'x'.repeat(249), '__internal_like']) validateTopicName(good);
  for (const bad of ['', '.', '..', 'x'.repeat(250), 'a b', 'a:b', 'a\u0000b']) {
    assert.throws(
      () => validateTopicName(bad),
      (error: unknown) => (error as { code: string }).code === ErrorCode.INVALID_TOPIC,
    );
  }
  assert.equal(topicCollisionKey('a.b_c.d'), 'a_b_c_d');
});
