import { DEFAULT_BROKER_CONFIG } from '../broker/config.ts';
import { DEFAULT_QUEUE_CONFIG as Q, QUEUE_CONFIG_RANGES as QR, isStateFlushPolicy, resolveQueueConfig } from '../broker/queues/config.ts';
import { ErrorCode, FerryError, toFerryError } from '../common/errors.ts';
import { DEFAULT_ALERTS_CONFIG as AL, checkAlertsConfig, checkNotifiersConfig, checkRulesConfig } from '../observability/alerts/index.ts';
import { DEFAULT_ADMIN_LIMITS as A } from '../protocols/http/admin/limits.ts';
import { DEFAULT_HTTP_MAX_BODY_BYTES } from '../protocols/http/server.ts';
import { DEFAULT_KAFKA_LIMITS as K } from '../protocols/kafka/limits.ts';
import { DEFAULT_NATIVE_LIMITS as N } from '../protocols/native/limits.ts';
import { DEFAULT_LOG_CONFIG as L, MAX_SEGMENT_BYTES } from '../storage/log-config.ts';
import { DEFAULT_SYNC_WRITE_MAX_BYTES } from '../storage/node-file-system.ts';
import { DEFAULT_TAIL_CACHE_MAX_BYTES, DEFAULT_TAIL_CACHE_MAX_BYTES_PER_PARTITION } from '../storage/tail-cache.ts';
import { DEFAULT_HEAP_GROWING_PERCENT } from './v8-heap.ts';
import {
  autoOrInteger,
  boolean,
  decimal,
  editDistance,
  integer,
  json,
  kebabCase,
  matching,
  type OptionSpec,
  oneOf,
  optionalText,
  type RawValue,
  screamingSnakeCase,
  text,
  type ValuesOf,
} from './config-options.ts';

/**
 * Ferry's whole configuration: one typed object, parsed and validated once at the edge (flags,
 * env, file), with every default in the tables below. docs/configuration.md lists each option.
 *
 * Names are derived from the field: `nativePort` is flag `--native-port`, env
 * `FERRY_NATIVE_PORT`, file key `nativePort`; a field of a section, e.g. `storage.flushPolicy`,
 * is flag `--flush-policy`, env `FERRY_FLUSH_POLICY`, file key `storage.flushPolicy` (nested
 * `{"storage": {"flushPolicy": ...}}` in JSON).
 */

const MAX_PORT = 65_535;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

const serverOptions = {
  dataDir: text('./data', 'Directory holding every partition log, the offsets topic and the clean-shutdown marker.', '<dir>'),
  host: text('127.0.0.1', 'Address every listener binds; 0.0.0.0 listens on all interfaces.', '<host>'),
  nativePort: integer(7420, 'TCP port of the native protocol (the TypeScript client and the CLI); 0 picks a free port.', 0, MAX_PORT),
  httpPort: integer(7480, 'HTTP port of /healthz and /readyz; 0 picks a free port.', 0, MAX_PORT),
  kafkaPort: autoOrInteger(
    'Port of the Kafka protocol listener. auto: 9092 if free, else no Kafka listener (a warning); 0: a free port; -1: off.',
    -1,
    MAX_PORT,
  ),
  advertisedHost: optionalText(
    'Host Kafka clients are told to connect to (advertised.listeners); empty: host, or the hostname when host is 0.0.0.0.',
    '<host>',
  ),
  advertisedPort: integer(0, 'Port Kafka clients are told to connect to; 0: the port the Kafka listener bound.', 0, MAX_PORT),
  logLevel: oneOf(LOG_LEVELS, 'info', 'Lowest level of the JSON log lines written to stdout.'),
  shutdownTimeoutMs: integer(
    10_000,
    'On SIGINT/SIGTERM, how long open connections get to finish; the whole stop is cut off (exit 1) at twice this.',
    1,
  ),
  heapGrowingPercent: integer(
    DEFAULT_HEAP_GROWING_PERCENT,
    "V8's old generation grows to (1 + this/100) times its live size before a full GC (process-wide); fewer GC pauses under load, 0 = V8's own heuristics.",
    0,
    10_000,
  ),
} satisfies Record<string, OptionSpec<unknown>>;

