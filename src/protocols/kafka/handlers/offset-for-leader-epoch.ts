import type { PartitionInfo } from '../../../broker/types.ts';
import type { offsetForLeaderEpochRequest, offsetForLeaderEpochResponse } from '../apis/offset-for-leader-epoch.ts';
import { KafkaErrorCode, kafkaFailure } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import type { RequestContext } from './context.ts';

type OffsetForLeaderEpochRequest = Infer<typeof offsetForLeaderEpochRequest>;
type OffsetForLeaderEpochResponse = Infer<typeof offsetForLeaderEpochResponse>;
type EpochEndOffset = OffsetForLeaderEpochResponse['topics'][number]['partitions'][number];

/**
 * OffsetForLeaderEpoch: consumers (KIP-320) ask where an epoch ended to detect truncation after a
 * leader change. The broker API exposes only the current leader epoch, so any epoch up to it is
 * answered with the log end offset: a single node never truncates acknowledged data, so a
 * consumer's position is never past it and no false truncation is reported. An epoch newer than
 * the leader's is unknown (-1, -1), as Kafka answers. A stale `currentLeaderEpoch` is fenced.
 */
export function handleOffsetForLeaderEpoch(ctx: RequestContext, request: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => {
      let partitions: PartitionInfo[] = [];
      let failure: number = KafkaErrorCode.NONE;
      try {
        partitions = ctx.broker.describeTopic(topic.topic).partitions;
      } catch (error) {
        failure = kafkaFailure(error, ctx.logger, 'OffsetForLeaderEpoch').code;
      }
      return {
        topic: topic.topic,
        partitions: topic.partitions.map((p): EpochEndOffset => {
          const info = partitions.find((candidate) => candidate.partition === p.partition);
          if (!info) return answer(p.partition, failure || KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < info.leaderEpoch)
            return answer(p.partition, KafkaErrorCode.FENCED_LEADER_EPOCH);
          if (p.currentLeaderEpoch > info.leaderEpoch) return answer(p.partition, KafkaErrorCode.UNKNOWN_LEADER_EPOCH);
          if (p.leaderEpoch > info.leaderEpoch) return answer(p.partition, KafkaErrorCode.NONE);
          return { errorCode: KafkaErrorCode.NONE, partition: p.partition, leaderEpoch: p.leaderEpoch, endOffset: info.logEndOffset };
        }),
      };
    }),
  };
}

function answer(partition: number, errorCode: number): EpochEndOffset {
  return { errorCode, partition, leaderEpoch: -1, endOffset: -1 };
}
