import type { CommittedOffset } from '../../../broker/types.ts';
import type { offsetCommitRequest, offsetCommitResponse } from '../apis/offset-commit.ts';
import type { offsetFetchRequest, offsetFetchResponse } from '../apis/offset-fetch.ts';
import { KafkaErrorCode, kafkaFailure } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import type { RequestContext } from './context.ts';

type OffsetCommitRequest = Infer<typeof offsetCommitRequest>;
type OffsetCommitResponse = Infer<typeof offsetCommitResponse>;
type OffsetFetchRequest = Infer<typeof offsetFetchRequest>;
type OffsetFetchResponse = Infer<typeof offsetFetchResponse>;
type FetchedTopic = OffsetFetchResponse['topics'][number];
type RequestedTopics = { name: string; partitionIndexes: number[] }[] | null;

/** OffsetCommit: one broker call for the whole request; its outcome is every partition's. */
export async function handleOffsetCommit(ctx: RequestContext, request: OffsetCommitRequest): Promise<OffsetCommitResponse> {
  let errorCode: number = KafkaErrorCode.NONE;
  try {
    await ctx.broker.commitOffsets({
      groupId: request.groupId,
      // v0 commits have no generation: Kafka treats them as standalone (-1, no member).
      generationId: request.generationIdOrMemberEpoch,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      offsets: request.topics.flatMap((topic) =>
        topic.partitions.map((p) => ({
          topic: topic.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.committedMetadata,
        })),
      ),
    });
  } catch (error) {
    errorCode = kafkaFailure(error, ctx.logger, 'OffsetCommit').code;
  }
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  };
}

/** OffsetFetch: one group up to v7, a batch from v8. Nothing committed is offset -1. A group-level
 *  failure goes in the top-level error from v2, in every partition before. */
export async function handleOffsetFetch(ctx: RequestContext, request: OffsetFetchRequest): Promise<OffsetFetchResponse> {
  if (ctx.apiVersion >= 8) {
    const groups = await Promise.all(
      request.groups.map(async (group) => {
        const fetched = await fetchGroup(ctx, group.groupId, group.topics);
        return { groupId: group.groupId, topics: fetched.topics, errorCode: fetched.errorCode };
      }),
    );
    return { throttleTimeMs: 0, topics: [], errorCode: KafkaErrorCode.NONE, groups };
  }
  const fetched = await fetchGroup(ctx, request.groupId, request.topics);
  const hasTopLevelError = ctx.apiVersion >= 2;
  const topics =
    fetched.errorCode === KafkaErrorCode.NONE || hasTopLevelError
      ? fetched.topics
      : (request.topics ?? []).map((topic) => ({
          name: topic.name,
          partitions: topic.partitionIndexes.map((partition) => noOffset(partition, fetched.errorCode)),
        }));
  return { throttleTimeMs: 0, topics, errorCode: fetched.errorCode, groups: [] };
}

async function fetchGroup(
  ctx: RequestContext,
  groupId: string,
  requested: RequestedTopics,
): Promise<{ topics: FetchedTopic[]; errorCode: number }> {
  let committed: CommittedOffset[];
  try {
    const partitions = requested?.flatMap((topic) => topic.partitionIndexes.map((partition) => ({ topic: topic.name, partition })));
    committed = await ctx.broker.fetchOffsets(groupId, partitions);
  } catch (error) {
    return { topics: [], errorCode: kafkaFailure(error, ctx.logger, 'OffsetFetch').code };
  }
  const byTopic = new Map<string, FetchedTopic>();
  // Requested topics first, in request order, so every partition asked is answered.
  for (const topic of requested ?? []) {
    byTopic.set(topic.name, {
      name: topic.name,
      partitions: topic.partitionIndexes.map((partition) => noOffset(partition, KafkaErrorCode.NONE)),
    });
  }
  for (const c of committed) {
    let topic = byTopic.get(c.topic);
    if (!topic) {
      if (requested) continue;
      topic = { name: c.topic, partitions: [] };
      byTopic.set(c.topic, topic);
    }
    const answer = {
      partitionIndex: c.partition,
      committedOffset: c.offset,
      committedLeaderEpoch: c.leaderEpoch,
      metadata: c.metadata ?? '',
      errorCode: KafkaErrorCode.NONE,
    };
    const at = topic.partitions.findIndex((p) => p.partitionIndex === c.partition);
    if (at >= 0) topic.partitions[at] = answer;
    else topic.partitions.push(answer);
  }
  return { topics: [...byTopic.values()], errorCode: KafkaErrorCode.NONE };
}

function noOffset(partition: number, errorCode: number): FetchedTopic['partitions'][number] {
  return { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode };
}
