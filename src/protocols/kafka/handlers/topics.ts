import type { CreateTopicOptions, TopicConfigEntries, TopicDescription } from '../../../broker/types.ts';
import type { createPartitionsRequest, createPartitionsResponse } from '../apis/create-partitions.ts';
import type { createTopicsRequest, createTopicsResponse } from '../apis/create-topics.ts';
import type { deleteTopicsRequest, deleteTopicsResponse } from '../apis/delete-topics.ts';
import { KafkaErrorCode, type KafkaFailure, kafkaFailure } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import { ZERO_UUID } from '../protocol/types.ts';
import { ConfigSource } from './config-entries.ts';
import type { RequestContext } from './context.ts';

type CreateTopicsRequest = Infer<typeof createTopicsRequest>;
type CreateTopicsResponse = Infer<typeof createTopicsResponse>;
type CreatableTopic = CreateTopicsRequest['topics'][number];
type CreatableTopicResult = CreateTopicsResponse['topics'][number];
type DeleteTopicsRequest = Infer<typeof deleteTopicsRequest>;
type DeleteTopicsResponse = Infer<typeof deleteTopicsResponse>;
type CreatePartitionsRequest = Infer<typeof createPartitionsRequest>;
type CreatePartitionsResponse = Infer<typeof createPartitionsResponse>;

function duplicates(names: readonly (string | null)[]): Set<string | null> {
  const seen = new Set<string | null>();
  const twice = new Set<string | null>();
  for (const name of names) (seen.has(name) ? twice : seen).add(name);
  return twice;
}

const DUPLICATE: KafkaFailure = { code: KafkaErrorCode.INVALID_REQUEST, message: 'topic named more than once in the request' };

/**
 * CreateTopics: -1 partitions or replication factor means the broker's default. A manual replica
 * assignment fixes the partition count; on one node every replica list must be this broker.
 * A topic named twice in one request is refused, as Kafka does.
 */
export async function handleCreateTopics(ctx: RequestContext, request: CreateTopicsRequest): Promise<CreateTopicsResponse> {
  const twice = duplicates(request.topics.map((t) => t.name));
  const topics: CreatableTopicResult[] = [];
  for (const topic of request.topics) {
    if (twice.has(topic.name)) {
      topics.push(createFailed(topic.name, DUPLICATE));
      continue;
    }
    const options = createOptions(ctx, topic, request.validateOnly);
    if ('code' in options) {
      topics.push(createFailed(topic.name, options));
      continue;
    }
    try {
      const created = await ctx.broker.createTopic(topic.name, options);
      if (!request.validateOnly) ctx.topicIds.remember(created.name, created.topicId);
      topics.push(createSucceeded(created));
    } catch (error) {
      topics.push(createFailed(topic.name, kafkaFailure(error, ctx.logger, 'CreateTopics')));
    }
  }
  return { throttleTimeMs: 0, topics };
}

function createOptions(ctx: RequestContext, topic: CreatableTopic, validateOnly: boolean): CreateTopicOptions | KafkaFailure {
  const config: TopicConfigEntries = {};
  for (const entry of topic.configs) if (entry.value !== null) config[entry.name] = entry.value;
  const options: CreateTopicOptions = { config, validateOnly };
  if (topic.replicationFactor !== -1) options.replicationFactor = topic.replicationFactor;
  if (topic.assignments.length === 0) {
    if (topic.numPartitions !== -1) options.partitions = topic.numPartitions;
    return options;
  }
  if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
    return { code: KafkaErrorCode.INVALID_REQUEST, message: 'a replica assignment goes with -1 partitions and replication factor' };
  }
  const indexes = topic.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
  const isDense = indexes.every((index, i) => index === i);
  const isThisNode = topic.assignments.every((a) => a.brokerIds.length === 1 && a.brokerIds[0] === ctx.node.nodeId);
  if (!isDense || !isThisNode) {
    return {
      code: KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT,
      message: `partitions must be numbered from 0 and placed on broker ${ctx.node.nodeId} only`,
    };
  }
  options.partitions = topic.assignments.length;
  return options;
}

