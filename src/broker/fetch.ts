import { ErrorCode, FerryError, toFerryError } from '../common/errors.ts';
import { BATCH_HEADER_BYTES, batchSizeBytes, nextOffsetAfter } from '../common/record-batch-header.ts';
import { NOOP_BROKER_METRICS, type PartitionMetrics } from '../observability/metrics/recorder.ts';
import type { Partition } from './partition.ts';
import type { AppendWaiter } from './partition-waiters.ts';
import type { FetchPartitionRequest, FetchPartitionResult, FetchRequest } from './types.ts';

export interface FetchLimits {
  /** Cap on a request's maxWaitMs. */
  fetchMaxWaitMs: number;
  /** Cap on a request's maxBytes. */
  fetchMaxBytes: number;
  /** Long polls parked at once; beyond it a fetch answers at once. */
  maxParkedFetches: number;
}

export type PartitionLookup = (topic: string, partition: number) => Partition | undefined;

const EMPTY = Buffer.alloc(0);

/**
 * Fetch with Kafka's semantics: stored batches from each partition's offset up to the high
 * watermark, within the partition's and the response's byte budgets; a long poll parks until
 * appends make `minBytes` available, `maxWaitMs` passes or the signal aborts. A parked fetch
 * costs one timer and one entry per watched partition's waiter set, all removed when it ends.
 */
export class FetchService {
  private readonly lookup: PartitionLookup;
  private readonly limits: FetchLimits;
  /** Wakers of the parked fetches, for close(). */
  private readonly parked = new Set<() => void>();
  private isClosed = false;

  private readonly metricsOf: (partition: Partition) => PartitionMetrics;

  constructor(lookup: PartitionLookup, limits: FetchLimits, metricsOf?: (partition: Partition) => PartitionMetrics) {
    this.lookup = lookup;
    this.limits = limits;
    this.metricsOf = metricsOf ?? (() => NOOP_BROKER_METRICS.partition('', 0));
  }

  get parkedCount(): number {
    return this.parked.size;
  }

  async fetch(request: FetchRequest): Promise<FetchPartitionResult[]> {
    const results = await this.fetchOnce(request);
    // Counted on the answer only: a long poll reads twice and answers once.
    const nowMs = Date.now();
    for (const result of results) {
      if (result.records.length === 0) continue;
      const partition = this.lookup(result.topic, result.partition);
      if (partition !== undefined) this.metricsOf(partition).handedOut(result.records, nowMs);
    }
    return results;
  }

  private async fetchOnce(request: FetchRequest): Promise<FetchPartitionResult[]> {
    const responseMaxBytes = Math.min(Math.max(0, request.maxBytes), this.limits.fetchMaxBytes);
    const first = await this.readAll(request.partitions, responseMaxBytes);
    const maxWaitMs = Math.min(request.maxWaitMs, this.limits.fetchMaxWaitMs);
    if (
      first.bytes >= request.minBytes ||
      maxWaitMs <= 0 ||
      first.hasError ||
      request.signal?.aborted === true ||
      this.isClosed ||
      this.parked.size >= this.limits.maxParkedFetches ||
      // A read may stop short of what is there (a segment's end, a tail-cache view): then waiting
      // for appends would wait for nothing the consumer lacks. It asks again at once.
      first.results.some(endsBelowHighWatermark)
    ) {
      return first.results;
    }
    await this.park(first.results, request.minBytes - first.bytes, maxWaitMs, request.signal);
    // The wait may have ended because the broker closed or the connection went away.
    if (this.isClosed || isAborted(request.signal)) return first.results;
    return (await this.readAll(request.partitions, responseMaxBytes)).results;
  }

  /** Wakes every parked fetch (they answer with what they had) and refuses to park new ones. */
  close(): void {
    this.isClosed = true;
    for (const wake of [...this.parked]) wake();
  }

