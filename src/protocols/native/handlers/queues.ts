import { ErrorCode, FerryError, toFerryError } from '../../../common/errors.ts';
import {
  ackApi,
  extendDeadlineApi,
  nackApi,
  type SettleResponse,
  setPrefetchApi,
  subscribeApi,
  unsubscribeApi,
} from '../apis/queue-consumers.ts';
import type { PartitionOffsets } from '../apis/queue-types.ts';
import {
  createSubscriptionApi,
  deleteSubscriptionApi,
  describeSubscriptionApi,
  describeTopicQueuePolicyApi,
  listSubscriptionsApi,
  replayDeadLettersApi,
  setTopicQueuePolicyApi,
} from '../apis/subscriptions.ts';
import { QUEUE_PROTOCOL_VERSION } from '../constants.ts';
import { type Route, route, type SessionContext } from './route.ts';
import { settleEach } from './settle.ts';

/** Queue consumers need push frames: a connection that negotiated protocol v1 gets none. */
function assertPushCapable(context: SessionContext): void {
  if (context.protocolVersion < QUEUE_PROTOCOL_VERSION) {
    throw new FerryError(
      ErrorCode.UNSUPPORTED_VERSION,
      `queue consumers need protocol v${QUEUE_PROTOCOL_VERSION} (this connection speaks v${context.protocolVersion})`,
    );
  }
}

/** Runs a synchronous per-partition call; one bad partition does not fail the others. */
function settleSync(partitions: readonly PartitionOffsets[], call: (item: PartitionOffsets) => void): SettleResponse {
  return {
    partitions: partitions.map((item) => {
      try {
        call(item);
        return { partition: item.partition, error: null };
      } catch (error) {
        return { partition: item.partition, error: toFerryError(error) };
      }
    }),
  };
}

/** Subscriptions and queue consumers: translations to the broker's QueueApi and the session's
 *  consumer handles (session-queues.ts). */
export const QUEUE_ROUTES: readonly Route[] = [
  route(createSubscriptionApi, ({ broker }, request) =>
    broker.createSubscription(request.topic, request.name, { ...request.options, mode: request.mode }),
  ),
  route(deleteSubscriptionApi, async ({ broker }, request) => {
    await broker.deleteSubscription(request.topic, request.name);
    return {};
  }),
  route(listSubscriptionsApi, async ({ broker }, request) => ({ subscriptions: broker.listSubscriptions(request.topic ?? undefined) })),
  route(describeSubscriptionApi, ({ broker }, request) => broker.describeSubscription(request.topic, request.name)),
  route(replayDeadLettersApi, ({ broker }, request) =>
    broker.replayDeadLetters(request.topic, request.name, request.maxRecords < 0 ? {} : { maxRecords: request.maxRecords }),
  ),
  route(setTopicQueuePolicyApi, ({ broker }, request) => broker.setTopicQueuePolicy(request.topic, request.policy)),
  route(describeTopicQueuePolicyApi, async ({ broker }, request) => broker.topicQueuePolicy(request.topic)),

  route(subscribeApi, (context, request) => {
    assertPushCapable(context);
    return context.queues.subscribe(request.topic, request.subscription, request.mode, {
      prefetch: request.prefetch < 0 ? undefined : request.prefetch,
      ackTimeoutMs: request.ackTimeoutMs < 0 ? undefined : request.ackTimeoutMs,
      consumerId: request.consumerId ?? undefined,
      createIfMissing: request.createIfMissing,
      create: request.create,
    });
  }),
  route(unsubscribeApi, async ({ queues }, request) => {
    await queues.unsubscribe(request.handle);
    return {};
  }),
  route(ackApi, async ({ queues }, request) => {
    const consumer = queues.consumer(request.handle);
    const results = await settleEach(request.partitions, (item) => consumer.ack(item.partition, item.offsets));
    return { partitions: results.map((result, i) => ({ partition: request.partitions[i]!.partition, error: result.error })) };
  }),
  route(nackApi, async ({ queues }, request) => {
    const consumer = queues.consumer(request.handle);
    const delayMs = request.delayMs < 0 ? undefined : request.delayMs;
    return settleSync(request.partitions, (item) => consumer.nack(item.partition, item.offsets, delayMs));
  }),
  route(extendDeadlineApi, async ({ queues }, request) => {
    const consumer = queues.consumer(request.handle);
    return settleSync(request.partitions, (item) => consumer.extendDeadline(item.partition, item.offsets, request.extendMs));
  }),
  route(setPrefetchApi, async ({ queues }, request) => {
    queues.setPrefetch(request.handle, request.prefetch);
    return {};
  }),
];
