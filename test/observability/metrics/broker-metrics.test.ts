import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRecordBatch } from '../../../src/common/record-batch.ts';
import { createFerryMetrics } from '../../../src/observability/metrics/metrics.ts';
import { NOOP_BROKER_METRICS } from '../../../src/observability/metrics/recorder.ts';
import { sample } from '../../protocols/http/promtool.ts';

function metrics() {
  return createFerryMetrics({ enabled: true, eventLoopResolutionMs: 10 });
}

async function text(m: ReturnType<typeof metrics>): Promise<string> {
  return (await m.scrape()).body;
}

test('handedOut counts records and bytes of whole batches, one end-to-end observation per batch, and skips a trailing partial batch', async () => {
  const m = metrics();
  const nowMs = 1_700_000_010_000;
  const first = encodeRecordBatch({
    records: [
      { value: Buffer.from('a'), timestamp: nowMs - 2_000 },
      { value: Buffer.from('b'), timestamp: nowMs - 1_500 },
    ],
  });
  const second = encodeRecordBatch({ records: [{ value: Buffer.from('c'), timestamp: nowMs + 60_000 }] }); // producer clock ahead
  const partial = encodeRecordBatch({ records: [{ value: Buffer.from('d'), timestamp: nowMs }] }).subarray(0, 30);
  const partition = m.recorder.partition('orders', 3);
  assert.equal(m.recorder.partition('orders', 3), partition, 'cached per partition');
  partition.handedOut(Buffer.concat([first, second, partial]), nowMs);
  partition.handedOut(Buffer.alloc(0), nowMs);
  const out = await text(m);
  const labels = { topic: 'orders', partition: '3' };
  assert.equal(sample(out, 'ferry_partition_records_out_total', labels), 3);
  assert.equal(sample(out, 'ferry_partition_bytes_out_total', labels), first.length + second.length);
  assert.equal(sample(out, 'ferry_end_to_end_latency_seconds_count', { topic: 'orders' }), 2);
  // 1.5 s (the batch max timestamp) and 0 (clamped): sum 1.5.
  assert.equal(sample(out, 'ferry_end_to_end_latency_seconds_sum', { topic: 'orders' }), 1.5);
  assert.equal(sample(out, 'ferry_end_to_end_latency_seconds_bucket', { topic: 'orders', le: '0.001' }), 1);
});

test('appended adds to records and bytes in; requestDone counts by API and error code and times produce and fetch only', async () => {
  const m = metrics();
  m.recorder.partition('t', 0).appended(10, 1000);
  m.recorder.partition('t', 0).appended(5, 500);
  const native = m.recorder.protocol('native');
  const started = performance.now();
  native.requestDone('Produce', 'none', started);
  native.requestDone('Produce', 'none', started);
  native.requestDone('Produce', 'MESSAGE_TOO_LARGE', started);
  native.requestDone('Fetch', 'none', started);
  native.requestDone('Metadata', 'none', started);
  const out = await text(m);
  assert.equal(sample(out, 'ferry_partition_records_in_total', { topic: 't', partition: '0' }), 15);
  assert.equal(sample(out, 'ferry_partition_bytes_in_total', { topic: 't', partition: '0' }), 1500);
  assert.equal(sample(out, 'ferry_requests_total', { protocol: 'native', request: 'Produce', error_code: 'none' }), 2);
  assert.equal(sample(out, 'ferry_requests_total', { protocol: 'native', request: 'Produce', error_code: 'MESSAGE_TOO_LARGE' }), 1);
  assert.equal(sample(out, 'ferry_produce_latency_seconds_count', { protocol: 'native' }), 3);
  assert.equal(sample(out, 'ferry_fetch_latency_seconds_count', { protocol: 'native' }), 1);
});

test('connections and network bytes are read from the sockets at scrape time and survive their close', async () => {
  const m = metrics();
  const kafka = m.recorder.protocol('kafka');
  const closers: (() => void)[] = [];
  const socket = (bytesRead: number, bytesWritten: number) => ({
    bytesRead,
    bytesWritten,
    once(_event: 'close', listener: () => void) {
      closers.push(listener);
    },
  });
  const a = socket(100, 1000);
  kafka.trackConnection(a);
  kafka.trackConnection(socket(5, 50));
  let out = await text(m);
  assert.equal(sample(out, 'ferry_connections', { protocol: 'kafka' }), 2);
  assert.equal(sample(out, 'ferry_network_received_bytes_total', { protocol: 'kafka' }), 105);
  a.bytesRead = 200;
  closers[0]!();
  out = await text(m);
  assert.equal(sample(out, 'ferry_connections', { protocol: 'kafka' }), 1);
  assert.equal(sample(out, 'ferry_network_received_bytes_total', { protocol: 'kafka' }), 205);
  assert.equal(sample(out, 'ferry_network_sent_bytes_total', { protocol: 'kafka' }), 1050);
});

test('state gauges come from the source at scrape time; partitions that no longer exist lose their counters', async () => {
  const m = metrics();
  m.recorder.partition('gone', 0).appended(1, 10);
  m.recorder.partition('kept', 0).appended(2, 20);
  m.setStateSource({
    dataDir: '.',
    partitions: () => [
      { topic: 'kept', partition: 0, logStartOffset: 4, logEndOffset: 9, sizeBytes: 123, isOffline: false },
      { topic: 'kept', partition: 1, logStartOffset: 0, logEndOffset: 0, sizeBytes: 0, isOffline: true },
    ],
    groupLags: () => [{ group: 'g', topic: 'kept', lag: 7 }],
    subscriptions: async () => [
      { topic: 'kept', subscription: 's', backlog: 3, inFlight: 1, redeliveries: 2, deadLettered: 1, oldestUnackedAgeMs: 2500 },
    ],
  });
  const out = await text(m);
  assert.equal(sample(out, 'ferry_partition_records_in_total', { topic: 'gone', partition: '0' }), undefined);
  assert.equal(sample(out, 'ferry_partition_records_in_total', { topic: 'kept', partition: '0' }), 2);
  assert.equal(sample(out, 'ferry_partition_log_start_offset', { topic: 'kept', partition: '0' }), 4);
  assert.equal(sample(out, 'ferry_partition_log_end_offset', { topic: 'kept', partition: '0' }), 9);
  assert.equal(sample(out, 'ferry_partition_size_bytes', { topic: 'kept', partition: '0' }), 123);
  assert.equal(sample(out, 'ferry_partitions_offline'), 1);
  assert.equal(sample(out, 'ferry_group_lag', { group: 'g', topic: 'kept' }), 7);
  const sub = { topic: 'kept', subscription: 's' };
  assert.equal(sample(out, 'ferry_subscription_backlog', sub), 3);
  assert.equal(sample(out, 'ferry_subscription_in_flight', sub), 1);
  assert.equal(sample(out, 'ferry_subscription_redeliveries_total', sub), 2);
  assert.equal(sample(out, 'ferry_subscription_dead_lettered_total', sub), 1);
  assert.equal(sample(out, 'ferry_subscription_oldest_unacked_age_seconds', sub), 2.5);
  assert.ok((sample(out, 'ferry_data_volume_size_bytes') ?? 0) > 0);
});

test('metrics off: the recorder is the shared no-op and scrape refuses', async () => {
  const m = createFerryMetrics({ enabled: false, eventLoopResolutionMs: 10 });
  assert.equal(m.recorder, NOOP_BROKER_METRICS);
  m.recorder.partition('t', 0).appended(1, 1);
  m.recorder.protocol('native').requestDone('Produce', 'none', 0);
  await assert.rejects(m.scrape());
});
