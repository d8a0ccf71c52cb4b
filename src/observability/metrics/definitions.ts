import { Gauge, type Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.ts';

/**
 * Every Ferry metric, by the names in docs/metrics.md (and the contract in
 * docs/internal/helpers-brief.md that the alert rules and the Grafana dashboard build on).
 * Label sets are bounded by broker limits: topics x partitions (`broker.maxPartitions`), groups
 * (`broker.groupMaxCount`), subscriptions, protocols, API names and error codes. Nothing is
 * labelled per connection, client or key.
 */

/** Seconds; from a fast fsync-less append (~0.1 ms) to a stuck request. */
const REQUEST_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds; end to end includes consumer lag, so it reaches minutes and hours. */
const END_TO_END_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

const PARTITION = ['topic', 'partition'] as const;
const SUBSCRIPTION = ['topic', 'subscription'] as const;

export type MetricDefinitions = ReturnType<typeof defineMetrics>;

export function defineMetrics(registry: Registry) {
  const registers = [registry];
  return {
    // ------------------------------------------------------------ per partition, hot path
    recordsIn: new FastCounter({
      name: 'ferry_partition_records_in_total',
      help: 'Records appended by produce requests.',
      labelNames: PARTITION,
      registers,
    }),
    bytesIn: new FastCounter({
      name: 'ferry_partition_bytes_in_total',
      help: 'Record batch bytes appended by produce requests.',
      labelNames: PARTITION,
      registers,
    }),
    recordsOut: new FastCounter({
      name: 'ferry_partition_records_out_total',
      help: 'Records handed to consumers by fetches (each fetch counts, re-reads included).',
      labelNames: PARTITION,
      registers,
    }),
    bytesOut: new FastCounter({
      name: 'ferry_partition_bytes_out_total',
      help: 'Record batch bytes handed to consumers by fetches.',
      labelNames: PARTITION,
      registers,
    }),
    endToEnd: new FastHistogram({
      name: 'ferry_end_to_end_latency_seconds',
      help: 'From a record batch max timestamp to the moment a fetch hands it out, per batch.',
      labelNames: ['topic'] as const,
      buckets: END_TO_END_BUCKETS_S,
      registers,
    }),
    // ------------------------------------------------------------ per partition, scrape time
    logStartOffset: new Gauge({
      name: 'ferry_partition_log_start_offset',
      help: 'First offset still in the log.',
      labelNames: PARTITION,
      registers,
    }),
    logEndOffset: new Gauge({
      name: 'ferry_partition_log_end_offset',
      help: 'Offset the next appended record gets.',
      labelNames: PARTITION,
      registers,
    }),
    sizeBytes: new Gauge({
      name: 'ferry_partition_size_bytes',
      help: 'Bytes of the partition log on disk (segments).',
      labelNames: PARTITION,
      registers,
    }),
    partitionsOffline: new Gauge({
      name: 'ferry_partitions_offline',
      help: 'Partitions whose log is offline (storage error): produce and fetch fail on them.',
      registers,
    }),
    // ------------------------------------------------------------ groups and subscriptions, scrape time
    groupLag: new Gauge({
      name: 'ferry_group_lag',
      help: 'Records between a consumer group committed offsets and the log end, summed over the partitions of a topic.',
      labelNames: ['group', 'topic'] as const,
      registers,
    }),
    subscriptionBacklog: new Gauge({
      name: 'ferry_subscription_backlog',
      help: 'Unacknowledged records of a queue subscription (in flight included).',
      labelNames: SUBSCRIPTION,
      registers,
    }),
    subscriptionInFlight: new Gauge({
      name: 'ferry_subscription_in_flight',
      help: 'Records delivered to consumers and not yet acknowledged.',
      labelNames: SUBSCRIPTION,
      registers,
    }),
    subscriptionRedeliveries: new FastCounter({
      name: 'ferry_subscription_redeliveries_total',
      help: 'Redeliveries since the broker started (nacks, expired ack deadlines, consumers that left).',
      labelNames: SUBSCRIPTION,
      registers,
    }),
    subscriptionDeadLettered: new FastCounter({
      name: 'ferry_subscription_dead_lettered_total',
      help: 'Records moved to the dead-letter topic.',
      labelNames: SUBSCRIPTION,
      registers,
    }),
    subscriptionOldestUnacked: new Gauge({
      name: 'ferry_subscription_oldest_unacked_age_seconds',
      help: 'Age (now - record timestamp) of the oldest unacknowledged record; 0 when none.',
      labelNames: SUBSCRIPTION,
      registers,
    }),
    // ------------------------------------------------------------ per protocol
    produceLatency: new FastHistogram({
      name: 'ferry_produce_latency_seconds',
      help: 'Produce requests, from arrival to the acknowledgement (after the append is durable under the flush policy).',
      labelNames: ['protocol'] as const,
      buckets: REQUEST_BUCKETS_S,
      registers,
    }),
    fetchLatency: new FastHistogram({
      name: 'ferry_fetch_latency_seconds',
      help: 'Fetch requests, from arrival to the answer (long-poll waits included).',
      labelNames: ['protocol'] as const,
      buckets: REQUEST_BUCKETS_S,
      registers,
    }),
    connections: new Gauge({
      name: 'ferry_connections',
      help: 'Open client connections.',
      labelNames: ['protocol'] as const,
      registers,
    }),
    requests: new FastCounter({
      name: 'ferry_requests_total',
      help: 'Requests answered, by API name and the protocol error code of the answer (none when it succeeded).',
      labelNames: ['protocol', 'request', 'error_code'] as const,
      registers,
    }),
    networkReceived: new FastCounter({
      name: 'ferry_network_received_bytes_total',
      help: 'Bytes read from client connections.',
      labelNames: ['protocol'] as const,
      registers,
    }),
    networkSent: new FastCounter({
      name: 'ferry_network_sent_bytes_total',
      help: 'Bytes written to client connections.',
      labelNames: ['protocol'] as const,
      registers,
    }),
    // ------------------------------------------------------------ host
    dataVolumeFree: new Gauge({
      name: 'ferry_data_volume_free_bytes',
      help: 'Bytes available to the broker on the file system of the data directory.',
      registers,
    }),
    dataVolumeSize: new Gauge({
      name: 'ferry_data_volume_size_bytes',
      help: 'Total bytes of the file system of the data directory.',
      registers,
    }),
  };
}
