import { ErrorCode, FerryError } from '../common/errors.ts';
import { Attribute, BATCH_HEADER_BYTES, BatchField, batchSizeBytes, CURRENT_MAGIC, readInt64 } from '../common/record-batch-header.ts';
import type { PartitionMetrics } from '../observability/metrics/recorder.ts';
import type { AppendResult } from '../storage/types.ts';
import type { Partition } from './partition.ts';
import { type CachedBatch, lastSequenceOf, type Reservation } from './producer-state.ts';
import type { ProduceResult } from './types.ts';

/** What the produce path needs from the broker around it. */
export interface ProduceContext {
  now(): number;
  /** True when the id was handed out by this broker's InitProducerId. */
  isAllocatedProducerId(producerId: number): boolean;
  /** Called around every append so that close() can wait for appends in flight. */
  appendStarted(): void;
  appendSettled(): void;
  /** The partition's metric counters (a no-op object when metrics are off). */
  metricsOf(partition: Partition): PartitionMetrics;
}

/** Where an idempotent batch sits in a produce request. */
interface IdempotentBatch {
  /** Offset of its first record relative to the request's first record. */
  relativeOffset: number;
  lastOffsetDelta: number;
  producerId: number;
  epoch: number;
  firstSeq: number;
}

const PLACEHOLDER: Promise<unknown> = Promise.resolve();

/**
 * Appends one produce request's batches to a partition. Only batch headers are read (DESIGN.md
 * section 4): their structure, the producer fields of idempotent batches, nothing of the records;
 * the storage checks CRC and size and assigns offsets. For idempotent batches the sequence check
 * and the call to append happen in one synchronous step, so that pipelined requests of a producer
 * are checked against each other in the order they are appended.
 */
export async function produceToPartition(partition: Partition, batches: Buffer, ctx: ProduceContext): Promise<ProduceResult> {
  if (partition.log.isOffline) {
    throw new FerryError(ErrorCode.PARTITION_OFFLINE, `partition ${partition.topic}-${partition.index} is offline`, {
      topic: partition.topic,
      partition: partition.index,
    });
  }
  const scan = scanBatches(batches);
  if (scan.idempotent === null) {
    const result = await appendAndPublish(partition, batches, ctx);
    return produceResult(partition, result.baseOffset, result.logAppendTimeMs, false);
  }
  return produceIdempotent(partition, batches, scan.batchCount, scan.idempotent, ctx);
}

/** Appends whole batches without producer checks (also used for `__consumer_offsets`). */
export async function appendAndPublish(partition: Partition, batches: Buffer, ctx: ProduceContext): Promise<AppendResult> {
  ctx.appendStarted();
  try {
    const result = await partition.log.append(batches, { leaderEpoch: partition.leaderEpoch });
    partition.publish(result.lastOffset + 1, result.sizeBytes);
    ctx.metricsOf(partition).appended(result.lastOffset - result.baseOffset + 1, result.sizeBytes);
    return result;
  } finally {
    ctx.appendSettled();
  }
}

async function produceIdempotent(
  partition: Partition,
  batches: Buffer,
  batchCount: number,
  idempotent: IdempotentBatch[],
  ctx: ProduceContext,
): Promise<ProduceResult> {
  const table = partition.producers;
  const reservations: Reservation[] = [];
  let firstDuplicate: CachedBatch | null = null;
  let duplicateCount = 0;
  try {
    for (const batch of idempotent) {
      if (!ctx.isAllocatedProducerId(batch.producerId)) {
        throw new FerryError(ErrorCode.UNKNOWN_PRODUCER_ID, `producer id ${batch.producerId} was never allocated by this broker`, {
          producerId: batch.producerId,
        });
      }
      const lastSeq = lastSequenceOf(batch.firstSeq, batch.lastOffsetDelta);
      const duplicate = table.check(batch.producerId, batch.epoch, batch.firstSeq, lastSeq);
      if (duplicate !== null) {
        firstDuplicate ??= duplicate;
        duplicateCount++;
        continue;
      }
      reservations.push(table.reserve(batch.producerId, batch.epoch, batch.firstSeq, lastSeq, PLACEHOLDER));
    }
    if (firstDuplicate !== null && (reservations.length > 0 || duplicateCount < batchCount)) {
      throw new FerryError(ErrorCode.DUPLICATE_SEQUENCE, 'a produce request mixes batches already appended with new ones', {
        topic: partition.topic,
        partition: partition.index,
      });
    }
  } catch (error) {
    rollback(table, reservations);
    throw error;
  }
  if (firstDuplicate !== null) return duplicateResult(partition, firstDuplicate);

  ctx.appendStarted();
  try {
    let appending: Promise<AppendResult>;
    try {
      appending = partition.log.append(batches, { leaderEpoch: partition.leaderEpoch });
    } catch (error) {
      rollback(table, reservations);
      throw error;
    }
    for (const reservation of reservations) reservation.batch.pending = appending;
    let result: AppendResult;
    try {
      result = await appending;
    } catch (error) {
      rollback(table, reservations);
      throw error;
    }
    // Applied in the same step as the high watermark moves: a snapshot taken at the high
    // watermark covers exactly the applied batches.
    const nowMs = ctx.now();
    // No duplicates got this far, so reservations and idempotent batches pair up one to one.
    for (let i = 0; i < idempotent.length; i++) {
      const batch = idempotent[i]!;
      const baseOffset = result.baseOffset + batch.relativeOffset;
      table.apply(reservations[i]!, baseOffset, baseOffset + batch.lastOffsetDelta, nowMs);
    }
    partition.publish(result.lastOffset + 1, result.sizeBytes);
    ctx.metricsOf(partition).appended(result.lastOffset - result.baseOffset + 1, result.sizeBytes);
    return produceResult(partition, result.baseOffset, result.logAppendTimeMs, false);
  } finally {
    ctx.appendSettled();
  }
}