// Per-topic log defaults come from the storage layer's table (src/storage/log-config.ts).
const storageOptions = {
  flushPolicy: oneOf(
    ['always', 'interval', 'none'] as const,
    L.flush.kind,
    'always: a write is acknowledged after fdatasync (group commit); interval: fsync every flushIntervalMs; none: leave it to the OS.',
  ),
  flushIntervalMs: integer(1000, 'With flushPolicy interval: the longest time between fsyncs.', 1),
  segmentBytes: integer(
    L.segmentBytes,
    'Default for topics: roll the active segment at this size (segment.bytes).',
    1024,
    MAX_SEGMENT_BYTES,
  ),
  segmentMs: integer(L.segmentMs, 'Default for topics: roll the active segment at this age (segment.ms).', 1),
  indexIntervalBytes: integer(
    L.indexIntervalBytes,
    'Default for topics: one sparse offset-index entry every this many bytes (index.interval.bytes).',
    0,
    MAX_SEGMENT_BYTES,
  ),
  retentionMs: integer(L.retentionMs, 'Default for topics: delete closed segments older than this; -1 keeps forever (retention.ms).', -1),
  retentionBytes: integer(
    L.retentionBytes,
    'Default for topics: delete the oldest closed segments while a partition is larger; -1 = no limit (retention.bytes).',
    -1,
  ),
  timestampType: oneOf(
    ['CreateTime', 'LogAppendTime'] as const,
    L.timestampType,
    "Default for topics: keep the producer's timestamps or stamp the broker's clock (message.timestamp.type).",
  ),
  maxOpenFiles: integer(4096, 'File descriptors held open across all logs; an LRU closes the rest.', 16),
  retentionCheckIntervalMs: integer(5 * 60 * 1000, 'How often retention runs over every log.', 1),
  syncWriteMaxBytes: integer(
    DEFAULT_SYNC_WRITE_MAX_BYTES,
    'With flushPolicy always: appends written together up to this size are written on the main thread, so the fdatasync is their only thread-pool hop; 0 = always use the pool.',
    0,
  ),
  tailCacheMaxBytesPerPartition: integer(
    DEFAULT_TAIL_CACHE_MAX_BYTES_PER_PARTITION,
    'Recent appends kept in memory per partition, so consumers at the tail are answered without a disk read; 0 = off.',
    0,
  ),
  tailCacheMaxBytes: integer(
    DEFAULT_TAIL_CACHE_MAX_BYTES,
    'Memory for those tail caches across all partitions; the least recently appended partitions lose theirs first.',
    0,
  ),
} satisfies Record<string, OptionSpec<unknown>>;

// Defaults come from the native server's own table (src/protocols/native/limits.ts).
const nativeOptions = {
  maxConnections: integer(N.maxConnections, 'Native connections accepted at once; the next gets TOO_MANY_CONNECTIONS and is closed.', 1),
  maxFrameBytes: integer(
    N.maxFrameBytes,
    'Largest native frame accepted or sent; a larger one closes the connection (FRAME_TOO_LARGE).',
    1024,
  ),
  maxInFlightBytesPerConnection: integer(
    N.maxInFlightBytesPerConnection,
    'Request and unsent response bytes per connection before the socket is paused.',
    1024,
  ),
  maxInFlightRequestsPerConnection: integer(
    N.maxInFlightRequestsPerConnection,
    'Requests processed at once per connection (pipelining depth).',
    1,
  ),
  idleTimeoutMs: integer(N.idleTimeoutMs, 'A native connection with no traffic either way for this long is closed.', 1),
  handshakeTimeoutMs: integer(N.handshakeTimeoutMs, 'Time a new connection has to send its Hello.', 1),
  maxFetchWaitMs: integer(N.maxFetchWaitMs, "Upper bound on a fetch's long-poll wait, whatever the client asks.", 1),
  closeGraceMs: integer(N.closeGraceMs, 'After an error frame, how long the peer gets to read it before the socket is destroyed.', 1),
  maxQueueConsumersPerConnection: integer(
    N.maxQueueConsumersPerConnection,
    'Queue consumer handles (Subscribe) open at once on one native connection.',
    1,
  ),
  maxPushBufferedBytes: integer(
    N.maxPushBufferedBytes,
    "Queue deliveries a native connection's socket holds unsent; above it its consumers are held at prefetch 1 until it drains.",
    1024,
  ),
} satisfies Record<string, OptionSpec<unknown>>;

