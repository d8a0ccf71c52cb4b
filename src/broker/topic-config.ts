import { ErrorCode, FerryError } from '../common/errors.ts';
import { BATCH_HEADER_BYTES } from '../common/record-batch-header.ts';
import type { FlushPolicy, LogConfig } from '../storage/types.ts';
import { QUEUE_TOPIC_KEY_SPECS } from './queues/topic-policy-config.ts';
import type { TopicConfigEntries } from './types.ts';

/**
 * Topic config in Kafka's names and string values, mapped onto the storage's LogConfig. Every key
 * is validated as Kafka validates it (TopicConfig / LogConfig.configDef); an unknown key or a bad
 * value is INVALID_CONFIG naming the key and the reason.
 */

interface KeySpec {
  /** Why `value` is not acceptable, or null when it is. */
  check(value: string): string | null;
  /** Writes the (valid) value into the log config being built. Store-only keys have none. */
  apply?(value: string, log: LogConfig): void;
  /** The effective value when the topic does not override it. */
  defaultValue(log: LogConfig): string;
}

const INTEGER = /^-?\d+$/;

function integerAtLeast(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => string | null {
  return (value) => {
    if (!INTEGER.test(value) || !Number.isSafeInteger(Number(value))) return `"${value}" is not an integer`;
    if (Number(value) < min) return `${value} is below the minimum of ${min}`;
    if (Number(value) > max) return `${value} is above the maximum of ${max}`;
    return null;
  };
}

/** Storage's bounds: a segment holds at least one batch header, and positions are int32. */
const MIN_BATCH_BYTES = BATCH_HEADER_BYTES;
const MAX_SEGMENT_BYTES = 0x7fff_ffff;

function oneOf(...allowed: string[]): (value: string) => string | null {
  return (value) => (allowed.includes(value) ? null : `"${value}" is not one of ${allowed.join(', ')}`);
}

export function parseFlushPolicy(value: string): FlushPolicy | null {
  if (value === 'always') return { kind: 'always' };
  if (value === 'none') return { kind: 'none' };
  const match = /^interval:(\d+)$/.exec(value);
  if (match === null) return null;
  const intervalMs = Number(match[1]);
  return Number.isSafeInteger(intervalMs) && intervalMs >= 1 ? { kind: 'interval', intervalMs } : null;
}

export function formatFlushPolicy(policy: FlushPolicy): string {
  return policy.kind === 'interval' ? `interval:${policy.intervalMs}` : policy.kind;
}

/** `compact`, `delete` or both (Kafka accepts a list). */
function parseCleanupPolicy(value: string): Set<string> | null {
  const parts = value.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part !== 'compact' && part !== 'delete')) return null;
  return new Set(parts);
}

const KEYS: Readonly<Record<string, KeySpec>> = {
  'retention.ms': {
    check: integerAtLeast(-1),
    apply: (value, log) => (log.retentionMs = Number(value)),
    defaultValue: (log) => String(log.retentionMs),
  },
  'retention.bytes': {
    check: integerAtLeast(-1),
    apply: (value, log) => (log.retentionBytes = Number(value)),
    defaultValue: (log) => String(log.retentionBytes),
  },
  'segment.bytes': {
    check: integerAtLeast(MIN_BATCH_BYTES, MAX_SEGMENT_BYTES),
    apply: (value, log) => (log.segmentBytes = Number(value)),
    defaultValue: (log) => String(log.segmentBytes),
  },
  'segment.ms': {
    check: integerAtLeast(1),
    apply: (value, log) => (log.segmentMs = Number(value)),
    defaultValue: (log) => String(log.segmentMs),
  },
  'segment.index.bytes': {
    // Accepted for Kafka tools that send it; Ferry's storage sizes its indexes itself.
    check: integerAtLeast(4),
    defaultValue: () => '10485760',
  },
  'index.interval.bytes': {
    check: integerAtLeast(0, MAX_SEGMENT_BYTES),
    apply: (value, log) => (log.indexIntervalBytes = Number(value)),
    defaultValue: (log) => String(log.indexIntervalBytes),
  },
  'max.message.bytes': {
    check: integerAtLeast(MIN_BATCH_BYTES, MAX_SEGMENT_BYTES),
    apply: (value, log) => (log.maxBatchBytes = Number(value)),
    defaultValue: (log) => String(log.maxBatchBytes),
  },
  'message.timestamp.type': {
    check: oneOf('CreateTime', 'LogAppendTime'),
    apply: (value, log) => (log.timestampType = value as LogConfig['timestampType']),
    defaultValue: (log) => log.timestampType,
  },
  'cleanup.policy': {
    check: (value) => (parseCleanupPolicy(value) === null ? `"${value}" is not delete, compact or compact,delete` : null),
    defaultValue: () => 'delete',
  },
  'compression.type': {
    // Batches are stored as the producer compressed them; recompression is not offered.
    check: (value) => (value === 'producer' ? null : `"${value}" is not supported: Ferry stores batches as produced (use producer)`),
    defaultValue: () => 'producer',
  },
  'flush.policy': {
    check: (value) => (parseFlushPolicy(value) === null ? `"${value}" is not always, none or interval:<ms>` : null),
    apply: (value, log) => (log.flush = parseFlushPolicy(value)!),
    defaultValue: (log) => formatFlushPolicy(log.flush),
  },
  // The topic's queue policy (ferry.queue.*, docs/queues.md): stored with the topic, applied by
  // the queue engine (Broker hands it over on create, alter and open); nothing in the LogConfig.
  ...Object.fromEntries(
    Object.entries(QUEUE_TOPIC_KEY_SPECS).map(([key, spec]): [string, KeySpec] => [
      key,
      { check: spec.check, defaultValue: () => spec.defaultValue },
    ]),
  ),
};

