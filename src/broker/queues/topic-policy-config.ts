import type { TopicConfigEntries } from '../types.ts';
import type { BacklogLimits, OverflowPolicy, TopicQueuePolicy } from './types.ts';

/**
 * A topic's queue policy as topic config keys, so it is set like any other topic config: at
 * creation (`ferry topic create --config`), by the native admin, and by Kafka AlterConfigs /
 * IncrementalAlterConfigs. The keys live in the topic's overrides (persisted with the topic) and
 * the broker hands the policy they describe to the queue engine (`setTopicQueuePolicy`).
 * `-1` means "no limit" as in Kafka's own keys.
 */
export const QUEUE_TOPIC_KEYS = {
  ttlMs: 'ferry.queue.ttl.ms',
  ttlAction: 'ferry.queue.ttl.action',
  maxRecords: 'ferry.queue.backlog.max.records',
  maxBytes: 'ferry.queue.backlog.max.bytes',
  overflow: 'ferry.queue.backlog.overflow',
  retention: 'ferry.queue.retention',
} as const;

const TTL_ACTIONS = ['drop', 'dead_letter'] as const;
const OVERFLOWS: readonly OverflowPolicy[] = ['reject_publish', 'drop_oldest', 'dead_letter'];
const RETENTIONS = ['log', 'until_acked'] as const;

/** Why `value` is not acceptable, or null. */
type Check = (value: string) => string | null;

function noneOrPositive(value: string): string | null {
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) return `"${value}" is not an integer`;
  const n = Number(value);
  return n === -1 || n >= 1 ? null : `${value} must be -1 (none) or at least 1`;
}

function oneOf(allowed: readonly string[]): Check {
  return (value) => (allowed.includes(value) ? null : `"${value}" is not one of ${allowed.join(', ')}`);
}

/** Each key's check and its value when the topic does not set it. */
export const QUEUE_TOPIC_KEY_SPECS: Readonly<Record<string, { check: Check; defaultValue: string }>> = {
  [QUEUE_TOPIC_KEYS.ttlMs]: { check: noneOrPositive, defaultValue: '-1' },
  [QUEUE_TOPIC_KEYS.ttlAction]: { check: oneOf(TTL_ACTIONS), defaultValue: 'drop' },
  [QUEUE_TOPIC_KEYS.maxRecords]: { check: noneOrPositive, defaultValue: '-1' },
  [QUEUE_TOPIC_KEYS.maxBytes]: { check: noneOrPositive, defaultValue: '-1' },
  [QUEUE_TOPIC_KEYS.overflow]: { check: oneOf(OVERFLOWS), defaultValue: 'reject_publish' },
  [QUEUE_TOPIC_KEYS.retention]: { check: oneOf(RETENTIONS), defaultValue: 'log' },
};

export function isQueueTopicKey(key: string): boolean {
  return Object.hasOwn(QUEUE_TOPIC_KEY_SPECS, key);
}

/** True when any of `overrides` describes the queue policy. */
export function hasQueuePolicyKeys(overrides: TopicConfigEntries): boolean {
  return Object.keys(overrides).some(isQueueTopicKey);
}

function limitOf(value: string | undefined): number | undefined {
  return value === undefined || value === '-1' ? undefined : Number(value);
}

/** The policy the (already validated) queue keys of a topic's overrides describe. */
export function queuePolicyFromConfig(overrides: TopicConfigEntries): TopicQueuePolicy {
  const policy: TopicQueuePolicy = {};
  const ttlMs = limitOf(overrides[QUEUE_TOPIC_KEYS.ttlMs]);
  if (ttlMs !== undefined) policy.ttlMs = ttlMs;
  const ttlAction = overrides[QUEUE_TOPIC_KEYS.ttlAction];
  if (ttlAction !== undefined) policy.ttlAction = ttlAction as TopicQueuePolicy['ttlAction'];
  const maxRecords = limitOf(overrides[QUEUE_TOPIC_KEYS.maxRecords]);
  const maxBytes = limitOf(overrides[QUEUE_TOPIC_KEYS.maxBytes]);
  const overflow = overrides[QUEUE_TOPIC_KEYS.overflow] as OverflowPolicy | undefined;
  // An overflow policy alone limits nothing: limits exist once a maximum is set.
  if (maxRecords !== undefined || maxBytes !== undefined) {
    const limits: BacklogLimits = { overflow: overflow ?? 'reject_publish' };
    if (maxRecords !== undefined) limits.maxRecords = maxRecords;
    if (maxBytes !== undefined) limits.maxBytes = maxBytes;
    policy.limits = limits;
  }
  const retention = overrides[QUEUE_TOPIC_KEYS.retention];
  if (retention !== undefined) policy.retention = retention as TopicQueuePolicy['retention'];
  return policy;
}

/**
 * The config changes that make a topic's queue keys describe `policy` exactly: the keys it sets,
 * and the other queue keys to remove (used when a policy is set through the queue API).
 */
export function queuePolicyToConfig(policy: TopicQueuePolicy): { set: TopicConfigEntries; remove: string[] } {
  const set: TopicConfigEntries = {};
  if (policy.ttlMs !== undefined) set[QUEUE_TOPIC_KEYS.ttlMs] = String(policy.ttlMs);
  if (policy.ttlAction !== undefined) set[QUEUE_TOPIC_KEYS.ttlAction] = policy.ttlAction;
  const limits = policy.limits;
  if (limits !== undefined) {
    if (limits.maxRecords !== undefined) set[QUEUE_TOPIC_KEYS.maxRecords] = String(limits.maxRecords);
    if (limits.maxBytes !== undefined) set[QUEUE_TOPIC_KEYS.maxBytes] = String(limits.maxBytes);
    if (limits.overflow !== undefined) set[QUEUE_TOPIC_KEYS.overflow] = limits.overflow;
  }
  if (policy.retention !== undefined) set[QUEUE_TOPIC_KEYS.retention] = policy.retention;
  const remove = Object.keys(QUEUE_TOPIC_KEY_SPECS).filter((key) => !(key in set));
  return { set, remove };
}
