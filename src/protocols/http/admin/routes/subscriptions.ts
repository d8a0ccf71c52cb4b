import type { CreateSubscriptionOptions } from '../../../../broker/queues/types.ts';
import { SUBSCRIPTION_MODES } from '../../../../broker/queues/types.ts';
import type { BrokerWithQueues } from '../../../../broker/types.ts';
import { ErrorCode, FerryError } from '../../../../common/errors.ts';
import { type AdminRoute, route } from '../route.ts';
import { closedObject, nameOfSubscription, subscriptionParams, topicName, topicParams } from '../schemas.ts';

const TAG = 'subscriptions';

const integer = { type: 'integer' };
const backoffSchema = closedObject({
  minMs: { type: 'integer', minimum: 0 },
  maxMs: { type: 'integer', minimum: 0 },
  factor: { type: 'number', minimum: 1 },
  jitter: { type: 'number', minimum: 0, maximum: 1 },
});
const limitsSchema = closedObject({
  maxRecords: { type: 'integer', minimum: 1 },
  maxBytes: { type: 'integer', minimum: 1 },
  overflow: { type: 'string', enum: ['reject_publish', 'drop_oldest', 'dead_letter'] },
});

const subscriptionOut = {
  type: 'object',
  properties: {
    topic: { type: 'string' },
    name: { type: 'string' },
    mode: { type: 'string' },
    options: {
      type: 'object',
      properties: {
        mode: { type: 'string' },
        startAt: { type: 'string' },
        ackTimeoutMs: integer,
        maxDeliveries: integer,
        deadLetterTopic: { type: 'string' },
        backoff: { type: 'object', properties: { minMs: integer, maxMs: integer, factor: { type: 'number' }, jitter: { type: 'number' } } },
        limits: {
          type: ['object', 'null'],
          properties: { maxRecords: integer, maxBytes: integer, overflow: { type: 'string' } },
        },
      },
    },
    consumers: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, prefetch: integer, inFlight: integer, isActive: { type: 'boolean' } },
        required: ['id', 'prefetch', 'inFlight', 'isActive'],
      },
    },
    partitions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          partition: integer,
          ackFloor: integer,
          highWatermark: integer,
          backlog: integer,
          inFlight: integer,
          awaitingRedelivery: integer,
        },
        required: ['partition', 'ackFloor', 'highWatermark', 'backlog', 'inFlight', 'awaitingRedelivery'],
      },
    },
    backlog: integer,
    inFlight: integer,
    redeliveries: integer,
    deadLettered: integer,
    oldestUnackedAgeMs: integer,
  },
  required: [
    'topic',
    'name',
    'mode',
    'options',
    'consumers',
    'partitions',
    'backlog',
    'inFlight',
    'redeliveries',
    'deadLettered',
    'oldestUnackedAgeMs',
  ],
};

const subscriptionSummaryOut = {
  type: 'object',
  properties: { topic: { type: 'string' }, name: { type: 'string' }, mode: { type: 'string' }, consumerCount: integer },
  required: ['topic', 'name', 'mode', 'consumerCount'],
};

interface SubscriptionParams {
  topic: string;
  name: string;
}

type CreateSubscriptionBody = CreateSubscriptionOptions & { name: string };

/** Queue subscriptions: list, create, describe (backlog, in flight, redeliveries, oldest unacked age), delete. */
export function subscriptionRoutes(broker: BrokerWithQueues): AdminRoute[] {
  return [
    route<{ topic: string }>({
      method: 'GET',
      url: '/api/topics/:topic/subscriptions',
      operationId: 'listSubscriptions',
      summary: 'List the queue subscriptions of a topic with their mode and consumer count.',
      tag: TAG,
      params: topicParams,
      successStatus: 200,
      response: {
        type: 'object',
        properties: { subscriptions: { type: 'array', items: subscriptionSummaryOut } },
        required: ['subscriptions'],
      },
      async handle({ params }) {
        requireTopic(broker, params.topic);
        return { subscriptions: broker.listSubscriptions(params.topic).sort((a, b) => a.name.localeCompare(b.name)) };
      },
    }),
    route<{ topic: string }, Record<string, never>, CreateSubscriptionBody>({
      method: 'POST',
      url: '/api/topics/:topic/subscriptions',
      operationId: 'createSubscription',
      summary: 'Create a queue subscription (an existing one with the same mode is returned unchanged).',
      tag: TAG,
      params: topicParams,
      body: closedObject(
        {
          name: nameOfSubscription,
          mode: { type: 'string', enum: [...SUBSCRIPTION_MODES] },
          startAt: { type: 'string', enum: ['earliest', 'latest'] },
          ackTimeoutMs: { type: 'integer', minimum: 1 },
          maxDeliveries: { type: 'integer', minimum: 0 },
          deadLetterTopic: topicName,
          backoff: backoffSchema,
          limits: limitsSchema,
        },
        ['name', 'mode'],
      ),
      successStatus: 201,
      response: subscriptionOut,
      async handle({ params, body }) {
        requireTopic(broker, params.topic);
        const { name, ...options } = body;
        return broker.createSubscription(params.topic, name, options);
      },
    }),
    route<SubscriptionParams>({
      method: 'GET',
      url: '/api/topics/:topic/subscriptions/:name',
      operationId: 'describeSubscription',
      summary: 'Describe a subscription: backlog, in flight, redeliveries, dead-lettered and the age of the oldest unacked record.',
      tag: TAG,
      params: subscriptionParams,
      successStatus: 200,
      response: subscriptionOut,
      async handle({ params }) {
        return broker.describeSubscription(params.topic, params.name);
      },
    }),
    route<SubscriptionParams>({
      method: 'DELETE',
      url: '/api/topics/:topic/subscriptions/:name',
      operationId: 'deleteSubscription',
      summary: 'Delete a subscription: its consumers are ended and its state forgotten.',
      tag: TAG,
      params: subscriptionParams,
      successStatus: 204,
      response: null,
      async handle({ params }) {
        await broker.deleteSubscription(params.topic, params.name);
      },
    }),
  ];
}

export function requireTopic(broker: BrokerWithQueues, topic: string): void {
  if (!broker.hasTopic(topic)) {
    throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} does not exist`, { topic });
  }
}
