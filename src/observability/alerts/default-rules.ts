import type { AlertRuleConfig } from './rule-config.ts';

/**
 * The rules every broker evaluates unless `alerts.defaultRules` is false. They read the metric
 * names of docs/metrics.md. A user rule with the same name replaces the default one, which is
 * how a threshold is tuned. deploy/prometheus/alerts.yml holds the same rules for an external
 * Prometheus (generated from this list: `node src/observability/alerts/prometheus-rules.ts`).
 */
export const DEFAULT_RULES: readonly AlertRuleConfig[] = [
  {
    name: 'FerryDiskNearlyFull',
    expr: '100 * ferry_data_volume_free_bytes / ferry_data_volume_size_bytes < 10',
    for: '5m',
    severity: 'critical',
    summary: 'Data volume nearly full',
    description: 'Only {{ $value }}% of the data volume is free; producers get DISK_FULL when it runs out.',
  },
  {
    name: 'FerryConsumerLagGrowing',
    expr: 'deriv(ferry_group_lag[10m]) > 0',
    for: '10m',
    severity: 'warning',
    summary: 'Consumer lag growing',
    description: 'Lag of group {{ $labels.group }} on topic {{ $labels.topic }} has grown for 10 minutes ({{ $value }} records/s).',
  },
  {
    name: 'FerryDeadLetters',
    expr: 'increase(ferry_subscription_dead_lettered_total[5m]) > 0',
    severity: 'warning',
    summary: 'Messages dead-lettered',
    description: 'Subscription {{ $labels.subscription }} on topic {{ $labels.topic }} dead-lettered {{ $value }} messages in 5 minutes.',
  },
  {
    name: 'FerryEndToEndLatencyHigh',
    expr: 'histogram_quantile(0.99, sum by (topic, le) (rate(ferry_end_to_end_latency_seconds_bucket[5m]))) > 1',
    for: '5m',
    severity: 'warning',
    summary: 'End-to-end p99 latency high',
    description: 'p99 produce-to-consume latency of topic {{ $labels.topic }} is {{ $value }}s.',
  },
  {
    name: 'FerryEventLoopLagHigh',
    expr: 'nodejs_eventloop_lag_p99_seconds > 0.5',
    for: '2m',
    severity: 'warning',
    summary: 'Event loop lag high',
    description: 'The p99 event-loop lag is {{ $value }}s: the broker answers every client late.',
  },
  {
    name: 'FerryPartitionOffline',
    expr: 'ferry_partitions_offline > 0',
    severity: 'critical',
    summary: 'Partition offline',
    description: '{{ $value }} partitions are offline: their producers and consumers get PARTITION_OFFLINE.',
  },
];
