import type { PartitionMetrics } from '../observability/metrics/recorder.ts';
import type { QueueMessage, SubscribeOptions } from './queues/types.ts';

/**
 * Queue deliveries count as records out and feed end-to-end latency like fetches do. The
 * consumer's `onDeliver` is wrapped once per subscribe; per delivery batch it walks the messages
 * once (no allocation), looks a partition's counters up only when the partition changes, and
 * observes end-to-end latency once per batch, from the newest record's timestamp.
 * Bytes out are key and value bytes here (a delivery carries decoded records, not batches).
 */
export function withDeliveryMetrics(
  options: SubscribeOptions,
  topic: string,
  metricsOf: (topic: string, partition: number) => PartitionMetrics | undefined,
): SubscribeOptions {
  const deliver = options.onDeliver;
  return {
    ...options,
    onDeliver(messages: QueueMessage[]): void {
      countDelivery(messages, topic, metricsOf);
      deliver(messages);
    },
  };
}

function countDelivery(
  messages: readonly QueueMessage[],
  topic: string,
  metricsOf: (topic: string, partition: number) => PartitionMetrics | undefined,
): void {
  if (messages.length === 0) return;
  const nowMs = Date.now();
  let partition = -1;
  let metrics: PartitionMetrics | undefined;
  let records = 0;
  let bytes = 0;
  let newestMs = Number.NEGATIVE_INFINITY;
  for (const message of messages) {
    if (message.partition !== partition) {
      metrics?.delivered(records, bytes);
      partition = message.partition;
      metrics = metricsOf(topic, partition);
      records = 0;
      bytes = 0;
    }
    records++;
    bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
    if (message.timestamp > newestMs) newestMs = message.timestamp;
  }
  metrics?.delivered(records, bytes);
  metrics?.observeEndToEnd(nowMs - newestMs);
}