// Defaults come from the broker's own table (src/broker/config.ts), so they are set in one place.
// Defaults come from the Kafka listener's own table (src/protocols/kafka/limits.ts). Names carry a
// `kafka` prefix (`--kafka-max-connections`), since the native limits use the same field names.
const kafkaOptions = {
  maxConnections: integer(K.maxConnections, 'Kafka connections accepted at once; the next one is closed at once.', 1),
  maxRequestBytes: integer(
    K.maxRequestBytes,
    'Largest Kafka request frame (socket.request.max.bytes); a larger one closes the connection.',
    1024,
  ),
  maxInFlightRequestsPerConnection: integer(
    K.maxInFlightRequestsPerConnection,
    'Kafka requests read but not yet answered per connection.',
    1,
  ),
  maxInFlightBytesPerConnection: integer(
    K.maxInFlightBytesPerConnection,
    'Request and unsent response bytes per Kafka connection before the socket is paused.',
    1024,
  ),
  idleTimeoutMs: integer(K.idleTimeoutMs, 'A Kafka connection with no traffic for this long is closed (connections.max.idle.ms).', 1),
  closeGraceMs: integer(
    K.closeGraceMs,
    'After a Kafka protocol error, how long the peer gets to read the answer before the socket is destroyed.',
    1,
  ),
  topicIdRefreshIntervalMs: integer(
    K.topicIdRefreshIntervalMs,
    'Shortest interval between rebuilds of the topic-id index on an unknown topic id.',
    1,
  ),
} satisfies Record<string, OptionSpec<unknown>>;

const brokerOptions = {
  nodeId: integer(DEFAULT_BROKER_CONFIG.nodeId, "This broker's id (node.id); 0 on a single node.", 0),
  defaultPartitions: integer(DEFAULT_BROKER_CONFIG.defaultPartitions, 'Partitions of a topic created without a count (num.partitions).', 1),
  autoCreateTopics: boolean(
    DEFAULT_BROKER_CONFIG.autoCreateTopics,
    'Create unknown topics named in metadata requests (auto.create.topics.enable).',
  ),
  deleteTopicEnable: boolean(
    DEFAULT_BROKER_CONFIG.deleteTopicEnable,
    'Allow deleting topics; otherwise TOPIC_DELETION_DISABLED (delete.topic.enable).',
  ),
  maxMessageBytes: integer(
    DEFAULT_BROKER_CONFIG.maxMessageBytes,
    'Largest record batch a topic accepts unless it sets max.message.bytes (message.max.bytes).',
    0,
  ),
  maxPartitions: integer(
    DEFAULT_BROKER_CONFIG.maxPartitions,
    'Partitions across all topics; creating or growing beyond it gets INVALID_PARTITIONS.',
    1,
  ),
  metadataJournalMaxBytes: integer(
    DEFAULT_BROKER_CONFIG.metadataJournalMaxBytes,
    'Bytes of topic metadata journal (one record per topic change) before it is folded into its snapshot.',
    0,
  ),
  producerIdBlockSize: integer(DEFAULT_BROKER_CONFIG.producerIdBlockSize, 'Producer ids allocated per block persisted to disk.', 1),
  maxProducerIdsPerPartition: integer(
    DEFAULT_BROKER_CONFIG.maxProducerIdsPerPartition,
    'Producers whose sequence state one partition keeps (least recently active dropped).',
    1,
  ),
  producerIdExpirationMs: integer(
    DEFAULT_BROKER_CONFIG.producerIdExpirationMs,
    'An idle producer loses its sequence state after this long (producer.id.expiration.ms).',
    1,
  ),
  producerIdExpirationCheckIntervalMs: integer(
    DEFAULT_BROKER_CONFIG.producerIdExpirationCheckIntervalMs,
    'How often idle producers are looked for.',
    1,
  ),
  producerStateSnapshotIntervalMs: integer(
    DEFAULT_BROKER_CONFIG.producerStateSnapshotIntervalMs,
    'How often producer state is snapshotted; bounds the log scan after an unclean stop.',
    1,
  ),
  fetchMaxWaitMs: integer(
    DEFAULT_BROKER_CONFIG.fetchMaxWaitMs,
    'Longest long poll a fetch may ask the broker for; larger waits are capped.',
    0,
  ),
  fetchMaxBytes: integer(DEFAULT_BROKER_CONFIG.fetchMaxBytes, 'Largest fetch response; larger requests are capped (fetch.max.bytes).', 1),
  maxParkedFetches: integer(
    DEFAULT_BROKER_CONFIG.maxParkedFetches,
    'Fetches waiting in a long poll at once; above it a fetch answers at once.',
    0,
  ),
  groupMinSessionTimeoutMs: integer(
    DEFAULT_BROKER_CONFIG.groupMinSessionTimeoutMs,
    'Shortest session a group member may ask for (group.min.session.timeout.ms).',
    0,
  ),
  groupMaxSessionTimeoutMs: integer(
    DEFAULT_BROKER_CONFIG.groupMaxSessionTimeoutMs,
    'Longest session a group member may ask for (group.max.session.timeout.ms).',
    0,
  ),
  groupInitialRebalanceDelayMs: integer(
    DEFAULT_BROKER_CONFIG.groupInitialRebalanceDelayMs,
    'How long the first rebalance of an empty group waits for more members.',
    0,
  ),
  groupMaxSize: integer(DEFAULT_BROKER_CONFIG.groupMaxSize, 'Members per consumer group (group.max.size).', 1),
  groupMaxCount: integer(DEFAULT_BROKER_CONFIG.groupMaxCount, 'Consumer groups the broker holds; TOO_MANY_GROUPS above it.', 1),
  offsetsTopicPartitions: integer(DEFAULT_BROKER_CONFIG.offsetsTopicPartitions, 'Partitions of __consumer_offsets when it is created.', 1),
  offsetsRetentionMs: integer(DEFAULT_BROKER_CONFIG.offsetsRetentionMs, 'How long a group without members keeps its committed offsets.', 1),
  offsetsRetentionCheckIntervalMs: integer(
    DEFAULT_BROKER_CONFIG.offsetsRetentionCheckIntervalMs,
    'How often expired committed offsets are looked for.',
    1,
  ),
  offsetMetadataMaxBytes: integer(
    DEFAULT_BROKER_CONFIG.offsetMetadataMaxBytes,
    "UTF-8 bytes of one committed offset's metadata string.",
    0,
  ),
  groupMaxMemberMetadataBytes: integer(
    DEFAULT_BROKER_CONFIG.groupMaxMemberMetadataBytes,
    "Bytes of one member's JoinGroup metadata, and of one assignment.",
    0,
  ),
  groupMaxProtocolsPerMember: integer(
    DEFAULT_BROKER_CONFIG.groupMaxProtocolsPerMember,
    'Protocols (assignors) one member may offer in JoinGroup.',
    1,
  ),
} satisfies Record<string, OptionSpec<unknown>>;

