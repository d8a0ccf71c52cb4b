import type { BrokerWithQueues } from '../../../../broker/types.ts';
import { headerInteger, headerText, ReservedHeader } from '../../../../common/reserved-headers.ts';
import type { AdminLimits } from '../limits.ts';
import { readPage } from '../read-page.ts';
import { recordToJson } from '../record-json.ts';
import { type AdminRoute, route } from '../route.ts';
import { closedObject, partitionNumber, recordOut, subscriptionParams } from '../schemas.ts';
import { type PeekQuery, pageOut, pageQuery } from './records.ts';

const TAG = 'dead letters';

const deadLetterOut = {
  type: 'object',
  properties: {
    reason: { type: ['string', 'null'], description: '`max_deliveries`, `expired` or `backlog_overflow`.' },
    originalTopic: { type: ['string', 'null'] },
    originalPartition: { type: ['integer', 'null'] },
    originalOffset: { type: ['integer', 'null'] },
    subscription: { type: ['string', 'null'] },
    deliveryCount: { type: ['integer', 'null'] },
  },
  required: ['reason', 'originalTopic', 'originalPartition', 'originalOffset', 'subscription', 'deliveryCount'],
};

const deadLetterPageOut = {
  ...pageOut,
  properties: {
    ...pageOut.properties,
    deadLetterTopic: { type: 'string' },
    records: {
      type: 'array',
      items: { ...recordOut, properties: { ...(recordOut.properties as object), deadLetter: deadLetterOut } },
    },
  },
  required: [...pageOut.required, 'deadLetterTopic'],
};

interface SubscriptionParams {
  topic: string;
  name: string;
}

/** Dead letters of a subscription: browse its dead-letter topic, and replay them to their topic. */
export function deadLetterRoutes(broker: BrokerWithQueues, limits: AdminLimits): AdminRoute[] {
  const query = pageQuery(limits);
  return [
    route<SubscriptionParams, PeekQuery & { partition: number }>({
      method: 'GET',
      url: '/api/topics/:topic/subscriptions/:name/dead-letters',
      operationId: 'browseDeadLetters',
      summary:
        "Read the subscription's dead letters (its dead-letter topic) from an offset, with where each came from and why (the ferry-dlq headers).",
      tag: TAG,
      params: subscriptionParams,
      querystring: {
        ...query,
        properties: { ...(query.properties as object), partition: { ...partitionNumber, default: 0 } },
      },
      successStatus: 200,
      response: deadLetterPageOut,
      async handle({ params, query: q }) {
        const { deadLetterTopic } = (await broker.describeSubscription(params.topic, params.name)).options;
        // The dead-letter topic is created by the first dead letter: until then there is nothing to show.
        if (!broker.hasTopic(deadLetterTopic)) {
          return {
            deadLetterTopic,
            topic: deadLetterTopic,
            partition: q.partition,
            logStartOffset: 0,
            highWatermark: 0,
            nextOffset: 0,
            records: [],
          };
        }
        const page = await readPage(broker, {
          topic: deadLetterTopic,
          partition: q.partition,
          offset: q.offset,
          limit: q.limit,
          maxBytes: q.maxBytes,
        });
        const records = page.records.map((record) => ({
          ...recordToJson(record, q.encoding),
          deadLetter: {
            reason: headerText(record.headers, ReservedHeader.deadLetterReason),
            originalTopic: headerText(record.headers, ReservedHeader.originalTopic),
            originalPartition: headerInteger(record.headers, ReservedHeader.originalPartition),
            originalOffset: headerInteger(record.headers, ReservedHeader.originalOffset),
            subscription: headerText(record.headers, ReservedHeader.subscription),
            deliveryCount: headerInteger(record.headers, ReservedHeader.deliveryCount),
          },
        }));
        return { deadLetterTopic, topic: deadLetterTopic, partition: q.partition, ...page, records };
      },
    }),
    route<SubscriptionParams, Record<string, never>, { maxRecords?: number } | undefined>({
      method: 'POST',
      url: '/api/topics/:topic/subscriptions/:name/dead-letters/replay',
      operationId: 'replayDeadLetters',
      summary: 'Move dead letters back to their original topic and partition (oldest first), at most maxRecords; answers how many moved.',
      tag: TAG,
      params: subscriptionParams,
      body: closedObject({ maxRecords: { type: 'integer', minimum: 1 } }),
      successStatus: 200,
      response: {
        type: 'object',
        properties: { deadLetterTopic: { type: 'string' }, replayed: { type: 'integer' } },
        required: ['deadLetterTopic', 'replayed'],
      },
      async handle({ params, body }) {
        const maxRecords = body?.maxRecords;
        return broker.replayDeadLetters(params.topic, params.name, maxRecords !== undefined ? { maxRecords } : {});
      },
    }),
  ];
}