  private park(results: FetchPartitionResult[], neededBytes: number, maxWaitMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const watched: Partition[] = [];
      let missingBytes = neededBytes;
      let isDone = false;
      const finish = (): void => {
        if (isDone) return;
        isDone = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        for (const partition of watched) partition.waiters.delete(waiter);
        this.parked.delete(finish);
        resolve();
      };
      const waiter: AppendWaiter = {
        onAppend(sizeBytes: number): void {
          missingBytes -= sizeBytes;
          if (missingBytes <= 0) finish();
        },
      };
      const timer = setTimeout(finish, maxWaitMs);
      signal?.addEventListener('abort', finish, { once: true });
      this.parked.add(finish);
      let hasMoved = false;
      for (const result of results) {
        const partition = this.lookup(result.topic, result.partition);
        if (partition === undefined) continue;
        watched.push(partition);
        partition.waiters.add(waiter);
        // An append that landed while the first pass was reading: look again now.
        if (partition.log.highWatermark > result.highWatermark) hasMoved = true;
      }
      if (hasMoved) finish();
    });
  }

  private async readAll(
    requests: readonly FetchPartitionRequest[],
    responseMaxBytes: number,
  ): Promise<{ results: FetchPartitionResult[]; bytes: number; hasError: boolean }> {
    const results: FetchPartitionResult[] = [];
    let bytes = 0;
    let hasError = false;
    for (const request of requests) {
      const result = await this.readOne(request, responseMaxBytes - bytes, bytes === 0);
      bytes += result.records.length;
      if (result.error !== null) hasError = true;
      results.push(result);
    }
    return { results, bytes, hasError };
  }

  private async readOne(request: FetchPartitionRequest, budgetBytes: number, isFirstWithData: boolean): Promise<FetchPartitionResult> {
    const { topic, partition: index, offset } = request;
    const partition = this.lookup(topic, index);
    if (partition === undefined) {
      return failed(
        request,
        new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${topic}-${index}`, { topic, partition: index }),
      );
    }
    const log = partition.log;
    try {
      if (log.isOffline)
        throw new FerryError(ErrorCode.PARTITION_OFFLINE, `partition ${topic}-${index} is offline`, { topic, partition: index });
      const highWatermark = log.highWatermark;
      if (!Number.isSafeInteger(offset) || offset < log.logStartOffset || offset > log.logEndOffset) {
        throw new FerryError(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          `offset ${offset} is outside ${topic}-${index} [${log.logStartOffset}, ${log.logEndOffset}]`,
          { topic, partition: index, offset, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset },
        );
      }
      const limitBytes = Math.min(Number.isSafeInteger(request.maxBytes) ? request.maxBytes : 0, budgetBytes);
      let records: Buffer = EMPTY;
      // Between the high watermark and the log end there is nothing a consumer may see yet.
      if (offset < highWatermark && (limitBytes > 0 || isFirstWithData)) {
        const read = await log.read(offset, Math.max(limitBytes, 1), { maxOffset: highWatermark });
        records = wholeBatchesWithin(read.data, limitBytes, isFirstWithData);
      }
      return {
        topic,
        partition: index,
        error: null,
        highWatermark,
        lastStableOffset: highWatermark,
        logStartOffset: log.logStartOffset,
        records,
      };
    } catch (error) {
      return failed(request, toFerryError(error), partition);
    }
  }
}

/**
 * Whole batches of `data` that fit in `limitBytes`. The first batch is kept even when larger if
 * nothing came before it in the response (Kafka's minOneMessage), so a consumer is never stuck
 * behind a batch bigger than its budget; later partitions get only what fits.
 */
function wholeBatchesWithin(data: Buffer, limitBytes: number, isFirstWithData: boolean): Buffer {
  if (data.length <= limitBytes) return data;
  let end = 0;
  while (end + BATCH_HEADER_BYTES <= data.length) {
    const sizeBytes = batchSizeBytes(data, end);
    if (end + sizeBytes > limitBytes && !(end === 0 && isFirstWithData)) break;
    end += sizeBytes;
  }
  return end === data.length ? data : data.subarray(0, end);
}

/** Records were returned and more are readable past them. */
function endsBelowHighWatermark(result: FetchPartitionResult): boolean {
  const next = nextOffsetAfter(result.records);
  return next !== null && next < result.highWatermark;
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function failed(request: FetchPartitionRequest, error: FerryError, partition?: Partition): FetchPartitionResult {
  const log = partition?.log;
  const isReadable = log !== undefined && !log.isOffline;
  return {
    topic: request.topic,
    partition: request.partition,
    error,
    highWatermark: isReadable ? log.highWatermark : -1,
    lastStableOffset: isReadable ? log.highWatermark : -1,
    logStartOffset: isReadable ? log.logStartOffset : -1,
    records: EMPTY,
  };
}
