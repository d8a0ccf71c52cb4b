import type { deleteRecordsRequest, deleteRecordsResponse } from '../apis/delete-records.ts';
import { KafkaErrorCode, kafkaFailure } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import type { RequestContext } from './context.ts';

type DeleteRecordsRequest = Infer<typeof deleteRecordsRequest>;
type DeleteRecordsResponse = Infer<typeof deleteRecordsResponse>;

/** Kafka's "delete up to the high watermark" offset. */
const HIGH_WATERMARK = -1;

/** DeleteRecords: each partition's new low watermark, or -1 with the error. */
export async function handleDeleteRecords(ctx: RequestContext, request: DeleteRecordsRequest): Promise<DeleteRecordsResponse> {
  const topics = await Promise.all(
    request.topics.map(async (topic) => ({
      name: topic.name,
      partitions: await Promise.all(
        topic.partitions.map(async (p) => {
          try {
            const offset = p.offset === HIGH_WATERMARK ? highWatermark(ctx, topic.name, p.partitionIndex) : p.offset;
            const lowWatermark = await ctx.broker.deleteRecords(topic.name, p.partitionIndex, offset);
            return { partitionIndex: p.partitionIndex, lowWatermark, errorCode: KafkaErrorCode.NONE };
          } catch (error) {
            return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: kafkaFailure(error, ctx.logger, 'DeleteRecords').code };
          }
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

function highWatermark(ctx: RequestContext, topic: string, partition: number): number {
  const info = ctx.broker.describeTopic(topic).partitions.find((p) => p.partition === partition);
  // An unknown partition goes to the broker as is, which answers it with its own error.
  return info ? info.highWatermark : HIGH_WATERMARK;
}
