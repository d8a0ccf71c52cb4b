import type { BrokerWithQueues, TopicConfigEntries } from '../../../../broker/types.ts';
import { type AdminRoute, route } from '../route.ts';
import { closedObject, stringMap, topicName, topicOut, topicParams } from '../schemas.ts';

const TAG = 'topics';

const topicSummaryOut = {
  type: 'object',
  properties: { name: { type: 'string' }, partitionCount: { type: 'integer' }, isInternal: { type: 'boolean' } },
  required: ['name', 'partitionCount', 'isInternal'],
};

interface TopicParams {
  topic: string;
}

/** Topics: list, create, describe (partitions with offsets, config), delete, config, partitions. */
export function topicRoutes(broker: BrokerWithQueues): AdminRoute[] {
  return [
    route<Record<string, never>, { internal?: boolean }>({
      method: 'GET',
      url: '/api/topics',
      operationId: 'listTopics',
      summary: 'List topics with their partition counts (internal topics with internal=true).',
      tag: TAG,
      querystring: closedObject({ internal: { type: 'boolean', default: false } }),
      successStatus: 200,
      response: { type: 'object', properties: { topics: { type: 'array', items: topicSummaryOut } }, required: ['topics'] },
      async handle({ query }) {
        const topics = broker.listTopics({ includeInternal: query.internal === true });
        return { topics: topics.sort((a, b) => a.name.localeCompare(b.name)) };
      },
    }),
    route<Record<string, never>, Record<string, never>, CreateTopicBody>({
      method: 'POST',
      url: '/api/topics',
      operationId: 'createTopic',
      summary: 'Create a topic (201 with its description; 409 when it exists).',
      tag: TAG,
      body: closedObject(
        {
          name: topicName,
          partitions: { type: 'integer', minimum: 1, maximum: 1_000_000 },
          replicationFactor: { type: 'integer', minimum: 1, maximum: 32_767 },
          config: stringMap,
          validateOnly: { type: 'boolean' },
        },
        ['name'],
      ),
      successStatus: 201,
      response: topicOut,
      async handle({ body }) {
        const { name, ...options } = body;
        return broker.createTopic(name, options);
      },
    }),
    route<TopicParams>({
      method: 'GET',
      url: '/api/topics/:topic',
      operationId: 'describeTopic',
      summary: 'Describe a topic: partitions with log start and end offsets, high watermark and size, and its config.',
      tag: TAG,
      params: topicParams,
      successStatus: 200,
      response: topicOut,
      async handle({ params }) {
        return broker.describeTopic(params.topic);
      },
    }),
    route<TopicParams>({
      method: 'DELETE',
      url: '/api/topics/:topic',
      operationId: 'deleteTopic',
      summary: 'Delete a topic and its records (403 when the broker forbids topic deletion).',
      tag: TAG,
      params: topicParams,
      successStatus: 204,
      response: null,
      async handle({ params }) {
        await broker.deleteTopic(params.topic);
      },
    }),
    route<TopicParams, Record<string, never>, AlterConfigBody>({
      method: 'PATCH',
      url: '/api/topics/:topic/config',
      operationId: 'alterTopicConfig',
      summary: 'Set and remove topic config overrides (Kafka names, string values); answers the new description.',
      tag: TAG,
      params: topicParams,
      body: closedObject({ set: stringMap, remove: { type: 'array', items: { type: 'string' }, maxItems: 1000 } }),
      successStatus: 200,
      response: topicOut,
      async handle({ params, body }) {
        return broker.alterTopicConfig(params.topic, body.set ?? {}, body.remove ?? []);
      },
    }),
    route<TopicParams, Record<string, never>, { count: number }>({
      method: 'POST',
      url: '/api/topics/:topic/partitions',
      operationId: 'createPartitions',
      summary: 'Grow the topic to `count` partitions in all (never shrinks: 400 INVALID_PARTITIONS).',
      tag: TAG,
      params: topicParams,
      body: closedObject({ count: { type: 'integer', minimum: 1, maximum: 1_000_000 } }, ['count']),
      successStatus: 200,
      response: topicOut,
      async handle({ params, body }) {
        return broker.createPartitions(params.topic, body.count);
      },
    }),
  ];
}

interface CreateTopicBody {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  config?: TopicConfigEntries;
  validateOnly?: boolean;
}

interface AlterConfigBody {
  set?: TopicConfigEntries;
  remove?: string[];
}
