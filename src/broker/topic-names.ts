import { ErrorCode, FerryError } from '../common/errors.ts';

/** Kafka's internal topic of committed offsets and group metadata (compacted). */
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

/** Topics the broker creates and manages itself: hidden from listTopics unless asked for, and
 *  never deleted through the API. */
// `__subscriptions` (queue subscription state) and `__scheduled` (records waiting for their
// delivery time) belong to the queue engine, src/broker/queues/queue-manager.ts.
const INTERNAL_TOPICS: ReadonlySet<string> = new Set([CONSUMER_OFFSETS_TOPIC, '__subscriptions', '__scheduled']);

/** Kafka's limit: a partition directory `<topic>-<partition>` must fit in 255 bytes. */
export const MAX_TOPIC_NAME_LENGTH = 249;

const LEGAL_NAME = /^[a-zA-Z0-9._-]+$/;

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}

/** Kafka's topic name rules (org.apache.kafka.common.internals.Topic.validate); INVALID_TOPIC otherwise. */
export function validateTopicName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new FerryError(ErrorCode.INVALID_TOPIC, 'topic name must not be empty');
  }
  if (name === '.' || name === '..') {
    throw new FerryError(ErrorCode.INVALID_TOPIC, `topic name cannot be "${name}"`, { topic: name });
  }
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new FerryError(ErrorCode.INVALID_TOPIC, `topic name is ${name.length} characters long, the limit is ${MAX_TOPIC_NAME_LENGTH}`, {
      topic: name.slice(0, 64),
    });
  }
  if (!LEGAL_NAME.test(name)) {
    throw new FerryError(
      ErrorCode.INVALID_TOPIC,
      `topic name "${name}" contains a character other than ASCII letters, digits, '.', '_' and '-'`,
      { topic: name },
    );
  }
}

/**
 * Kafka's metric names replace '.' with '_', so `a.b` and `a_b` would share metrics: Kafka refuses
 * to create a topic whose name collides with an existing one this way, and so does Ferry.
 */
export function topicCollisionKey(name: string): string {
  return name.replaceAll('.', '_');
}
