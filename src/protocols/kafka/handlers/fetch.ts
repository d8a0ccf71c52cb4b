import type { FetchPartitionRequest, FetchPartitionResult } from '../../../broker/types.ts';
import type { fetchRequest, fetchResponse } from '../apis/fetch.ts';
import { KafkaErrorCode, kafkaFailure, toKafkaErrorCode } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import type { RequestContext } from './context.ts';

type FetchRequest = Infer<typeof fetchRequest>;
type FetchResponse = Infer<typeof fetchResponse>;
type TopicResponse = FetchResponse['responses'][number];
type PartitionData = TopicResponse['partitions'][number];

const EMPTY = Buffer.alloc(0);
/** Fetch v4 is the first to return RecordBatch v2 as stored. */
const FIRST_RECORD_BATCH_VERSION = 4;
/** KIP-227: epoch -1 ends a session (or asks for none), 0 opens one, > 0 continues one. */
const FINAL_EPOCH = -1;

/**
 * Fetch: one broker call for every partition asked, with the client's long poll (max wait, min
 * bytes) and isolation level; the stored batches come back as they are and are referenced, not
 * copied, into the response.
 *
 * Fetch sessions (KIP-227) are declined: the answer always carries session id 0, which tells the
 * client to keep sending full requests. An incremental request for a session we never opened gets
 * FETCH_SESSION_ID_NOT_FOUND, after which clients start over with a full one.
 */
export async function handleFetch(ctx: RequestContext, request: FetchRequest): Promise<FetchResponse> {
  if (request.sessionId !== 0 && request.sessionEpoch !== FINAL_EPOCH) {
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [], nodeEndpoints: null };
  }
  const useIds = ctx.apiVersion >= 13;
  // Fetch v0-v3 answer in message format v0/v1, which would mean converting stored batches.
  const isLegacyFormat = ctx.apiVersion < FIRST_RECORD_BATCH_VERSION;
  const isReadCommitted = request.isolationLevel === 1;
  const asked: FetchPartitionRequest[] = [];
  // Topics named by an id we do not know are answered without asking the broker.
  const unknownIds = new Set<number>();
  const names = request.topics.map((topic, i) => {
    if (!useIds) return topic.topic;
    const name = ctx.topicIds.nameOf(topic.topicId);
    if (name === undefined) unknownIds.add(i);
    return name ?? '';
  });
  request.topics.forEach((topic, i) => {
    if (unknownIds.has(i) || isLegacyFormat) return;
    for (const p of topic.partitions) {
      asked.push({ topic: names[i]!, partition: p.partition, offset: p.fetchOffset, maxBytes: p.partitionMaxBytes });
    }
  });

  let results: FetchPartitionResult[] = [];
  let failure: number = KafkaErrorCode.NONE;
  if (asked.length > 0) {
    try {
      results = await ctx.broker.fetch({
        partitions: asked,
        maxWaitMs: Math.max(0, request.maxWaitMs),
        minBytes: Math.max(0, request.minBytes),
        maxBytes: request.maxBytes > 0 ? request.maxBytes : 0x7fffffff,
        isolationLevel: isReadCommitted ? 'read_committed' : 'read_uncommitted',
        signal: ctx.signal,
      });
    } catch (error) {
      failure = kafkaFailure(error, ctx.logger, 'Fetch').code;
    }
  }
  const byPartition = new Map<string, FetchPartitionResult>();
  for (const result of results) byPartition.set(`${result.topic}\u0000${result.partition}`, result);

  const responses: TopicResponse[] = request.topics.map((topic, i) => ({
    topic: names[i]!,
    topicId: topic.topicId,
    partitions: topic.partitions.map((p): PartitionData => {
      if (unknownIds.has(i)) return emptyPartition(p.partition, KafkaErrorCode.UNKNOWN_TOPIC_ID, isReadCommitted);
      if (isLegacyFormat) return emptyPartition(p.partition, KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, isReadCommitted);
      const result = byPartition.get(`${names[i]}\u0000${p.partition}`);
      if (!result)
        return emptyPartition(
          p.partition,
          failure === KafkaErrorCode.NONE ? KafkaErrorCode.UNKNOWN_SERVER_ERROR : failure,
          isReadCommitted,
        );
      return {
        partitionIndex: p.partition,
        errorCode: result.error ? toKafkaErrorCode(result.error.code) : KafkaErrorCode.NONE,
        highWatermark: result.highWatermark,
        lastStableOffset: result.lastStableOffset,
        logStartOffset: result.logStartOffset,
        divergingEpoch: null,
        currentLeader: null,
        snapshotId: null,
        // Kafka sends null when reading uncommitted, an empty list (no aborted transactions) otherwise.
        abortedTransactions: isReadCommitted ? [] : null,
        preferredReadReplica: -1,
        records: result.error ? EMPTY : result.records,
      };
    }),
  }));
  return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, sessionId: 0, responses, nodeEndpoints: null };
}

function emptyPartition(partition: number, errorCode: number, isReadCommitted: boolean): PartitionData {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    divergingEpoch: null,
    currentLeader: null,
    snapshotId: null,
    abortedTransactions: isReadCommitted ? [] : null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}