// Recording metrics costs a little on every produce and fetch; `enabled` exists so that cost can
// be measured (bench) and switched off. Names carry a `metrics` prefix (`--metrics-enabled`).
const metricsOptions = {
  enabled: boolean(true, 'Record broker, protocol and process metrics and serve them at GET /metrics on the HTTP port (Prometheus text).'),
  eventLoopResolutionMs: integer(
    10,
    'Sampling resolution of the event-loop lag histogram behind nodejs_eventloop_lag_* (prom-client monitorEventLoopDelay).',
    1,
    1000,
  ),
} satisfies Record<string, OptionSpec<unknown>>;

// The HTTP port's request bounds, defaults from the admin API's own table
// (src/protocols/http/admin/limits.ts). Names carry an `http` prefix (`--http-max-body-bytes`).
const httpOptions = {
  maxBodyBytes: integer(DEFAULT_HTTP_MAX_BODY_BYTES, 'Largest HTTP request body accepted; a larger one gets 413.', 1024),
  maxPeekRecords: integer(A.maxPeekRecords, 'Most records one admin API page (peek, dead letters) returns; a larger limit gets 400.', 1),
  maxPeekBytes: integer(
    A.maxPeekBytes,
    'Most record bytes one admin API page returns (at least one record is returned whatever its size).',
    1,
  ),
  maxProduceRecords: integer(A.maxProduceRecords, 'Most records one POST /api/topics/{topic}/records may carry.', 1),
} satisfies Record<string, OptionSpec<unknown>>;

