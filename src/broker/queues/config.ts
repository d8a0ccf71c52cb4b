import { ErrorCode, FerryError } from '../../common/errors.ts';

/**
 * Settings of the queue engine: one typed object, defaults in one place, every bound an option
 * (docs/queues.md lists them). Per-subscription values (ack timeout, max deliveries, backoff)
 * are the defaults a subscription gets when created without its own.
 */
export interface QueueConfig {
  /** Subscriptions across all topics. */
  maxSubscriptions: number;
  /** Consumers attached to one subscription (CONSUMER_BUSY above it). */
  maxConsumersPerSubscription: number;
  /** Prefetch of a consumer that does not ask for one. */
  defaultPrefetch: number;
  /** Largest prefetch a consumer may ask for. */
  maxPrefetch: number;
  defaultAckTimeoutMs: number;
  /** Largest ack deadline (and deadline extension) accepted. */
  maxAckTimeoutMs: number;
  /** 0: never dead-letter. */
  defaultMaxDeliveries: number;
  redeliveryBackoffMinMs: number;
  redeliveryBackoffMaxMs: number;
  redeliveryBackoffFactor: number;
  redeliveryBackoffJitter: number;
  /** Unacknowledged delivered records per subscription partition: no new record is read beyond
   *  it, so nack loops and stuck consumers cannot grow broker memory. */
  maxUnackedPerPartition: number;
  /** Bytes read from a partition log per step when filling consumers. */
  readChunkBytes: number;
  /** Records a key_shared subscription partition holds back for a busy key's consumer. */
  keySharedMaxBlockedRecords: number;
  /** How often ack deadlines and due redeliveries are checked. */
  deadlineCheckIntervalMs: number;
  /** Segment size of `__subscriptions`. */
  stateSegmentBytes: number;
  /** After this many journal bytes, the state is snapshotted and older journal segments go. */
  stateSnapshotBytes: number;
  /** Flush policy of `__subscriptions` (`always`: an ack is fsynced before it is confirmed). */
  stateFlushPolicy: 'always' | 'none' | `interval:${number}`;
  /** How often `until_acked` retention and topic-level overflow without subscriptions run. */
  retentionCheckIntervalMs: number;
  /** Timing wheel tick: scheduled records are appended within about this of their time. */
  scheduleTickMs: number;
  /** Width of one on-disk schedule index bucket; the wheel holds the next two. */
  scheduleBucketMs: number;
  /** Scheduled records pending at once (BACKLOG_LIMIT_EXCEEDED above it). */
  scheduleMaxPending: number;
  /** Farthest a record may be scheduled into the future (INVALID_RECORD beyond). */
  scheduleMaxDelayMs: number;
  /** Decompress compressed produce batches to look for scheduling headers. Off: only
   *  uncompressed batches can schedule (saves the decompression on the produce path). */
  scheduleScanCompressed: boolean;
  /** How often the schedule index is synced and its rebuild checkpoint moved. */
  scheduleCheckpointIntervalMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_QUEUE_CONFIG: Readonly<QueueConfig> = Object.freeze({
  maxSubscriptions: 10_000,
  maxConsumersPerSubscription: 1_000,
  defaultPrefetch: 1_000,
  maxPrefetch: 100_000,
  defaultAckTimeoutMs: 30_000,
  maxAckTimeoutMs: 12 * 60 * 60 * 1000,
  defaultMaxDeliveries: 10,
  redeliveryBackoffMinMs: 100,
  redeliveryBackoffMaxMs: 60_000,
  redeliveryBackoffFactor: 2,
  redeliveryBackoffJitter: 0.2,
  maxUnackedPerPartition: 100_000,
  readChunkBytes: 256 * 1024,
  keySharedMaxBlockedRecords: 10_000,
  deadlineCheckIntervalMs: 25,
  stateSegmentBytes: 16 * 1024 * 1024,
  stateSnapshotBytes: 8 * 1024 * 1024,
  stateFlushPolicy: 'always',
  retentionCheckIntervalMs: 1_000,
  scheduleTickMs: 10,
  scheduleBucketMs: 10_000,
  scheduleMaxPending: 10_000_000,
  scheduleMaxDelayMs: 365 * DAY_MS,
  scheduleScanCompressed: true,
  scheduleCheckpointIntervalMs: 5_000,
});

export type NumericQueueKey = { [K in keyof QueueConfig]: QueueConfig[K] extends number ? K : never }[keyof QueueConfig];
type NumericKey = NumericQueueKey;

/** [min, max] of every numeric option; all are integers except the backoff factor and jitter.
 *  Exported so the server's config table checks the same bounds at the edge. */
export const QUEUE_CONFIG_RANGES: Readonly<Record<NumericKey, readonly [number, number]>> = {
  maxSubscriptions: [1, 1_000_000],
  maxConsumersPerSubscription: [1, 1_000_000],
  defaultPrefetch: [1, 10_000_000],
  maxPrefetch: [1, 10_000_000],
  defaultAckTimeoutMs: [1, Number.MAX_SAFE_INTEGER],
  maxAckTimeoutMs: [1, Number.MAX_SAFE_INTEGER],
  defaultMaxDeliveries: [0, 1_000_000],
  redeliveryBackoffMinMs: [0, Number.MAX_SAFE_INTEGER],
  redeliveryBackoffMaxMs: [0, Number.MAX_SAFE_INTEGER],
  redeliveryBackoffFactor: [1, 1_000],
  redeliveryBackoffJitter: [0, 1],
  maxUnackedPerPartition: [1, 100_000_000],
  readChunkBytes: [1, 64 * 1024 * 1024],
  keySharedMaxBlockedRecords: [1, 10_000_000],
  deadlineCheckIntervalMs: [1, 60_000],
  stateSegmentBytes: [64 * 1024, 0x7fff_ffff],
  stateSnapshotBytes: [1, Number.MAX_SAFE_INTEGER],
  retentionCheckIntervalMs: [1, Number.MAX_SAFE_INTEGER],
  scheduleTickMs: [1, 1_000],
  scheduleBucketMs: [100, DAY_MS],
  scheduleMaxPending: [0, Number.MAX_SAFE_INTEGER],
  scheduleMaxDelayMs: [1, Number.MAX_SAFE_INTEGER],
  scheduleCheckpointIntervalMs: [1, Number.MAX_SAFE_INTEGER],
};

const FRACTIONAL: ReadonlySet<NumericKey> = new Set(['redeliveryBackoffFactor', 'redeliveryBackoffJitter']);

const STATE_FLUSH_POLICY_PATTERN = /^(always|none|interval:[1-9]\d*)$/;

export function isStateFlushPolicy(text: string): text is QueueConfig['stateFlushPolicy'] {
  return STATE_FLUSH_POLICY_PATTERN.test(text);
}

/** Merges `overrides` over the defaults and validates once (INVALID_CONFIG names the option). */
export function resolveQueueConfig(overrides: Partial<QueueConfig> = {}): QueueConfig {
  const config: QueueConfig = { ...DEFAULT_QUEUE_CONFIG };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  for (const key of Object.keys(QUEUE_CONFIG_RANGES) as NumericKey[]) {
    const value = config[key];
    const [min, max] = QUEUE_CONFIG_RANGES[key];
    const isNumber = typeof value === 'number' && (FRACTIONAL.has(key) ? Number.isFinite(value) : Number.isSafeInteger(value));
    if (!isNumber || value < min || value > max) {
      throw new FerryError(ErrorCode.INVALID_CONFIG, `queue config ${key} must be a number in [${min}, ${max}], got ${String(value)}`, {
        key,
        value,
      });
    }
  }
  if (config.maxPrefetch < config.defaultPrefetch) {
    throw new FerryError(ErrorCode.INVALID_CONFIG, 'queue config defaultPrefetch is above maxPrefetch', { key: 'defaultPrefetch' });
  }
  if (config.redeliveryBackoffMaxMs < config.redeliveryBackoffMinMs) {
    throw new FerryError(ErrorCode.INVALID_CONFIG, 'queue config redeliveryBackoffMinMs is above redeliveryBackoffMaxMs', {
      key: 'redeliveryBackoffMinMs',
    });
  }
  if (!STATE_FLUSH_POLICY_PATTERN.test(config.stateFlushPolicy)) {
    throw new FerryError(ErrorCode.INVALID_CONFIG, `queue config stateFlushPolicy must be always, none or interval:<ms>`, {
      key: 'stateFlushPolicy',
    });
  }
  if (typeof config.scheduleScanCompressed !== 'boolean') {
    throw new FerryError(ErrorCode.INVALID_CONFIG, 'queue config scheduleScanCompressed must be a boolean', {
      key: 'scheduleScanCompressed',
    });
  }
  return config;
}
