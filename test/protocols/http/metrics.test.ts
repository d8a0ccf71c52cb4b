import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { connect } from '../../../src/client/index.ts';
import { silentLogger } from '../../../src/common/logger.ts';
import { resolveConfig } from '../../../src/server/config.ts';
import { flagEntries } from '../../../src/server/config-sources.ts';
import { startFerry } from '../../../src/server/server.ts';
import { defer } from '../../server/cleanup.ts';
import { promtool, promtoolAvailability, sample } from './promtool.ts';

const { skipReason } = promtoolAvailability();

async function startBroker(t: { after(fn: () => Promise<void>): void }, flags: Record<string, string> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'ferry-metrics-'));
  defer(t, () => rm(dataDir, { recursive: true, force: true }));
  const config = resolveConfig({ flags: flagEntries({ dataDir, nativePort: '0', httpPort: '0', kafkaPort: '0', ...flags }) });
  const ferry = await startFerry(config, { logger: silentLogger });
  defer(t, () => ferry.close());
  const scrape = async (): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${ferry.httpPort}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  return { ferry, scrape };
}

test('native produce and fetch move the partition counters, request counts, latency histograms and state gauges', async (t) => {
  const { ferry, scrape } = await startBroker(t);
  const before = await scrape();
  assert.equal(sample(before, 'ferry_connections', { protocol: 'native' }), 0);
  assert.ok((sample(before, 'process_resident_memory_bytes') ?? 0) > 0);
  assert.ok(sample(before, 'nodejs_eventloop_lag_p99_seconds') !== undefined);
  assert.ok((sample(before, 'ferry_data_volume_free_bytes') ?? 0) > 0);

  const client = await connect(`127.0.0.1:${ferry.nativePort}`);
  defer(t, () => client.close());
  await client.admin().createTopic({ name: 'orders', partitions: 2 });
  const producer = client.producer();
  await producer.sendBatch([
    { topic: 'orders', partition: 0, value: 'a' },
    { topic: 'orders', partition: 0, value: 'b' },
    { topic: 'orders', partition: 1, value: 'c' },
  ]);
  const consumer = client.consumer({ topics: ['orders'], fromBeginning: true });
  defer(t, () => consumer.close());
  let received = 0;
  for await (const _message of consumer.messages()) if (++received === 3) break;

  const after = await scrape();
  const p0 = { topic: 'orders', partition: '0' };
  assert.equal(sample(after, 'ferry_partition_records_in_total', p0), 2);
  assert.ok((sample(after, 'ferry_partition_bytes_in_total', p0) ?? 0) > 0);
  assert.equal(sample(after, 'ferry_partition_records_out_total', p0), 2);
  assert.equal(sample(after, 'ferry_partition_log_end_offset', p0), 2);
  assert.equal(sample(after, 'ferry_partition_log_start_offset', p0), 0);
  assert.equal(sample(after, 'ferry_partition_size_bytes', p0), sample(after, 'ferry_partition_bytes_in_total', p0));
  assert.equal(sample(after, 'ferry_partitions_offline'), 0);
  assert.ok((sample(after, 'ferry_produce_latency_seconds_count', { protocol: 'native' }) ?? 0) >= 1);
  assert.ok((sample(after, 'ferry_fetch_latency_seconds_count', { protocol: 'native' }) ?? 0) >= 1);
  assert.equal(sample(after, 'ferry_end_to_end_latency_seconds_count', { topic: 'orders' }), 2, 'one observation per fetched batch');
  assert.equal(sample(after, 'ferry_requests_total', { protocol: 'native', request: 'CreateTopics', error_code: 'none' }), 1);
  assert.ok((sample(after, 'ferry_connections', { protocol: 'native' }) ?? 0) >= 1);
  assert.ok((sample(after, 'ferry_network_received_bytes_total', { protocol: 'native' }) ?? 0) > 0);
  assert.ok((sample(after, 'ferry_network_sent_bytes_total', { protocol: 'native' }) ?? 0) > 0);

  // A failing request is counted under its error code.
  await assert.rejects(client.admin().describeSubscription('orders', 'nobody'));
  const failed = await scrape();
  assert.equal(
    sample(failed, 'ferry_requests_total', { protocol: 'native', request: 'DescribeSubscription', error_code: 'SUBSCRIPTION_NOT_FOUND' }),
    1,
  );

  // A deleted topic's series go away, so labels stay bounded by the topics that exist.
  await client.admin().deleteTopic('orders');
  const deleted = await scrape();
  assert.equal(sample(deleted, 'ferry_partition_records_in_total', p0), undefined);
  assert.equal(sample(deleted, 'ferry_partition_log_end_offset', p0), undefined);
});

