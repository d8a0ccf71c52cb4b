import type { TopicDescription } from '../../../broker/types.ts';
import { ErrorCode, FerryError } from '../../../common/errors.ts';
import { AUTHORIZED_OPERATIONS_OMITTED, type metadataRequest, type metadataResponse } from '../apis/metadata.ts';
import { KafkaErrorCode, kafkaFailure } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import { ZERO_UUID } from '../protocol/types.ts';
import type { ListenerContext, RequestContext } from './context.ts';

type MetadataRequest = Infer<typeof metadataRequest>;
type MetadataResponse = Infer<typeof metadataResponse>;
type TopicMetadata = MetadataResponse['topics'][number];

/**
 * Metadata: this broker as the only node, and the topics asked for (all when `topics` is null, or
 * empty in v0). An unknown topic is created when the client allows it (v4+, always before) and the
 * broker's `auto.create.topics.enable` is true, with the broker's default partition count.
 */
export async function handleMetadata(ctx: RequestContext, request: MetadataRequest): Promise<MetadataResponse> {
  const { node } = ctx;
  const isAll = request.topics === null || (ctx.apiVersion === 0 && request.topics.length === 0);
  const topics: TopicMetadata[] = [];
  if (isAll) {
    for (const summary of ctx.broker.listTopics({ includeInternal: true })) {
      const description = tryDescribe(ctx, summary.name);
      if (description) topics.push(topicMetadata(ctx, description));
    }
  } else {
    const canCreate = request.allowAutoTopicCreation && ctx.broker.brokerConfig()['auto.create.topics.enable'] === 'true';
    for (const requested of request.topics ?? []) topics.push(await requestedTopic(ctx, requested, canCreate));
  }
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: node.nodeId, host: node.host, port: node.port, rack: null }],
    clusterId: ctx.clusterId,
    controllerId: node.nodeId,
    topics,
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

async function requestedTopic(
  ctx: RequestContext,
  requested: { topicId: string; name: string | null },
  canCreate: boolean,
): Promise<TopicMetadata> {
  let name = requested.name;
  if (name === null) {
    name = ctx.topicIds.nameOf(requested.topicId) ?? null;
    // Names are nullable from v12 only; older versions get an empty one.
    if (name === null) return topicError(ctx.apiVersion >= 12 ? null : '', KafkaErrorCode.UNKNOWN_TOPIC_ID, requested.topicId);
  }
  const existing = tryDescribe(ctx, name);
  if (existing) return topicMetadata(ctx, existing);
  if (!canCreate) return topicError(name, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    return topicMetadata(ctx, await ctx.broker.createTopic(name));
  } catch (error) {
    // Another client (or connection) created it first: answer with what now exists.
    const created = tryDescribe(ctx, name);
    if (created) return topicMetadata(ctx, created);
    return topicError(name, kafkaFailure(error, ctx.logger, 'Metadata').code);
  }
}

function tryDescribe(ctx: ListenerContext, name: string): TopicDescription | null {
  try {
    return ctx.broker.describeTopic(name);
  } catch (error) {
    if (error instanceof FerryError && error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return null;
    throw error;
  }
}

function topicError(name: string | null, errorCode: number, topicId: string = ZERO_UUID): TopicMetadata {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}

export function topicMetadata(ctx: ListenerContext, topic: TopicDescription): TopicMetadata {
  ctx.topicIds.remember(topic.name, topic.topicId);
  return {
    errorCode: KafkaErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.isInternal,
    partitions: topic.partitions.map((p) => ({
      errorCode: p.isOffline ? KafkaErrorCode.LEADER_NOT_AVAILABLE : KafkaErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: p.isOffline ? -1 : p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: p.isOffline ? p.replicas : [],
    })),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}