// Defaults and bounds come from the queue engine's own table (src/broker/queues/config.ts). Names
// carry a `queue` prefix (`--queue-max-prefetch`). Tuning knobs that matter only to benchmarks
// and tests are file keys only (FILE_ONLY_QUEUE_OPTIONS), so `ferry start --help` stays readable.
const queueOptions = {
  maxSubscriptions: integer(Q.maxSubscriptions, 'Subscriptions across all topics.', ...QR.maxSubscriptions),
  maxConsumersPerSubscription: integer(
    Q.maxConsumersPerSubscription,
    'Consumers attached to one subscription; the next gets CONSUMER_BUSY.',
    ...QR.maxConsumersPerSubscription,
  ),
  defaultPrefetch: integer(
    Q.defaultPrefetch,
    'Unacknowledged records a consumer may hold when it does not ask for a prefetch.',
    ...QR.defaultPrefetch,
  ),
  maxPrefetch: integer(Q.maxPrefetch, 'Largest prefetch a consumer may ask for.', ...QR.maxPrefetch),
  defaultAckTimeoutMs: integer(
    Q.defaultAckTimeoutMs,
    'Ack deadline of subscriptions created without one: a record not acknowledged in time is redelivered.',
    ...QR.defaultAckTimeoutMs,
  ),
  maxAckTimeoutMs: integer(Q.maxAckTimeoutMs, 'Largest ack deadline, deadline extension or nack delay accepted.', ...QR.maxAckTimeoutMs),
  defaultMaxDeliveries: integer(
    Q.defaultMaxDeliveries,
    'Deliveries before a record goes to the dead-letter topic, for subscriptions created without a value; 0: never.',
    ...QR.defaultMaxDeliveries,
  ),
  redeliveryBackoffMinMs: integer(
    Q.redeliveryBackoffMinMs,
    'Default redelivery backoff: delay after the first failed delivery.',
    ...QR.redeliveryBackoffMinMs,
  ),
  redeliveryBackoffMaxMs: integer(Q.redeliveryBackoffMaxMs, 'Default redelivery backoff: longest delay.', ...QR.redeliveryBackoffMaxMs),
  redeliveryBackoffFactor: decimal(
    Q.redeliveryBackoffFactor,
    'Default redelivery backoff: growth per failed delivery.',
    ...QR.redeliveryBackoffFactor,
  ),
  redeliveryBackoffJitter: decimal(
    Q.redeliveryBackoffJitter,
    'Default redelivery backoff: fraction of a delay taken off at random.',
    ...QR.redeliveryBackoffJitter,
  ),
  maxUnackedPerPartition: integer(
    Q.maxUnackedPerPartition,
    'Delivered, unacknowledged records per subscription partition; no new record is read beyond it.',
    ...QR.maxUnackedPerPartition,
  ),
  readChunkBytes: integer(Q.readChunkBytes, 'Bytes a subscription reads from a partition log per step.', ...QR.readChunkBytes),
  keySharedMaxBlockedRecords: integer(
    Q.keySharedMaxBlockedRecords,
    'Records a key_shared subscription partition holds back for busy keys.',
    ...QR.keySharedMaxBlockedRecords,
  ),
  deadlineCheckIntervalMs: integer(
    Q.deadlineCheckIntervalMs,
    'How often ack deadlines and due redeliveries are checked.',
    ...QR.deadlineCheckIntervalMs,
  ),
  stateSegmentBytes: integer(Q.stateSegmentBytes, 'Segment size of the __subscriptions topic.', ...QR.stateSegmentBytes),
  stateSnapshotBytes: integer(Q.stateSnapshotBytes, 'Journal bytes in __subscriptions between full snapshots.', ...QR.stateSnapshotBytes),
  stateFlushPolicy: matching(
    Q.stateFlushPolicy,
    'Flush policy of __subscriptions; always: an ack is fsynced before it is confirmed.',
    'always|none|interval:<ms>',
    isStateFlushPolicy,
  ),
  retentionCheckIntervalMs: integer(
    Q.retentionCheckIntervalMs,
    'How often until_acked retention and topic backlog overflow without subscriptions run.',
    ...QR.retentionCheckIntervalMs,
  ),
  scheduleTickMs: integer(Q.scheduleTickMs, 'Timing wheel tick of scheduled delivery.', ...QR.scheduleTickMs),
  scheduleBucketMs: integer(Q.scheduleBucketMs, 'Width of one on-disk schedule index bucket.', ...QR.scheduleBucketMs),
  scheduleMaxPending: integer(
    Q.scheduleMaxPending,
    'Scheduled records pending at once; a produce beyond it gets BACKLOG_LIMIT_EXCEEDED.',
    ...QR.scheduleMaxPending,
  ),
  scheduleMaxDelayMs: integer(
    Q.scheduleMaxDelayMs,
    'Farthest delivery time accepted, from now; beyond it INVALID_RECORD.',
    ...QR.scheduleMaxDelayMs,
  ),
  scheduleScanCompressed: boolean(
    Q.scheduleScanCompressed,
    'Decompress compressed produce batches to look for scheduling headers; false: only uncompressed batches schedule.',
  ),
  scheduleCheckpointIntervalMs: integer(
    Q.scheduleCheckpointIntervalMs,
    'How often the schedule index is synced and its rebuild checkpoint moved.',
    ...QR.scheduleCheckpointIntervalMs,
  ),
} satisfies Record<string, OptionSpec<unknown>>;