/** A retry of batches already appended: their original offsets, nothing written. */
async function duplicateResult(partition: Partition, batch: CachedBatch): Promise<ProduceResult> {
  // The original may still be in flight (the client timed out and retried): answer once it is
  // in the log; if it failed, the retry fails the same way and the client retries again.
  if (batch.pending !== null) await batch.pending;
  return produceResult(partition, batch.baseOffset, -1, true);
}

function rollback(table: Partition['producers'], reservations: readonly Reservation[]): void {
  for (let i = reservations.length - 1; i >= 0; i--) table.rollback(reservations[i]!);
}

function produceResult(partition: Partition, baseOffset: number, appendTimeMs: number, isDuplicate: boolean): ProduceResult {
  // Kafka answers -1 for the log append time unless the topic stamps LogAppendTime.
  const logAppendTimeMs = partition.log.config.timestampType === 'LogAppendTime' ? appendTimeMs : -1;
  return { baseOffset, logAppendTimeMs, logStartOffset: partition.log.logStartOffset, isDuplicate };
}

interface BatchScan {
  batchCount: number;
  /** null when no batch carries a producer id (the common, cheap case). */
  idempotent: IdempotentBatch[] | null;
}

/**
 * Walks the batch headers of a produce request: structure, magic, no transactional or control
 * batches (transactions are not supported), and the producer fields of idempotent batches.
 */
function scanBatches(batches: Buffer): BatchScan {
  if (batches.length === 0) throw new FerryError(ErrorCode.INVALID_RECORD, 'produce request carries no record batch');
  let idempotent: IdempotentBatch[] | null = null;
  let batchCount = 0;
  let relativeOffset = 0;
  let at = 0;
  while (at < batches.length) {
    if (batches.length - at < BATCH_HEADER_BYTES) {
      throw new FerryError(
        ErrorCode.CORRUPT_MESSAGE,
        `record batch truncated: ${batches.length - at} bytes left, a header needs ${BATCH_HEADER_BYTES}`,
        { at },
      );
    }
    const sizeBytes = batchSizeBytes(batches, at);
    if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > batches.length - at) {
      throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch at ${at} declares ${sizeBytes} bytes, ${batches.length - at} follow`, {
        at,
        sizeBytes,
      });
    }
    const magic = batches.readInt8(at + BatchField.magic);
    if (magic !== CURRENT_MAGIC) {
      throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch magic ${magic} is not supported (only v2)`, { at, magic });
    }
    const attributes = batches.readInt16BE(at + BatchField.attributes);
    if ((attributes & (Attribute.transactional | Attribute.control)) !== 0) {
      throw new FerryError(ErrorCode.INVALID_RECORD, 'transactional and control batches are not supported', { at, attributes });
    }
    const lastOffsetDelta = batches.readInt32BE(at + BatchField.lastOffsetDelta);
    if (lastOffsetDelta < 0) {
      throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `record batch has lastOffsetDelta ${lastOffsetDelta}`, { at });
    }
    const producerId = readInt64(batches, at + BatchField.producerId);
    if (producerId >= 0) {
      const firstSeq = batches.readInt32BE(at + BatchField.baseSequence);
      const epoch = batches.readInt16BE(at + BatchField.producerEpoch);
      if (firstSeq < 0 || epoch < 0) {
        throw new FerryError(
          ErrorCode.INVALID_RECORD,
          `idempotent batch of producer ${producerId} has epoch ${epoch} and sequence ${firstSeq}`,
          {
            at,
            producerId,
          },
        );
      }
      idempotent ??= [];
      idempotent.push({ relativeOffset, lastOffsetDelta, producerId, epoch, firstSeq });
    }
    relativeOffset += lastOffsetDelta + 1;
    batchCount++;
    at += sizeBytes;
  }
  return { batchCount, idempotent };
}