function createSucceeded(topic: TopicDescription): CreatableTopicResult {
  return {
    name: topic.name,
    topicId: topic.topicId,
    errorCode: KafkaErrorCode.NONE,
    errorMessage: null,
    topicConfigErrorCode: null,
    numPartitions: topic.partitions.length,
    replicationFactor: topic.partitions[0]?.replicas.length ?? 1,
    configs: Object.entries(topic.config).map(([name, value]) => ({
      name,
      value,
      readOnly: false,
      configSource: name in topic.overrides ? ConfigSource.topic : ConfigSource.default,
      isSensitive: false,
    })),
  };
}

function createFailed(name: string, failure: KafkaFailure): CreatableTopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode: failure.code,
    errorMessage: failure.message,
    topicConfigErrorCode: null,
    numPartitions: -1,
    replicationFactor: -1,
    configs: null,
  };
}

/** DeleteTopics: by name up to v5, by name or id from v6. */
export async function handleDeleteTopics(ctx: RequestContext, request: DeleteTopicsRequest): Promise<DeleteTopicsResponse> {
  const asked =
    ctx.apiVersion >= 6 ? request.topics : request.topicNames.map((name) => ({ name: name as string | null, topicId: ZERO_UUID }));
  const responses: DeleteTopicsResponse['responses'] = [];
  for (const topic of asked) {
    const name = topic.name ?? ctx.topicIds.nameOf(topic.topicId) ?? null;
    if (name === null) {
      responses.push({
        name: null,
        topicId: topic.topicId,
        errorCode: KafkaErrorCode.UNKNOWN_TOPIC_ID,
        errorMessage: 'no topic has this id',
      });
      continue;
    }
    try {
      const topicId = topic.topicId === ZERO_UUID ? idOf(ctx, name) : topic.topicId;
      await ctx.broker.deleteTopic(name);
      responses.push({ name, topicId, errorCode: KafkaErrorCode.NONE, errorMessage: null });
    } catch (error) {
      const failure = kafkaFailure(error, ctx.logger, 'DeleteTopics');
      responses.push({ name, topicId: topic.topicId, errorCode: failure.code, errorMessage: failure.message });
    }
  }
  return { throttleTimeMs: 0, responses };
}

function idOf(ctx: RequestContext, name: string): string {
  return ctx.broker.hasTopic(name) ? ctx.broker.describeTopic(name).topicId : ZERO_UUID;
}

/** CreatePartitions: grows each topic to `count`. Validate-only checks the count against the
 *  topic as it is, without changing it. */
export async function handleCreatePartitions(ctx: RequestContext, request: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
  const twice = duplicates(request.topics.map((t) => t.name));
  const results: CreatePartitionsResponse['results'] = [];
  for (const topic of request.topics) {
    const failure = twice.has(topic.name) ? DUPLICATE : await grow(ctx, topic.name, topic.count, topic.assignments, request.validateOnly);
    results.push({ name: topic.name, errorCode: failure?.code ?? KafkaErrorCode.NONE, errorMessage: failure?.message ?? null });
  }
  return { throttleTimeMs: 0, results };
}

async function grow(
  ctx: RequestContext,
  name: string,
  count: number,
  assignments: { brokerIds: number[] }[] | null,
  validateOnly: boolean,
): Promise<KafkaFailure | null> {
  if (assignments?.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== ctx.node.nodeId)) {
    return { code: KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `new partitions can only be placed on broker ${ctx.node.nodeId}` };
  }
  try {
    if (!validateOnly) {
      await ctx.broker.createPartitions(name, count);
      return null;
    }
    const current = ctx.broker.describeTopic(name).partitions.length;
    if (count <= current) {
      return { code: KafkaErrorCode.INVALID_PARTITIONS, message: `topic ${name} has ${current} partitions; ${count} would not grow it` };
    }
    return null;
  } catch (error) {
    return kafkaFailure(error, ctx.logger, 'CreatePartitions');
  }
}