test('kafkajs traffic: Kafka request counts, group lag and subscription state gauges', async (t) => {
  const { ferry, scrape } = await startBroker(t);
  const kafka = new Kafka({ clientId: 'metrics-test', brokers: [`127.0.0.1:${ferry.kafkaPort}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  defer(t, () => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 1 }] });
  await ferry.broker.createSubscription('events', 'workers', { mode: 'shared' });
  const producer = kafka.producer();
  await producer.connect();
  defer(t, () => producer.disconnect());
  await producer.send({ topic: 'events', messages: [{ value: 'one' }, { value: 'two' }, { value: 'three' }] });
  // A group that committed offset 1 of 3: lag 2.
  await admin.setOffsets({ groupId: 'billing', topic: 'events', partitions: [{ partition: 0, offset: '1' }] });

  const text = await scrape();
  const events = { topic: 'events', partition: '0' };
  assert.equal(sample(text, 'ferry_partition_records_in_total', events), 3);
  assert.ok((sample(text, 'ferry_requests_total', { protocol: 'kafka', request: 'Produce', error_code: 'none' }) ?? 0) >= 1);
  assert.ok((sample(text, 'ferry_produce_latency_seconds_count', { protocol: 'kafka' }) ?? 0) >= 1);
  assert.ok((sample(text, 'ferry_connections', { protocol: 'kafka' }) ?? 0) >= 1);
  assert.equal(sample(text, 'ferry_group_lag', { group: 'billing', topic: 'events' }), 2);
  const described = await ferry.broker.describeSubscription('events', 'workers');
  const sub = { topic: 'events', subscription: 'workers' };
  assert.equal(sample(text, 'ferry_subscription_backlog', sub), described.backlog);
  assert.equal(sample(text, 'ferry_subscription_in_flight', sub), 0);
  assert.equal(sample(text, 'ferry_subscription_redeliveries_total', sub), 0);
  assert.equal(sample(text, 'ferry_subscription_dead_lettered_total', sub), 0);
  assert.ok((sample(text, 'ferry_subscription_oldest_unacked_age_seconds', sub) ?? -1) >= 0);
});

test('promtool check metrics passes on the real output', { skip: skipReason }, async (t) => {
  const { ferry, scrape } = await startBroker(t);
  const client = await connect(`127.0.0.1:${ferry.nativePort}`);
  defer(t, () => client.close());
  await client.admin().createTopic({ name: 'checked', partitions: 1 });
  await client.producer().sendBatch([{ topic: 'checked', value: 'x' }]);
  const result = await promtool(['check', 'metrics'], await scrape());
  assert.equal(result.code, 0, result.output);
});

test('metrics.enabled=false: no /metrics route, and the broker still serves', async (t) => {
  const { ferry } = await startBroker(t, { metricsEnabled: 'false' });
  assert.equal(ferry.metrics.isEnabled, false);
  const response = await fetch(`http://127.0.0.1:${ferry.httpPort}/metrics`);
  assert.equal(response.status, 404);
  const client = await connect(`127.0.0.1:${ferry.nativePort}`);
  defer(t, () => client.close());
  await client.admin().createTopic({ name: 'quiet', partitions: 1 });
  await client.producer().sendBatch([{ topic: 'quiet', value: 'x' }]);
  assert.equal(ferry.broker.describeTopic('quiet').partitions[0]!.logEndOffset, 1);
});

test('queue deliveries count as records out and feed end-to-end latency, once per delivery batch', async (t) => {
  const { ferry, scrape } = await startBroker(t);
  const client = await connect(`127.0.0.1:${ferry.nativePort}`);
  defer(t, () => client.close());
  await client.admin().createTopic({ name: 'jobs', partitions: 1 });
  await client.producer().sendBatch([
    { topic: 'jobs', value: 'one' },
    { topic: 'jobs', value: 'two' },
  ]);
  const delivered: number[] = [];
  let batches = 0;
  const { promise: allDelivered, resolve } = Promise.withResolvers<void>();
  const consumer = await ferry.broker.subscribe('jobs', 'workers', 'shared', {
    prefetch: 10,
    onDeliver(messages) {
      batches++;
      for (const message of messages) delivered.push(message.offset);
      if (delivered.length === 2) resolve();
    },
  });
  defer(t, () => consumer.close());
  await allDelivered;
  const text = await scrape();
  assert.equal(sample(text, 'ferry_partition_records_out_total', { topic: 'jobs', partition: '0' }), 2);
  assert.equal(sample(text, 'ferry_partition_bytes_out_total', { topic: 'jobs', partition: '0' }), 6, 'key and value bytes of a delivery');
  assert.equal(sample(text, 'ferry_end_to_end_latency_seconds_count', { topic: 'jobs' }), batches);
  assert.equal(sample(text, 'ferry_subscription_in_flight', { topic: 'jobs', subscription: 'workers' }), 2);
});
