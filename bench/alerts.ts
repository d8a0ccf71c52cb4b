/**
 * Cost of one alert evaluation round as the number of series grows: the six default rules plus
 * four user rules (a rate, a gauge threshold with a matcher, a sum by, a quantile) over a private
 * registry shaped like a busy broker (per-partition counters, per-group lag, per-subscription
 * counters, per-topic latency histograms). Run: `node bench/alerts.ts` (FERRY_BENCH_ROUNDS rounds
 * per size, default 40). Prints ms per round (median, p99) and the heap the sample rings hold.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { silentLogger } from '../src/common/logger.ts';
import { AlertManager } from '../src/observability/alerts/index.ts';

const ROUNDS = Number(process.env.FERRY_BENCH_ROUNDS ?? 40);
const INTERVAL_MS = 15_000;

async function run(topics: number, partitionsPerTopic: number): Promise<void> {
  const registry = new Registry();
  const recordsIn = new Counter({
    name: 'ferry_partition_records_in_total',
    help: 'x',
    labelNames: ['topic', 'partition'],
    registers: [registry],
  });
  const lag = new Gauge({ name: 'ferry_group_lag', help: 'x', labelNames: ['group', 'topic'], registers: [registry] });
  const dead = new Counter({
    name: 'ferry_subscription_dead_lettered_total',
    help: 'x',
    labelNames: ['topic', 'subscription'],
    registers: [registry],
  });
  const latency = new Histogram({ name: 'ferry_end_to_end_latency_seconds', help: 'x', labelNames: ['topic'], registers: [registry] });
  new Gauge({ name: 'ferry_partitions_offline', help: 'x', registers: [registry] }).set(0);
  new Gauge({ name: 'ferry_data_volume_free_bytes', help: 'x', registers: [registry] }).set(50);
  new Gauge({ name: 'ferry_data_volume_size_bytes', help: 'x', registers: [registry] }).set(100);
  new Gauge({ name: 'nodejs_eventloop_lag_p99_seconds', help: 'x', registers: [registry] }).set(0.01);
  const tick = (round: number) => {
    for (let t = 0; t < topics; t++) {
      const topic = `topic-${t}`;
      for (let p = 0; p < partitionsPerTopic; p++) recordsIn.inc({ topic, partition: String(p) }, 100 + ((round * 7 + p) % 13));
      lag.set({ group: `group-${t}`, topic }, (round * 31 + t) % 1000);
      dead.inc({ topic, subscription: 'work' }, round % 5 === 0 ? 1 : 0);
      latency.observe({ topic }, ((round + t) % 100) / 1000);
    }
  };
  let nowMs = 0;
  const heapBefore = process.memoryUsage().heapUsed;
  const alerts = new AlertManager({
    registry,
    logger: silentLogger,
    now: () => nowMs,
    config: {
      evaluationIntervalMs: INTERVAL_MS,
      maxSeries: 1_000_000,
      maxInstancesPerRule: 1_000_000,
      rules: [
        { name: 'HotPartition', expr: 'rate(ferry_partition_records_in_total[5m]) > 1000' },
        { name: 'OrdersLag', expr: 'ferry_group_lag{topic=~"topic-1.*"} > 500', for: '1m' },
        { name: 'TopicRate', expr: 'sum by (topic) (rate(ferry_partition_records_in_total[1m])) > 100' },
        { name: 'P50', expr: 'histogram_quantile(0.5, rate(ferry_end_to_end_latency_seconds_bucket[5m])) > 0.04' },
      ],
    },
  });
  const timesMs: number[] = [];
  // Fill the 10-minute windows first so every round evaluates full rings.
  const warmup = Math.ceil(600_000 / INTERVAL_MS) + 2;
  for (let round = 0; round < warmup + ROUNDS; round++) {
    tick(round);
    nowMs += INTERVAL_MS;
    const started = performance.now();
    await alerts.evaluate();
    if (round >= warmup) timesMs.push(performance.now() - started);
  }
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  timesMs.sort((a, b) => a - b);
  const median = timesMs[Math.floor(timesMs.length / 2)]!;
  const p99 = timesMs[Math.min(timesMs.length - 1, Math.floor(timesMs.length * 0.99))]!;
  const series = topics * partitionsPerTopic + topics * 3 + topics * 13;
  const firing = alerts.snapshot().rules.reduce((sum, r) => sum + r.instances.filter((i) => i.state === 'firing').length, 0);
  console.log(
    `${String(topics * partitionsPerTopic).padStart(6)} partitions  ~${String(series).padStart(6)} series  round median ${median.toFixed(1).padStart(7)} ms  p99 ${p99.toFixed(1).padStart(7)} ms  heap +${heapMiB.toFixed(1)} MiB  firing ${firing}`,
  );
  await alerts.stop();
}

for (const [topics, partitions] of [
  [10, 10],
  [100, 10],
  [500, 10],
] as const) {
  await run(topics, partitions);
}