/** Queue options set only in the config file (no flag, no env variable). */
const FILE_ONLY_QUEUE_OPTIONS: ReadonlySet<string> = new Set([
  'redeliveryBackoffMinMs',
  'redeliveryBackoffMaxMs',
  'redeliveryBackoffFactor',
  'redeliveryBackoffJitter',
  'readChunkBytes',
  'keySharedMaxBlockedRecords',
  'deadlineCheckIntervalMs',
  'stateSegmentBytes',
  'stateSnapshotBytes',
  'retentionCheckIntervalMs',
  'scheduleTickMs',
  'scheduleBucketMs',
  'scheduleScanCompressed',
  'scheduleCheckpointIntervalMs',
]);

// Built-in alerting (docs/alerts.md); defaults from src/observability/alerts/alert-manager.ts.
// Names carry an `alerts` prefix (`--alerts-enabled`); rules and notifiers are structured, so
// they live in the config file only.
const alertsOptions = {
  enabled: boolean(
    AL.enabled,
    'Evaluate alert rules and send notifications; false: rules are listed by GET /api/alerts but never evaluated.',
  ),
  defaultRules: boolean(
    AL.defaultRules,
    'Evaluate the built-in rules (disk, consumer lag, dead letters, latency, event loop, offline partitions).',
  ),
  evaluationIntervalMs: integer(AL.evaluationIntervalMs, 'How often rules are evaluated; also the sampling step of rate() windows.', 100),
  repeatIntervalMs: integer(
    AL.repeatIntervalMs,
    'A firing alert is sent again after this long while it keeps firing (a rule may set its own repeatInterval).',
    1000,
  ),
  resolvedRetentionMs: integer(AL.resolvedRetentionMs, 'How long a resolved alert stays listed by GET /api/alerts.', 0),
  maxSeries: integer(AL.maxSeries, 'Metric series sampled for alert rules; series beyond it are not evaluated (one warning).', 1),
  maxInstancesPerRule: integer(
    AL.maxInstancesPerRule,
    'Alert instances (one per series) one rule tracks; more are ignored with a warning.',
    1,
  ),
  maxSilences: integer(AL.maxSilences, 'Active silences; POST /api/silences beyond it gets 400.', 1),
  maxPendingNotifications: integer(
    AL.maxPendingNotifications,
    'Notifications queued or being delivered across all notifiers; more are dropped with a warning.',
    1,
  ),
  defaultNotifiers: optionalText(
    'Comma-separated notifier names for rules that name none (the built-in rules too); empty: such alerts are only listed and logged.',
    '<names>',
  ),
  rules: json(
    AL.rules,
    'Alert rules: a list of { name, expr, for, severity, labels, summary, description, notifiers, repeatInterval }.',
    (v) => checkRulesConfig(v),
  ),
  notifiers: json(AL.notifiers, 'Named notifiers: { "<name>": { "type": "webhook" | "email" | "command", ... } }.', (v) =>
    checkNotifiersConfig(v),
  ),
} satisfies Record<string, OptionSpec<unknown>>;

const FILE_ONLY_ALERT_OPTIONS: ReadonlySet<string> = new Set(['rules', 'notifiers']);

export type ServerSettings = ValuesOf<typeof serverOptions>;
export type MetricsSettings = ValuesOf<typeof metricsOptions>;
export type StorageSettings = ValuesOf<typeof storageOptions>;
export type NativeSettings = ValuesOf<typeof nativeOptions>;
export type BrokerSettings = ValuesOf<typeof brokerOptions>;
export type KafkaSettings = ValuesOf<typeof kafkaOptions>;
export type QueueSettings = ValuesOf<typeof queueOptions>;
export type HttpSettings = ValuesOf<typeof httpOptions>;
export type AlertsSettings = ValuesOf<typeof alertsOptions>;

export interface FerryConfig extends ServerSettings {
  storage: StorageSettings;
  broker: BrokerSettings;
  native: NativeSettings;
  kafka: KafkaSettings;
  metrics: MetricsSettings;
  queues: QueueSettings;
  http: HttpSettings;
  alerts: AlertsSettings;
}

