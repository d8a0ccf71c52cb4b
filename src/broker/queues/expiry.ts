import { expiryTimeOf, headerInteger, ReservedHeader } from '../../common/reserved-headers.ts';
import type { QueueMessage } from './types.ts';

/**
 * When a record stops being deliverable (ms epoch), or +Infinity. Time counts from when it became
 * visible: its delivery time if it was scheduled, else its timestamp. The earlier of the topic's
 * TTL and the record's own `ferry-ttl-ms` / `ferry-expires-at` wins.
 */
export function expiresAtMs(message: QueueMessage, topicTtlMs: number | undefined): number {
  const headers = message.headers;
  if (headers.length === 0) return topicTtlMs === undefined ? Number.POSITIVE_INFINITY : message.timestamp + topicTtlMs;
  const deliverAt = headerInteger(headers, ReservedHeader.deliverAt);
  const visibleAtMs = deliverAt !== null && deliverAt > message.timestamp ? deliverAt : message.timestamp;
  const own = expiryTimeOf(headers, visibleAtMs);
  const byTopic = topicTtlMs === undefined ? Number.POSITIVE_INFINITY : visibleAtMs + topicTtlMs;
  return own === null ? byTopic : Math.min(own, byTopic);
}
