import type { Acks, ProduceResult } from '../../../broker/types.ts';
import type { produceRequest, produceResponse } from '../apis/produce.ts';
import { KafkaErrorCode, type KafkaFailure, kafkaFailure } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import { NO_RESPONSE, type NoResponse, type RequestContext } from './context.ts';

type ProduceRequest = Infer<typeof produceRequest>;
type ProduceResponse = Infer<typeof produceResponse>;
type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

/** Produce v3 is the first to carry RecordBatch v2, the only format Ferry stores. */
const FIRST_RECORD_BATCH_VERSION = 3;
const LEGACY_FORMAT: KafkaFailure = {
  code: KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  message: 'Produce v0-v2 carry message format v0/v1; Ferry stores RecordBatch v2 only (use Produce v3+)',
};

function isAcks(value: number): value is Acks {
  return value === 0 || value === 1 || value === -1;
}

/**
 * Produce: each partition's batches go to the broker whole (they are views of the request; the
 * broker checks them and patches offsets in place). Every partition's call is started before any
 * is awaited, in request order, so the broker sees one connection's appends in the order sent.
 * acks=0 gets no response; if any of it failed the connection is closed, as Kafka does, since
 * that is the only signal such a producer gets.
 */
export async function handleProduce(ctx: RequestContext, request: ProduceRequest): Promise<ProduceResponse | NoResponse> {
  const { acks } = request;
  const isLegacyFormat = ctx.apiVersion < FIRST_RECORD_BATCH_VERSION;
  const pending: Promise<PartitionResponse>[][] = request.topicData.map((topic) =>
    topic.partitionData.map((data) => {
      if (!isAcks(acks)) {
        return Promise.resolve(
          failed(data.index, { code: KafkaErrorCode.INVALID_REQUIRED_ACKS, message: `acks must be 0, 1 or -1, got ${acks}` }),
        );
      }
      if (isLegacyFormat) return Promise.resolve(failed(data.index, LEGACY_FORMAT));
      if (data.records === null || data.records.length === 0) {
        return Promise.resolve(failed(data.index, { code: KafkaErrorCode.INVALID_RECORD, message: 'produce request has no records' }));
      }
      return ctx.broker
        .produce({ topic: topic.name, partition: data.index, batches: data.records, acks, timeoutMs: request.timeoutMs })
        .then(
          (result) => succeeded(data.index, result),
          (error: unknown) => failed(data.index, kafkaFailure(error, ctx.logger, 'Produce')),
        );
    }),
  );
  const responses = await Promise.all(
    request.topicData.map(async (topic, i) => ({ name: topic.name, partitionResponses: await Promise.all(pending[i]!) })),
  );
  if (acks === 0) {
    const failure = responses.flatMap((t) => t.partitionResponses).find((p) => p.errorCode !== KafkaErrorCode.NONE);
    if (failure) ctx.closeConnection(`acks=0 produce failed: ${failure.errorMessage ?? failure.errorCode}`);
    return NO_RESPONSE;
  }
  return { responses, throttleTimeMs: 0, nodeEndpoints: null };
}

function succeeded(index: number, result: ProduceResult): PartitionResponse {
  return {
    index,
    errorCode: KafkaErrorCode.NONE,
    baseOffset: result.baseOffset,
    logAppendTimeMs: result.logAppendTimeMs,
    logStartOffset: result.logStartOffset,
    recordErrors: [],
    errorMessage: null,
    currentLeader: null,
  };
}

function failed(index: number, failure: KafkaFailure): PartitionResponse {
  return {
    index,
    errorCode: failure.code,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: [],
    errorMessage: failure.message,
    currentLeader: null,
  };
}
