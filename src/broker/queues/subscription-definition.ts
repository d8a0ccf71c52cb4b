import { ErrorCode, FerryError } from '../../common/errors.ts';
import { validateTopicName } from '../topic-names.ts';
import type { QueueConfig } from './config.ts';
import {
  type BacklogLimits,
  type BackoffOptions,
  type CreateSubscriptionOptions,
  type OverflowPolicy,
  SUBSCRIPTION_MODES,
  type SubscriptionMode,
  type TopicQueuePolicy,
} from './types.ts';

/** A subscription as persisted: every option resolved against the queue config's defaults. */
export interface StoredSubscription {
  topic: string;
  name: string;
  mode: SubscriptionMode;
  startAt: 'earliest' | 'latest';
  ackTimeoutMs: number;
  maxDeliveries: number;
  deadLetterTopic: string;
  backoff: Required<BackoffOptions>;
  limits: BacklogLimits | null;
  createdAtMs: number;
}

const NAME = /^[a-zA-Z0-9._-]{1,200}$/;
const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['reject_publish', 'drop_oldest', 'dead_letter'];

function invalid(message: string, details: Record<string, unknown>): FerryError {
  return new FerryError(ErrorCode.INVALID_CONFIG, message, details);
}

export function validateSubscriptionName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new FerryError(
      ErrorCode.INVALID_REQUEST,
      `subscription name ${JSON.stringify(name)} must be 1 to 200 ASCII letters, digits, '.', '_' or '-'`,
      { subscription: typeof name === 'string' ? name.slice(0, 64) : null },
    );
  }
}

export function validateMode(mode: string): SubscriptionMode {
  if (!SUBSCRIPTION_MODES.includes(mode as SubscriptionMode)) {
    const hint = mode === 'stream' ? ' (stream subscriptions are consumer groups: use joinGroup)' : '';
    throw new FerryError(ErrorCode.INVALID_REQUEST, `unknown subscription mode ${JSON.stringify(mode)}${hint}`, { mode });
  }
  return mode as SubscriptionMode;
}

function integerIn(value: unknown, key: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`${key} must be an integer in [${min}, ${max}], got ${String(value)}`, { key, value });
  }
  return value;
}

export function validateLimits(limits: BacklogLimits | undefined | null, where: string): BacklogLimits | null {
  if (limits === undefined || limits === null) return null;
  const result: BacklogLimits = { overflow: limits.overflow ?? 'reject_publish' };
  if (!OVERFLOW_POLICIES.includes(result.overflow!)) {
    throw invalid(`${where} overflow must be one of ${OVERFLOW_POLICIES.join(', ')}`, { overflow: limits.overflow });
  }
  if (limits.maxRecords !== undefined) result.maxRecords = integerIn(limits.maxRecords, `${where} maxRecords`, 1, Number.MAX_SAFE_INTEGER);
  if (limits.maxBytes !== undefined) result.maxBytes = integerIn(limits.maxBytes, `${where} maxBytes`, 1, Number.MAX_SAFE_INTEGER);
  return result.maxRecords === undefined && result.maxBytes === undefined ? null : result;
}

/** Resolves and checks a new subscription's options (INVALID_CONFIG / INVALID_REQUEST). */
export function resolveSubscription(
  topic: string,
  name: string,
  options: CreateSubscriptionOptions,
  config: QueueConfig,
  nowMs: number,
): StoredSubscription {
  validateSubscriptionName(name);
  const mode = validateMode(options.mode);
  const startAt = options.startAt ?? 'earliest';
  if (startAt !== 'earliest' && startAt !== 'latest') throw invalid(`startAt must be earliest or latest`, { startAt });
  const deadLetterTopic = options.deadLetterTopic ?? `${topic}.${name}.dlq`;
  validateTopicName(deadLetterTopic);
  if (deadLetterTopic === topic) throw invalid('the dead-letter topic cannot be the subscription topic', { deadLetterTopic });
  const backoffIn = options.backoff ?? {};
  const backoff: Required<BackoffOptions> = {
    minMs: integerIn(backoffIn.minMs ?? config.redeliveryBackoffMinMs, 'backoff.minMs', 0, Number.MAX_SAFE_INTEGER),
    maxMs: integerIn(backoffIn.maxMs ?? config.redeliveryBackoffMaxMs, 'backoff.maxMs', 0, Number.MAX_SAFE_INTEGER),
    factor: backoffIn.factor ?? config.redeliveryBackoffFactor,
    jitter: backoffIn.jitter ?? config.redeliveryBackoffJitter,
  };
  if (!(backoff.factor >= 1 && backoff.factor <= 1000)) throw invalid('backoff.factor must be in [1, 1000]', { factor: backoff.factor });
  if (!(backoff.jitter >= 0 && backoff.jitter <= 1)) throw invalid('backoff.jitter must be in [0, 1]', { jitter: backoff.jitter });
  if (backoff.maxMs < backoff.minMs) throw invalid('backoff.maxMs is below backoff.minMs', { backoff });
  return {
    topic,
    name,
    mode,
    startAt,
    ackTimeoutMs: integerIn(options.ackTimeoutMs ?? config.defaultAckTimeoutMs, 'ackTimeoutMs', 1, config.maxAckTimeoutMs),
    maxDeliveries: integerIn(options.maxDeliveries ?? config.defaultMaxDeliveries, 'maxDeliveries', 0, 1_000_000),
    deadLetterTopic,
    backoff,
    limits: validateLimits(options.limits, 'limits'),
    createdAtMs: nowMs,
  };
}

/** Checks a topic queue policy; returns the normalised copy that is stored. */
export function validateTopicPolicy(policy: TopicQueuePolicy): TopicQueuePolicy {
  if (policy === null || typeof policy !== 'object') throw invalid('a topic queue policy must be an object', {});
  const result: TopicQueuePolicy = {};
  if (policy.ttlMs !== undefined) result.ttlMs = integerIn(policy.ttlMs, 'ttlMs', 1, Number.MAX_SAFE_INTEGER);
  if (policy.ttlAction !== undefined) {
    if (policy.ttlAction !== 'drop' && policy.ttlAction !== 'dead_letter') throw invalid('ttlAction must be drop or dead_letter', {});
    result.ttlAction = policy.ttlAction;
  }
  const limits = validateLimits(policy.limits, 'limits');
  if (limits !== null) result.limits = limits;
  if (policy.retention !== undefined) {
    if (policy.retention !== 'log' && policy.retention !== 'until_acked') throw invalid('retention must be log or until_acked', {});
    result.retention = policy.retention;
  }
  return result;
}

/** True when a stored definition read back from disk has the shape this code writes. */
export function isStoredSubscription(value: unknown): value is StoredSubscription {
  const v = value as StoredSubscription | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.topic === 'string' &&
    typeof v.name === 'string' &&
    SUBSCRIPTION_MODES.includes(v.mode) &&
    typeof v.ackTimeoutMs === 'number' &&
    typeof v.maxDeliveries === 'number' &&
    typeof v.deadLetterTopic === 'string' &&
    typeof v.backoff === 'object' &&
    v.backoff !== null
  );
}
