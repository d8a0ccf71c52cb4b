import { fetchApi } from '../apis/fetch.ts';
import { deleteRecordsApi, listOffsetsApi } from '../apis/offsets.ts';
import { initProducerIdApi, produceApi } from '../apis/produce.ts';
import { FRAME_OVERHEAD_BYTES } from '../codec.ts';
import { type Route, route } from './route.ts';
import { settleEach } from './settle.ts';

/** Bytes of a fetch response besides the records: room kept so the answer fits a frame. */
const FETCH_RESPONSE_SLACK_BYTES = 64 * 1024;

/** Produce, fetch and offsets. Batches pass through as bytes: no record is decoded here. */
export const PRODUCE_ROUTES: readonly Route[] = [
  route(produceApi, async ({ broker }, request) => {
    // Calls start synchronously in request order, so a pipelined producer's batches for one
    // partition reach the broker in the order they were sent (idempotent sequences need it).
    const results = await settleEach(request.partitions, (p) =>
      broker.produce({ topic: p.topic, partition: p.partition, batches: p.records, acks: request.acks, timeoutMs: request.timeoutMs }),
    );
    return {
      partitions: results.map((result, i) => {
        const { topic, partition } = request.partitions[i]!;
        if (result.error) {
          return { topic, partition, error: result.error, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, isDuplicate: false };
        }
        return { topic, partition, error: null, ...result.value };
      }),
    };
  }),

  route(
    fetchApi,
    async ({ broker, limits, signal }, request) => {
      const maxBytes = Math.min(request.maxBytes, limits.maxFrameBytes - FRAME_OVERHEAD_BYTES - FETCH_RESPONSE_SLACK_BYTES);
      const partitions = await broker.fetch({
        partitions: request.partitions,
        maxWaitMs: Math.min(request.maxWaitMs, limits.maxFetchWaitMs),
        minBytes: request.minBytes,
        maxBytes,
        isolationLevel: request.isolationLevel,
        signal,
      });
      return { partitions };
    },
    { responseBytes: (request) => request.maxBytes },
  ),

  route(listOffsetsApi, async ({ broker }, request) => {
    const results = await settleEach(request.partitions, (p) => broker.listOffset(p.topic, p.partition, p.timestamp));
    return {
      partitions: results.map((result, i) => {
        const { topic, partition } = request.partitions[i]!;
        if (result.error) return { topic, partition, error: result.error, offset: -1, timestamp: -1, leaderEpoch: -1 };
        return { topic, partition, error: null, ...result.value };
      }),
    };
  }),

  route(deleteRecordsApi, async ({ broker }, request) => {
    const results = await settleEach(request.partitions, (p) => broker.deleteRecords(p.topic, p.partition, p.beforeOffset));
    return {
      partitions: results.map((result, i) => {
        const { topic, partition } = request.partitions[i]!;
        return { topic, partition, error: result.error, logStartOffset: result.value ?? -1 };
      }),
    };
  }),

  route(initProducerIdApi, ({ broker }, request) =>
    broker.initProducerId({
      transactionalId: request.transactionalId,
      producerId: request.producerId < 0 ? undefined : request.producerId,
      producerEpoch: request.producerEpoch < 0 ? undefined : request.producerEpoch,
    }),
  ),
];
