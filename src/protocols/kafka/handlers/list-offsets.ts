import { EARLIEST_TIMESTAMP, type ListOffsetResult } from '../../../broker/types.ts';
import type { listOffsetsRequest, listOffsetsResponse } from '../apis/list-offsets.ts';
import { KafkaErrorCode, kafkaFailure } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import type { RequestContext } from './context.ts';

type ListOffsetsRequest = Infer<typeof listOffsetsRequest>;
type ListOffsetsResponse = Infer<typeof listOffsetsResponse>;
type PartitionResponse = ListOffsetsResponse['topics'][number]['partitions'][number];

/** KIP-405's "earliest local" (v8+): without tiered storage every offset is local. */
const EARLIEST_LOCAL_TIMESTAMP = -4;
/** KIP-1005's "latest tiered" (v9+): nothing is tiered, so there is no such offset. */
const LATEST_TIERED_TIMESTAMP = -5;

/** ListOffsets: the offset for a timestamp (or -1 latest, -2 earliest, -3 max timestamp) per
 *  partition. v0 answers in its "old style" offsets array. */
export async function handleListOffsets(ctx: RequestContext, request: ListOffsetsRequest): Promise<ListOffsetsResponse> {
  const isV0 = ctx.apiVersion === 0;
  const topics = await Promise.all(
    request.topics.map(async (topic) => ({
      name: topic.name,
      partitions: await Promise.all(
        topic.partitions.map(async (p): Promise<PartitionResponse> => {
          try {
            const result = await lookUp(ctx, topic.name, p.partitionIndex, p.timestamp);
            return {
              partitionIndex: p.partitionIndex,
              errorCode: KafkaErrorCode.NONE,
              oldStyleOffsets: isV0 && p.maxNumOffsets > 0 && result.offset >= 0 ? [result.offset] : [],
              timestamp: result.timestamp,
              offset: result.offset,
              leaderEpoch: result.leaderEpoch,
            };
          } catch (error) {
            return {
              partitionIndex: p.partitionIndex,
              errorCode: kafkaFailure(error, ctx.logger, 'ListOffsets').code,
              oldStyleOffsets: [],
              timestamp: -1,
              offset: -1,
              leaderEpoch: -1,
            };
          }
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

function lookUp(ctx: RequestContext, topic: string, partition: number, timestamp: number): Promise<ListOffsetResult> {
  if (timestamp === EARLIEST_LOCAL_TIMESTAMP) return ctx.broker.listOffset(topic, partition, EARLIEST_TIMESTAMP);
  if (timestamp === LATEST_TIERED_TIMESTAMP) {
    // Still check the partition exists, so an unknown one gets its error.
    return ctx.broker.listOffset(topic, partition, EARLIEST_TIMESTAMP).then(() => ({ offset: -1, timestamp: -1, leaderEpoch: -1 }));
  }
  return ctx.broker.listOffset(topic, partition, timestamp);
}
