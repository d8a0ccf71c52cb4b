import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { evaluate, evaluateCondition } from '../../../src/observability/alerts/evaluator.ts';
import { metricNames } from '../../../src/observability/alerts/expression.ts';
import { parseCondition, parseExpression } from '../../../src/observability/alerts/expression-parser.ts';
import { bucketQuantile } from '../../../src/observability/alerts/range-functions.ts';
import { SampleStore } from '../../../src/observability/alerts/sample-store.ts';

function vector(source: string, store: SampleStore, nowMs: number): { labels: Record<string, string>; value: number }[] {
  const value = evaluate(parseExpression(source), store, nowMs);
  assert.equal(value.kind, 'vector');
  return value.kind === 'vector' ? value.samples.map((s) => ({ labels: { ...s.labels }, value: s.value })) : [];
}

test('gauge threshold with matchers keeps each series and its labels', async () => {
  const registry = new Registry();
  const lag = new Gauge({ name: 'ferry_group_lag', help: 'lag', labelNames: ['group', 'topic'], registers: [registry] });
  lag.set({ group: 'a', topic: 'orders' }, 5);
  lag.set({ group: 'b', topic: 'orders' }, 500);
  lag.set({ group: 'c', topic: 'audit' }, 900);
  const store = new SampleStore({ registry, samplesPerSeries: 4, maxSeries: 100 });
  await store.sample(['ferry_group_lag'], 1000);
  const firing = evaluateCondition(parseCondition('ferry_group_lag{topic="orders"} > 100'), store, 1000);
  assert.deepEqual(firing, [{ labels: { group: 'b', topic: 'orders' }, value: 500 }]);
  assert.deepEqual(vector('sum(ferry_group_lag)', store, 1000), [{ labels: {}, value: 1405 }]);
  assert.deepEqual(
    vector('max by (topic) (ferry_group_lag)', store, 1000).sort((x, y) => x.value - y.value),
    [
      { labels: { topic: 'orders' }, value: 500 },
      { labels: { topic: 'audit' }, value: 900 },
    ],
  );
  assert.deepEqual(vector('count without (group) (ferry_group_lag{group!~"a|b"})', store, 1000), [
    { labels: { topic: 'audit' }, value: 1 },
  ]);
});

test('rate and increase of a counter over a window, across a counter reset', async () => {
  const registry = new Registry();
  const dead = new Counter({ name: 'dead_total', help: 'd', labelNames: ['topic'], registers: [registry] });
  const store = new SampleStore({ registry, samplesPerSeries: 32, maxSeries: 100 });
  // 10 per 10 s = 1/s for a minute.
  for (let i = 0; i <= 6; i++) {
    if (i > 0) dead.inc({ topic: 't' }, 10);
    else dead.inc({ topic: 't' }, 0);
    await store.sample(['dead_total'], i * 10_000);
  }
  const now = 60_000;
  assert.deepEqual(vector('rate(dead_total[1m])', store, now), [{ labels: { topic: 't' }, value: 1 }]);
  assert.deepEqual(vector('increase(dead_total[1m])', store, now), [{ labels: { topic: 't' }, value: 60 }]);
  // Only the last 30 s: samples at 40, 50, 60 s.
  assert.deepEqual(vector('rate(dead_total[30s])', store, now), [{ labels: { topic: 't' }, value: 1 }]);
  // A reset (the broker restarted): 60 -> 5 counts as +5, not -55.
  dead.reset();
  dead.inc({ topic: 't' }, 5);
  await store.sample(['dead_total'], 70_000);
  const [afterReset] = vector('increase(dead_total[15s])', store, 70_000);
  assert.ok(afterReset && afterReset.value > 0, `increase after a reset stays positive: ${afterReset?.value}`);
  // One sample in the window: no rate.
  assert.deepEqual(vector('rate(dead_total[5s])', store, 70_000), []);
});

test('deriv and delta see a gauge growing; *_over_time summarise it', async () => {
  const registry = new Registry();
  const lag = new Gauge({ name: 'lag', help: 'l', registers: [registry] });
  const store = new SampleStore({ registry, samplesPerSeries: 16, maxSeries: 10 });
  for (let i = 0; i < 10; i++) {
    lag.set(100 + i * 20);
    await store.sample(['lag'], i * 1000);
  }
  const [deriv] = vector('deriv(lag[1m])', store, 9000);
  assert.ok(Math.abs(deriv!.value - 20) < 1e-9, `deriv is 20/s, got ${deriv!.value}`);
  assert.equal(vector('delta(lag[5s])', store, 9000)[0]!.value, 100);
  assert.equal(vector('max_over_time(lag[1m])', store, 9000)[0]!.value, 280);
  assert.equal(vector('min_over_time(lag[3s])', store, 9000)[0]!.value, 240);
  assert.equal(vector('avg_over_time(lag[2s])', store, 9000)[0]!.value, 270);
});