export type ConfigSection = 'server' | 'storage' | 'broker' | 'native' | 'kafka' | 'metrics' | 'queues' | 'http' | 'alerts';

/** One row of the option table, with its names in every source. */
export interface ConfigOption {
  section: ConfigSection;
  field: string;
  /** File key: `nativePort`, `storage.flushPolicy`. */
  key: string;
  /** `--native-port`; null for an option set only in the config file. */
  flag: string | null;
  /** `FERRY_NATIVE_PORT`; null for an option set only in the config file. */
  env: string | null;
  spec: OptionSpec<unknown>;
}

/** `namePrefix` goes in front of the flag and env names of a section whose fields repeat another's. */
function rows(
  section: ConfigSection,
  table: Record<string, OptionSpec<unknown>>,
  namePrefix = '',
  fileOnly: ReadonlySet<string> = new Set(),
): ConfigOption[] {
  return Object.entries(table).map(([field, spec]) => ({
    section,
    field,
    key: section === 'server' ? field : `${section}.${field}`,
    flag: fileOnly.has(field) ? null : `--${namePrefix ? `${namePrefix}-` : ''}${kebabCase(field)}`,
    env: fileOnly.has(field) ? null : `FERRY_${namePrefix ? `${namePrefix.toUpperCase()}_` : ''}${screamingSnakeCase(field)}`,
    spec,
  }));
}

/** Every option, in the order docs and `--help` list them. */
export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  ...rows('server', serverOptions),
  ...rows('storage', storageOptions),
  ...rows('broker', brokerOptions),
  ...rows('native', nativeOptions),
  ...rows('kafka', kafkaOptions, 'kafka'),
  ...rows('metrics', metricsOptions, 'metrics'),
  ...rows('queues', queueOptions, 'queue', FILE_ONLY_QUEUE_OPTIONS),
  ...rows('http', httpOptions, 'http'),
  ...rows('alerts', alertsOptions, 'alerts', FILE_ONLY_ALERT_OPTIONS),
];

const BY_KEY = new Map(CONFIG_OPTIONS.map((o) => [o.key, o]));
const BY_ENV = new Map(CONFIG_OPTIONS.flatMap((o) => (o.env === null ? [] : [[o.env, o] as const])));

// Flags and env names come from field names (and a section's prefix): they must stay unique.
if (BY_ENV.size !== CONFIG_OPTIONS.filter((o) => o.env !== null).length) {
  throw new Error('config options: two fields derive the same flag and env name');
}

/** FERRY_* variables that belong to other tools, not to the server's config. */
export const NON_CONFIG_ENV: ReadonlySet<string> = new Set(['FERRY_BROKER', 'FERRY_CONFIG', 'FERRY_SEED']);

export function optionByKey(key: string): ConfigOption | undefined {
  return BY_KEY.get(key);
}

export function optionByEnv(name: string): ConfigOption | undefined {
  return BY_ENV.get(name);
}

/** A value as a source gave it, with where it came from (for error messages). */
export interface ConfigEntry {
  key: string;
  raw: RawValue;
  /** `flag --native-port`, `env FERRY_NATIVE_PORT`, `file ferry.json` */
  origin: string;
}

/** Sources, lowest precedence first is not required: precedence is fixed (flags > env > file). */
export interface ConfigSources {
  flags?: readonly ConfigEntry[];
  env?: readonly ConfigEntry[];
  file?: readonly ConfigEntry[];
}

export function configError(message: string, details: Record<string, unknown>): FerryError {
  return new FerryError(ErrorCode.INVALID_CONFIG, message, details);
}

export function unknownKeyError(key: string, origin: string, candidates: Iterable<string>): FerryError {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  const hint = best !== null && bestDistance <= Math.max(2, key.length / 4) ? ` (did you mean ${best}?)` : '';
  return configError(`unknown config key ${key} in ${origin}${hint}`, { key, origin });
}

/**
 * Builds the config from its sources. Precedence: flags > env > file > defaults. Throws
 * INVALID_CONFIG naming the key and its source for an unknown key or a bad value.
 */