/** Every topic config key Ferry accepts, sorted. */
export const TOPIC_CONFIG_KEYS: readonly string[] = Object.keys(KEYS).sort();

function specOf(key: string): KeySpec {
  const spec = Object.hasOwn(KEYS, key) ? KEYS[key] : undefined;
  if (spec === undefined) {
    throw new FerryError(ErrorCode.INVALID_CONFIG, `unknown topic config ${key} (known: ${TOPIC_CONFIG_KEYS.join(', ')})`, { key });
  }
  return spec;
}

/** Checks every entry; returns a plain copy. INVALID_CONFIG names the first bad key. */
export function validateTopicConfig(entries: TopicConfigEntries | undefined): TopicConfigEntries {
  const valid: TopicConfigEntries = {};
  if (entries === undefined || entries === null) return valid;
  if (typeof entries !== 'object') throw new FerryError(ErrorCode.INVALID_CONFIG, 'topic config must be an object of strings');
  for (const [key, value] of Object.entries(entries)) {
    const spec = specOf(key);
    if (typeof value !== 'string') {
      throw new FerryError(ErrorCode.INVALID_CONFIG, `topic config ${key} must be a string, got ${typeof value}`, { key });
    }
    const reason = spec.check(value);
    if (reason !== null) throw new FerryError(ErrorCode.INVALID_CONFIG, `topic config ${key}: ${reason}`, { key, value });
    valid[key] = value;
  }
  return valid;
}

/** Checks that every key to remove is a known key (Kafka refuses unknown ones too). */
export function validateConfigKeys(keys: readonly string[]): void {
  for (const key of keys) specOf(key);
}

/** True when the topic's cleanup policy has `compact` but not `delete`. */
export function isCompactOnly(overrides: TopicConfigEntries): boolean {
  const policy = parseCleanupPolicy(overrides['cleanup.policy'] ?? 'delete');
  return policy?.has('compact') === true && !policy.has('delete');
}

/**
 * The LogConfig of a topic: its overrides applied over the broker's defaults. Compaction is not
 * built yet, so a compact-only topic keeps its whole log (no time or size retention) rather than
 * losing the latest value of a key to segment deletion.
 */
export function topicLogConfig(defaults: LogConfig, overrides: TopicConfigEntries): LogConfig {
  const log: LogConfig = { ...defaults, flush: { ...defaults.flush } };
  for (const [key, value] of Object.entries(overrides)) specOf(key).apply?.(value, log);
  if (isCompactOnly(overrides)) {
    log.retentionMs = -1;
    log.retentionBytes = -1;
  }
  return log;
}

/** Every key with its effective value: the override, else the broker default. */
export function effectiveTopicConfig(defaults: LogConfig, overrides: TopicConfigEntries): TopicConfigEntries {
  const entries: TopicConfigEntries = {};
  for (const key of TOPIC_CONFIG_KEYS) entries[key] = overrides[key] ?? KEYS[key]!.defaultValue(defaults);
  return entries;
}

/** What describeTopic says about a topic's config that the values alone do not. */
export function topicConfigWarnings(overrides: TopicConfigEntries): string[] {
  const policy = parseCleanupPolicy(overrides['cleanup.policy'] ?? 'delete');
  if (policy === null || !policy.has('compact')) return [];
  return [
    isCompactOnly(overrides)
      ? 'cleanup.policy=compact is stored but compaction is not implemented yet: the whole log is kept (no time or size retention)'
      : 'cleanup.policy includes compact, which is not implemented yet: only delete (retention) applies',
  ];
}