test('histogram_quantile over the rate of a prom-client histogram', async () => {
  const registry = new Registry();
  const latency = new Histogram({
    name: 'e2e_seconds',
    help: 'h',
    labelNames: ['topic'],
    buckets: [0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const store = new SampleStore({ registry, samplesPerSeries: 8, maxSeries: 100 });
  const condition = parseCondition('histogram_quantile(0.99, sum by (topic, le) (rate(e2e_seconds_bucket[1m]))) > 1');
  // Series exist from the start (as the broker's do once a topic is used), so the window has two samples.
  latency.zero({ topic: 'orders' });
  latency.zero({ topic: 'fast' });
  await store.sample(metricNames(condition.expr), 0);
  // 98 fast observations and 2 between 1 s and 5 s: p99 lies in the (1, 5] bucket.
  for (let i = 0; i < 98; i++) latency.observe({ topic: 'orders' }, 0.05);
  latency.observe({ topic: 'orders' }, 3);
  latency.observe({ topic: 'orders' }, 3);
  for (let i = 0; i < 100; i++) latency.observe({ topic: 'fast' }, 0.05);
  await store.sample(metricNames(condition.expr), 30_000);
  const firing = evaluateCondition(condition, store, 30_000);
  assert.equal(firing.length, 1);
  assert.deepEqual(firing[0]!.labels, { topic: 'orders' });
  // rank 99 of 100: 1 into the 2 observations of (1, 5] -> 1 + 4 * 0.5 = 3.
  assert.ok(Math.abs(firing[0]!.value - 3) < 1e-9, `p99 = ${firing[0]!.value}`);
});

test('bucketQuantile follows PromQL: +Inf answers the highest finite bound, no data is NaN', () => {
  const inf = Number.POSITIVE_INFINITY;
  assert.equal(
    bucketQuantile(0.5, [
      { upperBound: 1, count: 10 },
      { upperBound: inf, count: 10 },
    ]),
    0.5,
  );
  assert.equal(
    bucketQuantile(0.99, [
      { upperBound: 1, count: 0 },
      { upperBound: inf, count: 10 },
    ]),
    1,
  );
  assert.ok(
    Number.isNaN(
      bucketQuantile(0.5, [
        { upperBound: 1, count: 0 },
        { upperBound: inf, count: 0 },
      ]),
    ),
  );
  assert.ok(Number.isNaN(bucketQuantile(0.5, [{ upperBound: 1, count: 3 }])));
});

test('division of two gauges pairs equal label sets; the store forgets series that disappear', async () => {
  const registry = new Registry();
  const free = new Gauge({ name: 'free_bytes', help: 'f', registers: [registry] });
  const size = new Gauge({ name: 'size_bytes', help: 's', registers: [registry] });
  const part = new Gauge({ name: 'part', help: 'p', labelNames: ['topic'], registers: [registry] });
  free.set(5);
  size.set(100);
  part.set({ topic: 'a' }, 1);
  const store = new SampleStore({ registry, samplesPerSeries: 2, maxSeries: 2 });
  await store.sample(['free_bytes', 'size_bytes', 'part'], 1);
  assert.equal(store.seriesCount, 2, 'maxSeries caps the store');
  assert.deepEqual(evaluateCondition(parseCondition('free_bytes / size_bytes < 0.1'), store, 1), [{ labels: {}, value: 0.05 }]);
  free.set(50);
  const gone = new Registry();
  const store2 = new SampleStore({ registry: gone, samplesPerSeries: 2, maxSeries: 10 });
  await store2.sample(['free_bytes'], 1);
  assert.equal(store2.seriesCount, 0);
  part.reset();
  const store3 = new SampleStore({ registry, samplesPerSeries: 2, maxSeries: 10 });
  part.set({ topic: 'a' }, 1);
  await store3.sample(['part'], 1);
  part.remove({ topic: 'a' });
  await store3.sample(['part'], 2);
  assert.equal(store3.seriesCount, 0, 'a series gone from the registry is dropped');
});