export function resolveConfig(sources: ConfigSources = {}): FerryConfig {
  const chosen = new Map<string, ConfigEntry>();
  // Lowest first, so higher sources overwrite.
  for (const entries of [sources.file, sources.env, sources.flags]) {
    for (const entry of entries ?? []) {
      if (!BY_KEY.has(entry.key)) throw unknownKeyError(entry.key, entry.origin, BY_KEY.keys());
      chosen.set(entry.key, entry);
    }
  }
  const sections: Record<ConfigSection, Record<string, unknown>> = {
    server: {},
    storage: {},
    broker: {},
    native: {},
    kafka: {},
    metrics: {},
    queues: {},
    http: {},
    alerts: {},
  };
  for (const option of CONFIG_OPTIONS) {
    const entry = chosen.get(option.key);
    let value = option.spec.defaultValue;
    if (entry) {
      const parsed = option.spec.parse(entry.raw);
      if ('expected' in parsed) {
        // A structured value (alert rules) can be long: its checker's message names the bad field.
        const shown = option.spec.acceptsJson ? '' : ` ${JSON.stringify(entry.raw)}`;
        throw configError(`invalid value${shown} for ${option.key} (${entry.origin}): expected ${parsed.expected}`, {
          key: option.key,
          origin: entry.origin,
        });
      }
      value = parsed.value;
    }
    sections[option.section][option.field] = value;
  }
  // Every field was filled from the typed tables above, so the shapes match by construction.
  const config = {
    ...(sections.server as ServerSettings),
    storage: sections.storage as StorageSettings,
    broker: sections.broker as BrokerSettings,
    native: sections.native as NativeSettings,
    kafka: sections.kafka as KafkaSettings,
    metrics: sections.metrics as MetricsSettings,
    queues: sections.queues as QueueSettings,
    http: sections.http as HttpSettings,
    alerts: sections.alerts as AlertsSettings,
  };
  checkCrossFieldRules(config, chosen);
  return config;
}

function originOf(chosen: Map<string, ConfigEntry>, key: string): string {
  return chosen.get(key)?.origin ?? 'default';
}

/** The other field of each queue rule that compares two fields, so an error names both sources. */
const QUEUE_RULE_PARTNERS: Readonly<Record<string, string>> = {
  defaultPrefetch: 'maxPrefetch',
  redeliveryBackoffMinMs: 'redeliveryBackoffMaxMs',
};

function checkCrossFieldRules(config: FerryConfig, chosen: Map<string, ConfigEntry>): void {
  // The queue engine's own rules (defaultPrefetch <= maxPrefetch, backoff min <= max), checked
  // here so a bad pair fails before anything opens, naming where the value came from.
  try {
    resolveQueueConfig(config.queues);
  } catch (error) {
    const field = String(toFerryError(error).details?.key ?? '');
    const key = `queues.${field}`;
    const partner = QUEUE_RULE_PARTNERS[field];
    const origins =
      partner === undefined
        ? originOf(chosen, key)
        : `${key}: ${originOf(chosen, key)}, queues.${partner}: ${originOf(chosen, `queues.${partner}`)}`;
    throw configError(`${toFerryError(error).message} (${origins})`, { key, origin: originOf(chosen, key) });
  }
  try {
    checkAlertsConfig(config.alerts);
  } catch (error) {
    // The routes span three keys; name the source of the first one that was set.
    const origin =
      ['alerts.rules', 'alerts.notifiers', 'alerts.defaultNotifiers'].map((k) => chosen.get(k)?.origin).find(Boolean) ?? 'default';
    throw configError(`${toFerryError(error).message} (${origin})`, { key: 'alerts.notifiers', origin });
  }
  const ports: [string, number][] = [
    ['nativePort', config.nativePort],
    ['httpPort', config.httpPort],
    // `auto` tries Kafka's usual port and gives way if it is taken: no conflict to report.
    ['kafkaPort', config.kafkaPort === 'auto' ? 0 : config.kafkaPort],
  ];
  const bound = ports.filter(([, port]) => port > 0);
  for (let i = 0; i < bound.length; i++) {
    for (let j = i + 1; j < bound.length; j++) {
      const [a, portA] = bound[i]!;
      const [b, portB] = bound[j]!;
      if (portA !== portB) continue;
      throw configError(`${a} (${originOf(chosen, a)}) and ${b} (${originOf(chosen, b)}) are both ${portA}: they must differ`, {
        key: b,
        origin: originOf(chosen, b),
      });
    }
  }
}

/** The defaults alone: what `ferry start` runs with when nothing is set. */
export const DEFAULT_FERRY_CONFIG: Readonly<FerryConfig> = resolveConfig();
